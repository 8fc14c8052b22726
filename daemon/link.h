/*
 * serguardd: one secure session per configured device.
 *
 * This is the seam where the session engine (sg_conn, proto/) plugs in.
 * A link holds what the rest of the daemon knows about a device: its
 * configuration, its place on the bus (struct bus_dev, scheduled by its
 * line) and counters. The line (line.c) calls three functions:
 *
 *   link_input()  a good frame from the device arrived;
 *   link_turn()   the bus grants the device a turn: which frame to send;
 *   link_pump()   drive the engine; returns when to be called again.
 *
 * Until the engine is integrated every turn is a poll (an empty POLL
 * frame, so the bus still finds out which devices answer), frames from
 * devices are counted and dropped, and link_pump() says so once, at
 * debug level.
 */
#ifndef SERGUARDD_LINK_H
#define SERGUARDD_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/bus.h"
#include "daemon/config.h"
#include "serguard/frame.h"

struct line;

struct link {
	char *name;
	const struct cfg_device *cf; /* the running configuration's section */
	struct line *line;	     /* set while on a line (line_add) */
	struct bus_dev bd;	     /* bd.addr = cf->address, bd.arg = this link */
	uint64_t deadline;	     /* link_pump() wants to run again at (BUS_NEVER) */
	uint64_t frames_in;	     /* frames from the device */
	uint64_t frames_dropped;     /* ... that nothing could take */
	uint64_t turns;		     /* frames built for the bus */
	bool said_not_integrated;
};

/* A link for device cf (not copied: re-point l->cf when a reload keeps the
 * device). NULL (logged) when out of memory. Put it on its port's line
 * with line_add(). */
struct link *link_new(const struct cfg_device *cf);
/* Take it off its line first (line_remove). */
void link_free(struct link *l);

/* A good frame from the device (CRC checked, direction device to gateway,
 * this device's address), as the line's decoder delivered it: f and its
 * payload are valid during the call only (the shape sg_conn_frame_push()
 * takes). */
void link_input(struct link *l, const struct sg_frame *f, uint64_t now);

/*
 * The bus grants the device a turn: write the one frame to send into out
 * (cap bytes, at least SG_FRAME_ENCODED_MAX of the port's max_frame) and
 * set *len. data is true when the bus expects the pending data the link
 * announced with bus_set_pending(), false for a poll. Returns 0, or -1
 * to give the turn up.
 */
int link_turn(struct link *l, bool data, unsigned char *out, size_t cap, size_t *len,
	      uint64_t now);

/*
 * Drive the session: the one place where the engine runs, called after
 * link_input(), after a turn, and at the deadline it returned last time.
 * Once sg_conn is integrated it pushes received frames into the engine
 * (sg_conn_wire_push), moves application messages between the engine and
 * the device's local clients, tells the bus whether the device has
 * pending data (bus_set_pending) and whether it is busy with a handshake
 * step (bus_set_handshake), kicks the line when that changed
 * (line_kick), and returns the engine's next deadline (sg_conn_deadline).
 * Returns BUS_NEVER when there is nothing to wait for.
 */
uint64_t link_pump(struct link *l, uint64_t now);

#endif
