/*
 * The session engine (serguard/conn.h; behaviour in doc/PROTOCOL.md 5).
 *
 * Implementation notes:
 * - Input never fails: every frame, fragment or record that is
 *   malformed, stale, foreign or unauthenticated is dropped and counted.
 *   Only argument errors come back to the caller.
 * - The exchange is tracked by a small conn-level state (hs_state) on
 *   top of the EDHOC engine's own, because the transport needs to know
 *   what to answer from storage: R answers a repeated message_1 with its
 *   stored message_2 and a repeated message_3 with its stored message_4,
 *   compared by hash, and never computes twice (E1, E4).
 * - The initiator keeps its live session (rec) while an exchange runs
 *   and holds the new one in rec_next until message_4, or a record of R
 *   that verifies under it, confirms it. Meanwhile it sends no
 *   application records: R switches at message_3, so anything I sealed
 *   under the old keys after message_3 would be lost, and anything under
 *   the new keys before message_3 arrived would be too.
 * - Output is produced one frame at a time, when the caller asks, in a
 *   fixed priority: transport control (BUSY, REQUEST), the handshake
 *   flight, CLOSE, record-layer control, application data, and on a bus
 *   an empty POLL meaning "nothing". Records are sealed at that moment,
 *   so queued messages go out under the keys current when they leave.
 * - Every timer is a field t_*; sg_conn_deadline() is their minimum and
 *   sg_conn_tick() runs the ones due.
 */
#include <string.h>

#include "serguard/cbor.h"
#include "serguard/conn.h"

/* Conn-level exchange states. */
enum {
	HS_NONE = 0,	/* no exchange */
	HS_I_WAIT_M2,	/* I: message_1 sent */
	HS_I_WORK_M2,	/* I: message_2 received, computing */
	HS_I_WAIT_M4,	/* I: message_3 sent, new session tentative */
	HS_R_WORK_M1,	/* R: message_1 received, computing */
	HS_R_WAIT_M3,	/* R: message_2 sent */
	HS_R_WORK_M3,	/* R: message_3 received, computing */
	HS_R_DONE	/* R: message_4 sent; answers repeats of message_3 */
};

#define NEVER UINT64_MAX

static uint32_t or_default(uint32_t v, uint32_t d)
{
	return v != 0 ? v : d;
}

static uint64_t add_ms(uint64_t t, uint64_t d)
{
	return t > NEVER - d ? NEVER : t + d;
}

/* The side named by cfg.start initiates; EITHER lets both. */
static bool can_initiate(const struct sg_conn *c)
{
	if (c->cfg.side == SG_CONN_GATEWAY)
		return c->cfg.start != SG_CONN_START_DEVICE;
	return c->cfg.start != SG_CONN_START_GATEWAY;
}

static bool can_respond(const struct sg_conn *c)
{
	if (c->cfg.side == SG_CONN_GATEWAY)
		return c->cfg.start != SG_CONN_START_GATEWAY;
	return c->cfg.start != SG_CONN_START_DEVICE;
}

/* Who starts a new exchange while a session is live (lifetime, limits):
 * one side only, so both never race for it. */
static bool renews(const struct sg_conn *c)
{
	if (c->cfg.start == SG_CONN_START_DEVICE)
		return c->cfg.side == SG_CONN_DEVICE;
	return c->cfg.side == SG_CONN_GATEWAY;
}

static uint8_t tx_dir(const struct sg_conn *c)
{
	return c->cfg.side == SG_CONN_GATEWAY ? SG_FRAME_FROM_GATEWAY : SG_FRAME_FROM_DEVICE;
}

static bool exchange_running(const struct sg_conn *c)
{
	return c->hs_state != HS_NONE && c->hs_state != HS_R_DONE;
}

/* ---- identity: remember who the peer is once EDHOC accepts it ----------- */

static int identity_cb(void *ctx, const struct sg_peer_cert *peer)
{
	struct sg_conn *c = ctx;
	int rc;

	rc = c->user_edhoc->check_identity(c->user_edhoc->identity_ctx, peer);
	if (rc == 0)
		c->peer_pending = *peer;
	return rc;
}

/* ---- sessions ------------------------------------------------------------ */

static void acc_stats(struct sg_record_stats *acc, const struct sg_record_stats *s)
{
	acc->delivered += s->delivered;
	acc->too_short += s->too_short;
	acc->too_long += s->too_long;
	acc->bad_header += s->bad_header;
	acc->replay += s->replay;
	acc->too_old += s->too_old;
	acc->wrong_phase += s->wrong_phase;
	acc->limit += s->limit;
	acc->bad_tag += s->bad_tag;
	acc->stale += s->stale;
	acc->future += s->future;
	acc->clock_steps += s->clock_steps;
}

static void end_session(struct sg_conn *c)
{
	if (c->have_session)
		acc_stats(&c->rec_acc, &c->rec.stats);
	sg_record_wipe(&c->rec);
	c->have_session = false;
	c->fail_run = 0;
	c->pong_due = c->ping_due = c->ku_due = c->kureq_due = c->rehs_due = false;
	c->t_lifetime = NEVER;
	c->t_kureq = c->t_rehs = 0;
}

/* Derive the two traffic secrets from the finished exchange and set up
 * a record layer in r. */
static int derive_session(struct sg_conn *c, struct sg_record *r, uint64_t anchor)
{
	unsigned char i2r[SG_RECORD_SECRET_LEN], r2i[SG_RECORD_SECRET_LEN];
	struct sg_record_config rc = c->cfg.record;
	int err;

	rc.addr = c->cfg.addr;
	rc.tx_dir = tx_dir(c);
	rc.tag_len = sg_edhoc_suite(&c->hs) == SG_EDHOC_SUITE_3 ? 16u : 8u;
	err = sg_edhoc_exporter(&c->hs, SG_CONN_LABEL_I2R, NULL, 0, i2r, sizeof(i2r));
	if (err == 0)
		err = sg_edhoc_exporter(&c->hs, SG_CONN_LABEL_R2I, NULL, 0, r2i, sizeof(r2i));
	if (err == 0) {
		if (c->hs_role == SG_EDHOC_INITIATOR)
			err = sg_record_init(r, &rc, i2r, r2i, anchor);
		else
			err = sg_record_init(r, &rc, r2i, i2r, anchor);
	}
	sg_wipe(i2r, sizeof(i2r));
	sg_wipe(r2i, sizeof(r2i));
	return err;
}

