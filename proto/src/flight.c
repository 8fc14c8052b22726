/*
 * Handshake transport: EDHOC messages in fragments over HANDSHAKE frames
 * (format in serguard/flight.h and doc/PROTOCOL.md).
 *
 * Implementation notes:
 * - Reassembly is strictly in order and into one caller buffer, so a
 *   fragment can never overlap, overrun or leave a hole: it is taken
 *   only when its offset is exactly the number of bytes held. A repeat
 *   of bytes already held is a retransmission and ignored; a fragment
 *   past the next expected offset means one was lost and is ignored
 *   until the sender's retransmission fills the gap (attacks.md J3).
 * - Content of a repeated fragment is not compared: an attacker who
 *   alters it gains nothing, because the whole message is authenticated
 *   by EDHOC's transcript, MAC and signature.
 * - A first fragment (offset 0) always starts the message again, also
 *   for the (type, xid) being assembled: the sender's retransmission of
 *   a flight begins with it. Otherwise a forged first fragment that
 *   arrived ahead of the real one (the xid is cleartext) would make the
 *   real first fragment a "repeat" and every later one a "gap", and
 *   no retransmission could ever complete the message (attacks.md J3).
 */
#include <string.h>

#include "serguard/flight.h"

int sg_flight_hdr_decode(const unsigned char *payload, size_t len,
			 struct sg_flight_hdr *h, const unsigned char **data,
			 size_t *data_len)
{
	size_t n;

	if (payload == NULL || h == NULL || data == NULL || data_len == NULL)
		return SG_EINVAL;
	if (len < SG_FLIGHT_HDR_LEN)
		return SG_EFRAME;
	h->type = (uint8_t)(payload[0] >> 5);
	h->last = (payload[0] & 0x10u) != 0;
	h->offset = (uint16_t)(((payload[0] & 0x0Fu) << 8) | payload[1]);
	h->xid = payload[2];
	n = len - SG_FLIGHT_HDR_LEN;
	if (h->type == 0)
		return SG_EFRAME;
	if ((h->type == SG_FLIGHT_REQUEST || h->type == SG_FLIGHT_BUSY) &&
	    (n != 0 || !h->last || h->offset != 0))
		return SG_EFRAME;
	if ((size_t)h->offset + n > SG_FLIGHT_MAX_MSG)
		return SG_EFRAME;
	*data = payload + SG_FLIGHT_HDR_LEN;
	*data_len = n;
	return 0;
}

int sg_flight_tx_init(struct sg_flight_tx *t, uint8_t type, uint8_t xid,
		      const unsigned char *msg, size_t len, size_t max_payload)
{
	if (t == NULL || type == 0 || type > SG_FLIGHT_BUSY ||
	    (msg == NULL && len > 0) || len > SG_FLIGHT_MAX_MSG ||
	    max_payload <= SG_FLIGHT_HDR_LEN)
		return SG_EINVAL;
	if ((type == SG_FLIGHT_REQUEST || type == SG_FLIGHT_BUSY) && len != 0)
		return SG_EINVAL;
	t->msg = msg;
	t->len = len;
	t->next = 0;
	t->frag_max = max_payload - SG_FLIGHT_HDR_LEN;
	t->type = type;
	t->xid = xid;
	t->done = false;
	return 0;
}

int sg_flight_tx_next(struct sg_flight_tx *t, unsigned char *out, size_t cap,
		      size_t *out_len)
{
	size_t n;
	bool last;

	if (t == NULL || out == NULL || out_len == NULL || t->done)
		return 0;
	n = t->len - t->next;
	if (n > t->frag_max)
		n = t->frag_max;
	if (cap < SG_FLIGHT_HDR_LEN + n)
		return 0;
	last = t->next + n == t->len;
	out[0] = (unsigned char)(((unsigned)t->type << 5) | (last ? 0x10u : 0u) |
				 ((t->next >> 8) & 0x0Fu));
	out[1] = (unsigned char)(t->next & 0xFFu);
	out[2] = t->xid;
	if (n > 0)
		memcpy(out + SG_FLIGHT_HDR_LEN, t->msg + t->next, n);
	*out_len = SG_FLIGHT_HDR_LEN + n;
	t->next += n;
	t->done = last;
	return 1;
}

void sg_flight_tx_rewind(struct sg_flight_tx *t)
{
	if (t == NULL)
		return;
	t->next = 0;
	t->done = false;
}

size_t sg_flight_tx_count(const struct sg_flight_tx *t)
{
	if (t == NULL || t->frag_max == 0)
		return 0;
	return t->len == 0 ? 1 : (t->len + t->frag_max - 1) / t->frag_max;
}

int sg_flight_rx_init(struct sg_flight_rx *r, unsigned char *buf, size_t cap)
{
	if (r == NULL || (buf == NULL && cap > 0))
		return SG_EINVAL;
	memset(r, 0, sizeof(*r));
	r->buf = buf;
	r->cap = cap;
	return 0;
}

void sg_flight_rx_reset(struct sg_flight_rx *r)
{
	if (r == NULL)
		return;
	r->len = 0;
	r->type = 0;
	r->xid = 0;
	r->active = false;
	r->complete = false;
}

int sg_flight_rx_push(struct sg_flight_rx *r, const struct sg_flight_hdr *h,
		      const unsigned char *data, size_t data_len)
{
	if (r == NULL || h == NULL || (data == NULL && data_len > 0))
		return 0;
	if (!r->active || r->complete || r->type != h->type || r->xid != h->xid) {
		/* Only the first fragment of a message can start one. */
		if (h->offset != 0) {
			r->foreign_frags++;
			return 0;
		}
	} else if (h->offset == 0 && r->len > 0) {
		r->dup_frags++; /* counted as a repeat, and starts over */
	}
	if (h->offset == 0) {
		sg_flight_rx_reset(r);
		r->active = true;
		r->type = h->type;
		r->xid = h->xid;
	}
	if (h->offset < r->len) {
		r->dup_frags++;
		return 0;
	}
	if (h->offset > r->len) {
		r->gap_frags++;
		return 0;
	}
	if (data_len > r->cap - r->len) {
		r->oversize++;
		sg_flight_rx_reset(r);
		return 0;
	}
	if (data_len > 0)
		memcpy(r->buf + r->len, data, data_len);
	r->len += data_len;
	if (h->last) {
		r->complete = true;
		return 1;
	}
	return 0;
}
