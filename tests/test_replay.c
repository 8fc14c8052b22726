/*
 * Unit tests of the anti-replay window (proto/src/replay.c).
 *
 * The main test is a numbered table of cases in the manner of WireGuard's
 * selftest/counter.c: each step feeds one sequence number and states the
 * verdict; "new" steps are committed (the tag verified), "peek" steps are
 * only checked (a forged record: the tag failed, nothing is committed).
 * The table is written relative to the window size W and run for several
 * W. Catalogue IDs (doc attacks.md, section A) are named per case.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serguard/replay.h"

#define NEW 0
#define DUP SG_EREPLAY
#define OLD SG_ETOOOLD

struct step {
	uint64_t seq;
	int expect;
	bool commit;
	int line;
};

#define STEP(s, e) (t[n++] = (struct step){ (s), (e), true, __LINE__ })
#define PEEK(s, e) (t[n++] = (struct step){ (s), (e), false, __LINE__ })

/* The numbered case table for a window of W bits. Returns the count. */
static size_t build_table(uint64_t W, struct step *t)
{
	size_t n = 0;
	const uint64_t J = 3 * W + 10; /* top after the first big jump */
	const uint64_t B = 8 * W;      /* a block boundary: W is a multiple of 64 */

	/* initial state */
	STEP(0, NEW);		   /*  1 A7: first record has seq 0 */
	STEP(0, DUP);		   /*  2 A7, A1: replay of 0 */
	STEP(1, NEW);		   /*  3 */
	STEP(1, DUP);		   /*  4 A1: exact replay of the newest */
	/* gaps and reordering inside the window */
	STEP(9, NEW);		   /*  5 gap of 7 */
	STEP(8, NEW);		   /*  6 A4: late, not yet seen */
	STEP(7, NEW);		   /*  7 A4 */
	STEP(7, DUP);		   /*  8 A2: older, inside, replayed */
	/* block boundaries k*64-1, k*64, k*64+1 */
	STEP(63, NEW);		   /*  9 A5: k*64-1 */
	STEP(64, NEW);		   /* 10 A5: k*64 */
	STEP(65, NEW);		   /* 11 A5: k*64+1 */
	STEP(63, DUP);		   /* 12 A5 */
	STEP(64, DUP);		   /* 13 A5 */
	STEP(65, DUP);		   /* 14 A5 */
	STEP(2, NEW);		   /* 15 A4: 65-63, the oldest edge when W = 64 */
	STEP(2, DUP);		   /* 16 A2 */
	/* forged record with a huge sequence number: checked, never committed */
	PEEK(UINT64_MAX / 2, NEW); /* 17 A8: passes the window check ... */
	STEP(66, NEW);		   /* 18 A8: ... but moved nothing: next genuine one delivered */
	PEEK(UINT64_MAX / 2, NEW); /* 19 A8: and it is still "new" (not remembered) */
	/* forward jump larger than the window */
	STEP(J, NEW);		   /* 20 A6: jump by 3W */
	STEP(J - W, OLD);	   /* 21 A5: highest-W rejected; A3 */
	STEP(J - (W - 1), NEW);	   /* 22 A5: highest-(W-1) accepted; A4 */
	STEP(J - (W - 1), DUP);	   /* 23 A2: oldest in window, replayed */
	STEP(66, OLD);		   /* 24 A6: every old one rejected; A3 way out */
	STEP(0, OLD);		   /* 25 A7: 0 after the window moved on */
	STEP(J - 1, NEW);	   /* 26 A4: just delayed */
	STEP(J, DUP);		   /* 27 A2: most recent, replayed */
	STEP(J + 1, NEW);	   /* 28 */
	/* the top at the end of a block, then across it */
	STEP(B - 1, NEW);	   /* 29 A5: top = k*64-1 */
	STEP(B - 1 - W, OLD);	   /* 30 A5: highest-W */
	STEP(B - W, NEW);	   /* 31 A5: highest-(W-1) */
	STEP(B, NEW);		   /* 32 A5: top = k*64 */
	STEP(B - W, OLD);	   /* 33 A5: now highest-W */
	STEP(B + 1, NEW);	   /* 34 A5: top = k*64+1 */
	STEP(B + 1 - W, OLD);	   /* 35 A5: highest-W */
	STEP(B + 2 - W, NEW);	   /* 36 A5: highest-(W-1) */
	STEP(B - 2, NEW);	   /* 37 A4 */
	STEP(B - 1, DUP);	   /* 38 A2 */
	/* slide by exactly one block, by W, and by W + 64 (whole ring) */
	STEP(B + 65, NEW);	   /* 39 */
	STEP(B + 65 - W, OLD);	   /* 40 A5 */
	STEP(B + 66 - W, NEW);	   /* 41 A5 */
	STEP(B + 65 + W, NEW);	   /* 42 A6: slide by W */
	STEP(B + 65, OLD);	   /* 43 A5: old top is now highest-W */
	STEP(B + 66, NEW);	   /* 44 A5: highest-(W-1), bit was cleared by the slide */
	STEP(B + 129 + 2 * W, NEW);/* 45 A6: slide by W + 64 */
	STEP(B + 130 + W, NEW);	   /* 46 A5: highest-(W-1) */
	STEP(B + 129 + W, OLD);	   /* 47 A5: highest-W */
	/* the far end of the 64-bit space: no overflow */
	STEP(UINT64_MAX - 1, NEW); /* 48 A6: way new */
	STEP(UINT64_MAX, NEW);	   /* 49 */
	STEP(UINT64_MAX, DUP);	   /* 50 A1 */
	STEP(UINT64_MAX - W, OLD); /* 51 A5 */
	STEP(UINT64_MAX - (W - 1), NEW); /* 52 A5 */
	STEP(UINT64_MAX - 1, DUP); /* 53 A2 */
	STEP(J, OLD);		   /* 54 A3 */
	return n;
}

