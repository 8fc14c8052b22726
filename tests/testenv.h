/*
 * Test support: the committed test PKI as ready-made EDHOC parties, a
 * deterministic RNG, and a complete session endpoint (engine + buffers)
 * that tests and tools build on.
 */
#ifndef SG_TEST_TESTENV_H
#define SG_TEST_TESTENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "serguard/conn.h"

#define TE_CERT_MAX 1024

/* Read tests/pki/fixtures/NAME (relative to $top_srcdir) into buf;
 * aborts the test program with a message when it cannot. */
size_t te_fixture(const char *name, unsigned char *buf, size_t cap);

/* splitmix64 RNG; ctx is a uint64_t state. */
int te_rng(void *ctx, unsigned char *buf, size_t len);

/* An identity the peer must present (for the policy callback). */
struct te_expect {
	char cn[65]; /* "" accepts any certificate that validated */
	unsigned calls, refused;
};
int te_check_identity(void *ctx, const struct sg_peer_cert *peer);

/* One side of a link: its credential, trust store and engine. */
struct te_end {
	unsigned char cert[TE_CERT_MAX];
	size_t cert_len;
	unsigned char key[32];
	struct sg_cert_store store;
	struct te_expect expect;
	uint64_t rng_state;
	struct sg_conn_config cfg;
	struct sg_conn c;
	unsigned char frame_rx[SG_FRAME_DECODE_BUF_LEN(255)];
	unsigned char wire_tx[SG_FRAME_ENCODED_MAX(255)];
	unsigned char scratch[255];
	unsigned char hs_rx[1500], hs_tx[1500];
	unsigned char app_rx[SG_MSGQ_BUF_LEN(32, 255)];
	unsigned char app_tx[SG_MSGQ_BUF_LEN(32, 255)];
};

/*
 * Set up e as `side` with the fixture credential `name` (gw, dev-a, ...),
 * trusting the test CA, expecting a peer whose CN is peer_cn ("" = any),
 * at bus address 1, wall clock 2030-01-01. Fills e->cfg with the
 * defaults; the caller may change e->cfg before te_end_init().
 */
void te_end_setup(struct te_end *e, enum sg_conn_side side, const char *name,
		  const char *peer_cn, uint64_t seed);
/* sg_conn_init() with e->cfg and e's buffers; returns its result. */
int te_end_init(struct te_end *e, uint64_t now_ms);
void te_end_free(struct te_end *e);

/*
 * Certificate factory (tests/pki/fixtures/README.md lists the names): the
 * test CA "ca", a "foreign-ca" with our root's name, "gw", "dev-a",
 * "dev-b", "dev-c", and one certificate per way to be wrong: "expired",
 * "future", "wrong-ku", "wrong-eku", "no-eku", "wrong-curve" (P-384),
 * "selfsigned", "leaf-as-ca-child", "foreign-dev", "inter-dev",
 * "revoked", ...
 *
 * te_end_use_cred: present certificate `cert` with the private key of
 * fixture `key` (NULL: the certificate's own; a certificate whose key is
 * not P-256, like wrong-curve, needs another fixture's key). Call after
 * te_end_setup() and before te_end_init().
 * te_end_trust: replace the trust store by CA fixture `ca`, and load the
 * CRL fixture `crl` (NULL: none).
 */
void te_end_use_cred(struct te_end *e, const char *cert, const char *key);
void te_end_trust(struct te_end *e, const char *ca, const char *crl);

/* 2030-01-01T00:00:00Z */
#define TE_NOW_UNIX 1893456000

#endif
