/*
 * Unit tests of the handshake transport (fragmentation/reassembly).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "serguard/flight.h"

static unsigned char msg[SG_FLIGHT_MAX_MSG], rbuf[SG_FLIGHT_MAX_MSG];

static void fill(size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		msg[i] = (unsigned char)(i * 7 + 3);
}

/* Collect all fragments of a flight into frags[][260]; returns count. */
static size_t fragments(struct sg_flight_tx *t, unsigned char (*frags)[260], size_t *lens,
			size_t max)
{
	size_t n = 0;

	while (n < max && sg_flight_tx_next(t, frags[n], 260, &lens[n]) == 1)
		n++;
	return n;
}

static int deliver(struct sg_flight_rx *r, const unsigned char *p, size_t len)
{
	struct sg_flight_hdr h;
	const unsigned char *d;
	size_t dl;

	ck_assert_int_eq(sg_flight_hdr_decode(p, len, &h, &d, &dl), 0);
	return sg_flight_rx_push(r, &h, d, dl);
}

START_TEST(roundtrip_all_sizes)
{
	static unsigned char frags[20][260];
	size_t lens[20], n, i, len, maxp;
	struct sg_flight_tx t;
	struct sg_flight_rx r;
	int done;

	fill(sizeof(msg));
	for (maxp = 16; maxp <= 255; maxp += 239) {
		for (len = 0; len <= 1200; len += (len < 300 ? 1 : 97)) {
			ck_assert_int_eq(sg_flight_tx_init(&t, SG_FLIGHT_MSG2, 0x5A, msg, len, maxp), 0);
			n = fragments(&t, frags, lens, 20);
			if (maxp == 255)
				ck_assert_uint_eq(n, sg_flight_tx_count(&t));
			else if (n == 20)
				continue; /* small frames: longer flights than we collect */
			ck_assert_int_eq(sg_flight_rx_init(&r, rbuf, sizeof(rbuf)), 0);
			done = 0;
			for (i = 0; i < n; i++) {
				ck_assert_uint_le(lens[i], maxp);
				done = deliver(&r, frags[i], lens[i]);
				ck_assert_int_eq(done, i + 1 == n);
			}
			ck_assert_uint_eq(r.len, len);
			ck_assert_mem_eq(rbuf, msg, len);
			ck_assert_uint_eq(r.type, SG_FLIGHT_MSG2);
			ck_assert_uint_eq(r.xid, 0x5A);
		}
	}
}
END_TEST

START_TEST(loss_waits_for_retransmission)
{
	static unsigned char frags[8][260];
	size_t lens[8], n, i;
	struct sg_flight_tx t;
	struct sg_flight_rx r;

	fill(700);
	ck_assert_int_eq(sg_flight_tx_init(&t, SG_FLIGHT_MSG3, 9, msg, 700, 255), 0);
	n = fragments(&t, frags, lens, 8);
	ck_assert_uint_eq(n, 3);
	sg_flight_rx_init(&r, rbuf, sizeof(rbuf));
	/* fragment 1 lost: 0 taken, 2 ignored (gap) */
	ck_assert_int_eq(deliver(&r, frags[0], lens[0]), 0);
	ck_assert_int_eq(deliver(&r, frags[2], lens[2]), 0);
	ck_assert_uint_eq(r.gap_frags, 1);
	/* the whole flight again: 0 is a duplicate, 1 and 2 complete it */
	sg_flight_tx_rewind(&t);
	n = fragments(&t, frags, lens, 8);
	ck_assert_int_eq(deliver(&r, frags[0], lens[0]), 0);
	ck_assert_uint_eq(r.dup_frags, 1);
	ck_assert_int_eq(deliver(&r, frags[1], lens[1]), 0);
	ck_assert_int_eq(deliver(&r, frags[2], lens[2]), 1);
	ck_assert_mem_eq(rbuf, msg, 700);
	for (i = 0; i < n; i++)
		ck_assert_uint_le(lens[i], 255);
}
END_TEST

START_TEST(foreign_and_stale_exchanges_do_not_mix)
{
	static unsigned char a[4][260], b[4][260];
	size_t la[4], lb[4];
	struct sg_flight_tx t;
	struct sg_flight_rx r;

	fill(400);
	sg_flight_tx_init(&t, SG_FLIGHT_MSG2, 1, msg, 400, 255);
	ck_assert_uint_eq(fragments(&t, a, la, 4), 2);
	msg[300] ^= 0xFF;
	sg_flight_tx_init(&t, SG_FLIGHT_MSG2, 2, msg, 400, 255);
	ck_assert_uint_eq(fragments(&t, b, lb, 4), 2);
	sg_flight_rx_init(&r, rbuf, sizeof(rbuf));
	/* start with exchange 1, then a stale middle fragment of exchange 2 */
	ck_assert_int_eq(deliver(&r, a[0], la[0]), 0);
	ck_assert_int_eq(deliver(&r, b[1], lb[1]), 0);
	ck_assert_uint_eq(r.foreign_frags, 1);
	ck_assert_int_eq(deliver(&r, a[1], la[1]), 1);
	ck_assert_uint_eq(r.xid, 1);
	ck_assert_uint_eq(rbuf[300], (unsigned char)(msg[300] ^ 0xFF));
	/* a new exchange's first fragment restarts assembly */
	ck_assert_int_eq(deliver(&r, b[0], lb[0]), 0);
	ck_assert_int_eq(deliver(&r, b[1], lb[1]), 1);
	ck_assert_uint_eq(r.xid, 2);
	ck_assert_mem_eq(rbuf, msg, 400);
}
END_TEST

