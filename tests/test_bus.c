/*
 * Tests of the RS485 poll scheduler and RS232 pass-through (daemon/bus.c)
 * with a simulated clock and simulated devices on a simulated line.
 *
 * The simulator checks on every transmission that no reply is on its way
 * (the gateway never talks over a device) and that the turnaround gap
 * was kept; the tests then measure fairness, timeouts, down marking, the
 * cost of a dead device to the live ones, and the handshake excuse.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/bus.h"

#define MAXDEV 8
#define POLL_BYTES 8
#define DATA_BYTES 100

struct simdev {
	struct bus_dev bd;
	bool alive;
	bool always_pending;
	uint32_t latency_ms;  /* reply starts this long after the request ends */
	uint64_t busy_until;  /* computing a handshake step: silent */
	uint64_t sends;	      /* turns addressed to it */
	uint64_t served;      /* replies delivered */
	uint64_t last_send;
	uint64_t max_gap;     /* longest time between two turns */
	bool sent_once;
};

struct sim {
	struct bus b;
	struct simdev dev[MAXDEV];
	size_t n;
	uint64_t now;
	struct simdev *reply_from; /* the one reply on the line, if any */
	uint64_t reply_at;
	uint64_t last_quiet;
	bool quiet_known;
	unsigned events[5];
	struct simdev *hs_dev; /* device whose next data turn starts a handshake step */
	uint32_t hs_compute_ms;
};

static const struct bus_params default_params = {
	.response_timeout_ms = 100,
	.turnaround_ms = 5,
	.handshake_timeout_ms = 3000,
	.poll_interval_ms = 0,
	.down_poll_interval_ms = 5000,
	.down_after_timeouts = 3,
	.char_time_us = 87, /* 115200 bit/s, 10 bits a character */
	.max_frame_wire = 270,
};

static void sim_init(struct sim *s, int mode, const struct bus_params *par, size_t n)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	bus_init(&s->b, mode, par);
	s->n = n;
	for (i = 0; i < n; i++) {
		s->dev[i].bd.addr = (uint8_t)(i + 1);
		s->dev[i].bd.arg = &s->dev[i];
		s->dev[i].alive = true;
		s->dev[i].latency_ms = 3;
		ck_assert_int_eq(bus_add(&s->b, &s->dev[i].bd, 0), 0);
	}
}

static void sim_run(struct sim *s, uint64_t until)
{
	while (s->now < until) {
		struct bus_action a;
		uint64_t next;
		size_t i;

		for (i = 0; i < s->n; i++)
			if (s->dev[i].always_pending)
				bus_set_pending(&s->b, &s->dev[i].bd, true);
		bus_next(&s->b, s->now, &a);
		ck_assert_int_lt(a.event, 5);
		s->events[a.event]++;
		if (a.event != BUS_EV_NONE) {
			s->last_quiet = s->now;
			s->quiet_known = true;
		}
		if (a.kind == BUS_ACT_SEND) {
			struct simdev *d = a.dev->arg;
			size_t wire = a.data ? DATA_BYTES : POLL_BYTES;

			/* never talk over a device, and keep the turnaround gap */
			ck_assert_ptr_null(s->reply_from);
			if (s->quiet_known)
				ck_assert_uint_ge(s->now, s->last_quiet + s->b.par.turnaround_ms);
			if (d->sent_once && s->now - d->last_send > d->max_gap)
				d->max_gap = s->now - d->last_send;
			d->sent_once = true;
			d->last_send = s->now;
			d->sends++;
			if (a.data && s->hs_dev == d) {
				/* the session hands the device a handshake message
				 * it needs hs_compute_ms to process */
				d->busy_until = s->now + s->hs_compute_ms;
				bus_set_handshake(&s->b, &d->bd, true, s->now);
				bus_set_pending(&s->b, &d->bd, false);
				s->hs_dev = NULL;
			}
			bus_sent(&s->b, s->now, wire);
			if (d->alive && s->now >= d->busy_until) {
				s->reply_from = d;
				s->reply_at = s->now + bus_airtime_ms(&s->b, wire) + d->latency_ms +
					      bus_airtime_ms(&s->b, POLL_BYTES);
			}
			continue;
		}
		next = a.until;
		if (s->reply_from != NULL && s->reply_at < next)
			next = s->reply_at;
		if (next >= until) {
			s->now = until;
			break;
		}
		if (next > s->now)
			s->now = next;
		if (s->reply_from != NULL && s->reply_at <= s->now) {
			struct simdev *d = s->reply_from;

			ck_assert_int_ge(bus_reply(&s->b, &d->bd, s->now), 0);
			if (d->bd.hs_busy)
				bus_set_handshake(&s->b, &d->bd, false, s->now);
			d->served++;
			s->reply_from = NULL;
			s->last_quiet = s->now;
			s->quiet_known = true;
		}
	}
}

