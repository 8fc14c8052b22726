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
/* Called for every frame before the random faults; may modify f. Frames
 * it injects with no delay are delivered before f (f is queued after the
 * hook returns). */
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

/* ---- attacker-grade frame editing --------------------------------------
 *
 * The CRC is no secret, so a man in the middle rewrites a frame's
 * content and sends it with a valid CRC: these helpers decode a recorded
 * frame, change it and encode it again (no check on address, ctrl or
 * length: an attacker sends reserved values too). Noise-grade faults,
 * which the CRC catches, are simwire_flip_raw() and simwire_truncate_raw().
 */

/* The content of a frame as the decoder would see it, without any check
 * beyond COBS and the CRC. */
struct simwire_content {
	unsigned char addr, ctrl;
	unsigned char payload[SIMWIRE_MAX_FRAME];
	size_t len;
};

/* Decode f (delimiters included). 0 when it is one COBS block sequence
 * with a good CRC, -1 otherwise. */
int simwire_open(const struct simwire_frame *f, struct simwire_content *out);
/* Encode content into f->b/f->len (delimiters, COBS, valid CRC); f's
 * direction, seq and due time are kept. */
void simwire_build(struct simwire_frame *f, const struct simwire_content *c);
/* Frame kind (ctrl bits 3..0) of a good frame, -1 if it does not decode. */
int simwire_kind(const struct simwire_frame *f);

/* Keep the first n payload bytes (CRC fixed). n >= len leaves f as is. */
void simwire_truncate(struct simwire_frame *f, size_t n);
/* Flip payload bit `bit` (0 = bit 0 of payload byte 0), CRC fixed. */
void simwire_flip(struct simwire_frame *f, size_t bit);
/* Noise: flip bit `bit` of the encoded bytes (delimiters included). */
void simwire_flip_raw(struct simwire_frame *f, size_t bit);
/* Noise: keep the first n encoded bytes and end the frame with a
 * delimiter there (a frame cut short on the line). */
void simwire_truncate_raw(struct simwire_frame *f, size_t n);
/* Rewrite the address byte (CRC fixed). */
void simwire_readdress(struct simwire_frame *f, unsigned char addr);

/* Send f back to the end that sent it, delivered after delay_ms. With
 * fix_dir the direction bit is turned over (and the CRC fixed), so the
 * frame passes the receiver's direction check; without it the frame is
 * the bytes as they were (an echo). */
void simwire_reflect(struct simwire *w, const struct simwire_frame *f, bool fix_dir,
		     uint64_t delay_ms);
/* Inject a frame recorded on another wire (another session) towards end
 * dir ^ 1 as if sent by end dir, optionally at another address (addr 0
 * keeps the frame's own). */
void simwire_splice(struct simwire *w, int dir, const struct simwire_frame *foreign,
		    unsigned char addr, uint64_t delay_ms);
/* Replay recorded frames [from, to) sent by end dir, in their order,
 * spacing_ms apart from now. Returns the number injected. */
size_t simwire_replay(struct simwire *w, int dir, size_t from, size_t to,
		      uint64_t spacing_ms);

#endif
