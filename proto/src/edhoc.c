/*
 * EDHOC (RFC 9528), both roles: one handler per message.
 *
 * Implementation notes:
 * - Each handler works in locals and commits to struct sg_edhoc only
 *   when every step succeeded; locals holding secrets are wiped at the
 *   single exit label of the handler, on success and on failure alike.
 *   A failure aborts the session: fail() wipes the secrets kept in the
 *   struct and records which error message (RFC 9528 section 6) is due.
 * - A message the state does not expect is SG_EUNEXPECTED and changes
 *   nothing: a replayed message_1 cannot disturb a finished responder,
 *   and a message_3 cannot reach a responder that has not sent message_2.
 * - Steps carry the RFC's names (TH_2, PRK_3e2m, K_3, ...) so the code
 *   can be read beside RFC 9528 section 5; the same names go to the
 *   trace hook, which is how the vector tool prints RFC 9529 values.
 * - Processing order for message_2 and message_3 (architecture.md,
 *   example 3): decrypt and decode strictly; EAD policy; obtain CRED_x
 *   (x5chain: in the message, x5t/kid: the caller's lookup); validate it
 *   (X.509 chain, validity, key usage); identity policy callback; only
 *   then proof of possession (MAC_x, signature).
 * - Received messages are decrypted in place; every certificate or MAC
 *   pointer taken from a PLAINTEXT points into the caller's buffer and is
 *   dropped before the handler returns.
 * - Message_2 and message_3 are written once. Retransmission is the
 *   caller resending the stored bytes (RFC 9528 section 7).
 */
#include <string.h>

#include "internal.h"
#include "serguard/crypto.h"
#include "serguard/edhoc.h"

#define FLAG_TEST_EPH 0x01	/* e->eph holds a test key for the next message */
#define FLAG_TEST_SUITES 0x02	/* e->suites_i holds a test SUITES_I */
#define FLAG_K4 0x04		/* k_4/iv_4 valid */

#define HASH_LEN 32
#define SIG_LEN SG_ES256_SIG_LEN
#define KEY_LEN SG_CCM_KEY_LEN
#define IV_LEN SG_CCM_NONCE_LEN
#define ENC_STRUCTURE_LEN 45 /* ["Encrypt0", h'', bstr TH] */

/* Cipher suites known by number (RFC 9528 10.2), so that a message_1
 * selecting one we do not run can still be length-checked. */
static const struct suite_info {
	int16_t id;
	uint8_t tag_len; /* EDHOC AEAD tag */
	uint8_t mac_len; /* EDHOC MAC length (static DH) */
	uint8_t key_len; /* ECDH public key (G_X) */
	bool runs;
} suites_known[] = {
	{0, 8, 8, 32, false},	 {1, 16, 16, 32, false}, {2, 8, 8, 32, true},
	{3, 16, 16, 32, true},	 {4, 16, 16, 32, false}, {5, 16, 16, 32, false},
	{6, 16, 16, 32, false},	 {24, 16, 16, 48, false}, {25, 16, 16, 56, false},
};

static const uint8_t default_suites[] = {SG_EDHOC_SUITE_2};

static const struct suite_info *suite_find(int64_t id)
{
	size_t i;

	for (i = 0; i < sizeof(suites_known) / sizeof(suites_known[0]); i++)
		if (suites_known[i].id == id)
			return &suites_known[i];
	return NULL;
}

static const uint8_t *cfg_suites(const struct sg_edhoc_config *cfg, size_t *n)
{
	if (cfg->n_suites == 0) {
		*n = sizeof(default_suites);
		return default_suites;
	}
	*n = cfg->n_suites;
	return cfg->suites;
}

static bool cfg_has_suite(const struct sg_edhoc_config *cfg, int64_t s)
{
	size_t n, i;
	const uint8_t *l = cfg_suites(cfg, &n);

	for (i = 0; i < n; i++)
		if (l[i] == s)
			return true;
	return false;
}

static unsigned cfg_methods(const struct sg_edhoc_config *cfg)
{
	return cfg->methods != 0 ? cfg->methods : SG_EDHOC_METHOD_BIT(SG_EDHOC_METHOD_SIG);
}

static struct sg__trace tracer(const struct sg_edhoc *e)
{
	struct sg__trace t;

	t.fn = e->cfg->trace;
	t.ctx = e->cfg->trace_ctx;
	return t;
}

static size_t tag_len(const struct sg_edhoc *e)
{
	return suite_find(e->suite)->tag_len;
}

/* mac_length_2 / mac_length_3: hash_length when that side signs, the
 * suite's EDHOC MAC length when it authenticates with static DH. */
static size_t mac_len(const struct sg_edhoc *e)
{
	return e->method == SG_EDHOC_METHOD_SIG ? HASH_LEN : suite_find(e->suite)->mac_len;
}

static size_t sig_or_mac_len(const struct sg_edhoc *e)
{
	return e->method == SG_EDHOC_METHOD_SIG ? SIG_LEN : mac_len(e);
}

static void wipe_secrets(struct sg_edhoc *e)
{
	sg_wipe(e->eph, sizeof(e->eph));
	sg_wipe(e->prk_3e2m, sizeof(e->prk_3e2m));
	sg_wipe(e->prk_4e3m, sizeof(e->prk_4e3m));
	sg_wipe(e->prk_out, sizeof(e->prk_out));
	sg_wipe(e->prk_exporter, sizeof(e->prk_exporter));
	sg_wipe(e->k_4, sizeof(e->k_4));
	sg_wipe(e->iv_4, sizeof(e->iv_4));
	e->flags = 0;
}

/* Abort the session after a failure; decide the error message due. */
static int fail(struct sg_edhoc *e, int rc, bool send)
{
	wipe_secrets(e);
	e->state = SG_EDHOC_ABORTED;
	e->err_rc = (int16_t)rc;
	if (!send)
		e->err_send = 0;
	else if (rc == SG_ESUITE)
		e->err_send = 2;
	else if (rc == SG_ECREDREF)
		e->err_send = 3;
	else
		e->err_send = 1;
	return rc;
}

/* Random one-byte connection identifier: one of the 48 byte values that
 * encode as a one-byte CBOR int (RFC 9528 3.3.2), avoiding `avoid`. */
static int random_cid(struct sg_edhoc *e, unsigned char *out, int avoid)
{
	unsigned char r;
	unsigned v;

	if (e->cfg->rng(e->cfg->rng_ctx, &r, 1) != 0)
		return SG_ERNG;
	v = (unsigned)r % 48u;
	*out = (unsigned char)(v < 24 ? v : 0x20 + (v - 24));
	if (avoid >= 0 && *out == (unsigned char)avoid) {
		v = (v + 1) % 48u;
		*out = (unsigned char)(v < 24 ? v : 0x20 + (v - 24));
	}
	return 0;
}

static int choose_cid(struct sg_edhoc *e, unsigned char *out, size_t *len, int avoid)
{
	if (e->cfg->cid != NULL) {
		memcpy(out, e->cfg->cid, e->cfg->cid_len);
		*len = e->cfg->cid_len;
		return 0;
	}
	*len = 1;
	return random_cid(e, out, avoid);
}

/* Ephemeral key pair: the test hook's scalar once, otherwise the RNG. */
static int ephemeral(struct sg_edhoc *e, unsigned char priv[32], unsigned char pub[32])
{
	unsigned char y[32];
	int rc;

	if (e->flags & FLAG_TEST_EPH) {
		/* priv may be e->eph itself */
		unsigned char k[32];

		memcpy(k, e->eph, 32);
		sg_wipe(e->eph, sizeof(e->eph));
		memcpy(priv, k, 32);
		sg_wipe(k, sizeof(k));
		e->flags &= (uint8_t)~FLAG_TEST_EPH;
		rc = sg_p256_public(priv, pub, y);
	} else {
		rc = sg_p256_keygen(e->cfg->rng, e->cfg->rng_ctx, priv, pub);
	}
	if (rc != 0)
		sg_wipe(priv, 32);
	return rc == SG_EINVAL ? SG_ECRYPTO : rc;
}

/* EAD sequence (RFC 9528 3.8): 1* (ead_label: int, ? ead_value: bstr).
 * Well-formedness always; with policy, refuse critical items (negative
 * labels): this profile knows only padding (label 0), which is ignored,
 * and may ignore any other non-critical item. */
static int ead_check(const unsigned char *p, size_t len, bool policy)
{
	struct sg_cbor_dec d;
	const unsigned char *v;
	size_t vl;
	int64_t label;
	int rc;

	sg_cbor_dec_init(&d, p, len);
	while (!sg_cbor_dec_done(&d)) {
		if ((rc = sg_cbor_get_int(&d, &label)) != 0)
			return rc;
		if (sg_cbor_peek_type(&d) == SG_CBOR_BSTR &&
		    (rc = sg_cbor_get_bstr(&d, &v, &vl)) != 0)
			return rc;
		if (policy && label < 0)
			return SG_EEAD;
	}
	return 0;
}

/* The tail both message_2's and message_3's plaintexts share:
 * ( ID_CRED_x, Signature_or_MAC_x, ? EAD_x ), checked in this order:
 * shape, EAD well-formed, Signature_or_MAC length, EAD policy (padding
 * only, no critical item). The error of the first failing check is the
 * one RFC 9529's invalid vectors name. */