/* Longest a turn can take: our frame, the response timeout, the largest
 * reply, the gap. */
static uint64_t turn_max(const struct sim *s)
{
	return bus_airtime_ms(&s->b, DATA_BYTES) + s->b.par.response_timeout_ms +
	       bus_airtime_ms(&s->b, s->b.par.max_frame_wire) + s->b.par.turnaround_ms + 1;
}

/* ---- fairness -------------------------------------------------------------------- */

START_TEST(fair_round_robin)
{
	struct sim s;
	uint64_t lo = UINT64_MAX, hi = 0;
	size_t i;

	sim_init(&s, BUS_RS485, &default_params, 5);
	sim_run(&s, 10000);
	for (i = 0; i < s.n; i++) {
		if (s.dev[i].served < lo)
			lo = s.dev[i].served;
		if (s.dev[i].served > hi)
			hi = s.dev[i].served;
	}
	printf("fair_round_robin: 5 devices, 10 s: %llu..%llu replies each\n",
	       (unsigned long long)lo, (unsigned long long)hi);
	ck_assert_uint_gt(lo, 100);
	ck_assert_uint_le(hi - lo, 1);
	ck_assert_uint_eq(s.events[BUS_EV_TIMEOUT] + s.events[BUS_EV_DOWN], 0);
}
END_TEST

/* A device with data all the time does not take the bus from the others. */
START_TEST(fair_with_busy_talker)
{
	struct sim s;
	size_t i;

	sim_init(&s, BUS_RS485, &default_params, 4);
	s.dev[0].always_pending = true;
	sim_run(&s, 10000);
	for (i = 1; i < s.n; i++) {
		ck_assert_uint_le(s.dev[0].served, s.dev[i].served + 1);
		ck_assert_uint_le(s.dev[i].served, s.dev[0].served + 1);
	}
	ck_assert_uint_eq(s.dev[0].bd.st.data, s.dev[0].sends);
	ck_assert_uint_eq(s.dev[0].bd.st.polls, 0);
	ck_assert_uint_eq(s.dev[1].bd.st.data, 0);
}
END_TEST

/* Each live device is served within a bound, even with a dead one. */
START_TEST(bounded_wait)
{
	struct bus_params par = default_params;
	struct sim s;
	uint64_t bound;
	size_t i;

	par.poll_interval_ms = 100;
	sim_init(&s, BUS_RS485, &par, 6);
	s.dev[5].alive = false;
	s.dev[0].always_pending = true;
	sim_run(&s, 30000);
	bound = par.poll_interval_ms + (s.n + 1) * turn_max(&s);
	for (i = 0; i < 5; i++) {
		printf("bounded_wait: device %zu: longest wait %llu ms (bound %llu)\n", i,
		       (unsigned long long)s.dev[i].max_gap, (unsigned long long)bound);
		ck_assert_uint_le(s.dev[i].max_gap, bound);
		ck_assert_uint_gt(s.dev[i].served, 30000 / (par.poll_interval_ms + 2 * turn_max(&s)));
	}
	/* without pending data, the poll interval is kept */
	for (i = 1; i < 5; i++)
		ck_assert_uint_ge(s.dev[i].max_gap, par.poll_interval_ms);
}
END_TEST

