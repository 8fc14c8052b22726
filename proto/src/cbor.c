/*
 * Minimal deterministic CBOR: a strict decoder and a shortest-form encoder.
 *
 * Implementation notes:
 * - Every read goes through read_head(), which is the only place that
 *   looks at the bytes of a head: it checks the bytes are there, refuses
 *   additional information 28..31 (reserved / indefinite) and refuses an
 *   argument that a shorter head could have carried (RFC 8949 4.2.1,
 *   "preferred serialization" for integers and lengths).
 * - Typed getters decode the head into locals and move the cursor only on
 *   success, so a type mismatch (SG_EDECODE) costs nothing and the caller
 *   can try the other alternative of an "int / bstr" choice.
 * - String and container lengths are checked against the bytes left
 *   before anything is handed out, so callers may trust len and n.
 * - sg_cbor_skip() is iterative with an explicit counter stack bounded by
 *   SG_CBOR_MAX_DEPTH: no recursion, so fuzzed nesting cannot exhaust the
 *   stack of a microcontroller.
 * - Only simple values false, true and null are accepted (0xf4..0xf6);
 *   floats, undefined, other simple values and tags are refused: EDHOC
 *   does not use them, and refusing them keeps "deterministic" checkable.
 */
#include <string.h>

#include "serguard/cbor.h"

/* ---- decoder ------------------------------------------------------------ */

void sg_cbor_dec_init(struct sg_cbor_dec *d, const void *buf, size_t len)
{
	d->p = buf;
	d->end = d->p + (buf != NULL ? len : 0);
}

bool sg_cbor_dec_done(const struct sg_cbor_dec *d)
{
	return d->p >= d->end;
}

size_t sg_cbor_dec_left(const struct sg_cbor_dec *d)
{
	return d->p < d->end ? (size_t)(d->end - d->p) : 0;
}

int sg_cbor_peek_type(const struct sg_cbor_dec *d)
{
	if (d->p >= d->end)
		return SG_ECBOR;
	return d->p[0] >> 5;
}

/* Decode the head at p (not moving the cursor): major type, argument and
 * head length. Simple values come back as major 7 with the additional
 * information as argument. */
static int read_head(const struct sg_cbor_dec *d, unsigned *major, uint64_t *arg,
		     size_t *hlen)
{
	size_t left = sg_cbor_dec_left(d), n, i;
	unsigned ai;
	uint64_t v;

	if (left < 1)
		return SG_ECBOR;
	*major = d->p[0] >> 5;
	ai = d->p[0] & 0x1f;
	if (ai < 24) {
		*arg = ai;
		*hlen = 1;
		return 0;
	}
	if (ai > 27)
		return SG_ECBOR; /* 28..30 reserved, 31 indefinite length */
	n = (size_t)1 << (ai - 24);
	if (left < 1 + n)
		return SG_ECBOR;
	v = 0;
	for (i = 0; i < n; i++)
		v = (v << 8) | d->p[1 + i];
	if (*major == SG_CBOR_SIMPLE) {
		/* 0xf8 xx is a one-byte simple value; 0xf9..0xfb are floats. */
		if (ai != 24 || v < 32)
			return SG_ECBOR;
		*arg = v;
		*hlen = 2;
		return 0;
	}
	/* Shortest form: the argument must need this many bytes. */
	if ((ai == 24 && v < 24) || (ai == 25 && v <= 0xff) ||
	    (ai == 26 && v <= 0xffff) || (ai == 27 && v <= 0xffffffffu))
		return SG_ECBOR;
	*arg = v;
	*hlen = 1 + n;
	return 0;
}

/* Head of the expected major type; SG_EDECODE for another type. */
static int expect(const struct sg_cbor_dec *d, unsigned want, uint64_t *arg, size_t *hlen)
{
	unsigned major;
	int rc = read_head(d, &major, arg, hlen);

	if (rc != 0)
		return rc;
	return major == want ? 0 : SG_EDECODE;
}

int sg_cbor_get_int(struct sg_cbor_dec *d, int64_t *v)
{
	unsigned major;
	uint64_t arg;
	size_t hlen;
	int rc = read_head(d, &major, &arg, &hlen);

	if (rc != 0)
		return rc;
	if (major != SG_CBOR_UINT && major != SG_CBOR_NINT)
		return SG_EDECODE;
	if (arg > (uint64_t)INT64_MAX)
		return SG_EDECODE; /* well-formed, but outside what we represent */
	*v = major == SG_CBOR_UINT ? (int64_t)arg : -1 - (int64_t)arg;
	d->p += hlen;
	return 0;
}

