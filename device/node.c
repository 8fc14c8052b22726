/*
 * serguard-device: one emulated field device (see node.h).
 *
 * Implementation notes:
 * - The node keeps no copy of anything the engine owns: it reads state
 *   through sg_conn_status(), sg_conn_get_stats() and sg_conn_peer()
 *   only, as firmware built against the public API would.
 * - Clocks: the device's tick counts from its own power-on (plus
 *   --tick-start), the way a SysTick counter restarts at reset; the wall
 *   clock is the host's CLOCK_REALTIME plus --clock-offset, the way an
 *   RTC may be wrong. Certificates are checked against the latter only.
 * - --slow: the engine is configured with defer_work, so a handshake
 *   message that needs a private-key operation is answered BUSY first;
 *   the node then "computes" for slow_ms before calling sg_conn_work(),
 *   without blocking the loop (other devices on the bus keep answering,
 *   and this one answers polls with "nothing" meanwhile). Application
 *   answers are held back slow_ms as well.
 * - Randomness comes from getrandom(2), as firmware's would from its
 *   TRNG; --seed only drives the line's loss draws.
 */
#include "node.h"

#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "log.h"

#define NEVER_NS UINT64_MAX

static int64_t wall_clock(const struct node *n)
{
	struct timespec t;

	if (clock_gettime(CLOCK_REALTIME, &t) != 0)
		return SG_TIME_UNKNOWN;
	return (int64_t)t.tv_sec + n->o->clock_offset_s;
}

static int rng(void *ctx, unsigned char *buf, size_t len)
{
	(void)ctx;
	while (len > 0) {
		ssize_t got = getrandom(buf, len, 0);

		if (got <= 0)
			return SG_ERNG;
		buf += got;
		len -= (size_t)got;
	}
	return 0;
}

static int check_gateway(void *ctx, const struct sg_peer_cert *peer)
{
	struct node *n = ctx;

	if (peer->id.truncated || strcmp(peer->id.subject_cn, n->o->gateway_cn) != 0) {
		log_event(n->name, "refused peer CN=%s (expected %s)", peer->id.subject_cn,
			  n->o->gateway_cn);
		return SG_EIDENTITY;
	}
	return 0;
}

/* x5t references: the only certificate a device knows in advance is its
 * gateway's; the engine checks that it hashes to the reference. */
static int lookup_gateway(void *ctx, enum sg_edhoc_idcred kind, const unsigned char *ref,
			  size_t ref_len, const unsigned char **cred, size_t *len)
{
	struct node *n = ctx;

	(void)ref;
	(void)ref_len;
	if (kind != SG_EDHOC_ID_X5T || n->o->gw_cert == NULL)
		return -1;
	*cred = n->o->gw_cert;
	*len = n->o->gw_cert_len;
	return 0;
}

int node_setup(struct node *n, const struct node_opts *o, const char *name, uint8_t addr,
	       const char *certbase, char *err, size_t errlen)
{
	char warn[512];
	int rc;

	n->o = o;
	snprintf(n->name, sizeof(n->name), "%s", name);
	n->addr = addr;
	if (cred_load(&n->cred, certbase, err, errlen, warn, sizeof(warn)) != 0)
		return -1;
	if (warn[0] != '\0')
		log_warn(n->name, "warning: %s", warn);
	if ((rc = sg_cert_store_init(&n->store)) != 0) {
		snprintf(err, errlen, "trust store: %s", sg_strerror(rc));
		return -1;
	}
	n->store_ready = true;
	if ((rc = sg_cert_store_add_ca(&n->store, o->ca, o->ca_len)) != 0) {
		snprintf(err, errlen, "CA certificate: %s", sg_strerror(rc));
		return -1;
	}
	return 0;
}

uint64_t node_now_ms(const struct node *n, uint64_t mono_ns)
{
	return (mono_ns - n->boot_ns) / 1000000u + n->o->tick_start_ms;
}

/* The mono time at which the device clock reads ms. */
static uint64_t mono_at(const struct node *n, uint64_t ms)
{
	uint64_t d;

	if (ms == UINT64_MAX)
		return NEVER_NS;
	if (ms <= n->o->tick_start_ms)
		return n->boot_ns;
	d = ms - n->o->tick_start_ms;
	if (d > (NEVER_NS - n->boot_ns) / 1000000u)
		return NEVER_NS;
	return n->boot_ns + d * 1000000u;
}

