/*
 * EDHOC handshakes between two in-memory engines with real X.509 P-256
 * certificates (the test PKI in tests/pki/fixtures/): method 0 with
 * cipher suite 2, credentials by x5t and by x5chain, the ERR_CODE 3
 * fallback, method 3 with a keyAgreement certificate, and one test per
 * refused case: certificate from another CA, expired, not yet valid,
 * wrong key usage, identity refused by the policy, tampered signature,
 * tampered MAC, wrong suite (and a downgraded SUITES_I), replayed
 * message_1 at a finished responder, message_3 replayed to a new
 * responder.
 *
 * Roles as on an RS485 bus: the gateway is the initiator and requires a
 * device certificate (EKU clientAuth) with the identity expected at that
 * bus address; the device is the responder and requires the gateway.
 * Message sizes are checked against RFC 9528's figures (37 / 115 / 90
 * with x5t and 1-byte connection identifiers; N + 108 and N + 83 with an
 * N-byte certificate sent whole).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serguard/cbor.h"
#include "serguard/cert.h"
#include "serguard/crypto.h"
#include "serguard/edhoc.h"

#define T2030 INT64_C(1893456000) /* 2030-01-01 00:00:00Z */

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

static int test_rng(void *ctx, unsigned char *buf, size_t len)
{
	uint64_t *s = ctx;
	size_t i;

	for (i = 0; i < len; i++) {
		*s ^= *s >> 12;
		*s ^= *s << 25;
		*s ^= *s >> 27;
		buf[i] = (unsigned char)((*s * 2685821657736338717ULL) >> 56);
	}
	return 0;
}

static struct sg_cert_store store;

/* One endpoint: its engine, credential, key, expected peer identity and
 * its cache of known peer certificates (for x5t). */
struct side {
	struct sg_edhoc_config cfg;
	struct sg_edhoc e;
	uint64_t rng;
	struct blob cert, key;
	const char *expect; /* SAN URI (device) or CN (gateway) the policy allows */
	int identity_calls;
	struct sg_peer_cert seen;
	struct blob cache[2];
	size_t ncache;
	unsigned char ccs[200]; /* a raw-key credential built by a test */
};

static int lookup(void *ctx, enum sg_edhoc_idcred kind, const unsigned char *ref,
		  size_t ref_len, const unsigned char **cred, size_t *len)
{
	struct side *s = ctx;
	unsigned char h[32];
	size_t i;

	if (kind != SG_EDHOC_ID_X5T)
		return -1;
	for (i = 0; i < s->ncache; i++) {
		ck_assert_int_eq(sg_sha256(s->cache[i].b, s->cache[i].n, h), 0);
		if (ref_len <= 32 && memcmp(h, ref, ref_len) == 0) {
			*cred = s->cache[i].b;
			*len = s->cache[i].n;
			return 0;
		}
	}
	return -1;
}

/* The identity policy: the gateway knows which device belongs at this
 * address (SAN URI), a device knows its gateway (CN). */
static int identity(void *ctx, const struct sg_peer_cert *peer)
{
	struct side *s = ctx;

	s->identity_calls++;
	s->seen = *peer;
	if (peer->id.truncated)
		return -1;
	if (s->cfg.role == SG_EDHOC_INITIATOR)
		return strcmp(peer->id.san_uri, s->expect) == 0 ? 0 : -1;
	return strcmp(peer->id.subject_cn, s->expect) == 0 ? 0 : -1;
}

static void side_init(struct side *s, enum sg_edhoc_role role, const char *name,
		      const char *expect, enum sg_edhoc_idcred how)
{
	char f[128];

	memset(s, 0, sizeof(*s));
	snprintf(f, sizeof(f), "%s.crt.der", name);
	load(f, &s->cert);
	snprintf(f, sizeof(f), "%s.key.raw", name);
	load(f, &s->key);
	ck_assert_uint_eq(s->key.n, 32);
	s->rng = role == SG_EDHOC_INITIATOR ? 0x1234 : 0x5678;
	s->expect = expect;
	s->cfg.role = role;
	s->cfg.method = SG_EDHOC_METHOD_SIG;
	s->cfg.cred.type = SG_EDHOC_CRED_X509;
	s->cfg.cred.bytes = s->cert.b;
	s->cfg.cred.len = s->cert.n;
	s->cfg.id_cred = how;
	s->cfg.priv = s->key.b;
	s->cfg.store = &store;
	s->cfg.cert_policy.now = T2030;
	s->cfg.cert_policy.notime = SG_NOTIME_REJECT;
	s->cfg.cert_policy.role = role == SG_EDHOC_INITIATOR ? SG_ROLE_DEVICE : SG_ROLE_GATEWAY;
	s->cfg.check_identity = identity;
	s->cfg.identity_ctx = s;
	s->cfg.lookup = lookup;
	s->cfg.lookup_ctx = s;
	s->cfg.rng = test_rng;
	s->cfg.rng_ctx = &s->rng;
	ck_assert_int_eq(sg_edhoc_init(&s->e, &s->cfg), 0);
}

static void side_knows(struct side *s, const struct side *peer)
{
	ck_assert_uint_lt(s->ncache, 2);
	s->cache[s->ncache++] = peer->cert;
}

