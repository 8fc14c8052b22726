/*
 * Unit tests of X.509 validation and identity (serguard/cert.h), one test
 * per certificate case of the attack catalogue (attacks.md, section F;
 * the case ID is in the test name).
 *
 * The certificates are the committed test PKI (tests/pki/fixtures/, read
 * at run time from $top_srcdir). Expected identities are taken from the
 * fixture table (names, SANs, fixed dates) or computed here from the
 * certificate's own DER with a small independent DER walker, never
 * pasted as bytes: regenerating the PKI must not break these tests.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serguard/cert.h"
#include "serguard/crypto.h"

#define T2030 INT64_C(1893456000)      /* 2030-01-01 00:00:00Z */
#define GOOD_FROM INT64_C(1735689600)  /* 2025-01-01 00:00:00Z */
#define GOOD_TO INT64_C(2366841600)    /* 2045-01-01 00:00:00Z */
#define FUTURE_TO INT64_C(2524608000)  /* 2050-01-01 00:00:00Z */
#define EXPIRED_FROM INT64_C(1577836800) /* 2020-01-01 00:00:00Z */
#define EXPIRED_TO INT64_C(1609459200)   /* 2021-01-01 00:00:00Z */

struct blob {
	unsigned char b[2048];
	size_t n;
};

static void load(const char *name, struct blob *out)
{
	const char *top = getenv("top_srcdir");
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/pki/fixtures/%s", top ? top : "..", name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s (is top_srcdir set?)", path);
	out->n = fread(out->b, 1, sizeof(out->b), f);
	ck_assert(feof(f));
	fclose(f);
	ck_assert_uint_gt(out->n, 0);
}

static void load_crt(const char *name, struct blob *out)
{
	char file[128];

	snprintf(file, sizeof(file), "%s.crt.der", name);
	load(file, out);
}

/* ---- an independent DER walker for expected values --------------------- */

struct tlv {
	size_t off, hdr, len; /* TLV at off: header hdr bytes, content len */
};

static struct tlv der_at(const struct blob *d, size_t off)
{
	struct tlv t = { off, 2, 0 };
	size_t i, k;

	ck_assert_uint_lt(off + 1, d->n);
	if (d->b[off + 1] < 0x80) {
		t.len = d->b[off + 1];
	} else {
		k = d->b[off + 1] & 0x7Fu;
		ck_assert(k >= 1 && k <= 2);
		for (i = 0; i < k; i++)
			t.len = (t.len << 8) | d->b[off + 2 + i];
		t.hdr += k;
	}
	ck_assert_uint_le(off + t.hdr + t.len, d->n);
	return t;
}

static size_t der_end(struct tlv t)
{
	return t.off + t.hdr + t.len;
}

/* The TBS fields of a certificate. */
struct fields {
	struct tlv tbs, serial, issuer, subject, spki, sig;
};

static struct fields fields_of(const struct blob *d)
{
	struct fields f;
	struct tlv cert = der_at(d, 0), t, sigalg;

	f.tbs = der_at(d, cert.hdr);
	t = der_at(d, f.tbs.off + f.tbs.hdr);
	ck_assert_uint_eq(d->b[t.off], 0xA0); /* [0] version */
	f.serial = der_at(d, der_end(t));
	ck_assert_uint_eq(d->b[f.serial.off], 0x02);
	t = der_at(d, der_end(f.serial)); /* signature algorithm */
	f.issuer = der_at(d, der_end(t));
	t = der_at(d, der_end(f.issuer)); /* validity */
	f.subject = der_at(d, der_end(t));
	f.spki = der_at(d, der_end(f.subject));
	sigalg = der_at(d, der_end(f.tbs));
	f.sig = der_at(d, der_end(sigalg));
	ck_assert_uint_eq(d->b[f.sig.off], 0x03);
	return f;
}

static void sha(const unsigned char *p, size_t n, unsigned char out[32])
{
	ck_assert_int_eq(sg_sha256(p, n, out), 0);
}

/* ---- store and policy -------------------------------------------------- */

