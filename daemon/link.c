/*
 * serguardd: per-device links (see link.h).
 *
 * Implementation notes:
 * - Option mapping: max_frame -> max_payload; role and port mode ->
 *   start (rs485 or initiator: SG_CONN_START_GATEWAY; responder:
 *   SG_CONN_START_DEVICE; auto: SG_CONN_START_EITHER);
 *   session_lifetime_seconds -> lifetime_ms; key_update_records and
 *   _seconds -> the record layer's soft limits (records capped at the
 *   AEAD limit of the tag); max_record_age_ms -> record freshness (on,
 *   with that maximum age, unless 0: devices must agree, see
 *   doc/PROTOCOL.md 3.8); queue_max_age_ms -> tx_max_age_ms;
 *   handshake_timeout_ms -> hs_busy_ms. EDHOC: method 0, suite 2, the
 *   gateway's X.509 certificate sent whole (x5chain) unless
 *   send_certificate = by-reference, device certificates validated with
 *   role device (EKU clientAuth) against the wall clock.
 * - Every buffer of the engine is one allocation. hs_rx takes the largest
 *   handshake message there is (4095 bytes: a device's certificate sent
 *   whole has no other bound); hs_tx the largest this gateway writes.
 *   frame_rx is not needed: the line decodes the bus once and hands
 *   frames over (sg_conn_frame_push).
 * - Queues: the engine's message queues are sized for queue_max messages
 *   of the largest size one frame carries, and link_can_send() also caps
 *   the count at queue_max, so "queue_max messages" holds whatever the
 *   sizes. Expiry is done here, on the queues' oldest entries (public
 *   msgq API on the engine's queues), so that a message waiting for a
 *   session that does not come is dropped on time, not when the session
 *   is back; the engine's own tx_max_age_ms check at send time stays as
 *   a second line (its count is added in).
 * - The engine's counters are 32-bit and wrap; link_update_counters()
 *   widens them by adding the difference since the last look, so the
 *   operator's counters (and Prometheus) only grow.
 * - A new credential after a reload is moved into the engine's copy of
 *   its configuration (cfg.edhoc) only while no exchange is running: the
 *   engine takes a fresh copy of that configuration for each exchange,
 *   and the old credential stays referenced until then.
 * - line_kick() is deferred (a zero timer), so calling it from here never
 *   re-enters the line.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/client.h"
#include "daemon/cred.h"
#include "daemon/entropy.h"
#include "daemon/line.h"
#include "daemon/link.h"
#include "daemon/log.h"
#include "serguard/err.h"
#include "serguard/frame.h"
#include "serguard/msgq.h"
#include "serguard/record.h"

#define HS_RX_LEN (SG_FLIGHT_MAX_MSG + 1u)

static size_t max_of(size_t a, size_t b)
{
	return a > b ? a : b;
}

/* ---- identity policy -------------------------------------------------------- */

static int check_identity(void *ctx, const struct sg_peer_cert *peer)
{
	struct link *l = ctx;
	char want[200];

	if (cred_identity_match(l->cred, &l->cf->identity, &peer->id))
		return 0;
	cred_identity_format(&l->cf->identity, want, sizeof(want));
	cred_peer_format(&peer->id, l->refused, sizeof(l->refused));
	l->refused_at = time(NULL);
	log_rate(&l->rl_refused, l->conn.now, LOG_WARNING,
		 "device %s: refused a valid certificate that is not this device's: it has %s; "
		 "expected %s",
		 l->name, l->refused, want);
	return SG_EIDENTITY;
}

/* ---- set-up ----------------------------------------------------------------- */

static void edhoc_cred(struct link *l, struct sg_edhoc_config *e)
{
	e->cred.type = SG_EDHOC_CRED_X509;
	e->cred.bytes = l->cred->cert;
	e->cred.len = l->cred->cert_len;
	e->id_cred = l->cred->id_cred;
	e->priv = l->cred->priv;
	e->store = &l->cred->store;
}

struct link *link_new(const struct cfg_device *cf, const struct cfg_global *g,
		      struct cred *cred, uint64_t now)
{
	struct link *l = calloc(1, sizeof(*l));
	struct sg_conn_config k;
	struct sg_conn_buffers b;
	size_t mp, oh, msg_max, wire, hs_tx, q, off;
	int r;

	if (l == NULL || (l->name = strdup(cf->name)) == NULL)
		goto oom;
	l->cf = cf;
	l->bd.addr = (uint8_t)cf->address;
	l->bd.arg = l;
	l->deadline = BUS_NEVER;
	l->cred = cred_ref(cred);
	l->queue_max = g->queue_max;
	l->max_age_ms = g->queue_max_age_ms;