static void reinit(struct side *s)
{
	s->identity_calls = 0;
	ck_assert_int_eq(sg_edhoc_init(&s->e, &s->cfg), 0);
}

static void setup(void)
{
	struct blob ca;

	load("ca.crt.der", &ca);
	ck_assert_int_eq(sg_cert_store_init(&store), 0);
	ck_assert_int_eq(sg_cert_store_add_ca(&store, ca.b, ca.n), 0);
}

static void teardown(void)
{
	sg_cert_store_free(&store);
}

/* A gateway (initiator) for dev-a and the device (responder), both by x5t
 * and each knowing the other's certificate. */
static void pair(struct side *gw, struct side *dev, const char *dev_name)
{
	side_init(gw, SG_EDHOC_INITIATOR, "gw", "urn:serguard:dev:a", SG_EDHOC_ID_X5T);
	side_init(dev, SG_EDHOC_RESPONDER, dev_name, "gateway", SG_EDHOC_ID_X5T);
	side_knows(gw, dev);
	side_knows(dev, gw);
}

/* ---- running a handshake ------------------------------------------------ */

typedef void (*tamper_fn)(int msg, unsigned char *m, size_t *len);

struct run {
	size_t len[5]; /* message sizes, index 1..4 */
	int rc;	       /* first failure */
	int failed_at; /* 1..4: the message whose processing failed; 0: none */
	unsigned char err[SG_EDHOC_ERROR_MAX];
	size_t err_len;
	unsigned char m3[1024];
	size_t m3_len;
};

/*
 * message_1 .. message_4 over an in-memory wire. On a refusal, the
 * refusing side's error message is delivered to the other side, which
 * must abort. Returns 0 when both are established.
 */
static int run(struct side *i, struct side *r, tamper_fn tamper, bool with_m4, struct run *out)
{
	unsigned char m[1024];
	size_t len;
	struct side *refuser = NULL, *other = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	ck_assert_int_eq(sg_edhoc_write_message_1(&i->e, m, sizeof(m), &len), 0);
	out->len[1] = len;
	if (tamper)
		tamper(1, m, &len);
	if ((rc = sg_edhoc_process_message_1(&r->e, m, len)) != 0) {
		out->failed_at = 1;
		refuser = r;
		other = i;
		goto refused;
	}
	ck_assert_int_eq(sg_edhoc_write_message_2(&r->e, m, sizeof(m), &len), 0);
	out->len[2] = len;
	if (tamper)
		tamper(2, m, &len);
	if ((rc = sg_edhoc_process_message_2(&i->e, m, len)) != 0) {
		out->failed_at = 2;
		refuser = i;
		other = r;
		goto refused;
	}
	ck_assert_int_eq(sg_edhoc_write_message_3(&i->e, m, sizeof(m), &len), 0);
	out->len[3] = len;
	memcpy(out->m3, m, len);
	out->m3_len = len;
	if (tamper)
		tamper(3, m, &len);
	if ((rc = sg_edhoc_process_message_3(&r->e, m, len)) != 0) {
		out->failed_at = 3;
		refuser = r;
		other = i;
		goto refused;
	}
	if (with_m4) {
		ck_assert_int_eq(sg_edhoc_write_message_4(&r->e, m, sizeof(m), &len), 0);
		out->len[4] = len;
		if (tamper)
			tamper(4, m, &len);
		if ((rc = sg_edhoc_process_message_4(&i->e, m, len)) != 0) {
			out->failed_at = 4;
			refuser = i;
			other = r;
			goto refused;
		}
	}
	return 0;
refused:
	out->rc = rc;
	ck_assert_int_eq(sg_edhoc_state(&refuser->e), SG_EDHOC_ABORTED);
	ck_assert(!sg_edhoc_established(&refuser->e));
	ck_assert_int_eq(sg_edhoc_write_error(&refuser->e, out->err, sizeof(out->err),
					      &out->err_len),
			 0);
	if (out->err_len > 0 && out->failed_at != 4) {
		/* the peer takes the error and aborts too */
		ck_assert_int_eq(sg_edhoc_process_error(&other->e, out->err, out->err_len),
				 SG_EPEERERR);
		ck_assert(!sg_edhoc_established(&other->e));
	}
	return rc;
}

static void same_keys(const struct side *a, const struct side *b)
{
	unsigned char k1[32], k2[32];

	ck_assert_int_eq(sg_edhoc_exporter(&a->e, 32768, NULL, 0, k1, 32), 0);
	ck_assert_int_eq(sg_edhoc_exporter(&b->e, 32768, NULL, 0, k2, 32), 0);
	ck_assert_mem_eq(k1, k2, 32);
	ck_assert_int_eq(sg_edhoc_exporter(&a->e, 32769, "x", 1, k1, 32), 0);
	ck_assert(memcmp(k1, k2, 32) != 0); /* another label, another key */
}

/* ---- successful handshakes ---------------------------------------------- */