static struct sg_cert_store store;
static struct sg_cert_policy pol;

static void add_ca(const char *name)
{
	struct blob c;

	load_crt(name, &c);
	ck_assert_int_eq(sg_cert_store_add_ca(&store, c.b, c.n), 0);
}

static void add_crl(void)
{
	struct blob c;

	load("ca.crl.der", &c);
	ck_assert_int_eq(sg_cert_store_add_crl(&store, c.b, c.n), 0);
	ck_assert(store.has_crl);
}

static void setup(void)
{
	ck_assert_int_eq(sg_cert_store_init(&store), 0);
	pol.now = T2030;
	pol.notime = SG_NOTIME_REJECT;
	pol.role = SG_ROLE_ANY;
	pol.usage = SG_USAGE_SIGN;
}

static void setup_ca(void)
{
	setup();
	add_ca("ca");
}

static void teardown(void)
{
	sg_cert_store_free(&store);
	ck_assert_ptr_null(store.backend);
}

/* Deterministic bytes for the signing RNG (it only blinds). */
static int test_rng(void *ctx, unsigned char *buf, size_t len)
{
	uint64_t *st = ctx;
	size_t i;

	for (i = 0; i < len; i++) {
		*st = *st * 6364136223846793005ULL + 1442695040888963407ULL;
		buf[i] = (unsigned char)(*st >> 56);
	}
	return 0;
}

static int all_zero(const void *p, size_t n)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (c[i] != 0)
			return 0;
	return 1;
}

/* Verify a fixture; on failure the output must be wiped. */
static int verify_blob(const struct blob *c, struct sg_peer_cert *out)
{
	int r;

	memset(out, 0xA5, sizeof(*out));
	r = sg_cert_verify(&store, c->b, c->n, &pol, out);
	if (r != 0)
		ck_assert_msg(all_zero(out, sizeof(*out)), "output not wiped after %s",
			      sg_errname(r));
	return r;
}

static int verify(const char *name)
{
	struct blob c;
	struct sg_peer_cert out;

	load_crt(name, &c);
	return verify_blob(&c, &out);
}

#define ck_assert_sg(got, want)                                                \
	do {                                                                   \
		int got_ = (got), want_ = (want);                              \
		ck_assert_msg(got_ == want_, "%s: got %s, expected %s", #got,  \
			      sg_errname(got_), sg_errname(want_));            \
	} while (0)

/* ---- the good certificates and their identities ----------------------- */

/* Expected identity of a fixture, from its own DER and the fixture table. */
static void check_identity(const char *name, const struct sg_peer_cert *p, const char *cn,
			   const char *uri, int64_t nb, int64_t na)
{
	struct blob c;
	struct fields f;
	unsigned char h[32];
	const unsigned char *ser;
	size_t ser_len, bits;

	load_crt(name, &c);
	f = fields_of(&c);
	ck_assert_str_eq(p->id.subject_cn, cn);
	ck_assert_str_eq(p->id.san_uri, uri);
	ck_assert_str_eq(p->id.san_dns, "");
	ck_assert(!p->id.truncated);
	ck_assert_int_eq(p->id.not_before, nb);
	ck_assert_int_eq(p->id.not_after, na);

	ser = c.b + f.serial.off + f.serial.hdr;
	ser_len = f.serial.len;
	if (ser_len > 1 && ser[0] == 0) {
		ser++;
		ser_len--;
	}
	ck_assert_uint_eq(p->id.serial_len, ser_len);
	ck_assert_mem_eq(p->id.serial, ser, ser_len);

	sha(c.b + f.issuer.off, f.issuer.hdr + f.issuer.len, h);
	ck_assert_mem_eq(p->id.issuer_hash, h, 32);
	sha(c.b + f.spki.off, f.spki.hdr + f.spki.len, h);
	ck_assert_mem_eq(p->id.spki_hash, h, 32);

	/* The SPKI ends with the BIT STRING 00 04 || x || y. */
	bits = der_end(f.spki);
	ck_assert_uint_eq(c.b[bits - 65], 0x04);
	ck_assert_mem_eq(p->pub_x, c.b + bits - 64, 32);
	ck_assert_mem_eq(p->pub_y, c.b + bits - 32, 32);
}

