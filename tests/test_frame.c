/*
 * Unit tests of the link framing: CRC, COBS, encoder, streaming decoder.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "serguard/frame.h"

#define MAXP SG_FRAME_DEFAULT_MAX_PAYLOAD

static unsigned char dbuf[SG_FRAME_DECODE_BUF_LEN(MAXP)];
static struct sg_frame_decoder dec;

/* Deterministic xorshift so failures reproduce. */
static uint32_t rng_state = 0x12345678u;
static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static void setup_gw(void)
{
	ck_assert_int_eq(sg_frame_decoder_init(&dec, dbuf, sizeof(dbuf), MAXP,
					       SG_FRAME_FROM_DEVICE, 0),
			 0);
}

/* Feed a whole buffer; collect up to max frames. */
static size_t feed(const unsigned char *in, size_t len, struct sg_frame *out,
		   unsigned char (*copies)[MAXP], size_t max)
{
	size_t n = 0, used;
	struct sg_frame f;

	while (len > 0) {
		if (sg_frame_decoder_push(&dec, in, len, &used, &f) == 1) {
			ck_assert_uint_lt(n, max);
			memcpy(copies[n], f.payload, f.len);
			out[n] = f;
			out[n].payload = copies[n];
			n++;
		}
		ck_assert_uint_le(used, len);
		in += used;
		len -= used;
	}
	return n;
}

START_TEST(crc_check_value)
{
	/* The catalogue check value of CRC-16/IBM-SDLC. */
	ck_assert_uint_eq(sg_crc16("123456789", 9), 0x906E);
	/* Streaming equals one shot. */
	ck_assert_uint_eq(sg_crc16_update(sg_crc16_update(SG_CRC16_INIT, "1234", 4),
					  "56789", 5) ^ 0xFFFF, 0x906E);
}
END_TEST

START_TEST(cobs_known_vectors)
{
	/* Examples from Cheshire & Baker / the COBS literature. */
	static const struct {
		unsigned char in[8];
		size_t in_len;
		unsigned char out[9];
		size_t out_len;
	} v[] = {
		{ { 0x00 }, 1, { 0x01, 0x01 }, 2 },
		{ { 0x00, 0x00 }, 2, { 0x01, 0x01, 0x01 }, 3 },
		{ { 0x11, 0x22, 0x00, 0x33 }, 4, { 0x03, 0x11, 0x22, 0x02, 0x33 }, 5 },
		{ { 0x11, 0x22, 0x33, 0x44 }, 4, { 0x05, 0x11, 0x22, 0x33, 0x44 }, 5 },
		{ { 0x11, 0x00, 0x00, 0x00 }, 4, { 0x02, 0x11, 0x01, 0x01, 0x01 }, 5 },
	};
	unsigned char out[16], back[16];
	size_t n, m, i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		ck_assert_int_eq(sg_cobs_encode(v[i].in, v[i].in_len, out, sizeof(out), &n), 0);
		ck_assert_uint_eq(n, v[i].out_len);
		ck_assert_mem_eq(out, v[i].out, n);
		ck_assert_int_eq(sg_cobs_decode(out, n, back, sizeof(back), &m), 0);
		ck_assert_uint_eq(m, v[i].in_len);
		ck_assert_mem_eq(back, v[i].in, m);
	}
}
END_TEST

START_TEST(cobs_long_runs)
{
	/* Runs of non-zero bytes across the 254-byte block boundary. */
	unsigned char in[600], enc[700], back[600];
	size_t len, n, m, i;

	for (len = 0; len <= sizeof(in); len++) {
		for (i = 0; i < len; i++)
			in[i] = (unsigned char)(1 + (i % 255));
		if (len > 3 && (len % 7) == 0)
			in[len / 2] = 0;
		ck_assert_int_eq(sg_cobs_encode(in, len, enc, sizeof(enc), &n), 0);
		ck_assert_uint_le(n, len + len / 254 + 1);
		ck_assert_ptr_null(memchr(enc, 0, n));
		ck_assert_int_eq(sg_cobs_decode(enc, n, back, sizeof(back), &m), 0);
		ck_assert_uint_eq(m, len);
		ck_assert_mem_eq(back, in, len);
	}
}
END_TEST

START_TEST(cobs_decode_rejects)
{
	unsigned char out[8];
	size_t n;
	static const unsigned char zero_inside[] = { 0x03, 0x11, 0x00 };
	static const unsigned char past_end[] = { 0x05, 0x11, 0x22 };

	ck_assert_int_eq(sg_cobs_decode(zero_inside, 3, out, sizeof(out), &n), SG_EFRAME);
	ck_assert_int_eq(sg_cobs_decode(past_end, 3, out, sizeof(out), &n), SG_EFRAME);
	ck_assert_int_eq(sg_cobs_encode("abcdef", 6, out, 3, &n), SG_ENOSPC);
}
END_TEST

