/*
 * EDHOC against RFC 9529 (tests/vectors/edhoc/):
 *
 * - every symmetric step of trace 2 (method 3, suite 2) and trace 1
 *   (method 0, suite 0: the values that do not depend on Ed25519/X25519)
 *   recomputed from the trace's own intermediate values with the
 *   engine's key-schedule functions: TH_2..TH_4, PRK_2e, SALT_x, MAC_2/3,
 *   context_2/3, Sig_structure_2/3, KEYSTREAM_2, K_3/IV_3, K_4/IV_4,
 *   ciphertexts, PRK_out, PRK_exporter, exporter and key update;
 * - trace 2 end to end through two engines with the trace's ephemeral
 *   keys: every value the engines report equals the file's;
 * - the suite-6 error and retry of trace 2, and the negotiation with our
 *   own suites 2 and 3;
 * - every invalid message of RFC 9529 section 4, against a responder
 *   that accepts method 3 and suite 2 (and an initiator for message_2).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/src/internal.h"
#include "serguard/crypto.h"
#include "serguard/edhoc.h"
#include "tracebuf.h"
#include "vectorfile.h"

static struct vf t1, t2, inv;

static const unsigned char *V(const struct vf *vf, const char *name, size_t *len)
{
	size_t l;
	const unsigned char *p = vf_get(vf, name, &l);

	ck_assert_msg(p != NULL, "vector %s missing", name);
	if (len != NULL)
		*len = l;
	return p;
}

#define EXPECT(vf, name, data, len)                                                       \
	do {                                                                              \
		size_t el_;                                                               \
		const unsigned char *ev_ = V(vf, name, &el_);                             \
		ck_assert_msg(el_ == (size_t)(len), "%s: length %zu, expected %zu", name, \
			      (size_t)(len), el_);                                        \
		ck_assert_msg(memcmp(ev_, data, el_) == 0, "%s differs", name);           \
	} while (0)

#define EXPECT_TB(vf, tb, name)                                                           \
	do {                                                                              \
		size_t tl_;                                                               \
		const unsigned char *tv_ = tb_get(tb, name, &tl_);                        \
		ck_assert_msg(tv_ != NULL, "%s not produced", name);                      \
		EXPECT(vf, name, tv_, tl_);                                               \
	} while (0)

/* Deterministic RNG (xorshift64*): tests must reproduce. */
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

/* ==== symmetric steps, shared by both traces =============================== */

/* CRED_x as it enters the transcript: the bstr form for a certificate
 * (trace 1), the CCS as it is (trace 2). */
static void file_cred(const struct vf *vf, const char *who, struct sg__cred *c)
{
	char n[32];
	const unsigned char *p;
	size_t len;

	memset(c, 0, sizeof(*c));
	snprintf(n, sizeof(n), "CRED_%s_cbor", who);
	p = vf_get(vf, n, &len);
	if (p == NULL) {
		snprintf(n, sizeof(n), "CRED_%s", who);
		p = V(vf, n, &len);
	}
	c->body = p;
	c->body_len = len;
}

static void file_idcred(const struct vf *vf, const char *name, struct sg__idcred *id)
{
	memset(id, 0, sizeof(*id));
	id->map[0].p = V(vf, name, &id->map[0].len);
}

/*
 * From the trace's intermediate values (TH_2 from G_Y and H(message_1),
 * PRK_2e from G_XY, PRK_3e2m/PRK_4e3m as printed), recompute everything
 * the key schedule and the COSE structures produce. `sig`: method 0
 * (signature) traces, where MAC_x is hash_length and a Sig_structure is
 * built.
 */
