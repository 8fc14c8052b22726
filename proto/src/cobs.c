/*
 * Consistent Overhead Byte Stuffing (Cheshire & Baker, IEEE/ACM ToN 1999).
 *
 * Each block is a code byte c (1..255) followed by c-1 non-zero data
 * bytes; a block with c < 255 stands for its data followed by one zero,
 * except the last block of the sequence, whose implied zero is dropped.
 * Overhead: one byte per 254 bytes of input, plus one.
 */
#include "serguard/frame.h"

int sg_cobs_encode(const void *in, size_t len, unsigned char *out, size_t cap,
		   size_t *out_len)
{
	const unsigned char *p = in;
	size_t code_at = 0, o = 1, i;
	unsigned char code = 1;

	if ((in == NULL && len > 0) || out == NULL || out_len == NULL)
		return SG_EINVAL;
	if (cap < 1)
		return SG_ENOSPC;
	for (i = 0; i < len; i++) {
		if (p[i] != 0) {
			if (o >= cap)
				return SG_ENOSPC;
			out[o++] = p[i];
			code++;
		}
		if (p[i] == 0 || code == 0xFF) {
			out[code_at] = code;
			code = 1;
			/* A full block at the very end needs no empty
			 * follower: the decoder adds no zero after it. */
			if (p[i] != 0 && i + 1 == len) {
				*out_len = o;
				return 0;
			}
			if (o >= cap)
				return SG_ENOSPC;
			code_at = o++;
		}
	}
	out[code_at] = code;
	*out_len = o;
	return 0;
}

int sg_cobs_decode(const void *in, size_t len, unsigned char *out, size_t cap,
		   size_t *out_len)
{
	const unsigned char *p = in;
	size_t i = 0, o = 0, k;
	unsigned char code;

	if ((in == NULL && len > 0) || (out == NULL && cap > 0) ||
	    out_len == NULL)
		return SG_EINVAL;
	while (i < len) {
		code = p[i++];
		if (code == 0 || (size_t)code - 1 > len - i)
			return SG_EFRAME;
		for (k = 1; k < code; k++) {
			if (p[i] == 0)
				return SG_EFRAME;
			if (o >= cap)
				return SG_ENOSPC;
			out[o++] = p[i++];
		}
		if (code != 0xFF && i < len) {
			if (o >= cap)
				return SG_ENOSPC;
			out[o++] = 0;
		}
	}
	*out_len = o;
	return 0;
}
