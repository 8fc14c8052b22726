/*
 * Anti-replay window (RFC 6479 block bitmap).
 *
 * Implementation notes:
 * - Sequence number s lives in word (s / 64) mod nblocks, bit s mod 64.
 *   The ring has one word more than W/64, so after a slide the words for
 *   blocks top/64 - (nblocks - 1) .. top/64 are all valid, and every
 *   number in [top - W + 1, top] maps to one of them: no aliasing.
 * - The "too old" test is exact arithmetic on W, not a property of the
 *   ring, so the window edges are exactly W wide whatever the alignment
 *   of top within its block.
 * - Sliding clears at most nblocks words however far the jump, so a huge
 *   forward jump costs the same as a jump of one window.
 */
#include "serguard/replay.h"

#include <string.h>

int sg_replay_init(struct sg_replay *r, uint32_t window_bits)
{
	if (r == NULL)
		return SG_EINVAL;
	if (window_bits < SG_REPLAY_MIN_WINDOW || window_bits > SG_REPLAY_MAX_WINDOW ||
	    window_bits % 64u != 0)
		return SG_ECONFIG;
	memset(r, 0, sizeof(*r));
	r->window = window_bits;
	r->nblocks = window_bits / 64u + 1u;
	r->empty = true;
	return 0;
}

static uint64_t bit_of(uint64_t seq)
{
	return (uint64_t)1 << (seq & 63u);
}

static uint32_t word_of(const struct sg_replay *r, uint64_t seq)
{
	return (uint32_t)((seq >> 6) % r->nblocks);
}

int sg_replay_check(const struct sg_replay *r, uint64_t seq)
{
	if (r->empty || seq > r->top)
		return 0;
	if (r->top - seq >= r->window)
		return SG_ETOOOLD;
	if (r->bitmap[word_of(r, seq)] & bit_of(seq))
		return SG_EREPLAY;
	return 0;
}

int sg_replay_commit(struct sg_replay *r, uint64_t seq)
{
	uint64_t cur, next, n, i;
	int rc = sg_replay_check(r, seq);

	if (rc != 0)
		return rc;
	if (r->empty) {
		memset(r->bitmap, 0, sizeof(r->bitmap));
		r->top = seq;
		r->empty = false;
	} else if (seq > r->top) {
		cur = r->top >> 6;
		next = seq >> 6;
		n = next - cur;
		if (n > r->nblocks)
			n = r->nblocks;
		for (i = 1; i <= n; i++)
			r->bitmap[(cur + i) % r->nblocks] = 0;
		r->top = seq;
	}
	r->bitmap[word_of(r, seq)] |= bit_of(seq);
	return 0;
}