START_TEST(roundtrip_every_length)
{
	/* Every payload length 0..max, random content (zeros included), fed
	 * whole and byte by byte. */
	unsigned char payload[MAXP], wire[SG_FRAME_ENCODED_MAX(MAXP)];
	unsigned char copies[1][MAXP];
	struct sg_frame f[1];
	size_t len, n, i, used;
	struct sg_frame one;
	int got;

	setup_gw();
	for (len = 0; len <= MAXP; len++) {
		for (i = 0; i < len; i++)
			payload[i] = (unsigned char)((rnd() % 4 == 0) ? 0 : rnd());
		ck_assert_int_eq(sg_frame_encode(wire, sizeof(wire), &n, 7,
						 SG_FRAME_FROM_DEVICE | SG_FRAME_RECORD,
						 payload, len), 0);
		ck_assert_uint_le(n, SG_FRAME_ENCODED_MAX(len));
		ck_assert_uint_eq(wire[0], 0);
		ck_assert_uint_eq(wire[n - 1], 0);
		ck_assert_ptr_null(memchr(wire + 1, 0, n - 2));

		ck_assert_uint_eq(feed(wire, n, f, copies, 1), 1);
		ck_assert_uint_eq(f[0].addr, 7);
		ck_assert_uint_eq(f[0].kind, SG_FRAME_RECORD);
		ck_assert_uint_eq(f[0].len, len);
		ck_assert_mem_eq(f[0].payload, payload, len);

		got = 0;
		for (i = 0; i < n; i++) {
			int r = sg_frame_decoder_push(&dec, wire + i, 1, &used, &one);

			ck_assert_uint_eq(used, 1);
			if (r == 1) {
				ck_assert_uint_eq(i, n - 1);
				ck_assert_uint_eq(one.len, len);
				ck_assert_mem_eq(one.payload, payload, len);
				got++;
			}
		}
		ck_assert_int_eq(got, 1);
	}
	ck_assert_uint_eq(dec.stats.frames, 2 * (MAXP + 1));
	ck_assert_uint_eq(dec.stats.bad_crc + dec.stats.bad_cobs + dec.stats.too_short +
				  dec.stats.too_long, 0);
}
END_TEST

START_TEST(every_single_bit_flip_detected)
{
	/* Flip each bit of the encoded frame (delimiters included) in turn:
	 * no flip may yield a frame that differs from the original. A flip
	 * of a delimiter may still let the original through intact. */
	unsigned char payload[40], wire[SG_FRAME_ENCODED_MAX(40)], bad[sizeof(wire)];
	unsigned char copies[4][MAXP];
	struct sg_frame f[4];
	size_t n, i, k, got, plen;
	int bit;

	for (plen = 0; plen <= sizeof(payload); plen += 8) {
		for (i = 0; i < plen; i++)
			payload[i] = (unsigned char)(rnd() & ((i & 1) ? 0xFF : 0x0F));
		ck_assert_int_eq(sg_frame_encode(wire, sizeof(wire), &n, 200,
						 SG_FRAME_FROM_DEVICE | SG_FRAME_HANDSHAKE,
						 payload, plen), 0);
		for (i = 0; i < n; i++) {
			for (bit = 0; bit < 8; bit++) {
				setup_gw();
				memcpy(bad, wire, n);
				bad[i] ^= (unsigned char)(1u << bit);
				got = feed(bad, n, f, copies, 4);
				/* flush a possibly unterminated tail */
				got += feed((const unsigned char *)"\0", 1, f + got, copies + got, 4 - got);
				for (k = 0; k < got; k++) {
					ck_assert_msg(f[k].addr == 200 && f[k].len == plen &&
							      memcmp(f[k].payload, payload, plen) == 0,
						      "flip byte %zu bit %d accepted a corrupt frame",
						      i, bit);
				}
				if (i != 0 && i != n - 1)
					ck_assert_uint_eq(got, 0);
			}
		}
	}
}
END_TEST

