/*
 * Tests of the session engine: two engines (gateway and device, real
 * certificates from the test PKI) over the simulated line of simwire.c,
 * with a simulated clock and a seeded man in the middle. Every run
 * prints its seed when it fails (attacks.md K3).
 *
 * The soak test tags every frame with the application message it
 * carries, so that it can check the two halves of the delivery promise
 * separately: nothing is delivered twice or altered, and every message
 * whose frame the line did not drop is delivered.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simwire.h"
#include "testenv.h"

#define MAXMSG 20000

struct side {
	struct te_end e;
	int dir;		   /* 0: gateway (wire end 0), 1: device */
	long cur_tag;		   /* message id of the frame being written, -1 */
	uint32_t app_out_seen;
	uint32_t next_id;	   /* next message id to send */
	uint32_t n_to_send;
	unsigned char *lost;	   /* per id: frame dropped by the line */
	unsigned char *delivered;  /* per id: delivered at the other side */
	uint32_t dup_delivered, corrupt;
};

struct link {
	struct side s[2];
	struct simwire w;
	uint64_t seed;
	unsigned drop_pm;	/* random loss, decided in the hook */
	unsigned burst_pm;	/* chance a burst of 50 losses starts */
	unsigned burst;
	bool record_all;
};

static struct link *L;

static size_t ep_peek(void *ctx, const unsigned char **p)
{
	struct side *s = ctx;
	struct sg_conn_stats st;
	size_t n;

	n = sg_conn_wire_peek(&s->e.c, p, L->w.now_ms);
	sg_conn_get_stats(&s->e.c, &st);
	if (st.app_out != s->app_out_seen) {
		/* This frame carries the next message of the FIFO. */
		s->cur_tag = (long)s->app_out_seen;
		s->app_out_seen = st.app_out;
	} else if (n > 0 && s->e.c.wire_off == 0) {
		s->cur_tag = -1;
	}
	return n;
}

static void ep_ack(void *ctx, size_t n)
{
	struct side *s = ctx;

	sg_conn_wire_ack(&s->e.c, n);
}

static void ep_push(void *ctx, const unsigned char *p, size_t n, uint64_t now)
{
	struct side *s = ctx;

	sg_conn_wire_push(&s->e.c, p, n, now);
	if (sg_conn_status(&s->e.c) & SG_CONN_WANT_WORK)
		sg_conn_work(&s->e.c, now);
}

static enum simwire_action hook(struct simwire *w, struct simwire_frame *f, void *ctx)
{
	struct link *l = ctx;
	struct side *s = &l->s[f->dir];
	bool drop = false;

	if (l->burst > 0) {
		l->burst--;
		drop = true;
	} else if (l->burst_pm > 0 && simwire_rand(w) % 1000 < l->burst_pm) {
		l->burst = 49;
		drop = true;
	} else if (l->drop_pm > 0 && simwire_rand(w) % 1000 < l->drop_pm) {
		drop = true;
	}
	if (drop && s->cur_tag >= 0 && s->lost != NULL)
		s->lost[s->cur_tag] = 1;
	return drop ? SW_DROP : SW_PASS;
}

static void link_setup(uint64_t seed, enum sg_conn_start start)
{
	struct simwire_end a, b;

	L = calloc(1, sizeof(*L));
	ck_assert_ptr_nonnull(L);
	L->seed = seed;
	te_end_setup(&L->s[0].e, SG_CONN_GATEWAY, "gw", "dev-a", seed * 2 + 1);
	te_end_setup(&L->s[1].e, SG_CONN_DEVICE, "dev-a", "gateway", seed * 2 + 2);
	L->s[0].e.cfg.start = start;
	L->s[1].e.cfg.start = start;
	L->s[0].dir = 0;
	L->s[1].dir = 1;
	L->s[0].cur_tag = L->s[1].cur_tag = -1;
	a.ctx = &L->s[0];
	b.ctx = &L->s[1];
	a.peek = b.peek = ep_peek;
	a.ack = b.ack = ep_ack;
	a.push = b.push = ep_push;
	simwire_init(&L->w, seed, a, b);
	L->w.hook = hook;
	L->w.hook_ctx = L;
	L->w.now_ms = 1000;
}

