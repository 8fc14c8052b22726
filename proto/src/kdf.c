/*
 * EDHOC key schedule and transcript (RFC 9528 section 4): EDHOC_Extract,
 * EDHOC_KDF with its info encoding, transcript hashes, labels in one
 * table.
 *
 * Implementation notes:
 * - Every input that can hold a certificate (context_2/3, the TH_3/TH_4
 *   input, the Sig_structure) is given as a list of parts and streamed
 *   into SHA-256/HMAC, so no buffer of certificate size is needed: a
 *   context_2 with x5chain is 2N+90 bytes.
 * - HKDF-Expand is computed here from the streaming HMAC rather than with
 *   sg_hkdf_expand(), because info is not in one buffer and because
 *   KEYSTREAM_2 is XORed block by block into PLAINTEXT_2 in place instead
 *   of being materialised (up to 8160 bytes).
 * - The trace hook, when set, sees every value under its RFC 9529 name;
 *   the names live in the label table next to the labels.
 */
#include <string.h>

#include "internal.h"
#include "serguard/crypto.h"

static const struct {
	const char *name, *info_name;
} kdf_names[] = {
	[SG__KDF_KEYSTREAM_2] = {"KEYSTREAM_2", "info_KEYSTREAM_2"},
	[SG__KDF_SALT_3E2M] = {"SALT_3e2m", "info_SALT_3e2m"},
	[SG__KDF_MAC_2] = {"MAC_2", "info_MAC_2"},
	[SG__KDF_K_3] = {"K_3", "info_K_3"},
	[SG__KDF_IV_3] = {"IV_3", "info_IV_3"},
	[SG__KDF_SALT_4E3M] = {"SALT_4e3m", "info_SALT_4e3m"},
	[SG__KDF_MAC_3] = {"MAC_3", "info_MAC_3"},
	[SG__KDF_PRK_OUT] = {"PRK_out", "info_PRK_out"},
	[SG__KDF_K_4] = {"K_4", "info_K_4"},
	[SG__KDF_IV_4] = {"IV_4", "info_IV_4"},
	[SG__KDF_PRK_EXPORTER] = {"PRK_exporter", "info_PRK_exporter"},
	[SG__KDF_KEY_UPDATE] = {"PRK_out", NULL},
};

void sg__trace_parts(const struct sg__trace *t, const char *name, const struct sg__part *parts,
		     size_t n)
{
	size_t i, last = 0;

	if (t == NULL || t->fn == NULL || name == NULL)
		return;
	/* Empty parts are skipped, but the value is always delivered once,
	 * with more == false on its last piece. */
	for (i = 0; i < n; i++)
		if (parts[i].len > 0)
			last = i;
	for (i = 0; i < n; i++) {
		if (parts[i].len == 0 && i != last)
			continue;
		t->fn(t->ctx, name, parts[i].p, parts[i].len, i != last);
		if (i == last)
			return;
	}
	t->fn(t->ctx, name, NULL, 0, false);
}

void sg__trace(const struct sg__trace *t, const char *name, const unsigned char *p, size_t len)
{
	struct sg__part part = {p, len};

	sg__trace_parts(t, name, &part, 1);
}

struct sg__part sg__bstr_head(unsigned char buf[SG_CBOR_HEAD_MAX], size_t len)
{
	struct sg__part part;

	part.p = buf;
	part.len = sg_cbor_head(buf, SG_CBOR_BSTR, (uint64_t)len);
	return part;
}

int sg__hash_parts(const struct sg__part *parts, size_t n, unsigned char out[32])
{
	struct sg_sha256 h;
	size_t i;
	int rc;

	if ((rc = sg_sha256_init(&h)) != 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++)
		rc = sg_sha256_update(&h, parts[i].p, parts[i].len);
	if (rc != 0) {
		sg_wipe(&h, sizeof(h));
		return rc;
	}
	return sg_sha256_finish(&h, out);
}

int sg__transcript(const struct sg__part *parts, size_t n, unsigned char th[32],
		   const struct sg__trace *t, const char *input_name, const char *name)
{
	int rc;

	sg__trace_parts(t, input_name, parts, n);
	if ((rc = sg__hash_parts(parts, n, th)) != 0)
		return rc;
	sg__trace(t, name, th, 32);
	return 0;
}

int sg__extract(const unsigned char *salt, size_t salt_len, const unsigned char *ikm,
		size_t ikm_len, unsigned char prk[32], const struct sg__trace *t, const char *name)
{
	int rc = sg_hkdf_extract(salt, salt_len, ikm, ikm_len, prk);

	if (rc == 0)
		sg__trace(t, name, prk, 32);
	return rc;
}

