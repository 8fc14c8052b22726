/*
 * The crypto adapter: serguard/crypto.h on mbedTLS 2.28.
 *
 * Implementation notes:
 * - HMAC is built on the streaming SHA-256 context rather than on
 *   mbedtls_md_hmac_*, because mbedtls_md_setup() allocates its context;
 *   here every context lives in caller storage.
 * - HKDF-Expand is likewise computed from sg_hmac so that no mbedTLS
 *   allocation happens on the symmetric path at all.
 * - mbedTLS error codes are mapped to SG_E* codes here and never leak out:
 *   a bad peer point is SG_EPOINT, a signature that does not verify (also
 *   r or s outside [1, n-1]) SG_EAUTH, a bad private scalar (0 or >= n)
 *   SG_EINVAL, any RNG failure SG_ERNG, everything else (allocation
 *   failure inside the bignum code) SG_ECRYPTO.
 *
 * P-256 (ECDH with x-only points, ES256):
 * - mbedTLS 2.28 cannot import a point from its x-coordinate alone
 *   (mbedtls_ecp_point_read_binary takes only 04||x||y; 02||x gives
 *   FEATURE_UNAVAILABLE). p256_point_from_x() recovers y by hand: P-256 has
 *   p = 3 mod 4, so a square root of rhs = x^3 - 3x + b is
 *   rhs^((p+1)/4) mod p. It rejects x >= p and any x whose rhs is not a
 *   square (the candidate root does not square back), sets Z = 1 and then
 *   also runs mbedtls_ecp_check_pubkey(). Which root comes out does not
 *   matter for ECDH: d*P and d*(-P) share their x-coordinate. P-256 has
 *   cofactor 1, so an on-curve affine point is in the prime-order group
 *   and no further subgroup check is needed (SP 800-56A 5.6.2.3.3).
 * - The group is loaded per call rather than kept anywhere: the core has
 *   no globals, and a caller-owned context would put mbedTLS sizes into
 *   the public header. The price is that the comb table for G is rebuilt
 *   on every keygen/sign (see tests/bench_crypto.c for the cost).
 * - Every coordinate, scalar and ECDH output is written with
 *   mbedtls_mpi_write_binary(..., 32): fixed length, leading zeros kept
 *   (RFC 9528 3.7; a stripped 31-byte G_X is invalid, RFC 9529 4.2.6).
 * - ECDH and sg_p256_public() take no RNG. mbedtls_ecp_mul() with a NULL
 *   f_rng blinds with its internal HMAC-DRBG seeded from the scalar; that
 *   needs MBEDTLS_ECP_NO_INTERNAL_RNG to be off, checked below at compile
 *   time so a firmware configuration cannot silently lose the blinding.
 * - Signing is deterministic ECDSA (RFC 6979, mbedtls_ecdsa_sign_det_ext):
 *   the nonce comes from HMAC-DRBG(d, hash); the caller's RNG only
 *   randomises the projective coordinates and the modular inversion.
 *   mbedtls_ecdsa_sign_det_ext allocates an HMAC-DRBG md context and the
 *   bignums allocate limbs: both only in this adapter.
 * - The caller's RNG is wrapped (struct rng_wrap) so that a failure of
 *   the caller's source is recognised whatever value it returned and
 *   whatever mbedTLS turned it into: the wrapper records it and the
 *   function returns SG_ERNG. mbedTLS's own "30 draws were all out of
 *   range" (ECP_RANDOM_FAILED, e.g. an RNG stuck at zero) is SG_ERNG too.
 * - Secrets in bignums (d, the shared point) are zeroed limb by limb with
 *   sg_wipe before mbedtls_mpi_free (mpi_wipe()), so their erasure does
 *   not rest on the backend's free. Limbs mbedTLS reallocates while
 *   growing are zeroized by mbedTLS itself (mbedtls_mpi_grow). Output
 *   buffers are wiped on every failure path.
 * - ES256 signatures are raw r||s (COSE), two fixed 32-byte halves; no
 *   DER. Verification rejects r or s of 0 or >= n before calling
 *   mbedtls_ecdsa_verify (which checks this too) so SG_EAUTH for those
 *   does not depend on the backend.
 */
#include <string.h>

#include <mbedtls/bignum.h>
#include <mbedtls/ccm.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
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

/* ---- P-256 ----------------------------------------------------------- */

#if defined(MBEDTLS_ECP_NO_INTERNAL_RNG)
#error "crypto_mbedtls.c: ECDH without an RNG needs mbedTLS's internal blinding RNG (undefine MBEDTLS_ECP_NO_INTERNAL_RNG)"
#endif
#if !defined(MBEDTLS_ECDSA_DETERMINISTIC)
#error "crypto_mbedtls.c: ES256 signing needs MBEDTLS_ECDSA_DETERMINISTIC (RFC 6979)"
#endif