static void link_init_ends(void)
{
	ck_assert_int_eq(te_end_init(&L->s[0].e, L->w.now_ms), 0);
	ck_assert_int_eq(te_end_init(&L->s[1].e, L->w.now_ms), 0);
}

static void link_free(void)
{
	int i;

	for (i = 0; i < 2; i++) {
		te_end_free(&L->s[i].e);
		free(L->s[i].lost);
		free(L->s[i].delivered);
	}
	simwire_free(&L->w);
	free(L);
	L = NULL;
}

/* Message id -> content: "<dir>:<id>:" then filler from the id. */
static size_t make_msg(int dir, uint32_t id, unsigned char *buf)
{
	size_t n = (size_t)snprintf((char *)buf, 32, "%d:%u:", dir, id), len, i;

	len = 8 + (id * 37u) % 180u;
	if (len < n)
		len = n;
	for (i = n; i < len; i++)
		buf[i] = (unsigned char)(id * 131u + i);
	return len;
}

static void receive_all(struct side *rx)
{
	struct side *tx = &L->s[rx->dir ^ 1];
	unsigned char buf[300], want[300];
	size_t n;
	unsigned d;
	uint32_t id;

	if (tx->delivered == NULL)
		return; /* no traffic run: the test reads messages itself */
	while (sg_conn_recv(&rx->e.c, buf, sizeof(buf), &n) == 0) {
		buf[n < sizeof(buf) ? n : sizeof(buf) - 1] = 0;
		if (sscanf((char *)buf, "%u:%u:", &d, &id) != 2 || d != (unsigned)tx->dir ||
		    id >= tx->n_to_send || make_msg(tx->dir, id, want) != n ||
		    memcmp(want, buf, n) != 0) {
			tx->corrupt++;
			continue;
		}
		if (tx->delivered[id])
			tx->dup_delivered++;
		tx->delivered[id] = 1;
	}
}

static void feed(struct side *s)
{
	unsigned char buf[300];
	size_t n;

	while (s->next_id < s->n_to_send &&
	       (sg_conn_status(&s->e.c) & SG_CONN_ESTABLISHED)) {
		n = make_msg(s->dir, s->next_id, buf);
		if (sg_conn_send(&s->e.c, buf, n, L->w.now_ms) != 0)
			break;
		s->next_id++;
	}
}

/* Run the simulation to time t_end: deliver frames, tick engines at
 * their deadlines, keep feeding traffic and draining received messages. */
static void run(uint64_t t_end, bool traffic)
{
	uint64_t next, d;
	int i;

	while (L->w.now_ms < t_end) {
		for (i = 0; i < 2; i++) {
			sg_conn_tick(&L->s[i].e.c, L->w.now_ms);
			if (sg_conn_status(&L->s[i].e.c) & SG_CONN_WANT_WORK)
				sg_conn_work(&L->s[i].e.c, L->w.now_ms);
			if (traffic)
				feed(&L->s[i]);
		}
		simwire_step(&L->w);
		for (i = 0; i < 2; i++)
			receive_all(&L->s[i]);
		next = simwire_next_due(&L->w);
		if (simwire_next_free(&L->w) < next)
			next = simwire_next_free(&L->w);
		for (i = 0; i < 2; i++) {
			d = sg_conn_deadline(&L->s[i].e.c);
			if (d < next)
				next = d;
		}
		if (traffic)
			for (i = 0; i < 2; i++)
				if (L->s[i].next_id < L->s[i].n_to_send &&
				    L->w.now_ms + 5 < next)
					next = L->w.now_ms + 5;
		if (next <= L->w.now_ms)
			next = L->w.now_ms + 1;
		if (next > t_end)
			next = t_end;
		simwire_advance(&L->w, next);
	}
}

