/*
 * Unit tests of the minimal deterministic CBOR codec (proto/src/cbor.c)
 * and of the byte-string-or-int encoding of EDHOC identifiers.
 *
 * Expected encodings follow RFC 8949 section 3 and appendix A; the
 * strictness cases are the ones RFC 9529 section 4.3 and RFC 8949 4.2.1
 * name (non-shortest heads, indefinite lengths).
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/src/internal.h"
#include "serguard/cbor.h"

static size_t enc_int(int64_t v, unsigned char *out, size_t cap)
{
	struct sg_cbor_enc e;
	size_t len;

	sg_cbor_enc_init(&e, out, cap);
	sg_cbor_put_int(&e, v);
	ck_assert_int_eq(sg_cbor_enc_finish(&e, &len), 0);
	return len;
}

START_TEST(int_encoding_shortest)
{
	static const struct {
		int64_t v;
		size_t len;
		unsigned char b[9];
	} t[] = {
		{0, 1, {0x00}},
		{23, 1, {0x17}},
		{24, 2, {0x18, 0x18}},
		{255, 2, {0x18, 0xff}},
		{256, 3, {0x19, 0x01, 0x00}},
		{65535, 3, {0x19, 0xff, 0xff}},
		{65536, 5, {0x1a, 0x00, 0x01, 0x00, 0x00}},
		{4294967295LL, 5, {0x1a, 0xff, 0xff, 0xff, 0xff}},
		{4294967296LL, 9, {0x1b, 0, 0, 0, 1, 0, 0, 0, 0}},
		{INT64_MAX, 9, {0x1b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{-1, 1, {0x20}},
		{-24, 1, {0x37}},
		{-25, 2, {0x38, 0x18}},
		{-256, 2, {0x38, 0xff}},
		{-257, 3, {0x39, 0x01, 0x00}},
		{INT64_MIN, 9, {0x3b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
	};
	unsigned char out[16];
	size_t i, n;
	int64_t back;
	struct sg_cbor_dec d;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = enc_int(t[i].v, out, sizeof(out));
		ck_assert_uint_eq(n, t[i].len);
		ck_assert_mem_eq(out, t[i].b, n);
		ck_assert_uint_eq(sg_cbor_head_len(t[i].v >= 0 ? (uint64_t)t[i].v
							       : (uint64_t)(-(t[i].v + 1))),
				  n);
		sg_cbor_dec_init(&d, out, n);
		ck_assert_int_eq(sg_cbor_get_int(&d, &back), 0);
		ck_assert(back == t[i].v);
		ck_assert(sg_cbor_dec_done(&d));
	}
}
END_TEST

START_TEST(strings_and_containers_roundtrip)
{
	unsigned char buf[400], payload[300];
	struct sg_cbor_enc e;
	struct sg_cbor_dec d;
	const unsigned char *p;
	size_t len, n;
	uint64_t u;
	int64_t v;

	memset(payload, 0xab, sizeof(payload));
	sg_cbor_enc_init(&e, buf, sizeof(buf));
	sg_cbor_put_array(&e, 3);
	sg_cbor_put_bstr(&e, payload, 23);
	sg_cbor_put_tstr(&e, "Signature1", 10);
	sg_cbor_put_map(&e, 1);
	sg_cbor_put_uint(&e, 34);
	sg_cbor_put_true(&e);
	sg_cbor_put_bstr(&e, payload, 256);
	ck_assert_int_eq(sg_cbor_enc_finish(&e, &len), 0);
	ck_assert_uint_eq(len, 1 + 24 + 11 + 1 + 2 + 1 + 3 + 256);
	ck_assert_uint_eq(buf[0], 0x83);
	ck_assert_uint_eq(buf[1], 0x57);
	ck_assert_uint_eq(buf[25], 0x6a);
	ck_assert_uint_eq(buf[36], 0xa1);
	ck_assert_uint_eq(buf[37], 0x18);
	ck_assert_uint_eq(buf[38], 0x22);
	ck_assert_uint_eq(buf[39], 0xf5);
	ck_assert_uint_eq(buf[40], 0x59);

	sg_cbor_dec_init(&d, buf, len);
	ck_assert_int_eq(sg_cbor_peek_type(&d), SG_CBOR_ARRAY);
	ck_assert_int_eq(sg_cbor_get_array(&d, &n), 0);
	ck_assert_uint_eq(n, 3);
	/* a type mismatch leaves the cursor in place */
	ck_assert_int_eq(sg_cbor_get_int(&d, &v), SG_EDECODE);
	ck_assert_int_eq(sg_cbor_get_tstr(&d, &p, &len), SG_EDECODE);
	ck_assert_int_eq(sg_cbor_get_bstr(&d, &p, &len), 0);
	ck_assert_uint_eq(len, 23);
	ck_assert_mem_eq(p, payload, 23);
	ck_assert_int_eq(sg_cbor_get_tstr(&d, &p, &len), 0);
	ck_assert_uint_eq(len, 10);
	ck_assert_mem_eq(p, "Signature1", 10);
	ck_assert_int_eq(sg_cbor_get_map(&d, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(sg_cbor_get_uint(&d, &u), 0);
	ck_assert_uint_eq(u, 34);
	ck_assert_int_eq(sg_cbor_get_true(&d), 0);
	ck_assert_int_eq(sg_cbor_get_bstr(&d, &p, &len), 0);
	ck_assert_uint_eq(len, 256);
	ck_assert(sg_cbor_dec_done(&d));
	ck_assert_int_eq(sg_cbor_peek_type(&d), SG_ECBOR);
	ck_assert_int_eq(sg_cbor_get_bstr(&d, &p, &len), SG_ECBOR);
}
END_TEST

/* Each of these is well-formed CBOR a lenient decoder would take, but not
 * deterministic, or not well-formed at all: all must fail with SG_ECBOR. */
START_TEST(strict_decoding_refuses)
{
	static const struct {
		size_t len;
		unsigned char b[10];
	} bad[] = {
		{2, {0x18, 0x17}},			  /* 23 in two bytes */
		{3, {0x19, 0x00, 0xff}},		  /* 255 in three */
		{5, {0x1a, 0x00, 0x00, 0xff, 0xff}},	  /* 65535 in five */
		{9, {0x1b, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}}, /* 2^32-1 in nine */
		{3, {0x39, 0x00, 0x05}},		  /* -6 long */
		{3, {0x59, 0x00, 0x01}},		  /* bstr length 1 in a 2-byte head */
		{2, {0x98, 0x01}},			  /* array of 1 in a 1-byte head */
		{1, {0x1c}},				  /* reserved AI 28 */
		{1, {0x1d}},				  /* reserved AI 29 */
		{1, {0x1e}},				  /* reserved AI 30 */
		{1, {0x1f}},				  /* AI 31 on an int */
		{2, {0x5f, 0xff}},			  /* indefinite bstr */
		{2, {0x7f, 0xff}},			  /* indefinite tstr */
		{4, {0x9f, 0x06, 0x02, 0xff}},		  /* indefinite array (RFC 9529 4.3.2) */
		{2, {0xbf, 0xff}},			  /* indefinite map */
		{1, {0x18}},				  /* truncated head */
		{2, {0x19, 0x01}},			  /* truncated head */
		{3, {0x43, 0x01, 0x02}},		  /* bstr runs past the end */
		{2, {0x62, 0x41}},			  /* tstr runs past the end */
	};
	const unsigned char *p;
	struct sg_cbor_dec d;
	size_t i, len, n;
	int64_t v;
	int rc;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unsigned major = bad[i].b[0] >> 5;

		sg_cbor_dec_init(&d, bad[i].b, bad[i].len);
		if (major <= 1)
			rc = sg_cbor_get_int(&d, &v);
		else if (major == 2)
			rc = sg_cbor_get_bstr(&d, &p, &len);
		else if (major == 3)
			rc = sg_cbor_get_tstr(&d, &p, &len);
		else if (major == 4)
			rc = sg_cbor_get_array(&d, &n);
		else
			rc = sg_cbor_get_map(&d, &n);
		ck_assert_msg(rc == SG_ECBOR, "case %zu: %d", i, rc);
		ck_assert_ptr_eq(d.p, bad[i].b); /* nothing consumed */
		sg_cbor_dec_init(&d, bad[i].b, bad[i].len);
		ck_assert_int_eq(sg_cbor_skip(&d, NULL, NULL), SG_ECBOR);
	}
}
END_TEST