START_TEST(method0_x5t)
{
	struct side *gw = malloc(sizeof(*gw)), *dev = malloc(sizeof(*dev));
	struct run res;

	pair(gw, dev, "dev-a");
	ck_assert_int_eq(run(gw, dev, NULL, true, &res), 0);
	/* RFC 9528 figure 1: 37 + 115 + 90 = 242 bytes; message_4 9 */
	ck_assert_uint_eq(res.len[1], 37);
	ck_assert_uint_eq(res.len[2], 115);
	ck_assert_uint_eq(res.len[3], 90);
	ck_assert_uint_eq(res.len[1] + res.len[2] + res.len[3], 242);
	ck_assert_uint_eq(res.len[4], 9);
	ck_assert_uint_le(res.len[2], SG_EDHOC_MSG2_MAX(dev->cert.n, 0));
	ck_assert_uint_le(res.len[3], SG_EDHOC_MSG3_MAX(gw->cert.n, 0));
	same_keys(gw, dev);
	ck_assert_int_eq(sg_edhoc_state(&gw->e), SG_EDHOC_ESTABLISHED);
	ck_assert_int_eq(sg_edhoc_state(&dev->e), SG_EDHOC_DONE);
	/* each side checked the other's identity exactly once */
	ck_assert_int_eq(gw->identity_calls, 1);
	ck_assert_int_eq(dev->identity_calls, 1);
	ck_assert_str_eq(gw->seen.id.subject_cn, "dev-a");
	ck_assert_str_eq(dev->seen.id.subject_cn, "gateway");
	/* distinct one-byte connection identifiers */
	{
		size_t n1, n2;
		const unsigned char *ci = sg_edhoc_c_i(&dev->e, &n1);
		const unsigned char *cr = sg_edhoc_c_r(&gw->e, &n2);

		ck_assert_uint_eq(n1, 1);
		ck_assert_uint_eq(n2, 1);
		ck_assert_uint_ne(ci[0], cr[0]);
	}
	free(gw);
	free(dev);
}
END_TEST

START_TEST(method0_x5chain)
{
	struct side *gw = malloc(sizeof(*gw)), *dev = malloc(sizeof(*dev));
	struct run res;

	side_init(gw, SG_EDHOC_INITIATOR, "gw", "urn:serguard:dev:a", SG_EDHOC_ID_X5CHAIN);
	side_init(dev, SG_EDHOC_RESPONDER, "dev-a", "gateway", SG_EDHOC_ID_X5CHAIN);
	/* no caches: the certificates travel in the messages */
	ck_assert_int_eq(run(gw, dev, NULL, false, &res), 0);
	ck_assert_uint_ge(dev->cert.n, 256);
	ck_assert_uint_ge(gw->cert.n, 256);
	ck_assert_uint_eq(res.len[1], 37);
	ck_assert_uint_eq(res.len[2], dev->cert.n + 108);
	ck_assert_uint_eq(res.len[3], gw->cert.n + 83);
	ck_assert_uint_le(res.len[2], SG_EDHOC_MSG2_MAX(dev->cert.n, 0));
	ck_assert_uint_le(res.len[3], SG_EDHOC_MSG3_MAX(gw->cert.n, 0));
	same_keys(gw, dev);
	free(gw);
	free(dev);
}
END_TEST

/* x5t for a responder that does not know the certificate: ERR_CODE 3,
 * then the initiator retries with x5chain. */
START_TEST(unknown_x5t_falls_back_to_x5chain)
{
	struct side *gw = malloc(sizeof(*gw)), *dev = malloc(sizeof(*dev));
	struct run res;

	pair(gw, dev, "dev-a");
	dev->ncache = 0; /* the device has never seen the gateway's certificate */
	ck_assert_int_eq(run(gw, dev, NULL, false, &res), SG_ECREDREF);
	ck_assert_int_eq(res.failed_at, 3);
	ck_assert_uint_eq(res.err_len, 2);
	ck_assert_uint_eq(res.err[0], 0x03);
	ck_assert_uint_eq(res.err[1], 0xf5);
	ck_assert_int_eq(sg_edhoc_peer_error(&gw->e), 3);
	ck_assert_int_eq(sg_edhoc_retry(&gw->e), 0);
	reinit(dev);
	ck_assert_int_eq(run(gw, dev, NULL, false, &res), 0);
	ck_assert_uint_eq(res.len[3], gw->cert.n + 83);
	same_keys(gw, dev);

	/* the other direction: the gateway does not know the device's
	 * certificate; the device sends x5chain in its next session */
	pair(gw, dev, "dev-a");
	gw->ncache = 0;
	ck_assert_int_eq(run(gw, dev, NULL, false, &res), SG_ECREDREF);
	ck_assert_int_eq(res.failed_at, 2);
	ck_assert_uint_eq(res.err[0], 0x03);
	ck_assert_int_eq(sg_edhoc_peer_error(&dev->e), 3);
	reinit(gw);
	reinit(dev);
	ck_assert_int_eq(sg_edhoc_set_id_cred(&dev->e, SG_EDHOC_ID_X5CHAIN), 0);
	ck_assert_int_eq(run(gw, dev, NULL, false, &res), 0);
	ck_assert_uint_eq(res.len[2], dev->cert.n + 108);
	free(gw);
	free(dev);
}
END_TEST