/* The new session becomes the live one. */
static void install_session(struct sg_conn *c, struct sg_record *fresh)
{
	end_session(c);
	if (fresh != &c->rec) {
		c->rec = *fresh;
		sg_wipe(fresh, sizeof(*fresh));
	}
	c->have_session = true;
	c->closed = false;
	c->peer = c->peer_pending;
	c->t_lifetime = add_ms(c->now, c->cfg.lifetime_ms);
	c->retry = c->cfg.hs_retry_ms;
	c->req_interval = c->cfg.request_interval_ms;
	c->by_request = false;
	c->want_exchange = false;
	c->t_retry = NEVER;
	c->stats.hs_completed++;
}

/* ---- exchanges ----------------------------------------------------------- */

static uint8_t new_xid(struct sg_conn *c)
{
	unsigned char b = 0;

	if (c->cfg.edhoc.rng(c->cfg.edhoc.rng_ctx, &b, 1) != 0)
		b = (unsigned char)(c->last_xid + 1);
	if (b == c->last_xid)
		b = (unsigned char)(b + 1);
	c->last_xid = b;
	return b;
}

static void clear_exchange(struct sg_conn *c)
{
	sg_edhoc_wipe(&c->hs);
	sg_record_wipe(&c->rec_next);
	sg_flight_rx_reset(&c->frx);
	c->hs_state = HS_NONE;
	c->work_pending = false;
	c->busy_due = false;
	c->t_rto = NEVER;
	c->t_expire = NEVER;
	c->ftx.done = true;
	c->hs_tx_len = 0;
}

/* An exchange failed: forget it and, where this side initiates, plan the
 * next attempt with backoff. The side that renews live sessions also
 * retries a failed renewal: its trigger (the lifetime) fires once, and
 * the old session must not outlive it for good because one exchange
 * was lost or spoiled. */
static void fail_exchange(struct sg_conn *c, int err)
{
	c->stats.hs_failed++;
	c->stats.last_hs_error = err;
	if (c->by_request) {
		c->by_request = false;
		c->req_interval = c->req_interval > c->cfg.hs_retry_max_ms / 2
					  ? c->cfg.hs_retry_max_ms
					  : c->req_interval * 2;
	}
	clear_exchange(c);
	if (!c->have_session || (can_initiate(c) && renews(c))) {
		c->want_exchange = true;
		c->t_retry = add_ms(c->now, c->retry);
		c->retry = c->retry > c->cfg.hs_retry_max_ms / 2 ? c->cfg.hs_retry_max_ms
								  : c->retry * 2;
	}
}

/* Queue our stored handshake message (hs_tx) as the current flight. */
static int send_stored(struct sg_conn *c, uint8_t type)
{
	int err;

	err = sg_flight_tx_init(&c->ftx, type, c->xid, c->b.hs_tx, c->hs_tx_len,
				c->cfg.max_payload);
	c->hs_msg_type = type;
	return err;
}

/* After a failed EDHOC processing step: send the error message RFC 9528
 * calls for, if any, then fail the exchange. */
static void abort_with_error(struct sg_conn *c, int err)
{
	size_t n = 0;

	if (sg_edhoc_write_error(&c->hs, c->b.hs_tx, c->b.hs_tx_len, &n) == 0 && n > 0) {
		uint8_t xid = c->xid;

		c->hs_tx_len = n;
		fail_exchange(c, err);
		/* the error goes out after the exchange is forgotten */
		c->xid = xid;
		c->hs_tx_len = n;
		send_stored(c, SG_FLIGHT_ERROR);
		return;
	}
	fail_exchange(c, err);
}

static int edhoc_begin(struct sg_conn *c, enum sg_edhoc_role role)
{
	int err;

	sg_edhoc_wipe(&c->hs);
	c->ecfg = c->cfg.edhoc;
	c->ecfg.role = role;
	c->ecfg.check_identity = identity_cb;
	c->ecfg.identity_ctx = c;
	err = sg_edhoc_init(&c->hs, &c->ecfg);
	if (err != 0)
		return err;
	sg_edhoc_set_time(&c->hs, c->wall);
	if (c->send_chain && c->cfg.edhoc.cred.type == SG_EDHOC_CRED_X509)
		(void)sg_edhoc_set_id_cred(&c->hs, SG_EDHOC_ID_X5CHAIN);
	c->hs_role = (uint8_t)role;
	memset(&c->peer_pending, 0, sizeof(c->peer_pending));
	return 0;
}

/* I: write message_1 (after init or a retry) and send it. */
static int send_message_1(struct sg_conn *c)
{
	size_t n;
	int err;

	err = sg_edhoc_write_message_1(&c->hs, c->b.hs_tx, c->b.hs_tx_len, &n);
	if (err != 0)
		return err;
	c->hs_tx_len = n;
	c->xid = new_xid(c);
	c->hs_state = HS_I_WAIT_M2;
	c->rto = c->cfg.hs_rto_ms;
	c->t_rto = add_ms(c->now, c->rto);
	return send_stored(c, SG_FLIGHT_MSG1);
}

static void start_exchange(struct sg_conn *c)
{
	int err;

	clear_exchange(c);
	c->want_exchange = false;
	c->by_request = false;
	c->t_retry = NEVER;
	c->stats.hs_started++;
	err = edhoc_begin(c, SG_EDHOC_INITIATOR);
	if (err == 0 && c->suite_hint != 0)
		(void)sg_edhoc_set_suite(&c->hs, c->suite_hint);
	if (err == 0)
		err = send_message_1(c);
	if (err != 0) {
		fail_exchange(c, err);
		return;
	}
	c->t_expire = add_ms(c->now, c->cfg.hs_timeout_ms);
}

