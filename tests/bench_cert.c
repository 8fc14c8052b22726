/*
 * Benchmark of certificate handling on this machine: prints the median
 * (and minimum) wall-clock time in microseconds of sg_cert_parse(),
 * sg_cert_verify() in the configurations the gateway and the devices use
 * (root only, root + CRL, through an intermediate) and of building a
 * store, over N runs (argument 1, default 101), on the test PKI
 * (argument 2: the fixtures directory). Also prints the DER sizes of the
 * fixtures a handshake carries. A program that prints figures, not a
 * test: `make bench`. Build without sanitizers for representative
 * numbers.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "serguard/cert.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif

struct blob {
	unsigned char b[2048];
	size_t n;
};

static const char *dir;

static void load(const char *file, struct blob *out)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "bench_cert: cannot open %s\n", path);
		exit(1);
	}
	out->n = fread(out->b, 1, sizeof(out->b), f);
	fclose(f);
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

static struct blob ca, crl, inter, dev, idev;

enum op { PARSE, VERIFY, VERIFY_CRL, VERIFY_INTER, STORE };

/* What a gateway does per configured root at start-up. */
static int store_cycle(void)
{
	struct sg_cert_store s;
	int r;

	if (sg_cert_store_init(&s) != 0)
		return -1;
	r = sg_cert_store_add_ca(&s, ca.b, ca.n);
	sg_cert_store_free(&s);
	return r;
}

static double timed(enum op op, struct sg_cert_store *s, int *err)
{
	struct sg_cert_policy pol = { INT64_C(1893456000), SG_NOTIME_REJECT, SG_ROLE_DEVICE,
				      SG_USAGE_SIGN };
	struct sg_peer_cert p;
	double t0 = now_us();

	switch (op) {
	case PARSE:
		*err |= sg_cert_parse(dev.b, dev.n, &p);
		break;
	case VERIFY:
	case VERIFY_CRL:
		*err |= sg_cert_verify(s, dev.b, dev.n, &pol, &p);
		break;
	case VERIFY_INTER:
		*err |= sg_cert_verify(s, idev.b, idev.n, &pol, &p);
		break;
	case STORE:
		*err |= store_cycle();
		break;
	}
	return now_us() - t0;
}

int main(int argc, char **argv)
{
	static const struct {
		enum op op;
		const char *name;
	} ops[] = {
		{ PARSE, "sg_cert_parse (device certificate)" },
		{ VERIFY, "sg_cert_verify, root only" },
		{ VERIFY_CRL, "sg_cert_verify, root + CRL" },
		{ VERIFY_INTER, "sg_cert_verify, through an intermediate" },
		{ STORE, "store: init + add root + free" },
	};
	long runs = argc > 1 ? strtol(argv[1], NULL, 10) : 101;
	double *t;
	size_t i;
	long k;
	int err = 0;

	dir = argc > 2 ? argv[2] : "tests/pki/fixtures";
	if (runs < 1 || runs > 1000000)
		runs = 101;
	load("ca.crt.der", &ca);
	load("ca.crl.der", &crl);
	load("inter-ca.crt.der", &inter);
	load("dev-a.crt.der", &dev);
	load("inter-dev.crt.der", &idev);
	t = calloc((size_t)runs, sizeof(*t));
	if (t == NULL)
		return 1;
#ifdef SANITIZED
	printf("note: built with sanitizers; times are not representative\n");
#endif
	printf("%-44s %10s %10s\n", "operation (us)", "median", "min");
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		struct sg_cert_store s;

		if (sg_cert_store_init(&s) != 0 || sg_cert_store_add_ca(&s, ca.b, ca.n) != 0)
			return 1;
		if (ops[i].op == VERIFY_CRL && sg_cert_store_add_crl(&s, crl.b, crl.n) != 0)
			return 1;
		if (ops[i].op == VERIFY_INTER && sg_cert_store_add_ca(&s, inter.b, inter.n) != 0)
			return 1;
		for (k = 0; k < runs; k++)
			t[k] = timed(ops[i].op, &s, &err);
		sg_cert_store_free(&s);
		qsort(t, (size_t)runs, sizeof(*t), cmp_double);
		printf("%-44s %10.1f %10.1f\n", ops[i].name, t[runs / 2], t[0]);
	}
	printf("DER sizes (bytes): ca %zu, dev-a %zu, inter-dev %zu, ca.crl %zu\n", ca.n, dev.n,
	       idev.n, crl.n);
	free(t);
	if (err != 0) {
		fprintf(stderr, "bench_cert: an operation failed (%d)\n", err);
		return 1;
	}
	return 0;
}
