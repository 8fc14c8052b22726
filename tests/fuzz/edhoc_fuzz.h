/*
 * Shared setup of the EDHOC fuzz targets (fuzz_edhoc_*.c).
 *
 * One deterministic world: an initiator and a responder with raw P-256
 * keys (CCS by kid 0x2b / 0x32, as in RFC 9529 trace 2), fixed ephemeral
 * keys and a deterministic RNG, for method 0 and for method 3. At the
 * first call a complete handshake runs per method with the trace hook
 * on, which records the keys an attacker-free peer would use (PRK_2e,
 * TH_2, K_3, IV_3, A_3, K_4, IV_4, A_4), and engine snapshots are taken
 * in every state that waits for a message. Each fuzz input then starts
 * from a copy of a snapshot, so a run costs no key generation.
 *
 * The first input byte chooses the method (bit 0) and, for message_2/3/4,
 * whether the rest is the message itself (bit 1 clear) or a PLAINTEXT
 * that the harness encrypts as the honest peer would (bit 1 set): that
 * way the fuzzer reaches the plaintext parsers behind the keystream and
 * the AEAD.
 */
#ifndef SERGUARD_EDHOC_FUZZ_H
#define SERGUARD_EDHOC_FUZZ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../proto/src/internal.h"
#include "../tracebuf.h"
#include "serguard/cbor.h"
#include "serguard/crypto.h"
#include "serguard/edhoc.h"

#define FZ_MSG_MAX 4096

struct fz_party {
	struct sg_edhoc_config cfg;
	unsigned char priv[32], ccs[160], kid;
	size_t ccs_len;
	uint64_t rng;
};

struct fz_method {
	struct fz_party i, r;
	/* snapshots of the engines, by the state they wait in */
	struct sg_edhoc i_wait_m2, r_wait_m1, r_wait_m3, i_wait_m4;
	/* what an honest peer uses, recorded from a full handshake */
	unsigned char prk_2e[32], th_2[32], g_y[32];
	unsigned char k_3[16], iv_3[13], a_3[45], k_4[16], iv_4[13], a_4[45];
	size_t tag;
};

struct fz_world {
	struct fz_method m[2]; /* [0]: method 0, [1]: method 3 */
	int ready;
};

static inline int fz_rng(void *ctx, unsigned char *buf, size_t len)
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

static inline int fz_identity(void *ctx, const struct sg_peer_cert *peer)
{
	(void)ctx;
	(void)peer;
	return 0;
}

static struct fz_world fz_w;

static inline int fz_lookup(void *ctx, enum sg_edhoc_idcred kind, const unsigned char *ref,
		     size_t ref_len, const unsigned char **cred, size_t *len)
{
	const struct fz_party *peer = ctx;

	if (kind != SG_EDHOC_ID_KID || ref_len != 1 || ref[0] != peer->kid)
		return -1;
	*cred = peer->ccs;
	*len = peer->ccs_len;
	return 0;
}

static inline void fz_need(int ok)
{
	if (!ok)
		abort();
}

/* A CCS with the EC2 P-256 public key of priv. */
static inline void fz_ccs(struct fz_party *p, const char *sub)
{
	unsigned char x[32], y[32];
	struct sg_cbor_enc e;

	fz_need(sg_p256_public(p->priv, x, y) == 0);
	sg_cbor_enc_init(&e, p->ccs, sizeof(p->ccs));
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
	sg_cbor_put_bstr(&e, &p->kid, 1);
	sg_cbor_put_int(&e, -1);
	sg_cbor_put_uint(&e, 1);
	sg_cbor_put_int(&e, -2);
	sg_cbor_put_bstr(&e, x, 32);
	sg_cbor_put_int(&e, -3);
	sg_cbor_put_bstr(&e, y, 32);
	fz_need(sg_cbor_enc_finish(&e, &p->ccs_len) == 0);
}