/* The caller's RNG in mbedTLS's f_rng shape, remembering a failure. */
struct rng_wrap {
	sg_rng_fn fn;
	void *ctx;
	int failed;
};

static int rng_call(void *p, unsigned char *buf, size_t len)
{
	struct rng_wrap *w = p;

	if (w->fn(w->ctx, buf, len) != 0) {
		w->failed = 1;
		return MBEDTLS_ERR_ECP_RANDOM_FAILED;
	}
	return 0;
}

/* An mbedTLS failure of a P-256 operation as an SG_E* code. */
static int p256_err(int ret, const struct rng_wrap *w)
{
	if (ret == 0)
		return 0;
	if ((w != NULL && w->failed) || ret == MBEDTLS_ERR_ECP_RANDOM_FAILED)
		return SG_ERNG;
	return SG_ECRYPTO;
}

/* Zero a bignum's limbs, then free it (leaves it re-initialised). */
static void mpi_wipe(mbedtls_mpi *x)
{
	if (x->p != NULL)
		sg_wipe(x->p, x->n * sizeof(*x->p));
	mbedtls_mpi_free(x);
}

static void point_wipe(mbedtls_ecp_point *pt)
{
	mpi_wipe(&pt->X);
	mpi_wipe(&pt->Y);
	mpi_wipe(&pt->Z);
}

static int p256_load(mbedtls_ecp_group *grp)
{
	mbedtls_ecp_group_init(grp);
	return mbedtls_ecp_group_load(grp, MBEDTLS_ECP_DP_SECP256R1) != 0
		       ? SG_ECRYPTO
		       : 0;
}

/* Read a private scalar and check 1 <= d < n (else SG_EINVAL). */
static int p256_read_priv(const mbedtls_ecp_group *grp, mbedtls_mpi *d,
			  const unsigned char priv[SG_P256_LEN])
{
	if (mbedtls_mpi_read_binary(d, priv, SG_P256_LEN) != 0)
		return SG_ECRYPTO;
	if (mbedtls_ecp_check_privkey(grp, d) != 0)
		return SG_EINVAL;
	return 0;
}

/*
 * The affine point with x-coordinate x (32 bytes, big-endian) and the
 * root y = rhs^((p+1)/4) of rhs = x^3 - 3x + b. SG_EPOINT when x >= p or
 * rhs is not a square mod p; SG_ECRYPTO on a bignum failure.
 */
static int p256_point_from_x(const mbedtls_ecp_group *grp, mbedtls_ecp_point *pt,
			     const unsigned char x[SG_P256_LEN])
{
	mbedtls_mpi rhs, t, e;
	int rc = SG_ECRYPTO;

	mbedtls_mpi_init(&rhs);
	mbedtls_mpi_init(&t);
	mbedtls_mpi_init(&e);
	if (mbedtls_mpi_read_binary(&pt->X, x, SG_P256_LEN) != 0)
		goto out;
	if (mbedtls_mpi_cmp_mpi(&pt->X, &grp->P) >= 0) {
		rc = SG_EPOINT;
		goto out;
	}
	/* rhs = (x^2 - 3) * x + b mod p; P-256 has a = -3. mod_mpi returns
	 * a value in [0, p) also for a negative intermediate. */
	if (mbedtls_mpi_mul_mpi(&t, &pt->X, &pt->X) != 0 ||
	    mbedtls_mpi_mod_mpi(&t, &t, &grp->P) != 0 ||
	    mbedtls_mpi_sub_int(&t, &t, 3) != 0 ||
	    mbedtls_mpi_mul_mpi(&rhs, &t, &pt->X) != 0 ||
	    mbedtls_mpi_add_mpi(&rhs, &rhs, &grp->B) != 0 ||
	    mbedtls_mpi_mod_mpi(&rhs, &rhs, &grp->P) != 0)
		goto out;
	/* e = (p + 1) / 4; y = rhs^e mod p */
	if (mbedtls_mpi_add_int(&e, &grp->P, 1) != 0 ||
	    mbedtls_mpi_shift_r(&e, 2) != 0 ||
	    mbedtls_mpi_exp_mod(&pt->Y, &rhs, &e, &grp->P, NULL) != 0)
		goto out;
	/* rhs was a square iff the candidate squares back to it. */
	if (mbedtls_mpi_mul_mpi(&t, &pt->Y, &pt->Y) != 0 ||
	    mbedtls_mpi_mod_mpi(&t, &t, &grp->P) != 0)
		goto out;
	if (mbedtls_mpi_cmp_mpi(&t, &rhs) != 0) {
		rc = SG_EPOINT;
		goto out;
	}
	if (mbedtls_mpi_lset(&pt->Z, 1) != 0)
		goto out;
	/* Belt and braces: the backend's own public-key validation. */
	rc = mbedtls_ecp_check_pubkey(grp, pt) == 0 ? 0 : SG_EPOINT;
out:
	mbedtls_mpi_free(&rhs);
	mbedtls_mpi_free(&t);
	mbedtls_mpi_free(&e);
	return rc;
}

