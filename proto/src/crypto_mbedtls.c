/*
 * The crypto adapter: serguard/crypto.h on mbedTLS 2.28.
 *
 * Implementation notes:
 * - HMAC is built on the streaming SHA-256 context rather than on
 *   mbedtls_md_hmac_*, because mbedtls_md_setup() allocates its context;
 *   here every context lives in caller storage.
 * - HKDF-Expand is likewise computed from sg_hmac so that no mbedTLS
 *   allocation happens on the symmetric path at all.
 * - mbedTLS error codes are mapped to SG_ECRYPTO here and never leak out.
 */
#include <string.h>

#include <mbedtls/ccm.h>
#include <mbedtls/sha256.h>

#include "serguard/crypto.h"

#define SG__STATIC_ASSERT(cond, name) typedef char sg__sa_##name[(cond) ? 1 : -1]

SG__STATIC_ASSERT(sizeof(mbedtls_sha256_context) <=
			  sizeof(((struct sg_sha256 *)0)->opaque),
		  sha256_fits);

static mbedtls_sha256_context *sha_ctx(struct sg_sha256 *h)
{
	return (mbedtls_sha256_context *)(void *)h->opaque;
}

int sg_sha256_init(struct sg_sha256 *h)
{
	if (h == NULL)
		return SG_EINVAL;
	mbedtls_sha256_init(sha_ctx(h));
	if (mbedtls_sha256_starts_ret(sha_ctx(h), 0) != 0)
		return SG_ECRYPTO;
	return 0;
}

int sg_sha256_update(struct sg_sha256 *h, const void *data, size_t len)
{
	if (h == NULL || (data == NULL && len > 0))
		return SG_EINVAL;
	if (len == 0)
		return 0;
	if (mbedtls_sha256_update_ret(sha_ctx(h), data, len) != 0)
		return SG_ECRYPTO;
	return 0;
}

int sg_sha256_finish(struct sg_sha256 *h, unsigned char out[SG_SHA256_LEN])
{
	int rc;

	if (h == NULL || out == NULL)
		return SG_EINVAL;
	rc = mbedtls_sha256_finish_ret(sha_ctx(h), out) != 0 ? SG_ECRYPTO : 0;
	mbedtls_sha256_free(sha_ctx(h));
	sg_wipe(h, sizeof(*h));
	return rc;
}

int sg_sha256(const void *data, size_t len, unsigned char out[SG_SHA256_LEN])
{
	struct sg_sha256 h;
	int rc;

	if ((rc = sg_sha256_init(&h)) != 0)
		return rc;
	if ((rc = sg_sha256_update(&h, data, len)) != 0) {
		sg_wipe(&h, sizeof(h));
		return rc;
	}
	return sg_sha256_finish(&h, out);
}

int sg_hmac_init(struct sg_hmac *m, const void *key, size_t key_len)
{
	unsigned char k[64], ipad[64];
	size_t i;
	int rc;

	if (m == NULL || (key == NULL && key_len > 0))
		return SG_EINVAL;
	memset(k, 0, sizeof(k));
	if (key_len > sizeof(k)) {
		if ((rc = sg_sha256(key, key_len, k)) != 0)
			return rc;
	} else if (key_len > 0) {
		memcpy(k, key, key_len);
	}
	for (i = 0; i < sizeof(k); i++) {
		ipad[i] = (unsigned char)(k[i] ^ 0x36);
		m->okey[i] = (unsigned char)(k[i] ^ 0x5c);
	}
	rc = sg_sha256_init(&m->inner);
	if (rc == 0)
		rc = sg_sha256_update(&m->inner, ipad, sizeof(ipad));
	sg_wipe(k, sizeof(k));
	sg_wipe(ipad, sizeof(ipad));
	if (rc != 0)
		sg_wipe(m, sizeof(*m));
	return rc;
}

int sg_hmac_update(struct sg_hmac *m, const void *data, size_t len)
{
	if (m == NULL)
		return SG_EINVAL;
	return sg_sha256_update(&m->inner, data, len);
}

int sg_hmac_finish(struct sg_hmac *m, unsigned char out[SG_SHA256_LEN])
{
	unsigned char ih[SG_SHA256_LEN];
	struct sg_sha256 outer;
	int rc;

	if (m == NULL || out == NULL)
		return SG_EINVAL;
	rc = sg_sha256_finish(&m->inner, ih);
	if (rc == 0)
		rc = sg_sha256_init(&outer);
	if (rc == 0)
		rc = sg_sha256_update(&outer, m->okey, sizeof(m->okey));
	if (rc == 0)
		rc = sg_sha256_update(&outer, ih, sizeof(ih));
	if (rc == 0)
		rc = sg_sha256_finish(&outer, out);
	else
		sg_wipe(&outer, sizeof(outer));
	sg_wipe(ih, sizeof(ih));
	sg_wipe(m, sizeof(*m));
	return rc;
}

int sg_hmac(const void *key, size_t key_len, const void *data, size_t len,
	    unsigned char out[SG_SHA256_LEN])
{
	struct sg_hmac m;
	int rc;

	if ((rc = sg_hmac_init(&m, key, key_len)) != 0)
		return rc;
	if ((rc = sg_hmac_update(&m, data, len)) != 0) {
		sg_wipe(&m, sizeof(m));
		return rc;
	}
	return sg_hmac_finish(&m, out);
}