/* ---- timeouts and down ------------------------------------------------------------- */

START_TEST(timeouts_mark_down)
{
	struct sim s;
	struct simdev *dead;
	uint64_t polls_down;

	sim_init(&s, BUS_RS485, &default_params, 2);
	dead = &s.dev[1];
	dead->alive = false;
	sim_run(&s, 1000);
	/* two counted timeouts, then the third marks it down */
	ck_assert_uint_eq(s.events[BUS_EV_TIMEOUT], 2);
	ck_assert_uint_eq(s.events[BUS_EV_DOWN], 1);
	ck_assert(dead->bd.down);
	ck_assert_uint_eq(dead->bd.fails, 3);
	ck_assert_uint_eq(dead->bd.st.downs, 1);
	ck_assert_uint_eq(dead->sends, 3);
	/* down: polled every down_poll_interval_ms only */
	sim_run(&s, 21000);
	polls_down = dead->sends - 3;
	printf("timeouts_mark_down: %llu polls of the dead device in 20 s\n",
	       (unsigned long long)polls_down);
	ck_assert_uint_ge(polls_down, 3);
	ck_assert_uint_le(polls_down, 5);
	ck_assert_uint_eq(s.events[BUS_EV_DOWN], 1);
	/* it comes back: the next poll is answered and it is up again */
	dead->alive = true;
	sim_run(&s, 27000);
	ck_assert(!dead->bd.down);
	ck_assert_uint_eq(dead->bd.fails, 0);
	ck_assert_uint_gt(dead->served, 0);
	ck_assert_uint_eq(s.dev[0].bd.st.timeouts, 0);
}
END_TEST

START_TEST(back_up_is_reported)
{
	struct bus_params par = default_params;
	struct bus b;
	struct bus_dev d = { .addr = 9 };
	struct bus_action a;
	uint64_t t = 0;
	int i;

	par.down_after_timeouts = 1;
	bus_init(&b, BUS_RS485, &par);
	ck_assert_int_eq(bus_add(&b, &d, 0), 0);
	bus_next(&b, t, &a);
	ck_assert_int_eq(a.kind, BUS_ACT_SEND);
	bus_sent(&b, t, POLL_BYTES);
	t = 1000;
	bus_next(&b, t, &a);
	ck_assert_int_eq(a.event, BUS_EV_DOWN);
	ck_assert_ptr_eq(a.event_dev, &d);
	ck_assert_int_eq(a.kind, BUS_ACT_WAIT);
	ck_assert_uint_eq(a.until, t + par.turnaround_ms);
	/* pending data waits while the device is down: only polls */
	bus_set_pending(&b, &d, true);
	for (i = 0; i < 2; i++) {
		bus_next(&b, t, &a);
		ck_assert_int_eq(a.kind, BUS_ACT_WAIT);
		t = a.until;
	}
	ck_assert_uint_eq(t, 1000 + par.down_poll_interval_ms);
	bus_next(&b, t, &a);
	ck_assert_int_eq(a.kind, BUS_ACT_SEND);
	ck_assert(!a.data);
	bus_sent(&b, t, POLL_BYTES);
	ck_assert_int_eq(bus_reply(&b, &d, t + 5), 1); /* back up */
	t += 5 + par.turnaround_ms;
	bus_next(&b, t, &a);
	ck_assert_int_eq(a.kind, BUS_ACT_SEND);
	ck_assert(a.data);
}
END_TEST

/* The live devices' share of the bus with and without a dead neighbour. */
START_TEST(dead_does_not_starve)
{
	struct sim with, without;
	size_t i;

	sim_init(&without, BUS_RS485, &default_params, 4);
	sim_run(&without, 60000);
	sim_init(&with, BUS_RS485, &default_params, 5);
	with.dev[4].alive = false;
	sim_run(&with, 60000);
	for (i = 0; i < 4; i++) {
		double ratio = (double)with.dev[i].served / (double)without.dev[i].served;

		printf("dead_does_not_starve: device %zu: %llu replies in 60 s with a dead device, "
		       "%llu without (%.1f %%)\n",
		       i, (unsigned long long)with.dev[i].served,
		       (unsigned long long)without.dev[i].served, 100.0 * ratio);
		ck_assert(ratio >= 0.90);
	}
	ck_assert(with.dev[4].bd.down);
	ck_assert_uint_le(with.dev[4].sends, 3 + 60000 / 5000 + 1);
}
END_TEST

