/*
 * Unit tests of the record layer (proto/src/record.c) between two
 * in-memory endpoints, a gateway and a device at bus address 42, with a
 * fake clock (the now_ms arguments) and a hand-driven "wire" (the tests
 * hold, drop, duplicate, reorder and alter records themselves).
 *
 * Each attack case of the catalogue (attacks.md A, B, C, D) is named in
 * the test's name or comment, and every test asserts the exact drop
 * counters of struct sg_record_stats.
 */
#include <check.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serguard/crypto.h"
#include "serguard/record.h"

#define ADDR 42
#define BUF 320

static unsigned char s_g2d[SG_RECORD_SECRET_LEN]; /* gateway -> device */
static unsigned char s_d2g[SG_RECORD_SECRET_LEN]; /* device -> gateway */
static struct sg_record_config cfg_gw, cfg_dev;
static struct sg_record gw, dev;

struct rec {
	unsigned char b[BUF];
	size_t n;
};

static void secrets(unsigned seed)
{
	unsigned i;

	for (i = 0; i < SG_RECORD_SECRET_LEN; i++) {
		s_g2d[i] = (unsigned char)(seed + 3 * i + 1);
		s_d2g[i] = (unsigned char)(seed + 5 * i + 101);
	}
}

/* Default configuration for both ends; tests adjust cfg_* then init. */
static void configure(size_t tag, bool fresh)
{
	secrets(0);
	sg_record_config_default(&cfg_gw, tag, ADDR, SG_FRAME_FROM_GATEWAY);
	sg_record_config_default(&cfg_dev, tag, ADDR, SG_FRAME_FROM_DEVICE);
	cfg_gw.freshness = cfg_dev.freshness = fresh;
}

static void start(uint64_t now)
{
	ck_assert_int_eq(sg_record_init(&gw, &cfg_gw, s_g2d, s_d2g, now), 0);
	ck_assert_int_eq(sg_record_init(&dev, &cfg_dev, s_d2g, s_g2d, now), 0);
}

static void setup(size_t tag, bool fresh)
{
	configure(tag, fresh);
	start(0);
}

static struct rec seal_k(struct sg_record *r, enum sg_record_kind kind, const void *pt,
			 size_t len, uint64_t now)
{
	struct rec x;

	ck_assert_int_eq(sg_record_seal(r, kind, pt, len, now, x.b, sizeof(x.b), &x.n), 0);
	ck_assert_uint_eq(x.n, len + sg_record_overhead(r));
	return x;
}

/* An application record whose payload names its number. */
static struct rec seal_n(struct sg_record *r, unsigned n, uint64_t now)
{
	unsigned char p[4] = { (unsigned char)(n >> 24), (unsigned char)(n >> 16),
			       (unsigned char)(n >> 8), (unsigned char)n };

	return seal_k(r, SG_RECORD_APP, p, sizeof(p), now);
}

static int open_r(struct sg_record *r, const struct rec *x, uint64_t now,
		  enum sg_record_kind *kind, unsigned char *out, size_t *olen)
{
	return sg_record_open(r, x->b, x->n, now, kind, out, BUF, olen);
}

/* Expect delivery of an APP record numbered n. */
static void deliver_n(struct sg_record *r, const struct rec *x, unsigned n, uint64_t now)
{
	unsigned char out[BUF];
	enum sg_record_kind k;
	size_t olen;
	int rc = open_r(r, x, now, &k, out, &olen);

	ck_assert_msg(rc == 0, "record %u: %s", n, sg_errname(rc));
	ck_assert_int_eq(k, SG_RECORD_APP);
	ck_assert_uint_eq(olen, 4);
	ck_assert_uint_eq(((unsigned)out[0] << 24) | ((unsigned)out[1] << 16) |
				  ((unsigned)out[2] << 8) | out[3],
			  n);
}

static void refuse(struct sg_record *r, const struct rec *x, uint64_t now, int code)
{
	unsigned char out[BUF];
	enum sg_record_kind k;
	size_t olen = 99;
	int rc = open_r(r, x, now, &k, out, &olen);

	ck_assert_msg(rc == code, "got %s, want %s", sg_errname(rc), sg_errname(code));
	ck_assert_uint_eq(olen, 0);
}

/* ---- exact counters -------------------------------------------------- */

static const struct {
	const char *name;
	size_t off;
} stat_fields[] = {
#define F(x) { #x, offsetof(struct sg_record_stats, x) }
	F(delivered), F(too_short), F(too_long), F(bad_header), F(replay), F(too_old),
	F(wrong_phase), F(limit), F(bad_tag), F(stale), F(future), F(clock_steps),
#undef F
};

static void expect_stats(const struct sg_record_stats *got, struct sg_record_stats want,
			 int line)
{
	size_t i;
	char msg[512] = "";
	int bad = 0;

	ck_assert_uint_eq(sizeof(stat_fields) / sizeof(stat_fields[0]),
			  sizeof(struct sg_record_stats) / sizeof(uint32_t));
	for (i = 0; i < sizeof(stat_fields) / sizeof(stat_fields[0]); i++) {
		uint32_t g, w;

		memcpy(&g, (const char *)got + stat_fields[i].off, sizeof(g));
		memcpy(&w, (const char *)&want + stat_fields[i].off, sizeof(w));
		if (g != w) {
			size_t l = strlen(msg);

			snprintf(msg + l, sizeof(msg) - l, " %s=%u(want %u)", stat_fields[i].name,
				 g, w);
			bad = 1;
		}
	}
	ck_assert_msg(!bad, "line %d: counters differ:%s", line, msg);
}
#define EXPECT_STATS(r, ...) expect_stats(&(r)->stats, (struct sg_record_stats){ __VA_ARGS__ }, __LINE__)

/* Pretend n records were sealed and lost on the wire (sequence space
 * used, nothing delivered); cheaper than sealing them. */
static void lose(struct sg_record *sender, uint64_t n)
{
	sender->tx.seq += n;
}

/* ===================================================================== */
/* Format, overhead, round trips                                          */
/* ===================================================================== */

START_TEST(state_size_is_small)
{
	/* The whole per-session state, window of up to 1024 bits included. */
	ck_assert_uint_lt(sizeof(struct sg_record), 1024);
	printf("sizeof(struct sg_record) = %zu\n", sizeof(struct sg_record));
}
END_TEST

START_TEST(overhead_within_budget)
{
	/* protocol.md wire budget: <= 12 bytes with the 8-byte tag, <= 15
	 * with a freshness field. The sizes are properties of the format. */
	setup(8, false);
	ck_assert_uint_eq(sg_record_overhead(&gw), 12);
	ck_assert_uint_eq(sg_record_header_len(&gw), 4);
	ck_assert_uint_le(sg_record_overhead(&gw), 12);
	setup(8, true);
	ck_assert_uint_eq(sg_record_overhead(&gw), 15);
	ck_assert_uint_eq(sg_record_header_len(&gw), 7);
	ck_assert_uint_le(sg_record_overhead(&gw), 15);
	setup(16, false);
	ck_assert_uint_eq(sg_record_overhead(&gw), 20);
	setup(16, true);
	ck_assert_uint_eq(sg_record_overhead(&gw), 23);
	ck_assert_uint_eq(SG_RECORD_OVERHEAD(8, 0), 12);
	ck_assert_uint_eq(SG_RECORD_OVERHEAD(8, 1), 15);
	/* default max plaintext fills a default frame exactly */
	setup(8, true);
	ck_assert_uint_eq(gw.cfg.max_plaintext + sg_record_overhead(&gw),
			  SG_FRAME_DEFAULT_MAX_PAYLOAD);
}
END_TEST

/* Round trip of every inner kind, both suites, with and without
 * freshness, in both directions, lengths 0 .. max. */
START_TEST(round_trip_every_kind)
{
	static const size_t tags[] = { 8, 16 };
	unsigned char pt[BUF], out[BUF];
	size_t ti, len, olen;
	int fresh, k;
	uint64_t now = 10;

	for (ti = 0; ti < 2; ti++)
		for (fresh = 0; fresh <= 1; fresh++) {
			setup(tags[ti], fresh);
			for (k = 0; k <= (int)SG_RECORD_KIND_MAX; k++) {
				size_t lens[] = { 0, 1, 16, 64, gw.cfg.max_plaintext };
				size_t li;

				for (li = 0; li < sizeof(lens) / sizeof(lens[0]); li++) {
					struct sg_record *from = li % 2 ? &gw : &dev;
					struct sg_record *to = li % 2 ? &dev : &gw;
					enum sg_record_kind got;
					struct rec x;

					len = lens[li];
					if (k == SG_RECORD_KEY_UPDATE)
						len = 1; /* one flags byte */
					memset(pt, 0xA0 + k, len);
					if (k == SG_RECORD_KEY_UPDATE)
						pt[0] = 0;
					x = seal_k(from, (enum sg_record_kind)k, pt, len, now);
					ck_assert_int_eq(open_r(to, &x, now + 1, &got, out, &olen), 0);
					ck_assert_int_eq(got, k);
					ck_assert_uint_eq(olen, len);
					ck_assert_mem_eq(out, pt, len);
					now += 3;
				}
			}
			EXPECT_STATS(&gw, .delivered = 18);  /* 3 lengths x 6 kinds */
			EXPECT_STATS(&dev, .delivered = 12); /* 2 lengths x 6 kinds */
		}
}
END_TEST

/* The bytes on the wire follow doc/PROTOCOL.md section 3, checked with
 * the primitives directly: labels, nonce, AAD and the header layout. */
