/*
 * libFuzzer target: the streaming frame decoder.
 *
 * The first input byte picks the chunk size the stream is fed in, so the
 * fuzzer explores every way a frame can be split across reads. Every
 * delivered frame must re-encode to a frame that decodes to the same
 * content (the decoder accepts only what the encoder can produce).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "serguard/frame.h"

#define MAXP 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char buf[SG_FRAME_DECODE_BUF_LEN(MAXP)];
	unsigned char wire[SG_FRAME_ENCODED_MAX(MAXP)], copy[MAXP];
	unsigned char buf2[SG_FRAME_DECODE_BUF_LEN(MAXP)];
	struct sg_frame_decoder d, d2;
	struct sg_frame f, f2;
	size_t chunk, used, n, used2;

	if (size < 1)
		return 0;
	chunk = (size_t)(data[0] % 16) + 1;
	data++;
	size--;
	if (sg_frame_decoder_init(&d, buf, sizeof(buf), MAXP, SG_FRAME_FROM_DEVICE, 0) != 0)
		abort();
	while (size > 0) {
		size_t take = size < chunk ? size : chunk;

		while (take > 0) {
			int r = sg_frame_decoder_push(&d, data, take, &used, &f);

			if (used > take)
				abort();
			data += used;
			size -= used;
			take -= used;
			if (r != 1)
				continue;
			if (f.len > MAXP || f.addr < 1 || f.addr > 254 || f.kind > 15)
				abort();
			memcpy(copy, f.payload, f.len);
			if (sg_frame_encode(wire, sizeof(wire), &n, f.addr,
					    (uint8_t)(SG_FRAME_FROM_DEVICE | f.kind), copy,
					    f.len) != 0)
				abort();
			if (sg_frame_decoder_init(&d2, buf2, sizeof(buf2), MAXP,
						  SG_FRAME_FROM_DEVICE, 0) != 0)
				abort();
			if (sg_frame_decoder_push(&d2, wire, n, &used2, &f2) != 1 ||
			    used2 != n || f2.len != f.len || memcmp(f2.payload, copy, f.len) != 0)
				abort();
		}
	}
	sg_frame_decoder_abort(&d);
	return 0;
}
