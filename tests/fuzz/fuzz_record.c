/*
 * libFuzzer target: the record layer's receive path (sg_record_open) with
 * fixed keys, driven as a small stateful world so the fuzzer reaches the
 * deep states too: a sender endpoint with the matching keys seals records
 * on request, updates its key, holds records back and loses them; the
 * receiver answers so key updates get confirmed; the clock moves. Raw
 * input bytes are opened as records as well (the seed corpus holds valid
 * ones, see gen_record_corpus.c).
 *
 * Invariants (abort on violation): every open is counted exactly once;
 * a delivered record fits max_plaintext and has a known kind; a record
 * with a flipped bit is never delivered; an untouched one is delivered
 * with its exact payload; no record is ever delivered twice.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_record.h"

#define MAX_IDS 4096
#define SLOTS 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct world {
	struct sg_record snd, rcv;
	uint64_t now;
	uint32_t opens;		/* calls on rcv that were not caller errors */
	uint32_t next_id;
	unsigned char seen[MAX_IDS];
	struct {
		unsigned char b[FR_BUF], pt[64];
		size_t n, pt_len;
		uint32_t id;
		int full;
	} held[SLOTS];
};

static uint32_t stats_sum(const struct sg_record_stats *s)
{
	return s->delivered + s->too_short + s->too_long + s->bad_header + s->replay +
	       s->too_old + s->wrong_phase + s->limit + s->bad_tag + s->stale + s->future;
}

/* Open on the receiver and check the invariants. want_id: the payload id
 * of an untouched sealed record, or UINT32_MAX for raw/mutated input. */
static void rx(struct world *w, const unsigned char *in, size_t len, int mutated,
	       uint32_t want_id, const unsigned char *want, size_t want_len)
{
	unsigned char out[FR_BUF];
	enum sg_record_kind kind;
	size_t olen = 0;
	int rc = sg_record_open(&w->rcv, in, len, w->now, &kind, out, sizeof(out), &olen);

	if (rc == SG_EINVAL || rc == SG_ENOSPC || rc == SG_ECRYPTO)
		abort(); /* never with these arguments */
	w->opens++;
	if (stats_sum(&w->rcv.stats) != w->opens)
		abort();
	if (rc != 0) {
		if (olen != 0)
			abort();
		return;
	}
	if (mutated || olen > w->rcv.cfg.max_plaintext || (unsigned)kind > SG_RECORD_KIND_MAX)
		abort();
	if (want_id != UINT32_MAX) {
		if (olen != want_len || memcmp(out, want, olen) != 0)
			abort();
		if (w->seen[want_id])
			abort();
		w->seen[want_id] = 1;
	}
	/* the same bytes again are never delivered */
	if (sg_record_open(&w->rcv, in, len, w->now, &kind, out, sizeof(out), &olen) == 0)
		abort();
	w->opens++;
}

/* Seal a record on the sender: kind and payload length from the input.
 * Every sealed record gets a fresh id (also written into the payload
 * where there is room), so a second delivery is detectable. */
