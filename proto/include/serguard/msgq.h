/*
 * serguard protocol core: a bounded FIFO of messages in caller memory.
 *
 * The session engine keeps application messages in two of these: those
 * received and not yet read by the application, and those the
 * application submitted and the engine has not yet sent. Each message
 * keeps its length and the monotonic time it was queued, so that the
 * engine can drop messages that waited longer than allowed (and count
 * them: nothing is lost silently).
 *
 * Layout: messages sit back to back in the buffer, each as a 10-byte
 * header (length, 2 bytes; time, 8 bytes) and its bytes, never split at
 * the end of the buffer: when a message does not fit before the end, the
 * writer marks the rest as unused and starts again at the front.
 */
#ifndef SERGUARD_MSGQ_H
#define SERGUARD_MSGQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "serguard/sg.h"

#define SG_MSGQ_HDR_LEN 10u
/* Buffer bytes that always hold n messages of up to len bytes each. */
#define SG_MSGQ_BUF_LEN(n, len) ((n) * (SG_MSGQ_HDR_LEN + (len)) + SG_MSGQ_HDR_LEN + (len))

struct sg_msgq {
	unsigned char *buf;
	size_t cap;
	size_t head;	/* oldest message */
	size_t tail;	/* where the next one goes */
	size_t wrap;	/* when tail < head: end of the data before the wrap */
	uint32_t count;
	size_t bytes;	/* message bytes held (headers excluded) */
};

/* buf (cap bytes) is the caller's for as long as q is used. */
int sg_msgq_init(struct sg_msgq *q, unsigned char *buf, size_t cap);
/* Append a message (len <= 65535). SG_EFULL when it does not fit now
 * (nothing is changed), SG_ETOOBIG when it could never fit. */
int sg_msgq_push(struct sg_msgq *q, const void *msg, size_t len, uint64_t t_ms);
/* The oldest message, without removing it: returns its length and sets
 * *msg and *t_ms; SG_EAGAIN when empty. *msg stays valid until the next
 * pop or push. */
int sg_msgq_peek(const struct sg_msgq *q, const unsigned char **msg, uint64_t *t_ms);
/* Remove the oldest message (no-op when empty). */
void sg_msgq_pop(struct sg_msgq *q);
/* Drop every message; wipes the buffer. */
void sg_msgq_clear(struct sg_msgq *q);
/* Whether a message of len bytes would fit now. */
bool sg_msgq_fits(const struct sg_msgq *q, size_t len);

#endif