int node_boot(struct node *n, uint64_t mono_ns)
{
	struct sg_conn_config *k = &n->cfg;
	struct sg_conn_buffers b;
	uint64_t now;
	int rc;

	n->boot_ns = mono_ns;
	now = node_now_ms(n, mono_ns);
	app_boot(&n->app, n->o->kind, n->name, n->addr);
	n->work_armed = false;
	n->telemetry_due_ns = 0;
	n->pend_head = n->pend_len = 0;
	n->seen_completed = n->seen_failed = n->seen_requests = n->seen_closes = 0;
	n->seen_established = false;

	memset(k, 0, sizeof(*k));
	k->side = SG_CONN_DEVICE;
	/* RS485: the gateway is the bus master and initiates; RS232: the
	 * device may initiate too (doc/PROTOCOL.md 5.1). */
	k->start = n->o->bus ? SG_CONN_START_GATEWAY : SG_CONN_START_EITHER;
	k->bus = n->o->bus;
	k->addr = n->addr;
	k->max_payload = n->o->max_payload;
	k->defer_work = n->o->slow_ms > 0;
	/* Record freshness must match the gateway's max_record_age_ms (both
	 * ends on, same maximum age, or both off). */
	sg_record_config_default(&k->record, 8, n->addr, SG_FRAME_FROM_DEVICE);
	k->record.freshness = n->o->max_age_ms > 0;
	if (n->o->max_age_ms > 0)
		k->record.max_age_ms = n->o->max_age_ms;
	k->edhoc.method = SG_EDHOC_METHOD_SIG;
	k->edhoc.cred.type = SG_EDHOC_CRED_X509;
	k->edhoc.cred.bytes = n->cred.cert;
	k->edhoc.cred.len = n->cred.cert_len;
	k->edhoc.id_cred = n->o->id_cred;
	k->edhoc.priv = n->cred.key;
	k->edhoc.store = &n->store;
	k->edhoc.cert_policy.now = wall_clock(n);
	k->edhoc.cert_policy.notime = SG_NOTIME_REJECT;
	k->edhoc.cert_policy.role = SG_ROLE_GATEWAY;
	k->edhoc.check_identity = check_gateway;
	k->edhoc.identity_ctx = n;
	if (n->o->gw_cert != NULL) {
		k->edhoc.lookup = lookup_gateway;
		k->edhoc.lookup_ctx = n;
	}
	k->edhoc.rng = rng;
	k->edhoc.rng_ctx = NULL;

	memset(&b, 0, sizeof(b));
	b.frame_rx = n->frame_rx;
	b.frame_rx_len = sizeof(n->frame_rx);
	b.wire_tx = n->wire_tx;
	b.wire_tx_len = sizeof(n->wire_tx);
	b.scratch = n->scratch;
	b.scratch_len = sizeof(n->scratch);
	b.hs_rx = n->hs_rx;
	b.hs_rx_len = sizeof(n->hs_rx);
	b.hs_tx = n->hs_tx;
	b.hs_tx_len = sizeof(n->hs_tx);
	b.app_rx = n->app_rx;
	b.app_rx_len = sizeof(n->app_rx);
	b.app_tx = n->app_tx;
	b.app_tx_len = sizeof(n->app_tx);
	rc = sg_conn_init(&n->c, k, &b, now);
	if (rc == 0)
		rc = sg_conn_start(&n->c, now);
	if (rc != 0) {
		sg_conn_wipe(&n->c);
		return rc;
	}
	n->powered = true;
	n->n.boots++;
	log_event(n->name, "power on: address %u, %s, %s", n->addr,
		  n->o->bus ? "RS485 (answers when polled)" : "RS232",
		  app_kind_name(n->o->kind));
	return 0;
}

void node_power_off(struct node *n)
{
	if (!n->powered)
		return;
	sg_conn_wipe(&n->c);
	sg_wipe(n->pending, sizeof(n->pending));
	sg_wipe(&n->app, sizeof(n->app));
	n->pend_head = n->pend_len = 0;
	n->work_armed = false;
	n->powered = false;
	log_event(n->name, "power off: state lost");
}

void node_rx_byte(struct node *n, unsigned char b, uint64_t mono_ns)
{
	if (n->powered)
		sg_conn_wire_push(&n->c, &b, 1, node_now_ms(n, mono_ns));
}

static void send_answer(struct node *n, const unsigned char *p, size_t len, uint64_t now)
{
	char q[160];
	int rc = sg_conn_send(&n->c, p, len, now);

	log_quote(p, len, q, sizeof(q));
	if (rc != 0) {
		n->n.send_full++;
		log_event(n->name, "message out dropped (%s): \"%s\"", sg_errname(rc), q);
		return;
	}
	n->n.msgs_out++;
	log_event(n->name, "message out (%zu bytes): \"%s\"", len, q);
}