/* Both engines' counters, printed when a test fails. */
static void dump(void)
{
	struct sg_conn_stats st;
	int i;

	for (i = 0; i < 2; i++) {
		sg_conn_get_stats(&L->s[i].e.c, &st);
		fprintf(stderr,
			"%s: status %#x hs_state %u started %u completed %u failed %u (last %s) "
			"timeouts %u retrans %u ignored %u unexpected %u peer_err %u frames in %u out %u "
			"req sent %u recv %u limited %u no_session %u bad_tag %u frame crc %u dir %u\n",
			i ? "device" : "gateway", sg_conn_status(&L->s[i].e.c), L->s[i].e.c.hs_state,
			st.hs_started, st.hs_completed, st.hs_failed, sg_errname(st.last_hs_error),
			st.hs_timeouts, st.hs_retransmits, st.hs_frags_ignored, st.frames_unexpected,
			st.hs_peer_errors, st.frames_in, st.frames_out, st.requests_sent,
			st.requests_received, st.requests_limited, st.records_no_session,
			st.record.bad_tag, st.frame.bad_crc, st.frame.wrong_dir);
		fprintf(stderr,
			"  records: delivered %u replay %u too_old %u wrong_phase %u limit %u "
			"stale %u future %u bad_header %u too_short %u rxq_full %u tx_expired %u "
			"ku %u app_in %u app_out %u\n",
			st.record.delivered, st.record.replay, st.record.too_old,
			st.record.wrong_phase, st.record.limit, st.record.stale, st.record.future,
			st.record.bad_header, st.record.too_short, st.rx_queue_full, st.tx_expired,
			st.key_updates, st.app_in, st.app_out);
	}
}

static bool established(int i);
static bool established(int i)
{
	return (sg_conn_status(&L->s[i].e.c) & SG_CONN_ESTABLISHED) != 0;
}

static bool run_until_established(uint64_t limit)
{
	while (L->w.now_ms < limit && !(established(0) && established(1) &&
					!(sg_conn_status(&L->s[0].e.c) & SG_CONN_HANDSHAKING) &&
					!(sg_conn_status(&L->s[1].e.c) & SG_CONN_HANDSHAKING)))
		run(L->w.now_ms + 10, false);
	if (!(established(0) && established(1)))
		dump();
	return established(0) && established(1);
}

static void traffic_setup(uint32_t n)
{
	int i;

	for (i = 0; i < 2; i++) {
		L->s[i].n_to_send = n;
		L->s[i].lost = calloc(n, 1);
		L->s[i].delivered = calloc(n, 1);
		ck_assert(L->s[i].lost != NULL && L->s[i].delivered != NULL);
	}
}

/* The delivery promise: at most once, unaltered, and everything not
 * dropped by the line arrives. */
static void check_delivery(void)
{
	uint32_t id, missing, got;
	int i;

	for (i = 0; i < 2; i++) {
		struct side *s = &L->s[i];

		missing = got = 0;
		for (id = 0; id < s->n_to_send; id++) {
			got += s->delivered[id];
			if (!s->lost[id] && !s->delivered[id])
				missing++;
		}
		ck_assert_msg(s->next_id == s->n_to_send, "side %d sent only %u (seed %llu)", i,
			      s->next_id, (unsigned long long)L->seed);
		ck_assert_msg(s->dup_delivered == 0 && s->corrupt == 0,
			      "side %d: %u duplicates, %u corrupt (seed %llu)", i, s->dup_delivered,
			      s->corrupt, (unsigned long long)L->seed);
		if (missing != 0)
			dump();
		ck_assert_msg(missing == 0, "side %d: %u messages not lost but not delivered (seed %llu)",
			      i, missing, (unsigned long long)L->seed);
		ck_assert_uint_gt(got, 0);
	}
}

/* ---- tests ---------------------------------------------------------------- */

