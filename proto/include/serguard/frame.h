/*
 * serguard protocol core: link framing.
 *
 * A frame on the wire (doc/PROTOCOL.md, "Link framing"):
 *
 *   0x00 | COBS( addr | ctrl | payload ... | crc16_lo | crc16_hi ) | 0x00
 *
 * - addr: the field device's bus address, 1..254 (0 and 255 reserved).
 *   Frames in both directions carry the device's address, so on a
 *   multidrop bus a device answers only frames with its own address.
 * - ctrl: bit 7 is the direction (0 = sent by the gateway, 1 = sent by a
 *   device), so the local echo of an RS485 transceiver is never taken for
 *   a reply; bits 6..4 are reserved and must be 0; bits 3..0 the kind.
 * - crc16: CRC-16/IBM-SDLC (CRC-16/X-25, the HDLC/PPP FCS of RFC 1662:
 *   poly 0x1021 reflected, init 0xFFFF, final XOR 0xFFFF; check value
 *   0x906E) over addr, ctrl and payload, sent low byte first.
 * - COBS (Cheshire and Baker, 1999) removes every 0x00 from the body, so
 *   0x00 is only ever a delimiter and the decoder resynchronises at the
 *   next one after any noise. Frames are sent with a leading and a
 *   trailing delimiter: noise on an idle line ends up in an empty or
 *   failed frame of its own, never glued to the front of a good one.
 *
 * The CRC is against noise only. Authenticity comes from the record and
 * handshake layers above.
 */
#ifndef SERGUARD_FRAME_H
#define SERGUARD_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "serguard/sg.h"

#define SG_FRAME_DEFAULT_MAX_PAYLOAD 255u
#define SG_FRAME_ADDR_MIN 1u
#define SG_FRAME_ADDR_MAX 254u

/* ctrl byte */
#define SG_FRAME_FROM_GATEWAY 0x00u
#define SG_FRAME_FROM_DEVICE 0x80u
#define SG_FRAME_DIR_MASK 0x80u
#define SG_FRAME_RESERVED_MASK 0x70u
#define SG_FRAME_KIND_MASK 0x0Fu

/* Frame kinds (ctrl bits 3..0). The wire numbers live here, in one place. */
enum sg_frame_kind {
	SG_FRAME_POLL = 0,	/* RS485 poll / "nothing to send"; empty payload */
	SG_FRAME_HANDSHAKE = 1, /* a fragment of an EDHOC message */
	SG_FRAME_RECORD = 2	/* a protected record */
};

/* Bytes of a frame besides its payload, before COBS: addr, ctrl, crc. */
#define SG_FRAME_OVERHEAD 4u
/* Buffer a decoder needs for a given maximum payload. */
#define SG_FRAME_DECODE_BUF_LEN(max_payload) ((max_payload) + SG_FRAME_OVERHEAD)
/* Worst-case bytes on the wire for one frame with n bytes of payload:
 * two delimiters, the COBS body and one COBS code byte per 254 bytes. */
#define SG_FRAME_ENCODED_MAX(n)                                                \
	(2u + ((n) + SG_FRAME_OVERHEAD) + ((n) + SG_FRAME_OVERHEAD) / 254u + 1u)

/* ---- building blocks ---------------------------------------------------- */

/* CRC-16/IBM-SDLC of len bytes (the value that goes on the wire). */
uint16_t sg_crc16(const void *data, size_t len);
/* The same in pieces: start with SG_CRC16_INIT, feed with
 * sg_crc16_update(), and XOR the result with 0xFFFF at the end. */
#define SG_CRC16_INIT 0xFFFFu
uint16_t sg_crc16_update(uint16_t crc, const void *data, size_t len);

/*
 * COBS-encode len bytes of in into out (cap bytes). Writes *out_len (no
 * delimiter is added). Fails with SG_ENOSPC if out is too small; out and
 * in must not overlap.
 */
int sg_cobs_encode(const void *in, size_t len, unsigned char *out, size_t cap,
		   size_t *out_len);
