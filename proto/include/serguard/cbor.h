/*
 * serguard protocol core: the minimal deterministic CBOR (RFC 8949) that
 * EDHOC needs.
 *
 * Only what EDHOC messages, COSE structures and credentials use:
 * unsigned and negative integers, byte and text strings, arrays, maps and
 * the simple values false/true/null. No tags, no floats, no indefinite
 * lengths.
 *
 * Decoding is strict: every head must be the shortest encoding of its
 * argument (RFC 8949 4.2.1), indefinite lengths and reserved additional
 * information values are refused, and no read ever goes past the end of
 * the buffer. Any violation gives SG_ECBOR; a well-formed item of the
 * wrong type gives SG_EDECODE and leaves the cursor where it was, so a
 * caller can try another type (EDHOC's "int / bstr" alternatives).
 *
 * Encoding always produces the shortest form. The encoder is a bounded
 * cursor over a caller buffer with a sticky overflow flag: encode a whole
 * structure, then check once with sg_cbor_enc_finish(). With buf == NULL
 * it only counts, which gives the encoded size of a structure before
 * writing it.
 *
 * Neither side allocates; decoded strings point into the input buffer.
 */
#ifndef SERGUARD_CBOR_H
#define SERGUARD_CBOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "serguard/sg.h"

/* Major types. */
#define SG_CBOR_UINT 0
#define SG_CBOR_NINT 1
#define SG_CBOR_BSTR 2
#define SG_CBOR_TSTR 3
#define SG_CBOR_ARRAY 4
#define SG_CBOR_MAP 5
#define SG_CBOR_TAG 6
#define SG_CBOR_SIMPLE 7

/* Longest head: initial byte plus an 8-byte argument. */
#define SG_CBOR_HEAD_MAX 9

/* Nesting depth sg_cbor_skip() accepts. */
#define SG_CBOR_MAX_DEPTH 8

/* ---- decoder ------------------------------------------------------------ */

struct sg_cbor_dec {
	const unsigned char *p;	  /* next unread byte */
	const unsigned char *end; /* one past the last byte */
};

/* Start decoding len bytes at buf. The buffer must outlive the cursor
 * and every pointer the cursor hands out. */
void sg_cbor_dec_init(struct sg_cbor_dec *d, const void *buf, size_t len);

/* True when every byte has been consumed. */
bool sg_cbor_dec_done(const struct sg_cbor_dec *d);

/* Bytes left. */
size_t sg_cbor_dec_left(const struct sg_cbor_dec *d);

/* Major type (0..7) of the next item without consuming it; SG_ECBOR at
 * the end of the buffer. */
int sg_cbor_peek_type(const struct sg_cbor_dec *d);

/* An integer of major type 0 or 1 that fits in int64_t. */
int sg_cbor_get_int(struct sg_cbor_dec *d, int64_t *v);
/* An integer of major type 0. */
int sg_cbor_get_uint(struct sg_cbor_dec *d, uint64_t *v);
/* A byte string: *p points into the input, *len is its length. */
int sg_cbor_get_bstr(struct sg_cbor_dec *d, const unsigned char **p, size_t *len);
/* A text string (UTF-8 is not validated: the core never interprets it). */
int sg_cbor_get_tstr(struct sg_cbor_dec *d, const unsigned char **p, size_t *len);
/* The head of an array or map; *n is its number of items / pairs. The
 * count is bounded by the bytes left, so a caller looping *n times
 * cannot be made to loop longer than the input. */
int sg_cbor_get_array(struct sg_cbor_dec *d, size_t *n);
int sg_cbor_get_map(struct sg_cbor_dec *d, size_t *n);
/* The simple value true (0xf5). */
int sg_cbor_get_true(struct sg_cbor_dec *d);
/* Skip one well-formed item (nesting at most SG_CBOR_MAX_DEPTH);
 * optionally return where it starts and how long it is. */
int sg_cbor_skip(struct sg_cbor_dec *d, const unsigned char **start, size_t *len);

/* ---- encoder ------------------------------------------------------------ */

struct sg_cbor_enc {
	unsigned char *buf; /* NULL: count only */
	size_t cap;
	size_t len;	/* bytes written (or that would have been) */
	bool overflow;	/* sticky */
};

void sg_cbor_enc_init(struct sg_cbor_enc *e, unsigned char *buf, size_t cap);
/* SG_ENOSPC if anything did not fit (buf != NULL), else 0; *len (if not
 * NULL) receives the encoded length. */
int sg_cbor_enc_finish(const struct sg_cbor_enc *e, size_t *len);

void sg_cbor_put_uint(struct sg_cbor_enc *e, uint64_t v);
void sg_cbor_put_int(struct sg_cbor_enc *e, int64_t v);
void sg_cbor_put_bstr(struct sg_cbor_enc *e, const void *p, size_t len);
/* Only the head of a byte string; the caller appends len bytes. */
void sg_cbor_put_bstr_head(struct sg_cbor_enc *e, size_t len);
void sg_cbor_put_tstr(struct sg_cbor_enc *e, const char *s, size_t len);
void sg_cbor_put_array(struct sg_cbor_enc *e, size_t n);
void sg_cbor_put_map(struct sg_cbor_enc *e, size_t n);
void sg_cbor_put_true(struct sg_cbor_enc *e);
/* Bytes already encoded elsewhere (a nested item, a CBOR sequence). */
void sg_cbor_put_raw(struct sg_cbor_enc *e, const void *p, size_t len);

/* Write the shortest head of major type `major` with argument v into
 * out (at least SG_CBOR_HEAD_MAX bytes); returns its length. */
size_t sg_cbor_head(unsigned char out[SG_CBOR_HEAD_MAX], unsigned major, uint64_t v);
/* Length of that head without writing it. */
size_t sg_cbor_head_len(uint64_t v);

#endif