/* ---- handshake steps ----------------------------------------------------------------- */

START_TEST(handshake_busy_device)
{
	struct bus_params par = default_params;
	struct sim s;
	uint64_t before[3];
	size_t i;

	par.poll_interval_ms = 50;
	sim_init(&s, BUS_RS485, &par, 3);
	sim_run(&s, 1000);
	for (i = 0; i < 3; i++)
		before[i] = s.dev[i].served;
	/* device 0 gets a handshake message and computes for 1.2 s */
	s.hs_dev = &s.dev[0];
	s.hs_compute_ms = 1200;
	bus_set_pending(&s.b, &s.dev[0].bd, true);
	sim_run(&s, 2200);
	ck_assert(s.dev[0].bd.hs_busy || s.dev[0].served > before[0]);
	/* the bus kept serving the others meanwhile */
	for (i = 1; i < 3; i++) {
		printf("handshake_busy_device: device %zu served %llu times while device 0 "
		       "computed\n",
		       i, (unsigned long long)(s.dev[i].served - before[i]));
		ck_assert_uint_ge(s.dev[i].served - before[i], 15);
	}
	sim_run(&s, 4000);
	/* its silence was excused, never counted, and its answer came */
	ck_assert_uint_gt(s.dev[0].bd.st.excused, 0);
	ck_assert_uint_eq(s.dev[0].bd.st.timeouts, 0);
	ck_assert(!s.dev[0].bd.down);
	ck_assert(!s.dev[0].bd.hs_busy);
	ck_assert_uint_gt(s.dev[0].served, before[0] + 1);
	ck_assert_uint_eq(s.events[BUS_EV_TIMEOUT] + s.events[BUS_EV_DOWN], 0);
	/* it was re-polled at most every max(poll interval, response timeout) */
	ck_assert_uint_le(s.dev[0].bd.st.excused, 1200 / par.response_timeout_ms + 1);
}
END_TEST

START_TEST(handshake_timeout_counts)
{
	struct bus_params par = default_params;
	struct sim s;

	par.poll_interval_ms = 50;
	par.handshake_timeout_ms = 1000;
	sim_init(&s, BUS_RS485, &par, 2);
	sim_run(&s, 500);
	s.hs_dev = &s.dev[0];
	s.hs_compute_ms = 100000; /* never answers */
	bus_set_pending(&s.b, &s.dev[0].bd, true);
	sim_run(&s, 3000);
	ck_assert_uint_eq(s.events[BUS_EV_HS_TIMEOUT], 1);
	ck_assert(!s.dev[0].bd.hs_busy);
	ck_assert(s.dev[0].bd.down); /* 1 + 2 more counted timeouts */
	ck_assert_uint_ge(s.dev[0].bd.st.excused, 3);
	ck_assert_uint_eq(s.dev[1].bd.st.timeouts, 0);
}
END_TEST

/* ---- the line ---------------------------------------------------------------------------- */