/*
 * Decode one COBS block sequence (without its delimiter). Fails with
 * SG_EFRAME on a zero byte or a code that runs past the end, SG_ENOSPC if
 * out is too small. out may equal in.
 */
int sg_cobs_decode(const void *in, size_t len, unsigned char *out, size_t cap,
		   size_t *out_len);

/* ---- encoder ------------------------------------------------------------ */

/*
 * Encode one frame into out (cap bytes; SG_FRAME_ENCODED_MAX(len) is
 * always enough). ctrl is the direction bit ORed with the kind. Writes
 * *out_len. Errors: SG_EINVAL (address out of range, reserved ctrl bits),
 * SG_ENOSPC.
 */
int sg_frame_encode(unsigned char *out, size_t cap, size_t *out_len,
		    uint8_t addr, uint8_t ctrl, const void *payload,
		    size_t len);

/* ---- streaming decoder -------------------------------------------------- */

/* Why frames were dropped. Every dropped frame counts once, under the
 * first check it failed, in this order. */
struct sg_frame_stats {
	uint32_t frames;      /* good frames delivered */
	uint32_t too_long;    /* decoded body larger than max payload + 4 */
	uint32_t bad_cobs;    /* COBS code pointing past the delimiter */
	uint32_t too_short;   /* body shorter than addr + ctrl + crc */
	uint32_t bad_crc;     /* CRC mismatch */
	uint32_t bad_ctrl;    /* reserved ctrl bits set */
	uint32_t wrong_dir;   /* direction bit not the one this side receives */
	uint32_t wrong_addr;  /* address 0/255, or not ours when filtering */
	uint32_t aborted;     /* partial frame dropped by sg_frame_decoder_abort */
	uint32_t noise_bytes; /* bytes that belonged to dropped frames */
};

struct sg_frame_decoder {
	unsigned char *buf; /* caller's; SG_FRAME_DECODE_BUF_LEN(max) bytes */
	size_t cap;
	size_t len;
	size_t raw;		/* raw bytes of the current frame so far */
	uint8_t code;		/* current COBS block code */
	uint8_t left;		/* data bytes left in the block */
	bool overflow;		/* current frame is being discarded: too long */
	uint8_t rx_dir;		/* SG_FRAME_FROM_GATEWAY or SG_FRAME_FROM_DEVICE */
	uint8_t addr_filter;	/* 0: any address 1..254 */
	struct sg_frame_stats stats;
};

/* A decoded frame. payload points into the decoder's buffer and stays
 * valid until the next call on that decoder. */
struct sg_frame {
	uint8_t addr;
	uint8_t kind;
	const unsigned char *payload;
	size_t len;
};

/*
 * Set up a decoder. buf (buf_len bytes) must hold
 * SG_FRAME_DECODE_BUF_LEN(max_payload). rx_dir is the direction this side
 * receives (a gateway receives SG_FRAME_FROM_DEVICE). addr_filter 0
 * accepts every valid address (gateway); a device passes its own address.
 */
int sg_frame_decoder_init(struct sg_frame_decoder *d, unsigned char *buf,
			  size_t buf_len, size_t max_payload, uint8_t rx_dir,
			  uint8_t addr_filter);

/*
 * Feed up to len bytes. Stops right after the delimiter that completes a
 * good frame, fills *f and returns 1; returns 0 when all input was taken
 * without completing one. *consumed says how many bytes were taken; call
 * again with the rest. Never fails: bad frames are dropped and counted.
 */
int sg_frame_decoder_push(struct sg_frame_decoder *d, const unsigned char *in,
			  size_t len, size_t *consumed, struct sg_frame *f);

/* True while bytes of an unfinished frame are buffered. */
bool sg_frame_decoder_busy(const struct sg_frame_decoder *d);

/* Drop a partial frame (inter-byte timeout: a stalled or trickled frame
 * must not hold the buffer). Counted in stats.aborted if one was there. */
void sg_frame_decoder_abort(struct sg_frame_decoder *d);

#endif