	mp = cf->port->max_frame;
	oh = SG_RECORD_OVERHEAD(8u, cf->max_record_age_ms > 0);
	msg_max = mp - oh; /* one record in one frame (max_frame >= 32) */
	l->max_message = g->max_message < msg_max ? g->max_message : msg_max;

	memset(&k, 0, sizeof(k));
	k.side = SG_CONN_GATEWAY;
	if (cf->port->mode == CFG_RS485 || cf->role == CFG_ROLE_INITIATOR)
		k.start = SG_CONN_START_GATEWAY;
	else if (cf->role == CFG_ROLE_RESPONDER)
		k.start = SG_CONN_START_DEVICE;
	else
		k.start = SG_CONN_START_EITHER;
	k.bus = false; /* a device-side setting */
	k.addr = (uint8_t)cf->address;
	k.max_payload = mp;
	k.edhoc.method = SG_EDHOC_METHOD_SIG;
	k.edhoc.methods = SG_EDHOC_METHOD_BIT(SG_EDHOC_METHOD_SIG);
	edhoc_cred(l, &k.edhoc);
	k.edhoc.cert_policy.now = (int64_t)time(NULL);
	k.edhoc.cert_policy.notime = SG_NOTIME_REJECT;
	k.edhoc.cert_policy.role = SG_ROLE_DEVICE;
	k.edhoc.cert_policy.usage = SG_USAGE_SIGN;
	k.edhoc.check_identity = check_identity;
	k.edhoc.identity_ctx = l;
	k.edhoc.rng = entropy_rng;
	k.edhoc.rng_ctx = NULL;
	sg_record_config_default(&k.record, 8, k.addr, SG_FRAME_FROM_GATEWAY);
	k.record.max_plaintext = msg_max;
	k.record.update_after_records = cf->key_update_records < k.record.limit_records
						? cf->key_update_records
						: k.record.limit_records;
	k.record.update_after_ms = (uint64_t)cf->key_update_seconds * 1000u;
	k.record.freshness = cf->max_record_age_ms > 0;
	if (k.record.freshness)
		k.record.max_age_ms = cf->max_record_age_ms;
	k.hs_busy_ms = cf->port->handshake_timeout_ms;
	k.lifetime_ms = (uint64_t)cf->session_lifetime_seconds * 1000u;
	k.tx_max_age_ms = g->queue_max_age_ms;
	k.defer_work = false; /* a PC computes a step in milliseconds */

	wire = SG_FRAME_ENCODED_MAX(mp);
	hs_tx = max_of(SG_EDHOC_MSG2_MAX(cred->cert_len, 0),
		       max_of(SG_EDHOC_MSG3_MAX(cred->cert_len, 0), SG_EDHOC_MSG1_MAX(0)));
	hs_tx = max_of(hs_tx, SG_EDHOC_ERROR_MAX);
	q = SG_MSGQ_BUF_LEN((size_t)g->queue_max, msg_max);
	l->rxmsg_cap = msg_max;
	l->mem_len = wire + mp + HS_RX_LEN + hs_tx + 2 * q + l->rxmsg_cap;
	l->mem = calloc(1, l->mem_len);
	if (l->mem == NULL)
		goto oom;
	memset(&b, 0, sizeof(b));
	off = 0;
	b.wire_tx = l->mem + off;
	b.wire_tx_len = wire;
	off += wire;
	b.scratch = l->mem + off;
	b.scratch_len = mp;
	off += mp;
	b.hs_rx = l->mem + off;
	b.hs_rx_len = HS_RX_LEN;
	off += HS_RX_LEN;
	b.hs_tx = l->mem + off;
	b.hs_tx_len = hs_tx;
	off += hs_tx;
	b.app_rx = l->mem + off;
	b.app_rx_len = q;
	off += q;
	b.app_tx = l->mem + off;
	b.app_tx_len = q;
	off += q;
	l->rxmsg = l->mem + off;

	r = sg_conn_init(&l->conn, &k, &b, now);
	if (r == 0)
		r = sg_conn_start(&l->conn, now);
	if (r != 0) {
		log_err("device %s: cannot set up its session engine: %s", l->name, sg_strerror(r));
		link_free(l);
		return NULL;
	}
	sg_conn_get_stats(&l->conn, &l->snap);
	if (l->max_message < g->max_message)
		log_info("device %s: messages limited to %zu bytes (one frame of max_frame %u "
			 "bytes on port %s)",
			 l->name, l->max_message, (unsigned)mp, cf->port_name);
	return l;
oom:
	log_err("device %s: out of memory", cf->name);
	link_free(l);
	return NULL;
}