START_TEST(establish_gateway_initiates)
{
	struct sg_conn_stats g, d;
	const struct sg_peer_cert *p;
	unsigned char buf[64];
	size_t n;

	link_setup(1, SG_CONN_START_GATEWAY);
	link_init_ends();
	sg_conn_start(&L->s[0].e.c, L->w.now_ms);
	sg_conn_start(&L->s[1].e.c, L->w.now_ms);
	ck_assert(run_until_established(L->w.now_ms + 10000));
	sg_conn_get_stats(&L->s[0].e.c, &g);
	sg_conn_get_stats(&L->s[1].e.c, &d);
	ck_assert_uint_eq(g.hs_completed, 1);
	ck_assert_uint_eq(d.hs_completed, 1);
	ck_assert_uint_eq(g.hs_failed + d.hs_failed, 0);
	/* the device asked once, as a bus-less responder does at start */
	p = sg_conn_peer(&L->s[0].e.c);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->id.subject_cn, "dev-a");
	ck_assert_str_eq(sg_conn_peer(&L->s[1].e.c)->id.subject_cn, "gateway");
	/* a message each way */
	ck_assert_int_eq(sg_conn_send(&L->s[0].e.c, "down", 4, L->w.now_ms), 0);
	ck_assert_int_eq(sg_conn_send(&L->s[1].e.c, "up", 2, L->w.now_ms), 0);
	run(L->w.now_ms + 100, false);
	ck_assert_int_eq(sg_conn_recv(&L->s[1].e.c, buf, sizeof(buf), &n), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_mem_eq(buf, "down", 4);
	ck_assert_int_eq(sg_conn_recv(&L->s[0].e.c, buf, sizeof(buf), &n), 0);
	ck_assert_mem_eq(buf, "up", 2);
	ck_assert_int_eq(sg_conn_recv(&L->s[0].e.c, buf, sizeof(buf), &n), SG_EAGAIN);
	link_free();
}
END_TEST

START_TEST(establish_device_initiates)
{
	struct sg_conn_stats g, d;

	link_setup(2, SG_CONN_START_EITHER);
	link_init_ends();
	/* only the device starts (RS232: it has no session after boot) */
	sg_conn_start(&L->s[1].e.c, L->w.now_ms);
	ck_assert(run_until_established(L->w.now_ms + 10000));
	sg_conn_get_stats(&L->s[0].e.c, &g);
	sg_conn_get_stats(&L->s[1].e.c, &d);
	ck_assert_uint_eq(g.hs_completed, 1);
	ck_assert_uint_eq(d.hs_completed, 1);
	ck_assert_int_eq(L->s[1].e.c.hs_role, SG_EDHOC_INITIATOR);
	link_free();
}
END_TEST

START_TEST(simultaneous_start_one_session)
{
	struct sg_conn_stats g, d;
	unsigned char buf[8];
	size_t n;

	/* E11: both sides start in the same millisecond */
	link_setup(3, SG_CONN_START_EITHER);
	link_init_ends();
	sg_conn_start(&L->s[0].e.c, L->w.now_ms);
	sg_conn_start(&L->s[1].e.c, L->w.now_ms);
	ck_assert(run_until_established(L->w.now_ms + 20000));
	run(L->w.now_ms + 5000, false);
	sg_conn_get_stats(&L->s[0].e.c, &g);
	sg_conn_get_stats(&L->s[1].e.c, &d);
	ck_assert_uint_eq(d.hs_lost_race, 1);
	ck_assert_uint_eq(g.hs_completed, 1);
	ck_assert_uint_eq(d.hs_completed, 1);
	/* the gateway's exchange won: the device is the responder */
	ck_assert_int_eq(L->s[1].e.c.hs_role, SG_EDHOC_RESPONDER);
	ck_assert_int_eq(sg_conn_send(&L->s[1].e.c, "x", 1, L->w.now_ms), 0);
	run(L->w.now_ms + 100, false);
	ck_assert_int_eq(sg_conn_recv(&L->s[0].e.c, buf, sizeof(buf), &n), 0);
	link_free();
}
END_TEST