START_TEST(garbage_between_frames_and_back_to_back)
{
	unsigned char wire[4096], copies[8][MAXP], p[3][MAXP];
	struct sg_frame f[8];
	size_t n = 0, m, i, len[3] = { 0, 17, MAXP };
	static const unsigned char junk[] = { 0x13, 0x37, 0xFF, 0x01, 0x00, 0x05, 0xAA };

	setup_gw();
	for (i = 0; i < 3; i++) {
		memset(p[i], (int)(0x41 + i), len[i]);
		memcpy(wire + n, junk, sizeof(junk));
		n += sizeof(junk);
		ck_assert_int_eq(sg_frame_encode(wire + n, sizeof(wire) - n, &m, (uint8_t)(i + 1),
						 SG_FRAME_FROM_DEVICE | SG_FRAME_RECORD, p[i], len[i]), 0);
		n += m;
	}
	/* back to back: the next frame right after the delimiter, no junk */
	ck_assert_int_eq(sg_frame_encode(wire + n, sizeof(wire) - n, &m, 9,
					 SG_FRAME_FROM_DEVICE | SG_FRAME_POLL, NULL, 0), 0);
	n += m;
	ck_assert_uint_eq(feed(wire, n, f, copies, 8), 4);
	for (i = 0; i < 3; i++) {
		ck_assert_uint_eq(f[i].addr, i + 1);
		ck_assert_uint_eq(f[i].len, len[i]);
		ck_assert_mem_eq(f[i].payload, p[i], len[i]);
	}
	ck_assert_uint_eq(f[3].kind, SG_FRAME_POLL);
	ck_assert_uint_gt(dec.stats.bad_cobs + dec.stats.too_short + dec.stats.bad_crc, 0);
}
END_TEST

START_TEST(truncated_and_aborted_frames)
{
	unsigned char p[50], wire[SG_FRAME_ENCODED_MAX(50)], copies[2][MAXP];
	struct sg_frame f[2];
	size_t n, cut;

	memset(p, 0x5A, sizeof(p));
	ck_assert_int_eq(sg_frame_encode(wire, sizeof(wire), &n, 3,
					 SG_FRAME_FROM_DEVICE | SG_FRAME_RECORD, p, sizeof(p)), 0);
	for (cut = 2; cut < n - 1; cut++) {
		setup_gw();
		/* a truncated frame followed by its delimiter and a good frame */
		ck_assert_uint_eq(feed(wire, cut, f, copies, 2), 0);
		ck_assert(sg_frame_decoder_busy(&dec));
		ck_assert_uint_eq(feed(wire + n - 1, 1, f, copies, 2), 0);
		ck_assert_uint_eq(dec.stats.bad_cobs + dec.stats.too_short + dec.stats.bad_crc, 1);
		ck_assert_uint_eq(feed(wire, n, f, copies, 2), 1);
		ck_assert_mem_eq(f[0].payload, p, sizeof(p));
	}
	/* inter-byte timeout: abort drops the partial frame */
	setup_gw();
	feed(wire, n / 2, f, copies, 2);
	sg_frame_decoder_abort(&dec);
	ck_assert_uint_eq(dec.stats.aborted, 1);
	ck_assert(!sg_frame_decoder_busy(&dec));
	ck_assert_uint_eq(feed(wire, n, f, copies, 2), 1);
}
END_TEST

START_TEST(oversize_rejected_and_resync)
{
	unsigned char big[MAXP + 1], wire[SG_FRAME_ENCODED_MAX(MAXP + 1) + 64], copies[2][MAXP];
	struct sg_frame f[2];
	size_t n, m;

	memset(big, 0x77, sizeof(big));
	setup_gw();
	ck_assert_int_eq(sg_frame_encode(wire, sizeof(wire), &n, 5,
					 SG_FRAME_FROM_DEVICE | SG_FRAME_RECORD, big, sizeof(big)), 0);
	ck_assert_int_eq(sg_frame_encode(wire + n, sizeof(wire) - n, &m, 5,
					 SG_FRAME_FROM_DEVICE | SG_FRAME_RECORD, big, 3), 0);
	ck_assert_uint_eq(feed(wire, n + m, f, copies, 2), 1);
	ck_assert_uint_eq(f[0].len, 3);
	ck_assert_uint_eq(dec.stats.too_long, 1);
}
END_TEST