START_TEST(wire_format_matches_spec)
{
	unsigned char key[16], iv[13], nonce[13], aad[32], pt[8];
	struct rec x;
	size_t i, n;
	const uint64_t seq = 5;
	const uint64_t ts = 1234;

	configure(8, true);
	start(1000);
	lose(&dev, seq);
	x = seal_k(&dev, SG_RECORD_PING, "abcdefgh", 8, 1000 + ts);
	ck_assert_uint_eq(x.b[0], 0x10 | SG_RECORD_PING); /* ts flag, phase 0, echo 0 */
	ck_assert_uint_eq(x.b[1], 0);
	ck_assert_uint_eq(x.b[2], 0);
	ck_assert_uint_eq(x.b[3], seq);
	ck_assert_uint_eq(((unsigned)x.b[4] << 16) | ((unsigned)x.b[5] << 8) | x.b[6], ts);
	ck_assert_int_eq(sg_hkdf_expand(s_d2g, 32, "serguard key", 12, key, 16), 0);
	ck_assert_int_eq(sg_hkdf_expand(s_d2g, 32, "serguard iv", 11, iv, 13), 0);
	memcpy(nonce, iv, 13);
	nonce[12] ^= (unsigned char)seq;
	n = 0;
	memcpy(aad, x.b, 7);
	n = 7;
	aad[n++] = ADDR;
	aad[n++] = SG_FRAME_FROM_DEVICE;
	for (i = 0; i < 8; i++)
		aad[n++] = (unsigned char)(ts >> (56 - 8 * i));
	ck_assert_int_eq(sg_ccm_open(key, nonce, aad, n, x.b + 7, x.n - 7, pt, 8), 0);
	ck_assert_mem_eq(pt, "abcdefgh", 8);

	/* after a key update: secret' = HKDF-Expand(secret, "serguard key update", 32) */
	{
		unsigned char s1[32];

		ck_assert_int_eq(sg_hkdf_expand(s_d2g, 32, "serguard key update", 19, s1, 32), 0);
		ck_assert_int_eq(sg_record_key_update(&dev, 3000), 0);
		ck_assert_mem_eq(dev.tx.secret, s1, 32);
		ck_assert_int_eq(sg_hkdf_expand(s1, 32, "serguard key", 12, key, 16), 0);
		ck_assert_mem_eq(dev.tx.k.key, key, 16);
		x = seal_k(&dev, SG_RECORD_APP, "z", 1, 3000);
		ck_assert_uint_eq(x.b[0] & 0x40, 0x40); /* key phase bit */
	}
}
END_TEST

START_TEST(seal_in_place_and_open_in_place)
{
	unsigned char buf[BUF];
	enum sg_record_kind k;
	size_t n, olen, h;

	setup(16, true);
	h = sg_record_header_len(&dev);
	memcpy(buf + h, "in place", 8);
	ck_assert_int_eq(sg_record_seal(&dev, SG_RECORD_APP, buf + h, 8, 5, buf, sizeof(buf), &n), 0);
	ck_assert_int_eq(sg_record_open(&gw, buf, n, 6, &k, buf + h, sizeof(buf) - h, &olen), 0);
	ck_assert_uint_eq(olen, 8);
	ck_assert_mem_eq(buf + h, "in place", 8);
}
END_TEST

START_TEST(seal_refuses_bad_arguments_without_using_a_sequence_number)
{
	unsigned char out[BUF], big[BUF] = { 0 };
	size_t n;
	unsigned char ku_bad = 0x02, ku_ok = SG_RECORD_KU_REQUEST;

	setup(8, false);
	ck_assert_int_eq(sg_record_seal(&dev, (enum sg_record_kind)6, "x", 1, 0, out, BUF, &n), SG_EINVAL);
	ck_assert_int_eq(sg_record_seal(&dev, (enum sg_record_kind)-1, "x", 1, 0, out, BUF, &n), SG_EINVAL);
	ck_assert_int_eq(sg_record_seal(&dev, SG_RECORD_KEY_UPDATE, &ku_bad, 1, 0, out, BUF, &n), SG_EINVAL);
	ck_assert_int_eq(sg_record_seal(&dev, SG_RECORD_KEY_UPDATE, "ab", 2, 0, out, BUF, &n), SG_EINVAL);
	ck_assert_int_eq(sg_record_seal(&dev, SG_RECORD_KEY_UPDATE, NULL, 0, 0, out, BUF, &n), SG_EINVAL);
	ck_assert_int_eq(sg_record_seal(&dev, SG_RECORD_APP, NULL, 1, 0, out, BUF, &n), SG_EINVAL);
	/* B6: plaintext max + 1 */
	ck_assert_int_eq(sg_record_seal(&dev, SG_RECORD_APP, big, dev.cfg.max_plaintext + 1, 0, out,
					BUF, &n), SG_ETOOBIG);
	ck_assert_int_eq(sg_record_seal(&dev, SG_RECORD_APP, "x", 1, 0, out, 12, &n), SG_ENOSPC);
	ck_assert_uint_eq(dev.tx.seq, 0);
	ck_assert_int_eq(sg_record_seal(&dev, SG_RECORD_APP, "x", 1, 0, out, 13, &n), 0);
	ck_assert_int_eq(sg_record_seal(&dev, SG_RECORD_KEY_UPDATE, &ku_ok, 1, 0, out, BUF, &n), 0);
	ck_assert_uint_eq(dev.tx.seq, 2);
}
END_TEST

START_TEST(init_refuses_unsafe_configurations)
{
	struct sg_record r;
	struct sg_record_config c;

	configure(8, false);
	/* one key for both directions would reuse nonces across directions */
	ck_assert_int_eq(sg_record_init(&r, &cfg_dev, s_d2g, s_d2g, 0), SG_ECONFIG);
	c = cfg_dev;
	c.tag_len = 4;
	ck_assert_int_eq(sg_record_init(&r, &c, s_d2g, s_g2d, 0), SG_ECONFIG);
	c = cfg_dev;
	c.addr = 0;
	ck_assert_int_eq(sg_record_init(&r, &c, s_d2g, s_g2d, 0), SG_ECONFIG);
	c = cfg_dev;
	c.tx_dir = 0x40;
	ck_assert_int_eq(sg_record_init(&r, &c, s_d2g, s_g2d, 0), SG_ECONFIG);
	c = cfg_dev; /* C9: limits above the published AEAD figures */
	c.limit_records = SG_RECORD_CCM8_MAX_RECORDS + 1;
	ck_assert_int_eq(sg_record_init(&r, &c, s_d2g, s_g2d, 0), SG_ECONFIG);
	c = cfg_dev;
	c.limit_failures = SG_RECORD_CCM8_MAX_FAILURES + 1;
	ck_assert_int_eq(sg_record_init(&r, &c, s_d2g, s_g2d, 0), SG_ECONFIG);
	c = cfg_dev;
	c.window = 100;
	ck_assert_int_eq(sg_record_init(&r, &c, s_d2g, s_g2d, 0), SG_ECONFIG);
	c = cfg_dev;
	c.freshness = true;
	c.max_age_ms = 0;
	ck_assert_int_eq(sg_record_init(&r, &c, s_d2g, s_g2d, 0), SG_ECONFIG);
	c.max_age_ms = 1u << 22;
	ck_assert_int_eq(sg_record_init(&r, &c, s_d2g, s_g2d, 0), SG_ECONFIG);
	ck_assert_int_eq(sg_record_init(NULL, &c, s_d2g, s_g2d, 0), SG_EINVAL);
	/* the published limits themselves are the defaults */
	sg_record_config_default(&c, 8, ADDR, SG_FRAME_FROM_DEVICE);
	ck_assert_uint_eq(c.limit_records, (uint64_t)1 << 20);
	ck_assert_uint_eq(c.limit_failures, (uint64_t)1 << 14);
	sg_record_config_default(&c, 16, ADDR, SG_FRAME_FROM_DEVICE);
	ck_assert_uint_eq(c.limit_records, (uint64_t)1 << 23);
	ck_assert_uint_eq(c.limit_failures, 11863283u); /* floor(2^23.5) */
	ck_assert_int_eq(sg_record_init(&r, &c, s_d2g, s_g2d, 0), 0);
}
END_TEST

/* ===================================================================== */
/* A. Replay and reordering at the record layer                           */
/* ===================================================================== */

START_TEST(A1_A7_exact_replay_rejected)
{
	struct rec r0, r1;

	setup(8, false);
	r0 = seal_n(&dev, 0, 1);
	r1 = seal_n(&dev, 1, 2);
	deliver_n(&gw, &r0, 0, 3);  /* A7: first record, seq 0 */
	refuse(&gw, &r0, 4, SG_EREPLAY); /* A7/A1 */
	deliver_n(&gw, &r1, 1, 5);  /* session unaffected */
	refuse(&gw, &r1, 6, SG_EREPLAY); /* A1 */
	refuse(&gw, &r0, 7, SG_EREPLAY);
	EXPECT_STATS(&gw, .delivered = 2, .replay = 3);
}
END_TEST

START_TEST(A2_A4_reordered_delivered_once)
{
	struct rec r[6];
	static const unsigned order[] = { 4, 2, 0, 1, 5, 3 };
	unsigned i;

	setup(8, false);
	for (i = 0; i < 6; i++)
		r[i] = seal_n(&dev, i, i);
	for (i = 0; i < 6; i++)
		deliver_n(&gw, &r[order[i]], order[i], 10 + i); /* A4 */
	for (i = 0; i < 6; i++)
		refuse(&gw, &r[i], 20 + i, SG_EREPLAY); /* A2 */
	EXPECT_STATS(&gw, .delivered = 6, .replay = 6);
}
END_TEST