START_TEST(soak_loss_bursts_duplicates_reordering)
{
	struct sg_conn_stats g, d;
	uint64_t seed = 1000 + (uint64_t)_i;

	/* 10,000 messages each way on a 115200 baud line; 30% random frame
	 * loss, bursts of 50 losses, 2% duplicates, 2% of frames delayed by
	 * up to 50 ms (reordering of a few frames, within the window); key
	 * updates every 300 records (C5/C6 under loss) */
	link_setup(seed, SG_CONN_START_GATEWAY);
	link_init_ends();
	L->w.baud = 115200;
	L->s[0].e.c.cfg.record.update_after_records = 300;
	L->s[1].e.c.cfg.record.update_after_records = 300;
	L->drop_pm = 300;
	L->burst_pm = 2;
	L->w.dup_pm = 20;
	L->w.reorder_pm = 20;
	traffic_setup(10000);
	sg_conn_start(&L->s[0].e.c, L->w.now_ms);
	sg_conn_start(&L->s[1].e.c, L->w.now_ms);
	ck_assert_msg(run_until_established(L->w.now_ms + 600000), "no session (seed %llu)",
		      (unsigned long long)seed);
	while (L->s[0].next_id < 10000 || L->s[1].next_id < 10000)
		run(L->w.now_ms + 1000, true);
	run(L->w.now_ms + 2000, false);
	check_delivery();
	sg_conn_get_stats(&L->s[0].e.c, &g);
	sg_conn_get_stats(&L->s[1].e.c, &d);
	ck_assert_uint_gt(g.key_updates, 5);
	ck_assert_uint_gt(d.key_updates, 5);
	ck_assert_uint_gt(g.record.replay + d.record.replay, 0); /* duplicates were refused */
	printf("soak seed %llu: gw delivered %u, dev delivered %u, key updates %u/%u, "
	       "replays refused %u, handshakes %u\n",
	       (unsigned long long)seed, g.app_in, d.app_in, g.key_updates, d.key_updates,
	       g.record.replay + d.record.replay, g.hs_completed);
	link_free();
}
END_TEST

START_TEST(rehandshake_at_lifetime_without_loss)
{
	struct sg_conn_stats g, d;

	/* D5: sessions older than their lifetime are replaced by a new
	 * handshake while traffic flows (a 115200 baud line carries the 2 x
	 * 3000 messages in about 30 s: about six lifetimes) */
	link_setup(5, SG_CONN_START_GATEWAY);
	L->s[0].e.cfg.lifetime_ms = 5000;
	L->s[1].e.cfg.lifetime_ms = 5000;
	link_init_ends();
	L->w.baud = 115200;
	traffic_setup(3000);
	sg_conn_start(&L->s[0].e.c, L->w.now_ms);
	sg_conn_start(&L->s[1].e.c, L->w.now_ms);
	ck_assert(run_until_established(L->w.now_ms + 10000));
	while (L->s[0].next_id < 3000 || L->s[1].next_id < 3000)
		run(L->w.now_ms + 500, true);
	run(L->w.now_ms + 3000, false);
	check_delivery();
	sg_conn_get_stats(&L->s[0].e.c, &g);
	sg_conn_get_stats(&L->s[1].e.c, &d);
	printf("lifetime: %u handshakes in %llu ms\n", g.hs_completed,
	       (unsigned long long)L->w.now_ms);
	ck_assert_uint_ge(g.hs_completed, 4);
	ck_assert_uint_eq(g.hs_completed, d.hs_completed);
	link_free();
}
END_TEST

START_TEST(reboot_of_either_side)
{
	struct sg_conn_stats g;
	uint64_t t0;
	unsigned char buf[8];
	size_t n;
	int who = _i; /* 0: gateway reboots, 1: device reboots */

	link_setup(6 + (uint64_t)who, SG_CONN_START_GATEWAY);
	link_init_ends();
	sg_conn_start(&L->s[0].e.c, L->w.now_ms);
	sg_conn_start(&L->s[1].e.c, L->w.now_ms);
	ck_assert(run_until_established(L->w.now_ms + 10000));
	run(L->w.now_ms + 1000, false);
	/* state loss: a fresh engine, as after power loss or new firmware */
	sg_conn_wipe(&L->s[who].e.c);
	L->s[who].e.rng_state += 12345;
	ck_assert_int_eq(te_end_init(&L->s[who].e, L->w.now_ms), 0);
	sg_conn_start(&L->s[who].e.c, L->w.now_ms);
	t0 = L->w.now_ms;
	ck_assert(run_until_established(L->w.now_ms + 30000));
	printf("reboot of the %s: session back after %llu ms\n", who ? "device" : "gateway",
	       (unsigned long long)(L->w.now_ms - t0));
	/* within one handshake, no operator action */
	sg_conn_get_stats(&L->s[who ^ 1].e.c, &g);
	ck_assert_uint_eq(g.hs_completed, 2);
	ck_assert_uint_eq(g.hs_failed, 0);
	ck_assert_int_eq(sg_conn_send(&L->s[1].e.c, "ok", 2, L->w.now_ms), 0);
	run(L->w.now_ms + 100, false);
	ck_assert_int_eq(sg_conn_recv(&L->s[0].e.c, buf, sizeof(buf), &n), 0);
	link_free();
}
END_TEST

