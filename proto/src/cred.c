/*
 * EDHOC credentials: ID_CRED_x and CRED_x (RFC 9528 3.5, RFC 9360), and
 * the byte-string-or-int encoding of connection identifiers and kids
 * (RFC 9528 3.3.2).
 *
 * Implementation notes:
 * - CRED_x for X.509 is bstr(DER of the end-entity certificate); for a
 *   raw key it is the CCS as it is. Both are kept as head + body
 *   pointing at the caller's bytes, so a certificate is never copied.
 * - A received ID_CRED map is used in context_x / Sig_structure exactly
 *   as received: the strict decoder has already refused any
 *   non-deterministic encoding, so the bytes are the ones the peer MACed.
 * - Only single-entry maps are accepted: {34: [alg, hash]} (x5t with
 *   SHA-256/64 or SHA-256) and {33: bstr / [2* bstr]} (x5chain, leaf
 *   first; only the leaf is used, intermediates must be in the store).
 *   A map holding only a kid must have been sent compact (RFC 9529 4.1.6).
 * - The SPKI pin of a raw key is computed over the same SubjectPublicKeyInfo
 *   DER a certificate with that key would carry, so a policy pinning keys
 *   treats a raw key and a certificate for it alike.
 */
#include <string.h>

#include "internal.h"
#include "serguard/crypto.h"

#define COSE_HDR_KID 4
#define COSE_HDR_X5CHAIN 33
#define COSE_HDR_X5T 34
#define COSE_ALG_SHA256_64 (-15)
#define COSE_ALG_SHA256 (-16)
#define X5T_HASH_LEN 8

bool sg__byte_is_int(unsigned char b)
{
	return b <= 0x17 || (b >= 0x20 && b <= 0x37);
}

void sg__put_bstr_or_int(struct sg_cbor_enc *enc, const unsigned char *v, size_t len)
{
	if (len == 1 && sg__byte_is_int(v[0]))
		sg_cbor_put_raw(enc, v, 1);
	else
		sg_cbor_put_bstr(enc, v, len);
}

int sg__get_bstr_or_int(struct sg_cbor_dec *d, unsigned char *out, size_t max, size_t *len)
{
	const unsigned char *p = d->p, *s;
	size_t n;
	int64_t v;
	int rc, t = sg_cbor_peek_type(d);

	if (t == SG_CBOR_UINT || t == SG_CBOR_NINT) {
		if ((rc = sg_cbor_get_int(d, &v)) != 0)
			return rc;
		if (v < -24 || v > 23) {
			d->p = p;
			return SG_EDECODE;
		}
		if (max < 1)
			return SG_ELENGTH;
		out[0] = p[0]; /* the one-byte int is the identifier byte */
		*len = 1;
		return 0;
	}
	if (t != SG_CBOR_BSTR)
		return t < 0 ? t : SG_EDECODE;
	if ((rc = sg_cbor_get_bstr(d, &s, &n)) != 0)
		return rc;
	if (n == 1 && sg__byte_is_int(s[0])) {
		d->p = p;
		return SG_EDECODE; /* must have been sent as an int */
	}
	if (n > max) {
		d->p = p;
		return SG_ELENGTH;
	}
	if (n > 0)
		memcpy(out, s, n);
	*len = n;
	return 0;
}

size_t sg__cred_len(const struct sg__cred *c)
{
	return c->head_len + c->body_len;
}

size_t sg__idcred_len(const struct sg__idcred *id)
{
	return id->map[0].len + id->map[1].len;
}

int sg__cred_own(const struct sg_edhoc_cred *own, enum sg_edhoc_idcred how,
		 struct sg__idcred *id, struct sg__cred *cred)
{
	struct sg_cbor_enc enc;
	unsigned char h[32];
	int rc;