START_TEST(A3_A5_A6_window_edges_and_jumps)
{
	struct rec r[200];
	unsigned i;

	configure(8, false);
	cfg_gw.window = 64;
	start(0);
	for (i = 0; i < 200; i++)
		r[i] = seal_n(&dev, i, i);
	deliver_n(&gw, &r[74], 74, 300);
	refuse(&gw, &r[10], 301, SG_ETOOOLD); /* A5: highest - W */
	deliver_n(&gw, &r[11], 11, 302);      /* A5: highest - (W-1) */
	refuse(&gw, &r[11], 303, SG_EREPLAY); /* A2: oldest in window */
	deliver_n(&gw, &r[199], 199, 304);    /* A6: jump beyond the window */
	refuse(&gw, &r[74], 305, SG_ETOOOLD); /* A3/A6: everything old */
	refuse(&gw, &r[100], 306, SG_ETOOOLD);
	deliver_n(&gw, &r[198], 198, 307); /* A4 */
	deliver_n(&gw, &r[136], 136, 308); /* A5: 199 - 63 */
	refuse(&gw, &r[135], 309, SG_ETOOOLD);
	EXPECT_STATS(&gw, .delivered = 5, .replay = 1, .too_old = 4);
}
END_TEST

/* A8: a forged record with the largest sequence number reconstruction
 * allows fails the tag and moves nothing; genuine records still flow. */
START_TEST(A8_forged_huge_sequence_changes_nothing)
{
	struct rec r0, r1, forged;
	struct sg_replay before;
	uint64_t far;

	setup(8, false);
	r0 = seal_n(&dev, 0, 1);
	r1 = seal_n(&dev, 1, 2);
	deliver_n(&gw, &r0, 0, 3);
	forged = r1;
	far = 1 + SG_RECORD_RECON_BOUND; /* expected (1) + 2^23 */
	forged.b[1] = (unsigned char)(far >> 16);
	forged.b[2] = (unsigned char)(far >> 8);
	forged.b[3] = (unsigned char)far;
	before = gw.rx.win;
	refuse(&gw, &forged, 4, SG_EAUTH);
	ck_assert_mem_eq(&before, &gw.rx.win, sizeof(before));
	ck_assert_uint_eq(gw.rx.cur_failures, 1);
	deliver_n(&gw, &r1, 1, 5);
	EXPECT_STATS(&gw, .delivered = 2, .bad_tag = 1);
}
END_TEST

/* A9: a proxy duplicates every record of a whole session, key updates
 * included, in both directions: every message is delivered once. */
START_TEST(A9_duplicate_everything)
{
	unsigned i;
	uint64_t now = 0;

	setup(8, true);
	for (i = 0; i < 300; i++) {
		struct rec a = seal_n(&dev, i, now), b;

		deliver_n(&gw, &a, i, now + 1);
		refuse(&gw, &a, now + 1, SG_EREPLAY);
		b = seal_n(&gw, i, now + 2);
		deliver_n(&dev, &b, i, now + 3);
		refuse(&dev, &b, now + 3, SG_EREPLAY);
		if (i % 50 == 49) {
			ck_assert_int_eq(sg_record_key_update(&dev, now + 4), 0);
			ck_assert_int_eq(sg_record_key_update(&gw, now + 4), 0);
		}
		now += 10;
	}
	EXPECT_STATS(&gw, .delivered = 300, .replay = 300);
	EXPECT_STATS(&dev, .delivered = 300, .replay = 300);
	/* six updates each; the last comes after the last record */
	ck_assert_uint_eq(dev.tx.phase, 6);
	ck_assert_uint_eq(gw.rx.phase, 5);
	ck_assert_uint_eq(dev.rx.phase, 5);
}
END_TEST

/* A10: a device's own record reflected back to it, and the direction
 * byte in the AAD even when a receiver were keyed with the sender's key. */
START_TEST(A10_reflection_rejected)
{
	struct rec x;
	struct sg_record wrong;
	struct sg_record_config c;

	setup(8, false);
	x = seal_n(&dev, 7, 1);
	refuse(&dev, &x, 2, SG_EAUTH); /* per-direction keys */
	x = seal_n(&gw, 7, 3);
	refuse(&gw, &x, 4, SG_EAUTH);
	EXPECT_STATS(&dev, .bad_tag = 1);
	EXPECT_STATS(&gw, .bad_tag = 1);
	/* A receiver holding the right key but expecting the other direction
	 * (a device-side endpoint fed device->gateway traffic) still fails:
	 * the direction is authenticated, not only implied by the key. */
	c = cfg_dev;
	ck_assert_int_eq(sg_record_init(&wrong, &c, s_g2d, s_d2g, 0), 0);
	x = seal_n(&dev, 8, 5);
	refuse(&wrong, &x, 6, SG_EAUTH);
	EXPECT_STATS(&wrong, .bad_tag = 1);
}
END_TEST

/* ===================================================================== */
/* B. Integrity and parsing                                               */
/* ===================================================================== */

/* B1: every bit of the header, with and without the timestamp. */
START_TEST(B1_header_bit_flips)
{
	int fresh;

	for (fresh = 0; fresh <= 1; fresh++) {
		struct rec x, y;
		size_t h, bit;
		uint32_t want_header = 0, want_tag = 0;

		setup(8, fresh);
		x = seal_n(&dev, 1, 10);
		h = sg_record_header_len(&dev);
		for (bit = 0; bit < 8 * h; bit++) {
			unsigned char m = (unsigned char)(1u << (bit % 8));

			y = x;
			y.b[bit / 8] ^= m;
			/* reserved bits 7 and 3, and the timestamp flag, are
			 * refused unread; everything else fails the tag */
			if (bit / 8 == 0 && (m & 0x98) != 0)
				want_header++;
			else
				want_tag++;
			refuse(&gw, &y, 11, bit / 8 == 0 && (m & 0x98) ? SG_EDECODE : SG_EAUTH);
		}
		deliver_n(&gw, &x, 1, 12);
		EXPECT_STATS(&gw, .delivered = 1, .bad_header = want_header, .bad_tag = want_tag);
		ck_assert_uint_eq(want_header, 3);
		ck_assert_uint_eq(want_tag, fresh ? 53 : 29);
		ck_assert_uint_eq(gw.rx.phase, 0); /* no flip moved the key phase */
	}
}
END_TEST

/* B2 (and C9): every bit of the ciphertext; the session continues; with
 * a failed-decryption limit of N the key is retired after N. */
START_TEST(B2_ciphertext_bit_flips)
{
	struct rec x, y;
	size_t bit, h;
	uint32_t n = 0;

	setup(8, false);
	x = seal_k(&dev, SG_RECORD_APP, "0123456789abcdef", 16, 1);
	h = sg_record_header_len(&dev);
	for (bit = 0; bit < 8 * 16; bit++) {
		y = x;
		y.b[h + bit / 8] ^= (unsigned char)(1u << (bit % 8));
		refuse(&gw, &y, 2, SG_EAUTH);
		n++;
	}
	ck_assert_int_eq(open_r(&gw, &x, 3, &(enum sg_record_kind){ 0 }, (unsigned char[BUF]){ 0 },
				&(size_t){ 0 }), 0);
	EXPECT_STATS(&gw, .delivered = 1, .bad_tag = n);

	/* with limit_failures = 2: two forgeries retire the key */
	configure(8, false);
	cfg_gw.limit_failures = 2;
	start(0);
	x = seal_n(&dev, 1, 1);
	y = x;
	y.b[h] ^= 1;
	refuse(&gw, &y, 2, SG_EAUTH);
	refuse(&gw, &y, 2, SG_EAUTH);
	refuse(&gw, &x, 3, SG_ELIMIT); /* even the genuine one */
	ck_assert(sg_record_status(&gw, 3) & SG_RECORD_ST_RX_EXHAUSTED);
	EXPECT_STATS(&gw, .bad_tag = 2, .limit = 1);
}
END_TEST

/* B3: every byte of the tag, both tag lengths. */
START_TEST(B3_tag_byte_flips)
{
	size_t tags[] = { 8, 16 }, ti, i;

	for (ti = 0; ti < 2; ti++) {
		struct rec x, y;

		setup(tags[ti], false);
		x = seal_n(&dev, 3, 1);
		for (i = 0; i < tags[ti]; i++) {
			y = x;
			y.b[x.n - tags[ti] + i] ^= 0x5A;
			refuse(&gw, &y, 2, SG_EAUTH);
		}
		deliver_n(&gw, &x, 3, 3);
		EXPECT_STATS(&gw, .delivered = 1, .bad_tag = (uint32_t)tags[ti]);
	}
}
END_TEST

/* B4: every truncation, read from an exact-size heap copy so that ASan
 * sees any read past the end; the empty plaintext is valid. */
START_TEST(B4_truncation)
{
	int fresh;

	for (fresh = 0; fresh <= 1; fresh++) {
		struct rec x, e;
		size_t cut, h;
		uint32_t short_n = 0, tag_n = 0;
		unsigned char out[BUF];
		enum sg_record_kind k;
		size_t olen;

		setup(8, fresh);
		h = sg_record_header_len(&dev);
		x = seal_n(&dev, 9, 1);
		for (cut = 0; cut < x.n; cut++) {
			unsigned char *p = malloc(cut ? cut : 1);
			int rc;

			memcpy(p, x.b, cut);
			rc = sg_record_open(&gw, p, cut, 2, &k, out, sizeof(out), &olen);
			free(p);
			if (cut < h + 8) {
				ck_assert_int_eq(rc, SG_ELENGTH);
				short_n++;
			} else {
				ck_assert_int_eq(rc, SG_EAUTH); /* ciphertext minus 1..4 */
				tag_n++;
			}
		}
		e = seal_k(&dev, SG_RECORD_APP, NULL, 0, 3);
		ck_assert_int_eq(open_r(&gw, &e, 4, &k, out, &olen), 0);
		ck_assert_uint_eq(olen, 0);
		deliver_n(&gw, &x, 9, 5);
		EXPECT_STATS(&gw, .delivered = 2, .too_short = short_n, .bad_tag = tag_n);
		ck_assert_uint_eq(short_n, h + 8);
		ck_assert_uint_eq(tag_n, 4);
	}
}
END_TEST

