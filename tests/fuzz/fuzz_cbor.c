/*
 * libFuzzer target: the strict CBOR decoder (proto/src/cbor.c) on its own.
 *
 * The input is walked as a CBOR sequence, item by item (array and map
 * heads are read and their contents walked as the following items).
 * Property: the decoder accepts only deterministic (shortest, definite)
 * encodings, so every item it accepts must re-encode with the encoder to
 * exactly the bytes it was read from; and sg_cbor_skip() must agree with
 * the getter on where the item ends.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "serguard/cbor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen)
{
	if (alen != blen || memcmp(a, b, alen) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sg_cbor_dec d, probe;
	struct sg_cbor_enc e;
	unsigned char out[1 << 12];
	const unsigned char *start, *p;
	size_t n, len, span, before;
	int64_t v;
	int type, items = 0;

	sg_cbor_dec_init(&d, data, size);
	while (!sg_cbor_dec_done(&d) && items++ < 4096) {
		type = sg_cbor_peek_type(&d);
		if (type < 0)
			break;
		before = sg_cbor_dec_left(&d);
		start = data + (size - before);
		sg_cbor_enc_init(&e, out, sizeof(out));
		switch (type) {
		case SG_CBOR_UINT:
		case SG_CBOR_NINT:
			if (sg_cbor_get_int(&d, &v) != 0)
				return 0; /* e.g. beyond int64: refused, fine */
			sg_cbor_put_int(&e, v);
			break;
		case SG_CBOR_BSTR:
			if (sg_cbor_get_bstr(&d, &p, &len) != 0)
				return 0;
			sg_cbor_put_bstr(&e, p, len);
			break;
		case SG_CBOR_TSTR:
			if (sg_cbor_get_tstr(&d, &p, &len) != 0)
				return 0;
			sg_cbor_put_tstr(&e, (const char *)p, len);
			break;
		case SG_CBOR_ARRAY:
			/* the head only: contents follow as items (skip checked below) */
			probe = d;
			if (sg_cbor_skip(&probe, NULL, NULL) != 0)
				return 0;
			if (sg_cbor_get_array(&d, &n) != 0)
				abort(); /* skip accepted the whole array, the head must parse */
			sg_cbor_put_array(&e, n);
			if (sg_cbor_enc_finish(&e, &len) != 0)
				abort();
			same(start, before - sg_cbor_dec_left(&d), out, len);
			continue;
		case SG_CBOR_MAP:
			probe = d;
			if (sg_cbor_skip(&probe, NULL, NULL) != 0)
				return 0;
			if (sg_cbor_get_map(&d, &n) != 0)
				abort();
			sg_cbor_put_map(&e, n);
			if (sg_cbor_enc_finish(&e, &len) != 0)
				abort();
			same(start, before - sg_cbor_dec_left(&d), out, len);
			continue;
		case SG_CBOR_SIMPLE:
			if (sg_cbor_get_true(&d) != 0)
				return 0;
			sg_cbor_put_true(&e);
			break;
		default:
			return 0; /* tags are not part of EDHOC's profile */
		}
		span = before - sg_cbor_dec_left(&d);
		if (sg_cbor_enc_finish(&e, &len) != 0)
			continue; /* longer than out: nothing to compare */
		same(start, span, out, len);
		/* skip agrees on the item's extent */
		sg_cbor_dec_init(&probe, start, before);
		if (sg_cbor_skip(&probe, NULL, NULL) != 0 || before - sg_cbor_dec_left(&probe) != span)
			abort();
	}
	return 0;
}
