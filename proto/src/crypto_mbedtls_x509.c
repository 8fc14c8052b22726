/*
 * The certificate adapter: serguard/cert.h on mbedTLS 2.28's X.509.
 *
 * Implementation notes:
 * - The store's backend is one heap block holding three mbedTLS lists:
 *   trust anchors (self-signed CA certificates), intermediates (CA
 *   certificates that are not self-signed) and CRLs. Intermediates are
 *   NOT anchors: a path must end at a self-signed root of the store, so
 *   adding an intermediate never widens trust by itself. At verify time
 *   the leaf is linked in front of the intermediate list for the
 *   duration of the call (mbedTLS searches untrusted parents in
 *   crt->next) and unlinked before it is freed. mbedTLS only searches
 *   forward, so an intermediate must be added before its own issuer
 *   when the path has two of them.
 * - Time: mbedTLS checks validity against its own clock (or not at all
 *   without MBEDTLS_HAVE_TIME_DATE, as on the microcontrollers). The
 *   verify callback clears its EXPIRED/FUTURE verdicts for every
 *   certificate in the path and sets them again from the caller's
 *   policy->now, with our own calendar arithmetic. Validity is
 *   inclusive at both ends (RFC 5280, 4.1.2.5).
 * - CRLs are a deny list: a CRL is checked once, when it is loaded
 *   (issuer in the store, ECDSA/SHA-256 signature, cRLSign), and its
 *   thisUpdate/nextUpdate are not enforced afterwards, so a device whose
 *   operator forgets to refresh the CRL keeps working and keeps refusing
 *   what was revoked. For the same reason the CRLs are not handed to
 *   mbedtls_x509_crt_verify_with_profile(), which would verify the CRL's
 *   signature again on every call (one more ECDSA verification per
 *   handshake, ~30 M instructions on a Cortex-M4): the verify callback
 *   looks each certificate of the path up with
 *   mbedtls_x509_crt_is_revoked() in the CRLs of its issuer's name.
 *   mbedTLS 2.28 matches revoked serials without looking at the
 *   revocation date.
 * - When a role is required the certificate must carry an extended key
 *   usage extension at all: mbedTLS treats a missing EKU as "any", which
 *   would let one certificate act in both roles (catalogue F9).
 * - mbedTLS's verify flags are mapped in the order of cert.h's steps:
 *   chain, algorithms, time, usage, revocation. Anything left over fails
 *   closed as SG_ECERTCHAIN.
 * - Only this file allocates (mbedTLS's parser, and mbedtls_calloc for
 *   the store backend); the rest of the core never does.
 */
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform.h>
#include <mbedtls/x509_crl.h>
#include <mbedtls/x509_crt.h>

#include "serguard/cert.h"
#include "serguard/crypto.h"

struct sg__x509_store {
	mbedtls_x509_crt anchors;
	mbedtls_x509_crt inter;
	mbedtls_x509_crl crl;
	unsigned n_anchors, n_inter, n_crl;
};

/* ECDSA with SHA-256 on secp256r1, and nothing else, anywhere in a path
 * (keys of type ECKEY are what the parser produces for id-ecPublicKey;
 * ECDSA names the signature algorithm). */
static const mbedtls_x509_crt_profile sg__profile = {
	MBEDTLS_X509_ID_FLAG(MBEDTLS_MD_SHA256),
	MBEDTLS_X509_ID_FLAG(MBEDTLS_PK_ECKEY) | MBEDTLS_X509_ID_FLAG(MBEDTLS_PK_ECDSA),
	MBEDTLS_X509_ID_FLAG(MBEDTLS_ECP_DP_SECP256R1),
	0xFFFFFFFFu /* no RSA key is long enough */
};

