/*
 * Benchmark of the crypto adapter's operations on this machine: prints
 * the median (and minimum) wall-clock time per operation in
 * microseconds over N runs (argument 1, default 101). A program that
 * prints figures, not a test: run it with `make bench`. Build without
 * sanitizers for representative numbers (it says so when it detects
 * them).
 *
 * Every operation runs on fixed, deterministic inputs (a seeded
 * xorshift RNG), so runs are comparable between builds. The P-256
 * operations include loading the group on each call, as the adapter
 * does it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "serguard/crypto.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif

static int bench_rng(void *ctx, unsigned char *buf, size_t len)
{
	uint64_t *s = ctx;
	size_t i;

	for (i = 0; i < len; i++) {
		*s ^= *s >> 12;
		*s ^= *s << 25;
		*s ^= *s >> 27;
		buf[i] = (unsigned char)((*s * 0x2545F4914F6CDD1DULL) >> 56);
	}
	return 0;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The state every operation works on. */
struct bench {
	uint64_t rng;
	unsigned char priv[32], pub_x[32], pub_y[32], peer_x[32], out[256];
	unsigned char hash[32], sig[64];
	unsigned char key[16], nonce[13], aad[8], pt[200];
};

static int op_keygen(struct bench *b)
{
	return sg_p256_keygen(bench_rng, &b->rng, b->out, b->out + 32);
}

static int op_ecdh(struct bench *b)
{
	return sg_p256_ecdh(b->priv, b->peer_x, b->out);
}

static int op_sign(struct bench *b)
{
	return sg_es256_sign(b->priv, b->hash, b->out, bench_rng, &b->rng);
}

static int op_verify(struct bench *b)
{
	return sg_es256_verify(b->pub_x, b->pub_y, b->hash, b->sig);
}

static int op_decompress(struct bench *b)
{
	return sg_p256_decompress(b->peer_x, b->out);
}

static int op_ccm64(struct bench *b)
{
	return sg_ccm_seal(b->key, b->nonce, b->aad, sizeof(b->aad), b->pt, 64, b->out, 8);
}

static int op_ccm200(struct bench *b)
{
	return sg_ccm_seal(b->key, b->nonce, b->aad, sizeof(b->aad), b->pt, 200, b->out, 8);
}

static void run(const char *name, int (*op)(struct bench *), struct bench *b,
		double *t, int n)
{
	int i;

	if (op(b) != 0) { /* warm-up, and a check that it works at all */
		fprintf(stderr, "%s: operation failed\n", name);
		exit(1);
	}
	for (i = 0; i < n; i++) {
		double t0 = now_us();

		if (op(b) != 0) {
			fprintf(stderr, "%s: operation failed\n", name);
			exit(1);
		}
		t[i] = now_us() - t0;
	}
	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	printf("%-34s %10.1f %10.1f %6d\n", name, t[n / 2], t[0], n);
}

int main(int argc, char **argv)
{
	struct bench b;
	unsigned char peer_priv[32];
	double *t;
	int n = argc > 1 ? atoi(argv[1]) : 101;

	if (n < 1) {
		fprintf(stderr, "usage: %s [runs]\n", argv[0]);
		return 2;
	}
	t = malloc((size_t)n * sizeof(*t));
	if (t == NULL)
		return 1;
	memset(&b, 0, sizeof(b));
	b.rng = 0x5EED5EED5EEDULL;
	if (sg_p256_keygen(bench_rng, &b.rng, b.priv, b.pub_x) != 0 ||
	    sg_p256_public(b.priv, b.pub_x, b.pub_y) != 0 ||
	    sg_p256_keygen(bench_rng, &b.rng, peer_priv, b.peer_x) != 0 ||
	    sg_sha256("serguard bench", 14, b.hash) != 0 ||
	    sg_es256_sign(b.priv, b.hash, b.sig, bench_rng, &b.rng) != 0) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	bench_rng(&b.rng, b.key, sizeof(b.key));
	bench_rng(&b.rng, b.nonce, sizeof(b.nonce));
	bench_rng(&b.rng, b.aad, sizeof(b.aad));
	bench_rng(&b.rng, b.pt, sizeof(b.pt));
#ifdef SANITIZED
	printf("NOTE: built with AddressSanitizer; figures are not representative\n");
#endif
	printf("%-34s %10s %10s %6s\n", "operation", "median us", "min us", "runs");
	run("P-256 ECDH keygen", op_keygen, &b, t, n);
	run("P-256 ECDH shared secret (x-only)", op_ecdh, &b, t, n);
	run("ES256 sign (RFC 6979)", op_sign, &b, t, n);
	run("ES256 verify", op_verify, &b, t, n);
	run("P-256 decompress (x -> y)", op_decompress, &b, t, n);
	run("AES-CCM-16-64-128 seal 64 B", op_ccm64, &b, t, n);
	run("AES-CCM-16-64-128 seal 200 B", op_ccm200, &b, t, n);
	free(t);
	return 0;
}
