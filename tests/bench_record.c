/*
 * Benchmark of the record layer: bytes added per message (record
 * overhead, and the whole frame on the wire) for 1/16/64/200-byte
 * messages with and without the freshness field, for both tag lengths;
 * then seal and open time per record. Prints figures, asserts nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "serguard/frame.h"
#include "serguard/record.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void pair(struct sg_record *dev, struct sg_record *gw, size_t tag, int fresh)
{
	unsigned char a[32], b[32];
	struct sg_record_config cd, cg;
	int i;

	for (i = 0; i < 32; i++) {
		a[i] = (unsigned char)i;
		b[i] = (unsigned char)(255 - i);
	}
	sg_record_config_default(&cd, tag, 42, SG_FRAME_FROM_DEVICE);
	sg_record_config_default(&cg, tag, 42, SG_FRAME_FROM_GATEWAY);
	cd.freshness = cg.freshness = fresh != 0;
	cd.update_after_records = cg.update_after_records = 0;
	if (sg_record_init(dev, &cd, a, b, 0) != 0 || sg_record_init(gw, &cg, b, a, 0) != 0) {
		fprintf(stderr, "bench_record: init failed\n");
		exit(1);
	}
}

int main(void)
{
	static const size_t sizes[] = { 1, 16, 64, 200 };
	static const size_t tags[] = { 8, 16 };
	struct sg_record dev, gw;
	unsigned char pt[256], rec[320], out[320], wire[400];
	size_t ti, si, n, olen, wn;
	int fresh;

	printf("record layer: sizeof(struct sg_record) = %zu bytes\n\n", sizeof(struct sg_record));
	printf("overhead per message (record = header + seq [+ ts] + tag; wire = whole COBS frame)\n");
	printf("%-6s %-6s %6s %8s %8s %8s %10s\n", "tag", "fresh", "msg", "record", "+bytes",
	       "wire", "wire+bytes");
	for (ti = 0; ti < 2; ti++)
		for (fresh = 0; fresh <= 1; fresh++)
			for (si = 0; si < 4; si++) {
				enum sg_record_kind k;

				pair(&dev, &gw, tags[ti], fresh);
				memset(pt, 0x5A, sizeof(pt));
				if (sg_record_seal(&dev, SG_RECORD_APP, pt, sizes[si], 1, rec,
						   sizeof(rec), &n) != 0 ||
				    sg_record_open(&gw, rec, n, 2, &k, out, sizeof(out), &olen) != 0 ||
				    sg_frame_encode(wire, sizeof(wire), &wn, 42,
						    SG_FRAME_FROM_DEVICE | SG_FRAME_RECORD, rec, n) != 0) {
					fprintf(stderr, "bench_record: round trip failed\n");
					return 1;
				}
				printf("%-6zu %-6s %6zu %8zu %8zu %8zu %10zu\n", tags[ti],
				       fresh ? "yes" : "no", sizes[si], n, n - sizes[si], wn,
				       wn - sizes[si]);
			}

	printf("\nseal / open time per record%s\n",
	       SANITIZED ? " (sanitizer build: times inflated, use a plain build)" : "");
	printf("%-6s %-6s %6s %10s %10s\n", "tag", "fresh", "msg", "seal us", "open us");
	for (ti = 0; ti < 2; ti++)
		for (fresh = 0; fresh <= 1; fresh++)
			for (si = 0; si < 4; si++) {
				enum { N = 20000 };
				static unsigned char recs[N][224];
				static size_t lens[N];
				double t0, t1, t2;
				enum sg_record_kind k;
				int i;

				pair(&dev, &gw, tags[ti], fresh);
				for (i = 0; i < N / 10; i++) /* warm up caches and clocks */
					(void)sg_record_seal(&dev, SG_RECORD_APP, pt, sizes[si], 0,
							     recs[i], sizeof(recs[i]), &lens[i]);
				pair(&dev, &gw, tags[ti], fresh);
				t0 = now_us();
				for (i = 0; i < N; i++)
					if (sg_record_seal(&dev, SG_RECORD_APP, pt, sizes[si], (uint64_t)i,
							   recs[i], sizeof(recs[i]), &lens[i]) != 0)
						return 1;
				t1 = now_us();
				for (i = 0; i < N; i++)
					if (sg_record_open(&gw, recs[i], lens[i], (uint64_t)i, &k, out,
							   sizeof(out), &olen) != 0)
						return 1;
				t2 = now_us();
				printf("%-6zu %-6s %6zu %10.2f %10.2f\n", tags[ti], fresh ? "yes" : "no",
				       sizes[si], (t1 - t0) / N, (t2 - t1) / N);
			}
	sg_record_wipe(&dev);
	sg_record_wipe(&gw);
	return 0;
}