static void symmetric_steps(const struct vf *vf, bool sig)
{
	struct tracebuf tb;
	struct sg__trace tr = {tb_hook, &tb};
	struct sg__part parts[8];
	struct sg__idcred id_r, id_i;
	struct sg__cred cred_r, cred_i;
	struct sg_cbor_enc enc;
	unsigned char hb[SG_CBOR_HEAD_MAX], hb2[SG_CBOR_HEAD_MAX], th_head[2] = {0x58, 0x20};
	unsigned char h[32], th_2[32], th_3[32], th_4[32], prk_2e[32], out[32], hash[32];
	unsigned char buf[1024], ct[1024], a[45];
	const unsigned char *m1, *g_y, *g_xy, *prk_3e2m, *prk_4e3m, *pt2, *pt3, *c_r_cbor;
	const unsigned char *ks, *ku, *prk_out, *prk_exp;
	size_t m1_len, pt2_len, pt3_len, c_r_len, mac_len, ks_len, ku_len, len;
	const size_t tag = 8; /* suites 0 and 2: AES-CCM-16-64-128 */

	tb_init(&tb);
	m1 = V(vf, "message_1", &m1_len);
	g_y = V(vf, "G_Y", NULL);
	g_xy = V(vf, "G_XY", NULL);
	prk_3e2m = V(vf, "PRK_3e2m", NULL);
	prk_4e3m = V(vf, "PRK_4e3m", NULL);
	pt2 = V(vf, "PLAINTEXT_2", &pt2_len);
	pt3 = V(vf, "PLAINTEXT_3", &pt3_len);
	c_r_cbor = V(vf, "C_R_cbor", &c_r_len);
	file_cred(vf, "R", &cred_r);
	file_cred(vf, "I", &cred_i);
	file_idcred(vf, "ID_CRED_R", &id_r);
	file_idcred(vf, "ID_CRED_I", &id_i);
	mac_len = sig ? 32 : 8;

	/* H(message_1), TH_2 = H(G_Y, H(message_1)) */
	ck_assert_int_eq(sg_sha256(m1, m1_len, h), 0);
	EXPECT(vf, "H_message_1", h, 32);
	parts[0] = sg__bstr_head(hb, 32);
	parts[1].p = g_y;
	parts[1].len = 32;
	parts[2] = sg__bstr_head(hb2, 32);
	parts[3].p = h;
	parts[3].len = 32;
	ck_assert_int_eq(sg__transcript(parts, 4, th_2, &tr, "input_TH_2", "TH_2"), 0);
	EXPECT_TB(vf, &tb, "input_TH_2");
	EXPECT(vf, "TH_2", th_2, 32);

	/* PRK_2e = EDHOC_Extract(TH_2, G_XY) */
	ck_assert_int_eq(sg__extract(th_2, 32, g_xy, 32, prk_2e, &tr, "PRK_2e"), 0);
	EXPECT(vf, "PRK_2e", prk_2e, 32);
	EXPECT(vf, "salt_PRK_2e", th_2, 32);
	if (sig) {
		/* signature methods: PRK_3e2m = PRK_2e, PRK_4e3m = PRK_3e2m */
		EXPECT(vf, "PRK_3e2m", prk_2e, 32);
		EXPECT(vf, "PRK_4e3m", prk_2e, 32);
	} else {
		ck_assert_int_eq(sg__kdf_th(prk_2e, SG__KDF_SALT_3E2M, th_2, out, 32, &tr), 0);
		EXPECT(vf, "SALT_3e2m", out, 32);
		EXPECT_TB(vf, &tb, "info_SALT_3e2m");
	}

	/* MAC_2 = EDHOC_KDF(PRK_3e2m, 2, context_2, mac_length_2),
	 * context_2 = << C_R, ID_CRED_R, TH_2, CRED_R, ? EAD_2 >> */
	parts[0].p = c_r_cbor;
	parts[0].len = c_r_len;
	parts[1] = id_r.map[0];
	parts[2].p = th_head;
	parts[2].len = 2;
	parts[3].p = th_2;
	parts[3].len = 32;
	parts[4].p = cred_r.body;
	parts[4].len = cred_r.body_len;
	sg__trace_parts(&tr, "context_2", parts, 5);
	EXPECT_TB(vf, &tb, "context_2");
	ck_assert_int_eq(sg__kdf_step(prk_3e2m, SG__KDF_MAC_2, parts, 5, out, mac_len, &tr), 0);
	EXPECT(vf, "MAC_2", out, mac_len);
	EXPECT_TB(vf, &tb, "info_MAC_2");
	if (sig) {
		/* external_aad = << TH_2, CRED_R >> with CRED_R = bstr(DER) */
		struct sg__cred c;

		memset(&c, 0, sizeof(c));
		c.body = V(vf, "CRED_R", &c.body_len);
		c.head_len = sg_cbor_head(c.head, SG_CBOR_BSTR, c.body_len);
		ck_assert_int_eq(sg__sig_structure_hash(&id_r, th_2, &c, NULL, 0, out, mac_len,
							hash, &tr, "Sig_structure_2_cbor"),
				 0);
		EXPECT_TB(vf, &tb, "Sig_structure_2_cbor");
		V(vf, "Sig_structure_2_cbor", &len);
		ck_assert_int_eq(sg_sha256(tb_get(&tb, "Sig_structure_2_cbor", NULL), len, h), 0);
		ck_assert_mem_eq(hash, h, 32);
	} else {
		EXPECT(vf, "Signature_or_MAC_2", out, mac_len);
	}

	/* PLAINTEXT_2 = ( C_R, ID_CRED_R, Signature_or_MAC_2 ) */
	sg_cbor_enc_init(&enc, buf, sizeof(buf));
	sg_cbor_put_raw(&enc, c_r_cbor, c_r_len);
	{
		const unsigned char *sm;
		size_t sm_len;

		if (sig) {
			sg_cbor_put_raw(&enc, id_r.map[0].p, id_r.map[0].len);
		} else {
			/* a lone kid goes compact */
			struct sg_cbor_dec d;
			struct sg__peer_ref ref;
			unsigned char kid[8];
			size_t kl;

			sg_cbor_dec_init(&d, id_r.map[0].p + 2, id_r.map[0].len - 2);
			ck_assert_int_eq(sg_cbor_get_bstr(&d, &sm, &kl), 0);
			memcpy(kid, sm, kl);
			sg__put_bstr_or_int(&enc, kid, kl);
			(void)ref;
		}
		sm = V(vf, "Signature_or_MAC_2", &sm_len);
		sg_cbor_put_bstr(&enc, sm, sm_len);
	}
	ck_assert_int_eq(sg_cbor_enc_finish(&enc, &len), 0);
	EXPECT(vf, "PLAINTEXT_2", buf, len);

	/* KEYSTREAM_2 = EDHOC_KDF(PRK_2e, 0, TH_2, plaintext_length);
	 * CIPHERTEXT_2 = PLAINTEXT_2 XOR KEYSTREAM_2, XORed in place */
	memcpy(ct, pt2, pt2_len);
	ck_assert_int_eq(sg__kdf_th(prk_2e, SG__KDF_KEYSTREAM_2, th_2, ct, pt2_len, &tr), 0);
	EXPECT(vf, "CIPHERTEXT_2", ct, pt2_len);
	EXPECT_TB(vf, &tb, "KEYSTREAM_2");
	EXPECT_TB(vf, &tb, "info_KEYSTREAM_2");
	ks = V(vf, "KEYSTREAM_2", &ks_len);
	ck_assert_uint_eq(ks_len, pt2_len);
	for (len = 0; len < pt2_len; len++)
		ck_assert_uint_eq(ct[len], pt2[len] ^ ks[len]);
	sg_cbor_enc_init(&enc, buf, sizeof(buf));
	sg_cbor_put_bstr_head(&enc, 32 + pt2_len);
	sg_cbor_put_raw(&enc, g_y, 32);
	sg_cbor_put_raw(&enc, ct, pt2_len);
	ck_assert_int_eq(sg_cbor_enc_finish(&enc, &len), 0);
	EXPECT(vf, "message_2", buf, len);

	/* TH_3 = H(TH_2, PLAINTEXT_2, CRED_R) */
	parts[0].p = th_head;
	parts[0].len = 2;
	parts[1].p = th_2;
	parts[1].len = 32;
	parts[2].p = pt2;
	parts[2].len = pt2_len;
	parts[3].p = cred_r.body;
	parts[3].len = cred_r.body_len;
	ck_assert_int_eq(sg__transcript(parts, 4, th_3, &tr, "input_TH_3", "TH_3"), 0);
	EXPECT_TB(vf, &tb, "input_TH_3");
	EXPECT(vf, "TH_3", th_3, 32);
	if (!sig) {
		ck_assert_int_eq(sg__kdf_th(prk_3e2m, SG__KDF_SALT_4E3M, th_3, out, 32, &tr), 0);
		EXPECT(vf, "SALT_4e3m", out, 32);
		EXPECT_TB(vf, &tb, "info_SALT_4e3m");
	}

	/* MAC_3 over context_3 = << ID_CRED_I, TH_3, CRED_I >> */
	parts[0] = id_i.map[0];
	parts[1].p = th_head;
	parts[1].len = 2;
	parts[2].p = th_3;
	parts[2].len = 32;
	parts[3].p = cred_i.body;
	parts[3].len = cred_i.body_len;
	sg__trace_parts(&tr, "context_3", parts, 4);
	EXPECT_TB(vf, &tb, "context_3");
	ck_assert_int_eq(sg__kdf_step(prk_4e3m, SG__KDF_MAC_3, parts, 4, out, mac_len, &tr), 0);
	EXPECT(vf, "MAC_3", out, mac_len);
	EXPECT_TB(vf, &tb, "info_MAC_3");
	if (sig) {
		struct sg__cred c;

		memset(&c, 0, sizeof(c));
		c.body = V(vf, "CRED_I", &c.body_len);
		c.head_len = sg_cbor_head(c.head, SG_CBOR_BSTR, c.body_len);
		ck_assert_int_eq(sg__sig_structure_hash(&id_i, th_3, &c, NULL, 0, out, mac_len,
							hash, &tr, "Sig_structure_3_cbor"),
				 0);
		EXPECT_TB(vf, &tb, "Sig_structure_3_cbor");
	} else {
		EXPECT(vf, "Signature_or_MAC_3", out, mac_len);
	}

	/* K_3, IV_3, A_3 = ["Encrypt0", h'', TH_3], CIPHERTEXT_3 */
	ck_assert_int_eq(sg__kdf_th(prk_3e2m, SG__KDF_K_3, th_3, out, 16, &tr), 0);
	EXPECT(vf, "K_3", out, 16);
	EXPECT_TB(vf, &tb, "info_K_3");
	ck_assert_int_eq(sg__kdf_th(prk_3e2m, SG__KDF_IV_3, th_3, out + 16, 13, &tr), 0);
	EXPECT(vf, "IV_3", out + 16, 13);
	EXPECT_TB(vf, &tb, "info_IV_3");
	sg_cbor_enc_init(&enc, a, sizeof(a));
	sg_cbor_put_array(&enc, 3);
	sg_cbor_put_tstr(&enc, "Encrypt0", 8);
	sg_cbor_put_bstr(&enc, NULL, 0);
	sg_cbor_put_bstr(&enc, th_3, 32);
	ck_assert_int_eq(sg_cbor_enc_finish(&enc, &len), 0);
	EXPECT(vf, "A_3", a, len);
	ck_assert_int_eq(sg_ccm_seal(out, out + 16, a, sizeof(a), pt3, pt3_len, ct, tag), 0);
	EXPECT(vf, "CIPHERTEXT_3", ct, pt3_len + tag);
	ck_assert_int_eq(sg_ccm_open(out, out + 16, a, sizeof(a), ct, pt3_len + tag, buf, tag), 0);
	ck_assert_mem_eq(buf, pt3, pt3_len);
	sg_cbor_enc_init(&enc, buf, sizeof(buf));
	sg_cbor_put_bstr(&enc, ct, pt3_len + tag);
	ck_assert_int_eq(sg_cbor_enc_finish(&enc, &len), 0);
	EXPECT(vf, "message_3", buf, len);

	/* TH_4 = H(TH_3, PLAINTEXT_3, CRED_I) */
	parts[0].p = th_head;
	parts[0].len = 2;
	parts[1].p = th_3;
	parts[1].len = 32;
	parts[2].p = pt3;
	parts[2].len = pt3_len;
	parts[3].p = cred_i.body;
	parts[3].len = cred_i.body_len;
	ck_assert_int_eq(sg__transcript(parts, 4, th_4, &tr, "input_TH_4", "TH_4"), 0);
	EXPECT_TB(vf, &tb, "input_TH_4");
	EXPECT(vf, "TH_4", th_4, 32);

	/* PRK_out, K_4, IV_4, CIPHERTEXT_4 (empty PLAINTEXT_4), message_4 */
	ck_assert_int_eq(sg__kdf_th(prk_4e3m, SG__KDF_PRK_OUT, th_4, out, 32, &tr), 0);
	EXPECT(vf, "PRK_out", out, 32);
	EXPECT_TB(vf, &tb, "info_PRK_out");
	ck_assert_int_eq(sg__kdf_th(prk_4e3m, SG__KDF_K_4, th_4, out, 16, &tr), 0);
	EXPECT(vf, "K_4", out, 16);
	EXPECT_TB(vf, &tb, "info_K_4");
	ck_assert_int_eq(sg__kdf_th(prk_4e3m, SG__KDF_IV_4, th_4, out + 16, 13, &tr), 0);
	EXPECT(vf, "IV_4", out + 16, 13);
	EXPECT_TB(vf, &tb, "info_IV_4");
	memcpy(a + 13, th_4, 32);
	EXPECT(vf, "A_4", a, sizeof(a));
	ck_assert_int_eq(sg_ccm_seal(out, out + 16, a, sizeof(a), NULL, 0, ct, tag), 0);
	EXPECT(vf, "CIPHERTEXT_4", ct, tag);
	sg_cbor_enc_init(&enc, buf, sizeof(buf));
	sg_cbor_put_bstr(&enc, ct, tag);
	ck_assert_int_eq(sg_cbor_enc_finish(&enc, &len), 0);
	EXPECT(vf, "message_4", buf, len);

	/* PRK_exporter = EDHOC_KDF(PRK_out, 10, h'', 32); exporter labels 0/1 */
	prk_out = V(vf, "PRK_out", NULL);
	ck_assert_int_eq(sg__kdf_step(prk_out, SG__KDF_PRK_EXPORTER, NULL, 0, out, 32, &tr), 0);
	EXPECT(vf, "PRK_exporter", out, 32);
	EXPECT_TB(vf, &tb, "info_PRK_exporter");
	prk_exp = V(vf, "PRK_exporter", NULL);
	ck_assert_int_eq(sg__edhoc_kdf(prk_exp, 0, NULL, 0, out, 16, false, &tr, NULL,
				       "info_OSCORE_Master_Secret"),
			 0);
	EXPECT(vf, "OSCORE_Master_Secret", out, 16);
	EXPECT_TB(vf, &tb, "info_OSCORE_Master_Secret");
	ck_assert_int_eq(sg__edhoc_kdf(prk_exp, 1, NULL, 0, out, 8, false, &tr, NULL,
				       "info_OSCORE_Master_Salt"),
			 0);
	EXPECT(vf, "OSCORE_Master_Salt", out, 8);
	EXPECT_TB(vf, &tb, "info_OSCORE_Master_Salt");

	/* EDHOC_KeyUpdate(context): PRK_out = EDHOC_KDF(PRK_out, 11, context, 32) */
	ku = V(vf, "KeyUpdate_context", &ku_len);
	parts[0].p = ku;
	parts[0].len = ku_len;
	ck_assert_int_eq(sg__kdf_step(prk_out, SG__KDF_KEY_UPDATE, parts, 1, out, 32, NULL), 0);
	EXPECT(vf, "PRK_out_after_KeyUpdate", out, 32);
	ck_assert_int_eq(sg__kdf_step(out, SG__KDF_PRK_EXPORTER, NULL, 0, hash, 32, NULL), 0);
	EXPECT(vf, "PRK_exporter_after_KeyUpdate", hash, 32);
	ck_assert_int_eq(sg__edhoc_kdf(hash, 0, NULL, 0, out, 16, false, NULL, NULL, NULL), 0);
	EXPECT(vf, "OSCORE_Master_Secret_after_KeyUpdate", out, 16);
	ck_assert_int_eq(sg__edhoc_kdf(hash, 1, NULL, 0, out, 8, false, NULL, NULL, NULL), 0);
	EXPECT(vf, "OSCORE_Master_Salt_after_KeyUpdate", out, 8);

	ck_assert_uint_eq(tb.conflicts, 0);
	tb_free(&tb);
}