int sg_p256_keygen(sg_rng_fn rng, void *rng_ctx, unsigned char priv[SG_P256_LEN],
		   unsigned char pub_x[SG_P256_LEN])
{
	struct rng_wrap w;
	mbedtls_ecp_group grp;
	mbedtls_ecp_point q;
	mbedtls_mpi d;
	int rc;

	if (rng == NULL || priv == NULL || pub_x == NULL)
		return SG_EINVAL;
	w.fn = rng;
	w.ctx = rng_ctx;
	w.failed = 0;
	if ((rc = p256_load(&grp)) != 0)
		goto fail_group;
	mbedtls_ecp_point_init(&q);
	mbedtls_mpi_init(&d);
	rc = p256_err(mbedtls_ecp_gen_keypair(&grp, &d, &q, rng_call, &w), &w);
	if (rc == 0 && (mbedtls_mpi_write_binary(&d, priv, SG_P256_LEN) != 0 ||
			mbedtls_mpi_write_binary(&q.X, pub_x, SG_P256_LEN) != 0))
		rc = SG_ECRYPTO;
	mpi_wipe(&d);
	point_wipe(&q);
fail_group:
	mbedtls_ecp_group_free(&grp);
	if (rc != 0) {
		sg_wipe(priv, SG_P256_LEN);
		sg_wipe(pub_x, SG_P256_LEN);
	}
	return rc;
}

int sg_p256_public(const unsigned char priv[SG_P256_LEN],
		   unsigned char pub_x[SG_P256_LEN], unsigned char pub_y[SG_P256_LEN])
{
	mbedtls_ecp_group grp;
	mbedtls_ecp_point q;
	mbedtls_mpi d;
	int rc;

	if (priv == NULL || pub_x == NULL)
		return SG_EINVAL;
	if ((rc = p256_load(&grp)) != 0)
		goto fail_group;
	mbedtls_ecp_point_init(&q);
	mbedtls_mpi_init(&d);
	rc = p256_read_priv(&grp, &d, priv);
	if (rc == 0)
		rc = p256_err(mbedtls_ecp_mul(&grp, &q, &d, &grp.G, NULL, NULL), NULL);
	if (rc == 0 &&
	    (mbedtls_mpi_write_binary(&q.X, pub_x, SG_P256_LEN) != 0 ||
	     (pub_y != NULL && mbedtls_mpi_write_binary(&q.Y, pub_y, SG_P256_LEN) != 0)))
		rc = SG_ECRYPTO;
	mpi_wipe(&d);
	point_wipe(&q);
fail_group:
	mbedtls_ecp_group_free(&grp);
	if (rc != 0) {
		sg_wipe(pub_x, SG_P256_LEN);
		if (pub_y != NULL)
			sg_wipe(pub_y, SG_P256_LEN);
	}
	return rc;
}

int sg_p256_decompress(const unsigned char x[SG_P256_LEN], unsigned char y[SG_P256_LEN])
{
	mbedtls_ecp_group grp;
	mbedtls_ecp_point pt;
	int rc;

	if (x == NULL || y == NULL)
		return SG_EINVAL;
	if ((rc = p256_load(&grp)) != 0)
		goto fail_group;
	mbedtls_ecp_point_init(&pt);
	rc = p256_point_from_x(&grp, &pt, x);
	if (rc == 0 && mbedtls_mpi_write_binary(&pt.Y, y, SG_P256_LEN) != 0)
		rc = SG_ECRYPTO;
	mbedtls_ecp_point_free(&pt);
fail_group:
	mbedtls_ecp_group_free(&grp);
	if (rc != 0)
		sg_wipe(y, SG_P256_LEN);
	return rc;
}

int sg_p256_ecdh(const unsigned char priv[SG_P256_LEN],
		 const unsigned char peer_x[SG_P256_LEN],
		 unsigned char shared[SG_P256_LEN])
{
	mbedtls_ecp_group grp;
	mbedtls_ecp_point peer, z;
	mbedtls_mpi d;
	int rc;

	if (priv == NULL || peer_x == NULL || shared == NULL)
		return SG_EINVAL;
	if ((rc = p256_load(&grp)) != 0)
		goto fail_group;
	mbedtls_ecp_point_init(&peer);
	mbedtls_ecp_point_init(&z);
	mbedtls_mpi_init(&d);
	rc = p256_point_from_x(&grp, &peer, peer_x);
	if (rc == 0)
		rc = p256_read_priv(&grp, &d, priv);
	if (rc == 0)
		rc = p256_err(mbedtls_ecp_mul(&grp, &z, &d, &peer, NULL, NULL), NULL);
	/* Cannot happen for a valid peer point and 1 <= d < n (prime order),
	 * but an all-zero "secret" must never come out. */
	if (rc == 0 && mbedtls_ecp_is_zero(&z))
		rc = SG_EPOINT;
	if (rc == 0 && mbedtls_mpi_write_binary(&z.X, shared, SG_P256_LEN) != 0)
		rc = SG_ECRYPTO;
	mpi_wipe(&d);
	point_wipe(&z);
	mbedtls_ecp_point_free(&peer);
fail_group:
	mbedtls_ecp_group_free(&grp);
	if (rc != 0)
		sg_wipe(shared, SG_P256_LEN);
	return rc;
}