START_TEST(valid_gateway_and_devices)
{
	struct blob c;
	struct sg_peer_cert p;
	static const char *const dev[] = { "dev-a", "dev-b", "dev-c" };
	static const char *const uri[] = { "urn:serguard:dev:a", "urn:serguard:dev:b",
					   "urn:serguard:dev:c" };
	size_t i;

	pol.role = SG_ROLE_GATEWAY;
	load_crt("gw", &c);
	ck_assert_sg(verify_blob(&c, &p), 0);
	check_identity("gw", &p, "gateway", "", GOOD_FROM, GOOD_TO);

	pol.role = SG_ROLE_DEVICE;
	for (i = 0; i < 3; i++) {
		load_crt(dev[i], &c);
		ck_assert_sg(verify_blob(&c, &p), 0);
		check_identity(dev[i], &p, dev[i], uri[i], GOOD_FROM, GOOD_TO);
	}
}
END_TEST

START_TEST(identity_issuer_is_the_ca_subject)
{
	struct blob c, ca;
	struct sg_peer_cert p, q;
	struct fields f;
	unsigned char h[32];

	load_crt("dev-a", &c);
	ck_assert_sg(verify_blob(&c, &p), 0);
	load_crt("ca", &ca);
	f = fields_of(&ca);
	sha(ca.b + f.subject.off, f.subject.hdr + f.subject.len, h);
	ck_assert_mem_eq(p.id.issuer_hash, h, 32);

	/* sg_cert_parse gives the same identity without validation. */
	ck_assert_sg(sg_cert_parse(c.b, c.n, &q), 0);
	ck_assert_mem_eq(&p, &q, sizeof(p));
	/* and works on certificates that would not validate */
	load_crt("expired", &c);
	ck_assert_sg(sg_cert_parse(c.b, c.n, &q), 0);
	check_identity("expired", &q, "expired", "urn:serguard:dev:expired",
		       EXPIRED_FROM, EXPIRED_TO);
	load_crt("future", &c);
	ck_assert_sg(sg_cert_parse(c.b, c.n, &q), 0);
	check_identity("future", &q, "future", "urn:serguard:dev:future",
		       INT64_C(2208988800), FUTURE_TO);
	ck_assert_sg(sg_cert_parse(ca.b, ca.n, &q), 0);
	ck_assert_str_eq(q.id.subject_cn, "serguard test CA");
}
END_TEST

/* The fixtures' raw private scalars (NAME.key.raw, what the handshake
 * signs with) give exactly the public key that sg_cert_parse() extracts
 * from the certificate, and sign what that key verifies. */
START_TEST(key_raw_matches_certificate)
{
	static const char *const names[] = {
		"ca", "gw", "dev-a", "dev-b", "dev-c", "dev-a-dh", "expired", "future",
		"wrong-ku", "wrong-eku", "no-eku", "revoked", "foreign-ca", "foreign-dev",
		"leaf-as-ca-child", "selfsigned", "inter-ca", "inter-dev"
	};
	struct blob c, k;
	struct sg_peer_cert p;
	unsigned char x[32], y[32], h[32], sig[SG_ES256_SIG_LEN];
	uint64_t seed = 1;
	char file[128];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		load_crt(names[i], &c);
		snprintf(file, sizeof(file), "%s.key.raw", names[i]);
		load(file, &k);
		ck_assert_uint_eq(k.n, 32);
		ck_assert_sg(sg_cert_parse(c.b, c.n, &p), 0);
		ck_assert_sg(sg_p256_public(k.b, x, y), 0);
		ck_assert_mem_eq(x, p.pub_x, 32);
		ck_assert_mem_eq(y, p.pub_y, 32);
		sha(c.b, c.n, h);
		ck_assert_sg(sg_es256_sign(k.b, h, sig, test_rng, &seed), 0);
		ck_assert_sg(sg_es256_verify(p.pub_x, p.pub_y, h, sig), 0);
		sg_wipe(k.b, sizeof(k.b));
	}
}
END_TEST

