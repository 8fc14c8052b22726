/*
 * libFuzzer target: the session engine's whole input path (frame
 * decoder, handshake transport, EDHOC message handling, record layer,
 * timers) with a deterministic RNG.
 *
 * A real handshake costs milliseconds, far too slow to run per input, so
 * the engines are brought into their interesting states once, saved,
 * and restored before every input: a gateway and a device with a live
 * session, a device with none, and a gateway waiting for message_2. The
 * first input byte picks the state and the chunk size; the rest is line
 * noise, with time advancing between chunks. After the input, the
 * engine's output path runs too (peek/ack, tick), and the engine must
 * still be usable: an established engine can still seal a message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../testenv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct te_end *gw_live, *dev_live, *dev_fresh, *gw_wait;
static struct te_end *snap[4], *work_end;

/* With FUZZ_CONN_SEEDS=DIR set, every frame the setup exchanges is
 * written there as a seed input for the state that receives it. */
static void seed(uint8_t mode, const unsigned char *p, size_t n)
{
	static unsigned count;
	const char *dir = getenv("FUZZ_CONN_SEEDS");
	char path[512];
	FILE *f;

	if (dir == NULL)
		return;
	snprintf(path, sizeof(path), "%s/seed-%u-%02u", dir, mode, count++);
	f = fopen(path, "wb");
	if (f == NULL)
		return;
	fputc(mode | (0x3F << 2), f); /* whole frames in one chunk */
	fwrite(p, 1, n, f);
	fclose(f);
}

/* mode_a/mode_b: the fuzz state that receives what a/b send. */
static void pump(struct te_end *a, struct te_end *b, uint64_t now, uint8_t mode_b,
		 uint8_t mode_a)
{
	const unsigned char *p;
	size_t n;
	int i;

	for (i = 0; i < 50; i++) {
		while ((n = sg_conn_wire_peek(&a->c, &p, now)) > 0) {
			seed(mode_b, p, n);
			sg_conn_wire_push(&b->c, p, n, now);
			sg_conn_wire_ack(&a->c, n);
		}
		while ((n = sg_conn_wire_peek(&b->c, &p, now)) > 0) {
			seed(mode_a, p, n);
			sg_conn_wire_push(&a->c, p, n, now);
			sg_conn_wire_ack(&b->c, n);
		}
	}
}

static struct te_end *clone_end(const struct te_end *e)
{
	struct te_end *c = malloc(sizeof(*c));

	if (c == NULL)
		abort();
	memcpy(c, e, sizeof(*c));
	return c;
}

/* Copy a saved end into the working end. The conn struct points into
 * the te_end's own buffers, so an image is only valid at the address it
 * was set up at: restoring rebases every such pointer. */
static void restore(struct te_end *dst, const struct te_end *src)
{
	struct sg_conn *c = &dst->c;
	uintptr_t off;

	/* The image's pointers refer to the end it was first set up in:
	 * the distance from there to dst is what every pointer moves by. */
	off = (uintptr_t)dst->scratch - (uintptr_t)src->c.b.scratch;
	memcpy(dst, src, sizeof(*dst));
#define REBASE(p)                                                              \
	do {                                                                   \
		if ((p) != NULL)                                               \
			(p) = (void *)((uintptr_t)(p) + off);            \
	} while (0)
	REBASE(c->b.frame_rx);
	REBASE(c->b.wire_tx);
	REBASE(c->b.scratch);
	REBASE(c->b.hs_rx);
	REBASE(c->b.hs_tx);
	REBASE(c->b.app_rx);
	REBASE(c->b.app_tx);
	REBASE(c->dec.buf);
	REBASE(c->frx.buf);
	REBASE(c->rxq.buf);
	REBASE(c->txq.buf);
	REBASE(c->ftx.msg);
	REBASE(c->cfg.edhoc.cred.bytes);
	REBASE(c->cfg.edhoc.priv);
	REBASE(c->cfg.edhoc.store);
	REBASE(c->cfg.edhoc.identity_ctx);
	REBASE(c->cfg.edhoc.rng_ctx);
	REBASE(c->ecfg.cred.bytes);
	REBASE(c->ecfg.priv);
	REBASE(c->ecfg.store);
	REBASE(c->ecfg.identity_ctx);
	REBASE(c->ecfg.rng_ctx);
	REBASE(c->hs.cfg);
	c->user_edhoc = &c->cfg.edhoc;
#undef REBASE
}