/* B5, B6: trailing bytes, plaintext of max+1, a 0xFFFF-byte record. */
START_TEST(B5_B6_lengths)
{
	static unsigned char huge[0x10000];
	struct rec x;
	unsigned char out[BUF];
	enum sg_record_kind k;
	size_t olen;

	setup(8, false);
	x = seal_n(&dev, 1, 1);
	x.b[x.n++] = 0; /* B5: one trailing byte */
	refuse(&gw, &x, 2, SG_EAUTH);
	x.n--;
	deliver_n(&gw, &x, 1, 3);
	/* B6: a record whose plaintext would be max + 1 */
	memcpy(huge, x.b, 4);
	ck_assert_int_eq(sg_record_open(&gw, huge, gw.cfg.max_plaintext + 1 + 4 + 8, 4, &k, out,
					sizeof(out), &olen), SG_ELENGTH);
	ck_assert_int_eq(sg_record_open(&gw, huge, 0xFFFF, 4, &k, out, sizeof(out), &olen),
			 SG_ELENGTH);
	ck_assert_int_eq(sg_record_open(&gw, huge, sizeof(huge), 4, &k, out, sizeof(out), &olen),
			 SG_ELENGTH);
	/* a caller buffer too small is a caller error: not counted, no state */
	x = seal_n(&dev, 2, 5);
	ck_assert_int_eq(sg_record_open(&gw, x.b, x.n, 6, &k, out, 3, &olen), SG_ENOSPC);
	deliver_n(&gw, &x, 2, 7);
	EXPECT_STATS(&gw, .delivered = 2, .bad_tag = 1, .too_long = 3);
}
END_TEST

/* B7: unknown kinds, reserved bits, timestamp presence not as agreed. */
START_TEST(B7_unknown_kind_and_reserved_bits)
{
	struct rec x, y;
	unsigned v;

	setup(8, false);
	x = seal_n(&dev, 1, 1);
	for (v = 6; v <= 7; v++) {
		y = x;
		y.b[0] = (unsigned char)((y.b[0] & ~0x07u) | v);
		refuse(&gw, &y, 2, SG_EDECODE);
	}
	y = x;
	y.b[0] |= 0x80;
	refuse(&gw, &y, 2, SG_EDECODE);
	y = x;
	y.b[0] |= 0x08;
	refuse(&gw, &y, 2, SG_EDECODE);
	y = x;
	y.b[0] |= 0x10; /* claims a timestamp the session does not use (H5) */
	refuse(&gw, &y, 2, SG_EDECODE);
	deliver_n(&gw, &x, 1, 3);
	EXPECT_STATS(&gw, .delivered = 1, .bad_header = 5);
	/* the other way: a session with freshness refuses a record without */
	setup(8, true);
	x = seal_n(&dev, 1, 1);
	y = x;
	y.b[0] &= (unsigned char)~0x10u;
	refuse(&gw, &y, 2, SG_EDECODE);
	EXPECT_STATS(&gw, .bad_header = 1);
}
END_TEST

/* Build a record by the spec with the primitives (no freshness), to make
 * authentic records the sealing API refuses to produce. */
static struct rec craft(const unsigned char secret[32], uint64_t seq, unsigned flags,
			const void *pt, size_t len, uint8_t dir)
{
	unsigned char key[16], iv[13], aad[6];
	struct rec x;
	unsigned k;

	ck_assert_int_eq(sg_hkdf_expand(secret, 32, "serguard key", 12, key, 16), 0);
	ck_assert_int_eq(sg_hkdf_expand(secret, 32, "serguard iv", 11, iv, 13), 0);
	for (k = 0; k < 8; k++)
		iv[12 - k] ^= (unsigned char)(seq >> (8 * k));
	x.b[0] = (unsigned char)flags;
	x.b[1] = (unsigned char)(seq >> 16);
	x.b[2] = (unsigned char)(seq >> 8);
	x.b[3] = (unsigned char)seq;
	memcpy(aad, x.b, 4);
	aad[4] = ADDR;
	aad[5] = dir;
	ck_assert_int_eq(sg_ccm_seal(key, iv, aad, 6, pt, len, x.b + 4, 8), 0);
	x.n = 4 + len + 8;
	return x;
}

/* Authentic records with content the layer refuses: a KEY_UPDATE with
 * unknown flags or the wrong length, an unknown kind. Dropped as bad
 * header, nothing committed; the seal side refuses to make them. */
START_TEST(B7_authentic_but_invalid_inner_content)
{
	struct rec x;
	unsigned char out[BUF];

	setup(8, false);
	x = craft(s_d2g, 0, SG_RECORD_KEY_UPDATE, "\x80", 1, SG_FRAME_FROM_DEVICE);
	refuse(&gw, &x, 1, SG_EDECODE);
	ck_assert_int_eq(sg_replay_check(&gw.rx.win, 0), 0);
	x = craft(s_d2g, 1, SG_RECORD_KEY_UPDATE, "\x01\x00", 2, SG_FRAME_FROM_DEVICE);
	refuse(&gw, &x, 1, SG_EDECODE);
	x = craft(s_d2g, 2, 6, "x", 1, SG_FRAME_FROM_DEVICE);
	refuse(&gw, &x, 1, SG_EDECODE);
	x = craft(s_d2g, 3, SG_RECORD_KEY_UPDATE, "\x01", 1, SG_FRAME_FROM_DEVICE);
	ck_assert_int_eq(open_r(&gw, &x, 2, &(enum sg_record_kind){ 0 }, out, &(size_t){ 0 }), 0);
	ck_assert(sg_record_status(&gw, 2) & SG_RECORD_ST_PEER_REQUEST);
	EXPECT_STATS(&gw, .delivered = 1, .bad_header = 3);
	ck_assert_int_eq(sg_record_seal(&dev, SG_RECORD_KEY_UPDATE, "\x80", 1, 3, x.b, BUF, &x.n),
			 SG_EINVAL);
}
END_TEST

/* B8: no (key, nonce) pair is ever used twice over a run with key
 * updates in both directions; the same plaintext twice gives different
 * ciphertexts; a new session (new secrets, as after a reboot) has new
 * keys. */
struct kn {
	unsigned char b[SG_CCM_KEY_LEN + SG_CCM_NONCE_LEN];
};
static int kn_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct kn));
}

START_TEST(B8_nonce_uniqueness)
{
	enum { N = 3000 };
	static struct kn seen[2 * N + 2];
	size_t n = 0, i, j;
	struct rec prev = { { 0 }, 0 }, x;
	uint64_t now = 0;
	unsigned char key0[16];

	setup(8, false);
	for (i = 0; i < N; i++) {
		struct sg_record *who[2] = { &dev, &gw }, *peer[2] = { &gw, &dev };

		for (j = 0; j < 2; j++) {
			struct sg_record *r = who[j];
			unsigned k;

			memcpy(seen[n].b, r->tx.k.key, SG_CCM_KEY_LEN);
			memcpy(seen[n].b + SG_CCM_KEY_LEN, r->tx.k.iv, SG_CCM_NONCE_LEN);
			for (k = 0; k < 8; k++)
				seen[n].b[SG_CCM_KEY_LEN + 12 - k] ^= (unsigned char)(r->tx.seq >> (8 * k));
			n++;
			x = seal_k(r, SG_RECORD_APP, "same", 4, now);
			if (j == 0 && i > 0)
				ck_assert_mem_ne(x.b + 4, prev.b + 4, x.n - 4);
			if (j == 0)
				prev = x;
			ck_assert_int_eq(open_r(peer[j], &x, now, &(enum sg_record_kind){ 0 },
						(unsigned char[BUF]){ 0 }, &(size_t){ 0 }), 0);
			if (i % 700 == 699)
				ck_assert_int_eq(sg_record_key_update(r, now), 0);
		}
		now++;
	}
	qsort(seen, n, sizeof(seen[0]), kn_cmp);
	for (i = 1; i < n; i++)
		ck_assert_msg(memcmp(seen[i - 1].b, seen[i].b, sizeof(seen[0].b)) != 0,
			      "(key, nonce) used twice");
	ck_assert_uint_eq(dev.tx.phase, 4);
	/* a new session after a reboot: fresh secrets give fresh keys */
	memcpy(key0, dev.tx.k.key, 16);
	secrets(77);
	ck_assert_int_eq(sg_record_init(&dev, &cfg_dev, s_d2g, s_g2d, 0), 0);
	ck_assert_uint_eq(dev.tx.seq, 0);
	ck_assert_mem_ne(dev.tx.k.key, key0, 16);
}
END_TEST

/* B9: a valid record relabelled: other address, other sequence number
 * (same low bits, other epoch of the 24-bit space), other phase. */