/* A responder-only side asks for an exchange; an initiator starts one. */
static void want_new_session(struct sg_conn *c)
{
	if (exchange_running(c))
		return;
	if (can_initiate(c) && (renews(c) || !c->have_session)) {
		start_exchange(c);
	} else if (c->have_session) {
		/* Authenticated, but the conditions that ask for it last until
		 * the new session: once per hs_rto_ms, not in every frame. */
		if (c->now >= c->t_rehs) {
			c->rehs_due = true;
			c->t_rehs = add_ms(c->now, c->cfg.hs_rto_ms);
		}
	} else if (c->now >= c->t_retry || c->t_retry == NEVER) {
		c->request_due = true;
		c->stats.requests_sent++;
		c->t_retry = add_ms(c->now, c->cfg.request_interval_ms);
		c->want_exchange = true;
	}
}

/* ---- handshake processing ------------------------------------------------ */

static void work_m1(struct sg_conn *c)
{
	size_t n;
	int err;

	c->work_pending = false;
	err = sg_edhoc_process_message_1(&c->hs, c->b.hs_rx, c->msg_len);
	if (err != 0) {
		abort_with_error(c, err);
		return;
	}
	/* message_2 costs a key pair, an ECDH and a signature: see on_message */
	c->t_m1_ok = add_ms(c->t_m1_ok > c->now ? c->t_m1_ok : c->now, c->cfg.hs_rto_ms);
	sg_flight_rx_reset(&c->frx);
	err = sg_edhoc_write_message_2(&c->hs, c->b.hs_tx, c->b.hs_tx_len, &n);
	if (err != 0) {
		fail_exchange(c, err);
		return;
	}
	c->hs_tx_len = n;
	c->hs_state = HS_R_WAIT_M3;
	send_stored(c, SG_FLIGHT_MSG2);
}

static void work_m2(struct sg_conn *c)
{
	size_t n;
	int err;

	c->work_pending = false;
	err = sg_edhoc_process_message_2(&c->hs, c->b.hs_rx, c->msg_len);
	if (err != 0) {
		abort_with_error(c, err);
		return;
	}
	sg_flight_rx_reset(&c->frx);
	err = sg_edhoc_write_message_3(&c->hs, c->b.hs_tx, c->b.hs_tx_len, &n);
	if (err == 0)
		err = derive_session(c, &c->rec_next, c->now);
	if (err != 0) {
		fail_exchange(c, err);
		return;
	}
	c->hs_tx_len = n;
	c->hs_state = HS_I_WAIT_M4;
	c->rto = c->cfg.hs_rto_ms;
	c->t_rto = add_ms(c->now, c->rto);
	send_stored(c, SG_FLIGHT_MSG3);
}

static void work_m3(struct sg_conn *c)
{
	size_t n;
	int err;

	c->work_pending = false;
	err = sg_sha256(c->b.hs_rx, c->msg_len, c->h_m3);
	if (err == 0)
		err = sg_edhoc_process_message_3(&c->hs, c->b.hs_rx, c->msg_len);
	if (err != 0) {
		abort_with_error(c, err);
		return;
	}
	sg_flight_rx_reset(&c->frx);
	/* The anchor is when message_3 arrived, not when the check ended:
	 * on a small MCU that is a second apart, and the initiator anchored
	 * when it sent message_3. */
	err = derive_session(c, &c->rec_next, c->t_msg_rx);
	if (err == 0)
		err = sg_edhoc_write_message_4(&c->hs, c->b.hs_tx, c->b.hs_tx_len, &n);
	if (err != 0) {
		fail_exchange(c, err);
		return;
	}
	install_session(c, &c->rec_next);
	c->hs_tx_len = n;
	c->hs_state = HS_R_DONE;
	c->t_rto = NEVER;
	c->t_expire = NEVER;
	send_stored(c, SG_FLIGHT_MSG4);
	/* Keep only what answering a repeated message_3 needs. */
	sg_edhoc_wipe(&c->hs);
}

/* I: the new session is confirmed (message_4, or a record of R under it). */
static void confirm(struct sg_conn *c)
{
	install_session(c, &c->rec_next);
	c->hs_state = HS_NONE;
	c->t_rto = NEVER;
	c->t_expire = NEVER;
	c->ftx.done = true;
	sg_edhoc_wipe(&c->hs);
}

static void work(struct sg_conn *c)
{
	switch (c->hs_state) {
	case HS_R_WORK_M1:
		work_m1(c);
		break;
	case HS_I_WORK_M2:
		work_m2(c);
		break;
	case HS_R_WORK_M3:
		work_m3(c);
		break;
	default:
		c->work_pending = false;
		break;
	}
}

/* G_X of a message_1 (its third item), NULL if it has none. */
static const unsigned char *g_x_of(const unsigned char *m, size_t len)
{
	struct sg_cbor_dec d;
	const unsigned char *g;
	size_t n;

	sg_cbor_dec_init(&d, m, len);
	if (sg_cbor_skip(&d, NULL, NULL) != 0 || sg_cbor_skip(&d, NULL, NULL) != 0 ||
	    sg_cbor_get_bstr(&d, &g, &n) != 0 || n != 32)
		return NULL;
	return g;
}

/* E5, G7: a message_1 carrying the ephemeral key of our own outstanding
 * message_1 (still in hs_tx) is ours, reflected, whatever else in it was
 * changed: it must not make us give up our exchange for it and answer
 * ourselves. */
static bool own_message_1(const struct sg_conn *c, size_t len)
{
	const unsigned char *mine, *theirs;

	if (c->hs_msg_type != SG_FLIGHT_MSG1 || c->hs_tx_len == 0)
		return false;
	mine = g_x_of(c->b.hs_tx, c->hs_tx_len);
	theirs = g_x_of(c->b.hs_rx, len);
	return mine != NULL && theirs != NULL && memcmp(mine, theirs, 32) == 0;
}