#define SG__TIME_FLAGS (MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE)
#define SG__CRL_TIME_FLAGS (MBEDTLS_X509_BADCRL_EXPIRED | MBEDTLS_X509_BADCRL_FUTURE)
#define SG__CHAIN_FLAGS                                                         \
	(MBEDTLS_X509_BADCERT_NOT_TRUSTED | MBEDTLS_X509_BADCERT_MISSING |      \
	 MBEDTLS_X509_BADCERT_OTHER | MBEDTLS_X509_BADCERT_SKIP_VERIFY |       \
	 MBEDTLS_X509_BADCERT_CN_MISMATCH | MBEDTLS_X509_BADCRL_NOT_TRUSTED)
#define SG__ALG_FLAGS                                                           \
	(MBEDTLS_X509_BADCERT_BAD_MD | MBEDTLS_X509_BADCERT_BAD_PK |           \
	 MBEDTLS_X509_BADCERT_BAD_KEY | MBEDTLS_X509_BADCRL_BAD_MD |           \
	 MBEDTLS_X509_BADCRL_BAD_PK | MBEDTLS_X509_BADCRL_BAD_KEY)
#define SG__USAGE_FLAGS                                                         \
	(MBEDTLS_X509_BADCERT_KEY_USAGE | MBEDTLS_X509_BADCERT_EXT_KEY_USAGE | \
	 MBEDTLS_X509_BADCERT_NS_CERT_TYPE)

/* Days from 1970-01-01 to the given proleptic Gregorian date (valid for
 * every year the DER time types can hold, 0..9999). Eras of 400 years
 * repeat exactly, so the count is split into era and year of era. */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* An mbedtls_x509_time in Unix seconds. Returns 0, or SG_ECERT for a
 * date that is not one (the parser should have refused it already). */
static int x509_time_to_unix(const mbedtls_x509_time *t, int64_t *out)
{
	static const unsigned char mdays[12] = { 31, 29, 31, 30, 31, 30,
						 31, 31, 30, 31, 30, 31 };
	int leap;

	if (t->year < 0 || t->year > 9999 || t->mon < 1 || t->mon > 12 ||
	    t->day < 1 || t->hour < 0 || t->hour > 23 || t->min < 0 ||
	    t->min > 59 || t->sec < 0 || t->sec > 59)
		return SG_ECERT;
	leap = (t->year % 4 == 0 && t->year % 100 != 0) || t->year % 400 == 0;
	if (t->day > mdays[t->mon - 1] || (t->mon == 2 && !leap && t->day > 28))
		return SG_ECERT;
	*out = days_from_civil(t->year, t->mon, t->day) * 86400 +
	       (int64_t)t->hour * 3600 + (int64_t)t->min * 60 + t->sec;
	return 0;
}

struct verify_ctx {
	const struct sg_cert_policy *policy;
	const struct sg__x509_store *store;
};

/* Whether a loaded CRL of crt's issuer lists crt. CRLs were checked
 * against a store CA of that name when they were loaded. */
static int is_revoked(const struct sg__x509_store *b, const mbedtls_x509_crt *crt)
{
	const mbedtls_x509_crl *crl;

	if (b->n_crl == 0)
		return 0;
	for (crl = &b->crl; crl != NULL; crl = crl->next)
		if (crl->issuer_raw.len == crt->issuer_raw.len &&
		    memcmp(crl->issuer_raw.p, crt->issuer_raw.p, crt->issuer_raw.len) == 0 &&
		    mbedtls_x509_crt_is_revoked(crt, crl))
			return 1;
	return 0;
}

/* The verify callback, once per certificate of the path: replaces
 * mbedTLS's clock with policy->now and adds revocation. */
static int verify_cb(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	const struct verify_ctx *v = ctx;
	const struct sg_cert_policy *p = v->policy;
	int64_t from, to;

	(void)depth;
	if (is_revoked(v->store, crt))
		*flags |= MBEDTLS_X509_BADCERT_REVOKED;
	*flags &= ~(uint32_t)(SG__TIME_FLAGS | SG__CRL_TIME_FLAGS);
	if (p->now == SG_TIME_UNKNOWN)
		return 0;
	if (x509_time_to_unix(&crt->valid_from, &from) != 0 ||
	    x509_time_to_unix(&crt->valid_to, &to) != 0) {
		*flags |= MBEDTLS_X509_BADCERT_OTHER;
		return 0;
	}
	if (p->now < from)
		*flags |= MBEDTLS_X509_BADCERT_FUTURE;
	if (p->now > to)
		*flags |= MBEDTLS_X509_BADCERT_EXPIRED;
	return 0;
}