/* ---- F1 .. F14 ---------------------------------------------------------- */

START_TEST(F1_chain_to_another_ca)
{
	ck_assert_sg(verify("foreign-dev"), SG_ECERTCHAIN);
	/* The same certificate is fine for a store that trusts its root,
	 * although that root has our root's name. */
	teardown();
	setup();
	add_ca("foreign-ca");
	ck_assert_sg(verify("foreign-dev"), 0);
	ck_assert_sg(verify("dev-a"), SG_ECERTCHAIN);
}
END_TEST

START_TEST(F2_leaf_as_ca_and_selfsigned_leaf)
{
	struct blob c;

	ck_assert_sg(verify("leaf-as-ca-child"), SG_ECERTCHAIN);
	ck_assert_sg(verify("selfsigned"), SG_ECERTCHAIN);
	/* A CA:FALSE certificate cannot enter the store as an anchor. */
	load_crt("dev-a", &c);
	ck_assert_sg(sg_cert_store_add_ca(&store, c.b, c.n), SG_ECERT);
	load_crt("selfsigned", &c);
	ck_assert_sg(sg_cert_store_add_ca(&store, c.b, c.n), SG_ECERT);
	ck_assert_sg(verify("leaf-as-ca-child"), SG_ECERTCHAIN);
	ck_assert_sg(verify("selfsigned"), SG_ECERTCHAIN);
}
END_TEST

START_TEST(F3_expired)
{
	ck_assert_sg(verify("expired"), SG_ECERTEXPIRED);
	/* Validity is inclusive: valid at exactly notAfter, not 1 s later. */
	pol.now = GOOD_TO;
	ck_assert_sg(verify("dev-a"), 0);
	pol.now = GOOD_TO + 1;
	ck_assert_sg(verify("dev-a"), SG_ECERTEXPIRED);
	pol.now = EXPIRED_TO;
	/* At its own notAfter the expired certificate is inside its dates,
	 * but the CA is not yet valid then. */
	ck_assert_sg(verify("expired"), SG_ECERTFUTURE);
}
END_TEST

START_TEST(F4_not_yet_valid)
{
	ck_assert_sg(verify("future"), SG_ECERTFUTURE);
	pol.now = GOOD_FROM - 1;
	ck_assert_sg(verify("dev-a"), SG_ECERTFUTURE);
	pol.now = GOOD_FROM;
	ck_assert_sg(verify("dev-a"), 0);
	pol.now = FUTURE_TO;
	/* the CA has expired by then */
	ck_assert_sg(verify("future"), SG_ECERTEXPIRED);
}
END_TEST

START_TEST(F5_wrong_key_usage)
{
	ck_assert_sg(verify("wrong-ku"), SG_ECERTUSAGE);
	pol.usage = SG_USAGE_DH;
	ck_assert_sg(verify("wrong-ku"), SG_ECERTUSAGE);
	/* keyAgreement: right for static DH, wrong for signatures */
	ck_assert_sg(verify("dev-a-dh"), 0);
	ck_assert_sg(verify("dev-a"), SG_ECERTUSAGE);
	pol.usage = SG_USAGE_SIGN;
	ck_assert_sg(verify("dev-a-dh"), SG_ECERTUSAGE);
}
END_TEST

START_TEST(F5_wrong_extended_key_usage)
{
	pol.role = SG_ROLE_DEVICE;
	ck_assert_sg(verify("wrong-eku"), SG_ECERTUSAGE);
	pol.role = SG_ROLE_ANY;
	ck_assert_sg(verify("wrong-eku"), 0);
}
END_TEST