/* A complete message is in hs_rx: decide what it means here. */
static void on_message(struct sg_conn *c)
{
	struct sg_flight_rx *r = &c->frx;
	unsigned char h[SG_SHA256_LEN];
	int err;

	/* clear_exchange() below resets r: keep what we need of it */
	const uint8_t xid = r->xid;

	c->t_msg_rx = c->now;
	c->msg_len = r->len;
	c->t_peer_busy = 0; /* the peer's answer came */
	switch (r->type) {
	case SG_FLIGHT_MSG1:
		if (!can_respond(c))
			goto unexpected;
		if (c->hs_state == HS_I_WAIT_M2 || c->hs_state == HS_I_WAIT_M4 ||
		    c->hs_state == HS_I_WORK_M2) {
			/* Simultaneous start (5.1): the gateway's exchange wins. */
			if (c->cfg.side == SG_CONN_GATEWAY || own_message_1(c, r->len))
				goto ignore;
			c->stats.hs_lost_race++;
			clear_exchange(c);
		}
		if (sg_sha256(c->b.hs_rx, r->len, h) != 0)
			goto ignore;
		if (r->xid == c->xid && sg_ct_equal(h, c->h_m1, sizeof(h))) {
			if (c->hs_state == HS_R_WAIT_M3) {
				/* E1: answer from storage, compute nothing */
				c->stats.hs_dup_answered++;
				sg_flight_tx_rewind(&c->ftx);
				c->hs_msg_type = SG_FLIGHT_MSG2;
			}
			sg_flight_rx_reset(r);
			return;
		}
		if (c->hs_state == HS_R_WORK_M1 || c->hs_state == HS_R_WORK_M3)
			goto ignore;
		/* I2: anyone can send a message_1, and each new one costs a
		 * message_2 (a key pair, an ECDH and a signature; a second on a
		 * small MCU). A generic cell rate limit in one timestamp
		 * (t_m1_ok, the theoretical arrival time): bursts of two, then
		 * one per hs_rto_ms. An honest initiator whose message_1 is
		 * dropped here resends it within that time; a message_1 refused
		 * unread (an error answer) costs little and does not count. */
		if (c->t_m1_ok > c->now && c->t_m1_ok - c->now > c->cfg.hs_rto_ms)
			goto ignore;
		clear_exchange(c);
		err = edhoc_begin(c, SG_EDHOC_RESPONDER);
		if (err != 0) {
			c->error = err;
			return;
		}
		c->stats.hs_started++;
		memcpy(c->h_m1, h, sizeof(h));
		c->xid = xid;
		c->hs_state = HS_R_WORK_M1;
		c->t_expire = add_ms(c->now, c->cfg.hs_timeout_ms);
		c->work_pending = true;
		if (c->cfg.defer_work)
			c->busy_due = true;
		else
			work(c);
		return;
	case SG_FLIGHT_MSG2:
		if (c->hs_state != HS_I_WAIT_M2 || r->xid != c->xid)
			goto ignore;
		c->hs_state = HS_I_WORK_M2;
		c->t_rto = NEVER;
		c->work_pending = true;
		if (!c->cfg.defer_work)
			work(c);
		return;
	case SG_FLIGHT_MSG3:
		if (r->xid != c->xid)
			goto ignore;
		if (c->hs_state == HS_R_DONE) {
			if (sg_sha256(c->b.hs_rx, r->len, h) == 0 &&
			    sg_ct_equal(h, c->h_m3, sizeof(h))) {
				/* E4: repeated message_3, answer with the stored
				 * message_4; keys and counters untouched */
				c->stats.hs_dup_answered++;
				sg_flight_tx_rewind(&c->ftx);
				c->hs_msg_type = SG_FLIGHT_MSG4;
			}
			sg_flight_rx_reset(r);
			return;
		}
		if (c->hs_state != HS_R_WAIT_M3)
			goto ignore;
		c->hs_state = HS_R_WORK_M3;
		c->work_pending = true;
		if (c->cfg.defer_work)
			c->busy_due = true;
		else
			work(c);
		return;
	case SG_FLIGHT_MSG4:
		if (c->hs_state != HS_I_WAIT_M4 || r->xid != c->xid)
			goto ignore;
		err = sg_edhoc_process_message_4(&c->hs, c->b.hs_rx, r->len);
		sg_flight_rx_reset(r);
		if (err != 0) {
			fail_exchange(c, err);
			return;
		}
		confirm(c);
		return;
	case SG_FLIGHT_ERROR:
		if (r->xid != c->xid || !exchange_running(c) || c->work_pending)
			goto ignore;
		c->stats.hs_peer_errors++;
		err = sg_edhoc_process_error(&c->hs, c->b.hs_rx, r->len);
		sg_flight_rx_reset(r);
		if (err == SG_EPEERERR && c->hs_role == SG_EDHOC_INITIATOR &&
		    c->hs_state == HS_I_WAIT_M2) {
			int code = sg_edhoc_peer_error(&c->hs);

			/* ERR_CODE 2: retry with a suite the peer supports;
			 * 3: the peer lacks our certificate, send it whole. */
			if ((code == 2 || code == 3) && sg_edhoc_retry(&c->hs) == 0) {
				if (code == 3)
					c->send_chain = true;
				else
					c->suite_hint = (uint8_t)sg_edhoc_suite(&c->hs);
				if (send_message_1(c) == 0)
					return;
			}
		}
		if (err == SG_EPEERERR || err == 0)
			fail_exchange(c, SG_EPEERERR);
		return;
	default:
		break;
	}
unexpected:
	c->stats.frames_unexpected++;
	sg_flight_rx_reset(r);
	return;
ignore:
	c->stats.hs_frags_ignored++;
	sg_flight_rx_reset(r);
}