START_TEST(never_two_outstanding)
{
	struct bus_params par = default_params;
	struct bus b;
	struct bus_dev d[3] = { { .addr = 1 }, { .addr = 2 }, { .addr = 3 } };
	struct bus_action a;
	uint64_t t, deadline;
	int i;

	par.poll_interval_ms = 0;
	bus_init(&b, BUS_RS485, &par);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(bus_add(&b, &d[i], 0), 0);
	bus_next(&b, 0, &a);
	ck_assert_int_eq(a.kind, BUS_ACT_SEND);
	ck_assert_ptr_eq(a.dev, &d[0]);
	/* asked again before reporting the send: nothing */
	bus_next(&b, 0, &a);
	ck_assert_int_eq(a.kind, BUS_ACT_WAIT);
	ck_assert_uint_eq(a.until, BUS_NEVER);
	bus_sent(&b, 0, 200);
	deadline = bus_airtime_ms(&b, 200) + par.response_timeout_ms;
	for (t = 0; t < deadline; t++) {
		bus_next(&b, t, &a);
		ck_assert_int_eq(a.kind, BUS_ACT_WAIT);
		ck_assert_uint_eq(a.until, deadline);
		bus_set_pending(&b, &d[1], true); /* pending data changes nothing */
	}
	/* a frame from another device is not the reply */
	ck_assert_int_eq(bus_reply(&b, &d[2], 10), -1);
	ck_assert_uint_eq(d[2].st.unexpected, 1);
	bus_next(&b, 10, &a);
	ck_assert_int_eq(a.kind, BUS_ACT_WAIT);
	ck_assert_int_eq(bus_reply(&b, &d[0], 12), 0);
	/* the gap, then the next device in turn */
	bus_next(&b, 12, &a);
	ck_assert_int_eq(a.kind, BUS_ACT_WAIT);
	ck_assert_uint_eq(a.until, 12 + par.turnaround_ms);
	bus_next(&b, 12 + par.turnaround_ms, &a);
	ck_assert_int_eq(a.kind, BUS_ACT_SEND);
	ck_assert_ptr_eq(a.dev, &d[1]);
	ck_assert(a.data);
	/* a cancelled turn frees the line at once */
	bus_cancel(&b);
	bus_next(&b, 12 + par.turnaround_ms, &a);
	ck_assert_int_eq(a.kind, BUS_ACT_SEND);
	ck_assert_ptr_eq(a.dev, &d[2]);
	/* a late reply from a device that timed out is ignored */
	bus_sent(&b, 20, POLL_BYTES);
	bus_next(&b, 1000, &a);
	ck_assert_int_eq(a.event, BUS_EV_TIMEOUT);
	ck_assert_int_eq(bus_reply(&b, &d[2], 1001), -1);
}
END_TEST

START_TEST(rx_extends_the_wait)
{
	struct bus_params par = default_params;
	struct bus b;
	struct bus_dev d = { .addr = 1 };
	struct bus_action a;
	uint64_t deadline, hard;

	par.char_time_us = 1042; /* 9600 bit/s */
	bus_init(&b, BUS_RS485, &par);
	ck_assert_int_eq(bus_add(&b, &d, 0), 0);
	bus_next(&b, 0, &a);
	bus_sent(&b, 0, POLL_BYTES);
	deadline = bus_airtime_ms(&b, POLL_BYTES) + par.response_timeout_ms;
	hard = deadline + bus_airtime_ms(&b, par.max_frame_wire);
	bus_rx(&b, deadline - 1);
	bus_next(&b, deadline, &a);
	ck_assert_int_eq(a.kind, BUS_ACT_WAIT);
	ck_assert_uint_eq(a.until, deadline - 1 + par.response_timeout_ms);
	/* bytes keep coming: extended at most to the longest frame's airtime */
	bus_rx(&b, hard - 1);
	bus_next(&b, hard - 1, &a);
	ck_assert_uint_eq(a.until, hard);
	bus_next(&b, hard, &a);
	ck_assert_int_eq(a.event, BUS_EV_TIMEOUT);
}
END_TEST

