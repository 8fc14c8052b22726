/*
 * bench_handshake: EDHOC handshake figures (make bench). Prints, for
 * method 0 / suite 2 with 1-byte connection identifiers and the test
 * PKI's certificates (gateway = initiator, dev-a = responder):
 *  - the bytes of each message and the total, with credentials by
 *    reference (x5t) and whole (x5chain, N-byte certificates), against
 *    RFC 9528's 242 and 2N + 228;
 *  - the CPU time each side spends in the engine per handshake (median
 *    of RUNS handshakes; certificate validation included);
 *  - sizeof(struct sg_edhoc).
 * A benchmark prints; it asserts nothing about time.
 *
 *   bench_handshake [RUNS]   (top_srcdir locates tests/pki/fixtures)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "serguard/cert.h"
#include "serguard/crypto.h"
#include "serguard/edhoc.h"

struct blob {
	unsigned char b[2048];
	size_t n;
};

static void load(const char *name, struct blob *out)
{
	const char *top = getenv("top_srcdir");
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/pki/fixtures/%s", top ? top : ".", name);
	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "bench_handshake: cannot open %s (set top_srcdir)\n", path);
		exit(2);
	}
	out->n = fread(out->b, 1, sizeof(out->b), f);
	fclose(f);
}

static int rng(void *ctx, unsigned char *buf, size_t len)
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

static int allow(void *ctx, const struct sg_peer_cert *peer)
{
	(void)ctx;
	(void)peer;
	return 0;
}

struct side {
	struct sg_edhoc_config cfg;
	struct sg_edhoc e;
	struct blob cert, key, peer;
	uint64_t rng;
	double cpu; /* seconds in this handshake */
};

static int lookup(void *ctx, enum sg_edhoc_idcred kind, const unsigned char *ref,
		  size_t ref_len, const unsigned char **cred, size_t *len)
{
	struct side *s = ctx;
	unsigned char h[32];

	if (kind != SG_EDHOC_ID_X5T || sg_sha256(s->peer.b, s->peer.n, h) != 0 || ref_len > 32 ||
	    memcmp(h, ref, ref_len) != 0)
		return -1;
	*cred = s->peer.b;
	*len = s->peer.n;
	return 0;
}

static struct sg_cert_store store;

static void side_init(struct side *s, enum sg_edhoc_role role, const char *name,
		      const char *peer, enum sg_edhoc_idcred how)
{
	char f[64];

	memset(s, 0, sizeof(*s));
	snprintf(f, sizeof(f), "%s.crt.der", name);
	load(f, &s->cert);
	snprintf(f, sizeof(f), "%s.key.raw", name);
	load(f, &s->key);
	snprintf(f, sizeof(f), "%s.crt.der", peer);
	load(f, &s->peer);
	s->rng = role == SG_EDHOC_INITIATOR ? 1 : 2;
	s->cfg.role = role;
	s->cfg.method = SG_EDHOC_METHOD_SIG;
	s->cfg.cred.type = SG_EDHOC_CRED_X509;
	s->cfg.cred.bytes = s->cert.b;
	s->cfg.cred.len = s->cert.n;
	s->cfg.id_cred = how;
	s->cfg.priv = s->key.b;
	s->cfg.store = &store;
	s->cfg.cert_policy.now = 1893456000; /* 2030-01-01 */
	s->cfg.cert_policy.role = role == SG_EDHOC_INITIATOR ? SG_ROLE_DEVICE : SG_ROLE_GATEWAY;
	s->cfg.check_identity = allow;
	s->cfg.lookup = lookup;
	s->cfg.lookup_ctx = s;
	s->cfg.rng = rng;
	s->cfg.rng_ctx = &s->rng;
}

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#define TIMED(side, call)                                                        \
	do {                                                                     \
		double t0_ = cpu_now();                                          \
		int rc_ = (call);                                                \
		(side)->cpu += cpu_now() - t0_;                                  \
		if (rc_ != 0) {                                                  \
			fprintf(stderr, "bench_handshake: %s: %s\n", #call,      \
				sg_errname(rc_));                                \
			exit(1);                                                 \
		}                                                                \
	} while (0)