static void on_handshake_frame(struct sg_conn *c, const unsigned char *p, size_t len)
{
	struct sg_flight_hdr h;
	const unsigned char *data;
	size_t dlen;

	if (sg_flight_hdr_decode(p, len, &h, &data, &dlen) != 0) {
		c->stats.hs_frags_ignored++;
		return;
	}
	switch (h.type) {
	case SG_FLIGHT_REQUEST:
		c->stats.requests_received++;
		if (!can_initiate(c)) {
			c->stats.frames_unexpected++;
			return;
		}
		/* Unauthenticated: at most one exchange per interval, and the
		 * interval doubles while such exchanges fail (5.4). */
		if (exchange_running(c) || c->now < c->t_request_ok) {
			c->stats.requests_limited++;
			return;
		}
		c->t_request_ok = add_ms(c->now, c->req_interval);
		start_exchange(c);
		c->by_request = true;
		return;
	case SG_FLIGHT_BUSY:
		if ((c->hs_state == HS_I_WAIT_M2 || c->hs_state == HS_I_WAIT_M4) &&
		    h.xid == c->xid) {
			c->t_rto = add_ms(c->now, c->cfg.hs_busy_ms);
			c->t_peer_busy = c->t_rto;
		} else
			c->stats.hs_frags_ignored++;
		return;
	default:
		break;
	}
	if (c->work_pending) {
		/* hs_rx holds the message being computed on */
		c->stats.hs_frags_ignored++;
		return;
	}
	/* E9: while our exchange waits for the peer's next message, a
	 * fragment of another exchange (other xid) cannot be part of it and
	 * must not disturb the message being reassembled (a first fragment
	 * would restart it). Only a message_1 may start another exchange. */
	if ((c->hs_state == HS_I_WAIT_M2 || c->hs_state == HS_I_WAIT_M4 ||
	     c->hs_state == HS_R_WAIT_M3) &&
	    h.xid != c->xid && h.type != SG_FLIGHT_MSG1) {
		c->stats.hs_frags_ignored++;
		return;
	}
	if (sg_flight_rx_push(&c->frx, &h, data, dlen) == 1)
		on_message(c);
}

/* ---- records ------------------------------------------------------------- */

static void on_record_delivered(struct sg_conn *c, enum sg_record_kind kind,
				const unsigned char *pt, size_t n)
{
	c->fail_run = 0;
	switch (kind) {
	case SG_RECORD_APP:
		if (sg_msgq_push(&c->rxq, pt, n, c->now) != 0) {
			c->stats.rx_queue_full++;
			return;
		}
		c->stats.app_in++;
		c->stats.app_bytes_in += (uint32_t)n;
		return;
	case SG_RECORD_CLOSE:
		c->stats.closes++;
		end_session(c);
		clear_exchange(c);
		c->closed = true;
		c->want_exchange = false;
		c->t_retry = NEVER;
		return;
	case SG_RECORD_PING:
		c->pong_due = true;
		return;
	case SG_RECORD_REHANDSHAKE:
		if (can_initiate(c) && !exchange_running(c))
			start_exchange(c);
		return;
	default:
		/* KEY_UPDATE and PONG: the record layer did what they mean */
		return;
	}
}

static void on_record_frame(struct sg_conn *c, const unsigned char *p, size_t len)
{
	enum sg_record_kind kind;
	size_t n = 0;
	int err = SG_EAUTH;

	if (c->have_session) {
		err = sg_record_open(&c->rec, p, len, c->now, &kind, c->b.scratch,
				     c->b.scratch_len, &n);
		if (err == 0) {
			on_record_delivered(c, kind, c->b.scratch, n);
			return;
		}
	}
	if (c->hs_state == HS_I_WAIT_M4) {
		/* R switched at message_3: a record of R under the new keys
		 * confirms them as message_4 would (RFC 9528 5.4.2). */
		err = sg_record_open(&c->rec_next, p, len, c->now, &kind, c->b.scratch,
				     c->b.scratch_len, &n);
		if (err == 0) {
			confirm(c);
			on_record_delivered(c, kind, c->b.scratch, n);
			return;
		}
	}
	if (!c->have_session) {
		c->stats.records_no_session++;
		/* A peer that still has a session we lost: ask for a new one,
		 * unless an attempt is already planned (its timer keeps the
		 * pace: unauthenticated frames must not hurry it). */
		if (!exchange_running(c) && !c->closed && !c->want_exchange)
			want_new_session(c);
		return;
	}
	if (err == SG_EAUTH && ++c->fail_run >= c->cfg.fail_rehandshake) {
		c->fail_run = 0;
		if (c->now >= c->t_request_ok) {
			c->t_request_ok = add_ms(c->now, c->cfg.request_interval_ms);
			want_new_session(c);
		}
	}
}

/* ---- input ---------------------------------------------------------------- */

static void on_frame(struct sg_conn *c, const struct sg_frame *f)
{
	c->stats.frames_in++;
	if (c->cfg.side == SG_CONN_DEVICE && c->cfg.bus)
		c->may_send = true; /* one answer per frame addressed to us */
	switch (f->kind) {
	case SG_FRAME_POLL:
		return;
	case SG_FRAME_HANDSHAKE:
		on_handshake_frame(c, f->payload, f->len);
		return;
	case SG_FRAME_RECORD:
		on_record_frame(c, f->payload, f->len);
		return;
	default:
		c->stats.frames_unexpected++;
		return;
	}
}

int sg_conn_wire_push(struct sg_conn *c, const unsigned char *in, size_t len,
		      uint64_t now_ms)
{
	struct sg_frame f;
	size_t used;

	if (c == NULL || (in == NULL && len > 0) || c->b.frame_rx == NULL)
		return SG_EINVAL;
	c->now = now_ms;
	if (sg_frame_decoder_busy(&c->dec) &&
	    now_ms - c->t_last_byte > c->cfg.interbyte_ms)
		sg_frame_decoder_abort(&c->dec);
	if (len > 0)
		c->t_last_byte = now_ms;
	while (len > 0) {
		if (sg_frame_decoder_push(&c->dec, in, len, &used, &f) == 1)
			on_frame(c, &f);
		in += used;
		len -= used;
	}
	return 0;
}

int sg_conn_frame_push(struct sg_conn *c, const struct sg_frame *f, uint64_t now_ms)
{
	if (c == NULL || f == NULL || f->addr != c->cfg.addr)
		return SG_EINVAL;
	c->now = now_ms;
	on_frame(c, f);
	return 0;
}

/* ---- output ---------------------------------------------------------------- */

static int encode(struct sg_conn *c, uint8_t kind, const unsigned char *p, size_t n)
{
	int err = sg_frame_encode(c->b.wire_tx, c->b.wire_tx_len, &c->wire_len, c->cfg.addr,
				  (uint8_t)(tx_dir(c) | kind), p, n);

	c->wire_off = 0;
	if (err != 0) {
		c->wire_len = 0;
		return err;
	}
	c->stats.frames_out++;
	return 0;
}