START_TEST(trace2_symmetric_steps)
{
	symmetric_steps(&t2, false);
}
END_TEST

START_TEST(trace1_method0_symmetric_steps)
{
	symmetric_steps(&t1, true);
}
END_TEST

/* Trace 2's P-256 steps: the ECDH values and the static keys in the CCS. */
START_TEST(trace2_p256_steps)
{
	struct sg_peer_cert peer;
	unsigned char out[32], y[32];
	const unsigned char *cr, *ci;
	size_t cr_len, ci_len;

	ck_assert_int_eq(sg_p256_ecdh(V(&t2, "X", NULL), V(&t2, "G_Y", NULL), out), 0);
	EXPECT(&t2, "G_XY", out, 32);
	ck_assert_int_eq(sg_p256_ecdh(V(&t2, "Y", NULL), V(&t2, "G_X", NULL), out), 0);
	EXPECT(&t2, "G_XY", out, 32);
	ck_assert_int_eq(sg_p256_ecdh(V(&t2, "SK_R", NULL), V(&t2, "G_X", NULL), out), 0);
	EXPECT(&t2, "G_RX", out, 32);
	ck_assert_int_eq(sg_p256_ecdh(V(&t2, "X", NULL), V(&t2, "G_R_x", NULL), out), 0);
	EXPECT(&t2, "G_RX", out, 32);
	ck_assert_int_eq(sg_p256_ecdh(V(&t2, "SK_I", NULL), V(&t2, "G_Y", NULL), out), 0);
	EXPECT(&t2, "G_IY", out, 32);
	ck_assert_int_eq(sg_p256_ecdh(V(&t2, "Y", NULL), V(&t2, "G_I_x", NULL), out), 0);
	EXPECT(&t2, "G_IY", out, 32);
	ck_assert_int_eq(sg__extract(V(&t2, "SALT_3e2m", NULL), 32, V(&t2, "G_RX", NULL), 32,
				     out, NULL, NULL),
			 0);
	EXPECT(&t2, "PRK_3e2m", out, 32);
	ck_assert_int_eq(sg__extract(V(&t2, "SALT_4e3m", NULL), 32, V(&t2, "G_IY", NULL), 32,
				     out, NULL, NULL),
			 0);
	EXPECT(&t2, "PRK_4e3m", out, 32);
	ck_assert_int_eq(sg_p256_public(V(&t2, "X", NULL), out, y), 0);
	EXPECT(&t2, "G_X", out, 32);

	/* the raw keys of the CCS credentials */
	cr = V(&t2, "CRED_R", &cr_len);
	ck_assert_int_eq(sg__ccs_parse(cr, cr_len, &peer), 0);
	EXPECT(&t2, "G_R_x", peer.pub_x, 32);
	EXPECT(&t2, "G_R_y", peer.pub_y, 32);
	ck_assert_str_eq(peer.id.subject_cn, "example.edu");
	ci = V(&t2, "CRED_I", &ci_len);
	ck_assert_int_eq(sg__ccs_parse(ci, ci_len, &peer), 0);
	EXPECT(&t2, "G_I_x", peer.pub_x, 32);
	EXPECT(&t2, "G_I_y", peer.pub_y, 32);
	ck_assert_str_eq(peer.id.subject_cn, "42-50-31-FF-EF-37-32-39");
	ck_assert_int_eq(sg__ccs_parse(cr, cr_len - 1, &peer), SG_ECERT);
}
END_TEST

/* ID_CRED_x of own credentials: kid (trace 2) and x5t (trace 1: the
 * SHA-256/64 of the certificate equals the printed x5t). */
START_TEST(own_id_cred_encodings)
{
	struct sg_edhoc_cred c;
	struct sg__idcred id;
	struct sg__cred cred;
	unsigned char buf[512];
	size_t len;

	memset(&c, 0, sizeof(c));
	c.type = SG_EDHOC_CRED_CCS;
	c.bytes = V(&t2, "CRED_R", &c.len);
	c.kid = (const unsigned char *)"\x32";
	c.kid_len = 1;
	ck_assert_int_eq(sg__cred_own(&c, SG_EDHOC_ID_KID, &id, &cred), 0);
	EXPECT(&t2, "ID_CRED_R", id.map[0].p, id.map[0].len);
	ck_assert_uint_eq(id.map[1].len, 0);
	ck_assert_uint_eq(id.compact_len, 1);
	ck_assert_uint_eq(id.compact[0], 0x32);
	EXPECT(&t2, "CRED_R", cred.body, cred.body_len);
	ck_assert_uint_eq(cred.head_len, 0);
	ck_assert_int_eq(sg__cred_own(&c, SG_EDHOC_ID_X5T, &id, &cred), SG_ECONFIG);

	c.type = SG_EDHOC_CRED_X509;
	c.bytes = V(&t1, "CRED_R", &c.len);
	ck_assert_int_eq(sg__cred_own(&c, SG_EDHOC_ID_X5T, &id, &cred), 0);
	EXPECT(&t1, "ID_CRED_R", id.map[0].p, id.map[0].len);
	memcpy(buf, cred.head, cred.head_len);
	memcpy(buf + cred.head_len, cred.body, cred.body_len);
	EXPECT(&t1, "CRED_R_cbor", buf, cred.head_len + cred.body_len);
	c.bytes = V(&t1, "CRED_I", &c.len);
	ck_assert_int_eq(sg__cred_own(&c, SG_EDHOC_ID_X5T, &id, &cred), 0);
	EXPECT(&t1, "ID_CRED_I", id.map[0].p, id.map[0].len);
	/* x5chain: {33: bstr(DER)} with the DER referenced, not copied */
	ck_assert_int_eq(sg__cred_own(&c, SG_EDHOC_ID_X5CHAIN, &id, &cred), 0);
	ck_assert_ptr_eq(id.map[1].p, c.bytes);
	ck_assert_uint_eq(id.map[0].len, 5); /* a1 18 21 58 f1 */
	ck_assert_uint_eq(id.map[0].p[0], 0xa1);
	ck_assert_uint_eq(id.map[0].p[2], 0x21);
	len = sg__idcred_len(&id);
	ck_assert_uint_eq(len, 5 + c.len);
}
END_TEST

