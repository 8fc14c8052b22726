/*
 * Test support (see testenv.h).
 */
#include "testenv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t te_fixture(const char *name, unsigned char *buf, size_t cap)
{
	const char *top = getenv("top_srcdir");
	char path[1024];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/pki/fixtures/%s", top != NULL ? top : "..",
		 name);
	f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "cannot open %s (is top_srcdir set?)\n", path);
		exit(99);
	}
	n = fread(buf, 1, cap, f);
	if (ferror(f) || (n == cap && fgetc(f) != EOF)) {
		fprintf(stderr, "cannot read %s (or larger than %zu bytes)\n", path, cap);
		exit(99);
	}
	fclose(f);
	return n;
}

int te_rng(void *ctx, unsigned char *buf, size_t len)
{
	uint64_t *s = ctx;
	size_t i;

	for (i = 0; i < len; i++) {
		uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
		z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
		buf[i] = (unsigned char)(z ^ (z >> 31));
	}
	return 0;
}

int te_check_identity(void *ctx, const struct sg_peer_cert *peer)
{
	struct te_expect *x = ctx;

	x->calls++;
	if (x->cn[0] != '\0' && strcmp(x->cn, peer->id.subject_cn) != 0) {
		x->refused++;
		return SG_EIDENTITY;
	}
	return 0;
}

void te_end_setup(struct te_end *e, enum sg_conn_side side, const char *name,
		  const char *peer_cn, uint64_t seed)
{
	unsigned char ca[TE_CERT_MAX];
	char file[128];
	size_t n;

	memset(e, 0, sizeof(*e));
	snprintf(file, sizeof(file), "%s.crt.der", name);
	e->cert_len = te_fixture(file, e->cert, sizeof(e->cert));
	snprintf(file, sizeof(file), "%s.key.raw", name);
	if (te_fixture(file, e->key, sizeof(e->key)) != 32) {
		fprintf(stderr, "%s: not a 32-byte key\n", file);
		exit(99);
	}
	n = te_fixture("ca.crt.der", ca, sizeof(ca));
	if (sg_cert_store_init(&e->store) != 0 || sg_cert_store_add_ca(&e->store, ca, n) != 0) {
		fprintf(stderr, "cannot load the test CA\n");
		exit(99);
	}
	snprintf(e->expect.cn, sizeof(e->expect.cn), "%s", peer_cn);
	e->rng_state = seed;

	e->cfg.side = side;
	e->cfg.start = SG_CONN_START_GATEWAY;
	e->cfg.addr = 1;
	e->cfg.edhoc.method = SG_EDHOC_METHOD_SIG;
	e->cfg.edhoc.cred.type = SG_EDHOC_CRED_X509;
	e->cfg.edhoc.cred.bytes = e->cert;
	e->cfg.edhoc.cred.len = e->cert_len;
	e->cfg.edhoc.id_cred = SG_EDHOC_ID_X5CHAIN;
	e->cfg.edhoc.priv = e->key;
	e->cfg.edhoc.store = &e->store;
	e->cfg.edhoc.cert_policy.now = TE_NOW_UNIX;
	e->cfg.edhoc.cert_policy.role = side == SG_CONN_GATEWAY ? SG_ROLE_DEVICE : SG_ROLE_GATEWAY;
	e->cfg.edhoc.check_identity = te_check_identity;
	e->cfg.edhoc.identity_ctx = &e->expect;
	e->cfg.edhoc.rng = te_rng;
	e->cfg.edhoc.rng_ctx = &e->rng_state;
}

void te_end_use_cred(struct te_end *e, const char *cert, const char *key)
{
	char file[128];

	snprintf(file, sizeof(file), "%s.crt.der", cert);
	e->cert_len = te_fixture(file, e->cert, sizeof(e->cert));
	snprintf(file, sizeof(file), "%s.key.raw", key != NULL ? key : cert);
	if (te_fixture(file, e->key, sizeof(e->key)) != 32) {
		fprintf(stderr, "%s: not a 32-byte key\n", file);
		exit(99);
	}
	e->cfg.edhoc.cred.bytes = e->cert;
	e->cfg.edhoc.cred.len = e->cert_len;
	e->cfg.edhoc.priv = e->key;
}

void te_end_trust(struct te_end *e, const char *ca, const char *crl)
{
	unsigned char buf[TE_CERT_MAX];
	char file[128];
	size_t n;

	sg_cert_store_free(&e->store);
	snprintf(file, sizeof(file), "%s.crt.der", ca);
	n = te_fixture(file, buf, sizeof(buf));
	if (sg_cert_store_init(&e->store) != 0 || sg_cert_store_add_ca(&e->store, buf, n) != 0) {
		fprintf(stderr, "cannot load %s as a CA\n", file);
		exit(99);
	}
	if (crl != NULL) {
		snprintf(file, sizeof(file), "%s", crl);
		n = te_fixture(file, buf, sizeof(buf));
		if (sg_cert_store_add_crl(&e->store, buf, n) != 0) {
			fprintf(stderr, "cannot load the CRL %s\n", file);
			exit(99);
		}
	}
	e->cfg.edhoc.store = &e->store;
}

int te_end_init(struct te_end *e, uint64_t now_ms)
{
	struct sg_conn_buffers b;

	memset(&b, 0, sizeof(b));
	b.frame_rx = e->frame_rx;
	b.frame_rx_len = sizeof(e->frame_rx);
	b.wire_tx = e->wire_tx;
	b.wire_tx_len = sizeof(e->wire_tx);
	b.scratch = e->scratch;
	b.scratch_len = sizeof(e->scratch);
	b.hs_rx = e->hs_rx;
	b.hs_rx_len = sizeof(e->hs_rx);
	b.hs_tx = e->hs_tx;
	b.hs_tx_len = sizeof(e->hs_tx);
	b.app_rx = e->app_rx;
	b.app_rx_len = sizeof(e->app_rx);
	b.app_tx = e->app_tx;
	b.app_tx_len = sizeof(e->app_tx);
	return sg_conn_init(&e->c, &e->cfg, &b, now_ms);
}

void te_end_free(struct te_end *e)
{
	sg_conn_wipe(&e->c);
	sg_cert_store_free(&e->store);
}