/* A cache that hands back the wrong certificate for a hash is caught. */
static int bad_lookup(void *ctx, enum sg_edhoc_idcred kind, const unsigned char *ref,
		      size_t ref_len, const unsigned char **cred, size_t *len)
{
	struct side *s = ctx;

	(void)kind;
	(void)ref;
	(void)ref_len;
	*cred = s->cache[0].b;
	*len = s->cache[0].n;
	return 0;
}

START_TEST(x5t_cache_mismatch)
{
	struct side *gw = malloc(sizeof(*gw)), *dev = malloc(sizeof(*dev));
	struct side *b = malloc(sizeof(*b));
	struct run res;

	pair(gw, dev, "dev-a");
	side_init(b, SG_EDHOC_RESPONDER, "dev-b", "gateway", SG_EDHOC_ID_X5T);
	gw->ncache = 0;
	side_knows(gw, b); /* gw's "cache" returns dev-b for any hash */
	gw->cfg.lookup = bad_lookup;
	reinit(gw);
	ck_assert_int_eq(run(gw, dev, NULL, false, &res), SG_ECREDREF);
	ck_assert_int_eq(gw->identity_calls, 0);
	free(gw);
	free(dev);
	free(b);
}
END_TEST

/* ---- certificate validation, then identity ------------------------------- */

static void refused_device(const char *dev_name, int want)
{
	struct side *gw = malloc(sizeof(*gw)), *dev = malloc(sizeof(*dev));
	struct run res;

	side_init(gw, SG_EDHOC_INITIATOR, "gw", "urn:serguard:dev:a", SG_EDHOC_ID_X5T);
	side_init(dev, SG_EDHOC_RESPONDER, dev_name, "gateway", SG_EDHOC_ID_X5CHAIN);
	side_knows(dev, gw);
	ck_assert_int_eq(run(gw, dev, NULL, false, &res), want);
	ck_assert_int_eq(res.failed_at, 2);
	/* validation comes before the identity policy */
	ck_assert_int_eq(gw->identity_calls, want == SG_EIDENTITY ? 1 : 0);
	/* ERR_CODE 1 with a diagnostic that names only the class */
	ck_assert_uint_eq(res.err[0], 0x01);
	ck_assert_uint_eq(res.err[1] >> 5, SG_CBOR_TSTR);
	free(gw);
	free(dev);
}

START_TEST(refused_certificate_from_another_ca)
{
	refused_device("foreign-dev", SG_ECERTCHAIN);
}
END_TEST

START_TEST(refused_expired)
{
	refused_device("expired", SG_ECERTEXPIRED);
}
END_TEST

START_TEST(refused_not_yet_valid)
{
	refused_device("future", SG_ECERTFUTURE);
}
END_TEST

START_TEST(refused_wrong_key_usage)
{
	refused_device("wrong-ku", SG_ECERTUSAGE);
}
END_TEST

START_TEST(refused_identity_not_allowed)
{
	/* dev-b's certificate is valid, but not the one expected here */
	refused_device("dev-b", SG_EIDENTITY);
}
END_TEST

START_TEST(refused_wrong_role)
{
	/* a gateway certificate presented by a "device" */
	refused_device("gw", SG_ECERTUSAGE);
}
END_TEST

START_TEST(refused_unknown_time)
{
	struct side *gw = malloc(sizeof(*gw)), *dev = malloc(sizeof(*dev));
	struct run res;

	pair(gw, dev, "dev-a");
	sg_edhoc_set_time(&gw->e, SG_TIME_UNKNOWN);
	ck_assert_int_eq(run(gw, dev, NULL, false, &res), SG_ENOTIME);
	free(gw);
	free(dev);
}
END_TEST

/* The device refuses a gateway that is not the expected one. */
START_TEST(refused_identity_by_device)
{
	struct side *gw = malloc(sizeof(*gw)), *dev = malloc(sizeof(*dev));
	struct run res;

	pair(gw, dev, "dev-a");
	dev->expect = "another gateway";
	ck_assert_int_eq(run(gw, dev, NULL, false, &res), SG_EIDENTITY);
	ck_assert_int_eq(res.failed_at, 3);
	ck_assert_int_eq(dev->identity_calls, 1);
	free(gw);
	free(dev);
}
END_TEST

/* ---- proof of possession -------------------------------------------------- */

static void flip_last_byte_of_2(int msg, unsigned char *m, size_t *len)
{
	if (msg == 2)
		m[*len - 1] ^= 0x01; /* inside Signature_or_MAC_2 (XOR cipher) */
}

START_TEST(refused_tampered_signature_2)
{
	struct side *gw = malloc(sizeof(*gw)), *dev = malloc(sizeof(*dev));
	struct run res;

	pair(gw, dev, "dev-a");
	ck_assert_int_eq(run(gw, dev, flip_last_byte_of_2, false, &res), SG_EAUTH);
	ck_assert_int_eq(res.failed_at, 2);
	ck_assert_int_eq(gw->identity_calls, 1); /* credential fine, signature not */
	free(gw);
	free(dev);
}
END_TEST

/* A certificate presented with a key that is not its own: the signature
 * in message_3 does not verify. */