static void run_table(uint32_t W)
{
	struct step t[64];
	struct sg_replay r;
	size_t n = build_table(W, t), i;

	ck_assert_uint_le(n, sizeof(t) / sizeof(t[0]));
	ck_assert_int_eq(sg_replay_init(&r, W), 0);
	for (i = 0; i < n; i++) {
		int got = sg_replay_check(&r, t[i].seq);

		ck_assert_msg(got == t[i].expect,
			      "W=%u case %zu (line %d, seq %llu): got %s, want %s", W, i + 1,
			      t[i].line, (unsigned long long)t[i].seq, sg_errname(got),
			      sg_errname(t[i].expect));
		if (t[i].commit && got == 0)
			ck_assert_int_eq(sg_replay_commit(&r, t[i].seq), 0);
	}
}

START_TEST(table_w64) { run_table(64); }
END_TEST
START_TEST(table_w128) { run_table(128); }
END_TEST
START_TEST(table_w192) { run_table(192); }
END_TEST
START_TEST(table_w1024) { run_table(1024); }
END_TEST

/* Bulk 1 (A7, A1-A3): a fresh window, 0..4W in order, then every one
 * again: the last W are replays, everything before is too old. */
START_TEST(bulk_in_order)
{
	const uint32_t W = 128;
	struct sg_replay r;
	uint64_t i, top = 4 * W;

	ck_assert_int_eq(sg_replay_init(&r, W), 0);
	for (i = 0; i <= top; i++) {
		ck_assert_int_eq(sg_replay_check(&r, i), NEW);
		ck_assert_int_eq(sg_replay_commit(&r, i), 0);
	}
	for (i = 0; i <= top; i++)
		ck_assert_int_eq(sg_replay_check(&r, i), top - i < W ? DUP : OLD);
}
END_TEST

/* Bulk 2 (A4, A5): the newest first, then the W-1 below it in reverse:
 * all delivered once; the one below them is too old. */
START_TEST(bulk_reverse)
{
	const uint32_t W = 256;
	struct sg_replay r;
	uint64_t i, top = 5 * W + 17;

	ck_assert_int_eq(sg_replay_init(&r, W), 0);
	ck_assert_int_eq(sg_replay_commit(&r, top), 0);
	for (i = 1; i < W; i++)
		ck_assert_int_eq(sg_replay_commit(&r, top - i), 0);
	ck_assert_int_eq(sg_replay_check(&r, top - W), OLD);
	for (i = 0; i < W; i++)
		ck_assert_int_eq(sg_replay_check(&r, top - i), DUP);
}
END_TEST

/* Bulk 3 (A7): window filled with W new records, then 0 is out. */
START_TEST(bulk_fill_then_zero)
{
	const uint32_t W = 64;
	struct sg_replay r;
	uint64_t i;

	ck_assert_int_eq(sg_replay_init(&r, W), 0);
	for (i = 1; i <= W - 1; i++)
		ck_assert_int_eq(sg_replay_commit(&r, i), 0);
	ck_assert_int_eq(sg_replay_check(&r, 0), NEW); /* highest-(W-1) */
	ck_assert_int_eq(sg_replay_commit(&r, W), 0);
	ck_assert_int_eq(sg_replay_check(&r, 0), OLD); /* highest-W */
}
END_TEST

/* Deterministic xorshift so failures reproduce from the printed seed. */
static uint64_t rng_state;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Model-based: the window against a plain "set of delivered numbers"
 * with the rule of replay.h, for every window size, over random walks
 * with gaps, late records, duplicates and forgeries (checked, not
 * committed). */
