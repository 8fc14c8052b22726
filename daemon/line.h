/*
 * serguardd: one serial line at work.
 *
 * A line ties together what one [port] section needs on the event loop:
 * the port (port.c), the frame decoder (proto/ frame.c), the scheduler
 * that says who may talk when (bus.c), one timer, and the links of the
 * devices on it (link.c). It is the driver of the bus:
 *
 *   port bytes -> bus_rx, decoder -> frame from address A
 *              -> bus_reply(A) -> link_input(A)
 *   bus_next   -> SEND to A      -> link_turn(A) builds the frame
 *              -> port_write     -> bus_sent
 *              -> WAIT until T   -> the timer (also at the links' deadlines)
 *
 * Everything about sessions stays behind link.h: a line never looks
 * inside a frame's payload.
 */
#ifndef SERGUARDD_LINE_H
#define SERGUARDD_LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "daemon/bus.h"
#include "daemon/config.h"
#include "daemon/log.h"
#include "daemon/port.h"
#include "serguard/frame.h"

struct link;

struct line_stats {
	uint64_t frames_in;	/* good frames from devices */
	uint64_t frames_out;	/* frames handed to the port */
	uint64_t unknown_addr;	/* good frames from an address with no device */
	uint64_t turns_refused; /* turns the link or the port could not use */
};

struct line {
	char *name;
	uv_loop_t *loop;
	struct port *port;
	struct bus bus;
	struct sg_frame_decoder dec;
	unsigned char *decbuf;
	unsigned char *txbuf;
	size_t txcap;
	uint32_t max_frame;
	uint32_t retry_ms;	  /* after a refused turn */
	uv_timer_t timer;
	struct link *links[256];  /* by bus address */
	struct line_stats st;
	struct log_rate rl_unknown;
	bool freeing;
};

/* A line for port section c (copied; c need not outlive the line). The
 * port is not opened until line_start(). NULL (logged) if out of memory. */
struct line *line_new(uv_loop_t *loop, const struct cfg_port *c);
/* Open the port; from then on the line runs by itself. */
void line_start(struct line *ln);
/* Put l on the line at l->bd.addr. -1 (logged) if the address is taken or
 * an rs232 line has its device. */
int line_add(struct line *ln, struct link *l);
void line_remove(struct line *ln, struct link *l);
/* Something changed for a link (pending data, a new deadline): run the
 * scheduler at the next loop iteration (never from within the call, so
 * it is safe inside a turn). Links call this through link_pump(). */
void line_kick(struct line *ln);
/* Close the port, take the links off (they stay allocated) and free the
 * line once libuv has released its handles. */
void line_free(struct line *ln);

#endif