static void setup(void)
{
	static struct te_end a, b, d, g2;

	te_end_setup(&a, SG_CONN_GATEWAY, "gw", "dev-a", 1);
	te_end_setup(&b, SG_CONN_DEVICE, "dev-a", "gateway", 2);
	if (te_end_init(&a, 0) != 0 || te_end_init(&b, 0) != 0)
		abort();
	sg_conn_start(&a.c, 0);
	sg_conn_start(&b.c, 0);
	/* handshake frames: seeds for the fresh device (2) and the waiting
	 * gateway (3) */
	pump(&a, &b, 0, 2, 3);
	if (!(sg_conn_status(&a.c) & SG_CONN_ESTABLISHED) ||
	    !(sg_conn_status(&b.c) & SG_CONN_ESTABLISHED))
		abort();
	gw_live = &a;
	dev_live = &b;
	if (getenv("FUZZ_CONN_SEEDS") != NULL) {
		/* records of the live session, as seeds for the other side; the
		 * saved images below are taken before, so they are fresh */
		static struct te_end a2, b2;

		memcpy(&a2, &a, sizeof(a2));
		memcpy(&b2, &b, sizeof(b2));
		restore(&a2, &a);
		restore(&b2, &b);
		sg_conn_send(&a2.c, "down", 4, 1);
		sg_conn_send(&b2.c, "up", 2, 1);
		pump(&a2, &b2, 1, 1, 0);
	}

	te_end_setup(&d, SG_CONN_DEVICE, "dev-a", "gateway", 3);
	if (te_end_init(&d, 0) != 0)
		abort();
	sg_conn_start(&d.c, 0);
	dev_fresh = &d;

	te_end_setup(&g2, SG_CONN_GATEWAY, "gw", "dev-a", 4);
	if (te_end_init(&g2, 0) != 0)
		abort();
	sg_conn_start(&g2.c, 0); /* message_1 queued: waits for message_2 */
	gw_wait = &g2;

	snap[0] = clone_end(gw_live);
	snap[1] = clone_end(dev_live);
	snap[2] = clone_end(dev_fresh);
	snap[3] = clone_end(gw_wait);
	work_end = malloc(sizeof(*work_end));
	if (work_end == NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	const unsigned char *p;
	struct te_end *e;
	uint64_t now = 1;
	size_t chunk, n, k;
	int which;

	if (!ready) {
		setup();
		ready = 1;
	}
	if (size < 1)
		return 0;
	which = data[0] & 3;
	chunk = (size_t)(data[0] >> 2) + 1;
	data++;
	size--;
	restore(work_end, snap[which]);
	e = work_end;
	while (size > 0) {
		n = size < chunk ? size : chunk;
		sg_conn_wire_push(&e->c, data, n, now);
		if (sg_conn_status(&e->c) & SG_CONN_WANT_WORK)
			sg_conn_work(&e->c, now);
		data += n;
		size -= n;
		now += 7;
		for (k = 0; k < 4 && (n = sg_conn_wire_peek(&e->c, &p, now)) > 0; k++)
			sg_conn_wire_ack(&e->c, n);
		if (sg_conn_deadline(&e->c) <= now)
			sg_conn_tick(&e->c, now);
	}
	if (sg_conn_status(&e->c) & SG_CONN_ESTABLISHED) {
		if (sg_conn_send(&e->c, "x", 1, now) == 0)
			while ((n = sg_conn_wire_peek(&e->c, &p, now)) > 0)
				sg_conn_wire_ack(&e->c, n);
	}
	/* secrets of the working copy go before the next input */
	sg_edhoc_wipe(&e->c.hs);
	sg_record_wipe(&e->c.rec_next);
	return 0;
}