void link_free(struct link *l)
{
	uint32_t n;

	if (l == NULL)
		return;
	if (l->mem != NULL) {
		n = link_tx_queued(l) + link_rx_queued(l);
		if (n > 0) {
			l->drops.discarded += n;
			log_notice("device %s: %u queued message%s discarded", l->name, (unsigned)n,
				   n == 1 ? "" : "s");
		}
		sg_conn_wipe(&l->conn);
		sg_wipe(l->mem, l->mem_len);
		free(l->mem);
	}
	cred_unref(l->cred);
	cred_unref(l->cred_next);
	free(l->name);
	free(l);
}

/* ---- counters --------------------------------------------------------------- */

#define WIDEN(acc, field)                                                     \
	do {                                                                  \
		(acc) += (uint32_t)(s.field - l->snap.field);                 \
	} while (0)

void link_update_counters(struct link *l)
{
	struct sg_conn_stats s;
	struct link_counters *n = &l->n;

	sg_conn_get_stats(&l->conn, &s);
	WIDEN(n->app_in, app_in);
	WIDEN(n->app_out, app_out);
	WIDEN(n->app_bytes_in, app_bytes_in);
	WIDEN(n->app_bytes_out, app_bytes_out);
	WIDEN(n->frames_in, frames_in);
	WIDEN(n->frames_out, frames_out);
	WIDEN(n->bytes_out, bytes_out);
	WIDEN(n->hs_started, hs_started);
	WIDEN(n->hs_completed, hs_completed);
	WIDEN(n->hs_failed, hs_failed);
	WIDEN(n->hs_timeouts, hs_timeouts);
	WIDEN(n->hs_retransmits, hs_retransmits);
	WIDEN(n->hs_peer_errors, hs_peer_errors);
	WIDEN(n->requests_received, requests_received);
	WIDEN(n->key_updates, key_updates);
	WIDEN(n->closes, closes);
	WIDEN(n->tx_expired, tx_expired);
	WIDEN(n->rx_queue_full, rx_queue_full);
	WIDEN(n->records_no_session, records_no_session);
	WIDEN(n->rec_delivered, record.delivered);
	WIDEN(n->rec_too_short, record.too_short);
	WIDEN(n->rec_too_long, record.too_long);
	WIDEN(n->rec_bad_header, record.bad_header);
	WIDEN(n->rec_replay, record.replay);
	WIDEN(n->rec_too_old, record.too_old);
	WIDEN(n->rec_wrong_phase, record.wrong_phase);
	WIDEN(n->rec_limit, record.limit);
	WIDEN(n->rec_bad_tag, record.bad_tag);
	WIDEN(n->rec_stale, record.stale);
	WIDEN(n->rec_future, record.future);
	l->snap = s;
}

#undef WIDEN

/* ---- the seam ---------------------------------------------------------------- */

static void report(struct link *l, uint64_t now);

void link_input(struct link *l, const struct sg_frame *f, uint64_t now)
{
	l->frames_in++;
	if (f->kind == SG_FRAME_RECORD)
		l->records_in++;
	if (sg_conn_frame_push(&l->conn, f, now) != 0)
		l->frames_dropped++;
	link_pump(l, now);
}

int link_turn(struct link *l, bool data, unsigned char *out, size_t cap, size_t *len,
	      uint64_t now)
{
	const unsigned char *p;
	size_t n;

	(void)data; /* whatever the engine has goes, in a data turn or a poll */
	n = sg_conn_wire_peek(&l->conn, &p, now);
	if (n > 0) {
		if (n > cap) {
			log_err("device %s: a frame of %zu bytes does not fit the line's buffer "
				"(%zu)",
				l->name, n, cap);
			return -1;
		}
		memcpy(out, p, n);
		sg_conn_wire_ack(&l->conn, n);
		*len = n;
		/* The kind, without decoding: 0x00, then the first COBS code byte;
		 * addr and ctrl follow it directly unless ctrl is 0 (a POLL). */
		if (n >= 4 && out[1] >= 3 && (out[3] & SG_FRAME_KIND_MASK) == SG_FRAME_RECORD)
			l->records_out++;
	} else if (l->line != NULL && l->line->bus.mode == BUS_RS485) {
		if (sg_frame_encode(out, cap, len, l->bd.addr,
				    SG_FRAME_FROM_GATEWAY | SG_FRAME_POLL, NULL, 0) != 0)
			return -1;
	} else {
		/* point to point: nothing to say after all */
		l->pending = false;
		if (l->line != NULL)
			bus_set_pending(&l->line->bus, &l->bd, false);
		return -1;
	}
	l->turns++;
	/* the bus asks again only if the engine still has something */
	l->status = sg_conn_status(&l->conn);
	report(l, now); /* a CLOSE just sent ended the session */
	l->pending = (l->status & SG_CONN_WANT_WRITE) != 0;
	if (l->line != NULL)
		bus_set_pending(&l->line->bus, &l->bd, l->pending);
	/* a message left the queue: room for the clients again */
	if (l->cs != NULL && !l->was_writable && link_can_send(l)) {
		l->was_writable = true;
		client_sock_resume(l->cs);
	}
	return 0;
}