static inline void fz_party_init(struct fz_party *p, struct fz_party *peer, enum sg_edhoc_role role,
			  int method, struct tracebuf *tb)
{
	static const unsigned char c_i = 0x37, c_r = 0x27;
	size_t k;

	memset(&p->cfg, 0, sizeof(p->cfg));
	for (k = 0; k < 32; k++)
		p->priv[k] = (unsigned char)(role == SG_EDHOC_INITIATOR ? 0x40 + k : 0x60 + k);
	p->kid = role == SG_EDHOC_INITIATOR ? 0x2b : 0x32;
	fz_ccs(p, role == SG_EDHOC_INITIATOR ? "initiator" : "responder");
	p->cfg.role = role;
	p->cfg.method = (uint8_t)method;
	p->cfg.methods = SG_EDHOC_METHOD_BIT(method);
	p->cfg.suites[0] = 2;
	p->cfg.suites[1] = 3;
	p->cfg.n_suites = role == SG_EDHOC_INITIATOR ? 1 : 2;
	p->cfg.cred.type = SG_EDHOC_CRED_CCS;
	p->cfg.cred.bytes = p->ccs;
	p->cfg.cred.len = p->ccs_len;
	p->cfg.cred.kid = &p->kid;
	p->cfg.cred.kid_len = 1;
	p->cfg.id_cred = SG_EDHOC_ID_KID;
	p->cfg.priv = p->priv;
	p->cfg.cid = role == SG_EDHOC_INITIATOR ? &c_i : &c_r;
	p->cfg.cid_len = 1;
	p->cfg.cert_policy.now = SG_TIME_UNKNOWN;
	p->cfg.check_identity = fz_identity;
	p->cfg.lookup = fz_lookup;
	p->cfg.lookup_ctx = peer;
	p->cfg.rng = fz_rng;
	p->cfg.rng_ctx = &p->rng;
	p->cfg.trace = tb != NULL ? tb_hook : NULL;
	p->cfg.trace_ctx = tb;
	p->rng = role == SG_EDHOC_INITIATOR ? 11 : 22;
}

static inline void fz_copy(struct tracebuf *tb, const char *name, unsigned char *out, size_t len)
{
	size_t l;
	const unsigned char *v = tb_get(tb, name, &l);

	fz_need(v != NULL && l == len);
	memcpy(out, v, len);
}