/* Step 1's key check: an EC public key on secp256r1. */
static int check_p256_key(const mbedtls_x509_crt *c)
{
	if (mbedtls_pk_get_type(&c->pk) != MBEDTLS_PK_ECKEY)
		return SG_ECERTKEY;
	if (mbedtls_pk_ec(c->pk)->grp.id != MBEDTLS_ECP_DP_SECP256R1)
		return SG_ECERTKEY;
	return 0;
}

/* Parse one DER certificate into an empty crt: the whole buffer must be
 * exactly one certificate. copy: keep a private copy of the bytes (store
 * entries) or point into der (a leaf checked within one call). */
static int parse_one(mbedtls_x509_crt *c, const unsigned char *der, size_t len, int copy)
{
	int ret;

	ret = copy ? mbedtls_x509_crt_parse_der(c, der, len)
		   : mbedtls_x509_crt_parse_der_nocopy(c, der, len);
	if (ret == MBEDTLS_ERR_X509_ALLOC_FAILED)
		return SG_ECRYPTO;
	if (ret == MBEDTLS_ERR_PK_UNKNOWN_PK_ALG)
		return SG_ECERTKEY;
	if (ret != 0)
		return SG_ECERT;
	if (c->raw.len != len) /* trailing garbage */
		return SG_ECERT;
	return 0;
}

/* Copy a string attribute, NUL-terminated. A value that does not fit, or
 * that holds a NUL byte (which would cut it short for every C consumer),
 * sets *truncated. */
static void copy_str(char *dst, size_t cap, const unsigned char *src, size_t len,
		     bool *truncated)
{
	size_t n = len;

	if (n >= cap) {
		n = cap - 1;
		*truncated = true;
	}
	if (n > 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
	if (memchr(src, 0, len) != NULL)
		*truncated = true;
}

/* Steps 1 and 6 for a parsed certificate: key and identity. */
static int fill_peer(const mbedtls_x509_crt *c, struct sg_peer_cert *out)
{
	const mbedtls_x509_name *n;
	const mbedtls_x509_sequence *s;
	const mbedtls_ecp_keypair *ec;
	const unsigned char *sp;
	size_t sl;
	bool have_dns = false, have_uri = false;
	int ret;

	ret = check_p256_key(c);
	if (ret != 0)
		return ret;
	ec = mbedtls_pk_ec(c->pk);
	if (mbedtls_mpi_write_binary(&ec->Q.X, out->pub_x, sizeof(out->pub_x)) != 0 ||
	    mbedtls_mpi_write_binary(&ec->Q.Y, out->pub_y, sizeof(out->pub_y)) != 0)
		return SG_ECRYPTO;

	for (n = &c->subject; n != NULL; n = n->next) {
		if (n->oid.p != NULL && MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) == 0) {
			copy_str(out->id.subject_cn, sizeof(out->id.subject_cn),
				 n->val.p, n->val.len, &out->id.truncated);
			break;
		}
	}
	for (s = &c->subject_alt_names; s != NULL && s->buf.p != NULL; s = s->next) {
		if (!have_dns && s->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC |
						MBEDTLS_X509_SAN_DNS_NAME)) {
			copy_str(out->id.san_dns, sizeof(out->id.san_dns), s->buf.p,
				 s->buf.len, &out->id.truncated);
			have_dns = true;
		} else if (!have_uri &&
			   s->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC |
					  MBEDTLS_X509_SAN_UNIFORM_RESOURCE_IDENTIFIER)) {
			copy_str(out->id.san_uri, sizeof(out->id.san_uri), s->buf.p,
				 s->buf.len, &out->id.truncated);
			have_uri = true;
		}
	}

	/* The serial as a number: drop the sign octet DER puts in front of a
	 * value whose top bit is set, so a 20-octet serial fits. */
	sp = c->serial.p;
	sl = c->serial.len;
	if (sl > 1 && sp[0] == 0x00) {
		sp++;
		sl--;
	}
	if (sl > sizeof(out->id.serial)) {
		sl = sizeof(out->id.serial);
		out->id.truncated = true;
	}
	memcpy(out->id.serial, sp, sl);
	out->id.serial_len = sl;

	if (sg_sha256(c->issuer_raw.p, c->issuer_raw.len, out->id.issuer_hash) != 0 ||
	    sg_sha256(c->pk_raw.p, c->pk_raw.len, out->id.spki_hash) != 0)
		return SG_ECRYPTO;
	if (x509_time_to_unix(&c->valid_from, &out->id.not_before) != 0 ||
	    x509_time_to_unix(&c->valid_to, &out->id.not_after) != 0)
		return SG_ECERT;
	return 0;
}