/* Drop the oldest messages of q that waited longer than max_age; returns
 * how many, and sets *next to when the new oldest one expires. */
static uint32_t expire(struct sg_msgq *q, uint32_t max_age, uint64_t now, uint64_t *next)
{
	const unsigned char *m;
	uint64_t t;
	uint32_t n = 0;

	while (sg_msgq_peek(q, &m, &t) >= 0) {
		if (now - t <= max_age) {
			uint64_t at = t + max_age + 1;

			if (at < *next)
				*next = at;
			break;
		}
		sg_msgq_pop(q);
		n++;
	}
	return n;
}

/* Received messages to the clients, or keep them (and expire them). */
static void deliver(struct link *l, uint64_t now, uint64_t *next)
{
	size_t n;

	if (l->cs != NULL && client_sock_count(l->cs) > 0) {
		while (sg_conn_recv(&l->conn, l->rxmsg, l->rxmsg_cap, &n) == 0) {
			if (n == 0)
				l->drops.empty++;
			else if (n > l->max_message)
				l->drops.rx_oversize++;
			else
				client_sock_deliver(l->cs, l->rxmsg, n);
		}
		return;
	}
	l->drops.rx_expired += expire(&l->conn.rxq, l->max_age_ms, now, next);
}

static void report(struct link *l, uint64_t now)
{
	struct link_counters before = l->n;
	bool up = (l->status & SG_CONN_ESTABLISHED) != 0;

	link_update_counters(l);
	if (l->n.hs_failed > before.hs_failed) {
		int err = l->conn.stats.last_hs_error;

		l->last_error = err;
		if (err != SG_EIDENTITY) /* check_identity() said it all */
			log_rate(&l->rl_fail, now, LOG_WARNING, "device %s: handshake failed: %s",
				 l->name, sg_strerror(err));
	}
	if (up && (!l->up || l->n.hs_completed > before.hs_completed)) {
		const struct sg_peer_cert *p = sg_conn_peer(&l->conn);
		const struct sg_record *r = sg_conn_record(&l->conn);
		unsigned missed = log_rate_reset(&l->rl_fail);
		char extra[80] = "";

		l->last_handshake = time(NULL);
		if (!l->up)
			l->up_since = l->last_handshake;
		l->suite = r != NULL && r->cfg.tag_len == 16 ? SG_EDHOC_SUITE_3 : SG_EDHOC_SUITE_2;
		if (p != NULL) {
			snprintf(l->peer_cn, sizeof(l->peer_cn), "%s", p->id.subject_cn);
			cred_peer_format(&p->id, l->peer, sizeof(l->peer));
		}
		if (missed > 0)
			snprintf(extra, sizeof(extra), " (after %u more failed handshakes)", missed);
		log_notice("device %s: session %s with %s, suite %d%s", l->name,
			   l->up ? "renewed" : "up", l->peer, l->suite, extra);
	} else if (!up && l->up) {
		if (l->closing)
			log_notice("device %s: session closed", l->name);
		else if (l->n.closes > before.closes)
			log_notice("device %s: session closed by the device", l->name);
		else
			log_notice("device %s: session lost", l->name);
		l->up_since = 0;
	}
	l->up = up;
}

static void sync_bus(struct link *l, uint64_t now)
{
	bool pending = (l->status & SG_CONN_WANT_WRITE) != 0;
	bool busy = (l->status & SG_CONN_PEER_BUSY) != 0;
	bool kick = false;

	if (l->line == NULL) {
		l->pending = pending;
		l->hs_busy = busy;
		return;
	}
	if (pending != l->pending) {
		bus_set_pending(&l->line->bus, &l->bd, pending);
		l->pending = pending;
		kick = true;
	}
	if (busy != l->hs_busy) {
		bus_set_handshake(&l->line->bus, &l->bd, busy, now);
		l->hs_busy = busy;
		kick = true;
	}
	if (kick)
		line_kick(l->line);
}

