/*
 * serguardd: one secure session per configured device.
 *
 * A link holds a device's session engine (struct sg_conn, proto/conn.h)
 * with its buffers, its place on the bus (struct bus_dev, scheduled by
 * its line), the device's local socket (client.c, optional) and the
 * counters an operator sees. The line (line.c) calls three functions:
 *
 *   link_input()  a good frame from the device arrived: sg_conn_frame_push;
 *   link_turn()   the bus grants the device a turn: the engine's next
 *                 frame, or an empty POLL when it has nothing to say;
 *   link_pump()   drive the engine: work, timers, messages to and from the
 *                 clients, what the bus must know (pending data, a device
 *                 busy with a handshake step); returns when to be called
 *                 again.
 *
 * Application messages: a client's message goes to the engine's send
 * queue (link_send), which holds at most queue_max messages; messages
 * that wait longer than queue_max_age_ms there (the session is down, the
 * device does not answer) are dropped and counted. When the queue is
 * full link_send refuses and the client socket stops reading (the
 * clients' writes then wait in their socket buffers: backpressure, no
 * loss). Messages from the device go to every connected client; while no
 * client is connected they wait in the engine's receive queue under the
 * same two limits, and go to the first clients that connect.
 *
 * Everything that is dropped is counted by reason (struct link_drops)
 * and visible through serguardctl.
 */
#ifndef SERGUARDD_LINK_H
#define SERGUARDD_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "daemon/bus.h"
#include "daemon/config.h"
#include "daemon/log.h"
#include "serguard/conn.h"
#include "serguard/frame.h"

struct line;
struct cred;
struct client_sock;

/* Application messages not delivered, by reason. */
struct link_drops {
	/* client -> device */
	uint64_t oversize;	/* longer than the device's message limit: refused */
	uint64_t empty;		/* zero-length, either way: SOCK_SEQPACKET readers
				 * cannot tell it from the end of the connection */
	uint64_t tx_expired;	/* waited longer than queue_max_age_ms for the session */
	uint64_t discarded;	/* still queued when the device was stopped */
	/* device -> client */
	uint64_t rx_expired;	/* waited longer than queue_max_age_ms for a client */
	uint64_t rx_oversize;	/* longer than max_message */

	uint64_t slow_client;	/* lost with a client disconnected for not reading */
};

/* The engine's 32-bit counters, widened to 64 bits (they wrap at 2^32 in
 * the engine; here they only grow). */
struct link_counters {
	uint64_t app_in, app_out, app_bytes_in, app_bytes_out;
	uint64_t frames_in, frames_out, bytes_out;
	uint64_t hs_started, hs_completed, hs_failed, hs_timeouts, hs_retransmits;
	uint64_t hs_peer_errors, requests_received, key_updates, closes;
	uint64_t tx_expired, rx_queue_full, records_no_session;
	uint64_t rec_delivered, rec_too_short, rec_too_long, rec_bad_header, rec_replay,
		rec_too_old, rec_wrong_phase, rec_limit, rec_bad_tag, rec_stale, rec_future;
};

struct link {
	char *name;
	const struct cfg_device *cf; /* the running configuration's section */
	struct line *line;	     /* set while on a line (line_add) */
	struct bus_dev bd;	     /* bd.addr = cf->address, bd.arg = this link */
	uint64_t deadline;	     /* link_pump() wants to run again at (BUS_NEVER) */
	uint64_t frames_in;	     /* frames from the device */
	uint64_t frames_dropped;     /* ... that the engine refused (wrong address) */
	uint64_t turns;		     /* frames built for the bus */
	uint64_t records_in;	     /* RECORD frames from the device (before checks) */
	uint64_t records_out;	     /* RECORD frames sent */

	struct sg_conn conn;
	unsigned char *mem;	     /* every buffer of the engine, one allocation */
	size_t mem_len;
	unsigned char *rxmsg;	     /* one received message (max_plaintext) */
	size_t rxmsg_cap;
	struct cred *cred;	     /* the credential the engine points to */
	struct cred *cred_next;	     /* switch to it when no exchange runs */
	struct client_sock *cs;	     /* the device socket, NULL when none */

	uint32_t queue_max;
	uint32_t max_age_ms;
	size_t max_message;	     /* what a client may send: min(max_message, one frame) */