int sg_cbor_get_uint(struct sg_cbor_dec *d, uint64_t *v)
{
	uint64_t arg;
	size_t hlen;
	int rc = expect(d, SG_CBOR_UINT, &arg, &hlen);

	if (rc != 0)
		return rc;
	*v = arg;
	d->p += hlen;
	return 0;
}

static int get_string(struct sg_cbor_dec *d, unsigned major, const unsigned char **p,
		      size_t *len)
{
	uint64_t arg;
	size_t hlen;
	int rc = expect(d, major, &arg, &hlen);

	if (rc != 0)
		return rc;
	if (arg > sg_cbor_dec_left(d) - hlen)
		return SG_ECBOR; /* runs past the end */
	*p = d->p + hlen;
	*len = (size_t)arg;
	d->p += hlen + (size_t)arg;
	return 0;
}

int sg_cbor_get_bstr(struct sg_cbor_dec *d, const unsigned char **p, size_t *len)
{
	return get_string(d, SG_CBOR_BSTR, p, len);
}

int sg_cbor_get_tstr(struct sg_cbor_dec *d, const unsigned char **p, size_t *len)
{
	return get_string(d, SG_CBOR_TSTR, p, len);
}

static int get_container(struct sg_cbor_dec *d, unsigned major, size_t per_item, size_t *n)
{
	uint64_t arg;
	size_t hlen;
	int rc = expect(d, major, &arg, &hlen);

	if (rc != 0)
		return rc;
	/* Each item takes at least one byte: a count the rest of the input
	 * cannot hold is malformed, whatever follows. */
	if (arg > (sg_cbor_dec_left(d) - hlen) / per_item)
		return SG_ECBOR;
	*n = (size_t)arg;
	d->p += hlen;
	return 0;
}

int sg_cbor_get_array(struct sg_cbor_dec *d, size_t *n)
{
	return get_container(d, SG_CBOR_ARRAY, 1, n);
}

int sg_cbor_get_map(struct sg_cbor_dec *d, size_t *n)
{
	return get_container(d, SG_CBOR_MAP, 2, n);
}

int sg_cbor_get_true(struct sg_cbor_dec *d)
{
	uint64_t arg;
	size_t hlen;
	int rc = expect(d, SG_CBOR_SIMPLE, &arg, &hlen);

	if (rc != 0)
		return rc;
	if (arg != 21)
		return SG_EDECODE;
	d->p += hlen;
	return 0;
}

int sg_cbor_skip(struct sg_cbor_dec *d, const unsigned char **start, size_t *len)
{
	/* pending[k]: items still to skip at depth k (maps count twice). */
	uint64_t pending[SG_CBOR_MAX_DEPTH + 1];
	const unsigned char *s = d->p, *save = d->p;
	size_t depth = 0, hlen;
	unsigned major;
	uint64_t arg;
	int rc;

	pending[0] = 1;
	while (1) {
		while (depth > 0 && pending[depth] == 0)
			depth--;
		if (pending[depth] == 0)
			break;
		pending[depth]--;
		if ((rc = read_head(d, &major, &arg, &hlen)) != 0)
			goto fail;
		switch (major) {
		case SG_CBOR_UINT:
		case SG_CBOR_NINT:
			d->p += hlen;
			break;
		case SG_CBOR_BSTR:
		case SG_CBOR_TSTR:
			if (arg > sg_cbor_dec_left(d) - hlen) {
				rc = SG_ECBOR;
				goto fail;
			}
			d->p += hlen + (size_t)arg;
			break;
		case SG_CBOR_ARRAY:
		case SG_CBOR_MAP:
			if (major == SG_CBOR_MAP) {
				if (arg > (sg_cbor_dec_left(d) - hlen) / 2) {
					rc = SG_ECBOR;
					goto fail;
				}
				arg *= 2;
			} else if (arg > sg_cbor_dec_left(d) - hlen) {
				rc = SG_ECBOR;
				goto fail;
			}
			d->p += hlen;
			if (arg > 0) {
				if (depth == SG_CBOR_MAX_DEPTH) {
					rc = SG_ECBOR;
					goto fail;
				}
				pending[++depth] = arg;
			}
			break;
		case SG_CBOR_SIMPLE:
			if (arg < 20 || arg > 22) { /* false, true, null only */
				rc = SG_ECBOR;
				goto fail;
			}
			d->p += hlen;
			break;
		default: /* tags */
			rc = SG_ECBOR;
			goto fail;
		}
	}
	if (start != NULL)
		*start = s;
	if (len != NULL)
		*len = (size_t)(d->p - s);
	return 0;
fail:
	d->p = save;
	return rc;
}

