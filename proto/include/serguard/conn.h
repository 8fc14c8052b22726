/*
 * serguard protocol core: the session engine, one per peer.
 *
 * struct sg_conn ties the layers together: link framing (frame.h), the
 * handshake transport (flight.h), EDHOC (edhoc.h), the record layer
 * (record.h) and every timer. It is sans-I/O and allocation-free: the
 * caller owns the struct and every buffer (struct sg_conn_buffers), and
 * drives it with
 *
 *   bytes from the line   -> sg_conn_wire_push()       (or sg_conn_frame_push()
 *                                                       with frames already decoded)
 *   bytes for the line    <- sg_conn_wire_peek() / sg_conn_wire_ack()
 *   application messages  -> sg_conn_send(),  <- sg_conn_recv()
 *   time                  -> now_ms on every call, sg_conn_deadline() / sg_conn_tick()
 *   expensive crypto      -> sg_conn_work() when sg_conn_status() says SG_CONN_WANT_WORK
 *   wall clock            -> sg_conn_set_time() (certificate validity only)
 *
 * A firmware main loop (see proto/examples/) is: UART RX interrupt puts
 * bytes in a ring; the loop pushes them, calls work if wanted, writes
 * what peek gives, and ticks when the deadline passes. The gateway
 * daemon does the same from libuv callbacks.
 *
 * now_ms is a monotonic millisecond clock of the caller's choice (it
 * need not start at 0); it must not go backwards.
 *
 * Behaviour is specified in doc/PROTOCOL.md section 5.
 */
#ifndef SERGUARD_CONN_H
#define SERGUARD_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "serguard/cert.h"
#include "serguard/edhoc.h"
#include "serguard/flight.h"
#include "serguard/frame.h"
#include "serguard/msgq.h"
#include "serguard/record.h"
#include "serguard/sg.h"

/* Which end of the link this engine is (fixed by deployment). */
enum sg_conn_side {
	SG_CONN_GATEWAY = 0, /* sends direction bit 0 */
	SG_CONN_DEVICE = 1   /* sends direction bit 1 */
};

/* Who may start a handshake. */
enum sg_conn_start {
	SG_CONN_START_GATEWAY = 0, /* RS485: the gateway initiates, a device requests */
	SG_CONN_START_EITHER = 1,  /* RS232: either side initiates; the gateway's wins */
	SG_CONN_START_DEVICE = 2   /* RS232: the device initiates, the gateway requests */
};

/* Exporter labels (RFC 9528 private-use range) for the traffic secrets. */
#define SG_CONN_LABEL_I2R 32768u
#define SG_CONN_LABEL_R2I 32769u

struct sg_conn_config {
	enum sg_conn_side side;
	enum sg_conn_start start;
	/* A device on a multidrop bus: it sends exactly one frame in answer
	 * to each frame addressed to it, and nothing unasked. */
	bool bus;
	uint8_t addr;	     /* the device's bus address, 1..254 */
	size_t max_payload;  /* frame payload limit; 0 = SG_FRAME_DEFAULT_MAX_PAYLOAD */

	/*
	 * EDHOC settings: credentials, trust store, policy, identity
	 * callback, lookup, suites, methods, RNG. The engine copies this
	 * template and sets role and cid itself for each exchange; the
	 * pointers in it (credential bytes, private key, store) must stay
	 * valid while the engine is used.
	 */
	struct sg_edhoc_config edhoc;
	/* Record layer settings (window, limits, freshness, grace). addr,
	 * tx_dir and tag_len are set by the engine. */
	struct sg_record_config record;

	/* Timers (ms); 0 picks the default given in doc/PROTOCOL.md 5.2. */
	uint32_t hs_rto_ms;	      /* first retransmission timeout, 2000 */
	uint32_t hs_rto_max_ms;	      /* backoff cap, 16000 */
	uint32_t hs_busy_ms;	      /* timeout after the peer said BUSY, 10000 */
	uint32_t hs_timeout_ms;	      /* one exchange at most, 60000 */
	uint32_t hs_retry_ms;	      /* first wait before a new attempt, 2000 */
	uint32_t hs_retry_max_ms;     /* its cap, 300000 */
	uint32_t request_interval_ms; /* rate limit of request-started exchanges, 10000 */
	uint32_t interbyte_ms;	      /* a partial frame is dropped after this silence, 200 */
	uint64_t lifetime_ms;	      /* re-handshake after, 86400000 (24 h) */
	uint32_t fail_rehandshake;    /* consecutive failed records -> new exchange, 32 */
	uint32_t tx_max_age_ms;	      /* queued messages older than this are dropped, 0 = never */
	/* Compute handshake steps only in sg_conn_work() (a small MCU
	 * answers BUSY first); otherwise inside the push that completes a
	 * message. */
	bool defer_work;
};