	unsigned status;	     /* sg_conn_status() at the last pump */
	bool up;		     /* a session is live */
	bool hs_busy;		     /* told the bus */
	bool pending;		     /* told the bus */
	bool was_writable;
	bool closing;		     /* link_close() was called */
	struct sg_conn_stats snap;   /* engine counters at the last widening */
	struct link_counters n;
	struct link_drops drops;
	int suite;		     /* EDHOC suite of the live session */
	char peer_cn[65];	     /* subject CN of the live session's peer */
	char peer[256];		     /* its identity, as cred_peer_format() */
	char refused[256];	     /* the last certificate refused by identity */
	time_t last_handshake;	     /* wall clock of the last completed exchange, 0 */
	time_t up_since;	     /* wall clock the session came up, 0 */
	time_t refused_at;
	int last_error;		     /* SG_E* of the last failed exchange */
	struct log_rate rl_fail;     /* failed handshakes */
	struct log_rate rl_refused;  /* identities refused */
	struct log_rate rl_oversize;
};

/*
 * A link for device cf (not copied: re-point l->cf when a reload keeps the
 * device), with the daemon-wide settings g (copied), using credential
 * cred (a reference is taken). The engine is set up and started: as the
 * initiator on an rs485 port and with role initiator, as responder with
 * role responder, and either way with role auto. NULL (logged) on
 * failure. Put it on its port's line with line_add().
 */
struct link *link_new(const struct cfg_device *cf, const struct cfg_global *g,
		      struct cred *cred, uint64_t now);
/* Take it off its line first (line_remove) and detach its socket. Queued
 * messages are counted as discarded (and logged) before they are wiped
 * with the engine. */
void link_free(struct link *l);

/* A good frame from the device (CRC checked, direction device to gateway,
 * this device's address), as the line's decoder delivered it: f and its
 * payload are valid during the call only. */
void link_input(struct link *l, const struct sg_frame *f, uint64_t now);

/*
 * The bus grants the device a turn: write the one frame to send into out
 * (cap bytes, at least SG_FRAME_ENCODED_MAX of the port's max_frame) and
 * set *len. data is true when the bus expects the pending data the link
 * announced with bus_set_pending(), false for a poll. Returns 0, or -1
 * to give the turn up (nothing to send on a point-to-point link).
 */
int link_turn(struct link *l, bool data, unsigned char *out, size_t cap, size_t *len,
	      uint64_t now);

/*
 * Drive the session: the one place where the engine runs (work, tick),
 * where received messages go to the clients (or wait, or expire), where
 * queued messages expire, where session events are logged, and where the
 * bus learns of pending data (bus_set_pending) and of a device busy with
 * a handshake step (bus_set_handshake). Kicks the line when the bus must
 * look again. Sets and returns l->deadline, the next time it wants to
 * run (BUS_NEVER: none).
 */
uint64_t link_pump(struct link *l, uint64_t now);

/* ---- for the device socket (client.c) and the control socket ---------------- */

/* Attach (or, with NULL, detach) the device socket. */
void link_set_clients(struct link *l, struct client_sock *cs);
/* Whether link_send() would take a message now. */
bool link_can_send(const struct link *l);
/* Queue one message from a client: 0 taken; -1 no room now (stop reading
 * and wait for client_sock_resume()); -2 longer than l->max_message
 * (refused and counted as oversize). */
int link_send(struct link *l, const unsigned char *msg, size_t len, uint64_t now);
/* A client's message of len bytes was refused for its length (0, or
 * longer than max_message): count and log it. */
void link_refuse(struct link *l, size_t len, uint64_t now);
/* Messages queued for the device, and received ones waiting for a client. */
uint32_t link_tx_queued(const struct link *l);
uint32_t link_rx_queued(const struct link *l);

/* Operator: a new handshake now (the live session keeps working until the
 * new one is authenticated). */
void link_rehandshake(struct link *l, uint64_t now);
/* Use this credential from the next exchange on (a reference is taken). */
void link_set_cred(struct link *l, struct cred *c);
/* Send CLOSE on the live session (if any) and start nothing new. */
void link_close(struct link *l, uint64_t now);
/* Nothing left to send: the CLOSE is out of the engine (or there was no
 * session), or the link cannot send at all (no line, port down). */
bool link_flushed(const struct link *l);
/* Refresh l->n from the engine's counters. */
void link_update_counters(struct link *l);

/* "up", "handshaking", "down", "closed": the session's state in words. */
const char *link_state_name(const struct link *l);

#endif
