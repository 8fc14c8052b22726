/*
 * Test support: an in-memory serial line between two endpoints, with a
 * simulated clock, line-rate delay, and a seeded, programmable
 * man-in-the-middle (drop, duplicate, delay, reorder, flip bits,
 * truncate, inject, hold-and-release, record and replay).
 *
 * It works on whole frames: bytes an endpoint writes are cut at the 0x00
 * delimiters into frames, each frame travels (or not) as a unit, and the
 * receiving endpoint gets the frame's bytes with its delimiters. That is
 * what a serial line does with noise too: a corrupted or missing frame
 * never takes its neighbours with it.
 *
 * Every random decision comes from the seed, so a failure reproduces:
 * tests print the seed when they fail (attacks.md K3).
 */
#ifndef SG_TEST_SIMWIRE_H
#define SG_TEST_SIMWIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIMWIRE_MAX_FRAME 1100
#define SIMWIRE_QUEUE 512
#define SIMWIRE_RECORDED 4096

/* One endpoint: how the wire takes its output and gives it input. */
struct simwire_end {
	void *ctx;
	/* Bytes the endpoint wants to write (0 when none). */
	size_t (*peek)(void *ctx, const unsigned char **p);
	void (*ack)(void *ctx, size_t n);
	/* Bytes arriving from the line. */
	void (*push)(void *ctx, const unsigned char *p, size_t n, uint64_t now_ms);
};

struct simwire_frame {
	unsigned char b[SIMWIRE_MAX_FRAME];
	size_t len;
	int dir;	  /* 0: a -> b, 1: b -> a */
	uint64_t due_ms;  /* delivery time */
	uint64_t seq;	  /* order of transmission */
};

/* What the man in the middle does with a frame (returned by the hook). */
enum simwire_action {
	SW_PASS = 0,
	SW_DROP,
	SW_HOLD /* keep it aside; release later with simwire_release() */
};

struct simwire;
/* Called for every frame before the random faults; may modify f. */
typedef enum simwire_action (*simwire_hook)(struct simwire *w, struct simwire_frame *f,
					    void *hook_ctx);

struct simwire {
	struct simwire_end end[2];
	uint64_t now_ms;
	uint32_t baud;		/* 0: no line delay */
	uint64_t seed, rng;
	/* random faults, in per mille, applied independently per frame */
	unsigned loss_pm, dup_pm, flip_pm, reorder_pm;
	unsigned burst_left;	/* frames still to drop in a burst */
	simwire_hook hook;
	void *hook_ctx;

	/* frames in flight, kept sorted by due time */
	struct simwire_frame q[SIMWIRE_QUEUE];
	size_t nq;
	/* held frames (SW_HOLD) */
	struct simwire_frame held[64];
	size_t nheld;
	/* every frame ever sent, for replay attacks */
	struct simwire_frame *rec;
	size_t nrec;

	/* partial output being cut into frames, per direction */
	unsigned char part[2][SIMWIRE_MAX_FRAME];
	size_t npart[2];
	uint64_t tx_seq;
	uint64_t line_free[2];	/* with baud: when each direction's line is idle again */

	/* statistics */
	uint64_t frames_sent[2], frames_dropped[2], frames_dup[2], frames_flipped[2];
	uint64_t bytes_sent[2];
};

void simwire_init(struct simwire *w, uint64_t seed, struct simwire_end a,
		  struct simwire_end b);
void simwire_free(struct simwire *w);
uint64_t simwire_rand(struct simwire *w);

/* Move every byte the endpoints have to the line and deliver every frame
 * due at or before now. Returns the number of frames delivered. */
size_t simwire_step(struct simwire *w);
/* Advance the clock to t (delivering what falls due on the way). */
void simwire_advance(struct simwire *w, uint64_t t);
/* With a baud rate: the next time a busy line becomes free (an endpoint
 * may have more to write then), or UINT64_MAX. */
uint64_t simwire_next_free(const struct simwire *w);
/* Time the next queued frame is due, or UINT64_MAX. */
uint64_t simwire_next_due(const struct simwire *w);

/* Inject raw bytes (one frame, delimiters included) towards end dir^1
 * as if sent by end dir, delivered at now + delay. */
void simwire_inject(struct simwire *w, int dir, const unsigned char *p, size_t len,
		    uint64_t delay_ms);
/* Release held frame i (in the order held) now. */
void simwire_release(struct simwire *w, size_t i);

#endif
