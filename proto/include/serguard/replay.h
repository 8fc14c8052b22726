/*
 * serguard protocol core: anti-replay sliding window over 64-bit sequence
 * numbers (doc/PROTOCOL.md, "Replay window").
 *
 * The window remembers which of the W most recent sequence numbers have
 * been delivered: with `top` the highest delivered number, a number s is
 *   - new       when s > top, or top - s < W and its bit is clear;
 *   - a replay  when top - s < W and its bit is set;
 *   - too old   when top - s >= W (left of the window).
 * So top - (W - 1) is the oldest number still accepted, top - W the
 * newest one refused as too old.
 *
 * Storage is the block bitmap of RFC 6479: W/64 + 1 words of 64 bits
 * used as a ring, so sliding forward clears whole words instead of
 * shifting the bitmap; the spare word is what lets the ring slide by
 * blocks while still covering W bits. The bitmap lives inside the struct
 * (bounded by SG_REPLAY_MAX_WINDOW), so the caller allocates nothing else.
 *
 * Two steps, so that only authenticated records move the window (RFC
 * 6347 4.1.2.6, RFC 9147 4.5.1): sg_replay_check() before decryption has
 * no side effects; sg_replay_commit() after the tag verified.
 */
#ifndef SERGUARD_REPLAY_H
#define SERGUARD_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include "serguard/sg.h"

/* Window sizes in bits: multiples of 64 from 64 to the maximum. */
#define SG_REPLAY_MIN_WINDOW 64u
#define SG_REPLAY_MAX_WINDOW 1024u
#define SG_REPLAY_DEFAULT_WINDOW 128u

struct sg_replay {
	uint64_t top;	   /* highest committed sequence number (if !empty) */
	uint32_t window;   /* W, in bits */
	uint32_t nblocks;  /* words of the ring in use: W/64 + 1 */
	bool empty;	   /* nothing committed yet */
	uint64_t bitmap[SG_REPLAY_MAX_WINDOW / 64u + 1u];
};

/*
 * Set up an empty window of window_bits bits (a multiple of 64 in
 * [SG_REPLAY_MIN_WINDOW, SG_REPLAY_MAX_WINDOW]). The caller owns r.
 * Errors: SG_EINVAL (r NULL), SG_ECONFIG (bad size).
 */
int sg_replay_init(struct sg_replay *r, uint32_t window_bits);

/*
 * May a record with sequence number seq be delivered? No side effects.
 * Returns 0 (new), SG_EREPLAY (already committed) or SG_ETOOOLD (left of
 * the window). r must have been initialised.
 */
int sg_replay_check(const struct sg_replay *r, uint64_t seq);

/*
 * Mark seq as delivered, sliding the window forward when seq > top.
 * Call only after the record's tag verified and sg_replay_check() said
 * 0. Re-checks and returns that verdict: on non-zero nothing changes, so
 * a misuse can never move the window backwards or forget a number.
 */
int sg_replay_commit(struct sg_replay *r, uint64_t seq);

#endif