START_TEST(refused_signature_3_wrong_key)
{
	struct side *gw = malloc(sizeof(*gw)), *dev = malloc(sizeof(*dev));
	struct blob other;
	struct run res;

	pair(gw, dev, "dev-a");
	load("dev-c.key.raw", &other);
	memcpy(gw->key.b, other.b, 32);
	reinit(gw);
	ck_assert_int_eq(run(gw, dev, NULL, false, &res), SG_EAUTH);
	ck_assert_int_eq(res.failed_at, 3);
	free(gw);
	free(dev);
}
END_TEST

/* C_R is inside context_2 (RFC 9528 final): changing it in flight breaks
 * MAC_2 and so the signature. */
static void flip_c_r(int msg, unsigned char *m, size_t *len)
{
	(void)len;
	if (msg == 2)
		m[2 + 32] ^= 0x01; /* first byte of PLAINTEXT_2 = C_R */
}

START_TEST(refused_tampered_mac_2_context)
{
	struct side *gw = malloc(sizeof(*gw)), *dev = malloc(sizeof(*dev));
	struct run res;

	pair(gw, dev, "dev-a");
	ck_assert_int_eq(run(gw, dev, flip_c_r, false, &res), SG_EAUTH);
	ck_assert_int_eq(res.failed_at, 2);
	free(gw);
	free(dev);
}
END_TEST

static void flip_m3(int msg, unsigned char *m, size_t *len)
{
	if (msg == 3)
		m[*len / 2] ^= 0x80;
}

static void flip_m4(int msg, unsigned char *m, size_t *len)
{
	if (msg == 4)
		m[*len - 1] ^= 0x01;
}

START_TEST(refused_tampered_message_3_and_4)
{
	struct side *gw = malloc(sizeof(*gw)), *dev = malloc(sizeof(*dev));
	struct run res;

	pair(gw, dev, "dev-a");
	ck_assert_int_eq(run(gw, dev, flip_m3, false, &res), SG_EAUTH);
	ck_assert_int_eq(res.failed_at, 3);
	ck_assert_int_eq(dev->identity_calls, 0); /* the AEAD tag comes first */
	pair(gw, dev, "dev-a");
	ck_assert_int_eq(run(gw, dev, flip_m4, true, &res), SG_EAUTH);
	ck_assert_int_eq(res.failed_at, 4);
	/* the initiator drops its tentative keys */
	ck_assert(!sg_edhoc_established(&gw->e));
	free(gw);
	free(dev);
}
END_TEST

/* ---- method 3 (static DH) ---------------------------------------------------- */

/* A raw-key credential (CCS with an EC2 P-256 COSE_Key) for a static DH
 * key, built from a scalar. */
static void make_ccs(struct side *s, const unsigned char priv[32], const char *sub,
		     unsigned char kid)
{
	unsigned char x[32], y[32];
	struct sg_cbor_enc e;

	ck_assert_int_eq(sg_p256_public(priv, x, y), 0);
	sg_cbor_enc_init(&e, s->ccs, sizeof(s->ccs));
	sg_cbor_put_map(&e, 2);
	sg_cbor_put_uint(&e, 2);
	sg_cbor_put_tstr(&e, sub, strlen(sub));
	sg_cbor_put_uint(&e, 8);
	sg_cbor_put_map(&e, 1);
	sg_cbor_put_uint(&e, 1);
	sg_cbor_put_map(&e, 5);
	sg_cbor_put_uint(&e, 1);
	sg_cbor_put_uint(&e, 2);
	sg_cbor_put_uint(&e, 2);
	sg_cbor_put_bstr(&e, &kid, 1);
	sg_cbor_put_int(&e, -1);
	sg_cbor_put_uint(&e, 1);
	sg_cbor_put_int(&e, -2);
	sg_cbor_put_bstr(&e, x, 32);
	sg_cbor_put_int(&e, -3);
	sg_cbor_put_bstr(&e, y, 32);
	ck_assert_int_eq(sg_cbor_enc_finish(&e, &s->cfg.cred.len), 0);
	s->cfg.cred.type = SG_EDHOC_CRED_CCS;
	s->cfg.cred.bytes = s->ccs;
	s->cfg.cred.kid_len = 1; /* the caller points cred.kid at kid */
}

static unsigned char gw_kid = 0x05;

static int ccs_lookup(void *ctx, enum sg_edhoc_idcred kind, const unsigned char *ref,
		      size_t ref_len, const unsigned char **cred, size_t *len)
{
	const struct side *peer = ctx;

	if (kind != SG_EDHOC_ID_KID || ref_len != 1 || ref[0] != gw_kid)
		return -1;
	*cred = peer->ccs;
	*len = peer->cfg.cred.len;
	return 0;
}

static int ccs_identity(void *ctx, const struct sg_peer_cert *peer)
{
	struct side *s = ctx;

	s->identity_calls++;
	return strcmp(peer->id.subject_cn, "gateway") == 0 ? 0 : -1;
}

/* Gateway with a static-DH raw key by kid, device with its keyAgreement
 * certificate dev-a-dh, method 3: the smallest handshake. */