START_TEST(container_counts_bounded_by_input)
{
	/* An array head claiming more items than bytes follow is refused at
	 * the head, so a caller looping n times cannot be made to spin. */
	unsigned char arr[] = {0x9a, 0x00, 0x01, 0x00, 0x00, 0x01};
	unsigned char map[] = {0xa2, 0x01, 0x02, 0x03};
	struct sg_cbor_dec d;
	size_t n;

	sg_cbor_dec_init(&d, arr, sizeof(arr));
	ck_assert_int_eq(sg_cbor_get_array(&d, &n), SG_ECBOR);
	sg_cbor_dec_init(&d, map, sizeof(map));
	ck_assert_int_eq(sg_cbor_get_map(&d, &n), SG_ECBOR);
	map[0] = 0xa1;
	sg_cbor_dec_init(&d, map, 3);
	ck_assert_int_eq(sg_cbor_get_map(&d, &n), 0);
	ck_assert_uint_eq(n, 1);
}
END_TEST

START_TEST(skip_items)
{
	/* [1, {2: h'0304', -1: "x"}, [true, false, null]], then 0x07 */
	static const unsigned char b[] = {0x83, 0x01, 0xa2, 0x02, 0x42, 0x03, 0x04, 0x20,
					  0x61, 0x78, 0x83, 0xf5, 0xf4, 0xf6, 0x07};
	unsigned char deep[SG_CBOR_MAX_DEPTH + 2];
	const unsigned char *start;
	struct sg_cbor_dec d;
	size_t len, i;
	int64_t v;

	sg_cbor_dec_init(&d, b, sizeof(b));
	ck_assert_int_eq(sg_cbor_skip(&d, &start, &len), 0);
	ck_assert_ptr_eq(start, b);
	ck_assert_uint_eq(len, sizeof(b) - 1);
	ck_assert_int_eq(sg_cbor_get_int(&d, &v), 0);
	ck_assert(v == 7);

	/* nesting: SG_CBOR_MAX_DEPTH arrays are fine, one more is not */
	for (i = 0; i < SG_CBOR_MAX_DEPTH; i++)
		deep[i] = 0x81;
	deep[SG_CBOR_MAX_DEPTH] = 0x00;
	sg_cbor_dec_init(&d, deep, SG_CBOR_MAX_DEPTH + 1);
	ck_assert_int_eq(sg_cbor_skip(&d, NULL, NULL), 0);
	for (i = 0; i < SG_CBOR_MAX_DEPTH + 1; i++)
		deep[i] = 0x81;
	deep[SG_CBOR_MAX_DEPTH + 1] = 0x00;
	sg_cbor_dec_init(&d, deep, SG_CBOR_MAX_DEPTH + 2);
	ck_assert_int_eq(sg_cbor_skip(&d, NULL, NULL), SG_ECBOR);
	ck_assert_ptr_eq(d.p, deep);
}
END_TEST