static int decode_auth(const struct sg_edhoc *e, struct sg_cbor_dec *d,
		       struct sg__peer_ref *ref, const unsigned char **sm, size_t *sm_len,
		       const unsigned char **ead, size_t *ead_len)
{
	int rc;

	if ((rc = sg__idcred_decode(d, ref)) != 0)
		return rc;
	if ((rc = sg_cbor_get_bstr(d, sm, sm_len)) != 0)
		return rc;
	*ead = d->p;
	*ead_len = sg_cbor_dec_left(d);
	if ((rc = ead_check(*ead, *ead_len, false)) != 0)
		return rc;
	if (*sm_len != sig_or_mac_len(e))
		return SG_ELENGTH;
	return ead_check(*ead, *ead_len, true);
}

/* Enc_structure A_x = ["Encrypt0", h'', bstr(TH_x)] (RFC 9528 5.4.2). */
static void enc_structure(unsigned char a[ENC_STRUCTURE_LEN], const unsigned char th[32])
{
	static const unsigned char pre[] = {0x83, 0x68, 'E', 'n', 'c', 'r', 'y', 'p',
					    't', '0', 0x40, 0x58, 0x20};

	memcpy(a, pre, sizeof(pre));
	memcpy(a + sizeof(pre), th, 32);
}

static const unsigned char th_head[] = {0x58, 0x20};

/* ==== setup =================================================================== */

int sg_edhoc_init(struct sg_edhoc *e, const struct sg_edhoc_config *cfg)
{
	size_t n, i, j;
	const uint8_t *s;

	if (e == NULL || cfg == NULL)
		return SG_EINVAL;
	memset(e, 0, sizeof(*e));
	if (cfg->role != SG_EDHOC_INITIATOR && cfg->role != SG_EDHOC_RESPONDER)
		return SG_ECONFIG;
	if (cfg->priv == NULL || cfg->cred.bytes == NULL || cfg->cred.len == 0 ||
	    cfg->check_identity == NULL || cfg->rng == NULL)
		return SG_ECONFIG;
	if (cfg->n_suites > SG_EDHOC_SUITES_MAX)
		return SG_ECONFIG;
	s = cfg_suites(cfg, &n);
	for (i = 0; i < n; i++) {
		if (s[i] != SG_EDHOC_SUITE_2 && s[i] != SG_EDHOC_SUITE_3)
			return SG_ECONFIG;
		for (j = 0; j < i; j++)
			if (s[j] == s[i])
				return SG_ECONFIG;
	}
	/* One private key serves one method: a signature key is never used
	 * for static DH or the reverse (RFC 9528 9.2). */
	if (cfg_methods(cfg) != SG_EDHOC_METHOD_BIT(SG_EDHOC_METHOD_SIG) &&
	    cfg_methods(cfg) != SG_EDHOC_METHOD_BIT(SG_EDHOC_METHOD_STATIC_DH))
		return SG_ECONFIG;
	if (cfg->role == SG_EDHOC_INITIATOR && cfg->method != SG_EDHOC_METHOD_SIG &&
	    cfg->method != SG_EDHOC_METHOD_STATIC_DH)
		return SG_ECONFIG;
	if ((cfg->cid != NULL && cfg->cid_len > SG_EDHOC_CID_MAX) ||
	    (cfg->cid == NULL && cfg->cid_len != 0))
		return SG_ECONFIG;
	if (cfg->cred.type == SG_EDHOC_CRED_CCS) {
		if (cfg->cred.kid == NULL || cfg->cred.kid_len == 0 ||
		    cfg->cred.kid_len > SG_EDHOC_KID_MAX)
			return SG_ECONFIG;
		e->id_cred = SG_EDHOC_ID_KID;
	} else if (cfg->cred.type == SG_EDHOC_CRED_X509) {
		if (cfg->id_cred != SG_EDHOC_ID_X5T && cfg->id_cred != SG_EDHOC_ID_X5CHAIN)
			return SG_ECONFIG;
		e->id_cred = (uint8_t)cfg->id_cred;
	} else {
		return SG_ECONFIG;
	}
	e->cfg = cfg;
	e->now = cfg->cert_policy.now;
	e->role = (uint8_t)cfg->role;
	if (cfg->role == SG_EDHOC_INITIATOR) {
		e->state = SG_EDHOC_START;
		e->method = cfg->method;
		e->suite = s[0];
	} else {
		e->state = SG_EDHOC_WAIT_M1;
	}
	return 0;
}

void sg_edhoc_wipe(struct sg_edhoc *e)
{
	if (e != NULL)
		sg_wipe(e, sizeof(*e));
}

void sg_edhoc_set_time(struct sg_edhoc *e, int64_t now)
{
	if (e != NULL)
		e->now = now;
}

int sg_edhoc_set_id_cred(struct sg_edhoc *e, enum sg_edhoc_idcred how)
{
	if (e == NULL || e->cfg == NULL)
		return SG_EINVAL;
	if (e->cfg->cred.type == SG_EDHOC_CRED_CCS)
		return how == SG_EDHOC_ID_KID ? 0 : SG_ECONFIG;
	if (how != SG_EDHOC_ID_X5T && how != SG_EDHOC_ID_X5CHAIN)
		return SG_ECONFIG;
	e->id_cred = (uint8_t)how;
	return 0;
}

int sg_edhoc_set_suite(struct sg_edhoc *e, uint8_t suite)
{
	if (e == NULL || e->cfg == NULL)
		return SG_EINVAL;
	if (e->role != SG_EDHOC_INITIATOR || e->state != SG_EDHOC_START)
		return SG_ESTATE;
	if (!cfg_has_suite(e->cfg, suite))
		return SG_ECONFIG;
	e->suite = suite;
	return 0;
}

int sg_edhoc_set_ead(struct sg_edhoc *e, const unsigned char *ead, size_t len)
{
	int rc;

	if (e == NULL || (ead == NULL && len > 0))
		return SG_EINVAL;
	if (len > 0 && (rc = ead_check(ead, len, false)) != 0)
		return rc == SG_ECBOR ? rc : SG_EDECODE;
	e->ead = len > 0 ? ead : NULL;
	e->ead_len = len;
	return 0;
}

int sg_edhoc_test_ephemeral(struct sg_edhoc *e, const unsigned char priv[32])
{
	if (e == NULL || priv == NULL || e->cfg == NULL)
		return SG_EINVAL;
	if (e->state != SG_EDHOC_START && e->state != SG_EDHOC_SEND_M2 &&
	    e->state != SG_EDHOC_WAIT_M1)
		return SG_ESTATE;
	memcpy(e->eph, priv, 32);
	e->flags |= FLAG_TEST_EPH;
	return 0;
}

int sg_edhoc_test_suites_i(struct sg_edhoc *e, const int16_t *suites, size_t n)
{
	if (e == NULL || suites == NULL || e->cfg == NULL)
		return SG_EINVAL;
	if (e->role != SG_EDHOC_INITIATOR || e->state != SG_EDHOC_START)
		return SG_ESTATE;
	if (n == 0 || n > SG_EDHOC_SUITES_MAX || !cfg_has_suite(e->cfg, suites[n - 1]))
		return SG_ECONFIG;
	memcpy(e->suites_i, suites, n * sizeof(suites[0]));
	e->n_suites_i = (uint8_t)n;
	e->suite = (uint8_t)suites[n - 1];
	e->flags |= FLAG_TEST_SUITES;
	return 0;
}

/* ==== message_1 =============================================================== */

int sg_edhoc_write_message_1(struct sg_edhoc *e, unsigned char *out, size_t cap, size_t *out_len)
{
	struct sg__trace tr;
	struct sg_cbor_enc enc;
	unsigned char g_x[32], c_i[SG_EDHOC_CID_MAX];
	size_t c_i_len = 0, len, i, n;
	const uint8_t *pref;
	int rc;

	if (e == NULL || e->cfg == NULL || out == NULL || out_len == NULL)
		return SG_EINVAL;
	if (e->role != SG_EDHOC_INITIATOR || e->state != SG_EDHOC_START)
		return SG_ESTATE;
	tr = tracer(e);

	/* SUITES_I: I's suites in order of preference, truncated after the
	 * selected one; an int when that is the most preferred (5.2.2). */
	if (!(e->flags & FLAG_TEST_SUITES)) {
		pref = cfg_suites(e->cfg, &n);
		e->n_suites_i = 0;
		for (i = 0; i < n; i++) {
			e->suites_i[e->n_suites_i++] = pref[i];
			if (pref[i] == e->suite)
				break;
		}
	}
	/* Size first, so that a too-small buffer costs no key. */
	memset(g_x, 0, sizeof(g_x));
	c_i_len = e->cfg->cid != NULL ? e->cfg->cid_len : 1;
	memset(c_i, 0, sizeof(c_i));
	sg_cbor_enc_init(&enc, NULL, 0);
	sg_cbor_put_uint(&enc, e->method);
	if (e->n_suites_i > 1)
		sg_cbor_put_array(&enc, e->n_suites_i);
	for (i = 0; i < e->n_suites_i; i++)
		sg_cbor_put_int(&enc, e->suites_i[i]);
	sg_cbor_put_bstr(&enc, g_x, 32);
	sg__put_bstr_or_int(&enc, c_i, c_i_len);
	sg_cbor_put_raw(&enc, e->ead, e->ead_len);
	if (enc.len > cap)
		return SG_ENOSPC;

	/* C_I, then an ephemeral key pair (X, G_X) new for every message_1. */
	if ((rc = choose_cid(e, c_i, &c_i_len, -1)) != 0)
		return fail(e, rc, false);
	if ((rc = ephemeral(e, e->eph, g_x)) != 0)
		return fail(e, rc, false);
	sg__trace(&tr, "G_X", g_x, 32);
	sg__trace(&tr, "C_I", c_i, c_i_len);

	/* message_1 = (METHOD, SUITES_I, G_X, C_I, ? EAD_1) */
	sg_cbor_enc_init(&enc, out, cap);
	sg_cbor_put_uint(&enc, e->method);
	if (e->n_suites_i > 1)
		sg_cbor_put_array(&enc, e->n_suites_i);
	for (i = 0; i < e->n_suites_i; i++)
		sg_cbor_put_int(&enc, e->suites_i[i]);
	sg_cbor_put_bstr(&enc, g_x, 32);
	sg__put_bstr_or_int(&enc, c_i, c_i_len);
	sg_cbor_put_raw(&enc, e->ead, e->ead_len);
	if ((rc = sg_cbor_enc_finish(&enc, &len)) != 0)
		return fail(e, SG_EINTERNAL, false);

	/* H(message_1), cached for TH_2 */
	if ((rc = sg_sha256(out, len, e->th)) != 0)
		return fail(e, rc, false);
	sg__trace(&tr, "H_message_1", e->th, 32);

	memcpy(e->c_i, c_i, c_i_len);
	e->c_i_len = (uint8_t)c_i_len;
	e->flags &= (uint8_t)~FLAG_TEST_SUITES;
	e->ead = NULL;
	e->ead_len = 0;
	e->state = SG_EDHOC_WAIT_M2;
	*out_len = len;
	return 0;
}