/* Decoding PLAINTEXT_2 of both traces with the engine's parsers. */
START_TEST(plaintext_2_decoding)
{
	struct sg_cbor_dec d;
	struct sg__peer_ref ref;
	struct sg__idcred id;
	const unsigned char *pt, *sm, *x5t;
	unsigned char c_r[8];
	size_t pt_len, n, sm_len, x5t_len;

	pt = V(&t1, "PLAINTEXT_2", &pt_len);
	sg_cbor_dec_init(&d, pt, pt_len);
	ck_assert_int_eq(sg__get_bstr_or_int(&d, c_r, sizeof(c_r), &n), 0);
	EXPECT(&t1, "C_R", c_r, n);
	ck_assert_int_eq(sg__idcred_decode(&d, &ref), 0);
	ck_assert_int_eq(ref.kind, SG_EDHOC_ID_X5T);
	x5t = V(&t1, "ID_CRED_R", &x5t_len);
	ck_assert_uint_eq(ref.ref_len, 8);
	ck_assert_mem_eq(ref.ref, x5t + x5t_len - 8, 8);
	sg__idcred_from_ref(&ref, &id);
	EXPECT(&t1, "ID_CRED_R", id.map[0].p, id.map[0].len);
	ck_assert_int_eq(sg_cbor_get_bstr(&d, &sm, &sm_len), 0);
	EXPECT(&t1, "Signature_or_MAC_2", sm, sm_len);
	ck_assert(sg_cbor_dec_done(&d));

	pt = V(&t2, "PLAINTEXT_2", &pt_len);
	sg_cbor_dec_init(&d, pt, pt_len);
	ck_assert_int_eq(sg__get_bstr_or_int(&d, c_r, sizeof(c_r), &n), 0);
	EXPECT(&t2, "C_R", c_r, n);
	ck_assert_int_eq(sg__idcred_decode(&d, &ref), 0);
	ck_assert_int_eq(ref.kind, SG_EDHOC_ID_KID);
	ck_assert_uint_eq(ref.ref_len, 1);
	ck_assert_uint_eq(ref.ref[0], 0x32);
	sg__idcred_from_ref(&ref, &id);
	EXPECT(&t2, "ID_CRED_R", id.map[0].p, id.map[0].len);
	ck_assert_int_eq(sg_cbor_get_bstr(&d, &sm, &sm_len), 0);
	EXPECT(&t2, "MAC_2", sm, sm_len);
	ck_assert(sg_cbor_dec_done(&d));
}
END_TEST

/* ==== trace 2 through the engines ========================================== */

struct party {
	struct sg_edhoc_config cfg;
	struct sg_edhoc e;
	uint64_t rng;
	const struct vf *vf;
	int identity_calls;
	char last_sub[65];
};

/* kid lookup: the peer's CCS from the trace. */
static int t2_lookup(void *ctx, enum sg_edhoc_idcred kind, const unsigned char *ref,
		     size_t ref_len, const unsigned char **cred, size_t *len)
{
	const struct vf *vf = ctx;

	if (kind != SG_EDHOC_ID_KID || ref_len != 1)
		return -1;
	if (ref[0] == 0x32)
		*cred = V(vf, "CRED_R", len);
	else if (ref[0] == 0x2b)
		*cred = V(vf, "CRED_I", len);
	else
		return -1;
	return 0;
}

static int allow_all(void *ctx, const struct sg_peer_cert *peer)
{
	struct party *p = ctx;

	p->identity_calls++;
	snprintf(p->last_sub, sizeof(p->last_sub), "%s", peer->id.subject_cn);
	return 0;
}

static const uint8_t suite2[] = {2};

/* Trace 2's parties: static DH credentials by kid, C_I 0x37, C_R 0x27. */
static void t2_party(struct party *p, enum sg_edhoc_role role, struct tracebuf *tb)
{
	memset(p, 0, sizeof(*p));
	p->vf = &t2;
	p->rng = role == SG_EDHOC_INITIATOR ? 1 : 2;
	p->cfg.role = role;
	p->cfg.method = SG_EDHOC_METHOD_STATIC_DH;
	p->cfg.methods = SG_EDHOC_METHOD_BIT(SG_EDHOC_METHOD_STATIC_DH);
	memcpy(p->cfg.suites, suite2, sizeof(suite2));
	p->cfg.n_suites = 1;
	p->cfg.cred.type = SG_EDHOC_CRED_CCS;
	p->cfg.cred.bytes = V(&t2, role == SG_EDHOC_INITIATOR ? "CRED_I" : "CRED_R", &p->cfg.cred.len);
	p->cfg.cred.kid = (const unsigned char *)(role == SG_EDHOC_INITIATOR ? "\x2b" : "\x32");
	p->cfg.cred.kid_len = 1;
	p->cfg.id_cred = SG_EDHOC_ID_KID;
	p->cfg.priv = V(&t2, role == SG_EDHOC_INITIATOR ? "SK_I" : "SK_R", NULL);
	p->cfg.cid = V(&t2, role == SG_EDHOC_INITIATOR ? "C_I" : "C_R", &p->cfg.cid_len);
	p->cfg.cert_policy.now = SG_TIME_UNKNOWN;
	p->cfg.check_identity = allow_all;
	p->cfg.identity_ctx = p;
	p->cfg.lookup = t2_lookup;
	p->cfg.lookup_ctx = (void *)&t2;
	p->cfg.rng = test_rng;
	p->cfg.rng_ctx = &p->rng;
	if (tb != NULL) {
		p->cfg.trace = tb_hook;
		p->cfg.trace_ctx = tb;
	}
	ck_assert_int_eq(sg_edhoc_init(&p->e, &p->cfg), 0);
}

static const int16_t trace2_suites_i[] = {6, 2};