static int encode_flight(struct sg_conn *c, uint8_t type)
{
	struct sg_flight_tx t;
	size_t n;

	if (sg_flight_tx_init(&t, type, c->xid, NULL, 0, c->cfg.max_payload) != 0 ||
	    sg_flight_tx_next(&t, c->b.scratch, c->b.scratch_len, &n) != 1)
		return SG_EINTERNAL;
	return encode(c, SG_FRAME_HANDSHAKE, c->b.scratch, n);
}

static int encode_record(struct sg_conn *c, enum sg_record_kind kind,
			 const unsigned char *pt, size_t len)
{
	size_t hl = sg_record_header_len(&c->rec), n;
	int err;

	if (len > 0)
		memmove(c->b.scratch + hl, pt, len);
	err = sg_record_seal(&c->rec, kind, len > 0 ? c->b.scratch + hl : NULL, len, c->now,
			     c->b.scratch, c->b.scratch_len, &n);
	if (err != 0)
		return err;
	return encode(c, SG_FRAME_RECORD, c->b.scratch, n);
}

/* Record-layer upkeep: key updates and the signals the layer raises. */
static void record_upkeep(struct sg_conn *c)
{
	unsigned st;

	if (!c->have_session)
		return;
	st = sg_record_status(&c->rec, c->now);
	if (st & (SG_RECORD_ST_UPDATE_DUE | SG_RECORD_ST_PEER_REQUEST)) {
		if (sg_record_key_update(&c->rec, c->now) == 0) {
			c->stats.key_updates++;
			c->ku_due = true;
		}
	}
	/* The exhaustion lasts until the peer's first record under its next
	 * key: ask once, and again only if that has not come within
	 * hs_rto_ms (the request may be lost), never in every frame (which
	 * filled the line and made the peer update twice). */
	if ((st & SG_RECORD_ST_RX_EXHAUSTED) && c->now >= c->t_kureq) {
		c->kureq_due = true;
		c->t_kureq = add_ms(c->now, c->cfg.hs_rto_ms);
	}
	if (st & SG_RECORD_ST_ECHO_DUE)
		c->ping_due = true;
	if (st & (SG_RECORD_ST_SEQ_EXHAUSTED | SG_RECORD_ST_CLOCK_SUSPECT |
		  SG_RECORD_ST_TX_BLOCKED))
		want_new_session(c);
}

/* Produce the next frame into wire_tx, if there is one to send. */
static void next_frame(struct sg_conn *c)
{
	const unsigned char *m;
	uint64_t t;
	size_t n;
	int len;

	if (c->wire_off < c->wire_len)
		return;
	c->wire_len = c->wire_off = 0;
	if (c->cfg.side == SG_CONN_DEVICE && c->cfg.bus && !c->may_send)
		return;
	if (c->busy_due) {
		c->busy_due = false;
		if (encode_flight(c, SG_FLIGHT_BUSY) == 0)
			goto sent;
	}
	if (c->request_due) {
		c->request_due = false;
		if (encode_flight(c, SG_FLIGHT_REQUEST) == 0)
			goto sent;
	}
	if (!c->ftx.done &&
	    sg_flight_tx_next(&c->ftx, c->b.scratch, c->b.scratch_len, &n) == 1) {
		if (encode(c, SG_FRAME_HANDSHAKE, c->b.scratch, n) == 0)
			goto sent;
	}
	if (c->have_session) {
		unsigned char b = 0;

		if (c->close_due) {
			c->close_due = false;
			if (encode_record(c, SG_RECORD_CLOSE, NULL, 0) == 0) {
				end_session(c);
				c->closed = true;
				goto sent;
			}
		}
		if (c->pong_due) {
			c->pong_due = false;
			if (encode_record(c, SG_RECORD_PONG, NULL, 0) == 0)
				goto sent;
		}
		if (c->kureq_due || c->ku_due) {
			b = c->kureq_due ? SG_RECORD_KU_REQUEST : 0;
			c->kureq_due = c->ku_due = false;
			if (encode_record(c, SG_RECORD_KEY_UPDATE, &b, 1) == 0)
				goto sent;
		}
		if (c->rehs_due) {
			c->rehs_due = false;
			if (encode_record(c, SG_RECORD_REHANDSHAKE, NULL, 0) == 0)
				goto sent;
		}
		/* While a new session is tentative the initiator holds its
		 * data (see the notes at the top). */
		while (c->hs_state != HS_I_WAIT_M4 &&
		       (len = sg_msgq_peek(&c->txq, &m, &t)) >= 0) {
			if (c->cfg.tx_max_age_ms != 0 && c->now - t > c->cfg.tx_max_age_ms) {
				c->stats.tx_expired++;
				sg_msgq_pop(&c->txq);
				continue;
			}
			if (encode_record(c, SG_RECORD_APP, m, (size_t)len) != 0)
				break;
			c->stats.app_out++;
			c->stats.app_bytes_out += (uint32_t)len;
			sg_msgq_pop(&c->txq);
			goto sent;
		}
		if (c->ping_due) {
			c->ping_due = false;
			if (encode_record(c, SG_RECORD_PING, NULL, 0) == 0)
				goto sent;
		}
	}
	if (c->cfg.side == SG_CONN_DEVICE && c->cfg.bus) {
		/* our turn and nothing to say: say so */
		if (encode(c, SG_FRAME_POLL, NULL, 0) == 0)
			goto sent;
	}
	return;
sent:
	c->may_send = false;
}

size_t sg_conn_wire_peek(struct sg_conn *c, const unsigned char **p, uint64_t now_ms)
{
	if (c == NULL || p == NULL)
		return 0;
	c->now = now_ms;
	record_upkeep(c);
	next_frame(c);
	*p = c->b.wire_tx + c->wire_off;
	return c->wire_len - c->wire_off;
}

void sg_conn_wire_ack(struct sg_conn *c, size_t n)
{
	if (c == NULL)
		return;
	if (n > c->wire_len - c->wire_off)
		n = c->wire_len - c->wire_off;
	c->wire_off += n;
	c->stats.bytes_out += (uint32_t)n;
}

/* ---- the rest of the API ------------------------------------------------- */