START_TEST(B9_relabelled_record_rejected)
{
	struct rec x, y;
	struct sg_record other;
	struct sg_record_config c;

	setup(8, false);
	x = seal_n(&dev, 1, 1);
	/* another bus address */
	c = cfg_gw;
	c.addr = ADDR + 1;
	ck_assert_int_eq(sg_record_init(&other, &c, s_g2d, s_d2g, 0), 0);
	refuse(&other, &x, 2, SG_EAUTH);
	EXPECT_STATS(&other, .bad_tag = 1);
	/* same 24 low bits, 2^24 further: the nonce holds the full number */
	ck_assert_int_eq(sg_record_init(&other, &cfg_gw, s_g2d, s_d2g, 0), 0);
	ck_assert_int_eq(sg_replay_commit(&other.rx.win, ((uint64_t)1 << 24) - 1), 0);
	refuse(&other, &x, 2, SG_EAUTH);
	/* other key phase */
	y = x;
	y.b[0] ^= 0x40;
	refuse(&gw, &y, 3, SG_EAUTH);
	deliver_n(&gw, &x, 1, 4);
	EXPECT_STATS(&gw, .delivered = 1, .bad_tag = 1);
}
END_TEST

/* ===================================================================== */
/* C. Key phases, key update, limits                                      */
/* ===================================================================== */

/* C1: a record of the old phase inside the grace period is delivered
 * once; after it (by time, and by record count) it is refused, and the
 * old key's storage is zero (C10). */
START_TEST(C1_C10_grace_period)
{
	struct rec old1, old2, old3, n0, n1;
	size_t i;

	configure(8, false);
	cfg_gw.grace_ms = 1000;
	cfg_gw.grace_records = 3;
	start(0);
	old1 = seal_n(&dev, 1, 10);
	old2 = seal_n(&dev, 2, 11);
	old3 = seal_n(&dev, 3, 12);
	ck_assert_int_eq(sg_record_key_update(&dev, 20), 0);
	n0 = seal_n(&dev, 10, 21);
	n1 = seal_n(&dev, 11, 22);
	deliver_n(&gw, &n0, 10, 100); /* switch at t=100 */
	ck_assert_uint_eq(gw.rx.phase, 1);
	ck_assert(gw.rx.prev_held);
	ck_assert(!sg_record_prev_key_zero(&gw));
	deliver_n(&gw, &old1, 1, 200); /* within grace: delivered once */
	refuse(&gw, &old1, 201, SG_EREPLAY);
	ck_assert_uint_eq(sg_record_deadline(&gw), 1100);
	sg_record_tick(&gw, 1099);
	ck_assert(gw.rx.prev_held);
	sg_record_tick(&gw, 1100); /* grace over by time */
	ck_assert(sg_record_prev_key_zero(&gw));
	refuse(&gw, &old2, 1101, SG_EPHASE);
	deliver_n(&gw, &n1, 11, 1102);
	EXPECT_STATS(&gw, .delivered = 3, .replay = 1, .wrong_phase = 1);

	/* by record count: the third new-phase record ends the grace */
	start(0);
	old1 = seal_n(&dev, 1, 10);
	old2 = seal_n(&dev, 2, 11);
	old3 = seal_n(&dev, 3, 12);
	ck_assert_int_eq(sg_record_key_update(&dev, 20), 0);
	for (i = 0; i < 2; i++) {
		n0 = seal_n(&dev, 10 + (unsigned)i, 21);
		deliver_n(&gw, &n0, 10 + (unsigned)i, 30);
	}
	deliver_n(&gw, &old1, 1, 31);
	n0 = seal_n(&dev, 12, 21);
	deliver_n(&gw, &n0, 12, 32);
	ck_assert(sg_record_prev_key_zero(&gw));
	refuse(&gw, &old2, 33, SG_EPHASE);
	/* C10: much later, a captured old-phase record is still refused */
	refuse(&gw, &old3, 1000000, SG_EPHASE);
	EXPECT_STATS(&gw, .delivered = 4, .wrong_phase = 2);
	/* and wiping the whole state leaves nothing */
	sg_record_wipe(&gw);
	{
		static const struct sg_record zero;

		ck_assert_mem_eq(&gw, &zero, sizeof(zero));
	}
}
END_TEST

/* Grace disabled: the old key goes at the switch. */
START_TEST(C1_no_grace)
{
	struct rec old, n0;

	configure(8, false);
	cfg_gw.grace_ms = 0;
	start(0);
	old = seal_n(&dev, 1, 1);
	ck_assert_int_eq(sg_record_key_update(&dev, 2), 0);
	n0 = seal_n(&dev, 2, 3);
	deliver_n(&gw, &n0, 2, 4);
	ck_assert(sg_record_prev_key_zero(&gw));
	refuse(&gw, &old, 5, SG_EPHASE);
	EXPECT_STATS(&gw, .delivered = 1, .wrong_phase = 1);
}
END_TEST

/* C2: a next-phase record is only ever tried with the next key; a forged
 * one changes nothing; the genuine one is delivered once and switches. */
START_TEST(C2_next_phase_only_with_next_key)
{
	struct rec a, n0, forged;
	struct sg_record_keys cur;
	unsigned char secret[SG_RECORD_SECRET_LEN];

	setup(8, false);
	a = seal_n(&dev, 0, 1);
	deliver_n(&gw, &a, 0, 2);
	ck_assert_int_eq(sg_record_key_update(&dev, 3), 0);
	n0 = seal_n(&dev, 1, 4);
	forged = n0;
	forged.b[5] ^= 0x01;
	cur = gw.rx.cur;
	memcpy(secret, gw.rx.secret, sizeof(secret));
	refuse(&gw, &forged, 5, SG_EAUTH);
	/* tried with the derived next key (its counter), never installed */
	ck_assert_uint_eq(gw.rx.next_failures, 1);
	ck_assert_uint_eq(gw.rx.cur_failures, 0);
	ck_assert_uint_eq(gw.rx.phase, 0);
	ck_assert_mem_eq(&cur, &gw.rx.cur, sizeof(cur));
	ck_assert_mem_eq(secret, gw.rx.secret, sizeof(secret));
	deliver_n(&gw, &n0, 1, 6); /* delivered once, switches */
	ck_assert_uint_eq(gw.rx.phase, 1);
	refuse(&gw, &n0, 7, SG_EREPLAY);
	EXPECT_STATS(&gw, .delivered = 2, .bad_tag = 1, .replay = 1);
}
END_TEST

/* A record with the current phase bit but from two phases back (below
 * the first sequence number of the current phase) is refused unread. */
START_TEST(C1_two_phases_old_refused_unread)
{
	struct rec old0, a, b;

	setup(8, false);
	old0 = seal_n(&dev, 0, 1); /* phase 0, held */
	a = seal_n(&dev, 1, 1);
	deliver_n(&gw, &a, 1, 2);
	ck_assert_int_eq(sg_record_key_update(&dev, 3), 0);
	a = seal_n(&dev, 2, 3);
	deliver_n(&gw, &a, 2, 4); /* gw -> phase 1 */
	b = seal_n(&gw, 0, 5);
	deliver_n(&dev, &b, 0, 6); /* echo confirms */
	ck_assert_int_eq(sg_record_key_update(&dev, 7), 0);
	a = seal_n(&dev, 3, 7);
	deliver_n(&gw, &a, 3, 8); /* gw -> phase 2 (bit 0 again) */
	refuse(&gw, &old0, 9, SG_EPHASE);
	EXPECT_STATS(&gw, .delivered = 3, .wrong_phase = 1);
	ck_assert_uint_eq(gw.rx.cur_failures, 0);
}
END_TEST

START_TEST(C3_phase_jump_of_two_rejected)
{
	struct rec a, b;

	setup(8, false);
	a = seal_n(&dev, 1, 1);
	deliver_n(&gw, &a, 1, 2);
	ck_assert_int_eq(sg_record_key_update(&dev, 3), 0);
	/* a second update before the peer confirmed is refused ... */
	ck_assert_int_eq(sg_record_key_update(&dev, 3), SG_EAGAIN);
	ck_assert(sg_record_status(&dev, 3) & SG_RECORD_ST_UNCONFIRMED);
	/* ... so a sender that skips a phase is broken or hostile: forced */
	dev.tx.confirmed = true;
	ck_assert_int_eq(sg_record_key_update(&dev, 4), 0);
	b = seal_n(&dev, 2, 5); /* phase 2: same bit as phase 0 */
	refuse(&gw, &b, 6, SG_EAUTH);
	ck_assert_uint_eq(gw.rx.phase, 0);
	EXPECT_STATS(&gw, .delivered = 1, .bad_tag = 1);
	/* the phase counter is 64-bit and only its low bit is on the wire:
	 * no epoch field can wrap around */
}
END_TEST

/* C4: a KEY_UPDATE record duplicated, replayed, or sent again: no double
 * ratchet. */
START_TEST(C4_key_update_idempotent)
{
	unsigned char f = 0;
	struct rec ku, ku2, d;

	setup(8, false);
	ck_assert_int_eq(sg_record_key_update(&dev, 1), 0);
	ku = seal_k(&dev, SG_RECORD_KEY_UPDATE, &f, 1, 1);
	ck_assert_int_eq(open_r(&gw, &ku, 2, &(enum sg_record_kind){ 0 }, (unsigned char[BUF]){ 0 },
				&(size_t){ 0 }), 0);
	ck_assert_uint_eq(gw.rx.phase, 1);
	refuse(&gw, &ku, 3, SG_EREPLAY); /* duplicated */
	ku2 = seal_k(&dev, SG_RECORD_KEY_UPDATE, &f, 1, 4); /* retransmitted */
	ck_assert_int_eq(open_r(&gw, &ku2, 5, &(enum sg_record_kind){ 0 },
				(unsigned char[BUF]){ 0 }, &(size_t){ 0 }), 0);
	ck_assert_uint_eq(gw.rx.phase, 1);
	d = seal_n(&dev, 5, 6);
	deliver_n(&gw, &d, 5, 7);
	refuse(&gw, &ku, 8, SG_EREPLAY); /* replayed later */
	ck_assert_uint_eq(gw.rx.phase, 1);
	EXPECT_STATS(&gw, .delivered = 3, .replay = 2);
}
END_TEST

