/*
 * serguard protocol core: the cryptographic primitives the core uses.
 *
 * One adapter implements this header: proto/src/crypto_mbedtls.c, on
 * mbedTLS 2.28. Nothing else in the core includes an mbedTLS header, so a
 * port to another library (PSA, a hardware accelerator) replaces that one
 * file.
 *
 * Contexts are fixed-size opaque storage owned by the caller; the adapter
 * checks at compile time that the backend's context fits. Every
 * function returns 0 or a negative SG_E* code; on failure any output
 * buffer holding secret or unauthenticated data is wiped.
 */
#ifndef SERGUARD_CRYPTO_H
#define SERGUARD_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "serguard/sg.h"

#define SG_SHA256_LEN 32
#define SG_P256_LEN 32	   /* a scalar, a coordinate, an ECDH secret */
#define SG_ES256_SIG_LEN 64 /* raw r || s */
#define SG_CCM_KEY_LEN 16
#define SG_CCM_NONCE_LEN 13

/* ---- SHA-256, streaming ------------------------------------------------ */

struct sg_sha256 {
	/* Opaque; large enough for the backend's context. */
	uint64_t opaque[32];
};

int sg_sha256_init(struct sg_sha256 *h);
int sg_sha256_update(struct sg_sha256 *h, const void *data, size_t len);
/* Writes the digest and wipes the context. */
int sg_sha256_finish(struct sg_sha256 *h, unsigned char out[SG_SHA256_LEN]);
/* One shot. */
int sg_sha256(const void *data, size_t len, unsigned char out[SG_SHA256_LEN]);

/* ---- HMAC-SHA-256 (RFC 2104), streaming ------------------------------ */

struct sg_hmac {
	struct sg_sha256 inner;
	unsigned char okey[64]; /* key XOR opad, wiped by finish */
};

int sg_hmac_init(struct sg_hmac *m, const void *key, size_t key_len);
int sg_hmac_update(struct sg_hmac *m, const void *data, size_t len);
/* Writes the 32-byte MAC and wipes the context. */
int sg_hmac_finish(struct sg_hmac *m, unsigned char out[SG_SHA256_LEN]);
int sg_hmac(const void *key, size_t key_len, const void *data, size_t len,
	    unsigned char out[SG_SHA256_LEN]);

/* ---- HKDF-SHA-256 (RFC 5869) ----------------------------------------- */

int sg_hkdf_extract(const void *salt, size_t salt_len, const void *ikm,
		    size_t ikm_len, unsigned char prk[SG_SHA256_LEN]);
/* out_len at most 255 * 32. prk_len at least 32 (RFC 5869). */
int sg_hkdf_expand(const void *prk, size_t prk_len, const void *info,
		   size_t info_len, unsigned char *out, size_t out_len);

/* ---- AES-128-CCM with a 13-byte nonce (COSE AES-CCM-16-64/128-128) ---- */

/*
 * Seal: out receives pt_len bytes of ciphertext followed by tag_len bytes
 * of tag (tag_len 8 or 16). out may equal pt (in place). out must hold
 * pt_len + tag_len bytes.
 */
int sg_ccm_seal(const unsigned char key[SG_CCM_KEY_LEN],
		const unsigned char nonce[SG_CCM_NONCE_LEN], const void *aad,
		size_t aad_len, const void *pt, size_t pt_len,
		unsigned char *out, size_t tag_len);
/*
 * Open: in holds ciphertext || tag (in_len >= tag_len); out receives
 * in_len - tag_len bytes of plaintext. out may equal in. Returns SG_EAUTH
 * when the tag does not verify; out is then wiped.
 */
int sg_ccm_open(const unsigned char key[SG_CCM_KEY_LEN],
		const unsigned char nonce[SG_CCM_NONCE_LEN], const void *aad,
		size_t aad_len, const void *in, size_t in_len,
		unsigned char *out, size_t tag_len);

/* ---- P-256 (secp256r1) ECDH with compact (x-only) points --------------- */

/*
 * New ephemeral key pair: a private scalar (big-endian, 32 bytes) and the
 * x-coordinate of its public point (RFC 9528 3.7 compact encoding). The
 * RNG is the caller's (not NULL). SG_ERNG when the RNG fails; priv and
 * pub_x are then wiped.
 */
int sg_p256_keygen(sg_rng_fn rng, void *rng_ctx, unsigned char priv[SG_P256_LEN],
		   unsigned char pub_x[SG_P256_LEN]);
/*
 * The public point priv * G (for static keys given as a scalar only):
 * x always, y too when pub_y is not NULL. SG_EINVAL when priv is not a
 * valid scalar (0 or >= n).
 */
int sg_p256_public(const unsigned char priv[SG_P256_LEN],
		   unsigned char pub_x[SG_P256_LEN], unsigned char pub_y[SG_P256_LEN]);
/*
 * Recover a y for the x-only point x: y = (x^3 - 3x + b)^((p+1)/4) mod p,
 * with full validation (x < p, the result squares back, not infinity).
 * SG_EPOINT when x is not the x-coordinate of a curve point.
 */
int sg_p256_decompress(const unsigned char x[SG_P256_LEN], unsigned char y[SG_P256_LEN]);
/*
 * ECDH: the x-coordinate of priv * (peer point with x-coordinate peer_x).
 * The peer point is recovered and validated first (SG_EPOINT); either y
 * gives the same shared x. SG_EINVAL when priv is not a valid scalar.
 * shared is wiped on failure.
 */
int sg_p256_ecdh(const unsigned char priv[SG_P256_LEN],
		 const unsigned char peer_x[SG_P256_LEN],
		 unsigned char shared[SG_P256_LEN]);

/* ---- ES256: ECDSA P-256 with SHA-256, raw r || s (COSE) ------------------ */

/*
 * Sign a 32-byte SHA-256 digest with deterministic ECDSA (RFC 6979), so
 * that a weak RNG cannot leak the key and vectors are reproducible. The
 * RNG (not NULL) only blinds the computation; the signature does not
 * depend on it. SG_EINVAL for an invalid priv, SG_ERNG when the RNG
 * fails; sig is wiped on failure.
 */
int sg_es256_sign(const unsigned char priv[SG_P256_LEN],
		  const unsigned char hash[SG_SHA256_LEN],
		  unsigned char sig[SG_ES256_SIG_LEN], sg_rng_fn rng, void *rng_ctx);
/*
 * Verify a raw r || s signature over a digest with the public key
 * (x, y). SG_EAUTH when the signature does not verify (including r or s
 * of 0 or >= n), SG_EPOINT when the key is not a valid point.
 */
int sg_es256_verify(const unsigned char pub_x[SG_P256_LEN],
		    const unsigned char pub_y[SG_P256_LEN],
		    const unsigned char hash[SG_SHA256_LEN],
		    const unsigned char sig[SG_ES256_SIG_LEN]);

#endif
