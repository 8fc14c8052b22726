/*
 * Unit tests of serguard-device's line-rate emulation (device/line.c):
 * byte times at a baud rate in both directions, idle lines not banking
 * credit, frame loss that is seeded, whole-frame and line-time keeping.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../device/line.h"

static struct line l; /* large: keep it off the stack */

#define MS 1000000ull

START_TEST(byte_time)
{
	ck_assert_uint_eq(line_byte_ns(0), 0);
	/* 8N1: 10 bits a byte */
	ck_assert_uint_eq(line_byte_ns(9600), 1041667);
	ck_assert_uint_eq(line_byte_ns(115200), 86806);
}
END_TEST

START_TEST(rx_paced)
{
	const unsigned char in[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 0};
	uint64_t bt = line_byte_ns(9600), t0 = 5 * MS;
	unsigned char b;
	size_t i;

	line_init(&l, 9600, 0, 0, 1);
	line_rx_put(&l, in, sizeof(in), t0);
	ck_assert_uint_eq(line_rx_next(&l), t0 + bt);
	/* nothing before the first byte's stop bit */
	ck_assert_int_eq(line_rx_take(&l, t0 + bt - 1, &b), 0);
	for (i = 0; i < sizeof(in); i++) {
		ck_assert_int_eq(line_rx_take(&l, t0 + (i + 1) * bt - 1, &b), 0);
		ck_assert_int_eq(line_rx_take(&l, t0 + (i + 1) * bt, &b), 1);
		ck_assert_uint_eq(b, in[i]);
	}
	ck_assert_uint_eq(line_rx_next(&l), LINE_NEVER);
	/* an idle line banks no credit: bytes read much later trickle again */
	line_rx_put(&l, in, 2, t0 + 1000 * MS);
	ck_assert_int_eq(line_rx_take(&l, t0 + 1000 * MS, &b), 0);
	ck_assert_int_eq(line_rx_take(&l, t0 + 1000 * MS + bt, &b), 1);
	ck_assert_int_eq(line_rx_take(&l, t0 + 1000 * MS + bt, &b), 0);
}
END_TEST

START_TEST(rx_unpaced_and_room)
{
	unsigned char in[LINE_RX_CAP], b;
	size_t i;

	memset(in, 0x55, sizeof(in));
	line_init(&l, 0, 0, 0, 1);
	ck_assert_uint_eq(line_rx_room(&l), LINE_RX_CAP);
	line_rx_put(&l, in, sizeof(in), 7);
	ck_assert_uint_eq(line_rx_room(&l), 0);
	for (i = 0; i < sizeof(in); i++)
		ck_assert_int_eq(line_rx_take(&l, 7, &b), 1);
	ck_assert_int_eq(line_rx_take(&l, 7, &b), 0);
	ck_assert_uint_eq(line_rx_room(&l), LINE_RX_CAP);
	ck_assert_uint_eq(l.stats.rx_bytes, LINE_RX_CAP);
}
END_TEST

START_TEST(tx_paced)
{
	const unsigned char f[5] = {0, 'a', 'b', 'c', 0};
	uint64_t bt = line_byte_ns(9600), t0 = 100 * MS;
	const unsigned char *p;

	line_init(&l, 9600, 0, 0, 1);
	ck_assert(line_tx_idle(&l));
	ck_assert_int_eq(line_tx_frame(&l, f, sizeof(f), t0), 1);
	ck_assert(!line_tx_idle(&l));
	ck_assert_uint_eq(line_tx_next(&l), t0 + bt);
	ck_assert_uint_eq(line_tx_ready(&l, t0, &p), 0);
	ck_assert_uint_eq(line_tx_ready(&l, t0 + 2 * bt, &p), 2);
	ck_assert_mem_eq(p, f, 2);
	line_tx_done(&l, 1); /* a partial write */
	ck_assert_uint_eq(line_tx_ready(&l, t0 + 2 * bt, &p), 1);
	ck_assert_uint_eq(p[0], 'a');
	line_tx_done(&l, 1);
	ck_assert_uint_eq(line_tx_ready(&l, t0 + 100 * bt, &p), 3);
	line_tx_done(&l, 3);
	ck_assert(line_tx_idle(&l));
	ck_assert_uint_eq(line_tx_next(&l), LINE_NEVER);
	ck_assert_uint_eq(l.stats.tx_bytes, 5);
}
END_TEST