int sg_edhoc_process_message_1(struct sg_edhoc *e, unsigned char *msg, size_t len)
{
	const struct sg_edhoc_config *cfg;
	struct sg__trace tr;
	struct sg_cbor_dec d;
	const struct suite_info *si;
	const unsigned char *g_x, *ead;
	unsigned char c_i[SG_EDHOC_CID_MAX], y[32];
	size_t g_x_len = 0, c_i_len = 0, ead_len, n = 1, i;
	int64_t method, s, selected = 0;
	bool earlier_supported = false;
	int rc;

	if (e == NULL || e->cfg == NULL || (msg == NULL && len > 0))
		return SG_EINVAL;
	if (e->role != SG_EDHOC_RESPONDER || e->state != SG_EDHOC_WAIT_M1)
		return SG_EUNEXPECTED;
	cfg = e->cfg;
	tr = tracer(e);

	/* Decode message_1 = (METHOD: int, SUITES_I: int / [2* int],
	 * G_X: bstr, C_I: bstr / -24..23, ? EAD_1) strictly. */
	sg_cbor_dec_init(&d, msg, len);
	if ((rc = sg_cbor_get_int(&d, &method)) != 0)
		goto out;
	if (sg_cbor_peek_type(&d) == SG_CBOR_ARRAY) {
		if ((rc = sg_cbor_get_array(&d, &n)) != 0)
			goto out;
		if (n < 2) { /* a single suite is sent as an int */
			rc = SG_EDECODE;
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		if ((rc = sg_cbor_get_int(&d, &s)) != 0)
			goto out;
		if (i + 1 == n)
			selected = s;
		else if (cfg_has_suite(cfg, s))
			earlier_supported = true;
	}
	if ((rc = sg_cbor_get_bstr(&d, &g_x, &g_x_len)) != 0)
		goto out;
	if ((rc = sg__get_bstr_or_int(&d, c_i, sizeof(c_i), &c_i_len)) != 0)
		goto out;
	ead = d.p;
	ead_len = sg_cbor_dec_left(&d);
	if ((rc = ead_check(ead, ead_len, false)) != 0)
		goto out;

	/* G_X has the fixed length of the selected suite's curve (3.7). */
	si = suite_find(selected);
	if (si != NULL && g_x_len != si->key_len) {
		rc = SG_ELENGTH;
		goto out;
	}
	/* METHOD allowed by this responder's policy. */
	if (method < 0 || method > 3 || !(cfg_methods(cfg) & SG_EDHOC_METHOD_BIT(method))) {
		rc = SG_EMETHOD;
		goto out;
	}
	/* The selected suite is supported and no suite I prefers to it is
	 * (5.2.3): otherwise error 2 with SUITES_R. */
	if (!cfg_has_suite(cfg, selected) || earlier_supported) {
		rc = SG_ESUITE;
		goto out;
	}
	/* G_X is the x-coordinate of a point on P-256 (9.2). */
	if ((rc = sg_p256_decompress(g_x, y)) != 0) {
		rc = rc == SG_EPOINT ? SG_EPOINT : rc;
		goto out;
	}
	/* EAD_1: padding only, no critical item. */
	if ((rc = ead_check(ead, ead_len, true)) != 0)
		goto out;

	/* H(message_1), cached for TH_2 */
	if ((rc = sg_sha256(msg, len, e->th)) != 0)
		goto out;
	sg__trace(&tr, "H_message_1", e->th, 32);
	e->method = (uint8_t)method;
	e->suite = (uint8_t)selected;
	memcpy(e->g_x, g_x, 32);
	memcpy(e->c_i, c_i, c_i_len);
	e->c_i_len = (uint8_t)c_i_len;
	e->state = SG_EDHOC_SEND_M2;
out:
	sg_wipe(y, sizeof(y));
	if (rc != 0)
		return fail(e, rc, true);
	return 0;
}

/* ==== message_2 =============================================================== */

/* context_x = ( ? C_R, ID_CRED_x, TH_x, CRED_x, ? EAD_x ) as parts;
 * returns the number of parts (at most 8). */
static size_t context_parts(struct sg__part *parts, const unsigned char *c_r_enc,
			    size_t c_r_enc_len, const struct sg__idcred *id,
			    const unsigned char th[32], const struct sg__cred *cred,
			    const unsigned char *ead, size_t ead_len)
{
	size_t n = 0;

	if (c_r_enc != NULL) {
		parts[n].p = c_r_enc;
		parts[n++].len = c_r_enc_len;
	}
	parts[n++] = id->map[0];
	parts[n++] = id->map[1];
	parts[n].p = th_head;
	parts[n++].len = sizeof(th_head);
	parts[n].p = th;
	parts[n++].len = 32;
	parts[n].p = cred->head;
	parts[n++].len = cred->head_len;
	parts[n].p = cred->body;
	parts[n++].len = cred->body_len;
	parts[n].p = ead;
	parts[n++].len = ead_len;
	return n;
}

int sg_edhoc_write_message_2(struct sg_edhoc *e, unsigned char *out, size_t cap, size_t *out_len)
{
	const struct sg_edhoc_config *cfg;
	struct sg__trace tr;
	struct sg__idcred id;
	struct sg__cred cred;
	struct sg__part parts[8];
	struct sg_cbor_enc enc;
	unsigned char y[32], g_y[32], g_xy[32], prk_2e[32], salt[32], g_rx[32], prk_3e2m[32];
	unsigned char th_2[32], th_3[32], mac_2[32], sig[SIG_LEN], hash[32];
	unsigned char c_r[SG_EDHOC_CID_MAX], c_r_enc[SG_EDHOC_CID_MAX + 2];
	unsigned char hb[SG_CBOR_HEAD_MAX], hb2[SG_CBOR_HEAD_MAX];
	size_t c_r_len = 0, c_r_enc_len, pt_len, sm_len, total, np, pt_off;
	unsigned char *pt;
	int rc;

	if (e == NULL || e->cfg == NULL || out == NULL || out_len == NULL)
		return SG_EINVAL;
	if (e->role != SG_EDHOC_RESPONDER || e->state != SG_EDHOC_SEND_M2)
		return SG_ESTATE;
	cfg = e->cfg;
	tr = tracer(e);
	if ((rc = sg__cred_own(&cfg->cred, (enum sg_edhoc_idcred)e->id_cred, &id, &cred)) != 0)
		return rc;

	/* Sizes: PLAINTEXT_2 = ( C_R, ID_CRED_R / bstr / -24..23,
	 * Signature_or_MAC_2, ? EAD_2 ) */
	c_r_len = cfg->cid != NULL ? cfg->cid_len : 1;
	sm_len = sig_or_mac_len(e);
	memset(c_r, 0, sizeof(c_r));
	sg_cbor_enc_init(&enc, NULL, 0);
	sg__put_bstr_or_int(&enc, c_r, c_r_len);
	pt_len = enc.len + (id.compact_len ? id.compact_len : sg__idcred_len(&id)) +
		 sg_cbor_head_len(sm_len) + sm_len + e->ead_len;
	if (pt_len > SG_EDHOC_PLAINTEXT_2_MAX)
		return SG_ETOOBIG;
	total = sg_cbor_head_len(32 + pt_len) + 32 + pt_len;
	if (total > cap)
		return SG_ENOSPC;

	/* C_R, different from C_I when chosen here */
	if ((rc = choose_cid(e, c_r, &c_r_len, e->c_i_len == 1 ? e->c_i[0] : -1)) != 0)
		goto out;
	sg_cbor_enc_init(&enc, c_r_enc, sizeof(c_r_enc));
	sg__put_bstr_or_int(&enc, c_r, c_r_len);
	(void)sg_cbor_enc_finish(&enc, &c_r_enc_len);
	sg__trace(&tr, "C_R", c_r, c_r_len);

	/* Ephemeral key pair (Y, G_Y) */
	if ((rc = ephemeral(e, y, g_y)) != 0)
		goto out;
	sg__trace(&tr, "G_Y", g_y, 32);

	/* TH_2 = H( G_Y, H(message_1) ) */
	parts[0] = sg__bstr_head(hb, 32);
	parts[1].p = g_y;
	parts[1].len = 32;
	parts[2] = sg__bstr_head(hb2, 32);
	parts[3].p = e->th;
	parts[3].len = 32;
	if ((rc = sg__transcript(parts, 4, th_2, &tr, "input_TH_2", "TH_2")) != 0)
		goto out;

	/* G_XY = ECDH(Y, G_X); PRK_2e = EDHOC_Extract(TH_2, G_XY) */
	if ((rc = sg_p256_ecdh(y, e->g_x, g_xy)) != 0)
		goto out;
	sg__trace(&tr, "G_XY", g_xy, 32);
	if ((rc = sg__extract(th_2, 32, g_xy, 32, prk_2e, &tr, "PRK_2e")) != 0)
		goto out;

	/* PRK_3e2m: = PRK_2e when R signs; with static DH
	 * EDHOC_Extract(SALT_3e2m, G_RX), SALT_3e2m = EDHOC_KDF(PRK_2e, 1, TH_2, 32) */
	if (e->method == SG_EDHOC_METHOD_STATIC_DH) {
		if ((rc = sg__kdf_th(prk_2e, SG__KDF_SALT_3E2M, th_2, salt, 32, &tr)) != 0)
			goto out;
		if ((rc = sg_p256_ecdh(cfg->priv, e->g_x, g_rx)) != 0)
			goto out;
		sg__trace(&tr, "G_RX", g_rx, 32);
		if ((rc = sg__extract(salt, 32, g_rx, 32, prk_3e2m, &tr, "PRK_3e2m")) != 0)
			goto out;
	} else {
		memcpy(prk_3e2m, prk_2e, 32);
		sg__trace(&tr, "PRK_3e2m", prk_3e2m, 32);
	}

	/* MAC_2 = EDHOC_KDF(PRK_3e2m, 2, context_2, mac_length_2) with
	 * context_2 = << C_R, ID_CRED_R, TH_2, CRED_R, ? EAD_2 >> */
	np = context_parts(parts, c_r_enc, c_r_enc_len, &id, th_2, &cred, e->ead, e->ead_len);
	sg__trace_parts(&tr, "context_2", parts, np);
	if ((rc = sg__kdf_step(prk_3e2m, SG__KDF_MAC_2, parts, np, mac_2, mac_len(e), &tr)) != 0)
		goto out;

	/* Signature_or_MAC_2: ES256 over the Sig_structure, or MAC_2 */
	if (e->method == SG_EDHOC_METHOD_SIG) {
		if ((rc = sg__sig_structure_hash(&id, th_2, &cred, e->ead, e->ead_len, mac_2,
						 mac_len(e), hash, &tr, "Sig_structure_2_cbor")) != 0)
			goto out;
		if ((rc = sg_es256_sign(cfg->priv, hash, sig, cfg->rng, cfg->rng_ctx)) != 0)
			goto out;
	} else {
		memcpy(sig, mac_2, sm_len);
	}
	sg__trace(&tr, "Signature_or_MAC_2", sig, sm_len);

	/* message_2 = bstr( G_Y || CIPHERTEXT_2 ); PLAINTEXT_2 written in
	 * place, then XORed with KEYSTREAM_2. */
	sg_cbor_enc_init(&enc, out, cap);
	sg_cbor_put_bstr_head(&enc, 32 + pt_len);
	sg_cbor_put_raw(&enc, g_y, 32);
	pt_off = enc.len;
	sg_cbor_put_raw(&enc, c_r_enc, c_r_enc_len);
	if (id.compact_len)
		sg_cbor_put_raw(&enc, id.compact, id.compact_len);
	else {
		sg_cbor_put_raw(&enc, id.map[0].p, id.map[0].len);
		sg_cbor_put_raw(&enc, id.map[1].p, id.map[1].len);
	}
	sg_cbor_put_bstr(&enc, sig, sm_len);
	sg_cbor_put_raw(&enc, e->ead, e->ead_len);
	if (sg_cbor_enc_finish(&enc, NULL) != 0 || enc.len != total) {
		rc = SG_EINTERNAL;
		goto out;
	}
	pt = out + pt_off;
	sg__trace(&tr, "PLAINTEXT_2", pt, pt_len);

	/* TH_3 = H( TH_2, PLAINTEXT_2, CRED_R ) */
	parts[0].p = th_head;
	parts[0].len = sizeof(th_head);
	parts[1].p = th_2;
	parts[1].len = 32;
	parts[2].p = pt;
	parts[2].len = pt_len;
	parts[3].p = cred.head;
	parts[3].len = cred.head_len;
	parts[4].p = cred.body;
	parts[4].len = cred.body_len;
	if ((rc = sg__transcript(parts, 5, th_3, &tr, "input_TH_3", "TH_3")) != 0)
		goto out;

	/* CIPHERTEXT_2 = PLAINTEXT_2 XOR KEYSTREAM_2,
	 * KEYSTREAM_2 = EDHOC_KDF(PRK_2e, 0, TH_2, plaintext_length) */
	if ((rc = sg__kdf_th(prk_2e, SG__KDF_KEYSTREAM_2, th_2, pt, pt_len, &tr)) != 0)
		goto out;
	sg__trace(&tr, "CIPHERTEXT_2", pt, pt_len);

	/* commit */
	memcpy(e->c_r, c_r, c_r_len);
	e->c_r_len = (uint8_t)c_r_len;
	memcpy(e->th, th_3, 32);
	memcpy(e->prk_3e2m, prk_3e2m, 32);
	if (e->method == SG_EDHOC_METHOD_STATIC_DH)
		memcpy(e->eph, y, 32); /* G_IY = ECDH(Y, G_I) at message_3 */
	e->ead = NULL;
	e->ead_len = 0;
	e->state = SG_EDHOC_WAIT_M3;
	*out_len = total;
out:
	sg_wipe(y, sizeof(y));
	sg_wipe(g_xy, sizeof(g_xy));
	sg_wipe(prk_2e, sizeof(prk_2e));
	sg_wipe(salt, sizeof(salt));
	sg_wipe(g_rx, sizeof(g_rx));
	sg_wipe(prk_3e2m, sizeof(prk_3e2m));
	sg_wipe(mac_2, sizeof(mac_2));
	if (rc != 0) {
		sg_wipe(out, cap < total ? cap : total);
		return fail(e, rc, false);
	}
	return 0;
}

/*
 * Obtain, validate and authorise the peer's credential (RFC 9528 3.5):
 * CRED_x from the message (x5chain) or the caller's cache (x5t, kid),
 * then X.509 validation, then the identity policy. Proof of possession
 * is the caller's next step.
 */
static int peer_credential(struct sg_edhoc *e, const struct sg__peer_ref *ref,
			   struct sg__idcred *id, struct sg__cred *cred, struct sg_peer_cert *peer)
{
	const struct sg_edhoc_config *cfg = e->cfg;
	const unsigned char *bytes = NULL;
	struct sg_cert_policy pol;
	unsigned char h[32];
	size_t len = 0;
	int rc;

	memset(cred, 0, sizeof(*cred));
	switch (ref->kind) {
	case SG_EDHOC_ID_X5CHAIN:
		bytes = ref->ref;
		len = ref->ref_len;
		break;
	case SG_EDHOC_ID_X5T:
	case SG_EDHOC_ID_KID:
		if (cfg->lookup == NULL ||
		    cfg->lookup(cfg->lookup_ctx, ref->kind, ref->ref, ref->ref_len, &bytes, &len) != 0 ||
		    bytes == NULL || len == 0)
			return SG_ECREDREF;
		if (ref->kind == SG_EDHOC_ID_X5T) {
			/* The cache must hand back the certificate the hash names. */
			if ((rc = sg_sha256(bytes, len, h)) != 0)
				return rc;
			if (!sg_ct_equal(h, ref->ref, ref->ref_len))
				return SG_ECREDREF;
		}
		break;
	default:
		return SG_ECREDTYPE;
	}
	cred->body = bytes;
	cred->body_len = len;
	if (ref->kind == SG_EDHOC_ID_KID) {
		/* A raw key from the caller's cache: trusted as configured. */
		if ((rc = sg__ccs_parse(bytes, len, peer)) != 0)
			return rc;
	} else {
		/* CRED_x = bstr(DER); chain, validity, key usage, revocation */
		cred->head_len = sg_cbor_head(cred->head, SG_CBOR_BSTR, (uint64_t)len);
		if (cfg->store == NULL)
			return SG_ECERTCHAIN;
		pol = cfg->cert_policy;
		pol.now = e->now;
		pol.usage = e->method == SG_EDHOC_METHOD_SIG ? SG_USAGE_SIGN : SG_USAGE_DH;
		if ((rc = sg_cert_verify(cfg->store, bytes, len, &pol, peer)) != 0)
			return rc;
	}
	/* Identity policy: is this peer allowed here? */
	if (cfg->check_identity(cfg->identity_ctx, peer) != 0)
		return SG_EIDENTITY;
	sg__idcred_from_ref(ref, id);
	return 0;
}

/* Verify Signature_or_MAC_x: ES256 over the Sig_structure with the
 * peer's key, or MAC_x compared in constant time. */
static int verify_sig_or_mac(const struct sg_edhoc *e, const struct sg__idcred *id,
			     const unsigned char th[32], const struct sg__cred *cred,
			     const unsigned char *ead, size_t ead_len, const unsigned char *mac,
			     const unsigned char *sm, const struct sg_peer_cert *peer,
			     const struct sg__trace *tr, const char *sig_name)
{
	unsigned char hash[32];
	int rc;

	if (e->method != SG_EDHOC_METHOD_SIG)
		return sg_ct_equal(mac, sm, mac_len(e)) ? 0 : SG_EAUTH;
	if ((rc = sg__sig_structure_hash(id, th, cred, ead, ead_len, mac, mac_len(e), hash, tr,
					 sig_name)) != 0)
		return rc;
	rc = sg_es256_verify(peer->pub_x, peer->pub_y, hash, sm);
	if (rc == SG_EPOINT)
		return SG_ECERTKEY;
	return rc == 0 ? 0 : SG_EAUTH;
}

int sg_edhoc_process_message_2(struct sg_edhoc *e, unsigned char *msg, size_t len)
{
	const struct sg_edhoc_config *cfg;
	struct sg__trace tr;
	struct sg_cbor_dec d;
	struct sg__peer_ref ref;
	struct sg__idcred id;
	struct sg__cred cred;
	struct sg_peer_cert peer;
	struct sg__part parts[8];
	const unsigned char *g_y, *sm, *ead;
	unsigned char *pt;
	unsigned char gy_y[32], g_xy[32], prk_2e[32], salt[32], g_rx[32], g_iy[32];
	unsigned char prk_3e2m[32], prk_4e3m[32], th_2[32], th_3[32], mac_2[32];
	unsigned char c_r[SG_EDHOC_CID_MAX], hb[SG_CBOR_HEAD_MAX], hb2[SG_CBOR_HEAD_MAX];
	const unsigned char *body, *c_r_start;
	size_t body_len = 0, pt_len, c_r_len = 0, c_r_enc_len, sm_len, ead_len, np;
	int rc;

	if (e == NULL || e->cfg == NULL || (msg == NULL && len > 0))
		return SG_EINVAL;
	if (e->role != SG_EDHOC_INITIATOR || e->state != SG_EDHOC_WAIT_M2)
		return SG_EUNEXPECTED;
	cfg = e->cfg;
	tr = tracer(e);
	memset(&peer, 0, sizeof(peer));

	/* Decode message_2 = ( G_Y_CIPHERTEXT_2: bstr ): one item only. */
	sg_cbor_dec_init(&d, msg, len);
	if ((rc = sg_cbor_get_bstr(&d, &body, &body_len)) != 0)
		goto out;
	if (!sg_cbor_dec_done(&d)) {
		rc = SG_EDECODE;
		goto out;
	}
	if (body_len <= 32) {
		rc = SG_ELENGTH;
		goto out;
	}
	g_y = body;
	pt = msg + (body - msg) + 32; /* writable: decrypted in place */
	pt_len = body_len - 32;
	if (pt_len > SG_EDHOC_PLAINTEXT_2_MAX) {
		rc = SG_ELENGTH;
		goto out;
	}
	/* G_Y is a point on the curve (9.2) */
	if ((rc = sg_p256_decompress(g_y, gy_y)) != 0)
		goto out;
	sg__trace(&tr, "G_Y", g_y, 32);

	/* TH_2 = H( G_Y, H(message_1) ) */
	parts[0] = sg__bstr_head(hb, 32);
	parts[1].p = g_y;
	parts[1].len = 32;
	parts[2] = sg__bstr_head(hb2, 32);
	parts[3].p = e->th;
	parts[3].len = 32;
	if ((rc = sg__transcript(parts, 4, th_2, &tr, "input_TH_2", "TH_2")) != 0)
		goto out;

	/* G_XY = ECDH(X, G_Y); PRK_2e = EDHOC_Extract(TH_2, G_XY) */
	if ((rc = sg_p256_ecdh(e->eph, g_y, g_xy)) != 0)
		goto out;
	sg__trace(&tr, "G_XY", g_xy, 32);
	if ((rc = sg__extract(th_2, 32, g_xy, 32, prk_2e, &tr, "PRK_2e")) != 0)
		goto out;

	/* PLAINTEXT_2 = CIPHERTEXT_2 XOR KEYSTREAM_2 */
	sg__trace(&tr, "CIPHERTEXT_2", pt, pt_len);
	if ((rc = sg__kdf_th(prk_2e, SG__KDF_KEYSTREAM_2, th_2, pt, pt_len, &tr)) != 0)
		goto out;
	sg__trace(&tr, "PLAINTEXT_2", pt, pt_len);

	/* Decode PLAINTEXT_2 = ( C_R, ID_CRED_R, Signature_or_MAC_2, ? EAD_2 ) */
	sg_cbor_dec_init(&d, pt, pt_len);
	c_r_start = d.p;
	if ((rc = sg__get_bstr_or_int(&d, c_r, sizeof(c_r), &c_r_len)) != 0)
		goto out;
	c_r_enc_len = (size_t)(d.p - c_r_start);
	if ((rc = decode_auth(e, &d, &ref, &sm, &sm_len, &ead, &ead_len)) != 0)
		goto out;

	/* CRED_R: obtain, validate, authorise */
	if ((rc = peer_credential(e, &ref, &id, &cred, &peer)) != 0)
		goto out;

	/* PRK_3e2m = PRK_2e, or with static DH EDHOC_Extract(SALT_3e2m, G_RX) */
	if (e->method == SG_EDHOC_METHOD_STATIC_DH) {
		if ((rc = sg__kdf_th(prk_2e, SG__KDF_SALT_3E2M, th_2, salt, 32, &tr)) != 0)
			goto out;
		if ((rc = sg_p256_ecdh(e->eph, peer.pub_x, g_rx)) != 0)
			goto out;
		sg__trace(&tr, "G_RX", g_rx, 32);
		if ((rc = sg__extract(salt, 32, g_rx, 32, prk_3e2m, &tr, "PRK_3e2m")) != 0)
			goto out;
	} else {
		memcpy(prk_3e2m, prk_2e, 32);
		sg__trace(&tr, "PRK_3e2m", prk_3e2m, 32);
	}

	/* MAC_2 over context_2 = << C_R, ID_CRED_R, TH_2, CRED_R, ? EAD_2 >>,
	 * C_R as encoded in PLAINTEXT_2 */
	np = context_parts(parts, c_r_start, c_r_enc_len, &id, th_2, &cred, ead, ead_len);
	sg__trace_parts(&tr, "context_2", parts, np);
	if ((rc = sg__kdf_step(prk_3e2m, SG__KDF_MAC_2, parts, np, mac_2, mac_len(e), &tr)) != 0)
		goto out;

	/* Verify Signature_or_MAC_2 (proof of possession) */
	sg__trace(&tr, "Signature_or_MAC_2", sm, sm_len);
	if ((rc = verify_sig_or_mac(e, &id, th_2, &cred, ead, ead_len, mac_2, sm, &peer, &tr,
				    "Sig_structure_2_cbor")) != 0)
		goto out;

	/* TH_3 = H( TH_2, PLAINTEXT_2, CRED_R ) */
	parts[0].p = th_head;
	parts[0].len = sizeof(th_head);
	parts[1].p = th_2;
	parts[1].len = 32;
	parts[2].p = pt;
	parts[2].len = pt_len;
	parts[3].p = cred.head;
	parts[3].len = cred.head_len;
	parts[4].p = cred.body;
	parts[4].len = cred.body_len;
	if ((rc = sg__transcript(parts, 5, th_3, &tr, "input_TH_3", "TH_3")) != 0)
		goto out;

	/* PRK_4e3m = PRK_3e2m, or with static DH EDHOC_Extract(SALT_4e3m, G_IY),
	 * SALT_4e3m = EDHOC_KDF(PRK_3e2m, 5, TH_3, 32), G_IY = ECDH(I, G_Y) */
	if (e->method == SG_EDHOC_METHOD_STATIC_DH) {
		if ((rc = sg__kdf_th(prk_3e2m, SG__KDF_SALT_4E3M, th_3, salt, 32, &tr)) != 0)
			goto out;
		if ((rc = sg_p256_ecdh(cfg->priv, g_y, g_iy)) != 0)
			goto out;
		sg__trace(&tr, "G_IY", g_iy, 32);
		if ((rc = sg__extract(salt, 32, g_iy, 32, prk_4e3m, &tr, "PRK_4e3m")) != 0)
			goto out;
	} else {
		memcpy(prk_4e3m, prk_3e2m, 32);
		sg__trace(&tr, "PRK_4e3m", prk_4e3m, 32);
	}

	/* commit; X is no longer needed */
	memcpy(e->c_r, c_r, c_r_len);
	e->c_r_len = (uint8_t)c_r_len;
	memcpy(e->th, th_3, 32);
	memcpy(e->prk_3e2m, prk_3e2m, 32);
	memcpy(e->prk_4e3m, prk_4e3m, 32);
	sg_wipe(e->eph, sizeof(e->eph));
	e->state = SG_EDHOC_SEND_M3;
out:
	sg_wipe(g_xy, sizeof(g_xy));
	sg_wipe(prk_2e, sizeof(prk_2e));
	sg_wipe(salt, sizeof(salt));
	sg_wipe(g_rx, sizeof(g_rx));
	sg_wipe(g_iy, sizeof(g_iy));
	sg_wipe(prk_3e2m, sizeof(prk_3e2m));
	sg_wipe(prk_4e3m, sizeof(prk_4e3m));
	sg_wipe(mac_2, sizeof(mac_2));
	sg_wipe(&peer, sizeof(peer));
	if (rc != 0)
		return fail(e, rc, true);
	return 0;
}

/* ==== message_3 =============================================================== */

/* TH_4 = H( TH_3, PLAINTEXT_3, CRED_I ), then PRK_out, PRK_exporter,
 * K_4 and IV_4 from PRK_4e3m: the session keys, into e. */
static int derive_output(struct sg_edhoc *e, const unsigned char th_3[32],
			 const unsigned char *pt, size_t pt_len, const struct sg__cred *cred,
			 const unsigned char prk_4e3m[32], const struct sg__trace *tr)
{
	struct sg__part parts[5];
	unsigned char th_4[32];
	int rc;

	parts[0].p = th_head;
	parts[0].len = sizeof(th_head);
	parts[1].p = th_3;
	parts[1].len = 32;
	parts[2].p = pt;
	parts[2].len = pt_len;
	parts[3].p = cred->head;
	parts[3].len = cred->head_len;
	parts[4].p = cred->body;
	parts[4].len = cred->body_len;
	if ((rc = sg__transcript(parts, 5, th_4, tr, "input_TH_4", "TH_4")) != 0)
		return rc;
	/* PRK_out = EDHOC_KDF(PRK_4e3m, 7, TH_4, 32) */
	if ((rc = sg__kdf_th(prk_4e3m, SG__KDF_PRK_OUT, th_4, e->prk_out, 32, tr)) != 0)
		return rc;
	/* PRK_exporter = EDHOC_KDF(PRK_out, 10, h'', 32) */
	if ((rc = sg__kdf_step(e->prk_out, SG__KDF_PRK_EXPORTER, NULL, 0, e->prk_exporter, 32,
			       tr)) != 0)
		return rc;
	/* K_4 / IV_4 = EDHOC_KDF(PRK_4e3m, 8 / 9, TH_4, key / iv length) */
	if ((rc = sg__kdf_th(prk_4e3m, SG__KDF_K_4, th_4, e->k_4, KEY_LEN, tr)) != 0)
		return rc;
	if ((rc = sg__kdf_th(prk_4e3m, SG__KDF_IV_4, th_4, e->iv_4, IV_LEN, tr)) != 0)
		return rc;
	memcpy(e->th, th_4, 32);
	e->flags |= FLAG_K4;
	return 0;
}

int sg_edhoc_write_message_3(struct sg_edhoc *e, unsigned char *out, size_t cap, size_t *out_len)
{
	const struct sg_edhoc_config *cfg;
	struct sg__trace tr;
	struct sg__idcred id;
	struct sg__cred cred;
	struct sg__part parts[8];
	struct sg_cbor_enc enc;
	unsigned char th_3[32], mac_3[32], sig[SIG_LEN], hash[32], k_3[KEY_LEN], iv_3[IV_LEN];
	unsigned char a_3[ENC_STRUCTURE_LEN], prk_4e3m[32];
	size_t sm_len, tl, pt_len, ct_len, total = 0, np, pt_off;
	unsigned char *pt;
	int rc;

	if (e == NULL || e->cfg == NULL || out == NULL || out_len == NULL)
		return SG_EINVAL;
	if (e->role != SG_EDHOC_INITIATOR || e->state != SG_EDHOC_SEND_M3)
		return SG_ESTATE;
	cfg = e->cfg;
	tr = tracer(e);
	if ((rc = sg__cred_own(&cfg->cred, (enum sg_edhoc_idcred)e->id_cred, &id, &cred)) != 0)
		return rc;

	/* PLAINTEXT_3 = ( ID_CRED_I / bstr / -24..23, Signature_or_MAC_3, ? EAD_3 ) */
	sm_len = sig_or_mac_len(e);
	tl = tag_len(e);
	pt_len = (id.compact_len ? id.compact_len : sg__idcred_len(&id)) +
		 sg_cbor_head_len(sm_len) + sm_len + e->ead_len;
	ct_len = pt_len + tl;
	total = sg_cbor_head_len(ct_len) + ct_len;
	if (total > cap)
		return SG_ENOSPC;
	memcpy(th_3, e->th, 32);
	memcpy(prk_4e3m, e->prk_4e3m, 32);

	/* MAC_3 = EDHOC_KDF(PRK_4e3m, 6, context_3, mac_length_3),
	 * context_3 = << ID_CRED_I, TH_3, CRED_I, ? EAD_3 >> */
	np = context_parts(parts, NULL, 0, &id, th_3, &cred, e->ead, e->ead_len);
	sg__trace_parts(&tr, "context_3", parts, np);
	if ((rc = sg__kdf_step(prk_4e3m, SG__KDF_MAC_3, parts, np, mac_3, mac_len(e), &tr)) != 0)
		goto out;

	/* Signature_or_MAC_3 */
	if (e->method == SG_EDHOC_METHOD_SIG) {
		if ((rc = sg__sig_structure_hash(&id, th_3, &cred, e->ead, e->ead_len, mac_3,
						 mac_len(e), hash, &tr, "Sig_structure_3_cbor")) != 0)
			goto out;
		if ((rc = sg_es256_sign(cfg->priv, hash, sig, cfg->rng, cfg->rng_ctx)) != 0)
			goto out;
	} else {
		memcpy(sig, mac_3, sm_len);
	}
	sg__trace(&tr, "Signature_or_MAC_3", sig, sm_len);

	/* message_3 = bstr(CIPHERTEXT_3); PLAINTEXT_3 written in place */
	sg_cbor_enc_init(&enc, out, cap);
	sg_cbor_put_bstr_head(&enc, ct_len);
	pt_off = enc.len;
	if (id.compact_len)
		sg_cbor_put_raw(&enc, id.compact, id.compact_len);
	else {
		sg_cbor_put_raw(&enc, id.map[0].p, id.map[0].len);
		sg_cbor_put_raw(&enc, id.map[1].p, id.map[1].len);
	}
	sg_cbor_put_bstr(&enc, sig, sm_len);
	sg_cbor_put_raw(&enc, e->ead, e->ead_len);
	if (sg_cbor_enc_finish(&enc, NULL) != 0 || enc.len + tl != total) {
		rc = SG_EINTERNAL;
		goto out;
	}
	pt = out + pt_off;
	sg__trace(&tr, "PLAINTEXT_3", pt, pt_len);

	/* TH_4, PRK_out, PRK_exporter, K_4, IV_4 (TH_4 hashes the plaintext:
	 * before encryption) */
	if ((rc = derive_output(e, th_3, pt, pt_len, &cred, prk_4e3m, &tr)) != 0)
		goto out;

	/* K_3 / IV_3 = EDHOC_KDF(PRK_3e2m, 3 / 4, TH_3, ...); A_3 = Enc_structure;
	 * CIPHERTEXT_3 = AEAD(K_3, IV_3, A_3, PLAINTEXT_3) */
	if ((rc = sg__kdf_th(e->prk_3e2m, SG__KDF_K_3, th_3, k_3, KEY_LEN, &tr)) != 0 ||
	    (rc = sg__kdf_th(e->prk_3e2m, SG__KDF_IV_3, th_3, iv_3, IV_LEN, &tr)) != 0)
		goto out;
	enc_structure(a_3, th_3);
	sg__trace(&tr, "A_3", a_3, sizeof(a_3));
	if ((rc = sg_ccm_seal(k_3, iv_3, a_3, sizeof(a_3), pt, pt_len, pt, tl)) != 0)
		goto out;
	sg__trace(&tr, "CIPHERTEXT_3", pt, ct_len);

	/* commit: PRK_3e2m and PRK_4e3m are no longer needed */
	sg_wipe(e->prk_3e2m, sizeof(e->prk_3e2m));
	sg_wipe(e->prk_4e3m, sizeof(e->prk_4e3m));
	e->ead = NULL;
	e->ead_len = 0;
	e->state = SG_EDHOC_WAIT_M4;
	*out_len = total;
out:
	sg_wipe(mac_3, sizeof(mac_3));
	sg_wipe(k_3, sizeof(k_3));
	sg_wipe(iv_3, sizeof(iv_3));
	sg_wipe(prk_4e3m, sizeof(prk_4e3m));
	if (rc != 0) {
		sg_wipe(out, cap < total ? cap : total);
		return fail(e, rc, false);
	}
	return 0;
}

int sg_edhoc_process_message_3(struct sg_edhoc *e, unsigned char *msg, size_t len)
{
	struct sg__trace tr;
	struct sg_cbor_dec d;
	struct sg__peer_ref ref;
	struct sg__idcred id;
	struct sg__cred cred;
	struct sg_peer_cert peer;
	struct sg__part parts[8];
	const unsigned char *body, *sm, *ead;
	unsigned char *pt;
	unsigned char th_3[32], k_3[KEY_LEN], iv_3[IV_LEN], a_3[ENC_STRUCTURE_LEN];
	unsigned char salt[32], g_iy[32], prk_4e3m[32], mac_3[32];
	size_t body_len = 0, tl, pt_len, sm_len, ead_len, np;
	int rc;

	if (e == NULL || e->cfg == NULL || (msg == NULL && len > 0))
		return SG_EINVAL;
	if (e->role != SG_EDHOC_RESPONDER || e->state != SG_EDHOC_WAIT_M3)
		return SG_EUNEXPECTED;
	tr = tracer(e);
	memset(&peer, 0, sizeof(peer));
	memcpy(th_3, e->th, 32);

	/* Decode message_3 = ( CIPHERTEXT_3: bstr ) */
	sg_cbor_dec_init(&d, msg, len);
	if ((rc = sg_cbor_get_bstr(&d, &body, &body_len)) != 0)
		goto out;
	if (!sg_cbor_dec_done(&d)) {
		rc = SG_EDECODE;
		goto out;
	}
	tl = tag_len(e);
	if (body_len < tl) {
		rc = SG_ELENGTH;
		goto out;
	}
	pt = msg + (body - msg);
	pt_len = body_len - tl;
	sg__trace(&tr, "CIPHERTEXT_3", pt, body_len);

	/* Decrypt and verify CIPHERTEXT_3 with K_3, IV_3, A_3 */
	if ((rc = sg__kdf_th(e->prk_3e2m, SG__KDF_K_3, th_3, k_3, KEY_LEN, &tr)) != 0 ||
	    (rc = sg__kdf_th(e->prk_3e2m, SG__KDF_IV_3, th_3, iv_3, IV_LEN, &tr)) != 0)
		goto out;
	enc_structure(a_3, th_3);
	sg__trace(&tr, "A_3", a_3, sizeof(a_3));
	if ((rc = sg_ccm_open(k_3, iv_3, a_3, sizeof(a_3), pt, body_len, pt, tl)) != 0)
		goto out;
	sg__trace(&tr, "PLAINTEXT_3", pt, pt_len);

	/* Decode PLAINTEXT_3 = ( ID_CRED_I, Signature_or_MAC_3, ? EAD_3 ) */
	sg_cbor_dec_init(&d, pt, pt_len);
	if ((rc = decode_auth(e, &d, &ref, &sm, &sm_len, &ead, &ead_len)) != 0)
		goto out;

	/* CRED_I: obtain, validate, authorise */
	if ((rc = peer_credential(e, &ref, &id, &cred, &peer)) != 0)
		goto out;

	/* PRK_4e3m = PRK_3e2m, or with static DH EDHOC_Extract(SALT_4e3m, G_IY) */
	if (e->method == SG_EDHOC_METHOD_STATIC_DH) {
		if ((rc = sg__kdf_th(e->prk_3e2m, SG__KDF_SALT_4E3M, th_3, salt, 32, &tr)) != 0)
			goto out;
		if ((rc = sg_p256_ecdh(e->eph, peer.pub_x, g_iy)) != 0)
			goto out;
		sg__trace(&tr, "G_IY", g_iy, 32);
		if ((rc = sg__extract(salt, 32, g_iy, 32, prk_4e3m, &tr, "PRK_4e3m")) != 0)
			goto out;
	} else {
		memcpy(prk_4e3m, e->prk_3e2m, 32);
		sg__trace(&tr, "PRK_4e3m", prk_4e3m, 32);
	}

	/* MAC_3 over context_3 = << ID_CRED_I, TH_3, CRED_I, ? EAD_3 >> */
	np = context_parts(parts, NULL, 0, &id, th_3, &cred, ead, ead_len);
	sg__trace_parts(&tr, "context_3", parts, np);
	if ((rc = sg__kdf_step(prk_4e3m, SG__KDF_MAC_3, parts, np, mac_3, mac_len(e), &tr)) != 0)
		goto out;

	/* Verify Signature_or_MAC_3 (proof of possession) */
	sg__trace(&tr, "Signature_or_MAC_3", sm, sm_len);
	if ((rc = verify_sig_or_mac(e, &id, th_3, &cred, ead, ead_len, mac_3, sm, &peer, &tr,
				    "Sig_structure_3_cbor")) != 0)
		goto out;

	/* TH_4, PRK_out, PRK_exporter, K_4, IV_4 */
	if ((rc = derive_output(e, th_3, pt, pt_len, &cred, prk_4e3m, &tr)) != 0)
		goto out;

	/* commit: Y, PRK_3e2m, PRK_4e3m are no longer needed */
	sg_wipe(e->eph, sizeof(e->eph));
	sg_wipe(e->prk_3e2m, sizeof(e->prk_3e2m));
	sg_wipe(e->prk_4e3m, sizeof(e->prk_4e3m));
	e->state = SG_EDHOC_ESTABLISHED;
out:
	sg_wipe(k_3, sizeof(k_3));
	sg_wipe(iv_3, sizeof(iv_3));
	sg_wipe(salt, sizeof(salt));
	sg_wipe(g_iy, sizeof(g_iy));
	sg_wipe(prk_4e3m, sizeof(prk_4e3m));
	sg_wipe(mac_3, sizeof(mac_3));
	sg_wipe(&peer, sizeof(peer));
	if (rc != 0)
		return fail(e, rc, true);
	return 0;
}

/* ==== message_4 =============================================================== */

int sg_edhoc_write_message_4(struct sg_edhoc *e, unsigned char *out, size_t cap, size_t *out_len)
{
	struct sg__trace tr;
	struct sg_cbor_enc enc;
	unsigned char a_4[ENC_STRUCTURE_LEN];
	size_t tl, ct_len, total, off;
	int rc;

	if (e == NULL || e->cfg == NULL || out == NULL || out_len == NULL)
		return SG_EINVAL;
	if (e->role != SG_EDHOC_RESPONDER || e->state != SG_EDHOC_ESTABLISHED ||
	    !(e->flags & FLAG_K4))
		return SG_ESTATE;
	tr = tracer(e);
	/* message_4 = bstr(CIPHERTEXT_4), PLAINTEXT_4 = ( ? EAD_4 ) */
	tl = tag_len(e);
	ct_len = e->ead_len + tl;
	total = sg_cbor_head_len(ct_len) + ct_len;
	if (total > cap)
		return SG_ENOSPC;
	sg_cbor_enc_init(&enc, out, cap);
	sg_cbor_put_bstr_head(&enc, ct_len);
	off = enc.len;
	sg_cbor_put_raw(&enc, e->ead, e->ead_len);
	/* CIPHERTEXT_4 = AEAD(K_4, IV_4, A_4 = ["Encrypt0", h'', TH_4], PLAINTEXT_4) */
	enc_structure(a_4, e->th);
	sg__trace(&tr, "A_4", a_4, sizeof(a_4));
	rc = sg_ccm_seal(e->k_4, e->iv_4, a_4, sizeof(a_4), out + off, e->ead_len, out + off, tl);
	if (rc != 0)
		return fail(e, rc, false);
	sg__trace(&tr, "CIPHERTEXT_4", out + off, ct_len);
	sg_wipe(e->k_4, sizeof(e->k_4));
	sg_wipe(e->iv_4, sizeof(e->iv_4));
	e->flags &= (uint8_t)~FLAG_K4;
	e->ead = NULL;
	e->ead_len = 0;
	e->state = SG_EDHOC_DONE;
	*out_len = total;
	return 0;
}

int sg_edhoc_process_message_4(struct sg_edhoc *e, unsigned char *msg, size_t len)
{
	struct sg__trace tr;
	struct sg_cbor_dec d;
	unsigned char a_4[ENC_STRUCTURE_LEN];
	const unsigned char *body;
	unsigned char *pt;
	size_t body_len = 0, tl;
	int rc;

	if (e == NULL || e->cfg == NULL || (msg == NULL && len > 0))
		return SG_EINVAL;
	if (e->role != SG_EDHOC_INITIATOR || e->state != SG_EDHOC_WAIT_M4)
		return SG_EUNEXPECTED;
	tr = tracer(e);
	sg_cbor_dec_init(&d, msg, len);
	if ((rc = sg_cbor_get_bstr(&d, &body, &body_len)) != 0)
		goto out;
	if (!sg_cbor_dec_done(&d)) {
		rc = SG_EDECODE;
		goto out;
	}
	tl = tag_len(e);
	if (body_len < tl) {
		rc = SG_ELENGTH;
		goto out;
	}
	pt = msg + (body - msg);
	sg__trace(&tr, "CIPHERTEXT_4", pt, body_len);
	enc_structure(a_4, e->th);
	sg__trace(&tr, "A_4", a_4, sizeof(a_4));
	if ((rc = sg_ccm_open(e->k_4, e->iv_4, a_4, sizeof(a_4), pt, body_len, pt, tl)) != 0)
		goto out;
	/* EAD_4: padding only, no critical item */
	if ((rc = ead_check(pt, body_len - tl, false)) != 0 ||
	    (rc = ead_check(pt, body_len - tl, true)) != 0)
		goto out;
	sg_wipe(e->k_4, sizeof(e->k_4));
	sg_wipe(e->iv_4, sizeof(e->iv_4));
	e->flags &= (uint8_t)~FLAG_K4;
	e->state = SG_EDHOC_ESTABLISHED;
out:
	if (rc != 0)
		return fail(e, rc, true);
	return 0;
}

/* ==== errors ================================================================== */

static const char *diagnostic(int rc)
{
	switch (rc) {
	case SG_ECBOR:
	case SG_EDECODE:
	case SG_ELENGTH:
	case SG_EPOINT:
		return "malformed message";
	case SG_EMETHOD:
		return "method not supported";
	case SG_EEAD:
		return "critical EAD item not supported";
	case SG_ECREDTYPE:
		return "credential identifier not supported";
	case SG_EAUTH:
		return "authentication failed";
	default:
		if (rc <= -200 && rc > -300)
			return "credential not accepted";
		return "processing failed";
	}
}

int sg_edhoc_write_error(const struct sg_edhoc *e, unsigned char *out, size_t cap,
			 size_t *out_len)
{
	struct sg_cbor_enc enc;
	const uint8_t *s;
	const char *text;
	size_t n, i;
	int rc;

	if (e == NULL || out_len == NULL || (out == NULL && cap > 0))
		return SG_EINVAL;
	*out_len = 0;
	if (e->state != SG_EDHOC_ABORTED || e->err_send == 0 || e->cfg == NULL)
		return 0;
	/* error = ( ERR_CODE: int, ERR_INFO: any ) */
	sg_cbor_enc_init(&enc, out, cap);
	sg_cbor_put_int(&enc, e->err_send);
	switch (e->err_send) {
	case 2: /* SUITES_R: the suites this responder accepts */
		s = cfg_suites(e->cfg, &n);
		if (n > 1)
			sg_cbor_put_array(&enc, n);
		for (i = 0; i < n; i++)
			sg_cbor_put_uint(&enc, s[i]);
		break;
	case 3:
		sg_cbor_put_true(&enc);
		break;
	default:
		text = diagnostic(e->err_rc);
		sg_cbor_put_tstr(&enc, text, strlen(text));
		break;
	}
	if ((rc = sg_cbor_enc_finish(&enc, out_len)) != 0) {
		*out_len = 0;
		return rc;
	}
	return 0;
}

int sg_edhoc_process_error(struct sg_edhoc *e, const unsigned char *msg, size_t len)
{
	struct sg_cbor_dec d, info;
	int64_t code, s;
	size_t n, i;
	int rc;

	if (e == NULL || e->cfg == NULL || (msg == NULL && len > 0))
		return SG_EINVAL;
	sg_cbor_dec_init(&d, msg, len);
	if ((rc = sg_cbor_get_int(&d, &code)) != 0)
		return rc;
	info = d;
	if ((rc = sg_cbor_skip(&d, NULL, NULL)) != 0)
		return rc;
	if (!sg_cbor_dec_done(&d))
		return SG_EDECODE;
	if (!((e->role == SG_EDHOC_INITIATOR &&
	       (e->state == SG_EDHOC_WAIT_M2 || e->state == SG_EDHOC_WAIT_M4)) ||
	      (e->role == SG_EDHOC_RESPONDER && e->state == SG_EDHOC_WAIT_M3)))
		return SG_EUNEXPECTED;
	e->n_suites_r = 0;
	if (code == 2 && e->state == SG_EDHOC_WAIT_M2) {
		/* SUITES_R = int / [2* int]; what does not parse is ignored */
		n = 1;
		if (sg_cbor_peek_type(&info) == SG_CBOR_ARRAY && sg_cbor_get_array(&info, &n) != 0)
			n = 0;
		for (i = 0; i < n && e->n_suites_r < SG_EDHOC_SUITES_MAX; i++) {
			if (sg_cbor_get_int(&info, &s) != 0)
				break;
			if (s >= INT16_MIN && s <= INT16_MAX)
				e->suites_r[e->n_suites_r++] = (int16_t)s;
		}
	}
	/* Any error aborts; none is sent back (RFC 9528 6). */
	e->err_recv = (uint8_t)(code >= 0 && code < 255 ? code : 255);
	return fail(e, SG_EPEERERR, false);
}

int sg_edhoc_retry(struct sg_edhoc *e)
{
	const struct sg_edhoc_config *cfg;
	int16_t suites_r[SG_EDHOC_SUITES_MAX];
	uint8_t n_r, suite, id_cred, err;
	const uint8_t *pref;
	size_t n, i, j;
	int64_t now;
	bool found = false;

	if (e == NULL || e->cfg == NULL)
		return SG_EINVAL;
	cfg = e->cfg;
	if (e->role != SG_EDHOC_INITIATOR || e->state != SG_EDHOC_ABORTED ||
	    (e->err_recv != 2 && e->err_recv != 3))
		return SG_ESTATE;
	suite = e->suite;
	id_cred = e->id_cred;
	err = e->err_recv;
	if (err == 2) {
		/* Our most preferred suite among SUITES_R (6.3.2); never the
		 * one just refused, which would loop. */
		memcpy(suites_r, e->suites_r, sizeof(suites_r));
		n_r = e->n_suites_r;
		pref = cfg_suites(cfg, &n);
		for (i = 0; i < n && !found; i++) {
			if (pref[i] == e->suite)
				continue;
			for (j = 0; j < n_r; j++) {
				if (suites_r[j] == pref[i]) {
					suite = pref[i];
					found = true;
					break;
				}
			}
		}
		if (!found)
			return SG_ESUITE;
	} else {
		/* The responder does not know our certificate: send it. */
		if (cfg->cred.type != SG_EDHOC_CRED_X509 || e->id_cred != SG_EDHOC_ID_X5T)
			return SG_ESTATE;
		id_cred = SG_EDHOC_ID_X5CHAIN;
	}
	now = e->now;
	sg_wipe(e, sizeof(*e));
	(void)sg_edhoc_init(e, cfg); /* cfg was accepted before */
	e->now = now;
	e->suite = suite;
	e->id_cred = id_cred;
	return 0;
}

/* ==== results ================================================================= */

enum sg_edhoc_state sg_edhoc_state(const struct sg_edhoc *e)
{
	return (enum sg_edhoc_state)e->state;
}

bool sg_edhoc_established(const struct sg_edhoc *e)
{
	return e != NULL && (e->state == SG_EDHOC_WAIT_M4 || e->state == SG_EDHOC_ESTABLISHED ||
			     e->state == SG_EDHOC_DONE);
}

int sg_edhoc_method(const struct sg_edhoc *e)
{
	return e->method;
}

int sg_edhoc_suite(const struct sg_edhoc *e)
{
	return e->suite;
}

int sg_edhoc_peer_error(const struct sg_edhoc *e)
{
	return e->err_recv;
}

int sg_edhoc_failure(const struct sg_edhoc *e)
{
	return e->err_rc;
}

const unsigned char *sg_edhoc_c_i(const struct sg_edhoc *e, size_t *len)
{
	bool known = e->state != SG_EDHOC_START && e->state != SG_EDHOC_WAIT_M1;

	if (len != NULL)
		*len = known ? e->c_i_len : 0;
	return known ? e->c_i : NULL;
}

const unsigned char *sg_edhoc_c_r(const struct sg_edhoc *e, size_t *len)
{
	bool known = e->c_r_len > 0 || sg_edhoc_established(e);

	if (len != NULL)
		*len = known ? e->c_r_len : 0;
	return known ? e->c_r : NULL;
}

int sg_edhoc_exporter(const struct sg_edhoc *e, uint16_t label, const void *ctx,
		      size_t ctx_len, unsigned char *out, size_t len)
{
	struct sg__part part;

	if (e == NULL || (ctx == NULL && ctx_len > 0) || (out == NULL && len > 0) ||
	    len > SG_EDHOC_PLAINTEXT_2_MAX)
		return SG_EINVAL;
	if (!sg_edhoc_established(e))
		return SG_ESTATE;
	part.p = ctx;
	part.len = ctx_len;
	/* EDHOC_Exporter(label, context, length) = EDHOC_KDF(PRK_exporter, ...) */
	return sg__edhoc_kdf(e->prk_exporter, label, &part, 1, out, len, false, NULL, NULL, NULL);
}

int sg_edhoc_key_update(struct sg_edhoc *e, const void *ctx, size_t ctx_len)
{
	struct sg__trace tr;
	struct sg__part part;
	unsigned char prk_out[32];
	int rc;

	if (e == NULL || e->cfg == NULL || (ctx == NULL && ctx_len > 0))
		return SG_EINVAL;
	if (!sg_edhoc_established(e))
		return SG_ESTATE;
	tr = tracer(e);
	part.p = ctx;
	part.len = ctx_len;
	/* PRK_out = EDHOC_KDF(PRK_out, 11, context, hash_length) */
	rc = sg__kdf_step(e->prk_out, SG__KDF_KEY_UPDATE, &part, 1, prk_out, 32, &tr);
	if (rc == 0) {
		memcpy(e->prk_out, prk_out, 32);
		/* PRK_exporter = EDHOC_KDF(PRK_out, 10, h'', hash_length) */
		rc = sg__kdf_step(e->prk_out, SG__KDF_PRK_EXPORTER, NULL, 0, e->prk_exporter, 32,
				  &tr);
	}
	sg_wipe(prk_out, sizeof(prk_out));
	if (rc != 0) {
		sg_wipe(e->prk_out, sizeof(e->prk_out));
		sg_wipe(e->prk_exporter, sizeof(e->prk_exporter));
		return fail(e, rc, false);
	}
	return 0;
}
