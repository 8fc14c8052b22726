/*
 * Bounded message FIFO (see serguard/msgq.h).
 *
 * Implementation notes: the data region is one of two shapes.
 * - head <= tail: messages occupy [head, tail); free space is
 *   [tail, cap) and, once the writer wraps, [0, head).
 * - tail < head: the writer has wrapped; messages occupy [head, wrap)
 *   and [0, tail); free space is [tail, head).
 * count disambiguates the empty and the full case of head == tail. An
 * empty queue is reset to offset 0 so fragmentation never accumulates.
 */
#include <string.h>

#include "serguard/msgq.h"

int sg_msgq_init(struct sg_msgq *q, unsigned char *buf, size_t cap)
{
	if (q == NULL || buf == NULL || cap < SG_MSGQ_HDR_LEN)
		return SG_EINVAL;
	memset(q, 0, sizeof(*q));
	q->buf = buf;
	q->cap = cap;
	return 0;
}

/* Offset where a message of need bytes (header included) would go, or
 * cap when it does not fit. *wraps says the writer must wrap first. */
static size_t place(const struct sg_msgq *q, size_t need, bool *wraps)
{
	*wraps = false;
	if (q->count == 0)
		return need <= q->cap ? 0 : q->cap;
	if (q->head <= q->tail && !(q->head == q->tail)) {
		if (q->cap - q->tail >= need)
			return q->tail;
		if (q->head >= need) {
			*wraps = true;
			return 0;
		}
		return q->cap;
	}
	/* wrapped (tail < head), or full with head == tail */
	if (q->tail < q->head && q->head - q->tail >= need)
		return q->tail;
	return q->cap;
}

bool sg_msgq_fits(const struct sg_msgq *q, size_t len)
{
	bool wraps;

	if (q == NULL || len > 0xFFFFu)
		return false;
	return place(q, SG_MSGQ_HDR_LEN + len, &wraps) != q->cap;
}

int sg_msgq_push(struct sg_msgq *q, const void *msg, size_t len, uint64_t t_ms)
{
	size_t need, at;
	bool wraps;
	int i;

	if (q == NULL || (msg == NULL && len > 0))
		return SG_EINVAL;
	need = SG_MSGQ_HDR_LEN + len;
	if (len > 0xFFFFu || need > q->cap)
		return SG_ETOOBIG;
	at = place(q, need, &wraps);
	if (at == q->cap)
		return SG_EFULL;
	if (wraps)
		q->wrap = q->tail;
	q->buf[at] = (unsigned char)(len & 0xFFu);
	q->buf[at + 1] = (unsigned char)(len >> 8);
	for (i = 0; i < 8; i++)
		q->buf[at + 2 + (size_t)i] = (unsigned char)(t_ms >> (8 * i));
	if (len > 0)
		memcpy(q->buf + at + SG_MSGQ_HDR_LEN, msg, len);
	q->tail = at + need;
	q->count++;
	q->bytes += len;
	return 0;
}

int sg_msgq_peek(const struct sg_msgq *q, const unsigned char **msg, uint64_t *t_ms)
{
	const unsigned char *h;
	uint64_t t = 0;
	int i;

	if (q == NULL || msg == NULL)
		return SG_EINVAL;
	if (q->count == 0)
		return SG_EAGAIN;
	h = q->buf + q->head;
	for (i = 7; i >= 0; i--)
		t = (t << 8) | h[2 + i];
	if (t_ms != NULL)
		*t_ms = t;
	*msg = h + SG_MSGQ_HDR_LEN;
	return (int)(h[0] | ((unsigned)h[1] << 8));
}

void sg_msgq_pop(struct sg_msgq *q)
{
	size_t len;

	if (q == NULL || q->count == 0)
		return;
	len = (size_t)(q->buf[q->head] | ((unsigned)q->buf[q->head + 1] << 8));
	sg_wipe(q->buf + q->head, SG_MSGQ_HDR_LEN + len);
	q->head += SG_MSGQ_HDR_LEN + len;
	q->count--;
	q->bytes -= len;
	if (q->count == 0) {
		q->head = q->tail = q->wrap = 0;
		return;
	}
	/* Reached the end of the data before the wrap: continue at 0. */
	if (q->tail < q->head && q->head == q->wrap) {
		q->head = 0;
		q->wrap = 0;
	}
}

void sg_msgq_clear(struct sg_msgq *q)
{
	if (q == NULL)
		return;
	sg_wipe(q->buf, q->cap);
	q->head = q->tail = q->wrap = 0;
	q->count = 0;
	q->bytes = 0;
}