int sg_cert_store_init(struct sg_cert_store *s)
{
	struct sg__x509_store *b;

	if (s == NULL)
		return SG_EINVAL;
	s->backend = NULL;
	s->has_crl = false;
	b = mbedtls_calloc(1, sizeof(*b));
	if (b == NULL)
		return SG_ECRYPTO;
	mbedtls_x509_crt_init(&b->anchors);
	mbedtls_x509_crt_init(&b->inter);
	mbedtls_x509_crl_init(&b->crl);
	s->backend = b;
	return 0;
}

void sg_cert_store_free(struct sg_cert_store *s)
{
	struct sg__x509_store *b;

	if (s == NULL || s->backend == NULL)
		return;
	b = s->backend;
	mbedtls_x509_crt_free(&b->anchors);
	mbedtls_x509_crt_free(&b->inter);
	mbedtls_x509_crl_free(&b->crl);
	mbedtls_free(b);
	s->backend = NULL;
	s->has_crl = false;
}

int sg_cert_store_add_ca(struct sg_cert_store *s, const unsigned char *der, size_t len)
{
	struct sg__x509_store *b;
	mbedtls_x509_crt tmp;
	int ret, self;

	if (s == NULL || s->backend == NULL || der == NULL)
		return SG_EINVAL;
	b = s->backend;

	/* Check a private parse first, so that a refused certificate never
	 * lands in the lists (mbedTLS can only append to them). */
	mbedtls_x509_crt_init(&tmp);
	ret = parse_one(&tmp, der, len, 0);
	if (ret == 0 && (check_p256_key(&tmp) != 0 || !tmp.ca_istrue ||
			 mbedtls_x509_crt_check_key_usage(
				 &tmp, MBEDTLS_X509_KU_KEY_CERT_SIGN) != 0))
		ret = SG_ECERT;
	if (ret == SG_ECERTKEY)
		ret = SG_ECERT;
	self = ret == 0 && tmp.subject_raw.len == tmp.issuer_raw.len &&
	       memcmp(tmp.subject_raw.p, tmp.issuer_raw.p, tmp.subject_raw.len) == 0;
	mbedtls_x509_crt_free(&tmp);
	if (ret != 0)
		return ret;

	ret = mbedtls_x509_crt_parse_der(self ? &b->anchors : &b->inter, der, len);
	if (ret != 0)
		return ret == MBEDTLS_ERR_X509_ALLOC_FAILED ? SG_ECRYPTO : SG_ECERT;
	if (self)
		b->n_anchors++;
	else
		b->n_inter++;
	return 0;
}