/*
 * Memory the engine works in, all the caller's, alive and unmoved for as
 * long as the engine is used. Sizes:
 *   frame_rx:  SG_FRAME_DECODE_BUF_LEN(max_payload) (only for wire_push)
 *   wire_tx:   SG_FRAME_ENCODED_MAX(max_payload)
 *   scratch:   max_payload
 *   hs_rx:     the largest handshake message expected from the peer
 *              (SG_EDHOC_MSG2_MAX(cert_len, 0) covers a certificate by value)
 *   hs_tx:     the largest message this side sends (its own certificate)
 *   app_rx, app_tx: message queues (SG_MSGQ_BUF_LEN(n, max message))
 */
struct sg_conn_buffers {
	unsigned char *frame_rx;
	size_t frame_rx_len;
	unsigned char *wire_tx;
	size_t wire_tx_len;
	unsigned char *scratch;
	size_t scratch_len;
	unsigned char *hs_rx;
	size_t hs_rx_len;
	unsigned char *hs_tx;
	size_t hs_tx_len;
	unsigned char *app_rx;
	size_t app_rx_len;
	unsigned char *app_tx;
	size_t app_tx_len;
};

/* sg_conn_status() bits */
#define SG_CONN_ESTABLISHED 0x01u /* a session carries records */
#define SG_CONN_HANDSHAKING 0x02u /* an exchange is running */
#define SG_CONN_WANT_WRITE 0x04u  /* sg_conn_wire_peek() has bytes */
#define SG_CONN_WANT_WORK 0x08u	  /* call sg_conn_work() */
#define SG_CONN_READABLE 0x10u	  /* sg_conn_recv() has a message */
#define SG_CONN_WRITABLE 0x20u	  /* sg_conn_send() has room */
#define SG_CONN_CLOSED 0x40u	  /* closed by either side; sg_conn_start() to restart */
#define SG_CONN_PEER_BUSY 0x80u	  /* the peer said BUSY: it is computing a handshake
				     step (give it the longer handshake timeout) */

/* What happened, for operators and tests. Counters wrap at 2^32. */
struct sg_conn_stats {
	struct sg_frame_stats frame;   /* frames dropped by the decoder (wire_push) */
	struct sg_record_stats record; /* records, summed over every session */
	uint32_t frames_in, frames_out;
	uint32_t frames_unexpected;    /* kind not valid for this side/state */
	uint32_t bytes_out;
	uint32_t hs_started;	       /* exchanges this side began (as I) or answered (as R) */
	uint32_t hs_completed;
	uint32_t hs_failed;	       /* aborted: see last_hs_error */
	uint32_t hs_timeouts;
	uint32_t hs_retransmits;       /* flights resent */
	uint32_t hs_dup_answered;      /* repeated message answered from storage (E1, E4) */
	uint32_t hs_frags_ignored;     /* malformed, stale or foreign fragments */
	uint32_t hs_peer_errors;       /* EDHOC error messages received */
	uint32_t hs_lost_race;	       /* own exchange abandoned for the gateway's (5.1) */
	uint32_t requests_sent, requests_received;
	uint32_t requests_limited;     /* not acted upon: rate limit */
	uint32_t key_updates;	       /* own sending key updated */
	uint32_t app_in, app_out;      /* application messages delivered / sent */
	uint32_t app_bytes_in, app_bytes_out;
	uint32_t rx_queue_full;	       /* delivered records dropped: app_rx full */
	uint32_t tx_expired;	       /* queued messages dropped for age */
	uint32_t records_no_session;   /* RECORD frames while no session */
	uint32_t closes;
	int last_hs_error;	       /* SG_E* of the last failed exchange, 0 */
};

struct sg_conn {
	struct sg_conn_config cfg;
	struct sg_edhoc_config ecfg; /* the exchange's copy of cfg.edhoc */
	const struct sg_edhoc_config *user_edhoc;
	struct sg_conn_buffers b;
	struct sg_frame_decoder dec;
	struct sg_flight_rx frx;
	struct sg_flight_tx ftx;
	struct sg_msgq rxq, txq;
	struct sg_edhoc hs;
	struct sg_record rec;	   /* the live session */
	struct sg_record rec_next; /* I: the new session until confirmed */
	struct sg_record_stats rec_acc; /* counters of sessions that ended */
	struct sg_peer_cert peer, peer_pending;
	struct sg_conn_stats stats;