START_TEST(identity_refused_no_session)
{
	struct sg_conn_stats g;

	/* F7 at session level: the gateway expects dev-b at this address */
	link_setup(8, SG_CONN_START_GATEWAY);
	snprintf(L->s[0].e.expect.cn, sizeof(L->s[0].e.expect.cn), "dev-b");
	link_init_ends();
	sg_conn_start(&L->s[0].e.c, L->w.now_ms);
	sg_conn_start(&L->s[1].e.c, L->w.now_ms);
	run(L->w.now_ms + 20000, false);
	ck_assert(!established(0));
	ck_assert(!established(1));
	sg_conn_get_stats(&L->s[0].e.c, &g);
	ck_assert_uint_ge(g.hs_failed, 1);
	ck_assert_int_eq(g.last_hs_error, SG_EIDENTITY);
	ck_assert_uint_ge(L->s[0].e.expect.refused, 1);
	link_free();
}
END_TEST


/* ---- refused input at session level (attacks.md A1, A10, C1, C10, D1) ---- */

/* Kind of a recorded frame (its bytes include both delimiters). */
static int frame_kind(const struct simwire_frame *f)
{
	unsigned char buf[SG_FRAME_DECODE_BUF_LEN(255)];
	struct sg_frame_decoder d;
	struct sg_frame fr;
	size_t used;

	sg_frame_decoder_init(&d, buf, sizeof(buf), 255,
			      f->dir == 0 ? SG_FRAME_FROM_GATEWAY : SG_FRAME_FROM_DEVICE, 0);
	if (sg_frame_decoder_push(&d, f->b, f->len, &used, &fr) != 1)
		return -1;
	return fr.kind;
}

/* The last recorded RECORD frame sent by dir. */
static struct simwire_frame *last_record(int dir)
{
	size_t i = L->w.nrec;

	while (i-- > 0)
		if (L->w.rec[i].dir == dir && frame_kind(&L->w.rec[i]) == SG_FRAME_RECORD)
			return &L->w.rec[i];
	ck_abort_msg("no record frame from side %d", dir);
	return NULL;
}

static void start_both(void)
{
	link_init_ends();
	sg_conn_start(&L->s[0].e.c, L->w.now_ms);
	sg_conn_start(&L->s[1].e.c, L->w.now_ms);
	ck_assert(run_until_established(L->w.now_ms + 10000));
}

static void send_down(const char *m)
{
	ck_assert_int_eq(sg_conn_send(&L->s[0].e.c, m, strlen(m), L->w.now_ms), 0);
	run(L->w.now_ms + 50, false);
}

static int recv_count(int i)
{
	unsigned char buf[300];
	size_t n;
	int k = 0;

	while (sg_conn_recv(&L->s[i].e.c, buf, sizeof(buf), &n) == 0)
		k++;
	return k;
}