	memset(id, 0, sizeof(*id));
	memset(cred, 0, sizeof(*cred));
	if (own->bytes == NULL || own->len == 0)
		return SG_ECONFIG;
	cred->body = own->bytes;
	cred->body_len = own->len;
	id->kind = how;
	sg_cbor_enc_init(&enc, id->buf, sizeof(id->buf));
	if (own->type == SG_EDHOC_CRED_X509) {
		/* CRED_x = bstr(DER) */
		cred->head_len = sg_cbor_head(cred->head, SG_CBOR_BSTR, (uint64_t)own->len);
		if (how == SG_EDHOC_ID_X5T) {
			/* {34: [-15, h'<SHA-256/64 of the DER>']} */
			if ((rc = sg_sha256(own->bytes, own->len, h)) != 0)
				return rc;
			sg_cbor_put_map(&enc, 1);
			sg_cbor_put_uint(&enc, COSE_HDR_X5T);
			sg_cbor_put_array(&enc, 2);
			sg_cbor_put_int(&enc, COSE_ALG_SHA256_64);
			sg_cbor_put_bstr(&enc, h, X5T_HASH_LEN);
		} else if (how == SG_EDHOC_ID_X5CHAIN) {
			/* {33: bstr(DER)}: the DER itself stays where it is */
			sg_cbor_put_map(&enc, 1);
			sg_cbor_put_uint(&enc, COSE_HDR_X5CHAIN);
			sg_cbor_put_bstr_head(&enc, own->len);
			id->map[1].p = own->bytes;
			id->map[1].len = own->len;
		} else {
			return SG_ECONFIG;
		}
	} else if (own->type == SG_EDHOC_CRED_CCS) {
		if (how != SG_EDHOC_ID_KID || own->kid == NULL || own->kid_len == 0 ||
		    own->kid_len > SG_EDHOC_KID_MAX)
			return SG_ECONFIG;
		/* {4: bstr(kid)}, sent compact as the kid alone */
		sg_cbor_put_map(&enc, 1);
		sg_cbor_put_uint(&enc, COSE_HDR_KID);
		sg_cbor_put_bstr(&enc, own->kid, own->kid_len);
		{
			struct sg_cbor_enc c;

			sg_cbor_enc_init(&c, id->compact, sizeof(id->compact));
			sg__put_bstr_or_int(&c, own->kid, own->kid_len);
			if (sg_cbor_enc_finish(&c, &id->compact_len) != 0)
				return SG_ECONFIG;
		}
	} else {
		return SG_ECONFIG;
	}
	if (sg_cbor_enc_finish(&enc, &id->map[0].len) != 0)
		return SG_EINTERNAL;
	id->map[0].p = id->buf;
	return 0;
}

int sg__idcred_decode(struct sg_cbor_dec *d, struct sg__peer_ref *ref)
{
	const unsigned char *start = d->p, *p;
	size_t n, len, kidlen;
	unsigned char kid[SG_EDHOC_KID_MAX];
	uint64_t key;
	int64_t alg;
	int rc, t = sg_cbor_peek_type(d);

	memset(ref, 0, sizeof(*ref));
	if (t == SG_CBOR_UINT || t == SG_CBOR_NINT || t == SG_CBOR_BSTR) {
		/* compact kid */
		if ((rc = sg__get_bstr_or_int(d, kid, sizeof(kid), &kidlen)) != 0)
			return rc;
		ref->kind = SG_EDHOC_ID_KID;
		/* The kid's bytes end where the item ends: a one-byte int is
		 * its own value. Point into the message, not at the copy. */
		ref->ref = d->p - kidlen;
		ref->ref_len = kidlen;
		return 0;
	}
	if (t != SG_CBOR_MAP)
		return t < 0 ? t : SG_EDECODE;
	if ((rc = sg_cbor_get_map(d, &n)) != 0)
		return rc;
	if (n != 1)
		goto unsupported;
	if ((rc = sg_cbor_get_uint(d, &key)) != 0) {
		if (rc == SG_EDECODE)
			goto unsupported; /* a negative or text label */
		goto fail;
	}
	if (key == COSE_HDR_KID) {
		rc = SG_EDECODE; /* a lone kid must be compact */
		goto fail;
	} else if (key == COSE_HDR_X5T) {
		if ((rc = sg_cbor_get_array(d, &len)) != 0)
			goto fail;
		if (len != 2) {
			rc = SG_EDECODE;
			goto fail;
		}
		if ((rc = sg_cbor_get_int(d, &alg)) != 0 ||
		    (rc = sg_cbor_get_bstr(d, &p, &len)) != 0)
			goto fail;
		if (!((alg == COSE_ALG_SHA256_64 && len == X5T_HASH_LEN) ||
		      (alg == COSE_ALG_SHA256 && len == 32))) {
			rc = alg == COSE_ALG_SHA256_64 || alg == COSE_ALG_SHA256 ? SG_ELENGTH
										: SG_ECREDTYPE;
			goto fail;
		}
		ref->kind = SG_EDHOC_ID_X5T;
	} else if (key == COSE_HDR_X5CHAIN) {
		if (sg_cbor_peek_type(d) == SG_CBOR_ARRAY) {
			size_t i;

			if ((rc = sg_cbor_get_array(d, &n)) != 0)
				goto fail;
			if (n < 2) { /* one certificate is sent as a bstr */
				rc = SG_EDECODE;
				goto fail;
			}
			if ((rc = sg_cbor_get_bstr(d, &p, &len)) != 0)
				goto fail;
			for (i = 1; i < n; i++) {
				const unsigned char *q;
				size_t ql;

				if ((rc = sg_cbor_get_bstr(d, &q, &ql)) != 0)
					goto fail;
			}
		} else if ((rc = sg_cbor_get_bstr(d, &p, &len)) != 0) {
			goto fail;
		}
		if (len == 0) {
			rc = SG_EDECODE;
			goto fail;
		}
		ref->kind = SG_EDHOC_ID_X5CHAIN;
	} else {
		goto unsupported;
	}
	ref->ref = p;
	ref->ref_len = len;
	ref->raw = start;
	ref->raw_len = (size_t)(d->p - start);
	return 0;

unsupported:
	rc = SG_ECREDTYPE;
fail:
	d->p = start;
	return rc;
}

