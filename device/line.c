/*
 * serguard-device: line-rate emulation (see line.h).
 *
 * Notes:
 * - A byte's time is counted at its end (the stop bit): a UART raises
 *   its receive interrupt then, and a transmitter's byte is "on the
 *   other side" then. So with pacing, byte i of a burst read at t is due
 *   at t + (i + 1) * byte_ns.
 * - The receive side stamps each byte when it is read. A pty delivers a
 *   whole frame at once, so a frame of n bytes becomes n byte times of
 *   trickle, which is the point. If the ring is full the driver stops
 *   reading; bytes wait in the kernel and are stamped later, which only
 *   ever makes the emulated line slower, never faster.
 * - Loss draws one number per frame from splitmix64, so a given seed
 *   drops the same frames in every run with the same traffic.
 */
#include "line.h"

#include <string.h>

static uint64_t next_rand(struct line *l)
{
	uint64_t z = (l->rng += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static bool draw_loss(struct line *l, uint32_t ppm)
{
	if (ppm == 0)
		return false;
	return next_rand(l) % 1000000u < ppm;
}

uint64_t line_byte_ns(unsigned baud)
{
	return baud == 0 ? 0 : (10ull * 1000000000ull + baud / 2) / baud;
}

void line_init(struct line *l, unsigned baud, uint32_t loss_out_ppm,
	       uint32_t loss_in_ppm, uint64_t seed)
{
	memset(l, 0, sizeof(*l));
	l->byte_ns = line_byte_ns(baud);
	l->loss_out_ppm = loss_out_ppm > 1000000u ? 1000000u : loss_out_ppm;
	l->loss_in_ppm = loss_in_ppm > 1000000u ? 1000000u : loss_in_ppm;
	l->rng = seed;
}

void line_reset(struct line *l)
{
	l->rx_head = l->rx_len = 0;
	l->rx_in_frame = l->rx_dropping = false;
	l->tx_off = l->tx_len = 0;
}

size_t line_rx_room(const struct line *l)
{
	return LINE_RX_CAP - l->rx_len;
}

void line_rx_put(struct line *l, const unsigned char *b, size_t n, uint64_t now_ns)
{
	size_t i;

	l->stats.rx_bytes += n;
	for (i = 0; i < n && l->rx_len < LINE_RX_CAP; i++) {
		size_t at;

		/* the byte's line time passes whether it is lost or not */
		if (l->rx_clock < now_ns)
			l->rx_clock = now_ns;
		l->rx_clock += l->byte_ns;
		if (b[i] == 0) {
			/* delimiters always pass: decoders resynchronise */
			l->rx_in_frame = false;
		} else {
			if (!l->rx_in_frame) {
				l->rx_in_frame = true;
				l->stats.frames_in++;
				l->rx_dropping = draw_loss(l, l->loss_in_ppm);
				if (l->rx_dropping)
					l->stats.frames_lost_in++;
			}
			if (l->rx_dropping)
				continue;
		}
		at = (l->rx_head + l->rx_len) % LINE_RX_CAP;
		l->rx_buf[at] = b[i];
		l->rx_due[at] = l->rx_clock;
		l->rx_len++;
	}
}

int line_rx_take(struct line *l, uint64_t now_ns, unsigned char *b)
{
	if (l->rx_len == 0 || l->rx_due[l->rx_head] > now_ns)
		return 0;
	*b = l->rx_buf[l->rx_head];
	l->rx_head = (l->rx_head + 1) % LINE_RX_CAP;
	l->rx_len--;
	return 1;
}

uint64_t line_rx_next(const struct line *l)
{
	return l->rx_len == 0 ? LINE_NEVER : l->rx_due[l->rx_head];
}

bool line_tx_idle(const struct line *l)
{
	return l->tx_off >= l->tx_len;
}

int line_tx_frame(struct line *l, const unsigned char *f, size_t n, uint64_t now_ns)
{
	if (n > LINE_TX_CAP)
		n = LINE_TX_CAP;
	l->stats.frames_out++;
	if (l->tx_clock < now_ns)
		l->tx_clock = now_ns; /* the line was idle until now */
	if (draw_loss(l, l->loss_out_ppm)) {
		/* sent into noise: the line is busy for its time all the same */
		l->stats.frames_lost_out++;
		l->tx_clock += (uint64_t)n * l->byte_ns;
		return 0;
	}
	memcpy(l->tx_buf, f, n);
	l->tx_off = 0;
	l->tx_len = n;
	return 1;
}

size_t line_tx_ready(const struct line *l, uint64_t now_ns, const unsigned char **p)
{
	size_t left = l->tx_len - l->tx_off;
	uint64_t k;

	*p = l->tx_buf + l->tx_off;
	if (left == 0 || l->byte_ns == 0)
		return left;
	if (now_ns < l->tx_clock + l->byte_ns)
		return 0;
	k = (now_ns - l->tx_clock) / l->byte_ns;
	return k < left ? (size_t)k : left;
}

void line_tx_done(struct line *l, size_t n)
{
	if (n > l->tx_len - l->tx_off)
		n = l->tx_len - l->tx_off;
	l->tx_off += n;
	l->tx_clock += (uint64_t)n * l->byte_ns;
	l->stats.tx_bytes += n;
	if (l->tx_off == l->tx_len)
		l->tx_off = l->tx_len = 0;
}

uint64_t line_tx_next(const struct line *l)
{
	if (l->tx_off >= l->tx_len)
		return LINE_NEVER;
	return l->byte_ns == 0 ? 0 : l->tx_clock + l->byte_ns;
}