/* ---- encoder ------------------------------------------------------------ */

size_t sg_cbor_head_len(uint64_t v)
{
	if (v < 24)
		return 1;
	if (v <= 0xff)
		return 2;
	if (v <= 0xffff)
		return 3;
	if (v <= 0xffffffffu)
		return 5;
	return 9;
}

size_t sg_cbor_head(unsigned char out[SG_CBOR_HEAD_MAX], unsigned major, uint64_t v)
{
	size_t n = sg_cbor_head_len(v), i;
	unsigned char ib = (unsigned char)((major & 7u) << 5);

	switch (n) {
	case 1:
		out[0] = (unsigned char)(ib | (unsigned char)v);
		return 1;
	case 2:
		out[0] = (unsigned char)(ib | 24u);
		break;
	case 3:
		out[0] = (unsigned char)(ib | 25u);
		break;
	case 5:
		out[0] = (unsigned char)(ib | 26u);
		break;
	default:
		out[0] = (unsigned char)(ib | 27u);
		break;
	}
	for (i = 1; i < n; i++)
		out[i] = (unsigned char)(v >> (8 * (n - 1 - i)));
	return n;
}

void sg_cbor_enc_init(struct sg_cbor_enc *e, unsigned char *buf, size_t cap)
{
	e->buf = buf;
	e->cap = buf != NULL ? cap : 0;
	e->len = 0;
	e->overflow = false;
}

int sg_cbor_enc_finish(const struct sg_cbor_enc *e, size_t *len)
{
	if (len != NULL)
		*len = e->len;
	return e->buf != NULL && e->overflow ? SG_ENOSPC : 0;
}

void sg_cbor_put_raw(struct sg_cbor_enc *e, const void *p, size_t len)
{
	if (e->len > SIZE_MAX - len) {
		e->overflow = true;
		return;
	}
	if (e->buf != NULL) {
		if (e->overflow || len > e->cap - e->len) {
			e->overflow = true;
		} else if (len > 0) {
			memcpy(e->buf + e->len, p, len);
		}
	}
	e->len += len;
}

static void put_head(struct sg_cbor_enc *e, unsigned major, uint64_t v)
{
	unsigned char h[SG_CBOR_HEAD_MAX];

	sg_cbor_put_raw(e, h, sg_cbor_head(h, major, v));
}

void sg_cbor_put_uint(struct sg_cbor_enc *e, uint64_t v)
{
	put_head(e, SG_CBOR_UINT, v);
}

void sg_cbor_put_int(struct sg_cbor_enc *e, int64_t v)
{
	if (v >= 0)
		put_head(e, SG_CBOR_UINT, (uint64_t)v);
	else
		put_head(e, SG_CBOR_NINT, (uint64_t)(-(v + 1)));
}

void sg_cbor_put_bstr_head(struct sg_cbor_enc *e, size_t len)
{
	put_head(e, SG_CBOR_BSTR, (uint64_t)len);
}

void sg_cbor_put_bstr(struct sg_cbor_enc *e, const void *p, size_t len)
{
	put_head(e, SG_CBOR_BSTR, (uint64_t)len);
	sg_cbor_put_raw(e, p, len);
}

void sg_cbor_put_tstr(struct sg_cbor_enc *e, const char *s, size_t len)
{
	put_head(e, SG_CBOR_TSTR, (uint64_t)len);
	sg_cbor_put_raw(e, s, len);
}

void sg_cbor_put_array(struct sg_cbor_enc *e, size_t n)
{
	put_head(e, SG_CBOR_ARRAY, (uint64_t)n);
}

void sg_cbor_put_map(struct sg_cbor_enc *e, size_t n)
{
	put_head(e, SG_CBOR_MAP, (uint64_t)n);
}

void sg_cbor_put_true(struct sg_cbor_enc *e)
{
	static const unsigned char t = 0xf5;

	sg_cbor_put_raw(e, &t, 1);
}