START_TEST(replayed_and_reflected_records_refused)
{
	struct simwire_frame copy;
	struct sg_conn_stats d, g;
	unsigned char body[300], wire[SG_FRAME_ENCODED_MAX(255)];
	struct sg_frame_decoder dec;
	struct sg_frame fr;
	size_t used, n;

	link_setup(20, SG_CONN_START_GATEWAY);
	start_both();
	send_down("open the valve");
	ck_assert_int_eq(recv_count(1), 1);
	copy = *last_record(0);

	/* A1: the same frame again, later */
	simwire_inject(&L->w, 0, copy.b, copy.len, 10);
	run(L->w.now_ms + 50, false);
	ck_assert_int_eq(recv_count(1), 0);
	sg_conn_get_stats(&L->s[1].e.c, &d);
	ck_assert_uint_eq(d.record.replay, 1);

	/* A10: reflected to its sender as is: the direction bit gives it away */
	simwire_inject(&L->w, 1, copy.b, copy.len, 0);
	run(L->w.now_ms + 50, false);
	sg_conn_get_stats(&L->s[0].e.c, &g);
	ck_assert_uint_eq(g.frame.wrong_dir, 1);
	ck_assert_int_eq(recv_count(0), 0);

	/* A10: re-framed with the device's direction bit (the CRC is no
	 * secret): the AAD binds the direction, the tag fails */
	sg_frame_decoder_init(&dec, body, sizeof(body), 255, SG_FRAME_FROM_GATEWAY, 0);
	ck_assert_int_eq(sg_frame_decoder_push(&dec, copy.b, copy.len, &used, &fr), 1);
	ck_assert_int_eq(sg_frame_encode(wire, sizeof(wire), &n, fr.addr,
					 SG_FRAME_FROM_DEVICE | SG_FRAME_RECORD, fr.payload, fr.len), 0);
	simwire_inject(&L->w, 1, wire, n, 0);
	run(L->w.now_ms + 50, false);
	sg_conn_get_stats(&L->s[0].e.c, &g);
	ck_assert_uint_eq(g.record.bad_tag, 1);
	ck_assert_int_eq(recv_count(0), 0);

	/* the session is unaffected */
	send_down("still here");
	ck_assert_int_eq(recv_count(1), 1);
	link_free();
}
END_TEST

START_TEST(record_of_previous_session_refused)
{
	struct simwire_frame old;
	struct sg_conn_stats d;
	uint32_t bad0;

	link_setup(21, SG_CONN_START_GATEWAY);
	start_both();
	send_down("session one");
	ck_assert_int_eq(recv_count(1), 1);
	old = *last_record(0);
	ck_assert_int_eq(sg_conn_rehandshake(&L->s[0].e.c, L->w.now_ms), 0);
	ck_assert(run_until_established(L->w.now_ms + 10000));
	sg_conn_get_stats(&L->s[1].e.c, &d);
	ck_assert_uint_eq(d.hs_completed, 2);
	bad0 = d.record.bad_tag;
	/* C10/E3-like: the old session's keys are gone */
	simwire_inject(&L->w, 0, old.b, old.len, 0);
	run(L->w.now_ms + 50, false);
	ck_assert_int_eq(recv_count(1), 0);
	sg_conn_get_stats(&L->s[1].e.c, &d);
	ck_assert_uint_eq(d.record.bad_tag, bad0 + 1);
	send_down("session two");
	ck_assert_int_eq(recv_count(1), 1);
	link_free();
}
END_TEST

static bool hold_next_app;
static enum simwire_action hold_hook(struct simwire *w, struct simwire_frame *f, void *ctx)
{
	(void)w;
	(void)ctx;
	if (hold_next_app && f->dir == 0 && L->s[0].cur_tag >= 0) {
		hold_next_app = false;
		return SW_HOLD;
	}
	return SW_PASS;
}

START_TEST(old_phase_record_after_grace_refused)
{
	struct sg_conn_stats d;
	unsigned char buf[8];
	int i;

	/* C1: a record of the previous key phase, held back by the attacker
	 * and released after the grace period, is refused as such */
	link_setup(22, SG_CONN_START_GATEWAY);
	start_both();
	L->w.hook = hold_hook;
	hold_next_app = true;
	ck_assert_int_eq(sg_conn_send(&L->s[0].e.c, "held", 4, L->w.now_ms), 0);
	run(L->w.now_ms + 50, false);
	ck_assert_uint_eq(L->w.nheld, 1);
	ck_assert_int_eq(sg_record_key_update(&L->s[0].e.c.rec, L->w.now_ms), 0);
	for (i = 0; i < 70; i++)
		send_down("new phase");
	ck_assert_int_eq(recv_count(1), 70);
	/* past the grace time and record count */
	run(L->w.now_ms + 3000, false);
	ck_assert_int_eq(sg_record_prev_key_zero(&L->s[1].e.c.rec), 1); /* C10 */
	simwire_release(&L->w, 0);
	run(L->w.now_ms + 50, false);
	ck_assert_int_eq(sg_conn_recv(&L->s[1].e.c, buf, sizeof(buf), &(size_t){ 0 }), SG_EAGAIN);
	sg_conn_get_stats(&L->s[1].e.c, &d);
	ck_assert_uint_eq(d.record.wrong_phase, 1);
	link_free();
}
END_TEST