/* ---- ES256 ------------------------------------------------------------- */

int sg_es256_sign(const unsigned char priv[SG_P256_LEN],
		  const unsigned char hash[SG_SHA256_LEN],
		  unsigned char sig[SG_ES256_SIG_LEN], sg_rng_fn rng, void *rng_ctx)
{
	struct rng_wrap w;
	mbedtls_ecp_group grp;
	mbedtls_mpi d, r, s;
	int rc;

	if (priv == NULL || hash == NULL || sig == NULL || rng == NULL)
		return SG_EINVAL;
	w.fn = rng;
	w.ctx = rng_ctx;
	w.failed = 0;
	if ((rc = p256_load(&grp)) != 0)
		goto fail_group;
	mbedtls_mpi_init(&d);
	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	rc = p256_read_priv(&grp, &d, priv);
	if (rc == 0)
		rc = p256_err(mbedtls_ecdsa_sign_det_ext(&grp, &r, &s, &d, hash,
							 SG_SHA256_LEN,
							 MBEDTLS_MD_SHA256,
							 rng_call, &w),
			      &w);
	if (rc == 0 &&
	    (mbedtls_mpi_write_binary(&r, sig, SG_P256_LEN) != 0 ||
	     mbedtls_mpi_write_binary(&s, sig + SG_P256_LEN, SG_P256_LEN) != 0))
		rc = SG_ECRYPTO;
	mpi_wipe(&d);
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&s);
fail_group:
	mbedtls_ecp_group_free(&grp);
	if (rc != 0)
		sg_wipe(sig, SG_ES256_SIG_LEN);
	return rc;
}

/* 1 <= v < n */
static int p256_in_scalar_range(const mbedtls_ecp_group *grp, const mbedtls_mpi *v)
{
	return mbedtls_mpi_cmp_int(v, 1) >= 0 && mbedtls_mpi_cmp_mpi(v, &grp->N) < 0;
}

int sg_es256_verify(const unsigned char pub_x[SG_P256_LEN],
		    const unsigned char pub_y[SG_P256_LEN],
		    const unsigned char hash[SG_SHA256_LEN],
		    const unsigned char sig[SG_ES256_SIG_LEN])
{
	mbedtls_ecp_group grp;
	mbedtls_ecp_point q;
	mbedtls_mpi r, s;
	int rc, ret;

	if (pub_x == NULL || pub_y == NULL || hash == NULL || sig == NULL)
		return SG_EINVAL;
	if ((rc = p256_load(&grp)) != 0)
		goto fail_group;
	mbedtls_ecp_point_init(&q);
	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	if (mbedtls_mpi_read_binary(&q.X, pub_x, SG_P256_LEN) != 0 ||
	    mbedtls_mpi_read_binary(&q.Y, pub_y, SG_P256_LEN) != 0 ||
	    mbedtls_mpi_lset(&q.Z, 1) != 0 ||
	    mbedtls_mpi_read_binary(&r, sig, SG_P256_LEN) != 0 ||
	    mbedtls_mpi_read_binary(&s, sig + SG_P256_LEN, SG_P256_LEN) != 0) {
		rc = SG_ECRYPTO;
		goto out;
	}
	/* x, y < p and on the curve; Z = 1 so not the point at infinity. */
	if (mbedtls_ecp_check_pubkey(&grp, &q) != 0) {
		rc = SG_EPOINT;
		goto out;
	}
	if (!p256_in_scalar_range(&grp, &r) || !p256_in_scalar_range(&grp, &s)) {
		rc = SG_EAUTH;
		goto out;
	}
	ret = mbedtls_ecdsa_verify(&grp, hash, SG_SHA256_LEN, &q, &r, &s);
	if (ret == MBEDTLS_ERR_ECP_VERIFY_FAILED)
		rc = SG_EAUTH;
	else if (ret != 0)
		rc = SG_ECRYPTO;
out:
	mbedtls_ecp_point_free(&q);
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&s);
fail_group:
	mbedtls_ecp_group_free(&grp);
	return rc;
}