START_TEST(F6_wrong_curve)
{
	struct blob c;
	struct sg_peer_cert p;

	ck_assert_sg(verify("wrong-curve"), SG_ECERTKEY);
	load_crt("wrong-curve", &c);
	memset(&p, 0xA5, sizeof(p));
	ck_assert_sg(sg_cert_parse(c.b, c.n, &p), SG_ECERTKEY);
	ck_assert(all_zero(&p, sizeof(p)));
	/* nor as a CA */
	ck_assert_sg(sg_cert_store_add_ca(&store, c.b, c.n), SG_ECERT);
}
END_TEST

START_TEST(F9_role_confusion)
{
	pol.role = SG_ROLE_GATEWAY;
	ck_assert_sg(verify("dev-a"), SG_ECERTUSAGE);
	ck_assert_sg(verify("gw"), 0);
	pol.role = SG_ROLE_DEVICE;
	ck_assert_sg(verify("gw"), SG_ECERTUSAGE);
	ck_assert_sg(verify("dev-a"), 0);
	/* A certificate without EKU fits no role: mbedTLS alone would let
	 * it act as both. */
	ck_assert_sg(verify("no-eku"), SG_ECERTUSAGE);
	pol.role = SG_ROLE_GATEWAY;
	ck_assert_sg(verify("no-eku"), SG_ECERTUSAGE);
	pol.role = SG_ROLE_ANY;
	ck_assert_sg(verify("no-eku"), 0);
	pol.role = SG_ROLE_DEVICE;
	/* the static-DH credential is a device credential too */
	pol.usage = SG_USAGE_DH;
	ck_assert_sg(verify("dev-a-dh"), 0);
	pol.role = SG_ROLE_GATEWAY;
	ck_assert_sg(verify("dev-a-dh"), SG_ECERTUSAGE);
}
END_TEST

START_TEST(F10_chain_through_intermediate)
{
	struct blob c;
	struct sg_peer_cert p;

	ck_assert_sg(verify("inter-dev"), SG_ECERTCHAIN);
	add_ca("inter-ca");
	load_crt("inter-dev", &c);
	pol.role = SG_ROLE_DEVICE;
	ck_assert_sg(verify_blob(&c, &p), 0);
	check_identity("inter-dev", &p, "inter-dev", "urn:serguard:dev:inter", GOOD_FROM,
		       GOOD_TO);
	/* direct children of the root still validate */
	ck_assert_sg(verify("dev-a"), 0);
	/* the intermediate's validity counts too */
	pol.now = GOOD_TO + 1;
	ck_assert_sg(verify("inter-dev"), SG_ECERTEXPIRED);

	/* An intermediate is not a trust anchor: without the root, no path. */
	teardown();
	setup();
	add_ca("inter-ca");
	ck_assert_sg(verify("inter-dev"), SG_ECERTCHAIN);
}
END_TEST

START_TEST(F11_truncations)
{
	static const char *const names[] = { "dev-a", "gw", "ca", "inter-ca" };
	struct blob c;
	struct sg_peer_cert p;
	size_t i, n;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		load_crt(names[i], &c);
		for (n = 0; n < c.n; n++) {
			memset(&p, 0xA5, sizeof(p));
			ck_assert_sg(sg_cert_parse(c.b, n, &p), SG_ECERT);
			ck_assert(all_zero(&p, sizeof(p)));
			ck_assert_sg(sg_cert_verify(&store, c.b, n, &pol, &p), SG_ECERT);
			ck_assert(all_zero(&p, sizeof(p)));
		}
		/* trailing garbage */
		c.b[c.n] = 0;
		ck_assert_sg(sg_cert_parse(c.b, c.n + 1, &p), SG_ECERT);
		ck_assert_sg(sg_cert_verify(&store, c.b, c.n + 1, &pol, &p), SG_ECERT);
	}
}
END_TEST