START_TEST(matches_reference_model)
{
	enum { RANGE = 1 << 22 };
	static unsigned char seen[RANGE];
	uint32_t W;

	for (W = SG_REPLAY_MIN_WINDOW; W <= SG_REPLAY_MAX_WINDOW; W += 64) {
		struct sg_replay r;
		uint64_t top = 0, seq;
		bool any = false;
		int i;

		rng_state = 0x9E3779B97F4A7C15u ^ W;
		memset(seen, 0, sizeof(seen));
		ck_assert_int_eq(sg_replay_init(&r, W), 0);
		for (i = 0; i < 40000; i++) {
			uint64_t dice = rnd() % 100;
			int64_t delta;
			int want, got;

			if (dice < 50) /* late, duplicate, or too old */
				delta = -(int64_t)(rnd() % (3 * W / 2 + 1));
			else if (dice < 95) /* next, or a small gap */
				delta = 1 + (int64_t)(rnd() % 3);
			else /* a jump of one to four windows */
				delta = (int64_t)(W + rnd() % (3 * W));
			seq = (int64_t)top + delta < 0 ? 0 : (uint64_t)((int64_t)top + delta);
			if (seq >= RANGE)
				break;
			if (!any || seq > top)
				want = NEW;
			else if (top - seq >= W)
				want = OLD;
			else
				want = seen[seq] ? DUP : NEW;
			got = sg_replay_check(&r, seq);
			ck_assert_msg(got == want, "W=%u step %d seq %llu top %llu: got %d want %d",
				      W, i, (unsigned long long)seq, (unsigned long long)top, got,
				      want);
			if (got == NEW && rnd() % 4 != 0) { /* 1 in 4 is a forgery */
				ck_assert_int_eq(sg_replay_commit(&r, seq), 0);
				seen[seq] = 1;
				if (!any || seq > top)
					top = seq;
				any = true;
			}
		}
	}
}
END_TEST

START_TEST(check_has_no_side_effects)
{
	struct sg_replay r, copy;
	uint64_t probes[] = { 0, 5, 99, 100, 101, 1000, UINT64_MAX };
	size_t i;

	ck_assert_int_eq(sg_replay_init(&r, 128), 0);
	ck_assert_int_eq(sg_replay_commit(&r, 100), 0);
	ck_assert_int_eq(sg_replay_commit(&r, 99), 0);
	memcpy(&copy, &r, sizeof(r));
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		(void)sg_replay_check(&r, probes[i]);
		ck_assert_mem_eq(&copy, &r, sizeof(r));
	}
}
END_TEST

/* A commit that is not "new" changes nothing (defence against misuse). */
START_TEST(commit_refuses_non_new)
{
	struct sg_replay r, copy;

	ck_assert_int_eq(sg_replay_init(&r, 64), 0);
	ck_assert_int_eq(sg_replay_commit(&r, 1000), 0);
	memcpy(&copy, &r, sizeof(r));
	ck_assert_int_eq(sg_replay_commit(&r, 1000), DUP);
	ck_assert_int_eq(sg_replay_commit(&r, 1000 - 64), OLD);
	ck_assert_mem_eq(&copy, &r, sizeof(r));
}
END_TEST

START_TEST(init_rejects_bad_sizes)
{
	struct sg_replay r;

	ck_assert_int_eq(sg_replay_init(NULL, 64), SG_EINVAL);
	ck_assert_int_eq(sg_replay_init(&r, 0), SG_ECONFIG);
	ck_assert_int_eq(sg_replay_init(&r, 63), SG_ECONFIG);
	ck_assert_int_eq(sg_replay_init(&r, 65), SG_ECONFIG);
	ck_assert_int_eq(sg_replay_init(&r, 96), SG_ECONFIG);
	ck_assert_int_eq(sg_replay_init(&r, SG_REPLAY_MAX_WINDOW + 64), SG_ECONFIG);
	ck_assert_int_eq(sg_replay_init(&r, SG_REPLAY_MAX_WINDOW), 0);
	ck_assert_uint_eq(r.nblocks, SG_REPLAY_MAX_WINDOW / 64 + 1);
	ck_assert_int_eq(sg_replay_init(&r, SG_REPLAY_DEFAULT_WINDOW), 0);
	ck_assert(r.empty);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("replay");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, table_w64);
	tcase_add_test(tc, table_w128);
	tcase_add_test(tc, table_w192);
	tcase_add_test(tc, table_w1024);
	tcase_add_test(tc, bulk_in_order);
	tcase_add_test(tc, bulk_reverse);
	tcase_add_test(tc, bulk_fill_then_zero);
	tcase_add_test(tc, matches_reference_model);
	tcase_add_test(tc, check_has_no_side_effects);
	tcase_add_test(tc, commit_refuses_non_new);
	tcase_add_test(tc, init_rejects_bad_sizes);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