START_TEST(trace2_end_to_end)
{
	struct tracebuf tb;
	struct party *i = calloc(1, sizeof(*i)), *r = calloc(1, sizeof(*r));
	unsigned char m[256], copy[256], out[64], out2[64];
	size_t len, n, compared = 0, k;
	const unsigned char *ku;
	size_t ku_len;
	static const char *const must[] = {
		"H_message_1", "input_TH_2", "TH_2", "G_XY", "PRK_2e", "info_SALT_3e2m",
		"SALT_3e2m", "G_RX", "PRK_3e2m", "context_2", "info_MAC_2", "MAC_2",
		"Signature_or_MAC_2", "PLAINTEXT_2", "info_KEYSTREAM_2", "KEYSTREAM_2",
		"CIPHERTEXT_2", "input_TH_3", "TH_3", "info_SALT_4e3m", "SALT_4e3m", "G_IY",
		"PRK_4e3m", "context_3", "info_MAC_3", "MAC_3", "Signature_or_MAC_3",
		"PLAINTEXT_3", "A_3", "info_K_3", "K_3", "info_IV_3", "IV_3", "CIPHERTEXT_3",
		"input_TH_4", "TH_4", "info_PRK_out", "PRK_out", "info_PRK_exporter",
		"PRK_exporter", "A_4", "info_K_4", "K_4", "info_IV_4", "IV_4", "CIPHERTEXT_4",
		"G_X", "G_Y", "C_I", "C_R"};

	tb_init(&tb);
	t2_party(i, SG_EDHOC_INITIATOR, &tb);
	t2_party(r, SG_EDHOC_RESPONDER, &tb);
	ck_assert_int_eq(sg_edhoc_test_ephemeral(&i->e, V(&t2, "X", NULL)), 0);
	ck_assert_int_eq(sg_edhoc_test_suites_i(&i->e, trace2_suites_i, 2), 0);
	ck_assert_int_eq(sg_edhoc_test_ephemeral(&r->e, V(&t2, "Y", NULL)), 0);

	ck_assert_int_eq(sg_edhoc_write_message_1(&i->e, m, sizeof(m), &len), 0);
	EXPECT(&t2, "message_1", m, len);
	ck_assert_int_eq(sg_edhoc_state(&i->e), SG_EDHOC_WAIT_M2);
	ck_assert_int_eq(sg_edhoc_process_message_1(&r->e, m, len), 0);

	ck_assert_int_eq(sg_edhoc_write_message_2(&r->e, m, sizeof(m), &len), 0);
	EXPECT(&t2, "message_2", m, len);
	/* written once: a second call would reuse KEYSTREAM_2 */
	ck_assert_int_eq(sg_edhoc_write_message_2(&r->e, copy, sizeof(copy), &n), SG_ESTATE);
	ck_assert_int_eq(sg_edhoc_process_message_2(&i->e, m, len), 0);
	ck_assert_int_eq(i->identity_calls, 1);
	ck_assert_str_eq(i->last_sub, "example.edu");

	ck_assert_int_eq(sg_edhoc_write_message_3(&i->e, m, sizeof(m), &len), 0);
	EXPECT(&t2, "message_3", m, len);
	ck_assert(sg_edhoc_established(&i->e));
	ck_assert_int_eq(sg_edhoc_write_message_3(&i->e, copy, sizeof(copy), &n), SG_ESTATE);
	memcpy(copy, m, len);
	ck_assert_int_eq(sg_edhoc_process_message_3(&r->e, m, len), 0);
	ck_assert_int_eq(r->identity_calls, 1);
	ck_assert_str_eq(r->last_sub, "42-50-31-FF-EF-37-32-39");
	ck_assert_int_eq(sg_edhoc_state(&r->e), SG_EDHOC_ESTABLISHED);
	/* the same message_3 again is not processed twice */
	ck_assert_int_eq(sg_edhoc_process_message_3(&r->e, copy, len), SG_EUNEXPECTED);
	ck_assert_int_eq(sg_edhoc_state(&r->e), SG_EDHOC_ESTABLISHED);

	ck_assert_int_eq(sg_edhoc_write_message_4(&r->e, m, sizeof(m), &len), 0);
	EXPECT(&t2, "message_4", m, len);
	ck_assert_int_eq(sg_edhoc_process_message_4(&i->e, m, len), 0);
	ck_assert_int_eq(sg_edhoc_state(&i->e), SG_EDHOC_ESTABLISHED);
	ck_assert_int_eq(sg_edhoc_state(&r->e), SG_EDHOC_DONE);

	/* every value reported by the engines equals the trace's */
	ck_assert_msg(tb.conflicts == 0, "initiator and responder disagree on %s",
		      tb.conflict_name);
	for (k = 0; k < tb.count; k++) {
		size_t fl;
		const unsigned char *fv = vf_get(&t2, tb.items[k].name, &fl);

		if (fv == NULL)
			continue;
		ck_assert_msg(fl == tb.items[k].len && memcmp(fv, tb.items[k].data, fl) == 0,
			      "%s differs from RFC 9529", tb.items[k].name);
		compared++;
	}
	for (k = 0; k < sizeof(must) / sizeof(must[0]); k++)
		ck_assert_msg(tb_get(&tb, must[k], NULL) != NULL, "%s not reported", must[k]);
	ck_assert_uint_ge(compared, sizeof(must) / sizeof(must[0]));

	/* connection identifiers and exporter (OSCORE, RFC 9528 A.1) */
	ck_assert_mem_eq(sg_edhoc_c_i(&r->e, &n), V(&t2, "C_I", NULL), 1);
	ck_assert_mem_eq(sg_edhoc_c_r(&i->e, &n), V(&t2, "C_R", NULL), 1);
	ck_assert_int_eq(sg_edhoc_exporter(&i->e, 0, NULL, 0, out, 16), 0);
	EXPECT(&t2, "OSCORE_Master_Secret", out, 16);
	ck_assert_int_eq(sg_edhoc_exporter(&r->e, 1, NULL, 0, out, 8), 0);
	EXPECT(&t2, "OSCORE_Master_Salt", out, 8);

	/* EDHOC_KeyUpdate on both sides */
	ku = V(&t2, "KeyUpdate_context", &ku_len);
	tb_clear(&tb);
	ck_assert_int_eq(sg_edhoc_key_update(&i->e, ku, ku_len), 0);
	ck_assert_int_eq(sg_edhoc_key_update(&r->e, ku, ku_len), 0);
	ck_assert_uint_eq(tb.conflicts, 0);
	EXPECT(&t2, "PRK_out_after_KeyUpdate", tb_get(&tb, "PRK_out", NULL), 32);
	EXPECT(&t2, "PRK_exporter_after_KeyUpdate", tb_get(&tb, "PRK_exporter", NULL), 32);
	ck_assert_int_eq(sg_edhoc_exporter(&i->e, 0, NULL, 0, out, 16), 0);
	ck_assert_int_eq(sg_edhoc_exporter(&r->e, 0, NULL, 0, out2, 16), 0);
	EXPECT(&t2, "OSCORE_Master_Secret_after_KeyUpdate", out, 16);
	EXPECT(&t2, "OSCORE_Master_Secret_after_KeyUpdate", out2, 16);
	ck_assert_int_eq(sg_edhoc_exporter(&i->e, 1, NULL, 0, out, 8), 0);
	EXPECT(&t2, "OSCORE_Master_Salt_after_KeyUpdate", out, 8);

	/* wipe leaves nothing behind */
	sg_edhoc_wipe(&i->e);
	for (k = 0; k < sizeof(i->e); k++)
		ck_assert_uint_eq(((unsigned char *)&i->e)[k], 0);
	tb_free(&tb);
	free(i);
	free(r);
}
END_TEST

/* Trace 2 section 3.1-3.3: message_1 selecting suite 6 is refused with
 * error 2 listing SUITES_R = 2. */
START_TEST(trace2_suite6_error)
{
	struct party *r = calloc(1, sizeof(*r));
	unsigned char m[128], err[SG_EDHOC_ERROR_MAX];
	const unsigned char *m1;
	size_t len, elen;

	t2_party(r, SG_EDHOC_RESPONDER, NULL);
	m1 = V(&t2, "message_1_attempt1", &len);
	memcpy(m, m1, len);
	ck_assert_int_eq(sg_edhoc_process_message_1(&r->e, m, len), SG_ESUITE);
	ck_assert_int_eq(sg_edhoc_state(&r->e), SG_EDHOC_ABORTED);
	ck_assert_int_eq(sg_edhoc_write_error(&r->e, err, sizeof(err), &elen), 0);
	EXPECT(&t2, "error_message", err, elen);
	/* too small a buffer is refused, not truncated */
	ck_assert_int_eq(sg_edhoc_write_error(&r->e, err, 1, &elen), SG_ENOSPC);
	ck_assert_uint_eq(elen, 0);

	/* the second message_1 (SUITES_I = [6, 2]) is accepted */
	t2_party(r, SG_EDHOC_RESPONDER, NULL);
	m1 = V(&t2, "message_1", &len);
	memcpy(m, m1, len);
	ck_assert_int_eq(sg_edhoc_process_message_1(&r->e, m, len), 0);
	ck_assert_int_eq(sg_edhoc_suite(&r->e), 2);
	ck_assert_int_eq(sg_edhoc_method(&r->e), 3);
	free(r);
}
END_TEST

/* The initiator's side of negotiation with our own suites: it prefers 3,
 * the responder runs 2 only, error 2 then retry with SUITES_I = [3, 2]. */