START_TEST(remove_while_waiting)
{
	struct bus b;
	struct bus_dev d[2] = { { .addr = 1 }, { .addr = 2 } };
	struct bus_action a;
	uint64_t deadline;

	bus_init(&b, BUS_RS485, &default_params);
	ck_assert_int_eq(bus_add(&b, &d[0], 0), 0);
	ck_assert_int_eq(bus_add(&b, &d[1], 0), 0);
	ck_assert_int_eq(bus_add(&b, &d[1], 0), -1); /* already there */
	{
		struct bus_dev same = { .addr = 2 };

		ck_assert_int_eq(bus_add(&b, &same, 0), -1); /* address taken */
	}
	bus_next(&b, 0, &a);
	ck_assert_ptr_eq(a.dev, &d[0]);
	bus_sent(&b, 0, POLL_BYTES);
	deadline = bus_airtime_ms(&b, POLL_BYTES) + default_params.response_timeout_ms;
	bus_remove(&b, &d[0]);
	/* the removed device may still answer: the line stays reserved */
	bus_next(&b, 1, &a);
	ck_assert_int_eq(a.kind, BUS_ACT_WAIT);
	ck_assert_uint_eq(a.until, deadline);
	bus_next(&b, deadline, &a);
	ck_assert_int_eq(a.kind, BUS_ACT_SEND);
	ck_assert_ptr_eq(a.dev, &d[1]);
	ck_assert_int_eq(a.event, BUS_EV_NONE);
	bus_sent(&b, deadline, POLL_BYTES);
	bus_reset(&b, deadline + 1); /* port reopened: nothing outstanding */
	bus_next(&b, deadline + 1, &a);
	ck_assert_int_eq(a.kind, BUS_ACT_SEND);
}
END_TEST

START_TEST(rs232_pass_through)
{
	struct bus b;
	struct bus_dev d = { .addr = 1 }, other = { .addr = 2 };
	struct bus_action a;
	int i;

	bus_init(&b, BUS_RS232, &default_params);
	ck_assert_int_eq(bus_add(&b, &d, 0), 0);
	ck_assert_int_eq(bus_add(&b, &other, 0), -1); /* point-to-point */
	/* no polls, ever */
	for (i = 0; i < 10; i++) {
		bus_next(&b, (uint64_t)i * 1000, &a);
		ck_assert_int_eq(a.kind, BUS_ACT_WAIT);
		ck_assert_uint_eq(a.until, BUS_NEVER);
	}
	/* data goes out as soon as there is some, without waiting for replies */
	bus_set_pending(&b, &d, true);
	for (i = 0; i < 5; i++) {
		bus_next(&b, 10000, &a);
		ck_assert_int_eq(a.kind, BUS_ACT_SEND);
		ck_assert(a.data);
		bus_sent(&b, 10000, DATA_BYTES);
	}
	ck_assert_uint_eq(d.st.data, 5);
	/* the device may speak at any time */
	ck_assert_int_eq(bus_reply(&b, &d, 10001), 0);
	bus_set_pending(&b, &d, false);
	bus_next(&b, 10002, &a);
	ck_assert_int_eq(a.kind, BUS_ACT_WAIT);
}
END_TEST

START_TEST(event_names)
{
	ck_assert_str_eq(bus_event_name(BUS_EV_NONE), "none");
	ck_assert_str_eq(bus_event_name(BUS_EV_TIMEOUT), "timeout");
	ck_assert_str_eq(bus_event_name(BUS_EV_DOWN), "down");
	ck_assert_str_eq(bus_event_name(BUS_EV_HS_TIMEOUT), "handshake timeout");
	ck_assert_str_eq(bus_event_name(BUS_EV_EXCUSED), "excused timeout");
	ck_assert_str_eq(bus_event_name(99), "?");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("bus");
	TCase *tc = tcase_create("scheduler");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, fair_round_robin);
	tcase_add_test(tc, fair_with_busy_talker);
	tcase_add_test(tc, bounded_wait);
	tcase_add_test(tc, timeouts_mark_down);
	tcase_add_test(tc, back_up_is_reported);
	tcase_add_test(tc, dead_does_not_starve);
	tcase_add_test(tc, handshake_busy_device);
	tcase_add_test(tc, handshake_timeout_counts);
	tcase_add_test(tc, never_two_outstanding);
	tcase_add_test(tc, rx_extends_the_wait);
	tcase_add_test(tc, remove_while_waiting);
	tcase_add_test(tc, rs232_pass_through);
	tcase_add_test(tc, event_names);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