START_TEST(delayed_record_past_max_age_refused)
{
	struct sg_conn_stats d;
	int i;

	/* D1: freshness on; one record held 1 s (delivered: younger than the
	 * 2 s limit), one held 5 s while other traffic flows (refused) */
	link_setup(23, SG_CONN_START_GATEWAY);
	for (i = 0; i < 2; i++) {
		L->s[i].e.cfg.record.window = 0;
		sg_record_config_default(&L->s[i].e.cfg.record, 8, 1,
					 i == 0 ? SG_FRAME_FROM_GATEWAY : SG_FRAME_FROM_DEVICE);
		L->s[i].e.cfg.record.freshness = true;
		L->s[i].e.cfg.record.max_age_ms = 2000;
	}
	start_both();
	L->w.hook = hold_hook;
	hold_next_app = true;
	ck_assert_int_eq(sg_conn_send(&L->s[0].e.c, "young", 5, L->w.now_ms), 0);
	run(L->w.now_ms + 20, false);
	ck_assert_uint_eq(L->w.nheld, 1);
	run(L->w.now_ms + 1000, false);
	simwire_release(&L->w, 0);
	run(L->w.now_ms + 20, false);
	ck_assert_int_eq(recv_count(1), 1);

	hold_next_app = true;
	ck_assert_int_eq(sg_conn_send(&L->s[0].e.c, "stale", 5, L->w.now_ms), 0);
	run(L->w.now_ms + 20, false);
	ck_assert_uint_eq(L->w.nheld, 1);
	for (i = 0; i < 10; i++) {
		send_down("later");
		run(L->w.now_ms + 500, false);
	}
	ck_assert_int_eq(recv_count(1), 10);
	simwire_release(&L->w, 0);
	run(L->w.now_ms + 20, false);
	ck_assert_int_eq(recv_count(1), 0);
	sg_conn_get_stats(&L->s[1].e.c, &d);
	ck_assert_uint_eq(d.record.stale, 1);
	link_free();
}
END_TEST

START_TEST(key_limit_forces_new_handshake_without_loss)
{
	struct sg_conn_stats g;

	/* C7/C9 at session level: a key that reaches its record limit stops
	 * sealing; the session re-handshakes and the queued messages follow */
	link_setup(24, SG_CONN_START_GATEWAY);
	for (int i = 0; i < 2; i++) {
		sg_record_config_default(&L->s[i].e.cfg.record, 8, 1,
					 i == 0 ? SG_FRAME_FROM_GATEWAY : SG_FRAME_FROM_DEVICE);
		L->s[i].e.cfg.record.update_after_records = 0;
		L->s[i].e.cfg.record.update_after_ms = 0;
		L->s[i].e.cfg.record.limit_records = 100;
	}
	link_init_ends();
	traffic_setup(500);
	sg_conn_start(&L->s[0].e.c, L->w.now_ms);
	sg_conn_start(&L->s[1].e.c, L->w.now_ms);
	ck_assert(run_until_established(L->w.now_ms + 10000));
	while (L->s[0].next_id < 500 || L->s[1].next_id < 500)
		run(L->w.now_ms + 200, true);
	run(L->w.now_ms + 5000, false);
	check_delivery();
	sg_conn_get_stats(&L->s[0].e.c, &g);
	ck_assert_uint_ge(g.hs_completed, 5);
	link_free();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("conn");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, establish_gateway_initiates);
	tcase_add_test(tc, establish_device_initiates);
	tcase_add_test(tc, simultaneous_start_one_session);
	tcase_add_loop_test(tc, soak_loss_bursts_duplicates_reordering, 0, 1);
	tcase_add_test(tc, rehandshake_at_lifetime_without_loss);
	tcase_add_loop_test(tc, reboot_of_either_side, 0, 2);
	tcase_add_test(tc, identity_refused_no_session);
	tcase_add_test(tc, replayed_and_reflected_records_refused);
	tcase_add_test(tc, record_of_previous_session_refused);
	tcase_add_test(tc, old_phase_record_after_grace_refused);
	tcase_add_test(tc, delayed_record_past_max_age_refused);
	tcase_add_test(tc, key_limit_forces_new_handshake_without_loss);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