int sg__edhoc_kdf(const unsigned char prk[32], uint32_t label, const struct sg__part *ctx,
		  size_t nctx, unsigned char *out, size_t len, bool xor_into,
		  const struct sg__trace *t, const char *name, const char *info_name)
{
	/* info = label (int) || bstr head(context) || context || length (uint) */
	unsigned char lab[SG_CBOR_HEAD_MAX], chead[SG_CBOR_HEAD_MAX], lenc[SG_CBOR_HEAD_MAX];
	unsigned char block[32], counter = 0;
	size_t lab_len, chead_len, lenc_len, ctx_len = 0, done = 0, i, n, k;
	struct sg_hmac m;
	int rc = 0;

	if (len > SG_EDHOC_PLAINTEXT_2_MAX || (out == NULL && len > 0))
		return SG_EINVAL;
	for (i = 0; i < nctx; i++)
		ctx_len += ctx[i].len;
	lab_len = sg_cbor_head(lab, SG_CBOR_UINT, label);
	chead_len = sg_cbor_head(chead, SG_CBOR_BSTR, (uint64_t)ctx_len);
	lenc_len = sg_cbor_head(lenc, SG_CBOR_UINT, (uint64_t)len);

	if (t != NULL && t->fn != NULL && info_name != NULL) {
		struct sg__part pre[2] = {{lab, lab_len}, {chead, chead_len}};
		struct sg__part post = {lenc, lenc_len};

		t->fn(t->ctx, info_name, pre[0].p, pre[0].len, true);
		t->fn(t->ctx, info_name, pre[1].p, pre[1].len, true);
		for (i = 0; i < nctx; i++)
			if (ctx[i].len > 0)
				t->fn(t->ctx, info_name, ctx[i].p, ctx[i].len, true);
		t->fn(t->ctx, info_name, post.p, post.len, false);
	}

	/* HKDF-Expand (RFC 5869 2.3): T(i) = HMAC(PRK, T(i-1) || info || i) */
	while (done < len) {
		counter++;
		rc = sg_hmac_init(&m, prk, 32);
		if (rc == 0 && counter > 1)
			rc = sg_hmac_update(&m, block, sizeof(block));
		if (rc == 0)
			rc = sg_hmac_update(&m, lab, lab_len);
		if (rc == 0)
			rc = sg_hmac_update(&m, chead, chead_len);
		for (i = 0; i < nctx && rc == 0; i++)
			rc = sg_hmac_update(&m, ctx[i].p, ctx[i].len);
		if (rc == 0)
			rc = sg_hmac_update(&m, lenc, lenc_len);
		if (rc == 0)
			rc = sg_hmac_update(&m, &counter, 1);
		if (rc == 0)
			rc = sg_hmac_finish(&m, block);
		if (rc != 0)
			break;
		n = len - done < sizeof(block) ? len - done : sizeof(block);
		if (xor_into) {
			for (k = 0; k < n; k++)
				out[done + k] ^= block[k];
		} else {
			memcpy(out + done, block, n);
		}
		if (name != NULL && t != NULL && t->fn != NULL)
			t->fn(t->ctx, name, block, n, done + n < len);
		done += n;
	}
	sg_wipe(&m, sizeof(m));
	sg_wipe(block, sizeof(block));
	if (rc != 0 && out != NULL && !xor_into)
		sg_wipe(out, len);
	if (rc == 0 && len == 0 && name != NULL)
		sg__trace(t, name, NULL, 0);
	return rc;
}

int sg__kdf_step(const unsigned char prk[32], enum sg__kdf_label label,
		 const struct sg__part *ctx, size_t nctx, unsigned char *out, size_t len,
		 const struct sg__trace *t)
{
	return sg__edhoc_kdf(prk, (uint32_t)label, ctx, nctx, out, len,
			     label == SG__KDF_KEYSTREAM_2, t, kdf_names[label].name,
			     kdf_names[label].info_name);
}

int sg__kdf_th(const unsigned char prk[32], enum sg__kdf_label label, const unsigned char th[32],
	       unsigned char *out, size_t len, const struct sg__trace *t)
{
	struct sg__part part = {th, 32};

	return sg__kdf_step(prk, label, &part, 1, out, len, t);
}

int sg__sig_structure_hash(const struct sg__idcred *id, const unsigned char th[32],
			   const struct sg__cred *cred, const unsigned char *ead, size_t ead_len,
			   const unsigned char *mac, size_t mac_len, unsigned char hash[32],
			   const struct sg__trace *t, const char *name)
{
	/* COSE Sig_structure (RFC 9052 4.4) with EDHOC's inputs (RFC 9528
	 * 5.3.2): [ "Signature1", << ID_CRED_x >>, << TH_x, CRED_x, ? EAD_x >>,
	 * MAC_x ], hashed with SHA-256 as ES256 requires. */
	static const unsigned char prefix[] = {0x84, 0x6a, 'S', 'i', 'g', 'n', 'a',
					       't', 'u', 'r', 'e', '1'};
	static const unsigned char th_head[] = {0x58, 0x20};
	unsigned char h1[SG_CBOR_HEAD_MAX], h2[SG_CBOR_HEAD_MAX], h3[SG_CBOR_HEAD_MAX];
	struct sg__part parts[12];

	parts[0].p = prefix;
	parts[0].len = sizeof(prefix);
	parts[1] = sg__bstr_head(h1, sg__idcred_len(id));		 /* protected */
	parts[2] = id->map[0];
	parts[3] = id->map[1];
	parts[4] = sg__bstr_head(h2, 2 + 32 + sg__cred_len(cred) + ead_len); /* external_aad */
	parts[5].p = th_head;
	parts[5].len = sizeof(th_head);
	parts[6].p = th;
	parts[6].len = 32;
	parts[7].p = cred->head;
	parts[7].len = cred->head_len;
	parts[8].p = cred->body;
	parts[8].len = cred->body_len;
	parts[9].p = ead;
	parts[9].len = ead_len;
	parts[10] = sg__bstr_head(h3, mac_len); /* payload */
	parts[11].p = mac;
	parts[11].len = mac_len;
	sg__trace_parts(t, name, parts, 12);
	return sg__hash_parts(parts, 12, hash);
}
