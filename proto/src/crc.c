/*
 * CRC-16/IBM-SDLC, also known as CRC-16/X-25: the HDLC and PPP frame check
 * sequence (RFC 1662). Poly 0x1021 reflected (0x8408), init 0xFFFF,
 * reflected in and out, final XOR 0xFFFF. Check value over "123456789"
 * is 0x906E; sent low byte first.
 *
 * Why this variant: the final XOR matters. With a CRC that has neither a
 * final XOR nor a non-zero residue (CRC-16/CCITT-FALSE, IBM-3740), a frame
 * with a zero byte appended still checks good, and with COBS a single flip
 * of the trailing delimiter (0x00 -> 0x01) appends exactly such a zero: a
 * one-bit error would pass. The framing tests flip every bit to prove it
 * cannot happen here. Its Hamming distance is 4 for frames up to 32751
 * bits, so every 1-, 2- and 3-bit error in a frame of our size is caught.
 *
 * Bitwise, no table: frames are at most a few hundred bytes and a table
 * costs more flash on a small MCU than the cycles it saves at serial line
 * rates.
 */
#include "serguard/frame.h"

uint16_t sg_crc16_update(uint16_t crc, const void *data, size_t len)
{
	const unsigned char *p = data;
	unsigned int c = crc;
	int i;

	while (len-- > 0) {
		c ^= *p++;
		for (i = 0; i < 8; i++)
			c = (c & 1u) ? (c >> 1) ^ 0x8408u : c >> 1;
	}
	return (uint16_t)c;
}

uint16_t sg_crc16(const void *data, size_t len)
{
	return (uint16_t)(sg_crc16_update(SG_CRC16_INIT, data, len) ^ 0xFFFFu);
}
