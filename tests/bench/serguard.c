/*
 * Benchmark: serguard's handshake and records on the wire, counted the
 * same way as the DTLS 1.2 baseline (tests/bench/dtls12.c), so that the
 * two can stand in one table.
 *
 * Two session engines (gateway and device, the test PKI's gw and dev-a
 * certificates) in one process, connected by an in-memory line that
 * counts every byte written to it: frames with their COBS encoding,
 * delimiters, address, control byte and CRC. A handshake is counted from
 * the gateway's first byte until both sides can send application data
 * (the gateway has message_4). Certificates travel by reference (x5t,
 * the peer has the certificate cached) or whole (x5chain, leaf only).
 *
 * With --dtls FILE (the baseline's JSON) it prints the comparison table;
 * with --json FILE it writes its figures as {"protocol":{"serguard":{}}}.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../testenv.h"

struct count {
	uint64_t bytes[2]; /* 0: gateway -> device, 1: device -> gateway */
	unsigned frames[2];
	unsigned flights;
	int last_dir;
	double cpu_ms[2];
};

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The peer's certificate, for x5t references (a cache of one). */
static int lookup(void *ctx, enum sg_edhoc_idcred kind, const unsigned char *ref,
		  size_t ref_len, const unsigned char **cred, size_t *len)
{
	const struct te_end *peer = ctx;

	(void)ref;
	(void)ref_len;
	if (kind != SG_EDHOC_ID_X5T)
		return -1;
	*cred = peer->cert;
	*len = peer->cert_len;
	return 0; /* the engine checks that it hashes to ref */
}

/* Move one side's output to the other, counting; time the receiver. */
static int move(struct te_end *from, struct te_end *to, int dir, struct count *k,
		uint64_t now)
{
	const unsigned char *p;
	size_t n;
	double t;
	int moved = 0;

	for (;;) {
		t = cpu_now();
		n = sg_conn_wire_peek(&from->c, &p, now);
		k->cpu_ms[dir] += cpu_now() - t;
		if (n == 0)
			break;
		if (k->last_dir != dir) {
			k->flights++;
			k->last_dir = dir;
		}
		k->bytes[dir] += n;
		k->frames[dir]++;
		t = cpu_now();
		sg_conn_wire_push(&to->c, p, n, now);
		if (sg_conn_status(&to->c) & SG_CONN_WANT_WORK)
			sg_conn_work(&to->c, now);
		k->cpu_ms[dir ^ 1] += cpu_now() - t;
		sg_conn_wire_ack(&from->c, n);
		moved = 1;
	}
	return moved;
}

static const char *gw_name = "gw", *dev_name = "dev-a";

static void setup(struct te_end *gw, struct te_end *dev, bool by_ref, uint64_t seed)
{
	te_end_setup(gw, SG_CONN_GATEWAY, gw_name, "dev-a", seed);
	te_end_setup(dev, SG_CONN_DEVICE, dev_name, "gateway", seed + 1);
	if (by_ref) {
		gw->cfg.edhoc.id_cred = SG_EDHOC_ID_X5T;
		dev->cfg.edhoc.id_cred = SG_EDHOC_ID_X5T;
		gw->cfg.edhoc.lookup = lookup;
		gw->cfg.edhoc.lookup_ctx = dev;
		dev->cfg.edhoc.lookup = lookup;
		dev->cfg.edhoc.lookup_ctx = gw;
	}
	if (te_end_init(gw, 0) != 0 || te_end_init(dev, 0) != 0) {
		fprintf(stderr, "engine setup failed\n");
		exit(1);
	}
}

static void handshake(bool by_ref, uint64_t seed, struct count *k)
{
	static struct te_end gw, dev;
	int rounds = 0;
	double t;

	memset(k, 0, sizeof(*k));
	k->last_dir = -1;
	setup(&gw, &dev, by_ref, seed);
	/* only the gateway starts, as on a bus: no device REQUEST counted */
	t = cpu_now();
	sg_conn_start(&gw.c, 0);
	k->cpu_ms[0] += cpu_now() - t;
	while (!((sg_conn_status(&gw.c) & SG_CONN_ESTABLISHED) &&
		 (sg_conn_status(&dev.c) & SG_CONN_ESTABLISHED))) {
		if (!move(&gw, &dev, 0, k, 0) && !move(&dev, &gw, 1, k, 0) && ++rounds > 10) {
			fprintf(stderr, "handshake did not complete\n");
			exit(1);
		}
	}
	te_end_free(&gw);
	te_end_free(&dev);
}

struct rec_figs {
	size_t record_oh, wire_oh;
};