START_TEST(skip_refuses_what_edhoc_never_uses)
{
	static const unsigned char tag[] = {0xc1, 0x00};
	static const unsigned char half[] = {0xf9, 0x3c, 0x00};
	static const unsigned char undef[] = {0xf7};
	static const unsigned char simple_short[] = {0xf8, 0x10};
	static const unsigned char simple_long[] = {0xf8, 0x20};
	struct sg_cbor_dec d;

	sg_cbor_dec_init(&d, tag, sizeof(tag));
	ck_assert_int_eq(sg_cbor_skip(&d, NULL, NULL), SG_ECBOR);
	sg_cbor_dec_init(&d, half, sizeof(half));
	ck_assert_int_eq(sg_cbor_skip(&d, NULL, NULL), SG_ECBOR);
	sg_cbor_dec_init(&d, undef, sizeof(undef));
	ck_assert_int_eq(sg_cbor_skip(&d, NULL, NULL), SG_ECBOR);
	sg_cbor_dec_init(&d, simple_short, sizeof(simple_short));
	ck_assert_int_eq(sg_cbor_skip(&d, NULL, NULL), SG_ECBOR);
	sg_cbor_dec_init(&d, simple_long, sizeof(simple_long));
	ck_assert_int_eq(sg_cbor_skip(&d, NULL, NULL), SG_ECBOR);
	sg_cbor_dec_init(&d, undef, sizeof(undef));
	ck_assert_int_eq(sg_cbor_get_true(&d), SG_EDECODE);
}
END_TEST

START_TEST(encoder_overflow_and_count_mode)
{
	unsigned char buf[4];
	struct sg_cbor_enc e;
	size_t len;

	sg_cbor_enc_init(&e, buf, sizeof(buf));
	sg_cbor_put_bstr(&e, "abcd", 4); /* 5 bytes: does not fit */
	sg_cbor_put_uint(&e, 1);	 /* sticky: still an error */
	ck_assert_int_eq(sg_cbor_enc_finish(&e, &len), SG_ENOSPC);
	ck_assert_uint_eq(len, 6);

	sg_cbor_enc_init(&e, NULL, 0); /* count only */
	sg_cbor_put_bstr_head(&e, 300);
	sg_cbor_put_raw(&e, NULL, 300);
	ck_assert_int_eq(sg_cbor_enc_finish(&e, &len), 0);
	ck_assert_uint_eq(len, 303);
}
END_TEST