/* The CA of the store whose subject is name (raw DER), or NULL. */
static const mbedtls_x509_crt *find_ca(const struct sg__x509_store *b,
				       const mbedtls_x509_buf *name)
{
	const mbedtls_x509_crt *lists[2], *c;
	size_t i;

	lists[0] = b->n_anchors > 0 ? &b->anchors : NULL;
	lists[1] = b->n_inter > 0 ? &b->inter : NULL;
	for (i = 0; i < 2; i++)
		for (c = lists[i]; c != NULL; c = c->next)
			if (c->subject_raw.len == name->len &&
			    memcmp(c->subject_raw.p, name->p, name->len) == 0)
				return c;
	return NULL;
}

int sg_cert_store_add_crl(struct sg_cert_store *s, const unsigned char *der, size_t len)
{
	struct sg__x509_store *b;
	mbedtls_x509_crl tmp;
	const mbedtls_x509_crt *ca;
	unsigned char hash[SG_SHA256_LEN];
	int ret;

	if (s == NULL || s->backend == NULL || der == NULL)
		return SG_EINVAL;
	b = s->backend;

	mbedtls_x509_crl_init(&tmp);
	ret = mbedtls_x509_crl_parse_der(&tmp, der, len);
	if (ret != 0) {
		ret = ret == MBEDTLS_ERR_X509_ALLOC_FAILED ? SG_ECRYPTO : SG_ECERT;
	} else if (tmp.raw.len != len) {
		ret = SG_ECERT;
	} else if (tmp.sig_md != MBEDTLS_MD_SHA256 || tmp.sig_pk != MBEDTLS_PK_ECDSA) {
		ret = SG_ECERTKEY;
	} else if ((ca = find_ca(b, &tmp.issuer_raw)) == NULL) {
		ret = SG_ECERTCHAIN;
	} else if (mbedtls_x509_crt_check_key_usage(ca, MBEDTLS_X509_KU_CRL_SIGN) != 0) {
		ret = SG_ECERTUSAGE;
	} else if (sg_sha256(tmp.tbs.p, tmp.tbs.len, hash) != 0) {
		ret = SG_ECRYPTO;
	} else {
		/* mbedtls_pk_verify wants a non-const context but does not
		 * change it. */
		ret = mbedtls_pk_verify((mbedtls_pk_context *)(uintptr_t)&ca->pk,
					MBEDTLS_MD_SHA256, hash, sizeof(hash), tmp.sig.p,
					tmp.sig.len) == 0
			      ? 0
			      : SG_ECERTCHAIN;
	}
	mbedtls_x509_crl_free(&tmp);
	if (ret != 0)
		return ret;

	ret = mbedtls_x509_crl_parse_der(&b->crl, der, len);
	if (ret != 0)
		return ret == MBEDTLS_ERR_X509_ALLOC_FAILED ? SG_ECRYPTO : SG_ECERT;
	b->n_crl++;
	s->has_crl = true;
	return 0;
}

/* mbedTLS's verdict as one code, in the order of cert.h's steps up to
 * step 3; revocation (step 5) is reported by the caller after usage. */
static int map_flags(uint32_t flags, const struct sg_cert_policy *p)
{
	if (flags & SG__CHAIN_FLAGS)
		return SG_ECERTCHAIN;
	if (flags & SG__ALG_FLAGS)
		return SG_ECERTKEY;
	if (p->now == SG_TIME_UNKNOWN && p->notime == SG_NOTIME_REJECT)
		return SG_ENOTIME;
	if (flags & MBEDTLS_X509_BADCERT_EXPIRED)
		return SG_ECERTEXPIRED;
	if (flags & MBEDTLS_X509_BADCERT_FUTURE)
		return SG_ECERTFUTURE;
	if (flags & SG__USAGE_FLAGS)
		return SG_ECERTUSAGE;
	if (flags & ~(uint32_t)MBEDTLS_X509_BADCERT_REVOKED)
		return SG_ECERTCHAIN;
	return 0;
}