START_TEST(suite_negotiation_retry)
{
	static const uint8_t pref32[] = {3, 2};
	struct party *i = calloc(1, sizeof(*i)), *r = calloc(1, sizeof(*r));
	unsigned char m[256], err[SG_EDHOC_ERROR_MAX], first_gx[32];
	unsigned char k1[16], k2[16];
	size_t len, elen;
	struct sg_cbor_dec d;
	int64_t v;
	size_t n;

	t2_party(i, SG_EDHOC_INITIATOR, NULL);
	memcpy(i->cfg.suites, pref32, 2);
	i->cfg.n_suites = 2;
	ck_assert_int_eq(sg_edhoc_init(&i->e, &i->cfg), 0);
	t2_party(r, SG_EDHOC_RESPONDER, NULL);

	ck_assert_int_eq(sg_edhoc_write_message_1(&i->e, m, sizeof(m), &len), 0);
	ck_assert_uint_eq(m[1], 0x03); /* SUITES_I = 3 (an int) */
	memcpy(first_gx, m + 4, 32);
	ck_assert_int_eq(sg_edhoc_process_message_1(&r->e, m, len), SG_ESUITE);
	ck_assert_int_eq(sg_edhoc_write_error(&r->e, err, sizeof(err), &elen), 0);
	EXPECT(&t2, "error_message", err, elen); /* ERR_CODE 2, SUITES_R 2 */

	/* an error is not a message_2 */
	ck_assert_int_eq(sg_edhoc_process_message_2(&i->e, err, elen), SG_EDECODE);
	ck_assert_int_eq(sg_edhoc_state(&i->e), SG_EDHOC_ABORTED);
	/* start again and take the error the right way */
	ck_assert_int_eq(sg_edhoc_init(&i->e, &i->cfg), 0);
	ck_assert_int_eq(sg_edhoc_write_message_1(&i->e, m, sizeof(m), &len), 0);
	memcpy(first_gx, m + 4, 32);
	ck_assert_int_eq(sg_edhoc_process_error(&i->e, err, elen), SG_EPEERERR);
	ck_assert_int_eq(sg_edhoc_peer_error(&i->e), 2);
	ck_assert_int_eq(sg_edhoc_state(&i->e), SG_EDHOC_ABORTED);
	/* no error is sent in reply to an error */
	ck_assert_int_eq(sg_edhoc_write_error(&i->e, err, sizeof(err), &elen), 0);
	ck_assert_uint_eq(elen, 0);
	ck_assert_int_eq(sg_edhoc_retry(&i->e), 0);
	ck_assert_int_eq(sg_edhoc_write_message_1(&i->e, m, sizeof(m), &len), 0);
	/* SUITES_I = [3, 2], and a new ephemeral key */
	sg_cbor_dec_init(&d, m, len);
	ck_assert_int_eq(sg_cbor_get_int(&d, &v), 0);
	ck_assert_int_eq(sg_cbor_get_array(&d, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(sg_cbor_get_int(&d, &v), 0);
	ck_assert(v == 3);
	ck_assert_int_eq(sg_cbor_get_int(&d, &v), 0);
	ck_assert(v == 2);
	ck_assert(memcmp(m + 6, first_gx, 32) != 0);

	t2_party(r, SG_EDHOC_RESPONDER, NULL);
	ck_assert_int_eq(sg_edhoc_process_message_1(&r->e, m, len), 0);
	ck_assert_int_eq(sg_edhoc_write_message_2(&r->e, m, sizeof(m), &len), 0);
	ck_assert_int_eq(sg_edhoc_process_message_2(&i->e, m, len), 0);
	ck_assert_int_eq(sg_edhoc_write_message_3(&i->e, m, sizeof(m), &len), 0);
	ck_assert_int_eq(sg_edhoc_process_message_3(&r->e, m, len), 0);
	ck_assert_int_eq(sg_edhoc_suite(&i->e), 2);
	ck_assert_int_eq(sg_edhoc_exporter(&i->e, 40000, "ctx", 3, k1, 16), 0);
	ck_assert_int_eq(sg_edhoc_exporter(&r->e, 40000, "ctx", 3, k2, 16), 0);
	ck_assert_mem_eq(k1, k2, 16);

	/* a second retry offers nothing new: SG_ESTATE (not aborted) */
	ck_assert_int_eq(sg_edhoc_retry(&i->e), SG_ESTATE);
	free(i);
	free(r);
}
END_TEST

/* Suite 3 (16-byte tag, 16-byte MAC for static DH) end to end, and a
 * retry that has no common suite. */
START_TEST(suite3_and_no_common_suite)
{
	static const uint8_t s3[] = {3};
	struct party *i = calloc(1, sizeof(*i)), *r = calloc(1, sizeof(*r));
	unsigned char m[256], err[SG_EDHOC_ERROR_MAX];
	size_t len, elen, m3_len;

	t2_party(i, SG_EDHOC_INITIATOR, NULL);
	t2_party(r, SG_EDHOC_RESPONDER, NULL);
	memcpy(i->cfg.suites, s3, 1);
	memcpy(r->cfg.suites, s3, 1);
	ck_assert_int_eq(sg_edhoc_init(&i->e, &i->cfg), 0);
	ck_assert_int_eq(sg_edhoc_init(&r->e, &r->cfg), 0);
	ck_assert_int_eq(sg_edhoc_write_message_1(&i->e, m, sizeof(m), &len), 0);
	ck_assert_int_eq(sg_edhoc_process_message_1(&r->e, m, len), 0);
	ck_assert_int_eq(sg_edhoc_write_message_2(&r->e, m, sizeof(m), &len), 0);
	ck_assert_uint_eq(len, 2 + 32 + 1 + 1 + 17); /* MAC_2 of 16 bytes */
	ck_assert_int_eq(sg_edhoc_process_message_2(&i->e, m, len), 0);
	ck_assert_int_eq(sg_edhoc_write_message_3(&i->e, m, sizeof(m), &m3_len), 0);
	ck_assert_uint_eq(m3_len, 2 + 1 + 17 + 16); /* 16-byte tag */
	ck_assert_int_eq(sg_edhoc_process_message_3(&r->e, m, m3_len), 0);
	ck_assert_int_eq(sg_edhoc_write_message_4(&r->e, m, sizeof(m), &len), 0);
	ck_assert_uint_eq(len, 17);
	ck_assert_int_eq(sg_edhoc_process_message_4(&i->e, m, len), 0);

	/* I runs 2 only, R runs 3 only: error 2 says 3, retry finds nothing */
	memcpy(i->cfg.suites, suite2, 1);
	ck_assert_int_eq(sg_edhoc_init(&i->e, &i->cfg), 0);
	ck_assert_int_eq(sg_edhoc_init(&r->e, &r->cfg), 0);
	ck_assert_int_eq(sg_edhoc_write_message_1(&i->e, m, sizeof(m), &len), 0);
	ck_assert_int_eq(sg_edhoc_process_message_1(&r->e, m, len), SG_ESUITE);
	ck_assert_int_eq(sg_edhoc_write_error(&r->e, err, sizeof(err), &elen), 0);
	ck_assert_uint_eq(elen, 2);
	ck_assert_uint_eq(err[0], 2);
	ck_assert_uint_eq(err[1], 3);
	ck_assert_int_eq(sg_edhoc_process_error(&i->e, err, elen), SG_EPEERERR);
	ck_assert_int_eq(sg_edhoc_retry(&i->e), SG_ESUITE);
	free(i);
	free(r);
}
END_TEST

/* ==== RFC 9529 section 4: invalid traces ===================================== */

static const struct {
	const char *name;
	int rc;
} invalid_expect[] = {
	{"invalid_4_1_1_message_1", SG_EDECODE},   /* message_1 inside an array */
	{"invalid_4_1_2_message_1", SG_EDECODE},   /* C_I as bstr 410e */
	{"invalid_4_1_3_message_1", SG_EDECODE},   /* SUITES_I as [2] */
	{"invalid_4_1_4_message_1", SG_EDECODE},   /* G_X as tstr */
	{"invalid_4_1_5_message_2", SG_EDECODE},   /* two items instead of one */
	{"invalid_4_1_6_PLAINTEXT_2", SG_EDECODE}, /* {4: kid} not compact */
	{"invalid_4_1_7_PLAINTEXT_2", SG_EDECODE}, /* kid 0x32 as bstr */
	{"invalid_4_2_1_message_1", SG_ELENGTH},   /* 32-byte G_X for P-384 */
	{"invalid_4_2_2_message_1", SG_EPOINT},	   /* x >= p */
	{"invalid_4_2_3_message_1", SG_EPOINT},	   /* x not on the curve */
	/* 4.2.4 is an X25519 low-order point under suite 0: this
	 * implementation runs no X25519 suite, so it refuses the suite
	 * (error 2) before any point could be looked at. */
	{"invalid_4_2_4_message_1", SG_ESUITE},
	{"invalid_4_2_5_PLAINTEXT_2", SG_ELENGTH}, /* 4-byte MAC_2 */
	{"invalid_4_2_6_message_1", SG_ELENGTH},   /* 31-byte G_X */
	{"invalid_4_3_1_message_1", SG_ECBOR},	   /* METHOD as 190003 */
	{"invalid_4_3_2_message_1", SG_ECBOR},	   /* indefinite array */
};

static int invalid_rc(const char *name)
{
	size_t k;

	for (k = 0; k < sizeof(invalid_expect) / sizeof(invalid_expect[0]); k++)
		if (strcmp(invalid_expect[k].name, name) == 0)
			return invalid_expect[k].rc;
	ck_abort_msg("no expectation for %s", name);
	return 0;
}

/* An initiator that has sent trace 2's message_1 (so that TH_2 and
 * PRK_2e are the trace's). */
static void t2_initiator_after_m1(struct party *i)
{
	unsigned char m[128];
	size_t len;

	t2_party(i, SG_EDHOC_INITIATOR, NULL);
	ck_assert_int_eq(sg_edhoc_test_ephemeral(&i->e, V(&t2, "X", NULL)), 0);
	ck_assert_int_eq(sg_edhoc_test_suites_i(&i->e, trace2_suites_i, 2), 0);
	ck_assert_int_eq(sg_edhoc_write_message_1(&i->e, m, sizeof(m), &len), 0);
	EXPECT(&t2, "message_1", m, len);
}

START_TEST(invalid_messages)
{
	struct party *p = calloc(1, sizeof(*p));
	unsigned char m[512], err[SG_EDHOC_ERROR_MAX];
	size_t k, tested = 0, elen;

	for (k = 0; k < inv.count; k++) {
		const char *name = inv.items[k].name;
		size_t len = inv.items[k].len;
		int want = invalid_rc(name), rc;

		ck_assert_uint_le(len + 40, sizeof(m));
		if (strstr(name, "_message_1") != NULL) {
			/* a responder that accepts method 3 and suite 2 */
			t2_party(p, SG_EDHOC_RESPONDER, NULL);
			memcpy(m, inv.items[k].data, len);
			rc = sg_edhoc_process_message_1(&p->e, m, len);
		} else if (strstr(name, "_message_2") != NULL) {
			t2_initiator_after_m1(p);
			memcpy(m, inv.items[k].data, len);
			rc = sg_edhoc_process_message_2(&p->e, m, len);
		} else {
			/* PLAINTEXT_2: encrypt it with trace 2's KEYSTREAM_2
			 * for its length, as a responder would have */
			struct sg_cbor_enc enc;
			unsigned char ct[64];
			size_t mlen;

			ck_assert(strstr(name, "_PLAINTEXT_2") != NULL);
			ck_assert_uint_le(len, sizeof(ct));
			memcpy(ct, inv.items[k].data, len);
			ck_assert_int_eq(sg__kdf_th(V(&t2, "PRK_2e", NULL), SG__KDF_KEYSTREAM_2,
						    V(&t2, "TH_2", NULL), ct, len, NULL),
					 0);
			sg_cbor_enc_init(&enc, m, sizeof(m));
			sg_cbor_put_bstr_head(&enc, 32 + len);
			sg_cbor_put_raw(&enc, V(&t2, "G_Y", NULL), 32);
			sg_cbor_put_raw(&enc, ct, len);
			ck_assert_int_eq(sg_cbor_enc_finish(&enc, &mlen), 0);
			t2_initiator_after_m1(p);
			rc = sg_edhoc_process_message_2(&p->e, m, mlen);
		}
		ck_assert_msg(rc == want, "%s: %s, expected %s", name, sg_errname(rc),
			      sg_errname(want));
		ck_assert_int_eq(sg_edhoc_state(&p->e), SG_EDHOC_ABORTED);
		/* RFC 9528 5.x: an error message goes back, code 2 only for
		 * the suite, code 1 with a diagnostic otherwise */
		ck_assert_int_eq(sg_edhoc_write_error(&p->e, err, sizeof(err), &elen), 0);
		ck_assert_uint_ge(elen, 2);
		ck_assert_uint_eq(err[0], want == SG_ESUITE ? 0x02 : 0x01);
		if (want != SG_ESUITE)
			ck_assert_uint_eq(err[1] >> 5, SG_CBOR_TSTR);
		tested++;
	}
	ck_assert_uint_eq(tested, sizeof(invalid_expect) / sizeof(invalid_expect[0]));
	free(p);
}
END_TEST

/* A message the state does not expect changes nothing. */
START_TEST(unexpected_messages_change_nothing)
{
	struct party *i = calloc(1, sizeof(*i)), *r = calloc(1, sizeof(*r));
	unsigned char m[256], m1[128], m3[128];
	size_t len, m1_len, m3_len;

	t2_party(i, SG_EDHOC_INITIATOR, NULL);
	t2_party(r, SG_EDHOC_RESPONDER, NULL);
	/* a responder waiting for message_1 gets message_3 / message_2 / an error */
	{ const unsigned char *src_ = V(&t2, "message_3", &len); memcpy(m, src_, len); }
	ck_assert_int_eq(sg_edhoc_process_message_3(&r->e, m, len), SG_EUNEXPECTED);
	ck_assert_int_eq(sg_edhoc_process_message_2(&r->e, m, len), SG_EUNEXPECTED);
	ck_assert_int_eq(sg_edhoc_process_error(&r->e, V(&t2, "error_message", NULL), 2),
			 SG_EUNEXPECTED);
	ck_assert_int_eq(sg_edhoc_state(&r->e), SG_EDHOC_WAIT_M1);
	/* an initiator never takes a message_1 */
	{ const unsigned char *src_ = V(&t2, "message_1", &len); memcpy(m, src_, len); }
	ck_assert_int_eq(sg_edhoc_process_message_1(&i->e, m, len), SG_EUNEXPECTED);
	ck_assert_int_eq(sg_edhoc_state(&i->e), SG_EDHOC_START);

	/* complete a session, then replay message_1 and message_3 */
	ck_assert_int_eq(sg_edhoc_write_message_1(&i->e, m1, sizeof(m1), &m1_len), 0);
	memcpy(m, m1, m1_len);
	ck_assert_int_eq(sg_edhoc_process_message_1(&r->e, m, m1_len), 0);
	ck_assert_int_eq(sg_edhoc_write_message_2(&r->e, m, sizeof(m), &len), 0);
	ck_assert_int_eq(sg_edhoc_process_message_2(&i->e, m, len), 0);
	ck_assert_int_eq(sg_edhoc_write_message_3(&i->e, m3, sizeof(m3), &m3_len), 0);
	memcpy(m, m3, m3_len);
	ck_assert_int_eq(sg_edhoc_process_message_3(&r->e, m, m3_len), 0);
	memcpy(m, m1, m1_len);
	ck_assert_int_eq(sg_edhoc_process_message_1(&r->e, m, m1_len), SG_EUNEXPECTED);
	ck_assert_int_eq(sg_edhoc_state(&r->e), SG_EDHOC_ESTABLISHED);
	/* an error after completion does not tear the session down */
	ck_assert_int_eq(sg_edhoc_process_error(&r->e, V(&t2, "error_message", NULL), 2),
			 SG_EUNEXPECTED);
	ck_assert(sg_edhoc_established(&r->e));
	/* the initiator, tentatively established, does take an error (R refused
	 * message_3), and then drops its keys */
	ck_assert_int_eq(sg_edhoc_process_error(&i->e, (const unsigned char *)"\x01\x61\x78", 3),
			 SG_EPEERERR);
	ck_assert(!sg_edhoc_established(&i->e));
	ck_assert_int_eq(sg_edhoc_exporter(&i->e, 0, NULL, 0, m, 16), SG_ESTATE);
	/* something that is not an error message changes nothing */
	t2_party(i, SG_EDHOC_INITIATOR, NULL);
	ck_assert_int_eq(sg_edhoc_write_message_1(&i->e, m, sizeof(m), &len), 0);
	ck_assert_int_eq(sg_edhoc_process_error(&i->e, (const unsigned char *)"\x01", 1),
			 SG_ECBOR);
	ck_assert_int_eq(sg_edhoc_process_error(&i->e, (const unsigned char *)"\x01\x01\x01", 3),
			 SG_EDECODE);
	ck_assert_int_eq(sg_edhoc_state(&i->e), SG_EDHOC_WAIT_M2);
	/* ERR_CODE 0 aborts without a reply */
	ck_assert_int_eq(sg_edhoc_process_error(&i->e, (const unsigned char *)"\x00\xf5", 2),
			 SG_EPEERERR);
	ck_assert_int_eq(sg_edhoc_peer_error(&i->e), 0);
	ck_assert_int_eq(sg_edhoc_write_error(&i->e, m, sizeof(m), &len), 0);
	ck_assert_uint_eq(len, 0);
	free(i);
	free(r);
}
END_TEST

/* EAD: padding is carried and ignored; a critical item is refused. */
START_TEST(ead_policy)
{
	struct party *i = calloc(1, sizeof(*i)), *r = calloc(1, sizeof(*r));
	unsigned char m[256], err[SG_EDHOC_ERROR_MAX];
	static const unsigned char pad[] = {0x00, 0x44, 1, 2, 3, 4};
	static const unsigned char crit[] = {0x20, 0x41, 0x00};  /* label -1 */
	static const unsigned char bad[] = {0x41, 0x00};	      /* no label */
	size_t len, base, elen;

	t2_party(i, SG_EDHOC_INITIATOR, NULL);
	t2_party(r, SG_EDHOC_RESPONDER, NULL);
	ck_assert_int_eq(sg_edhoc_set_ead(&i->e, bad, sizeof(bad)), SG_EDECODE);
	ck_assert_int_eq(sg_edhoc_write_message_1(&i->e, m, sizeof(m), &base), 0);
	t2_party(i, SG_EDHOC_INITIATOR, NULL);
	ck_assert_int_eq(sg_edhoc_set_ead(&i->e, pad, sizeof(pad)), 0);
	ck_assert_int_eq(sg_edhoc_write_message_1(&i->e, m, sizeof(m), &len), 0);
	ck_assert_uint_eq(len, base + sizeof(pad));
	ck_assert_int_eq(sg_edhoc_process_message_1(&r->e, m, len), 0);
	ck_assert_int_eq(sg_edhoc_set_ead(&r->e, pad, sizeof(pad)), 0);
	ck_assert_int_eq(sg_edhoc_write_message_2(&r->e, m, sizeof(m), &len), 0);
	ck_assert_int_eq(sg_edhoc_process_message_2(&i->e, m, len), 0);
	ck_assert_int_eq(sg_edhoc_set_ead(&i->e, pad, sizeof(pad)), 0);
	ck_assert_int_eq(sg_edhoc_write_message_3(&i->e, m, sizeof(m), &len), 0);
	ck_assert_int_eq(sg_edhoc_process_message_3(&r->e, m, len), 0);
	ck_assert_int_eq(sg_edhoc_set_ead(&r->e, pad, sizeof(pad)), 0);
	ck_assert_int_eq(sg_edhoc_write_message_4(&r->e, m, sizeof(m), &len), 0);
	ck_assert_uint_eq(len, 1 + sizeof(pad) + 8);
	ck_assert_int_eq(sg_edhoc_process_message_4(&i->e, m, len), 0);

	/* critical EAD_1: refused with error 1 */
	t2_party(i, SG_EDHOC_INITIATOR, NULL);
	t2_party(r, SG_EDHOC_RESPONDER, NULL);
	ck_assert_int_eq(sg_edhoc_set_ead(&i->e, crit, sizeof(crit)), 0);
	ck_assert_int_eq(sg_edhoc_write_message_1(&i->e, m, sizeof(m), &len), 0);
	ck_assert_int_eq(sg_edhoc_process_message_1(&r->e, m, len), SG_EEAD);
	ck_assert_int_eq(sg_edhoc_write_error(&r->e, err, sizeof(err), &elen), 0);
	ck_assert_uint_eq(err[0], 1);

	/* critical EAD_3 (inside the AEAD): refused too */
	t2_party(i, SG_EDHOC_INITIATOR, NULL);
	t2_party(r, SG_EDHOC_RESPONDER, NULL);
	ck_assert_int_eq(sg_edhoc_write_message_1(&i->e, m, sizeof(m), &len), 0);
	ck_assert_int_eq(sg_edhoc_process_message_1(&r->e, m, len), 0);
	ck_assert_int_eq(sg_edhoc_write_message_2(&r->e, m, sizeof(m), &len), 0);
	ck_assert_int_eq(sg_edhoc_process_message_2(&i->e, m, len), 0);
	ck_assert_int_eq(sg_edhoc_set_ead(&i->e, crit, sizeof(crit)), 0);
	ck_assert_int_eq(sg_edhoc_write_message_3(&i->e, m, sizeof(m), &len), 0);
	ck_assert_int_eq(sg_edhoc_process_message_3(&r->e, m, len), SG_EEAD);
	free(i);
	free(r);
}
END_TEST

/* Configuration checks and small buffers. */
START_TEST(config_and_buffers)
{
	struct party *i = calloc(1, sizeof(*i)), *r = calloc(1, sizeof(*r));
	struct sg_edhoc_config c;
	unsigned char m[256];
	size_t len;

	t2_party(i, SG_EDHOC_INITIATOR, NULL);
	t2_party(r, SG_EDHOC_RESPONDER, NULL);
	c = i->cfg;
	c.priv = NULL;
	ck_assert_int_eq(sg_edhoc_init(&i->e, &c), SG_ECONFIG);
	c = i->cfg;
	c.suites[0] = 6;
	ck_assert_int_eq(sg_edhoc_init(&i->e, &c), SG_ECONFIG);
	c = i->cfg;
	c.method = 1;
	ck_assert_int_eq(sg_edhoc_init(&i->e, &c), SG_ECONFIG);
	c = i->cfg;
	c.cid_len = SG_EDHOC_CID_MAX + 1;
	ck_assert_int_eq(sg_edhoc_init(&i->e, &c), SG_ECONFIG);
	c = i->cfg;
	c.check_identity = NULL;
	ck_assert_int_eq(sg_edhoc_init(&i->e, &c), SG_ECONFIG);
	c = i->cfg;
	c.cred.type = SG_EDHOC_CRED_X509;
	c.id_cred = SG_EDHOC_ID_KID;
	ck_assert_int_eq(sg_edhoc_init(&i->e, &c), SG_ECONFIG);

	/* a too-small buffer leaves the state as it was */
	ck_assert_int_eq(sg_edhoc_init(&i->e, &i->cfg), 0);
	ck_assert_int_eq(sg_edhoc_write_message_1(&i->e, m, 36, &len), SG_ENOSPC);
	ck_assert_int_eq(sg_edhoc_state(&i->e), SG_EDHOC_START);
	ck_assert_int_eq(sg_edhoc_write_message_1(&i->e, m, 37, &len), 0);
	ck_assert_uint_eq(len, 37);
	ck_assert_uint_le(len, SG_EDHOC_MSG1_MAX(0));
	ck_assert_int_eq(sg_edhoc_process_message_1(&r->e, m, len), 0);
	ck_assert_int_eq(sg_edhoc_write_message_2(&r->e, m, 44, &len), SG_ENOSPC);
	ck_assert_int_eq(sg_edhoc_state(&r->e), SG_EDHOC_SEND_M2);
	ck_assert_int_eq(sg_edhoc_write_message_2(&r->e, m, 45, &len), 0);
	ck_assert_int_eq(sg_edhoc_exporter(&r->e, 0, NULL, 0, m, 16), SG_ESTATE);
	ck_assert_int_eq(sg_edhoc_write_message_1(&r->e, m, sizeof(m), &len), SG_ESTATE);
	ck_assert_int_eq(sg_edhoc_retry(&r->e), SG_ESTATE);
	ck_assert_int_eq(sg_edhoc_set_suite(&i->e, 2), SG_ESTATE);
	free(i);
	free(r);
}
END_TEST

static void load(struct vf *vf, const char *file)
{
	const char *top = getenv("top_srcdir");
	char path[4096];

	snprintf(path, sizeof(path), "%s/tests/vectors/edhoc/%s", top ? top : "..", file);
	if (vf_load(vf, path) != 0) {
		fprintf(stderr, "cannot load %s\n", path);
		exit(EXIT_FAILURE);
	}
}

int main(void)
{
	Suite *s = suite_create("edhoc");
	TCase *steps = tcase_create("rfc9529-steps");
	TCase *engine = tcase_create("engine");
	SRunner *sr;
	int failed;

	load(&t1, "rfc9529-trace1.txt");
	load(&t2, "rfc9529-trace2.txt");
	load(&inv, "rfc9529-invalid.txt");
	tcase_add_test(steps, trace2_symmetric_steps);
	tcase_add_test(steps, trace1_method0_symmetric_steps);
	tcase_add_test(steps, trace2_p256_steps);
	tcase_add_test(steps, own_id_cred_encodings);
	tcase_add_test(steps, plaintext_2_decoding);
	tcase_add_test(engine, trace2_end_to_end);
	tcase_add_test(engine, trace2_suite6_error);
	tcase_add_test(engine, suite_negotiation_retry);
	tcase_add_test(engine, suite3_and_no_common_suite);
	tcase_add_test(engine, invalid_messages);
	tcase_add_test(engine, unexpected_messages_change_nothing);
	tcase_add_test(engine, ead_policy);
	tcase_add_test(engine, config_and_buffers);
	suite_add_tcase(s, steps);
	suite_add_tcase(s, engine);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	vf_free(&t1);
	vf_free(&t2);
	vf_free(&inv);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