int sg_conn_init(struct sg_conn *c, const struct sg_conn_config *cfg,
		 const struct sg_conn_buffers *b, uint64_t now_ms)
{
	struct sg_conn_config k;
	size_t mp;
	int err;

	if (c == NULL || cfg == NULL || b == NULL)
		return SG_EINVAL;
	k = *cfg;
	if (k.addr < SG_FRAME_ADDR_MIN || k.addr > SG_FRAME_ADDR_MAX ||
	    (k.side != SG_CONN_GATEWAY && k.side != SG_CONN_DEVICE) ||
	    k.edhoc.check_identity == NULL || k.edhoc.rng == NULL ||
	    k.start > SG_CONN_START_DEVICE || (k.bus && k.start != SG_CONN_START_GATEWAY))
		return SG_ECONFIG;
	mp = k.max_payload != 0 ? k.max_payload : SG_FRAME_DEFAULT_MAX_PAYLOAD;
	if (mp <= SG_FLIGHT_HDR_LEN + 16 || mp > 4096)
		return SG_ECONFIG;
	k.max_payload = mp;
	/* A zeroed record configuration means the defaults. */
	if (k.record.window == 0)
		sg_record_config_default(&k.record, 8, k.addr,
					 k.side == SG_CONN_GATEWAY ? SG_FRAME_FROM_GATEWAY
								   : SG_FRAME_FROM_DEVICE);
	k.hs_rto_ms = or_default(k.hs_rto_ms, 2000);
	k.hs_rto_max_ms = or_default(k.hs_rto_max_ms, 16000);
	k.hs_busy_ms = or_default(k.hs_busy_ms, 10000);
	k.hs_timeout_ms = or_default(k.hs_timeout_ms, 60000);
	k.hs_retry_ms = or_default(k.hs_retry_ms, 2000);
	k.hs_retry_max_ms = or_default(k.hs_retry_max_ms, 300000);
	k.request_interval_ms = or_default(k.request_interval_ms, 10000);
	k.interbyte_ms = or_default(k.interbyte_ms, 200);
	k.fail_rehandshake = or_default(k.fail_rehandshake, 32);
	if (k.lifetime_ms == 0)
		k.lifetime_ms = 86400000u;
	if (b->wire_tx == NULL || b->wire_tx_len < SG_FRAME_ENCODED_MAX(mp) ||
	    b->scratch == NULL || b->scratch_len < mp || b->hs_rx == NULL ||
	    b->hs_tx == NULL || b->app_rx == NULL || b->app_tx == NULL ||
	    (b->frame_rx != NULL && b->frame_rx_len < SG_FRAME_DECODE_BUF_LEN(mp)))
		return SG_ENOSPC;

	memset(c, 0, sizeof(*c));
	c->cfg = k;
	c->user_edhoc = &c->cfg.edhoc;
	c->b = *b;
	c->now = now_ms;
	c->wall = k.edhoc.cert_policy.now;
	if (b->frame_rx != NULL) {
		/* Both sides filter the one address of this link (J5): a
		 * gateway's engine serves exactly one device, and a frame of
		 * another address is never its business (sg_conn_frame_push
		 * refuses one too). */
		err = sg_frame_decoder_init(&c->dec, b->frame_rx, b->frame_rx_len, mp,
					    k.side == SG_CONN_GATEWAY ? SG_FRAME_FROM_DEVICE
								      : SG_FRAME_FROM_GATEWAY,
					    k.addr);
		if (err != 0)
			return err;
	}
	if ((err = sg_flight_rx_init(&c->frx, b->hs_rx, b->hs_rx_len)) != 0 ||
	    (err = sg_msgq_init(&c->rxq, b->app_rx, b->app_rx_len)) != 0 ||
	    (err = sg_msgq_init(&c->txq, b->app_tx, b->app_tx_len)) != 0)
		return err;
	c->ftx.done = true;
	c->retry = k.hs_retry_ms;
	c->req_interval = k.request_interval_ms;
	c->t_rto = c->t_expire = c->t_retry = c->t_lifetime = NEVER;
	c->t_request_ok = 0;
	return 0;
}

int sg_conn_start(struct sg_conn *c, uint64_t now_ms)
{
	if (c == NULL)
		return SG_EINVAL;
	if (c->error != 0)
		return c->error;
	c->now = now_ms;
	c->started = true;
	c->closed = false;
	if (c->have_session || exchange_running(c))
		return 0;
	c->t_retry = NEVER;
	want_new_session(c);
	return 0;
}

void sg_conn_set_time(struct sg_conn *c, int64_t unix_s)
{
	if (c == NULL)
		return;
	c->wall = unix_s;
	if (exchange_running(c))
		sg_edhoc_set_time(&c->hs, unix_s);
}

int sg_conn_work(struct sg_conn *c, uint64_t now_ms)
{
	if (c == NULL)
		return SG_EINVAL;
	c->now = now_ms;
	if (c->work_pending)
		work(c);
	return c->error;
}

size_t sg_conn_max_message(const struct sg_conn *c)
{
	size_t oh;
	size_t i, tag = 8;

	if (c == NULL)
		return 0;
	/* the larger tag of any suite this side may end up with */
	for (i = 0; i < c->cfg.edhoc.n_suites && i < SG_EDHOC_SUITES_MAX; i++)
		if (c->cfg.edhoc.suites[i] == SG_EDHOC_SUITE_3)
			tag = 16;
	oh = SG_RECORD_OVERHEAD(tag, c->cfg.record.freshness);
	return c->cfg.max_payload > oh ? c->cfg.max_payload - oh : 0;
}

int sg_conn_send(struct sg_conn *c, const void *msg, size_t len, uint64_t now_ms)
{
	if (c == NULL || (msg == NULL && len > 0))
		return SG_EINVAL;
	if (c->closed)
		return SG_ECLOSED;
	if (len > sg_conn_max_message(c))
		return SG_ETOOBIG;
	c->now = now_ms;
	return sg_msgq_push(&c->txq, msg, len, now_ms);
}

int sg_conn_recv(struct sg_conn *c, void *buf, size_t cap, size_t *len)
{
	const unsigned char *m;
	int n;

	if (c == NULL || len == NULL || (buf == NULL && cap > 0))
		return SG_EINVAL;
	n = sg_msgq_peek(&c->rxq, &m, NULL);
	if (n < 0)
		return n;
	if ((size_t)n > cap)
		return SG_ENOSPC;
	if (n > 0)
		memcpy(buf, m, (size_t)n);
	*len = (size_t)n;
	sg_msgq_pop(&c->rxq);
	return 0;
}