/* Step 4 on the leaf. */
static int check_usage(const mbedtls_x509_crt *c, const struct sg_cert_policy *p)
{
	unsigned int ku = p->usage == SG_USAGE_DH ? MBEDTLS_X509_KU_KEY_AGREEMENT
						  : MBEDTLS_X509_KU_DIGITAL_SIGNATURE;
	int ret;

	if (mbedtls_x509_crt_check_key_usage(c, ku) != 0)
		return SG_ECERTUSAGE;
	if (p->role == SG_ROLE_ANY)
		return 0;
	if (!(c->ext_types & MBEDTLS_X509_EXT_EXTENDED_KEY_USAGE))
		return SG_ECERTUSAGE;
	if (p->role == SG_ROLE_GATEWAY)
		ret = mbedtls_x509_crt_check_extended_key_usage(
			c, MBEDTLS_OID_SERVER_AUTH, MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH));
	else
		ret = mbedtls_x509_crt_check_extended_key_usage(
			c, MBEDTLS_OID_CLIENT_AUTH, MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH));
	return ret == 0 ? 0 : SG_ECERTUSAGE;
}

static int policy_ok(const struct sg_cert_policy *p)
{
	return (p->notime == SG_NOTIME_REJECT || p->notime == SG_NOTIME_SKIP_VALIDITY) &&
	       (p->role == SG_ROLE_ANY || p->role == SG_ROLE_GATEWAY ||
		p->role == SG_ROLE_DEVICE) &&
	       (p->usage == SG_USAGE_SIGN || p->usage == SG_USAGE_DH);
}

int sg_cert_verify(const struct sg_cert_store *s, const unsigned char *der,
		   size_t len, const struct sg_cert_policy *policy,
		   struct sg_peer_cert *out)
{
	struct sg__x509_store *b;
	struct verify_ctx vctx;
	mbedtls_x509_crt leaf;
	uint32_t flags = 0;
	int ret, vret;

	if (out == NULL)
		return SG_EINVAL;
	memset(out, 0, sizeof(*out));
	if (s == NULL || s->backend == NULL || der == NULL || policy == NULL ||
	    !policy_ok(policy))
		return SG_EINVAL;
	b = s->backend;

	mbedtls_x509_crt_init(&leaf);
	ret = parse_one(&leaf, der, len, 0);
	if (ret == 0)
		ret = check_p256_key(&leaf);
	if (ret == 0 && b->n_anchors == 0)
		ret = SG_ECERTCHAIN;
	if (ret == 0) {
		if (b->n_inter > 0)
			leaf.next = &b->inter;
		vctx.policy = policy;
		vctx.store = b;
		vret = mbedtls_x509_crt_verify_with_profile(&leaf, &b->anchors, NULL,
							    &sg__profile, NULL, &flags,
							    verify_cb, &vctx);
		leaf.next = NULL; /* the intermediates belong to the store */
		if (vret == 0 || vret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED)
			ret = map_flags(flags, policy);
		else
			ret = vret == MBEDTLS_ERR_X509_ALLOC_FAILED ? SG_ECRYPTO
								    : SG_ECERTCHAIN;
	}
	if (ret == 0)
		ret = check_usage(&leaf, policy);
	/* Revocation is step 5, after usage. */
	if (ret == 0 && (flags & MBEDTLS_X509_BADCERT_REVOKED))
		ret = SG_ECERTREVOKED;
	if (ret == 0)
		ret = fill_peer(&leaf, out);
	mbedtls_x509_crt_free(&leaf);
	if (ret != 0)
		sg_wipe(out, sizeof(*out));
	return ret;
}

int sg_cert_parse(const unsigned char *der, size_t len, struct sg_peer_cert *out)
{
	mbedtls_x509_crt c;
	int ret;

	if (out == NULL)
		return SG_EINVAL;
	memset(out, 0, sizeof(*out));
	if (der == NULL)
		return SG_EINVAL;
	mbedtls_x509_crt_init(&c);
	ret = parse_one(&c, der, len, 0);
	if (ret == 0)
		ret = fill_peer(&c, out);
	mbedtls_x509_crt_free(&c);
	if (ret != 0)
		sg_wipe(out, sizeof(*out));
	return ret;
}
