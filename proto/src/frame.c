/*
 * Link framing: encoder and streaming decoder (see serguard/frame.h for
 * the format).
 *
 * Implementation notes:
 * - The decoder undoes COBS on the fly into the caller's buffer, so it
 *   needs one buffer of max payload + 4 bytes and never holds the encoded
 *   form. A block's implied zero is appended when the *next* code byte
 *   arrives, which is exactly what drops the last block's zero.
 * - A frame that outgrows the buffer is not stored any further; the rest
 *   of it is skipped up to the next delimiter and counted once as
 *   too_long. No input can make the decoder write past its buffer.
 * - Each dropped frame is counted under the first check it fails, so the
 *   counters add up to the number of bad frames.
 */
#include <string.h>

#include "serguard/frame.h"

int sg_frame_encode(unsigned char *out, size_t cap, size_t *out_len,
		    uint8_t addr, uint8_t ctrl, const void *payload,
		    size_t len)
{
	unsigned char body[2];
	size_t o, n, i, code_at;
	unsigned char code;
	uint16_t crc;
	const unsigned char *p = payload;

	if (out == NULL || out_len == NULL || (payload == NULL && len > 0))
		return SG_EINVAL;
	if (addr < SG_FRAME_ADDR_MIN || addr > SG_FRAME_ADDR_MAX ||
	    (ctrl & SG_FRAME_RESERVED_MASK) != 0)
		return SG_EINVAL;
	body[0] = addr;
	body[1] = ctrl;
	crc = sg_crc16_update(SG_CRC16_INIT, body, 2);
	crc = (uint16_t)(sg_crc16_update(crc, payload, len) ^ 0xFFFFu);

	/* COBS over addr|ctrl|payload|crc without building it contiguously:
	 * walk the three pieces as one virtual input. */
	n = 2 + len + 2;
	if (cap < 2)
		return SG_ENOSPC;
	out[0] = 0x00;
	code_at = 1;
	o = 2;
	code = 1;
	for (i = 0; i < n; i++) {
		unsigned char b;

		if (i < 2)
			b = body[i];
		else if (i < 2 + len)
			b = p[i - 2];
		else if (i == 2 + len)
			b = (unsigned char)(crc & 0xFF);
		else
			b = (unsigned char)(crc >> 8);
		if (b != 0) {
			if (o >= cap)
				return SG_ENOSPC;
			out[o++] = b;
			code++;
		}
		if (b == 0 || code == 0xFF) {
			out[code_at] = code;
			code = 1;
			if (b != 0 && i + 1 == n)
				goto done;
			if (o >= cap)
				return SG_ENOSPC;
			code_at = o++;
		}
	}
	out[code_at] = code;
done:
	if (o >= cap)
		return SG_ENOSPC;
	out[o++] = 0x00;
	*out_len = o;
	return 0;
}

int sg_frame_decoder_init(struct sg_frame_decoder *d, unsigned char *buf,
			  size_t buf_len, size_t max_payload, uint8_t rx_dir,
			  uint8_t addr_filter)
{
	if (d == NULL || buf == NULL)
		return SG_EINVAL;
	if (rx_dir != SG_FRAME_FROM_GATEWAY && rx_dir != SG_FRAME_FROM_DEVICE)
		return SG_EINVAL;
	if (addr_filter != 0 &&
	    (addr_filter < SG_FRAME_ADDR_MIN || addr_filter > SG_FRAME_ADDR_MAX))
		return SG_EINVAL;
	if (max_payload == 0 || buf_len < SG_FRAME_DECODE_BUF_LEN(max_payload))
		return SG_ENOSPC;
	memset(d, 0, sizeof(*d));
	d->buf = buf;
	d->cap = SG_FRAME_DECODE_BUF_LEN(max_payload);
	d->rx_dir = rx_dir;
	d->addr_filter = addr_filter;
	return 0;
}

static void restart(struct sg_frame_decoder *d)
{
	d->len = 0;
	d->raw = 0;
	d->code = 0;
	d->left = 0;
	d->overflow = false;
}

static void drop(struct sg_frame_decoder *d, uint32_t *reason)
{
	(*reason)++;
	d->stats.noise_bytes += (uint32_t)d->raw;
}

/* Checks a complete decoded body; fills f and returns 1 when good. */
static int finish(struct sg_frame_decoder *d, struct sg_frame *f)
{
	struct sg_frame_stats *st = &d->stats;
	uint16_t crc;
	uint8_t addr, ctrl;

	if (d->overflow) {
		drop(d, &st->too_long);
		return 0;
	}
	if (d->left != 0) {
		drop(d, &st->bad_cobs);
		return 0;
	}
	if (d->len < SG_FRAME_OVERHEAD) {
		drop(d, &st->too_short);
		return 0;
	}
	crc = sg_crc16(d->buf, d->len - 2);
	if (crc != (uint16_t)(d->buf[d->len - 2] | (d->buf[d->len - 1] << 8))) {
		drop(d, &st->bad_crc);
		return 0;
	}
	addr = d->buf[0];
	ctrl = d->buf[1];
	if ((ctrl & SG_FRAME_RESERVED_MASK) != 0) {
		drop(d, &st->bad_ctrl);
		return 0;
	}
	if ((ctrl & SG_FRAME_DIR_MASK) != d->rx_dir) {
		drop(d, &st->wrong_dir);
		return 0;
	}
	if (addr < SG_FRAME_ADDR_MIN || addr > SG_FRAME_ADDR_MAX ||
	    (d->addr_filter != 0 && addr != d->addr_filter)) {
		drop(d, &st->wrong_addr);
		return 0;
	}
	st->frames++;
	f->addr = addr;
	f->kind = (uint8_t)(ctrl & SG_FRAME_KIND_MASK);
	f->payload = d->buf + 2;
	f->len = d->len - SG_FRAME_OVERHEAD;
	return 1;
}

static void put(struct sg_frame_decoder *d, unsigned char b)
{
	if (d->overflow)
		return;
	if (d->len >= d->cap) {
		d->overflow = true;
		return;
	}
	d->buf[d->len++] = b;
}

int sg_frame_decoder_push(struct sg_frame_decoder *d, const unsigned char *in,
			  size_t len, size_t *consumed, struct sg_frame *f)
{
	size_t i;
	int got;

	if (consumed != NULL)
		*consumed = 0;
	if (d == NULL || d->buf == NULL || (in == NULL && len > 0) ||
	    consumed == NULL || f == NULL)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char b = in[i];

		if (b == 0x00) {
			if (d->raw == 0)
				continue; /* idle delimiter */
			got = finish(d, f);
			restart(d);
			if (got) {
				*consumed = i + 1;
				return 1;
			}
			continue;
		}
		d->raw++;
		if (d->left == 0) {
			if (d->raw > 1 && d->code != 0xFF)
				put(d, 0x00);
			d->code = b;
			d->left = (uint8_t)(b - 1);
		} else {
			put(d, b);
			d->left--;
		}
	}
	*consumed = len;
	return 0;
}

bool sg_frame_decoder_busy(const struct sg_frame_decoder *d)
{
	return d != NULL && d->raw > 0;
}

void sg_frame_decoder_abort(struct sg_frame_decoder *d)
{
	if (d == NULL || d->raw == 0)
		return;
	drop(d, &d->stats.aborted);
	restart(d);
}