START_TEST(F11_byte_flips)
{
	struct blob c, orig;
	struct sg_peer_cert p;
	static const unsigned char masks[] = { 0x01, 0x80, 0xFF };
	size_t i, m, parsed = 0;
	int r;

	load_crt("dev-a", &orig);
	for (i = 0; i < orig.n; i++) {
		for (m = 0; m < sizeof(masks); m++) {
			c = orig;
			c.b[i] ^= masks[m];
			memset(&p, 0xA5, sizeof(p));
			r = sg_cert_parse(c.b, c.n, &p);
			if (r == 0)
				parsed++;
			else
				ck_assert(all_zero(&p, sizeof(p)));
			/* Every byte is covered by the signature or is the
			 * signature: no flipped certificate validates. */
			r = verify_blob(&c, &p);
			ck_assert_msg(r != 0, "flip %02x at %zu accepted", masks[m], i);
		}
	}
	/* Flips inside values (names, key bits, signature) still parse. */
	ck_assert_uint_gt(parsed, 0);
}
END_TEST

START_TEST(F13_revoked)
{
	ck_assert_sg(verify("revoked"), 0); /* no CRL loaded yet */
	add_crl();
	ck_assert_sg(verify("revoked"), SG_ECERTREVOKED);
	ck_assert_sg(verify("dev-a"), 0);
	/* independent of the clock */
	pol.now = SG_TIME_UNKNOWN;
	pol.notime = SG_NOTIME_SKIP_VALIDITY;
	ck_assert_sg(verify("revoked"), SG_ECERTREVOKED);
}
END_TEST

START_TEST(F13_crl_must_come_from_the_store)
{
	struct blob c;
	size_t n;

	load("ca.crl.der", &c);
	/* before its CA is in the store */
	teardown();
	setup();
	ck_assert_sg(sg_cert_store_add_crl(&store, c.b, c.n), SG_ECERTCHAIN);
	add_ca("foreign-ca"); /* same name, another key */
	ck_assert_sg(sg_cert_store_add_crl(&store, c.b, c.n), SG_ECERTCHAIN);
	ck_assert(!store.has_crl);
	teardown();
	setup_ca();
	/* a flipped signature byte, truncations */
	c.b[c.n - 5] ^= 0x01;
	ck_assert_sg(sg_cert_store_add_crl(&store, c.b, c.n), SG_ECERTCHAIN);
	c.b[c.n - 5] ^= 0x01;
	for (n = 0; n < c.n; n++)
		ck_assert_sg(sg_cert_store_add_crl(&store, c.b, n), SG_ECERT);
	ck_assert(!store.has_crl);
	ck_assert_sg(verify("revoked"), 0);
	ck_assert_sg(sg_cert_store_add_crl(&store, c.b, c.n), 0);
	ck_assert_sg(verify("revoked"), SG_ECERTREVOKED);
}
END_TEST

/* F14: one byte changed in the TBS (subject name), the serial, the
 * signature: each still parses and fails the chain. */
START_TEST(F14_one_byte_changed)
{
	struct blob c, orig;
	struct sg_peer_cert p;
	struct fields f;
	size_t at[3];
	size_t i;

	load_crt("dev-a", &orig);
	f = fields_of(&orig);
	at[0] = der_end(f.subject) - 1;		      /* last byte of the CN value */
	at[1] = der_end(f.serial) - 1;		      /* last byte of the serial */
	at[2] = f.sig.off + f.sig.hdr + 1 + 2 + 2 + 8; /* inside r */
	for (i = 0; i < 3; i++) {
		c = orig;
		c.b[at[i]] ^= 0x01;
		ck_assert_sg(sg_cert_parse(c.b, c.n, &p), 0);
		ck_assert_sg(verify_blob(&c, &p), SG_ECERTCHAIN);
	}
	ck_assert_sg(verify_blob(&orig, &p), 0);
}
END_TEST