static void on_message(struct node *n, const unsigned char *p, size_t len, uint64_t mono_ns)
{
	unsigned char out[NODE_MAX_PAYLOAD];
	uint64_t now = node_now_ms(n, mono_ns);
	size_t cap = sg_conn_max_message(&n->c);
	char q[160];
	long r;

	n->n.msgs_in++;
	log_quote(p, len, q, sizeof(q));
	log_event(n->name, "message in (%zu bytes): \"%s\"", len, q);
	if (cap > sizeof(out))
		cap = sizeof(out);
	r = app_on_message(&n->app, p, len, now, out, cap);
	if (r < 0)
		return;
	if (n->o->slow_ms == 0) {
		send_answer(n, out, (size_t)r, now);
		return;
	}
	if (n->pend_len == NODE_PENDING_MAX) {
		n->n.send_full++;
		log_event(n->name, "answer dropped: %u answers already wait (--slow)",
			  NODE_PENDING_MAX);
		return;
	}
	{
		struct node_pending *pe =
			&n->pending[(n->pend_head + n->pend_len) % NODE_PENDING_MAX];

		pe->due_ns = mono_ns + (uint64_t)n->o->slow_ms * 1000000u;
		pe->len = (size_t)r;
		memcpy(pe->data, out, (size_t)r);
		n->pend_len++;
	}
}

/* Report what changed since the last look, for -v and the counters. */
static void report(struct node *n)
{
	struct sg_conn_stats s;
	unsigned st = sg_conn_status(&n->c);
	bool est = (st & SG_CONN_ESTABLISHED) != 0;

	sg_conn_get_stats(&n->c, &s);
	if (s.hs_completed != n->seen_completed) {
		const struct sg_peer_cert *peer = sg_conn_peer(&n->c);

		n->n.sessions += s.hs_completed - n->seen_completed;
		n->seen_completed = s.hs_completed;
		if (peer != NULL)
			snprintf(n->n.last_peer, sizeof(n->n.last_peer), "%s", peer->id.subject_cn);
		log_event(n->name, "handshake done: session with CN=%s (handshake %u since boot)",
			  peer != NULL ? peer->id.subject_cn : "?", s.hs_completed);
	}
	if (s.hs_failed != n->seen_failed) {
		n->n.hs_failed += s.hs_failed - n->seen_failed;
		n->seen_failed = s.hs_failed;
		log_event(n->name, "handshake failed: %s (%s)", sg_errname(s.last_hs_error),
			  sg_strerror(s.last_hs_error));
	}
	if (s.requests_sent != n->seen_requests) {
		n->seen_requests = s.requests_sent;
		log_event(n->name, "no session: asking the gateway for a handshake");
	}
	if (s.closes != n->seen_closes) {
		n->seen_closes = s.closes;
		log_event(n->name, "session closed by the gateway");
	}
	if (n->seen_established && !est)
		log_event(n->name, "session ended");
	n->seen_established = est;
}

void node_service(struct node *n, uint64_t mono_ns)
{
	unsigned char msg[NODE_MAX_PAYLOAD];
	uint64_t now;
	size_t len;
	unsigned st;

	if (!n->powered)
		return;
	now = node_now_ms(n, mono_ns);
	sg_conn_set_time(&n->c, wall_clock(n));

	/* the expensive step of a handshake, in the main loop */
	st = sg_conn_status(&n->c);
	if ((st & SG_CONN_WANT_WORK) == 0) {
		n->work_armed = false;
	} else if (n->o->slow_ms == 0) {
		sg_conn_work(&n->c, now);
	} else if (!n->work_armed) {
		n->work_armed = true;
		n->work_due_ns = mono_ns + (uint64_t)n->o->slow_ms * 1000000u;
	} else if (mono_ns >= n->work_due_ns) {
		n->work_armed = false;
		sg_conn_work(&n->c, now);
	}

	/* the application */
	while (sg_conn_recv(&n->c, msg, sizeof(msg), &len) == 0)
		on_message(n, msg, len, mono_ns);
	while (n->pend_len > 0 && n->pending[n->pend_head].due_ns <= mono_ns) {
		struct node_pending *pe = &n->pending[n->pend_head];

		send_answer(n, pe->data, pe->len, now);
		sg_wipe(pe->data, pe->len);
		n->pend_head = (n->pend_head + 1) % NODE_PENDING_MAX;
		n->pend_len--;
	}
	st = sg_conn_status(&n->c);
	if (n->o->kind == APP_TELEMETRY && (st & SG_CONN_ESTABLISHED) != 0) {
		uint64_t iv = (uint64_t)n->o->interval_ms * 1000000u;

		if (n->telemetry_due_ns == 0) {
			n->telemetry_due_ns = mono_ns + iv;
		} else if (mono_ns >= n->telemetry_due_ns) {
			char t[128];
			long r = app_telemetry(&n->app, now, t, sizeof(t));

			if (r > 0)
				send_answer(n, (const unsigned char *)t, (size_t)r, now);
			n->telemetry_due_ns += iv;
			if (n->telemetry_due_ns <= mono_ns)
				n->telemetry_due_ns = mono_ns + iv; /* fell behind: skip */
		}
	} else {
		n->telemetry_due_ns = 0;
	}

	/* timers */
	if (sg_conn_deadline(&n->c) <= now)
		sg_conn_tick(&n->c, now);
	report(n);
}