static void method3_pair(struct side *gw, struct side *dev)
{
	static const unsigned char gw_static[32] = {
		0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
		0xcc, 0xdd, 0xee, 0xf0, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
		0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11};

	side_init(gw, SG_EDHOC_INITIATOR, "gw", "urn:serguard:dev:a", SG_EDHOC_ID_X5T);
	side_init(dev, SG_EDHOC_RESPONDER, "dev-a-dh", "gateway", SG_EDHOC_ID_X5T);
	memcpy(gw->key.b, gw_static, 32);
	make_ccs(gw, gw->key.b, "gateway", gw_kid);
	gw->cfg.cred.kid = &gw_kid;
	gw->cfg.id_cred = SG_EDHOC_ID_KID;
	gw->cfg.method = SG_EDHOC_METHOD_STATIC_DH;
	side_knows(gw, dev);
	dev->cfg.methods = SG_EDHOC_METHOD_BIT(SG_EDHOC_METHOD_STATIC_DH);
	dev->cfg.lookup = ccs_lookup;
	dev->cfg.lookup_ctx = gw;
	dev->cfg.check_identity = ccs_identity;
	reinit(gw);
	reinit(dev);
}

START_TEST(method3_static_dh)
{
	struct side *gw = malloc(sizeof(*gw)), *dev = malloc(sizeof(*dev));
	struct run res;

	method3_pair(gw, dev);
	ck_assert_int_eq(run(gw, dev, NULL, true, &res), 0);
	same_keys(gw, dev);
	/* 37 + (2 + 32 + 1 + 14 + 9) + (1 + 1 + 9 + 8): x5t and kid, 8-byte MACs */
	ck_assert_uint_eq(res.len[1], 37);
	ck_assert_uint_eq(res.len[2], 58);
	ck_assert_uint_eq(res.len[3], 19);
	free(gw);
	free(dev);
}
END_TEST

static void flip_mac_2(int msg, unsigned char *m, size_t *len)
{
	if (msg == 2)
		m[*len - 1] ^= 0x01; /* the last byte of MAC_2 */
}

START_TEST(refused_tampered_mac_2)
{
	struct side *gw = malloc(sizeof(*gw)), *dev = malloc(sizeof(*dev));
	struct run res;

	method3_pair(gw, dev);
	ck_assert_int_eq(run(gw, dev, flip_mac_2, false, &res), SG_EAUTH);
	ck_assert_int_eq(res.failed_at, 2);
	free(gw);
	free(dev);
}
END_TEST

/* Method 3 is off by default, and a signature certificate cannot be
 * used for static DH: no downgrade from signatures. */
START_TEST(method3_not_a_downgrade)
{
	struct side *gw = malloc(sizeof(*gw)), *dev = malloc(sizeof(*dev));
	struct run res;

	method3_pair(gw, dev);
	dev->cfg.methods = 0; /* the default: method 0 only */
	reinit(dev);
	ck_assert_int_eq(run(gw, dev, NULL, false, &res), SG_EMETHOD);
	ck_assert_int_eq(res.failed_at, 1);
	ck_assert_uint_eq(res.err[0], 0x01);

	/* device dev-a (digitalSignature only) offered for static DH */
	side_init(dev, SG_EDHOC_RESPONDER, "dev-a", "gateway", SG_EDHOC_ID_X5CHAIN);
	dev->cfg.methods = SG_EDHOC_METHOD_BIT(SG_EDHOC_METHOD_STATIC_DH);
	dev->cfg.lookup = ccs_lookup;
	dev->cfg.lookup_ctx = gw;
	dev->cfg.check_identity = ccs_identity;
	reinit(dev);
	reinit(gw);
	ck_assert_int_eq(run(gw, dev, NULL, false, &res), SG_ECERTUSAGE);
	ck_assert_int_eq(res.failed_at, 2);
	free(gw);
	free(dev);
}
END_TEST

/* ---- negotiation --------------------------------------------------------- */

START_TEST(refused_wrong_suite)
{
	static const uint8_t s3[] = {3}, s32[] = {3, 2};
	struct side *gw = malloc(sizeof(*gw)), *dev = malloc(sizeof(*dev));
	struct run res;

	pair(gw, dev, "dev-a");
	memcpy(dev->cfg.suites, s3, 1);
	dev->cfg.n_suites = 1;
	reinit(dev);
	ck_assert_int_eq(run(gw, dev, NULL, false, &res), SG_ESUITE);
	ck_assert_int_eq(res.failed_at, 1);
	ck_assert_uint_eq(res.err_len, 2);
	ck_assert_uint_eq(res.err[0], 0x02);
	ck_assert_uint_eq(res.err[1], 0x03);
	ck_assert_int_eq(sg_edhoc_retry(&gw->e), SG_ESUITE); /* gw runs 2 only */

	/* a gateway that runs 3 as well retries and succeeds with suite 3 */
	memcpy(gw->cfg.suites, s32 + 1, 1); /* {2} first ... */
	gw->cfg.suites[1] = 3;		     /* ... then 3 */
	gw->cfg.n_suites = 2;
	reinit(gw);
	reinit(dev);
	ck_assert_int_eq(run(gw, dev, NULL, false, &res), SG_ESUITE);
	ck_assert_int_eq(sg_edhoc_retry(&gw->e), 0);
	reinit(dev);
	ck_assert_int_eq(run(gw, dev, NULL, true, &res), 0);
	ck_assert_int_eq(sg_edhoc_suite(&gw->e), 3);
	ck_assert_uint_eq(res.len[1], 39); /* SUITES_I = [2, 3] */
	ck_assert_uint_eq(res.len[3], 98); /* 16-byte tag */
	ck_assert_uint_eq(res.len[4], 17);
	same_keys(gw, dev);
	free(gw);
	free(dev);
}
END_TEST