	uint64_t now;
	int64_t wall;		   /* wall clock for certificates */
	uint8_t hs_state;	   /* conn-level exchange state, see conn.c */
	uint8_t hs_role;	   /* enum sg_edhoc_role of the running exchange */
	uint8_t xid, last_xid;
	bool have_session;	   /* rec is live */
	bool closed;
	bool started;
	bool work_pending;
	bool may_send;		   /* bus device: the gateway gave us a turn */
	bool busy_due, request_due, close_due, pong_due, ping_due, ku_due, kureq_due,
		rehs_due;
	bool send_chain;	   /* peer lacks our certificate: send it by value */
	uint8_t suite_hint;	   /* suite learned from an error 2, 0 none */
	uint8_t hs_msg_type;	   /* type of the message in hs_tx (flight type) */
	size_t hs_tx_len;
	size_t msg_len;		   /* the received message being processed */
	size_t wire_len, wire_off;  /* encoded frame in b.wire_tx */
	unsigned char h_m1[SG_SHA256_LEN]; /* hash of the exchange's message_1 */
	unsigned char h_m3[SG_SHA256_LEN]; /* hash of the exchange's message_3 */
	uint32_t rto;		   /* current retransmission timeout */
	uint32_t retry;		   /* current wait before a new attempt */
	uint32_t fail_run;	   /* consecutive records that failed to open */
	uint32_t req_interval;	   /* current rate limit of request-started exchanges */
	bool by_request;	   /* the running exchange was started by a REQUEST */
	uint64_t t_rto;		   /* retransmit the current flight */
	uint64_t t_expire;	   /* abandon the exchange */
	uint64_t t_retry;	   /* start a new exchange (I) / request one (R) */
	uint64_t t_request_ok;	   /* earliest request-started exchange (rate limit) */
	uint64_t t_lifetime;	   /* the session's end */
	uint64_t t_last_byte;	   /* last byte pushed (inter-byte timeout) */
	uint64_t t_msg_rx;	   /* when the message being processed arrived */
	uint64_t t_peer_busy;	   /* the peer's BUSY holds until then */
	uint64_t t_kureq;	   /* earliest next KEY_UPDATE request (rate limit) */
	uint64_t t_rehs;	   /* earliest next REHANDSHAKE record (rate limit) */
	uint64_t t_m1_ok;	   /* R: earliest next message_2 computed (rate limit) */
	bool want_exchange;	   /* start one at t_retry */
	int error;		   /* sticky fatal error (configuration) */
};

/*
 * Set up the engine. cfg is copied (its pointers are not: see the
 * struct). Fails with SG_ECONFIG (invalid configuration), SG_ENOSPC (a
 * buffer too small for max_payload). Nothing is sent before
 * sg_conn_start().
 */
int sg_conn_init(struct sg_conn *c, const struct sg_conn_config *cfg,
		 const struct sg_conn_buffers *b, uint64_t now_ms);

/* Begin: an initiator-capable side starts an exchange, a bus device asks
 * for one. Also restarts a closed engine. */
int sg_conn_start(struct sg_conn *c, uint64_t now_ms);

/* Wall-clock time for certificate validity (seconds since the epoch,
 * or SG_TIME_UNKNOWN: then cfg.edhoc.cert_policy.notime applies). */
void sg_conn_set_time(struct sg_conn *c, int64_t unix_s);

/* Bytes from the line. Never fails on bad input (dropped, counted);
 * SG_EINVAL only for bad arguments. */
int sg_conn_wire_push(struct sg_conn *c, const unsigned char *in, size_t len,
		      uint64_t now_ms);
/* A frame already decoded by the caller (the gateway decodes a bus once
 * and routes by address). The frame's address must be the engine's. */
int sg_conn_frame_push(struct sg_conn *c, const struct sg_frame *f, uint64_t now_ms);

/* Bytes to write to the line: the rest of the current encoded frame (0
 * when there is nothing). *p stays valid until the next call. */
size_t sg_conn_wire_peek(struct sg_conn *c, const unsigned char **p, uint64_t now_ms);
/* n bytes of what peek gave were written. */
void sg_conn_wire_ack(struct sg_conn *c, size_t n);

/* Run the pending handshake computation (SG_CONN_WANT_WORK). */
int sg_conn_work(struct sg_conn *c, uint64_t now_ms);

/*
 * Queue one application message (len <= sg_conn_max_message()). It is
 * sealed when it is sent, under the keys of that moment. SG_EFULL when
 * the queue has no room now, SG_ETOOBIG when len can never fit,
 * SG_ECLOSED after a close.
 */
int sg_conn_send(struct sg_conn *c, const void *msg, size_t len, uint64_t now_ms);
/* Take the oldest received message: copies it into buf (cap bytes) and
 * sets *len. SG_EAGAIN when none, SG_ENOSPC when cap is too small (the
 * message stays). */
int sg_conn_recv(struct sg_conn *c, void *buf, size_t cap, size_t *len);
/* Largest application message. */
size_t sg_conn_max_message(const struct sg_conn *c);

/* Next time sg_conn_tick() has work; UINT64_MAX when none. */
uint64_t sg_conn_deadline(const struct sg_conn *c);
void sg_conn_tick(struct sg_conn *c, uint64_t now_ms);

unsigned sg_conn_status(const struct sg_conn *c);
/* A snapshot of the counters (record counters summed over sessions). */
void sg_conn_get_stats(const struct sg_conn *c, struct sg_conn_stats *out);
/* The authenticated peer of the live session (NULL when none). */
const struct sg_peer_cert *sg_conn_peer(const struct sg_conn *c);
/* The record layer's status bits (key phase etc.) for operators. */
const struct sg_record *sg_conn_record(const struct sg_conn *c);

/* Operator: start a new exchange now (initiator) or request one. The
 * live session keeps working until the new one is authenticated. */
int sg_conn_rehandshake(struct sg_conn *c, uint64_t now_ms);
/* Send an authenticated CLOSE and end the session. */
int sg_conn_close(struct sg_conn *c, uint64_t now_ms);

/* Wipe every secret; c is unusable until sg_conn_init(). */
void sg_conn_wipe(struct sg_conn *c);

#endif