/* Overhead of one message of size n, and the wire bytes of a stream. */
static void records(bool fresh, size_t n, struct rec_figs *f, double *goodput)
{
	static struct te_end gw, dev;
	static unsigned char msg[255];
	struct count k;
	uint64_t before;
	int i;

	te_end_setup(&gw, SG_CONN_GATEWAY, gw_name, "dev-a", 7);
	te_end_setup(&dev, SG_CONN_DEVICE, dev_name, "gateway", 8);
	if (fresh) {
		sg_record_config_default(&gw.cfg.record, 8, 1, SG_FRAME_FROM_GATEWAY);
		sg_record_config_default(&dev.cfg.record, 8, 1, SG_FRAME_FROM_DEVICE);
		gw.cfg.record.freshness = dev.cfg.record.freshness = true;
	}
	if (te_end_init(&gw, 0) != 0 || te_end_init(&dev, 0) != 0)
		exit(1);
	memset(&k, 0, sizeof(k));
	k.last_dir = -1;
	sg_conn_start(&gw.c, 0);
	while (move(&gw, &dev, 0, &k, 0) | move(&dev, &gw, 1, &k, 0))
		;
	memset(msg, 0x5A, sizeof(msg));
	before = k.bytes[0];
	if (sg_conn_send(&gw.c, msg, n, 1) != 0)
		exit(1);
	move(&gw, &dev, 0, &k, 1);
	f->wire_oh = (size_t)(k.bytes[0] - before) - n;
	f->record_oh = sg_record_overhead(sg_conn_record(&gw.c));
	if (goodput != NULL) {
		before = k.bytes[0];
		for (i = 0; i < 100; i++) {
			if (sg_conn_send(&gw.c, msg, n, 2) != 0)
				exit(1);
			move(&gw, &dev, 0, &k, 2);
		}
		*goodput = (double)(100 * n) / (double)(k.bytes[0] - before);
	}
	te_end_free(&gw);
	te_end_free(&dev);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* A number after "key": in a flat JSON file (the baseline's). */
static double json_num(const char *text, const char *key)
{
	char pat[128];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = text != NULL ? strstr(text, pat) : NULL;
	return p != NULL ? strtod(p + strlen(pat), NULL) : -1;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *b;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = calloc(1, (size_t)n + 1);
	if (b != NULL && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	fclose(f);
	return b;
}

struct hs_figs {
	struct count k;	  /* of the median-CPU handshake (bytes are the same) */
	double cpu[2];	  /* medians */
	double t9600, t115200;
};

static void measure(bool by_ref, int n, struct hs_figs *h)
{
	double *c0 = calloc((size_t)n, sizeof(double)), *c1 = calloc((size_t)n, sizeof(double));
	struct count k;
	uint64_t total;
	int i;

	if (c0 == NULL || c1 == NULL)
		exit(1);
	for (i = 0; i < n; i++) {
		handshake(by_ref, 100 + (uint64_t)i * 2, &k);
		c0[i] = k.cpu_ms[0];
		c1[i] = k.cpu_ms[1];
		if (i == 0)
			h->k = k;
	}
	qsort(c0, (size_t)n, sizeof(double), cmp_d);
	qsort(c1, (size_t)n, sizeof(double), cmp_d);
	h->cpu[0] = c0[n / 2];
	h->cpu[1] = c1[n / 2];
	total = h->k.bytes[0] + h->k.bytes[1];
	h->t9600 = (double)total * 10.0 * 1000.0 / 9600.0 + h->cpu[0] + h->cpu[1];
	h->t115200 = (double)total * 10.0 * 1000.0 / 115200.0 + h->cpu[0] + h->cpu[1];
	free(c0);
	free(c1);
}

int main(int argc, char **argv)
{
	const char *json = NULL, *dtls = NULL, *key = "serguard";
	char fname[256];
	struct hs_figs ref, whole;
	struct rec_figs r[4], rf;
	static const size_t sizes[4] = { 1, 16, 64, 200 };
	double g64, g200;
	unsigned char cb[TE_CERT_MAX];
	size_t cert_gw, cert_dev;
	char *dt;
	int n = 21, i;
	FILE *f;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			n = atoi(argv[++i]);
		else if (strcmp(argv[i], "--json") == 0 && i + 1 < argc)
			json = argv[++i];
		else if (strcmp(argv[i], "--dtls") == 0 && i + 1 < argc)
			dtls = argv[++i];
		else if (strcmp(argv[i], "--gw") == 0 && i + 1 < argc)
			gw_name = argv[++i];
		else if (strcmp(argv[i], "--dev") == 0 && i + 1 < argc)
			dev_name = argv[++i];
		else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc)
			key = argv[++i];
		else {
			fprintf(stderr, "usage: serguard [-n HANDSHAKES] [--json FILE] [--dtls FILE] "
					"[--gw NAME] [--dev NAME] [--key JSONKEY]\n");
			return 2;
		}
	}
	if (n < 1)
		n = 1;
	snprintf(fname, sizeof(fname), "%s.crt.der", gw_name);
	cert_gw = te_fixture(fname, cb, sizeof(cb));
	snprintf(fname, sizeof(fname), "%s.crt.der", dev_name);
	cert_dev = te_fixture(fname, cb, sizeof(cb));
	measure(true, n, &ref);
	measure(false, n, &whole);
	for (i = 0; i < 4; i++)
		records(false, sizes[i], &r[i], NULL);
	records(true, 64, &rf, NULL);
	records(false, 64, &r[2], &g64);
	records(false, 200, &r[3], &g200);

#if defined(__SANITIZE_ADDRESS__)
	printf("NOTE: built with AddressSanitizer; CPU and time figures are not representative\n");
#endif
	printf("serguard: EDHOC method 0, suite 2 (AES-CCM-16-64-128, P-256, ES256), "
	       "frames of 255 B payload\n");
	printf("certificates (DER, leaf): %s %zu B, %s %zu B\n", gw_name, cert_gw, dev_name,
	       cert_dev);
	printf("handshake (median CPU of %d)          by reference (x5t)   whole (x5chain)\n", n);
	printf("  bytes gateway->device               %10" PRIu64 " %18" PRIu64 "\n",
	       ref.k.bytes[0], whole.k.bytes[0]);
	printf("  bytes device->gateway               %10" PRIu64 " %18" PRIu64 "\n",
	       ref.k.bytes[1], whole.k.bytes[1]);
	printf("  bytes total                         %10" PRIu64 " %18" PRIu64 "\n",
	       ref.k.bytes[0] + ref.k.bytes[1], whole.k.bytes[0] + whole.k.bytes[1]);
	printf("  frames g->d / d->g                  %7u/%u %15u/%u\n", ref.k.frames[0],
	       ref.k.frames[1], whole.k.frames[0], whole.k.frames[1]);
	printf("  flights, round trips                %7u, %u %14u, %u\n", ref.k.flights,
	       (ref.k.flights + 1) / 2, whole.k.flights, (whole.k.flights + 1) / 2);
	printf("  CPU gateway / device (ms)           %6.2f/%.2f %13.2f/%.2f\n", ref.cpu[0],
	       ref.cpu[1], whole.cpu[0], whole.cpu[1]);
	printf("  time at 9600 baud (ms)              %10.1f %18.1f\n", ref.t9600, whole.t9600);
	printf("  time at 115200 baud (ms)            %10.1f %18.1f\n", ref.t115200,
	       whole.t115200);
	printf("record overhead (payload B)            1     16     64    200\n");
	printf("  record bytes - payload            %4zu   %4zu   %4zu   %4zu\n", r[0].record_oh,
	       r[1].record_oh, r[2].record_oh, r[3].record_oh);
	printf("  wire bytes - payload (framed)     %4zu   %4zu   %4zu   %4zu\n", r[0].wire_oh,
	       r[1].wire_oh, r[2].wire_oh, r[3].wire_oh);
	printf("  with the freshness field: record %zu, framed %zu (64 B)\n", rf.record_oh,
	       rf.wire_oh);
	printf("goodput at 115200 baud, 100 messages one way: 64 B %.3f, 200 B %.3f\n", g64, g200);
	printf("definitions: as tests/bench/dtls12.c prints them; time = wire bytes * 10 / baud\n"
	       "  + both sides' CPU; the handshake ends when the gateway has message_4.\n");

	dt = dtls != NULL ? slurp(dtls) : NULL;
	if (dt != NULL) {
		double dh = json_num(dt, "handshake_bytes"), dro = json_num(dt, "record_overhead_bytes");
		double d96 = json_num(dt, "handshake_ms_9600"), d115 = json_num(dt, "handshake_ms_115200");
		double dg200 = json_num(dt, "goodput_200B"), dg64 = json_num(dt, "goodput_64B");
		double dcpu = json_num(dt, "cpu_ms_server"), drt = json_num(dt, "round_trips");
		uint64_t sr = ref.k.bytes[0] + ref.k.bytes[1], sw = whole.k.bytes[0] + whole.k.bytes[1];

		printf("\nserguard against DTLS 1.2 on the same line (same certificates, framing, counting)\n");
		printf("%-44s %12s %12s %10s\n", "figure", "serguard", "DTLS 1.2", "ratio");
		printf("%-44s %12" PRIu64 " %12.0f %9.1fx\n", "handshake bytes, certificates by reference",
		       sr, dh, dh / (double)sr);
		printf("%-44s %12" PRIu64 " %12.0f %9.1fx\n", "handshake bytes, certificates whole", sw,
		       dh, dh / (double)sw);
		printf("%-44s %12u %12.0f\n", "round trips", (ref.k.flights + 1) / 2, drt);
		printf("%-44s %12.0f %12.0f\n", "handshake ms at 9600 baud (by reference)", ref.t9600, d96);
		printf("%-44s %12.0f %12.0f\n", "handshake ms at 115200 baud (by reference)", ref.t115200,
		       d115);
		printf("%-44s %12zu %12.0f\n", "record overhead, 64 B message (no framing)",
		       r[2].record_oh, dro);
		printf("%-44s %12.3f %12.3f\n", "goodput, 64 B messages at 115200 baud", g64, dg64);
		printf("%-44s %12.3f %12.3f\n", "goodput, 200 B messages at 115200 baud", g200, dg200);
		printf("%-44s %12.2f %12.2f\n", "CPU per handshake, gateway (ms)", ref.cpu[0], dcpu);
		printf("targets: <= 300 B by reference (%s), >= 6x fewer than DTLS (%s), >= 1.5x fewer "
		       "whole (%s), record overhead <= 12 (%s), goodput 200 B >= 0.85 (%s)\n",
		       sr <= 300 ? "met" : "MISSED", dh / (double)sr >= 6 ? "met" : "MISSED",
		       dh / (double)sw >= 1.5 ? "met" : "MISSED", r[2].record_oh <= 12 ? "met" : "MISSED",
		       g200 >= 0.85 ? "met" : "MISSED");
		free(dt);
	}

	if (json != NULL) {
		f = fopen(json, "w");
		if (f == NULL) {
			perror(json);
			return 1;
		}
		fprintf(f, "{\"protocol\":{\"%s\":{\n", key);
		fprintf(f, "\"handshake_bytes_by_reference\":%" PRIu64 ",\n", ref.k.bytes[0] + ref.k.bytes[1]);
		fprintf(f, "\"handshake_bytes_whole\":%" PRIu64 ",\n", whole.k.bytes[0] + whole.k.bytes[1]);
		fprintf(f, "\"handshake_bytes_by_reference_g2d\":%" PRIu64 ",\n", ref.k.bytes[0]);
		fprintf(f, "\"handshake_bytes_by_reference_d2g\":%" PRIu64 ",\n", ref.k.bytes[1]);
		fprintf(f, "\"handshake_bytes_whole_g2d\":%" PRIu64 ",\n", whole.k.bytes[0]);
		fprintf(f, "\"handshake_bytes_whole_d2g\":%" PRIu64 ",\n", whole.k.bytes[1]);
		fprintf(f, "\"cert_bytes_gw\":%zu,\n\"cert_bytes_dev\":%zu,\n", cert_gw, cert_dev);
		fprintf(f, "\"messages\":%u,\n\"flights\":%u,\n\"round_trips\":%u,\n",
			ref.k.frames[0] + ref.k.frames[1], ref.k.flights, (ref.k.flights + 1) / 2);
		fprintf(f, "\"cpu_ms_gateway\":%.3f,\n\"cpu_ms_device\":%.3f,\n", ref.cpu[0], ref.cpu[1]);
		fprintf(f, "\"handshake_ms_9600_by_reference\":%.1f,\n", ref.t9600);
		fprintf(f, "\"handshake_ms_115200_by_reference\":%.1f,\n", ref.t115200);
		fprintf(f, "\"handshake_ms_9600_whole\":%.1f,\n", whole.t9600);
		fprintf(f, "\"handshake_ms_115200_whole\":%.1f,\n", whole.t115200);
		fprintf(f, "\"record_overhead_bytes\":%zu,\n", r[2].record_oh);
		fprintf(f, "\"record_overhead_bytes_freshness\":%zu,\n", rf.record_oh);
		for (i = 0; i < 4; i++)
			fprintf(f, "\"record_overhead_wire_bytes_%zu\":%zu,\n", sizes[i], r[i].wire_oh);
		fprintf(f, "\"goodput_64B\":%.4f,\n\"goodput_200B\":%.4f\n}}}\n", g64, g200);
		fclose(f);
	}
	return 0;
}