/* An attacker rewrites SUITES_I = 3 into 2 (which the responder also
 * runs): the transcript differs and the initiator refuses message_2
 * (RFC 9528 6.3.2). */
static void downgrade_suite(int msg, unsigned char *m, size_t *len)
{
	(void)len;
	if (msg == 1) {
		ck_assert_uint_eq(m[1], 0x03);
		m[1] = 0x02;
	}
}

START_TEST(refused_suite_downgrade)
{
	static const uint8_t s32[] = {3, 2};
	struct side *gw = malloc(sizeof(*gw)), *dev = malloc(sizeof(*dev));
	struct run res;

	pair(gw, dev, "dev-a");
	memcpy(gw->cfg.suites, s32, 2);
	gw->cfg.n_suites = 2;
	memcpy(dev->cfg.suites, s32 + 1, 1); /* the device accepts 2 ... */
	dev->cfg.suites[1] = 3;		      /* ... and 3 */
	dev->cfg.n_suites = 2;
	reinit(gw);
	reinit(dev);
	/* TH_2 covers message_1, so KEYSTREAM_2 differs: PLAINTEXT_2 decrypts
	 * to garbage (a decode error) or, if it happened to parse, MAC_2 and
	 * the signature fail. Either way message_2 is refused. */
	run(gw, dev, downgrade_suite, false, &res);
	ck_assert_int_eq(res.failed_at, 2);
	ck_assert_msg(res.rc == SG_ECBOR || res.rc == SG_EDECODE || res.rc == SG_ELENGTH ||
			      res.rc == SG_ECREDTYPE || res.rc == SG_ECREDREF || res.rc == SG_EAUTH,
		      "%s", sg_errname(res.rc));
	ck_assert(!sg_edhoc_established(&gw->e));
	free(gw);
	free(dev);
}
END_TEST

/* ---- replays ------------------------------------------------------------------ */

START_TEST(refused_replayed_message_1_at_finished_responder)
{
	struct side *gw = malloc(sizeof(*gw)), *dev = malloc(sizeof(*dev));
	unsigned char m1[128], m[1024], k1[16], k2[16];
	size_t m1_len, len;

	pair(gw, dev, "dev-a");
	ck_assert_int_eq(sg_edhoc_write_message_1(&gw->e, m1, sizeof(m1), &m1_len), 0);
	memcpy(m, m1, m1_len);
	ck_assert_int_eq(sg_edhoc_process_message_1(&dev->e, m, m1_len), 0);
	ck_assert_int_eq(sg_edhoc_write_message_2(&dev->e, m, sizeof(m), &len), 0);
	ck_assert_int_eq(sg_edhoc_process_message_2(&gw->e, m, len), 0);
	ck_assert_int_eq(sg_edhoc_write_message_3(&gw->e, m, sizeof(m), &len), 0);
	ck_assert_int_eq(sg_edhoc_process_message_3(&dev->e, m, len), 0);
	ck_assert_int_eq(sg_edhoc_exporter(&dev->e, 40000, NULL, 0, k1, 16), 0);

	memcpy(m, m1, m1_len);
	ck_assert_int_eq(sg_edhoc_process_message_1(&dev->e, m, m1_len), SG_EUNEXPECTED);
	ck_assert_int_eq(sg_edhoc_state(&dev->e), SG_EDHOC_ESTABLISHED);
	ck_assert_int_eq(sg_edhoc_write_error(&dev->e, m, sizeof(m), &len), 0);
	ck_assert_uint_eq(len, 0); /* nothing to send, nothing disturbed */
	ck_assert_int_eq(sg_edhoc_exporter(&dev->e, 40000, NULL, 0, k2, 16), 0);
	ck_assert_mem_eq(k1, k2, 16);
	free(gw);
	free(dev);
}
END_TEST

START_TEST(refused_message_3_replayed_to_new_responder)
{
	struct side *gw = malloc(sizeof(*gw)), *dev = malloc(sizeof(*dev));
	struct run res;
	unsigned char m[1024], old3[1024];
	size_t len, old3_len;

	pair(gw, dev, "dev-a");
	ck_assert_int_eq(run(gw, dev, NULL, false, &res), 0);
	memcpy(old3, res.m3, res.m3_len);
	old3_len = res.m3_len;

	/* a fresh responder waiting for message_1 */
	reinit(dev);
	memcpy(m, old3, old3_len);
	ck_assert_int_eq(sg_edhoc_process_message_3(&dev->e, m, old3_len), SG_EUNEXPECTED);
	ck_assert_int_eq(sg_edhoc_state(&dev->e), SG_EDHOC_WAIT_M1);

	/* a fresh responder in the middle of a new session */
	reinit(gw);
	ck_assert_int_eq(sg_edhoc_write_message_1(&gw->e, m, sizeof(m), &len), 0);
	ck_assert_int_eq(sg_edhoc_process_message_1(&dev->e, m, len), 0);
	ck_assert_int_eq(sg_edhoc_write_message_2(&dev->e, m, sizeof(m), &len), 0);
	memcpy(m, old3, old3_len);
	ck_assert_int_eq(sg_edhoc_process_message_3(&dev->e, m, old3_len), SG_EAUTH);
	ck_assert(!sg_edhoc_established(&dev->e));
	ck_assert_int_eq(dev->identity_calls, 0);
	free(gw);
	free(dev);
}
END_TEST

