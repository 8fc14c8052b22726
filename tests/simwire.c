/*
 * Test support: in-memory serial line with a man in the middle (see
 * simwire.h).
 */
#include "simwire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serguard/frame.h"

/* splitmix64: small, good enough, and every run is reproducible. */
uint64_t simwire_rand(struct simwire *w)
{
	uint64_t z = (w->rng += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static bool chance(struct simwire *w, unsigned pm)
{
	return pm > 0 && simwire_rand(w) % 1000 < pm;
}

void simwire_init(struct simwire *w, uint64_t seed, struct simwire_end a,
		  struct simwire_end b)
{
	memset(w, 0, sizeof(*w));
	w->end[0] = a;
	w->end[1] = b;
	w->seed = w->rng = seed;
	w->rec = calloc(SIMWIRE_RECORDED, sizeof(*w->rec));
	if (w->rec == NULL) {
		fprintf(stderr, "simwire: out of memory\n");
		abort();
	}
}

void simwire_free(struct simwire *w)
{
	free(w->rec);
	w->rec = NULL;
}

static void enqueue(struct simwire *w, const struct simwire_frame *f)
{
	size_t i;

	if (w->nq == SIMWIRE_QUEUE) {
		fprintf(stderr, "simwire: queue full (seed %llu)\n",
			(unsigned long long)w->seed);
		abort();
	}
	i = w->nq++;
	while (i > 0 && w->q[i - 1].due_ms > f->due_ms) {
		w->q[i] = w->q[i - 1];
		i--;
	}
	w->q[i] = *f;
}

static uint64_t line_time(const struct simwire *w, size_t len)
{
	/* 10 bits per byte (8N1), rounded up to whole milliseconds. */
	if (w->baud == 0)
		return 0;
	return ((uint64_t)len * 10u * 1000u + w->baud - 1) / w->baud;
}

static void transmit(struct simwire *w, int dir, const unsigned char *p, size_t len)
{
	struct simwire_frame f;
	enum simwire_action act = SW_PASS;

	if (len > SIMWIRE_MAX_FRAME)
		len = SIMWIRE_MAX_FRAME;
	memset(&f, 0, sizeof(f));
	memcpy(f.b, p, len);
	f.len = len;
	f.dir = dir;
	f.seq = w->tx_seq++;
	/* a serial line carries one frame at a time */
	if (w->line_free[dir] < w->now_ms)
		w->line_free[dir] = w->now_ms;
	w->line_free[dir] += line_time(w, len);
	f.due_ms = w->line_free[dir];
	w->frames_sent[dir]++;
	w->bytes_sent[dir] += len;
	if (w->nrec < SIMWIRE_RECORDED)
		w->rec[w->nrec++] = f;
	if (w->hook != NULL)
		act = w->hook(w, &f, w->hook_ctx);
	if (act == SW_DROP) {
		w->frames_dropped[dir]++;
		return;
	}
	if (act == SW_HOLD) {
		if (w->nheld < sizeof(w->held) / sizeof(w->held[0]))
			w->held[w->nheld++] = f;
		return;
	}
	if (w->burst_left > 0) {
		w->burst_left--;
		w->frames_dropped[dir]++;
		return;
	}
	if (chance(w, w->loss_pm)) {
		w->frames_dropped[dir]++;
		return;
	}
	if (chance(w, w->flip_pm) && f.len > 2) {
		size_t at = 1 + simwire_rand(w) % (f.len - 2);

		f.b[at] ^= (unsigned char)(1u << (simwire_rand(w) % 8));
		w->frames_flipped[dir]++;
	}
	if (chance(w, w->reorder_pm))
		f.due_ms += 1 + simwire_rand(w) % 50;
	enqueue(w, &f);
	if (chance(w, w->dup_pm)) {
		f.due_ms += 1 + simwire_rand(w) % 20;
		w->frames_dup[dir]++;
		enqueue(w, &f);
	}
}

/* Cut an endpoint's output into frames at the 0x00 delimiters. */
static void collect(struct simwire *w, int dir)
{
	struct simwire_end *e = &w->end[dir];
	const unsigned char *p;
	size_t n, i;

	/* Like a UART with a full FIFO, take nothing while the line is busy. */
	while ((w->baud == 0 || w->line_free[dir] <= w->now_ms) &&
	       (n = e->peek(e->ctx, &p)) > 0) {
		for (i = 0; i < n; i++) {
			if (p[i] == 0x00) {
				if (w->npart[dir] > 0) {
					unsigned char fr[SIMWIRE_MAX_FRAME + 2];
					size_t k = w->npart[dir];

					if (k > SIMWIRE_MAX_FRAME)
						k = SIMWIRE_MAX_FRAME;
					fr[0] = 0;
					memcpy(fr + 1, w->part[dir], k);
					fr[k + 1] = 0;
					transmit(w, dir, fr, k + 2);
					w->npart[dir] = 0;
				}
				continue;
			}
			if (w->npart[dir] < SIMWIRE_MAX_FRAME)
				w->part[dir][w->npart[dir]] = p[i];
			w->npart[dir]++;
		}
		e->ack(e->ctx, n);
	}
}

uint64_t simwire_next_free(const struct simwire *w)
{
	uint64_t t = UINT64_MAX;
	int d;

	for (d = 0; d < 2; d++)
		if (w->baud != 0 && w->line_free[d] > w->now_ms && w->line_free[d] < t)
			t = w->line_free[d];
	return t;
}

size_t simwire_step(struct simwire *w)
{
	size_t delivered = 0;
	int again = 1;

	while (again) {
		again = 0;
		collect(w, 0);
		collect(w, 1);
		while (w->nq > 0 && w->q[0].due_ms <= w->now_ms) {
			struct simwire_frame f = w->q[0];

			memmove(&w->q[0], &w->q[1], (w->nq - 1) * sizeof(w->q[0]));
			w->nq--;
			w->end[f.dir ^ 1].push(w->end[f.dir ^ 1].ctx, f.b, f.len, w->now_ms);
			delivered++;
			again = 1;
		}
	}
	return delivered;
}

uint64_t simwire_next_due(const struct simwire *w)
{
	return w->nq > 0 ? w->q[0].due_ms : UINT64_MAX;
}

void simwire_advance(struct simwire *w, uint64_t t)
{
	simwire_step(w);
	while (w->nq > 0 && w->q[0].due_ms <= t) {
		if (w->q[0].due_ms > w->now_ms)
			w->now_ms = w->q[0].due_ms;
		simwire_step(w);
	}
	if (t > w->now_ms)
		w->now_ms = t;
	simwire_step(w);
}

void simwire_inject(struct simwire *w, int dir, const unsigned char *p, size_t len,
		    uint64_t delay_ms)
{
	struct simwire_frame f;

	memset(&f, 0, sizeof(f));
	if (len > SIMWIRE_MAX_FRAME)
		len = SIMWIRE_MAX_FRAME;
	memcpy(f.b, p, len);
	f.len = len;
	f.dir = dir;
	f.seq = w->tx_seq++;
	f.due_ms = w->now_ms + delay_ms;
	enqueue(w, &f);
}

void simwire_release(struct simwire *w, size_t i)
{
	struct simwire_frame f;

	if (i >= w->nheld)
		return;
	f = w->held[i];
	memmove(&w->held[i], &w->held[i + 1], (w->nheld - i - 1) * sizeof(f));
	w->nheld--;
	f.due_ms = w->now_ms;
	enqueue(w, &f);
}

/* ---- attacker-grade frame editing ---------------------------------------- */

int simwire_open(const struct simwire_frame *f, struct simwire_content *out)
{
	unsigned char body[SIMWIRE_MAX_FRAME];
	size_t a = 0, b = f->len, n;
	uint16_t crc;

	/* strip the delimiters around the one body */
	while (a < b && f->b[a] == 0x00)
		a++;
	while (b > a && f->b[b - 1] == 0x00)
		b--;
	if (b == a)
		return -1;
	if (sg_cobs_decode(f->b + a, b - a, body, sizeof(body), &n) != 0 || n < 4)
		return -1;
	crc = sg_crc16(body, n - 2);
	if (body[n - 2] != (crc & 0xFF) || body[n - 1] != (crc >> 8))
		return -1;
	out->addr = body[0];
	out->ctrl = body[1];
	out->len = n - 4;
	memcpy(out->payload, body + 2, out->len);
	return 0;
}

void simwire_build(struct simwire_frame *f, const struct simwire_content *c)
{
	unsigned char body[SIMWIRE_MAX_FRAME + 4];
	size_t n = c->len + 4, out;
	uint16_t crc;

	if (c->len > SIMWIRE_MAX_FRAME - 16) {
		fprintf(stderr, "simwire_build: %zu bytes do not fit\n", c->len);
		abort();
	}
	body[0] = c->addr;
	body[1] = c->ctrl;
	memcpy(body + 2, c->payload, c->len);
	crc = sg_crc16(body, n - 2);
	body[n - 2] = (unsigned char)(crc & 0xFF);
	body[n - 1] = (unsigned char)(crc >> 8);
	f->b[0] = 0x00;
	if (sg_cobs_encode(body, n, f->b + 1, SIMWIRE_MAX_FRAME - 2, &out) != 0) {
		fprintf(stderr, "simwire_build: COBS does not fit\n");
		abort();
	}
	f->b[out + 1] = 0x00;
	f->len = out + 2;
}

int simwire_kind(const struct simwire_frame *f)
{
	struct simwire_content c;

	if (simwire_open(f, &c) != 0)
		return -1;
	return c.ctrl & 0x0F;
}

/* Decode, or abort: the editing helpers work on good frames only. */
static void open_or_die(const struct simwire_frame *f, struct simwire_content *c)
{
	if (simwire_open(f, c) != 0) {
		fprintf(stderr, "simwire: editing a frame that does not decode\n");
		abort();
	}
}

void simwire_truncate(struct simwire_frame *f, size_t n)
{
	struct simwire_content c;

	open_or_die(f, &c);
	if (n < c.len)
		c.len = n;
	simwire_build(f, &c);
}

void simwire_flip(struct simwire_frame *f, size_t bit)
{
	struct simwire_content c;

	open_or_die(f, &c);
	if (bit / 8 < c.len)
		c.payload[bit / 8] ^= (unsigned char)(1u << (bit % 8));
	simwire_build(f, &c);
}

void simwire_flip_raw(struct simwire_frame *f, size_t bit)
{
	if (bit / 8 < f->len)
		f->b[bit / 8] ^= (unsigned char)(1u << (bit % 8));
}

void simwire_truncate_raw(struct simwire_frame *f, size_t n)
{
	if (n >= f->len)
		return;
	f->b[n] = 0x00;
	f->len = n + 1;
}

void simwire_readdress(struct simwire_frame *f, unsigned char addr)
{
	struct simwire_content c;

	open_or_die(f, &c);
	c.addr = addr;
	simwire_build(f, &c);
}

void simwire_reflect(struct simwire *w, const struct simwire_frame *f, bool fix_dir,
		     uint64_t delay_ms)
{
	struct simwire_frame g = *f;

	if (fix_dir) {
		struct simwire_content c;

		open_or_die(&g, &c);
		c.ctrl ^= 0x80;
		simwire_build(&g, &c);
	}
	/* as if the receiver's peer had sent it: towards end f->dir */
	simwire_inject(w, f->dir ^ 1, g.b, g.len, delay_ms);
}

void simwire_splice(struct simwire *w, int dir, const struct simwire_frame *foreign,
		    unsigned char addr, uint64_t delay_ms)
{
	struct simwire_frame g = *foreign;

	if (addr != 0)
		simwire_readdress(&g, addr);
	simwire_inject(w, dir, g.b, g.len, delay_ms);
}

size_t simwire_replay(struct simwire *w, int dir, size_t from, size_t to,
		      uint64_t spacing_ms)
{
	size_t i, n = 0;

	if (to > w->nrec)
		to = w->nrec;
	for (i = from; i < to; i++) {
		if (w->rec[i].dir != dir)
			continue;
		simwire_inject(w, dir, w->rec[i].b, w->rec[i].len, n * spacing_ms);
		n++;
	}
	return n;
}
