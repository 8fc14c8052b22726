/*
 * serguardd: who may talk on a serial line, and when.
 *
 * A pure state machine: no I/O, no timers, no allocation. Time enters as
 * an argument (monotonic milliseconds) on every call, so the scheduler is
 * tested with a simulated clock. The owner (the port's driver) asks
 * bus_next() what to do, transmits, reports with bus_sent(), feeds
 * replies with bus_reply(), and calls bus_next() again whenever an input
 * arrived or the time it returned has come.
 *
 * RS485 (multidrop, half duplex): the gateway is the bus master. Devices
 * are served in round-robin order; a device is due when it has pending
 * downstream data, or when its poll interval has passed. A turn is one
 * frame to the device (its pending data, or a poll) and the wait for its
 * reply, bounded by the response timeout counted from the end of the
 * transmission; after the reply (or the timeout) the line stays quiet for
 * the turnaround gap. There is never more than one outstanding request,
 * so the gateway never talks over a device.
 *   - down_after_timeouts consecutive timeouts mark a device down: it is
 *     then only polled every down_poll_interval_ms, and its pending data
 *     waits, so a dead device costs the others one response timeout per
 *     down interval. Any reply brings it back up.
 *   - While the session says a device is busy with a handshake step
 *     (bus_set_handshake(), about a second of ECC on a small MCU), its
 *     silence is excused for handshake_timeout_ms: its timeouts do not
 *     count, it is re-polled after max(poll_interval, response_timeout),
 *     then twice, four and eight times that (each silent poll costs the
 *     bus a response timeout), and the round robin serves the others
 *     meanwhile. When the
 *     handshake timeout passes without a reply the timeout counts
 *     (BUS_EV_HS_TIMEOUT) and the excuse ends.
 *   - While reply bytes keep arriving (bus_rx()), the wait is extended,
 *     at most to the time a frame of the largest size needs on the wire.
 *
 * RS232 (point-to-point, full duplex): one device, either side may speak.
 * No polls and no reply waits: the device is sent its pending data
 * whenever there is some.
 */
#ifndef SERGUARDD_BUS_H
#define SERGUARDD_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BUS_MAX_DEVICES 254
#define BUS_NEVER UINT64_MAX

enum bus_mode { BUS_RS485 = 0, BUS_RS232 = 1 };

struct bus_params {
	uint32_t response_timeout_ms;
	uint32_t turnaround_ms;
	uint32_t handshake_timeout_ms;
	uint32_t poll_interval_ms;
	uint32_t down_poll_interval_ms;
	uint32_t down_after_timeouts; /* >= 1 */
	uint32_t char_time_us;	      /* one character on the wire */
	uint32_t max_frame_wire;      /* bytes of the largest frame on the wire */
};

struct bus_dev_stats {
	uint64_t polls;	      /* turns without data */
	uint64_t data;	      /* turns with data */
	uint64_t replies;     /* awaited replies */
	uint64_t timeouts;    /* counted timeouts */
	uint64_t excused;     /* timeouts excused by a handshake step */
	uint64_t downs;	      /* times marked down */
	uint64_t unexpected;  /* frames that were not the awaited reply */
};

/* One device on the bus. Owned by the caller (embedded in its link);
 * registered with bus_add() and kept alive until bus_remove(). The
 * fields after arg are the scheduler's: read them, do not write them. */
struct bus_dev {
	uint8_t addr;
	void *arg;
	bool pending;	   /* has downstream data */
	bool hs_busy;	   /* busy with a handshake step */
	bool down;
	unsigned fails;	   /* consecutive counted timeouts */
	uint64_t due;	   /* next poll due */
	uint64_t hs_until; /* while hs_busy: silence excused until */
	unsigned hs_tries; /* excused timeouts in this handshake step */
	struct bus_dev_stats st;
};

enum bus_act { BUS_ACT_WAIT = 0, BUS_ACT_SEND };

enum bus_event {
	BUS_EV_NONE = 0,
	BUS_EV_TIMEOUT,	   /* event_dev did not answer (counted) */
	BUS_EV_DOWN,	   /* event_dev reached down_after_timeouts: now down */
	BUS_EV_HS_TIMEOUT, /* event_dev's handshake step took too long */
	BUS_EV_EXCUSED	   /* event_dev did not answer, excused (handshake) */
};

struct bus_action {
	int kind;		/* enum bus_act */
	struct bus_dev *dev;	/* SEND: the device to address */
	bool data;		/* SEND: its pending data (else a poll) */
	uint64_t until;		/* WAIT: call again at this time, or on input */
	int event;		/* enum bus_event, to log or to tell the session */
	struct bus_dev *event_dev;
};

struct bus {
	int mode; /* enum bus_mode */
	struct bus_params par;
	struct bus_dev *dev[BUS_MAX_DEVICES];
	size_t ndev;
	size_t rr;	     /* where the round robin continues */
	int state;	     /* internal: idle, turn, wait for reply, gap */
	struct bus_dev *cur; /* addressed device (turn, wait) */
	uint64_t deadline;   /* reply deadline, or end of the gap */
	uint64_t hard_deadline;
	uint64_t turns, timeouts;
};

/* Start an empty bus. par is copied. */
void bus_init(struct bus *b, int mode, const struct bus_params *par);
/* Register d (d->addr and d->arg set by the caller); the scheduler's
 * fields are reset and the first poll is due at now. Fails (-1) when the
 * bus is full, the address is taken, or an RS232 bus has its device. */
int bus_add(struct bus *b, struct bus_dev *d, uint64_t now);
/* Forget d. If a reply from d is awaited, the line stays reserved until
 * its deadline (the reply may still come). */
void bus_remove(struct bus *b, struct bus_dev *d);
/* The port was (re)opened: forget any outstanding request. */
void bus_reset(struct bus *b, uint64_t now);

/* The session has (or no longer has) downstream data for d. */
void bus_set_pending(struct bus *b, struct bus_dev *d, bool pending);
/* The session sent d a handshake message that d needs long to process
 * (busy = true), or d's answer arrived or the handshake ended (false). */
void bus_set_handshake(struct bus *b, struct bus_dev *d, bool busy, uint64_t now);

/* What to do now. After a SEND the caller must call bus_sent() or
 * bus_cancel() before calling bus_next() again. */
void bus_next(struct bus *b, uint64_t now, struct bus_action *a);
/* The frame of the last SEND (wire_bytes long) was handed to the port. */
void bus_sent(struct bus *b, uint64_t now, size_t wire_bytes);
/* The frame of the last SEND could not be sent (port gone, no room). */
void bus_cancel(struct bus *b);
/* Bytes arrived on the line (before they make a whole frame). */
void bus_rx(struct bus *b, uint64_t now);
/* A valid frame from d arrived. Returns 1 if it was the awaited reply and
 * d came back up, 0 for the awaited reply (or any frame on RS232), -1 if
 * no reply from d was awaited (late or unsolicited: counted, ignored). */
int bus_reply(struct bus *b, struct bus_dev *d, uint64_t now);

/* Milliseconds one frame of wire_bytes needs on the line (rounded up). */
uint64_t bus_airtime_ms(const struct bus *b, size_t wire_bytes);

const char *bus_event_name(int ev);

#endif