/* Retransmission: the stored bytes are resent; the receiver processes a
 * message once and drops the duplicate. */
START_TEST(retransmission_is_the_stored_bytes)
{
	struct side *gw = malloc(sizeof(*gw)), *dev = malloc(sizeof(*dev));
	unsigned char m[1024], m2[1024], m3[1024];
	size_t len, m2_len, m3_len;

	pair(gw, dev, "dev-a");
	ck_assert_int_eq(sg_edhoc_write_message_1(&gw->e, m, sizeof(m), &len), 0);
	ck_assert_int_eq(sg_edhoc_process_message_1(&dev->e, m, len), 0);
	ck_assert_int_eq(sg_edhoc_write_message_2(&dev->e, m2, sizeof(m2), &m2_len), 0);
	/* method 0: the responder's Y is gone once G_XY is computed */
	for (len = 0; len < sizeof(dev->e.eph); len++)
		ck_assert_uint_eq(dev->e.eph[len], 0);
	/* message_2 "lost": the device resends its stored copy */
	memcpy(m, m2, m2_len);
	ck_assert_int_eq(sg_edhoc_process_message_2(&gw->e, m, m2_len), 0);
	memcpy(m, m2, m2_len);
	ck_assert_int_eq(sg_edhoc_process_message_2(&gw->e, m, m2_len), SG_EUNEXPECTED);
	ck_assert_int_eq(sg_edhoc_write_message_3(&gw->e, m3, sizeof(m3), &m3_len), 0);
	ck_assert_int_eq(sg_edhoc_write_message_3(&gw->e, m, sizeof(m), &len), SG_ESTATE);
	memcpy(m, m3, m3_len);
	ck_assert_int_eq(sg_edhoc_process_message_3(&dev->e, m, m3_len), 0);
	memcpy(m, m3, m3_len);
	ck_assert_int_eq(sg_edhoc_process_message_3(&dev->e, m, m3_len), SG_EUNEXPECTED);
	same_keys(gw, dev);
	free(gw);
	free(dev);
}
END_TEST

/* Fresh ephemeral keys: two sessions of the same pair never share G_X. */
START_TEST(fresh_ephemeral_per_message_1)
{
	struct side *gw = malloc(sizeof(*gw)), *dev = malloc(sizeof(*dev));
	unsigned char a[64], b[64];
	size_t la, lb;

	pair(gw, dev, "dev-a");
	ck_assert_int_eq(sg_edhoc_write_message_1(&gw->e, a, sizeof(a), &la), 0);
	reinit(gw);
	ck_assert_int_eq(sg_edhoc_write_message_1(&gw->e, b, sizeof(b), &lb), 0);
	ck_assert_uint_eq(la, lb);
	ck_assert(memcmp(a + 4, b + 4, 32) != 0);
	free(gw);
	free(dev);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("handshake");
	TCase *ok = tcase_create("handshakes");
	TCase *ref = tcase_create("refused");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(ok, setup, teardown);
	tcase_add_checked_fixture(ref, setup, teardown);
	tcase_add_test(ok, method0_x5t);
	tcase_add_test(ok, method0_x5chain);
	tcase_add_test(ok, unknown_x5t_falls_back_to_x5chain);
	tcase_add_test(ok, method3_static_dh);
	tcase_add_test(ok, retransmission_is_the_stored_bytes);
	tcase_add_test(ok, fresh_ephemeral_per_message_1);
	tcase_add_test(ref, x5t_cache_mismatch);
	tcase_add_test(ref, refused_certificate_from_another_ca);
	tcase_add_test(ref, refused_expired);
	tcase_add_test(ref, refused_not_yet_valid);
	tcase_add_test(ref, refused_wrong_key_usage);
	tcase_add_test(ref, refused_identity_not_allowed);
	tcase_add_test(ref, refused_wrong_role);
	tcase_add_test(ref, refused_unknown_time);
	tcase_add_test(ref, refused_identity_by_device);
	tcase_add_test(ref, refused_tampered_signature_2);
	tcase_add_test(ref, refused_signature_3_wrong_key);
	tcase_add_test(ref, refused_tampered_mac_2_context);
	tcase_add_test(ref, refused_tampered_message_3_and_4);
	tcase_add_test(ref, refused_tampered_mac_2);
	tcase_add_test(ref, method3_not_a_downgrade);
	tcase_add_test(ref, refused_wrong_suite);
	tcase_add_test(ref, refused_suite_downgrade);
	tcase_add_test(ref, refused_replayed_message_1_at_finished_responder);
	tcase_add_test(ref, refused_message_3_replayed_to_new_responder);
	suite_add_tcase(s, ok);
	suite_add_tcase(s, ref);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