/* One handshake (message_1..message_4); sizes into len[1..4]. */
static void handshake(struct side *i, struct side *r, size_t len[5])
{
	unsigned char m[2048];

	i->cpu = r->cpu = 0;
	TIMED(i, sg_edhoc_init(&i->e, &i->cfg));
	TIMED(r, sg_edhoc_init(&r->e, &r->cfg));
	TIMED(i, sg_edhoc_write_message_1(&i->e, m, sizeof(m), &len[1]));
	TIMED(r, sg_edhoc_process_message_1(&r->e, m, len[1]));
	TIMED(r, sg_edhoc_write_message_2(&r->e, m, sizeof(m), &len[2]));
	TIMED(i, sg_edhoc_process_message_2(&i->e, m, len[2]));
	TIMED(i, sg_edhoc_write_message_3(&i->e, m, sizeof(m), &len[3]));
	TIMED(r, sg_edhoc_process_message_3(&r->e, m, len[3]));
	TIMED(r, sg_edhoc_write_message_4(&r->e, m, sizeof(m), &len[4]));
	TIMED(i, sg_edhoc_process_message_4(&i->e, m, len[4]));
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void bench(const char *label, enum sg_edhoc_idcred how, int runs)
{
	struct side *i = malloc(sizeof(*i)), *r = malloc(sizeof(*r));
	double *ti = malloc(sizeof(double) * (size_t)runs), *tr = malloc(sizeof(double) * (size_t)runs);
	size_t len[5] = {0};
	int k;

	if (i == NULL || r == NULL || ti == NULL || tr == NULL)
		exit(2);
	side_init(i, SG_EDHOC_INITIATOR, "gw", "dev-a", how);
	side_init(r, SG_EDHOC_RESPONDER, "dev-a", "gw", how);
	for (k = 0; k < runs; k++) {
		handshake(i, r, len);
		ti[k] = i->cpu;
		tr[k] = r->cpu;
	}
	qsort(ti, (size_t)runs, sizeof(double), cmp);
	qsort(tr, (size_t)runs, sizeof(double), cmp);
	printf("%-8s message_1 %4zu  message_2 %4zu  message_3 %4zu  total %4zu  (+ message_4 %zu = %zu)\n",
	       label, len[1], len[2], len[3], len[1] + len[2] + len[3], len[4],
	       len[1] + len[2] + len[3] + len[4]);
	if (how == SG_EDHOC_ID_X5T)
		printf("         RFC 9528: 37 + 115 + 90 = 242\n");
	else
		printf("         N_R = %zu (dev-a), N_I = %zu (gw): N_R + 108 = %zu, N_I + 83 = %zu, "
		       "N_R + N_I + 228 = %zu (2N + 228 for equal N)\n",
		       r->cert.n, i->cert.n, r->cert.n + 108, i->cert.n + 83,
		       r->cert.n + i->cert.n + 228);
	printf("         CPU per handshake (median of %d): initiator %.2f ms, responder %.2f ms\n",
	       runs, ti[runs / 2] * 1e3, tr[runs / 2] * 1e3);
	free(i);
	free(r);
	free(ti);
	free(tr);
}

int main(int argc, char **argv)
{
	struct blob ca;
	int runs = argc > 1 ? atoi(argv[1]) : 51;

	if (runs < 1)
		runs = 1;
	load("ca.crt.der", &ca);
	if (sg_cert_store_init(&store) != 0 || sg_cert_store_add_ca(&store, ca.b, ca.n) != 0) {
		fprintf(stderr, "bench_handshake: cannot set up the trust store\n");
		return 2;
	}
	printf("EDHOC method 0, cipher suite 2, 1-byte C_I/C_R, no EAD; bytes per message\n");
	bench("x5t", SG_EDHOC_ID_X5T, runs);
	bench("x5chain", SG_EDHOC_ID_X5CHAIN, runs);
	printf("sizeof(struct sg_edhoc) = %zu bytes (plus the caller's message buffers)\n",
	       sizeof(struct sg_edhoc));
	sg_cert_store_free(&store);
	return 0;
}