uint64_t sg_conn_deadline(const struct sg_conn *c)
{
	uint64_t d = NEVER, t;

	if (c == NULL)
		return NEVER;
	if (c->t_rto < d)
		d = c->t_rto;
	if (c->t_expire < d)
		d = c->t_expire;
	if (c->want_exchange && c->t_retry < d)
		d = c->t_retry;
	if (c->have_session && c->t_lifetime < d)
		d = c->t_lifetime;
	if (c->have_session && (t = sg_record_deadline(&c->rec, c->now)) < d)
		d = t;
	/* a request repeated while its condition lasts (record_upkeep) */
	if (c->have_session && c->t_kureq > c->now && c->t_kureq < d)
		d = c->t_kureq;
	if (c->have_session && c->t_rehs > c->now && c->t_rehs < d)
		d = c->t_rehs;
	if (c->b.frame_rx != NULL && sg_frame_decoder_busy(&c->dec) &&
	    (t = add_ms(c->t_last_byte, c->cfg.interbyte_ms + 1)) < d)
		d = t;
	return d;
}

void sg_conn_tick(struct sg_conn *c, uint64_t now_ms)
{
	if (c == NULL)
		return;
	c->now = now_ms;
	if (c->b.frame_rx != NULL && sg_frame_decoder_busy(&c->dec) &&
	    now_ms - c->t_last_byte > c->cfg.interbyte_ms)
		sg_frame_decoder_abort(&c->dec); /* J1: a stalled partial frame */
	if (c->t_expire <= now_ms) {
		c->stats.hs_timeouts++;
		fail_exchange(c, SG_ETIMEOUT);
	}
	if (c->t_rto <= now_ms) {
		/* Resend the stored flight: never regenerate (RFC 9528 7). */
		c->stats.hs_retransmits++;
		sg_flight_tx_rewind(&c->ftx);
		c->rto = c->rto > c->cfg.hs_rto_max_ms / 2 ? c->cfg.hs_rto_max_ms : c->rto * 2;
		c->t_rto = add_ms(now_ms, c->rto);
	}
	if (c->want_exchange && c->t_retry <= now_ms && !c->closed) {
		c->t_retry = NEVER;
		want_new_session(c);
	}
	if (c->have_session && c->t_lifetime <= now_ms) {
		c->t_lifetime = NEVER;
		want_new_session(c);
	}
	if (c->have_session) {
		sg_record_tick(&c->rec, now_ms);
		record_upkeep(c);
	}
}

unsigned sg_conn_status(const struct sg_conn *c)
{
	unsigned st = 0;

	if (c == NULL)
		return 0;
	if (c->have_session)
		st |= SG_CONN_ESTABLISHED;
	if (exchange_running(c))
		st |= SG_CONN_HANDSHAKING;
	if (c->work_pending)
		st |= SG_CONN_WANT_WORK;
	if (c->rxq.count > 0)
		st |= SG_CONN_READABLE;
	if (!c->closed && sg_msgq_fits(&c->txq, sg_conn_max_message(c)))
		st |= SG_CONN_WRITABLE;
	if (c->closed)
		st |= SG_CONN_CLOSED;
	if (c->now < c->t_peer_busy && exchange_running(c))
		st |= SG_CONN_PEER_BUSY;
	if (c->wire_off < c->wire_len || c->busy_due || c->request_due || !c->ftx.done ||
	    (c->have_session && (c->close_due || c->pong_due || c->ku_due || c->kureq_due ||
				 c->rehs_due || c->ping_due ||
				 (c->txq.count > 0 && c->hs_state != HS_I_WAIT_M4))))
		st |= SG_CONN_WANT_WRITE;
	if (c->cfg.side == SG_CONN_DEVICE && c->cfg.bus) {
		st &= ~SG_CONN_WANT_WRITE;
		if (c->may_send || c->wire_off < c->wire_len)
			st |= SG_CONN_WANT_WRITE;
	}
	return st;
}

void sg_conn_get_stats(const struct sg_conn *c, struct sg_conn_stats *out)
{
	if (c == NULL || out == NULL)
		return;
	*out = c->stats;
	out->frame = c->dec.stats;
	out->record = c->rec_acc;
	if (c->have_session)
		acc_stats(&out->record, &c->rec.stats);
}

const struct sg_peer_cert *sg_conn_peer(const struct sg_conn *c)
{
	return c != NULL && c->have_session ? &c->peer : NULL;
}

const struct sg_record *sg_conn_record(const struct sg_conn *c)
{
	return c != NULL && c->have_session ? &c->rec : NULL;
}

int sg_conn_rehandshake(struct sg_conn *c, uint64_t now_ms)
{
	if (c == NULL)
		return SG_EINVAL;
	c->now = now_ms;
	if (exchange_running(c))
		return 0;
	if (can_initiate(c))
		start_exchange(c);
	else
		want_new_session(c);
	return 0;
}

int sg_conn_close(struct sg_conn *c, uint64_t now_ms)
{
	if (c == NULL)
		return SG_EINVAL;
	c->now = now_ms;
	clear_exchange(c);
	c->want_exchange = false;
	c->t_retry = NEVER;
	if (c->have_session)
		c->close_due = true;
	else
		c->closed = true;
	return 0;
}

void sg_conn_wipe(struct sg_conn *c)
{
	if (c == NULL)
		return;
	sg_edhoc_wipe(&c->hs);
	sg_record_wipe(&c->rec);
	sg_record_wipe(&c->rec_next);
	if (c->b.hs_tx != NULL)
		sg_wipe(c->b.hs_tx, c->b.hs_tx_len);
	if (c->b.hs_rx != NULL)
		sg_wipe(c->b.hs_rx, c->b.hs_rx_len);
	if (c->b.scratch != NULL)
		sg_wipe(c->b.scratch, c->b.scratch_len);
	sg_msgq_clear(&c->rxq);
	sg_msgq_clear(&c->txq);
	sg_wipe(c, sizeof(*c));
}