/* C5: the KEY_UPDATE record (and more) lost: the next record of the new
 * phase carries the switch; nothing is accepted under a wrong key. */
START_TEST(C5_key_update_lost)
{
	unsigned char f = 0;
	struct rec d;
	unsigned i;

	setup(8, false);
	ck_assert_int_eq(sg_record_key_update(&dev, 1), 0);
	(void)seal_k(&dev, SG_RECORD_KEY_UPDATE, &f, 1, 1); /* lost */
	for (i = 0; i < 5; i++)
		(void)seal_n(&dev, i, 2); /* lost too */
	d = seal_n(&dev, 99, 3);
	deliver_n(&gw, &d, 99, 4);
	ck_assert_uint_eq(gw.rx.phase, 1);
	EXPECT_STATS(&gw, .delivered = 1);
}
END_TEST

/* C6: both ends update at once; per-direction keys converge; each end
 * learns from the other's echo bit that it may update again. */
START_TEST(C6_simultaneous_updates)
{
	struct rec a, b;
	unsigned round;

	setup(16, false);
	for (round = 0; round < 3; round++) {
		ck_assert_int_eq(sg_record_key_update(&dev, 10 * round), 0);
		ck_assert_int_eq(sg_record_key_update(&gw, 10 * round), 0);
		a = seal_n(&dev, round, 10 * round + 1);
		b = seal_n(&gw, round, 10 * round + 1);
		deliver_n(&gw, &a, round, 10 * round + 2);
		deliver_n(&dev, &b, round, 10 * round + 2);
		/* neither has seen an echo of its new phase yet */
		ck_assert_int_eq(sg_record_key_update(&dev, 10 * round + 3), SG_EAGAIN);
		ck_assert(sg_record_status(&gw, 0) & SG_RECORD_ST_ECHO_DUE);
		a = seal_k(&dev, SG_RECORD_PING, NULL, 0, 10 * round + 4);
		b = seal_k(&gw, SG_RECORD_PING, NULL, 0, 10 * round + 4);
		ck_assert(!(sg_record_status(&gw, 0) & SG_RECORD_ST_ECHO_DUE));
		ck_assert_int_eq(open_r(&gw, &a, 10 * round + 5, &(enum sg_record_kind){ 0 },
					(unsigned char[BUF]){ 0 }, &(size_t){ 0 }), 0);
		ck_assert_int_eq(open_r(&dev, &b, 10 * round + 5, &(enum sg_record_kind){ 0 },
					(unsigned char[BUF]){ 0 }, &(size_t){ 0 }), 0);
		ck_assert(!(sg_record_status(&gw, 0) & SG_RECORD_ST_UNCONFIRMED));
		ck_assert(!(sg_record_status(&dev, 0) & SG_RECORD_ST_UNCONFIRMED));
	}
	ck_assert_uint_eq(gw.rx.phase, 3);
	ck_assert_uint_eq(dev.rx.phase, 3);
	EXPECT_STATS(&gw, .delivered = 6);
	EXPECT_STATS(&dev, .delivered = 6);
}
END_TEST

/* The echo of an old record (sealed before the peer saw our previous
 * phase) must not confirm the phase after it, which has the same bit. */
START_TEST(C6_stale_echo_does_not_confirm)
{
	struct rec late, a, b;

	setup(8, false);
	late = seal_n(&gw, 1, 1); /* gw at rx phase 0: echo 0; held */
	ck_assert_int_eq(sg_record_key_update(&dev, 2), 0); /* dev -> phase 1 */
	a = seal_n(&dev, 1, 2);
	deliver_n(&gw, &a, 1, 3);
	b = seal_n(&gw, 2, 4); /* echo 1 */
	deliver_n(&dev, &b, 2, 5);
	ck_assert(dev.tx.confirmed);
	ck_assert_int_eq(sg_record_key_update(&dev, 6), 0); /* phase 2: bit 0 */
	deliver_n(&dev, &late, 1, 7);  /* echo 0, but from before: no confirm */
	ck_assert(!dev.tx.confirmed);
	ck_assert_int_eq(sg_record_key_update(&dev, 8), SG_EAGAIN);
	a = seal_n(&dev, 3, 9);
	deliver_n(&gw, &a, 3, 10);
	b = seal_n(&gw, 3, 11);
	deliver_n(&dev, &b, 3, 12);
	ck_assert(dev.tx.confirmed);
}
END_TEST

/* C7: send counter at the limit; receive counter at/over the limit; the
 * per-key record limit blocks the key until an update. */
START_TEST(C7_sequence_limit)
{
	struct rec a, b, c;
	unsigned char out[BUF];
	size_t n;

	setup(8, false);
	dev.tx.seq = SG_RECORD_SEQ_LIMIT - 2;
	ck_assert_int_eq(sg_replay_commit(&gw.rx.win, SG_RECORD_SEQ_LIMIT - 3), 0);
	a = seal_n(&dev, 1, 1); /* 2^62 - 2 */
	b = seal_n(&dev, 2, 2); /* 2^62 - 1: the last one */
	ck_assert_int_eq(sg_record_seal(&dev, SG_RECORD_APP, "x", 1, 3, out, BUF, &n), SG_ELIMIT);
	ck_assert(sg_record_status(&dev, 3) & SG_RECORD_ST_SEQ_EXHAUSTED);
	ck_assert_uint_eq(dev.tx.seq, SG_RECORD_SEQ_LIMIT); /* never wraps */
	deliver_n(&gw, &a, 1, 4);
	deliver_n(&gw, &b, 2, 5);
	c = b; /* a record claiming 2^62: dropped before any decryption */
	c.b[1] = c.b[2] = c.b[3] = 0;
	refuse(&gw, &c, 6, SG_ELIMIT);
	EXPECT_STATS(&gw, .delivered = 2, .limit = 1);
	ck_assert_uint_eq(gw.rx.cur_failures, 0);

	/* per-key records: limit 5 */
	configure(8, false);
	cfg_dev.limit_records = 5;
	cfg_dev.update_after_records = 3;
	start(0);
	for (n = 0; n < 5; n++) {
		ck_assert(!(sg_record_status(&dev, 0) & SG_RECORD_ST_TX_BLOCKED));
		ck_assert_int_eq(!!(sg_record_status(&dev, 0) & SG_RECORD_ST_UPDATE_DUE), n >= 3);
		a = seal_n(&dev, (unsigned)n, 1);
		deliver_n(&gw, &a, (unsigned)n, 2);
	}
	ck_assert_int_eq(sg_record_seal(&dev, SG_RECORD_APP, "x", 1, 3, out, BUF, &n), SG_ELIMIT);
	ck_assert(sg_record_status(&dev, 3) & SG_RECORD_ST_TX_BLOCKED);
	ck_assert_int_eq(sg_record_key_update(&dev, 4), 0);
	a = seal_n(&dev, 6, 5);
	deliver_n(&gw, &a, 6, 6);
	/* the receiver enforces its own per-key record limit too */
	configure(8, false);
	cfg_gw.limit_records = 2;
	cfg_gw.update_after_records = 0;
	start(0);
	for (n = 0; n < 3; n++) {
		a = seal_n(&dev, (unsigned)n, 1);
		if (n < 2)
			deliver_n(&gw, &a, (unsigned)n, 2);
		else
			refuse(&gw, &a, 2, SG_ELIMIT);
	}
	ck_assert(sg_record_status(&gw, 3) & SG_RECORD_ST_RX_EXHAUSTED);
	EXPECT_STATS(&gw, .delivered = 2, .limit = 1);
}
END_TEST

/* C8: reconstruction around the 24-bit boundary, 2^15 consecutive losses
 * (sealed and dropped for real), the exact bound 2^23, and one past it. */
START_TEST(C8_reconstruction)
{
	struct rec r[5];
	unsigned i;
	const uint64_t T = (uint64_t)1 << 24;

	setup(8, false);
	/* the receiver has delivered up to T-5; the sender is at T-3 */
	ck_assert_int_eq(sg_replay_commit(&gw.rx.win, T - 5), 0);
	lose(&dev, T - 3);
	for (i = 0; i < 5; i++)
		r[i] = seal_n(&dev, i, 1); /* T-3 .. T+1 */
	deliver_n(&gw, &r[3], 3, 3);	   /* T: low bits 0, expected T-4 */
	deliver_n(&gw, &r[4], 4, 4);	   /* T+1 */
	deliver_n(&gw, &r[0], 0, 5);	   /* T-3: low bits 0xFFFFFD, placed below */
	deliver_n(&gw, &r[2], 2, 6);	   /* T-1 */
	deliver_n(&gw, &r[1], 1, 7);	   /* T-2 */
	ck_assert_uint_eq(gw.rx.win.top, T + 1);
	EXPECT_STATS(&gw, .delivered = 5);
	/* half-window ambiguity: the same low bits 2^23 + 1 behind the
	 * expected value are read as 2^23 - 1 ahead, fail the tag, and are
	 * charged as a forgery; they never land on a delivered number */
}
END_TEST

