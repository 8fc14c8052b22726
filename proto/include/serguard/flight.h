/*
 * serguard protocol core: handshake transport (fragmentation and
 * reassembly of EDHOC messages over HANDSHAKE frames).
 *
 * Every HANDSHAKE frame payload starts with a 3-byte header:
 *
 *   byte 0: bits 7..5 type, bit 4 LAST, bits 3..0 offset bits 11..8
 *   byte 1: offset bits 7..0
 *   byte 2: xid, the exchange id
 *   then:   the bytes of the message from that offset
 *
 * type: 1..4 EDHOC message_1..message_4, 5 EDHOC error message,
 * 6 handshake request (a responder asks the initiator to start; empty),
 * 7 busy (the sender received a complete message and is computing its
 * answer; empty). 0 is reserved.
 *
 * xid is chosen at random by the initiator for each handshake attempt and
 * echoed in every fragment of that exchange, so fragments of an older or
 * a foreign exchange never mix into the current one. It is a transport
 * label only: everything that matters is authenticated by EDHOC itself.
 *
 * Reassembly is in order: a fragment is taken only at the next expected
 * offset; a lost fragment makes the rest of that flight wait for the
 * sender's retransmission of the whole flight (flights are one to three
 * frames, so selective repeat would cost more code than it saves). The
 * largest message is 4095 bytes (12-bit offsets).
 */
#ifndef SERGUARD_FLIGHT_H
#define SERGUARD_FLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "serguard/sg.h"

#define SG_FLIGHT_HDR_LEN 3u
#define SG_FLIGHT_MAX_MSG 4095u

enum sg_flight_type {
	SG_FLIGHT_MSG1 = 1,
	SG_FLIGHT_MSG2 = 2,
	SG_FLIGHT_MSG3 = 3,
	SG_FLIGHT_MSG4 = 4,
	SG_FLIGHT_ERROR = 5,
	SG_FLIGHT_REQUEST = 6,
	SG_FLIGHT_BUSY = 7
};

/* A fragment header, decoded. */
struct sg_flight_hdr {
	uint8_t type;
	bool last;
	uint16_t offset;
	uint8_t xid;
};

/*
 * Decode a fragment header from a HANDSHAKE frame payload. On success
 * data and data_len give the fragment's bytes (pointing into payload).
 * SG_EFRAME when the payload is shorter than the header, the type is 0,
 * an empty type (REQUEST, BUSY) carries data or is not LAST at offset 0,
 * or offset + length passes SG_FLIGHT_MAX_MSG.
 */
int sg_flight_hdr_decode(const unsigned char *payload, size_t len,
			 struct sg_flight_hdr *h, const unsigned char **data,
			 size_t *data_len);

/* ---- sending ------------------------------------------------------------ */

/* Cursor over one message being sent in fragments. msg is the caller's
 * and must stay unchanged while the flight is in use (a retransmission
 * resends the same bytes: EDHOC forbids regenerating them). */
struct sg_flight_tx {
	const unsigned char *msg;
	size_t len;
	size_t next;	  /* offset of the next fragment */
	size_t frag_max;  /* message bytes per fragment */
	uint8_t type, xid;
	bool done;
};

/*
 * Start sending msg (len bytes, at most SG_FLIGHT_MAX_MSG; 0 for
 * REQUEST/BUSY) as fragments of at most max_payload bytes each (the
 * link's frame payload limit, > SG_FLIGHT_HDR_LEN).
 */
int sg_flight_tx_init(struct sg_flight_tx *t, uint8_t type, uint8_t xid,
		      const unsigned char *msg, size_t len, size_t max_payload);
/*
 * Write the next fragment (header + data) into out (cap bytes) and set
 * *out_len. Returns 1 when a fragment was written, 0 when the flight is
 * complete (nothing written).
 */
int sg_flight_tx_next(struct sg_flight_tx *t, unsigned char *out, size_t cap,
		      size_t *out_len);
/* Start the same flight again from its first fragment. */
void sg_flight_tx_rewind(struct sg_flight_tx *t);
/* Number of fragments the whole flight takes. */
size_t sg_flight_tx_count(const struct sg_flight_tx *t);

/* ---- receiving ---------------------------------------------------------- */

struct sg_flight_rx {
	unsigned char *buf; /* caller's, cap bytes */
	size_t cap;
	size_t len;	    /* bytes reassembled so far */
	uint8_t type, xid;
	bool active, complete;
	uint32_t dup_frags, gap_frags, foreign_frags, oversize;
};

/* buf (cap bytes, at most SG_FLIGHT_MAX_MSG useful) receives messages. */
int sg_flight_rx_init(struct sg_flight_rx *r, unsigned char *buf, size_t cap);

/*
 * Offer a fragment whose header is h. Returns 1 when this fragment
 * completed the message (r->buf, r->len hold it, r->type/xid say which),
 * 0 when it was taken or ignored and more is needed. A first fragment
 * (offset 0) always starts the message anew, whatever was being
 * assembled; any other fragment of a different (type, xid) than the one
 * being assembled is ignored and counted. Never fails: anything
 * inconsistent is dropped and counted.
 */
int sg_flight_rx_push(struct sg_flight_rx *r, const struct sg_flight_hdr *h,
		      const unsigned char *data, size_t data_len);

/* Forget the message being assembled (after use, or on a timeout). */
void sg_flight_rx_reset(struct sg_flight_rx *r);

#endif