uint64_t link_pump(struct link *l, uint64_t now)
{
	uint64_t old = l->deadline, next, d;
	int i;

	sg_conn_set_time(&l->conn, (int64_t)time(NULL));
	if (l->cred_next != NULL && !(sg_conn_status(&l->conn) & SG_CONN_HANDSHAKING)) {
		cred_unref(l->cred);
		l->cred = l->cred_next;
		l->cred_next = NULL;
		edhoc_cred(l, &l->conn.cfg.edhoc);
	}
	for (i = 0; i < 8 && (sg_conn_status(&l->conn) & SG_CONN_WANT_WORK); i++)
		sg_conn_work(&l->conn, now);
	if (sg_conn_deadline(&l->conn) <= now)
		sg_conn_tick(&l->conn, now);

	next = BUS_NEVER;
	deliver(l, now, &next);
	l->drops.tx_expired += expire(&l->conn.txq, l->max_age_ms, now, &next);
	l->status = sg_conn_status(&l->conn);
	report(l, now);
	sync_bus(l, now);
	if (link_can_send(l)) {
		if (!l->was_writable && l->cs != NULL)
			client_sock_resume(l->cs);
		l->was_writable = true;
	} else {
		l->was_writable = false;
	}

	d = sg_conn_deadline(&l->conn);
	if (d < next)
		next = d;
	if (next <= now)
		next = now + 1; /* never a busy loop on a deadline the engine keeps */
	l->deadline = next;
	if (next < old && l->line != NULL)
		line_kick(l->line);
	return next;
}

/* ---- clients and operators ----------------------------------------------------- */

void link_set_clients(struct link *l, struct client_sock *cs)
{
	l->cs = cs;
	l->was_writable = false;
}

bool link_can_send(const struct link *l)
{
	return !l->closing && !(sg_conn_status(&l->conn) & SG_CONN_CLOSED) &&
	       l->conn.txq.count < l->queue_max;
}

void link_refuse(struct link *l, size_t len, uint64_t now)
{
	if (len == 0) {
		l->drops.empty++;
		log_rate(&l->rl_oversize, now, LOG_WARNING,
			 "device %s: dropped an empty client message (SOCK_SEQPACKET readers "
			 "take it for the end of the connection)",
			 l->name);
		return;
	}
	l->drops.oversize++;
	log_rate(&l->rl_oversize, now, LOG_WARNING,
		 "device %s: refused a client message of %zu bytes (at most %zu)", l->name, len,
		 l->max_message);
}

int link_send(struct link *l, const unsigned char *msg, size_t len, uint64_t now)
{
	int r;

	if (len > l->max_message) {
		link_refuse(l, len, now);
		return -2;
	}
	if (!link_can_send(l))
		return -1;
	r = sg_conn_send(&l->conn, msg, len, now);
	if (r != 0)
		return -1; /* SG_EFULL: the bytes did not fit although the count did */
	link_pump(l, now);
	return 0;
}

uint32_t link_tx_queued(const struct link *l)
{
	return l->conn.txq.count;
}

uint32_t link_rx_queued(const struct link *l)
{
	return l->conn.rxq.count;
}

void link_rehandshake(struct link *l, uint64_t now)
{
	log_notice("device %s: new handshake requested by the operator", l->name);
	sg_conn_rehandshake(&l->conn, now);
	link_pump(l, now);
}

void link_set_cred(struct link *l, struct cred *c)
{
	if (c == l->cred)
		return;
	cred_unref(l->cred_next);
	l->cred_next = cred_ref(c);
}

void link_close(struct link *l, uint64_t now)
{
	l->closing = true;
	sg_conn_close(&l->conn, now);
	link_pump(l, now);
}

bool link_flushed(const struct link *l)
{
	unsigned st = sg_conn_status(&l->conn);

	if (l->line == NULL || l->line->port->state != PORT_UP)
		return true;
	return !(st & (SG_CONN_ESTABLISHED | SG_CONN_WANT_WRITE));
}

const char *link_state_name(const struct link *l)
{
	unsigned st = l->status;

	if (st & SG_CONN_ESTABLISHED)
		return (st & SG_CONN_HANDSHAKING) ? "up, renewing" : "up";
	if (st & SG_CONN_HANDSHAKING)
		return "handshaking";
	if (st & SG_CONN_CLOSED)
		return "closed";
	return "down";
}