uint64_t node_next_event(const struct node *n)
{
	uint64_t t, next;
	unsigned st;

	if (!n->powered)
		return NEVER_NS;
	st = sg_conn_status(&n->c);
	if ((st & SG_CONN_READABLE) != 0 ||
	    ((st & SG_CONN_WANT_WORK) != 0 && (!n->work_armed || n->o->slow_ms == 0)))
		return 0;
	next = mono_at(n, sg_conn_deadline(&n->c));
	if (n->work_armed && n->work_due_ns < next)
		next = n->work_due_ns;
	if (n->pend_len > 0 && (t = n->pending[n->pend_head].due_ns) < next)
		next = t;
	if (n->o->kind == APP_TELEMETRY && (st & SG_CONN_ESTABLISHED) != 0) {
		t = n->telemetry_due_ns;
		if (t < next)
			next = t; /* 0 (not armed yet) means now */
	}
	return next;
}

size_t node_take_frame(struct node *n, unsigned char *out, size_t cap, uint64_t mono_ns)
{
	const unsigned char *p;
	size_t len;

	if (!n->powered)
		return 0;
	len = sg_conn_wire_peek(&n->c, &p, node_now_ms(n, mono_ns));
	if (len == 0 || len > cap)
		return 0;
	memcpy(out, p, len);
	sg_conn_wire_ack(&n->c, len);
	report(n); /* sending CLOSE ends the session */
	return len;
}

void node_close(struct node *n, uint64_t mono_ns)
{
	if (n->powered && (sg_conn_status(&n->c) & SG_CONN_ESTABLISHED) != 0) {
		log_event(n->name, "closing the session");
		sg_conn_close(&n->c, node_now_ms(n, mono_ns));
	}
}

bool node_quiet(const struct node *n)
{
	return !n->powered || (sg_conn_status(&n->c) & SG_CONN_ESTABLISHED) == 0;
}

void node_write_stats(const struct node *n, FILE *f)
{
	const struct sg_peer_cert *peer = NULL;
	struct sg_conn_stats s;
	unsigned st = 0;

	memset(&s, 0, sizeof(s));
	if (n->powered) {
		sg_conn_get_stats(&n->c, &s);
		st = sg_conn_status(&n->c);
		peer = sg_conn_peer(&n->c);
	}
	fprintf(f,
		"%s addr=%u powered=%d established=%d peer=%s last_peer=%s boots=%u sessions=%u "
		"hs_failed_total=%u msgs_in=%u msgs_out=%u send_full=%u frames_lost=%u",
		n->name, n->addr, n->powered ? 1 : 0, (st & SG_CONN_ESTABLISHED) ? 1 : 0,
		peer != NULL ? peer->id.subject_cn : "-",
		n->n.last_peer[0] != '\0' ? n->n.last_peer : "-", n->n.boots, n->n.sessions,
		n->n.hs_failed, n->n.msgs_in, n->n.msgs_out, n->n.send_full, n->n.frames_lost);
	/* the engine's own counters, since the last power-on */
	fprintf(f,
		" hs_started=%u hs_completed=%u hs_failed=%u hs_timeouts=%u hs_retransmits=%u"
		" hs_dup_answered=%u hs_peer_errors=%u hs_lost_race=%u requests_sent=%u"
		" last_hs_error=%s frames_in=%u frames_out=%u bytes_out=%u bad_crc=%u"
		" wrong_addr=%u wrong_dir=%u app_in=%u app_out=%u records_delivered=%u"
		" bad_tag=%u replay=%u records_no_session=%u closes=%u\n",
		s.hs_started, s.hs_completed, s.hs_failed, s.hs_timeouts, s.hs_retransmits,
		s.hs_dup_answered, s.hs_peer_errors, s.hs_lost_race, s.requests_sent,
		s.last_hs_error != 0 ? sg_errname(s.last_hs_error) : "0", s.frames_in,
		s.frames_out, s.bytes_out, s.frame.bad_crc, s.frame.wrong_addr,
		s.frame.wrong_dir, s.app_in, s.app_out, s.record.delivered, s.record.bad_tag,
		s.record.replay, s.records_no_session, s.closes);
}

void node_free(struct node *n)
{
	node_power_off(n);
	if (n->store_ready)
		sg_cert_store_free(&n->store);
	n->store_ready = false;
	cred_wipe(&n->cred);
}