START_TEST(C8_survives_2_15_consecutive_losses)
{
	struct rec r;
	unsigned i;

	setup(8, false);
	r = seal_n(&dev, 0, 1);
	deliver_n(&gw, &r, 0, 1);
	for (i = 0; i < (1u << 15); i++)
		(void)seal_n(&dev, 1000 + i, 2); /* lost on the wire */
	r = seal_n(&dev, 1, 3);
	deliver_n(&gw, &r, 1, 4);
	ck_assert_uint_eq(gw.rx.win.top, (1u << 15) + 1);
	EXPECT_STATS(&gw, .delivered = 2);
}
END_TEST

START_TEST(C8_exact_bound)
{
	struct rec r, late;

	setup(8, false);
	r = seal_n(&dev, 0, 1);
	deliver_n(&gw, &r, 0, 1);	   /* highest 0, expected 1 */
	lose(&dev, SG_RECORD_RECON_BOUND); /* 2^23 consecutive losses */
	r = seal_n(&dev, 1, 2);		   /* seq 1 + 2^23 = expected + 2^23 */
	deliver_n(&gw, &r, 1, 3);
	/* one more than the bound: 2^23 + 1 unseen (a held one and 2^23) */
	late = seal_n(&dev, 2, 4);
	lose(&dev, SG_RECORD_RECON_BOUND);
	r = seal_n(&dev, 3, 5);
	refuse(&gw, &r, 6, SG_ETOOOLD); /* placed 2^24 too low: left of the window */
	deliver_n(&gw, &late, 2, 7);	/* the session itself is unharmed */
	EXPECT_STATS(&gw, .delivered = 3, .too_old = 1);
	/* Beyond the bound the record layer cannot resynchronise alone; the
	 * session sees only drops and re-handshakes (doc/PROTOCOL.md 3.5). */
}
END_TEST

/* C9: the failed-decryption limit retires the receive key; the receiver
 * asks for an update (KEY_UPDATE with REQUEST); the peer updates; traffic
 * resumes under the next key. Forgeries against the next key count
 * against the next key. */
START_TEST(C9_failed_decryption_limit_and_recovery)
{
	struct rec good, bad, req, after;
	unsigned char f = SG_RECORD_KU_REQUEST;
	unsigned i;

	configure(8, false);
	cfg_gw.limit_failures = 4;
	start(0);
	good = seal_n(&dev, 0, 1);
	for (i = 0; i < 4; i++) {
		bad = good;
		bad.b[6] ^= (unsigned char)(1u << i);
		refuse(&gw, &bad, 2, SG_EAUTH);
	}
	refuse(&gw, &good, 3, SG_ELIMIT);
	ck_assert(sg_record_status(&gw, 3) & SG_RECORD_ST_RX_EXHAUSTED);
	/* forgeries flagged with the next phase are charged to the next key */
	bad = good;
	bad.b[0] ^= 0x40;
	refuse(&gw, &bad, 3, SG_EAUTH);
	ck_assert_uint_eq(gw.rx.next_failures, 1);
	/* recovery */
	req = seal_k(&gw, SG_RECORD_KEY_UPDATE, &f, 1, 4);
	ck_assert_int_eq(open_r(&dev, &req, 5, &(enum sg_record_kind){ 0 },
				(unsigned char[BUF]){ 0 }, &(size_t){ 0 }), 0);
	ck_assert(sg_record_status(&dev, 5) & SG_RECORD_ST_PEER_REQUEST);
	ck_assert_int_eq(sg_record_key_update(&dev, 6), 0);
	ck_assert(!(sg_record_status(&dev, 6) & SG_RECORD_ST_PEER_REQUEST));
	after = seal_n(&dev, 1, 7);
	deliver_n(&gw, &after, 1, 8);
	ck_assert(!(sg_record_status(&gw, 8) & SG_RECORD_ST_RX_EXHAUSTED));
	ck_assert_uint_eq(gw.rx.cur_failures, 1); /* carried from the next key */
	EXPECT_STATS(&gw, .delivered = 1, .bad_tag = 5, .limit = 1);
}
END_TEST

/* ===================================================================== */
/* D. Freshness                                                           */
/* ===================================================================== */

static void fresh_setup(uint32_t max_age, uint32_t skew, uint32_t drift)
{
	configure(8, true);
	cfg_gw.max_age_ms = cfg_dev.max_age_ms = max_age;
	cfg_gw.anchor_skew_ms = cfg_dev.anchor_skew_ms = skew;
	cfg_gw.drift_ppm = cfg_dev.drift_ppm = drift;
	start(1000);
}

/* D1: a withheld record released after max age is refused (stale) even
 * though it is new to the replay window and nothing later arrived. */
START_TEST(D1_withheld_record_is_stale)
{
	struct rec held, next;

	fresh_setup(2000, 0, 0);
	held = seal_n(&dev, 1, 1500); /* the very first record */
	refuse(&gw, &held, 1500 + 2001, SG_ESTALE);
	ck_assert_int_eq(sg_replay_check(&gw.rx.win, 0), 0); /* window untouched */
	next = seal_n(&dev, 2, 5000);
	deliver_n(&gw, &next, 2, 5010);
	refuse(&gw, &held, 5020, SG_ESTALE); /* still, and forever */
	EXPECT_STATS(&gw, .delivered = 1, .stale = 2);
}
END_TEST

/* D2: age exactly max age is accepted (<=), one more ms is not; with an
 * anchor skew and a drift allowance the bound moves by exactly those. */
START_TEST(D2_boundaries)
{
	struct rec a, b, c, f;

	fresh_setup(2000, 0, 0);
	a = seal_n(&dev, 1, 1100);
	deliver_n(&gw, &a, 1, 1100); /* d = 0: the reference */
	b = seal_n(&dev, 2, 1200);
	deliver_n(&gw, &b, 2, 1200 + 2000); /* age == max: accepted */
	c = seal_n(&dev, 3, 1300);
	refuse(&gw, &c, 1300 + 2001, SG_ESTALE); /* max + 1 */
	EXPECT_STATS(&gw, .delivered = 2, .stale = 1);

	/* timestamps from the future: sender clock 501 ms ahead of the anchor
	 * bound (skew 500) is refused, 500 is accepted */
	fresh_setup(2000, 500, 0);
	f = seal_n(&dev, 1, 1000 + 10500); /* sender at +10.5 s */
	refuse(&gw, &f, 1000 + 9999, SG_EFUTURE); /* d = -501 */
	deliver_n(&gw, &f, 1, 1000 + 10000);	  /* d = -500 */
	EXPECT_STATS(&gw, .delivered = 1, .future = 1);

	/* initial uncertainty: before any reference, the anchor skew counts */
	fresh_setup(2000, 500, 0);
	a = seal_n(&dev, 1, 1000);
	deliver_n(&gw, &a, 1, 1000 + 2500); /* could be 2000 + skew 500 */
	fresh_setup(2000, 500, 0);
	a = seal_n(&dev, 1, 1000);
	refuse(&gw, &a, 1000 + 2501, SG_ESTALE);

	/* drift allowance: 1000 ppm over 10 s of sender time = 10 ms */
	fresh_setup(2000, 0, 1000);
	a = seal_n(&dev, 1, 1000);
	deliver_n(&gw, &a, 1, 1000); /* reference at s = 0, d = 0 */
	b = seal_n(&dev, 2, 11000);
	deliver_n(&gw, &b, 2, 11000 + 2010);
	fresh_setup(2000, 0, 1000);
	a = seal_n(&dev, 1, 1000);
	deliver_n(&gw, &a, 1, 1000);
	b = seal_n(&dev, 2, 11000);
	refuse(&gw, &b, 11000 + 2011, SG_ESTALE);
}
END_TEST

/* The offset tracking survives real drift: a sender clock 800 ppm slow
 * and one 800 ppm fast, a record a second for 6 hours (the 24-bit
 * timestamp wraps at 4.66 h): all delivered; a held record still caught. */
START_TEST(D_drift_tracking_over_hours)
{
	int sign;

	for (sign = -1; sign <= 1; sign += 2) {
		uint64_t t, s_clock;
		unsigned i = 0;
		struct rec x, held = { { 0 }, 0 };

		fresh_setup(2000, 100, 1000);
		for (t = 1000; t < 1000 + 6u * 3600u * 1000u; t += 1000) {
			/* sender's clock: anchored at 1000, rate 1 +- 800 ppm */
			s_clock = 1000 + (uint64_t)((int64_t)(t - 1000) +
						    sign * (int64_t)((t - 1000) / 1250));
			x = seal_n(&dev, i, s_clock);
			if (i == 15000) {
				held = x;
			} else {
				deliver_n(&gw, &x, i, t + 20); /* 20 ms line delay */
			}
			if (i == 15003) /* released 3 s late: over max age */
				refuse(&gw, &held, t + 20, SG_ESTALE);
			i++;
		}
		EXPECT_STATS(&gw, .delivered = i - 1, .stale = 1);
	}
}
END_TEST

/* D3: clock steps. Receiver steps forward: records look stale, refused,
 * the session is told (CLOCK_SUSPECT) and recovers by a new handshake
 * (re-init with new secrets and anchors). Receiver steps back: detected,
 * absorbed, counted, flagged. Sender steps back: its timestamps never go
 * backwards. */