/* J3: a forged first fragment with the right type and xid (both
 * cleartext) ahead of the real one must not block the message: the
 * real first fragment, and each retransmission of it, starts over. */
START_TEST(forged_first_fragment_does_not_block_the_message)
{
	static unsigned char a[4][260];
	unsigned char forged[3 + 200];
	size_t la[4];
	struct sg_flight_tx t;
	struct sg_flight_rx r;

	fill(400);
	sg_flight_tx_init(&t, SG_FLIGHT_MSG2, 7, msg, 400, 255);
	ck_assert_uint_eq(fragments(&t, a, la, 4), 2);
	memcpy(forged, a[0], 3);
	forged[0] &= (unsigned char)~0x10u; /* not last */
	memset(forged + 3, 0xEE, 200);
	sg_flight_rx_init(&r, rbuf, sizeof(rbuf));
	ck_assert_int_eq(deliver(&r, forged, sizeof(forged)), 0);
	ck_assert_uint_eq(r.len, 200);
	ck_assert_int_eq(deliver(&r, a[0], la[0]), 0);
	ck_assert_uint_eq(r.dup_frags, 1);
	ck_assert_int_eq(deliver(&r, a[1], la[1]), 1);
	ck_assert_mem_eq(rbuf, msg, 400);
	/* and after a forged first fragment between the real two, the
	 * retransmitted flight completes */
	sg_flight_rx_reset(&r);
	ck_assert_int_eq(deliver(&r, a[0], la[0]), 0);
	ck_assert_int_eq(deliver(&r, forged, sizeof(forged)), 0);
	ck_assert_int_eq(deliver(&r, a[1], la[1]), 0);
	ck_assert_uint_eq(r.gap_frags, 1);
	ck_assert_int_eq(deliver(&r, a[0], la[0]), 0);
	ck_assert_int_eq(deliver(&r, a[1], la[1]), 1);
	ck_assert_mem_eq(rbuf, msg, 400);
}
END_TEST

START_TEST(header_checks)
{
	unsigned char p[8] = { 0 };
	struct sg_flight_hdr h;
	const unsigned char *d;
	size_t dl;

	ck_assert_int_eq(sg_flight_hdr_decode(p, 2, &h, &d, &dl), SG_EFRAME);
	p[0] = 0x10; p[1] = 0; p[2] = 1; /* type 0 */
	ck_assert_int_eq(sg_flight_hdr_decode(p, 3, &h, &d, &dl), SG_EFRAME);
	p[0] = (SG_FLIGHT_REQUEST << 5) | 0x10; /* request, empty, last: ok */
	ck_assert_int_eq(sg_flight_hdr_decode(p, 3, &h, &d, &dl), 0);
	ck_assert_int_eq(sg_flight_hdr_decode(p, 4, &h, &d, &dl), SG_EFRAME); /* carries data */
	p[0] = (SG_FLIGHT_BUSY << 5); /* not last */
	ck_assert_int_eq(sg_flight_hdr_decode(p, 3, &h, &d, &dl), SG_EFRAME);
	/* offset + length past the maximum message */
	p[0] = (SG_FLIGHT_MSG2 << 5) | 0x0F; p[1] = 0xFF;
	ck_assert_int_eq(sg_flight_hdr_decode(p, 5, &h, &d, &dl), SG_EFRAME);
	ck_assert_int_eq(sg_flight_hdr_decode(p, 3, &h, &d, &dl), 0);
	ck_assert_uint_eq(h.offset, 4095);
}
END_TEST

START_TEST(oversize_message_dropped)
{
	static unsigned char frags[8][260];
	unsigned char small[300];
	size_t lens[8], n, i;
	struct sg_flight_tx t;
	struct sg_flight_rx r;
	int got = 0;

	fill(600);
	sg_flight_tx_init(&t, SG_FLIGHT_MSG2, 3, msg, 600, 255);
	n = fragments(&t, frags, lens, 8);
	sg_flight_rx_init(&r, small, sizeof(small));
	for (i = 0; i < n; i++)
		got |= deliver(&r, frags[i], lens[i]);
	ck_assert_int_eq(got, 0);
	ck_assert_uint_eq(r.oversize, 1);
}
END_TEST

START_TEST(tx_init_rejects)
{
	struct sg_flight_tx t;

	ck_assert_int_eq(sg_flight_tx_init(&t, 0, 0, msg, 1, 255), SG_EINVAL);
	ck_assert_int_eq(sg_flight_tx_init(&t, 8, 0, msg, 1, 255), SG_EINVAL);
	ck_assert_int_eq(sg_flight_tx_init(&t, SG_FLIGHT_MSG1, 0, msg, 4096, 255), SG_EINVAL);
	ck_assert_int_eq(sg_flight_tx_init(&t, SG_FLIGHT_MSG1, 0, msg, 10, 3), SG_EINVAL);
	ck_assert_int_eq(sg_flight_tx_init(&t, SG_FLIGHT_BUSY, 0, msg, 1, 255), SG_EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("flight");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, roundtrip_all_sizes);
	tcase_add_test(tc, loss_waits_for_retransmission);
	tcase_add_test(tc, foreign_and_stale_exchanges_do_not_mix);
	tcase_add_test(tc, forged_first_fragment_does_not_block_the_message);
	tcase_add_test(tc, header_checks);
	tcase_add_test(tc, oversize_message_dropped);
	tcase_add_test(tc, tx_init_rejects);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
