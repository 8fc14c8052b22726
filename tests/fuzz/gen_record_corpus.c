/*
 * Writes the seed corpus of fuzz_record: inputs made of valid records
 * (sealed with the target's fixed keys and configuration, opened by it
 * at the same time, so they are delivered) and operation sequences that
 * reach key updates, grace periods, held records, losses and limits.
 *
 *   gen_record_corpus DIR
 *
 * The committed files in tests/fuzz/corpus/fuzz_record/ were made with
 * it; rerun after a change of the record format or of fuzz_record.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_record.h"

struct out {
	unsigned char b[4096];
	size_t n;
};

static void put(struct out *o, unsigned v)
{
	if (o->n >= sizeof(o->b)) {
		fprintf(stderr, "gen_record_corpus: input too long\n");
		exit(1);
	}
	o->b[o->n++] = (unsigned char)v;
}

static void save(const char *dir, const char *name, const struct out *o)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(o->b, 1, o->n, f) != o->n || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* One input: options, then a FR_RAW operation per valid record of every
 * kind, sealed by a sender set up exactly as the target's. */
static void valid_records(const char *dir, unsigned opts, const char *name)
{
	struct sg_record_config cd, cg;
	struct sg_record snd;
	unsigned char d2g[32], g2d[32], rec[FR_BUF], pt[40];
	struct out o = { { 0 }, 0 };
	unsigned k, i;
	size_t n;

	fr_secrets(d2g, g2d);
	fr_config(opts, &cd, &cg);
	if (sg_record_init(&snd, &cd, d2g, g2d, FR_T0) != 0)
		exit(1);
	put(&o, opts);
	for (k = 0; k <= SG_RECORD_KIND_MAX; k++) {
		size_t len = k == SG_RECORD_KEY_UPDATE ? 1 : 4 + 6 * k;

		for (i = 0; i < len; i++)
			pt[i] = (unsigned char)(k == SG_RECORD_KEY_UPDATE ? 0 : 'a' + i);
		if (sg_record_seal(&snd, (enum sg_record_kind)k, pt, len, FR_T0, rec, sizeof(rec),
				   &n) != 0)
			exit(1);
		put(&o, FR_RAW);
		put(&o, (unsigned)n);
		for (i = 0; i < n; i++)
			put(&o, rec[i]);
	}
	save(dir, name, &o);
	sg_record_wipe(&snd);
}

/* Operation sequences through the target's built-in sender. */
static void sequences(const char *dir, unsigned opts, const char *name)
{
	struct out o = { { 0 }, 0 };
	unsigned r;

	put(&o, opts);
	for (r = 0; r < 3; r++) {
		put(&o, FR_SEAL), put(&o, SG_RECORD_APP), put(&o, 10 + r), put(&o, 0);
		put(&o, FR_HOLD), put(&o, r), put(&o, SG_RECORD_APP), put(&o, 5);
		put(&o, FR_UPDATE);
		put(&o, FR_SEAL), put(&o, SG_RECORD_KEY_UPDATE), put(&o, 0), put(&o, 0);
		put(&o, FR_RELEASE), put(&o, r);
		put(&o, FR_ANSWER);
		put(&o, FR_SEAL), put(&o, SG_RECORD_PING), put(&o, 0), put(&o, 3);
		put(&o, FR_TIME), put(&o, 40);
		put(&o, FR_LOSE), put(&o, 200), put(&o, 8);
		put(&o, FR_SEAL), put(&o, SG_RECORD_APP), put(&o, 30), put(&o, 0);
	}
	put(&o, FR_HOLD), put(&o, 3), put(&o, SG_RECORD_CLOSE), put(&o, 1);
	put(&o, FR_TIME), put(&o, 250);
	put(&o, FR_RELEASE), put(&o, 3);
	save(dir, name, &o);
}

int main(int argc, char **argv)
{
	static const struct {
		unsigned opts;
		const char *records, *ops;
	} sets[] = {
		{ 0, "valid-ccm8", "ops-ccm8" },
		{ FR_OPT_TAG16, "valid-ccm16", "ops-ccm16" },
		{ FR_OPT_FRESH, "valid-ccm8-fresh", "ops-ccm8-fresh" },
		{ FR_OPT_TAG16 | FR_OPT_FRESH, "valid-ccm16-fresh", "ops-ccm16-fresh" },
		{ FR_OPT_LIMITS, "valid-ccm8-limits", "ops-ccm8-limits" },
	};
	size_t i;

	if (argc != 2) {
		fprintf(stderr, "usage: gen_record_corpus DIR\n");
		return 2;
	}
	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		valid_records(argv[1], sets[i].opts, sets[i].records);
		sequences(argv[1], sets[i].opts, sets[i].ops);
	}
	return 0;
}