int sg_hkdf_extract(const void *salt, size_t salt_len, const void *ikm,
		    size_t ikm_len, unsigned char prk[SG_SHA256_LEN])
{
	static const unsigned char zeros[SG_SHA256_LEN];

	/* RFC 5869 2.2: an absent salt is HashLen zero bytes. */
	if (salt == NULL || salt_len == 0)
		return sg_hmac(zeros, sizeof(zeros), ikm, ikm_len, prk);
	return sg_hmac(salt, salt_len, ikm, ikm_len, prk);
}

int sg_hkdf_expand(const void *prk, size_t prk_len, const void *info,
		   size_t info_len, unsigned char *out, size_t out_len)
{
	unsigned char t[SG_SHA256_LEN];
	struct sg_hmac m;
	size_t done = 0, t_len = 0, n;
	unsigned char counter = 0;
	int rc = 0;

	if (prk == NULL || (info == NULL && info_len > 0) ||
	    (out == NULL && out_len > 0))
		return SG_EINVAL;
	if (prk_len < SG_SHA256_LEN || out_len > 255u * SG_SHA256_LEN)
		return SG_EINVAL;
	while (done < out_len) {
		counter++;
		rc = sg_hmac_init(&m, prk, prk_len);
		if (rc == 0)
			rc = sg_hmac_update(&m, t, t_len);
		if (rc == 0)
			rc = sg_hmac_update(&m, info, info_len);
		if (rc == 0)
			rc = sg_hmac_update(&m, &counter, 1);
		if (rc == 0)
			rc = sg_hmac_finish(&m, t);
		if (rc != 0)
			break;
		t_len = sizeof(t);
		n = out_len - done < t_len ? out_len - done : t_len;
		memcpy(out + done, t, n);
		done += n;
	}
	sg_wipe(&m, sizeof(m));
	sg_wipe(t, sizeof(t));
	if (rc != 0 && out != NULL)
		sg_wipe(out, out_len);
	return rc;
}

static int ccm_args_ok(const void *key, const void *nonce, const void *aad,
		       size_t aad_len, size_t tag_len)
{
	if (key == NULL || nonce == NULL || (aad == NULL && aad_len > 0))
		return 0;
	return tag_len == 8 || tag_len == 16;
}

int sg_ccm_seal(const unsigned char key[SG_CCM_KEY_LEN],
		const unsigned char nonce[SG_CCM_NONCE_LEN], const void *aad,
		size_t aad_len, const void *pt, size_t pt_len,
		unsigned char *out, size_t tag_len)
{
	mbedtls_ccm_context ctx;
	int rc = 0;

	if (!ccm_args_ok(key, nonce, aad, aad_len, tag_len) || out == NULL ||
	    (pt == NULL && pt_len > 0))
		return SG_EINVAL;
	mbedtls_ccm_init(&ctx);
	if (mbedtls_ccm_setkey(&ctx, MBEDTLS_CIPHER_ID_AES, key, 128) != 0 ||
	    mbedtls_ccm_encrypt_and_tag(&ctx, pt_len, nonce, SG_CCM_NONCE_LEN,
					aad, aad_len, pt, out, out + pt_len,
					tag_len) != 0) {
		sg_wipe(out, pt_len + tag_len);
		rc = SG_ECRYPTO;
	}
	mbedtls_ccm_free(&ctx);
	return rc;
}

int sg_ccm_open(const unsigned char key[SG_CCM_KEY_LEN],
		const unsigned char nonce[SG_CCM_NONCE_LEN], const void *aad,
		size_t aad_len, const void *in, size_t in_len,
		unsigned char *out, size_t tag_len)
{
	mbedtls_ccm_context ctx;
	const unsigned char *inb = in;
	size_t ct_len;
	int rc = 0, mrc;

	if (!ccm_args_ok(key, nonce, aad, aad_len, tag_len) || in == NULL ||
	    in_len < tag_len || (out == NULL && in_len > tag_len))
		return SG_EINVAL;
	ct_len = in_len - tag_len;
	mbedtls_ccm_init(&ctx);
	if (mbedtls_ccm_setkey(&ctx, MBEDTLS_CIPHER_ID_AES, key, 128) != 0) {
		rc = SG_ECRYPTO;
	} else {
		mrc = mbedtls_ccm_auth_decrypt(&ctx, ct_len, nonce,
					       SG_CCM_NONCE_LEN, aad, aad_len,
					       inb, out, inb + ct_len, tag_len);
		if (mrc == MBEDTLS_ERR_CCM_AUTH_FAILED)
			rc = SG_EAUTH;
		else if (mrc != 0)
			rc = SG_ECRYPTO;
	}
	/* mbedTLS already zeroes the plaintext on a tag failure; do it here
	 * too so the guarantee does not depend on the backend version. */
	if (rc != 0 && out != NULL && ct_len > 0)
		sg_wipe(out, ct_len);
	mbedtls_ccm_free(&ctx);
	return rc;
}