START_TEST(direction_address_and_ctrl_checks)
{
	unsigned char wire[64], copies[2][MAXP], body[6];
	struct sg_frame f[2];
	size_t n, enc;
	uint16_t crc;

	/* echo of our own gateway frame is not a reply */
	setup_gw();
	ck_assert_int_eq(sg_frame_encode(wire, sizeof(wire), &n, 5,
					 SG_FRAME_FROM_GATEWAY | SG_FRAME_RECORD, "x", 1), 0);
	ck_assert_uint_eq(feed(wire, n, f, copies, 2), 0);
	ck_assert_uint_eq(dec.stats.wrong_dir, 1);

	/* a device only takes frames to its own address */
	ck_assert_int_eq(sg_frame_decoder_init(&dec, dbuf, sizeof(dbuf), MAXP,
					       SG_FRAME_FROM_GATEWAY, 5), 0);
	ck_assert_int_eq(sg_frame_encode(wire, sizeof(wire), &n, 6,
					 SG_FRAME_FROM_GATEWAY | SG_FRAME_RECORD, "x", 1), 0);
	ck_assert_uint_eq(feed(wire, n, f, copies, 2), 0);
	ck_assert_uint_eq(dec.stats.wrong_addr, 1);

	/* encoder refuses reserved addresses and ctrl bits */
	ck_assert_int_eq(sg_frame_encode(wire, sizeof(wire), &n, 0, 0, NULL, 0), SG_EINVAL);
	ck_assert_int_eq(sg_frame_encode(wire, sizeof(wire), &n, 255, 0, NULL, 0), SG_EINVAL);
	ck_assert_int_eq(sg_frame_encode(wire, sizeof(wire), &n, 1, 0x10, NULL, 0), SG_EINVAL);
	ck_assert_int_eq(sg_frame_encode(wire, 5, &n, 1, 0, "abcdef", 6), SG_ENOSPC);

	/* hand-built frames with a valid CRC but bad header fields */
	setup_gw();
	body[0] = 0; body[1] = SG_FRAME_FROM_DEVICE; /* address 0 */
	crc = sg_crc16(body, 2);
	body[2] = (unsigned char)crc; body[3] = (unsigned char)(crc >> 8);
	wire[0] = 0;
	ck_assert_int_eq(sg_cobs_encode(body, 4, wire + 1, sizeof(wire) - 2, &enc), 0);
	wire[enc + 1] = 0;
	ck_assert_uint_eq(feed(wire, enc + 2, f, copies, 2), 0);
	ck_assert_uint_eq(dec.stats.wrong_addr, 1);

	body[0] = 1; body[1] = SG_FRAME_FROM_DEVICE | 0x20; /* reserved bit */
	crc = sg_crc16(body, 2);
	body[2] = (unsigned char)crc; body[3] = (unsigned char)(crc >> 8);
	ck_assert_int_eq(sg_cobs_encode(body, 4, wire + 1, sizeof(wire) - 2, &enc), 0);
	wire[enc + 1] = 0;
	ck_assert_uint_eq(feed(wire, enc + 2, f, copies, 2), 0);
	ck_assert_uint_eq(dec.stats.bad_ctrl, 1);
}
END_TEST

START_TEST(random_stream_never_crashes_and_counts)
{
	/* Random bytes with random good frames mixed in: every good frame
	 * that is not glued to noise comes out, nothing else does. */
	unsigned char wire[1 << 14], copies[256][MAXP], p[32];
	struct sg_frame f[256];
	size_t n = 0, m, i, good = 0, got;

	setup_gw();
	memset(p, 0xC3, sizeof(p));
	while (n + 200 < sizeof(wire)) {
		if (rnd() % 3 == 0) {
			ck_assert_int_eq(sg_frame_encode(wire + n, sizeof(wire) - n, &m, 42,
							 SG_FRAME_FROM_DEVICE | SG_FRAME_RECORD, p,
							 sizeof(p)), 0);
			n += m;
			good++;
		} else {
			m = rnd() % 40;
			for (i = 0; i < m; i++)
				wire[n++] = (unsigned char)(rnd() | 1); /* no delimiter */
			wire[n++] = 0;
		}
	}
	got = feed(wire, n, f, copies, 256);
	ck_assert_uint_eq(got, good);
	for (i = 0; i < got; i++)
		ck_assert_mem_eq(f[i].payload, p, sizeof(p));
}
END_TEST

START_TEST(init_rejects_bad_args)
{
	unsigned char small[10];

	ck_assert_int_eq(sg_frame_decoder_init(&dec, small, sizeof(small), MAXP,
					       SG_FRAME_FROM_DEVICE, 0), SG_ENOSPC);
	ck_assert_int_eq(sg_frame_decoder_init(&dec, dbuf, sizeof(dbuf), MAXP, 0x40, 0),
			 SG_EINVAL);
	ck_assert_int_eq(sg_frame_decoder_init(&dec, dbuf, sizeof(dbuf), MAXP,
					       SG_FRAME_FROM_DEVICE, 255), SG_EINVAL);
	/* a smaller configured maximum is enforced */
	ck_assert_int_eq(sg_frame_decoder_init(&dec, dbuf, sizeof(dbuf), 16,
					       SG_FRAME_FROM_DEVICE, 0), 0);
	ck_assert_uint_eq(dec.cap, 20);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("frame");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, crc_check_value);
	tcase_add_test(tc, cobs_known_vectors);
	tcase_add_test(tc, cobs_long_runs);
	tcase_add_test(tc, cobs_decode_rejects);
	tcase_add_test(tc, roundtrip_every_length);
	tcase_add_test(tc, every_single_bit_flip_detected);
	tcase_add_test(tc, garbage_between_frames_and_back_to_back);
	tcase_add_test(tc, truncated_and_aborted_frames);
	tcase_add_test(tc, oversize_rejected_and_resync);
	tcase_add_test(tc, direction_address_and_ctrl_checks);
	tcase_add_test(tc, random_stream_never_crashes_and_counts);
	tcase_add_test(tc, init_rejects_bad_args);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