START_TEST(time_unknown)
{
	pol.now = SG_TIME_UNKNOWN;
	pol.notime = SG_NOTIME_REJECT;
	ck_assert_sg(verify("dev-a"), SG_ENOTIME);
	ck_assert_sg(verify("expired"), SG_ENOTIME);
	/* the chain is checked before the time */
	ck_assert_sg(verify("foreign-dev"), SG_ECERTCHAIN);
	pol.notime = SG_NOTIME_SKIP_VALIDITY;
	ck_assert_sg(verify("dev-a"), 0);
	ck_assert_sg(verify("expired"), 0);
	ck_assert_sg(verify("future"), 0);
	/* skipping the dates skips nothing else */
	ck_assert_sg(verify("foreign-dev"), SG_ECERTCHAIN);
	ck_assert_sg(verify("wrong-ku"), SG_ECERTUSAGE);
	ck_assert_sg(verify("wrong-curve"), SG_ECERTKEY);
}
END_TEST

START_TEST(api_misuse)
{
	struct blob c;
	struct sg_peer_cert p;
	struct sg_cert_store empty;
	struct sg_cert_policy bad;

	load_crt("dev-a", &c);
	ck_assert_sg(sg_cert_verify(&store, c.b, c.n, &pol, NULL), SG_EINVAL);
	ck_assert_sg(sg_cert_verify(NULL, c.b, c.n, &pol, &p), SG_EINVAL);
	ck_assert_sg(sg_cert_verify(&store, NULL, c.n, &pol, &p), SG_EINVAL);
	ck_assert_sg(sg_cert_verify(&store, c.b, c.n, NULL, &p), SG_EINVAL);
	bad = pol;
	bad.role = (enum sg_cert_role)7;
	ck_assert_sg(sg_cert_verify(&store, c.b, c.n, &bad, &p), SG_EINVAL);
	bad = pol;
	bad.usage = (enum sg_cert_usage)7;
	ck_assert_sg(sg_cert_verify(&store, c.b, c.n, &bad, &p), SG_EINVAL);
	bad = pol;
	bad.notime = (enum sg_notime_policy)7;
	ck_assert_sg(sg_cert_verify(&store, c.b, c.n, &bad, &p), SG_EINVAL);
	ck_assert_sg(sg_cert_parse(NULL, 1, &p), SG_EINVAL);
	ck_assert_sg(sg_cert_parse(c.b, c.n, NULL), SG_EINVAL);
	ck_assert_sg(sg_cert_store_add_ca(NULL, c.b, c.n), SG_EINVAL);
	ck_assert_sg(sg_cert_store_add_crl(&store, NULL, 1), SG_EINVAL);
	ck_assert_sg(sg_cert_store_init(NULL), SG_EINVAL);
	sg_cert_store_free(NULL);

	/* An empty store trusts nothing. */
	ck_assert_sg(sg_cert_store_init(&empty), 0);
	ck_assert_sg(sg_cert_verify(&empty, c.b, c.n, &pol, &p), SG_ECERTCHAIN);
	ck_assert_sg(sg_cert_store_add_ca(&empty, c.b, 10), SG_ECERT);
	sg_cert_store_free(&empty);
	sg_cert_store_free(&empty); /* idempotent */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cert");
	TCase *tc = tcase_create("x509");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup_ca, teardown);
	tcase_add_test(tc, valid_gateway_and_devices);
	tcase_add_test(tc, identity_issuer_is_the_ca_subject);
	tcase_add_test(tc, key_raw_matches_certificate);
	tcase_add_test(tc, F1_chain_to_another_ca);
	tcase_add_test(tc, F2_leaf_as_ca_and_selfsigned_leaf);
	tcase_add_test(tc, F3_expired);
	tcase_add_test(tc, F4_not_yet_valid);
	tcase_add_test(tc, F5_wrong_key_usage);
	tcase_add_test(tc, F5_wrong_extended_key_usage);
	tcase_add_test(tc, F6_wrong_curve);
	tcase_add_test(tc, F9_role_confusion);
	tcase_add_test(tc, F10_chain_through_intermediate);
	tcase_add_test(tc, F11_truncations);
	tcase_add_test(tc, F11_byte_flips);
	tcase_add_test(tc, F13_revoked);
	tcase_add_test(tc, F13_crl_must_come_from_the_store);
	tcase_add_test(tc, F14_one_byte_changed);
	tcase_add_test(tc, time_unknown);
	tcase_add_test(tc, api_misuse);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
