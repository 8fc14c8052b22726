/*
 * Cross-file internals of the protocol core (sg__ prefix). Not part of
 * the API; unit tests may use them to check single steps.
 */
#ifndef SERGUARD_INTERNAL_H
#define SERGUARD_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "serguard/cbor.h"
#include "serguard/cert.h"
#include "serguard/edhoc.h"

/* ==== EDHOC: key schedule and transcript (kdf.c) ========================== */

/* A piece of a byte sequence that is hashed/MACed without being built in
 * one buffer (context_2 with a whole certificate in it, for example). */
struct sg__part {
	const unsigned char *p;
	size_t len;
};

/* Where the diagnostic hook goes; fn NULL = off. */
struct sg__trace {
	sg_edhoc_trace_fn fn;
	void *ctx;
};

void sg__trace_parts(const struct sg__trace *t, const char *name, const struct sg__part *parts,
		     size_t n);
void sg__trace(const struct sg__trace *t, const char *name, const unsigned char *p, size_t len);

/* EDHOC_KDF info labels (RFC 9528 figure 6 and appendix H). */
enum sg__kdf_label {
	SG__KDF_KEYSTREAM_2 = 0,
	SG__KDF_SALT_3E2M = 1,
	SG__KDF_MAC_2 = 2,
	SG__KDF_K_3 = 3,
	SG__KDF_IV_3 = 4,
	SG__KDF_SALT_4E3M = 5,
	SG__KDF_MAC_3 = 6,
	SG__KDF_PRK_OUT = 7,
	SG__KDF_K_4 = 8,
	SG__KDF_IV_4 = 9,
	SG__KDF_PRK_EXPORTER = 10,
	SG__KDF_KEY_UPDATE = 11
};

/* Hash (SHA-256) of the concatenation of parts. */
int sg__hash_parts(const struct sg__part *parts, size_t n, unsigned char out[32]);

/*
 * EDHOC_KDF(PRK, label, context, length) = HKDF-Expand(PRK, info, length)
 * with info = (label: int, context: bstr, length: uint) as a CBOR
 * sequence, context given as parts. Output streamed block by block; with
 * xor_into the output is XORed into out (KEYSTREAM_2 applied in place).
 * length at most 8160. name/info_name: trace names (NULL: not traced).
 */
int sg__edhoc_kdf(const unsigned char prk[32], uint32_t label, const struct sg__part *ctx,
		  size_t nctx, unsigned char *out, size_t len, bool xor_into,
		  const struct sg__trace *t, const char *name, const char *info_name);

/* One step of the key schedule: label from the table, traced under the
 * RFC name of the output ("K_3") and of its info ("info_K_3"). */
int sg__kdf_step(const unsigned char prk[32], enum sg__kdf_label label,
		 const struct sg__part *ctx, size_t nctx, unsigned char *out, size_t len,
		 const struct sg__trace *t);

/* Same with context = one TH (encoded as bstr). */
int sg__kdf_th(const unsigned char prk[32], enum sg__kdf_label label, const unsigned char th[32],
	       unsigned char *out, size_t len, const struct sg__trace *t);

/* EDHOC_Extract(salt, IKM) = HMAC-SHA-256(salt, IKM), traced as name. */
int sg__extract(const unsigned char *salt, size_t salt_len, const unsigned char *ikm,
		size_t ikm_len, unsigned char prk[32], const struct sg__trace *t, const char *name);

/* TH = H(parts), with the input traced as input_name and the hash as name. */
int sg__transcript(const struct sg__part *parts, size_t n, unsigned char th[32],
		   const struct sg__trace *t, const char *input_name, const char *name);

/* A bstr head for len bytes, as a part backed by buf. */
struct sg__idcred;
struct sg__cred;
struct sg__part sg__bstr_head(unsigned char buf[SG_CBOR_HEAD_MAX], size_t len);

/* ==== EDHOC: credentials (cred.c) ========================================= */

/* CRED_x as it enters the transcript: head (bstr head of a DER
 * certificate, empty for a CCS) followed by body. */
struct sg__cred {
	unsigned char head[SG_CBOR_HEAD_MAX];
	size_t head_len;
	const unsigned char *body;
	size_t body_len;
};

/* ID_CRED_x: the full header map (map[0] || map[1]) used in context_x
 * and Sig_structure, and the form sent in PLAINTEXT_x (the map itself,
 * or the compact kid, RFC 9528 3.5.3.2). The struct points into itself:
 * use it in place, never copy it. */
struct sg__idcred {
	unsigned char buf[24];
	struct sg__part map[2];
	unsigned char compact[SG_EDHOC_KID_MAX + 2];
	size_t compact_len; /* 0: send the map */
	enum sg_edhoc_idcred kind;
};

size_t sg__cred_len(const struct sg__cred *c);

/* SHA-256 of the COSE Sig_structure for Signature_or_MAC_x (traced as
 * name, e.g. "Sig_structure_2_cbor"). */
int sg__sig_structure_hash(const struct sg__idcred *id, const unsigned char th[32],
			   const struct sg__cred *cred, const unsigned char *ead, size_t ead_len,
			   const unsigned char *mac, size_t mac_len, unsigned char hash[32],
			   const struct sg__trace *t, const char *name);
size_t sg__idcred_len(const struct sg__idcred *id);

/* Own ID_CRED/CRED from the configuration, identified the way `how` says. */
int sg__cred_own(const struct sg_edhoc_cred *own, enum sg_edhoc_idcred how,
		 struct sg__idcred *id, struct sg__cred *cred);

/* A peer's ID_CRED as read from a PLAINTEXT: the reference, decoded. */
struct sg__peer_ref {
	enum sg_edhoc_idcred kind;
	const unsigned char *ref; /* x5t hash, kid, or the x5chain leaf DER */
	size_t ref_len;
	const unsigned char *raw; /* the map as received (NULL: compact kid) */
	size_t raw_len;
};

/* Decode ID_CRED_x at the cursor: map (x5t, x5chain) or compact kid
 * (int or bstr). SG_EDECODE for encodings RFC 9528 forbids (a map with
 * only a kid, a one-byte kid as bstr), SG_ECREDTYPE for identifiers this
 * implementation does not support. */
int sg__idcred_decode(struct sg_cbor_dec *d, struct sg__peer_ref *ref);

/* The full ID_CRED map of a decoded reference (for context/Sig_structure). */
void sg__idcred_from_ref(const struct sg__peer_ref *ref, struct sg__idcred *id);

/* Public key and "sub" of a CCS holding an EC2 P-256 COSE_Key: fills
 * pub_x/pub_y, id.subject_cn and id.spki_hash. SG_ECERT if malformed,
 * SG_ECERTKEY if not a P-256 key. */
int sg__ccs_parse(const unsigned char *ccs, size_t len, struct sg_peer_cert *out);

/* A connection identifier or compact kid (RFC 9528 3.3.2): one byte that
 * is itself a one-byte CBOR int goes out as that int, anything else as a
 * bstr. */
void sg__put_bstr_or_int(struct sg_cbor_enc *enc, const unsigned char *v, size_t len);
/* Decode it back to bytes (at most max); SG_EDECODE for a non-canonical
 * form (a bstr holding one int-like byte), ints outside -24..23 or
 * anything else; SG_ELENGTH if longer than max. */
int sg__get_bstr_or_int(struct sg_cbor_dec *d, unsigned char *out, size_t max, size_t *len);
/* True for the 48 byte values that are one-byte CBOR ints. */
bool sg__byte_is_int(unsigned char b);

#endif
