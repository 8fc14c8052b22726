/*
 * Unit tests of the bounded message FIFO, including a randomized run
 * against a simple model (every message comes out once, in order,
 * unaltered; the queue refuses only when it is really full).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "serguard/msgq.h"

static uint32_t rs = 99;
static uint32_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 17;
	rs ^= rs << 5;
	return rs;
}

START_TEST(basic_fifo)
{
	unsigned char buf[100], src[100] = { 0 };
	struct sg_msgq q;
	const unsigned char *m;
	uint64_t t;

	ck_assert_int_eq(sg_msgq_init(&q, buf, sizeof(buf)), 0);
	ck_assert_int_eq(sg_msgq_peek(&q, &m, &t), SG_EAGAIN);
	ck_assert_int_eq(sg_msgq_push(&q, "hello", 5, 1234567890123ull), 0);
	ck_assert_int_eq(sg_msgq_push(&q, NULL, 0, 2), 0);
	ck_assert_int_eq(sg_msgq_peek(&q, &m, &t), 5);
	ck_assert_mem_eq(m, "hello", 5);
	ck_assert_uint_eq(t, 1234567890123ull);
	sg_msgq_pop(&q);
	ck_assert_int_eq(sg_msgq_peek(&q, &m, &t), 0);
	ck_assert_uint_eq(t, 2);
	sg_msgq_pop(&q);
	ck_assert_uint_eq(q.count, 0);
	ck_assert_int_eq(sg_msgq_push(&q, src, 91, 0), SG_ETOOBIG);
	ck_assert_int_eq(sg_msgq_push(&q, src, 90, 0), 0);
	ck_assert_int_eq(sg_msgq_push(&q, src, 0, 0), SG_EFULL);
}
END_TEST

START_TEST(wraps_without_splitting)
{
	unsigned char buf[SG_MSGQ_BUF_LEN(3, 20)], m1[20];
	struct sg_msgq q;
	const unsigned char *m;
	int i;

	sg_msgq_init(&q, buf, sizeof(buf));
	memset(m1, 'a', sizeof(m1));
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(sg_msgq_push(&q, m1, 20, (uint64_t)i), 0);
	sg_msgq_pop(&q);
	sg_msgq_pop(&q);
	/* one in the middle; the next must go to the front */
	memset(m1, 'b', sizeof(m1));
	ck_assert_int_eq(sg_msgq_push(&q, m1, 20, 9), 0);
	ck_assert_int_eq(sg_msgq_push(&q, m1, 20, 10), 0);
	ck_assert_int_eq(sg_msgq_peek(&q, &m, NULL), 20);
	ck_assert_uint_eq(m[0], 'a');
	sg_msgq_pop(&q);
	ck_assert_int_eq(sg_msgq_peek(&q, &m, NULL), 20);
	ck_assert_uint_eq(m[0], 'b');
}
END_TEST

START_TEST(random_against_model)
{
	enum { CAP = 257, N = 64 };
	unsigned char buf[CAP];
	unsigned char model[N][80];
	size_t mlen[N], head = 0, n = 0, used = 0, len, k;
	struct sg_msgq q;
	const unsigned char *m;
	uint64_t t;
	int step, rc;

	sg_msgq_init(&q, buf, sizeof(buf));
	for (step = 0; step < 200000; step++) {
		if (rnd() % 2 == 0) {
			len = rnd() % 80;
			unsigned char msg[80];

			for (k = 0; k < len; k++)
				msg[k] = (unsigned char)rnd();
			rc = sg_msgq_push(&q, msg, len, (uint64_t)step);
			if (rc == 0) {
				ck_assert_uint_lt(n, N);
				memcpy(model[(head + n) % N], msg, len);
				mlen[(head + n) % N] = len;
				n++;
				used += SG_MSGQ_HDR_LEN + len;
			} else {
				ck_assert_int_eq(rc, SG_EFULL);
				/* refusing is only allowed when not even a compact
				 * layout would leave room at both ends */
				ck_assert_uint_gt(used + SG_MSGQ_HDR_LEN + len, CAP / 2);
			}
		} else if (n > 0) {
			rc = sg_msgq_peek(&q, &m, &t);
			ck_assert_int_eq(rc, (int)mlen[head]);
			ck_assert_mem_eq(m, model[head], mlen[head]);
			sg_msgq_pop(&q);
			used -= SG_MSGQ_HDR_LEN + mlen[head];
			head = (head + 1) % N;
			n--;
		}
		ck_assert_uint_eq(q.count, n);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("msgq");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, basic_fifo);
	tcase_add_test(tc, wraps_without_splitting);
	tcase_add_test(tc, random_against_model);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