static inline void fz_setup_method(struct fz_method *m, int method)
{
	static const unsigned char x[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
					    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
	static const unsigned char y[32] = {32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17,
					    16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
	struct tracebuf tb;
	struct sg_edhoc i, r;
	unsigned char *buf = malloc(FZ_MSG_MAX);
	size_t len;

	fz_need(buf != NULL);
	tb_init(&tb);
	fz_party_init(&m->i, &m->r, SG_EDHOC_INITIATOR, method, &tb);
	fz_party_init(&m->r, &m->i, SG_EDHOC_RESPONDER, method, &tb);
	fz_need(sg_edhoc_init(&i, &m->i.cfg) == 0);
	fz_need(sg_edhoc_init(&r, &m->r.cfg) == 0);
	fz_need(sg_edhoc_test_ephemeral(&i, x) == 0);
	fz_need(sg_edhoc_test_ephemeral(&r, y) == 0);
	m->r_wait_m1 = r;
	fz_need(sg_edhoc_write_message_1(&i, buf, FZ_MSG_MAX, &len) == 0);
	m->i_wait_m2 = i;
	fz_need(sg_edhoc_process_message_1(&r, buf, len) == 0);
	fz_need(sg_edhoc_write_message_2(&r, buf, FZ_MSG_MAX, &len) == 0);
	m->r_wait_m3 = r;
	fz_need(sg_edhoc_process_message_2(&i, buf, len) == 0);
	fz_need(sg_edhoc_write_message_3(&i, buf, FZ_MSG_MAX, &len) == 0);
	m->i_wait_m4 = i;
	fz_need(sg_edhoc_process_message_3(&r, buf, len) == 0);
	fz_need(sg_edhoc_write_message_4(&r, buf, FZ_MSG_MAX, &len) == 0);
	fz_need(sg_edhoc_process_message_4(&i, buf, len) == 0);
	fz_copy(&tb, "PRK_2e", m->prk_2e, 32);
	fz_copy(&tb, "TH_2", m->th_2, 32);
	fz_copy(&tb, "G_Y", m->g_y, 32);
	fz_copy(&tb, "K_3", m->k_3, 16);
	fz_copy(&tb, "IV_3", m->iv_3, 13);
	fz_copy(&tb, "A_3", m->a_3, 45);
	fz_copy(&tb, "K_4", m->k_4, 16);
	fz_copy(&tb, "IV_4", m->iv_4, 13);
	fz_copy(&tb, "A_4", m->a_4, 45);
	fz_need(tb.conflicts == 0);
	m->tag = 8;
	/* fuzzing runs without the trace hook */
	m->i.cfg.trace = NULL;
	m->r.cfg.trace = NULL;
	tb_free(&tb);
	free(buf);
}

static inline struct fz_world *fz_world(void)
{
	if (!fz_w.ready) {
		fz_setup_method(&fz_w.m[0], SG_EDHOC_METHOD_SIG);
		fz_setup_method(&fz_w.m[1], SG_EDHOC_METHOD_STATIC_DH);
		fz_w.ready = 1;
	}
	return &fz_w;
}

/* message_2 around a fuzzed PLAINTEXT_2, encrypted as the honest
 * responder of the snapshot would have. */
static inline size_t fz_wrap_plaintext_2(const struct fz_method *m, const uint8_t *pt, size_t pt_len,
				  unsigned char *out, size_t cap)
{
	struct sg_cbor_enc e;
	size_t len, off;

	if (pt_len > SG_EDHOC_PLAINTEXT_2_MAX)
		pt_len = SG_EDHOC_PLAINTEXT_2_MAX;
	sg_cbor_enc_init(&e, out, cap);
	sg_cbor_put_bstr_head(&e, 32 + pt_len);
	sg_cbor_put_raw(&e, m->g_y, 32);
	off = e.len;
	sg_cbor_put_raw(&e, pt, pt_len);
	if (sg_cbor_enc_finish(&e, &len) != 0)
		return 0;
	fz_need(sg__kdf_th(m->prk_2e, SG__KDF_KEYSTREAM_2, m->th_2, out + off, pt_len, NULL) == 0);
	return len;
}

/* message_3 / message_4 around a fuzzed PLAINTEXT, sealed with the
 * honest peer's keys. */
static inline size_t fz_wrap_aead(const unsigned char *k, const unsigned char *iv, const unsigned char *a,
			   size_t tag, const uint8_t *pt, size_t pt_len, unsigned char *out,
			   size_t cap)
{
	struct sg_cbor_enc e;
	size_t len, off;

	sg_cbor_enc_init(&e, out, cap);
	sg_cbor_put_bstr_head(&e, pt_len + tag);
	off = e.len;
	sg_cbor_put_raw(&e, pt, pt_len);
	sg_cbor_put_raw(&e, NULL, tag);
	if (sg_cbor_enc_finish(&e, &len) != 0)
		return 0;
	fz_need(sg_ccm_seal(k, iv, a, 45, out + off, pt_len, out + off, tag) == 0);
	return len;
}

/* After any processing call: a known code, and the state rules. */
static inline void fz_check(const struct sg_edhoc *e, const struct sg_edhoc *before, int rc)
{
	unsigned char err[SG_EDHOC_ERROR_MAX];
	size_t len;

	if (rc > 0 || (rc < 0 && strcmp(sg_errname(rc), "SG_E?") == 0))
		abort();
	if (rc == SG_EUNEXPECTED || rc == SG_ECBOR || rc == SG_EDECODE) {
		/* dropped: for these the state must not have moved, unless it
		 * was a real processing failure (aborted) */
		if (e->state != before->state && e->state != SG_EDHOC_ABORTED)
			abort();
	}
	if (rc != 0 && e->state != SG_EDHOC_ABORTED && e->state != before->state)
		abort();
	if (rc != 0 && sg_edhoc_established(e) && !sg_edhoc_established(before))
		abort();
	if (sg_edhoc_write_error(e, err, sizeof(err), &len) != 0 || len > sizeof(err))
		abort();
}

#endif
