/*
 * serguardd: one secure session per configured device.
 *
 * This is the seam where the session engine (sg_conn, proto/) plugs in.
 * Today a link holds what the rest of the daemon already knows about a
 * device: its configuration, its place on the bus (struct bus_dev) and
 * counters. link_pump() is the one function that will drive the engine;
 * until the engine is integrated it does nothing but say so at debug
 * level, and received frames are counted and dropped.
 */
#ifndef SERGUARDD_LINK_H
#define SERGUARDD_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/bus.h"
#include "daemon/config.h"

struct link {
	char *name;
	const struct cfg_device *cf; /* the running configuration's section */
	struct bus_dev bd;	     /* bd.addr = cf->address, bd.arg = this link */
	uint64_t frames_in;	     /* frames from the device */
	uint64_t frames_dropped;     /* ... that nothing could take */
	bool said_not_integrated;
};

/* A link for device cf (not copied: re-point l->cf when a reload keeps the
 * device). NULL (logged) when out of memory. */
struct link *link_new(const struct cfg_device *cf);
void link_free(struct link *l);

/* A valid frame (CRC checked, direction device to gateway, this device's
 * address) arrived: kind and payload as decoded by sg_frame. */
void link_input(struct link *l, unsigned kind, const unsigned char *payload, size_t len,
		uint64_t now);

/*
 * Drive the session: the one place where the engine runs. To be called
 * whenever something may have changed for this device (a frame pushed
 * with link_input(), a client message queued, the bus granting a turn,
 * the deadline it returned last time). Once sg_conn is integrated it
 * pushes received frames into the engine, moves application messages
 * between the engine and the device's local clients, writes the
 * engine's outgoing frame when the bus grants a turn, tells the bus
 * whether the device has pending data (bus_set_pending) and whether it
 * is busy with a handshake step (bus_set_handshake), and returns the
 * engine's next deadline (sg_conn_deadline) so that the caller arms one
 * timer. Returns BUS_NEVER when there is nothing to wait for.
 */
uint64_t link_pump(struct link *l, uint64_t now);

#endif