void sg__idcred_from_ref(const struct sg__peer_ref *ref, struct sg__idcred *id)
{
	struct sg_cbor_enc enc;

	memset(id, 0, sizeof(*id));
	id->kind = ref->kind;
	if (ref->raw != NULL) {
		id->map[0].p = ref->raw;
		id->map[0].len = ref->raw_len;
		return;
	}
	/* compact kid: the full map is {4: bstr(kid)} */
	sg_cbor_enc_init(&enc, id->buf, sizeof(id->buf));
	sg_cbor_put_map(&enc, 1);
	sg_cbor_put_uint(&enc, COSE_HDR_KID);
	sg_cbor_put_bstr(&enc, ref->ref, ref->ref_len);
	(void)sg_cbor_enc_finish(&enc, &id->map[0].len); /* kid <= 8: fits */
	id->map[0].p = id->buf;
}

/* Find the value of integer key `want` in the map at the cursor (which
 * is left at the value); SG_EDECODE if absent. */
static int map_find(struct sg_cbor_dec *d, size_t npairs, int64_t want)
{
	size_t i;
	int64_t key;
	int rc;

	for (i = 0; i < npairs; i++) {
		if (sg_cbor_peek_type(d) == SG_CBOR_UINT || sg_cbor_peek_type(d) == SG_CBOR_NINT) {
			if ((rc = sg_cbor_get_int(d, &key)) != 0)
				return rc;
			if (key == want)
				return 0;
		} else if ((rc = sg_cbor_skip(d, NULL, NULL)) != 0) {
			return rc;
		}
		if ((rc = sg_cbor_skip(d, NULL, NULL)) != 0)
			return rc;
	}
	return SG_EDECODE;
}

/* DER prefix of a P-256 SubjectPublicKeyInfo up to the uncompressed point:
 * SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING 04||x||y }. */
static const unsigned char spki_p256_prefix[] = {
	0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04};

int sg__ccs_parse(const unsigned char *ccs, size_t len, struct sg_peer_cert *out)
{
	struct sg_cbor_dec d, sub;
	const unsigned char *p;
	size_t n, plen, i;
	int64_t v;
	bool have_x = false, have_y = false, have_kty = false, have_crv = false;
	struct sg__part parts[3];
	int rc;

	memset(out, 0, sizeof(*out));
	/* "sub" (2), optional */
	sg_cbor_dec_init(&d, ccs, len);
	if (sg_cbor_get_map(&d, &n) != 0)
		return SG_ECERT;
	if (map_find(&d, n, 2) == 0) {
		if (sg_cbor_get_tstr(&d, &p, &plen) != 0)
			return SG_ECERT;
		if (plen >= sizeof(out->id.subject_cn)) {
			plen = sizeof(out->id.subject_cn) - 1;
			out->id.truncated = true;
		}
		memcpy(out->id.subject_cn, p, plen);
	}
	/* "cnf" (8) -> {1: COSE_Key} */
	sg_cbor_dec_init(&d, ccs, len);
	(void)sg_cbor_get_map(&d, &n);
	if (map_find(&d, n, 8) != 0 || sg_cbor_get_map(&d, &n) != 0 || map_find(&d, n, 1) != 0 ||
	    sg_cbor_get_map(&d, &n) != 0)
		goto bad;
	for (i = 0; i < n; i++) {
		if (sg_cbor_get_int(&d, &v) != 0)
			goto bad;
		sub = d;
		switch (v) {
		case 1: /* kty: EC2 */
			if (sg_cbor_get_int(&d, &v) != 0)
				goto bad;
			if (v != 2)
				return SG_ECERTKEY;
			have_kty = true;
			continue;
		case -1: /* crv: P-256 */
			if (sg_cbor_get_int(&d, &v) != 0)
				goto bad;
			if (v != 1)
				return SG_ECERTKEY;
			have_crv = true;
			continue;
		case -2:
		case -3:
			if (sg_cbor_get_bstr(&d, &p, &plen) != 0)
				goto bad;
			if (plen != 32)
				return SG_ECERTKEY;
			memcpy(v == -2 ? out->pub_x : out->pub_y, p, 32);
			if (v == -2)
				have_x = true;
			else
				have_y = true;
			continue;
		default:
			break;
		}
		d = sub;
		if (sg_cbor_skip(&d, NULL, NULL) != 0)
			goto bad;
	}
	if (!have_kty || !have_crv || !have_x || !have_y)
		return SG_ECERTKEY;
	parts[0].p = spki_p256_prefix;
	parts[0].len = sizeof(spki_p256_prefix);
	parts[1].p = out->pub_x;
	parts[1].len = 32;
	parts[2].p = out->pub_y;
	parts[2].len = 32;
	if ((rc = sg__hash_parts(parts, 3, out->id.spki_hash)) != 0)
		return rc;
	out->id.not_before = INT64_MIN;
	out->id.not_after = INT64_MAX;
	return 0;
bad:
	memset(out, 0, sizeof(*out));
	return SG_ECERT;
}