static int tx(struct world *w, unsigned kind, unsigned plen, unsigned char *rec,
	      size_t *n, uint32_t *id, unsigned char *pt, size_t *pt_len)
{
	size_t len;
	unsigned i;

	kind %= SG_RECORD_KIND_MAX + 1u;
	if (kind == SG_RECORD_KEY_UPDATE) {
		pt[0] = (unsigned char)(plen & SG_RECORD_KU_REQUEST);
		len = 1;
	} else {
		len = 2 + plen % 48;
		pt[0] = (unsigned char)(w->next_id >> 8);
		pt[1] = (unsigned char)w->next_id;
		for (i = 2; i < len; i++)
			pt[i] = (unsigned char)(i * 7 + plen);
	}
	if (w->next_id >= MAX_IDS)
		return -1;
	if (sg_record_seal(&w->snd, (enum sg_record_kind)kind, pt, len, w->now, rec, FR_BUF,
			   n) != 0)
		return -1;
	*id = w->next_id++;
	*pt_len = len;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct world w;
	struct sg_record_config cd, cg;
	unsigned char d2g[32], g2d[32], rec[FR_BUF], pt[64];
	size_t i = 1, n, pt_len;
	uint32_t id;
	unsigned ops = 0;

	if (size < 1)
		return 0;
	memset(&w, 0, sizeof(w));
	fr_secrets(d2g, g2d);
	fr_config(data[0], &cd, &cg);
	w.now = FR_T0;
	if (sg_record_init(&w.snd, &cd, d2g, g2d, w.now) != 0 ||
	    sg_record_init(&w.rcv, &cg, g2d, d2g, w.now) != 0)
		abort();

#define ARG() (i < size ? data[i++] : 0u)
	while (i < size && ops++ < 512) {
		unsigned op = data[i++] % FR_NOPS;

		switch (op) {
		case FR_RAW: {
			size_t len = ARG();

			if (len > size - i)
				len = size - i;
			memcpy(rec, data + i, len);
			i += len;
			rx(&w, rec, len, 0, UINT32_MAX, NULL, 0);
			break;
		}
		case FR_SEAL: {
			unsigned kind = ARG(), plen = ARG(), flip = ARG();

			if (tx(&w, kind, plen, rec, &n, &id, pt, &pt_len) != 0)
				break;
			if (flip != 0) {
				flip = (flip - 1u) % (unsigned)(8 * n);
				rec[flip / 8] ^= (unsigned char)(1u << (flip % 8));
				rx(&w, rec, n, 1, UINT32_MAX, NULL, 0);
			} else {
				rx(&w, rec, n, 0, id, pt, pt_len);
			}
			break;
		}
		case FR_UPDATE:
			(void)sg_record_key_update(&w.snd, w.now);
			break;
		case FR_ANSWER: {
			unsigned char f = SG_RECORD_KU_REQUEST, out[FR_BUF];
			enum sg_record_kind k;
			size_t olen;
			int r;

			if (sg_record_status(&w.rcv, w.now) & SG_RECORD_ST_RX_EXHAUSTED)
				r = sg_record_seal(&w.rcv, SG_RECORD_KEY_UPDATE, &f, 1, w.now, rec,
						   FR_BUF, &n);
			else
				r = sg_record_seal(&w.rcv, SG_RECORD_PING, NULL, 0, w.now, rec,
						   FR_BUF, &n);
			if (r == 0 && sg_record_open(&w.snd, rec, n, w.now, &k, out, sizeof(out),
						     &olen) == 0 &&
			    (sg_record_status(&w.snd, w.now) & SG_RECORD_ST_PEER_REQUEST))
				(void)sg_record_key_update(&w.snd, w.now);
			break;
		}
		case FR_TIME: {
			unsigned step = ARG();

			w.now += step >= 240 ? (uint64_t)step * 100000u : (uint64_t)step * 16u;
			sg_record_tick(&w.rcv, w.now);
			if (sg_record_deadline(&w.rcv, w.now) <= w.now)
				abort(); /* tick did what was due; nothing stuck */
			break;
		}
		case FR_HOLD: {
			unsigned slot = ARG() % SLOTS, kind = ARG(), plen = ARG();

			if (tx(&w, kind, plen, rec, &n, &id, pt, &pt_len) != 0)
				break;
			memcpy(w.held[slot].b, rec, n);
			memcpy(w.held[slot].pt, pt, pt_len);
			w.held[slot].n = n;
			w.held[slot].pt_len = pt_len;
			w.held[slot].id = id;
			w.held[slot].full = 1;
			break;
		}
		case FR_RELEASE: {
			unsigned slot = ARG() % SLOTS;

			if (!w.held[slot].full)
				break;
			w.held[slot].full = 0;
			rx(&w, w.held[slot].b, w.held[slot].n, 0, w.held[slot].id, w.held[slot].pt,
			   w.held[slot].pt_len);
			break;
		}
		case FR_LOSE: {
			uint64_t lost = ARG();

			lost <<= ARG() % 24;

			if (w.snd.tx.seq + lost < SG_RECORD_SEQ_LIMIT)
				w.snd.tx.seq += lost;
			break;
		}
		default:
			break;
		}
		(void)sg_record_status(&w.rcv, w.now);
	}
#undef ARG
	sg_record_wipe(&w.snd);
	sg_record_wipe(&w.rcv);
	return 0;
}