/* RFC 9528 3.3.2: one byte that is a one-byte CBOR int goes as the int. */
START_TEST(bstr_or_int_identifiers)
{
	unsigned char buf[16], v[8];
	struct sg_cbor_enc e;
	struct sg_cbor_dec d;
	size_t len, n;
	unsigned b;

	for (b = 0; b < 256; b++) {
		unsigned char x = (unsigned char)b;

		sg_cbor_enc_init(&e, buf, sizeof(buf));
		sg__put_bstr_or_int(&e, &x, 1);
		ck_assert_int_eq(sg_cbor_enc_finish(&e, &len), 0);
		if (b <= 0x17 || (b >= 0x20 && b <= 0x37)) {
			ck_assert_uint_eq(len, 1);
			ck_assert_uint_eq(buf[0], b);
		} else {
			ck_assert_uint_eq(len, 2);
			ck_assert_uint_eq(buf[0], 0x41);
		}
		sg_cbor_dec_init(&d, buf, len);
		ck_assert_int_eq(sg__get_bstr_or_int(&d, v, sizeof(v), &n), 0);
		ck_assert_uint_eq(n, 1);
		ck_assert_uint_eq(v[0], b);
	}
	/* empty and longer identifiers are bstrs */
	sg_cbor_enc_init(&e, buf, sizeof(buf));
	sg__put_bstr_or_int(&e, v, 0);
	sg__put_bstr_or_int(&e, (const unsigned char *)"\xab\xcd", 2);
	ck_assert_int_eq(sg_cbor_enc_finish(&e, &len), 0);
	ck_assert_uint_eq(len, 4);
	ck_assert_mem_eq(buf, "\x40\x42\xab\xcd", 4);
	/* non-canonical: a one-byte int-like value as bstr (RFC 9529 4.1.2) */
	sg_cbor_dec_init(&d, "\x41\x0e", 2);
	ck_assert_int_eq(sg__get_bstr_or_int(&d, v, sizeof(v), &n), SG_EDECODE);
	/* an int outside -24..23 is not an identifier */
	sg_cbor_dec_init(&d, "\x18\x18", 2);
	ck_assert_int_eq(sg__get_bstr_or_int(&d, v, sizeof(v), &n), SG_EDECODE);
	/* too long for the caller */
	sg_cbor_dec_init(&d, "\x43\x01\x02\x03", 4);
	ck_assert_int_eq(sg__get_bstr_or_int(&d, v, 2, &n), SG_ELENGTH);
	/* a text string is neither */
	sg_cbor_dec_init(&d, "\x61\x41", 2);
	ck_assert_int_eq(sg__get_bstr_or_int(&d, v, sizeof(v), &n), SG_EDECODE);
}
END_TEST

/* Random inputs: the decoder must never read outside the buffer (ASan
 * watches) and skip must agree with itself. */
START_TEST(random_inputs_stay_in_bounds)
{
	uint32_t s = 0x9e3779b9u;
	unsigned i, k;

	for (i = 0; i < 20000; i++) {
		size_t len = i % 24, n;
		unsigned char *b = malloc(len ? len : 1);
		struct sg_cbor_dec d;
		const unsigned char *st;

		for (k = 0; k < len; k++) {
			s ^= s << 13;
			s ^= s >> 17;
			s ^= s << 5;
			b[k] = (unsigned char)s;
		}
		sg_cbor_dec_init(&d, b, len);
		while (sg_cbor_skip(&d, &st, &n) == 0 && !sg_cbor_dec_done(&d))
			ck_assert_uint_ge(n, 1);
		free(b);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cbor");
	TCase *tc = tcase_create("codec");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, int_encoding_shortest);
	tcase_add_test(tc, strings_and_containers_roundtrip);
	tcase_add_test(tc, strict_decoding_refuses);
	tcase_add_test(tc, container_counts_bounded_by_input);
	tcase_add_test(tc, skip_items);
	tcase_add_test(tc, skip_refuses_what_edhoc_never_uses);
	tcase_add_test(tc, encoder_overflow_and_count_mode);
	tcase_add_test(tc, bstr_or_int_identifiers);
	tcase_add_test(tc, random_inputs_stay_in_bounds);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