START_TEST(D3_clock_steps)
{
	struct rec x;
	unsigned i;
	unsigned char ts0[3];

	fresh_setup(2000, 100, 1000);
	x = seal_n(&dev, 0, 2000);
	deliver_n(&gw, &x, 0, 2010);
	/* the gateway's clock jumps 1 h forward */
	for (i = 1; i <= 3; i++) {
		x = seal_n(&dev, i, 2000 + i * 100);
		refuse(&gw, &x, 3600u * 1000u + 2010 + i * 100, SG_ESTALE);
		ck_assert_int_eq(!!(sg_record_status(&gw, 0) & SG_RECORD_ST_CLOCK_SUSPECT), i >= 3);
	}
	EXPECT_STATS(&gw, .delivered = 1, .stale = 3);
	/* recovery: a new handshake gives new secrets and new anchors */
	secrets(9);
	ck_assert_int_eq(sg_record_init(&gw, &cfg_gw, s_g2d, s_d2g, 3600u * 1000u + 3000), 0);
	ck_assert_int_eq(sg_record_init(&dev, &cfg_dev, s_d2g, s_g2d, 3000), 0);
	x = seal_n(&dev, 10, 3100);
	deliver_n(&gw, &x, 10, 3600u * 1000u + 3110);
	ck_assert(!(sg_record_status(&gw, 3600u * 1000u + 3110) & SG_RECORD_ST_CLOCK_SUSPECT));

	/* receiver clock goes back 10 s: absorbed, counted, flagged */
	fresh_setup(2000, 100, 1000);
	x = seal_n(&dev, 0, 20000);
	deliver_n(&gw, &x, 0, 20010);
	x = seal_n(&dev, 1, 20100);
	deliver_n(&gw, &x, 1, 10110); /* would be "from the future" if not absorbed */
	ck_assert(sg_record_status(&gw, 10110) & SG_RECORD_ST_CLOCK_SUSPECT);
	EXPECT_STATS(&gw, .delivered = 2, .clock_steps = 1);

	/* sender clock goes back: timestamps stay monotonic */
	fresh_setup(2000, 100, 1000);
	x = seal_n(&dev, 0, 50000);
	memcpy(ts0, x.b + 4, 3);
	x = seal_n(&dev, 1, 40000);
	ck_assert_mem_eq(x.b + 4, ts0, 3);
	ck_assert_uint_eq(dev.stats.clock_steps, 1);
}
END_TEST

/* ===================================================================== */
/* Status, deadline, soak                                                 */
/* ===================================================================== */

START_TEST(status_and_deadline)
{
	configure(8, false);
	cfg_dev.update_after_ms = 5000;
	start(100);
	ck_assert_uint_eq(sg_record_status(&dev, 100), 0);
	ck_assert_uint_eq(sg_record_deadline(&dev), 5100);
	ck_assert(!(sg_record_status(&dev, 5099) & SG_RECORD_ST_UPDATE_DUE));
	ck_assert(sg_record_status(&dev, 5100) & SG_RECORD_ST_UPDATE_DUE);
	ck_assert_int_eq(sg_record_key_update(&dev, 5100), 0);
	ck_assert_uint_eq(sg_record_status(&dev, 5100), SG_RECORD_ST_UNCONFIRMED);
	ck_assert_uint_eq(sg_record_deadline(&dev), 10100);
	cfg_dev.update_after_ms = 0;
	start(100);
	ck_assert_uint_eq(sg_record_deadline(&dev), UINT64_MAX);
}
END_TEST

/* K2 at this layer: random loss, duplication, reordering and key updates
 * in both directions with a fixed seed: nothing delivered twice, nothing
 * altered, phases only move forward. */
static uint32_t soak_state;
static uint32_t soak_rnd(void)
{
	soak_state ^= soak_state << 13;
	soak_state ^= soak_state >> 17;
	soak_state ^= soak_state << 5;
	return soak_state;
}

START_TEST(soak_lossy_wire_with_key_updates)
{
	enum { N = 20000, Q = 8 };
	static unsigned char got[N];
	struct rec q[Q];
	size_t qn = 0;
	unsigned i, delivered = 0;
	uint64_t now = 0, last_phase = 0;

	soak_state = 0xC0FFEEu;
	printf("soak seed 0x%x\n", soak_state);
	configure(8, true);
	cfg_gw.max_age_ms = cfg_dev.max_age_ms = 60000;
	start(0);
	memset(got, 0, sizeof(got));
	for (i = 0; i < N; i++) {
		struct rec x = seal_n(&dev, i, now);
		uint32_t d = soak_rnd() % 100;

		if (d < 10) {
			/* lost */
		} else if (d < 20 && qn < Q) {
			q[qn++] = x; /* delayed */
		} else {
			unsigned copies = d < 25 ? 2 : 1, c;

			for (c = 0; c < copies; c++) {
				unsigned char out[BUF];
				enum sg_record_kind k;
				size_t olen;

				if (open_r(&gw, &x, now + 5, &k, out, &olen) == 0) {
					ck_assert_uint_eq(got[i], 0);
					got[i] = 1;
					delivered++;
				}
			}
		}
		if (qn > 0 && soak_rnd() % 3 == 0) { /* release a delayed one */
			size_t j = soak_rnd() % qn;
			unsigned char out[BUF];
			enum sg_record_kind k;
			size_t olen;

			if (open_r(&gw, &q[j], now + 5, &k, out, &olen) == 0) {
				unsigned n = ((unsigned)out[0] << 24) | ((unsigned)out[1] << 16) |
					     ((unsigned)out[2] << 8) | out[3];

				ck_assert_uint_lt(n, N);
				ck_assert_uint_eq(got[n], 0);
				got[n] = 1;
				delivered++;
			}
			q[j] = q[--qn];
		}
		if (soak_rnd() % 500 == 0) /* refused (EAGAIN) while unconfirmed */
			(void)sg_record_key_update(&dev, now);
		if ((sg_record_status(&gw, now) & SG_RECORD_ST_ECHO_DUE) || i % 16 == 0) {
			struct rec p = seal_k(&gw, SG_RECORD_PING, NULL, 0, now + 5);
			unsigned char out[BUF];
			enum sg_record_kind k;
			size_t olen;

			if (soak_rnd() % 4) /* the echo itself may be lost */
				(void)open_r(&dev, &p, now + 6, &k, out, &olen);
		}
		/* time only moves forward on either side */
		ck_assert(!(sg_record_status(&gw, now + 6) & SG_RECORD_ST_CLOCK_SUSPECT));
		ck_assert(!(sg_record_status(&dev, now + 6) & SG_RECORD_ST_CLOCK_SUSPECT));
		ck_assert_uint_ge(gw.rx.phase, last_phase);
		last_phase = gw.rx.phase;
		now += 10;
	}
	ck_assert_uint_gt(gw.rx.phase, 5);
	ck_assert_uint_gt(delivered, N * 8 / 10);
	ck_assert_uint_eq(gw.stats.delivered, delivered);
	ck_assert_uint_eq(gw.stats.bad_tag, 0);
	printf("soak: %u of %u delivered, %u replays, %u wrong phase, %u too old, phase %llu\n",
	       delivered, N, gw.stats.replay, gw.stats.wrong_phase, gw.stats.too_old,
	       (unsigned long long)gw.rx.phase);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("record");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, state_size_is_small);
	tcase_add_test(tc, overhead_within_budget);
	tcase_add_test(tc, round_trip_every_kind);
	tcase_add_test(tc, wire_format_matches_spec);
	tcase_add_test(tc, seal_in_place_and_open_in_place);
	tcase_add_test(tc, seal_refuses_bad_arguments_without_using_a_sequence_number);
	tcase_add_test(tc, init_refuses_unsafe_configurations);
	tcase_add_test(tc, A1_A7_exact_replay_rejected);
	tcase_add_test(tc, A2_A4_reordered_delivered_once);
	tcase_add_test(tc, A3_A5_A6_window_edges_and_jumps);
	tcase_add_test(tc, A8_forged_huge_sequence_changes_nothing);
	tcase_add_test(tc, A9_duplicate_everything);
	tcase_add_test(tc, A10_reflection_rejected);
	tcase_add_test(tc, B1_header_bit_flips);
	tcase_add_test(tc, B2_ciphertext_bit_flips);
	tcase_add_test(tc, B3_tag_byte_flips);
	tcase_add_test(tc, B4_truncation);
	tcase_add_test(tc, B5_B6_lengths);
	tcase_add_test(tc, B7_unknown_kind_and_reserved_bits);
	tcase_add_test(tc, B7_authentic_but_invalid_inner_content);
	tcase_add_test(tc, B8_nonce_uniqueness);
	tcase_add_test(tc, B9_relabelled_record_rejected);
	tcase_add_test(tc, C1_C10_grace_period);
	tcase_add_test(tc, C1_no_grace);
	tcase_add_test(tc, C1_two_phases_old_refused_unread);
	tcase_add_test(tc, C2_next_phase_only_with_next_key);
	tcase_add_test(tc, C3_phase_jump_of_two_rejected);
	tcase_add_test(tc, C4_key_update_idempotent);
	tcase_add_test(tc, C5_key_update_lost);
	tcase_add_test(tc, C6_simultaneous_updates);
	tcase_add_test(tc, C6_stale_echo_does_not_confirm);
	tcase_add_test(tc, C7_sequence_limit);
	tcase_add_test(tc, C8_reconstruction);
	tcase_add_test(tc, C8_survives_2_15_consecutive_losses);
	tcase_add_test(tc, C8_exact_bound);
	tcase_add_test(tc, C9_failed_decryption_limit_and_recovery);
	tcase_add_test(tc, D1_withheld_record_is_stale);
	tcase_add_test(tc, D2_boundaries);
	tcase_add_test(tc, D_drift_tracking_over_hours);
	tcase_add_test(tc, D3_clock_steps);
	tcase_add_test(tc, status_and_deadline);
	tcase_add_test(tc, soak_lossy_wire_with_key_updates);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