START_TEST(tx_unpaced)
{
	const unsigned char f[3] = {0, 9, 0};
	const unsigned char *p;

	line_init(&l, 0, 0, 0, 1);
	ck_assert_int_eq(line_tx_frame(&l, f, sizeof(f), 0), 1);
	ck_assert_uint_eq(line_tx_next(&l), 0);
	ck_assert_uint_eq(line_tx_ready(&l, 0, &p), 3);
	line_tx_done(&l, 3);
	ck_assert(line_tx_idle(&l));
}
END_TEST

START_TEST(loss_all_none_and_line_time)
{
	const unsigned char f[10] = {0};
	uint64_t bt = line_byte_ns(9600);
	const unsigned char *p;
	int i;

	line_init(&l, 9600, 1000000, 0, 3);
	for (i = 0; i < 50; i++)
		ck_assert_int_eq(line_tx_frame(&l, f, sizeof(f), 0), 0);
	ck_assert_uint_eq(l.stats.frames_lost_out, 50);
	ck_assert(line_tx_idle(&l));
	/* a lost frame still took the line for its bytes: the next waits */
	line_init(&l, 9600, 1000000, 0, 3);
	ck_assert_int_eq(line_tx_frame(&l, f, sizeof(f), 0), 0);
	l.loss_out_ppm = 0;
	ck_assert_int_eq(line_tx_frame(&l, f, sizeof(f), 0), 1);
	ck_assert_uint_eq(line_tx_ready(&l, 10 * bt, &p), 0);
	ck_assert_uint_eq(line_tx_ready(&l, 11 * bt, &p), 1);

	line_init(&l, 0, 0, 0, 3);
	for (i = 0; i < 50; i++) {
		ck_assert_int_eq(line_tx_frame(&l, f, sizeof(f), 0), 1);
		line_tx_done(&l, sizeof(f));
	}
	ck_assert_uint_eq(l.stats.frames_lost_out, 0);
}
END_TEST

static unsigned lost_pattern(uint64_t seed, unsigned char *out, size_t n)
{
	const unsigned char f[4] = {0, 1, 2, 0};
	unsigned lost = 0;
	size_t i;

	line_init(&l, 0, 200000, 0, seed);
	for (i = 0; i < n; i++) {
		out[i] = (unsigned char)(line_tx_frame(&l, f, sizeof(f), 0) == 0);
		lost += out[i];
		l.tx_off = l.tx_len = 0;
	}
	return lost;
}

START_TEST(loss_rate_and_seed)
{
	static unsigned char a[10000], b[10000], c[10000];
	unsigned la = lost_pattern(4, a, sizeof(a));

	/* 20%: 2000 expected, sd 40 */
	ck_assert_uint_ge(la, 1700);
	ck_assert_uint_le(la, 2300);
	ck_assert_uint_eq(lost_pattern(4, b, sizeof(b)), la);
	ck_assert_mem_eq(a, b, sizeof(a)); /* same seed, same drops */
	lost_pattern(5, c, sizeof(c));
	ck_assert(memcmp(a, c, sizeof(a)) != 0);
}
END_TEST

START_TEST(loss_in_whole_frames)
{
	/* three frames; all bodies lost, delimiters kept */
	const unsigned char in[] = {0, 1, 2, 0, 0, 3, 4, 5, 0, 0, 6, 0};
	unsigned char b;
	size_t n = 0;

	line_init(&l, 0, 0, 1000000, 9);
	line_rx_put(&l, in, sizeof(in), 0);
	while (line_rx_take(&l, 0, &b) == 1) {
		ck_assert_uint_eq(b, 0);
		n++;
	}
	ck_assert_uint_eq(n, 6);
	ck_assert_uint_eq(l.stats.frames_in, 3);
	ck_assert_uint_eq(l.stats.frames_lost_in, 3);
	/* none lost: every byte passes, in order */
	line_init(&l, 0, 0, 0, 9);
	line_rx_put(&l, in, sizeof(in), 0);
	for (n = 0; n < sizeof(in); n++) {
		ck_assert_int_eq(line_rx_take(&l, 0, &b), 1);
		ck_assert_uint_eq(b, in[n]);
	}
	/* a reset (power cycle) forgets what was in flight */
	line_rx_put(&l, in, sizeof(in), 0);
	line_reset(&l);
	ck_assert_int_eq(line_rx_take(&l, 0, &b), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("device_line");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, byte_time);
	tcase_add_test(tc, rx_paced);
	tcase_add_test(tc, rx_unpaced_and_room);
	tcase_add_test(tc, tx_paced);
	tcase_add_test(tc, tx_unpaced);
	tcase_add_test(tc, loss_all_none_and_line_time);
	tcase_add_test(tc, loss_rate_and_seed);
	tcase_add_test(tc, loss_in_whole_frames);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
