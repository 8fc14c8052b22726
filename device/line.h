/*
 * serguard-device: line-rate emulation between the port and the engines.
 *
 * A pty moves bytes as fast as the kernel copies them; a real UART at
 * 9600 baud (8N1: 10 bits a byte) takes 1.04 ms a byte. struct line
 * sits between the fd and the device's engines and makes both
 * directions take the time the wire would:
 *
 * - receive: bytes read from the fd get a due time, one byte time after
 *   the previous byte's (or after they were read, if the line was idle);
 *   the emulated UART hands a byte to the engines only when it is due.
 * - transmit: a frame the engine gives is written to the fd byte by byte
 *   as each would finish leaving the UART, so the peer sees it arrive no
 *   faster than the line would carry it.
 * - loss: a whole frame is dropped at random (outgoing: not written;
 *   incoming: its bytes between two delimiters never reach the engines),
 *   still taking its line time. The generator is seeded: runs repeat.
 *
 * Pure bookkeeping on a caller-given clock (ns), no I/O: the driver loop
 * reads and writes the fd, this decides which bytes and when. baud 0
 * disables pacing (bytes go through as they come).
 */
#ifndef SG_DEVICE_LINE_H
#define SG_DEVICE_LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LINE_RX_CAP 8192u  /* bytes read but not yet due */
#define LINE_TX_CAP 4096u  /* one encoded frame at a time, with room */
#define LINE_NEVER UINT64_MAX

struct line_stats {
	uint64_t rx_bytes;	     /* bytes read from the fd */
	uint64_t tx_bytes;	     /* bytes written to the fd */
	uint32_t frames_out;	     /* frames handed to line_tx_frame() */
	uint32_t frames_lost_out;    /* of those, dropped (--loss) */
	uint32_t frames_in;	     /* frame bodies seen on receive */
	uint32_t frames_lost_in;     /* of those, dropped (--loss-in) */
};

struct line {
	uint64_t byte_ns;	     /* one byte's time on the wire; 0 = unpaced */
	uint32_t loss_out_ppm, loss_in_ppm;
	uint64_t rng;
	/* receive: a ring of bytes with their due times */
	unsigned char rx_buf[LINE_RX_CAP];
	uint64_t rx_due[LINE_RX_CAP];
	size_t rx_head, rx_len;
	uint64_t rx_clock;	     /* when the last received byte ended */
	bool rx_in_frame, rx_dropping;
	/* transmit: the frame being sent */
	unsigned char tx_buf[LINE_TX_CAP];
	size_t tx_off, tx_len;
	uint64_t tx_clock;	     /* when the last byte sent (or skipped) ended */
	struct line_stats stats;
};

/* baud 0 = unpaced; loss in parts per million of frames (0..1000000). */
void line_init(struct line *l, unsigned baud, uint32_t loss_out_ppm,
	       uint32_t loss_in_ppm, uint64_t seed);

/* Forget every byte in flight (a power cycle empties the UART). The
 * loss generator and the counters go on. */
void line_reset(struct line *l);

/* Receive: room for more bytes read from the fd. */
size_t line_rx_room(const struct line *l);
/* n bytes just read from the fd at now_ns (n <= line_rx_room()). */
void line_rx_put(struct line *l, const unsigned char *b, size_t n, uint64_t now_ns);
/* The next byte due by now_ns: returns 1 and sets *b, or 0. */
int line_rx_take(struct line *l, uint64_t now_ns, unsigned char *b);
/* When the next byte is due (LINE_NEVER when none is held). */
uint64_t line_rx_next(const struct line *l);

/* Transmit: true when no frame is being sent (the engine may give the
 * next one: it is sealed as late as possible, like firmware filling a
 * UART's DMA buffer only when the previous transfer is done). */
bool line_tx_idle(const struct line *l);
/* A frame to send (n <= LINE_TX_CAP), given at now_ns. Returns 1 when
 * it will be written, 0 when the loss draw dropped it. */
int line_tx_frame(struct line *l, const unsigned char *f, size_t n, uint64_t now_ns);
/* Bytes whose time has come at now_ns: sets *p, returns their count. */
size_t line_tx_ready(const struct line *l, uint64_t now_ns, const unsigned char **p);
/* n of those bytes were written to the fd. */
void line_tx_done(struct line *l, size_t n);
/* When the next byte becomes ready (LINE_NEVER when none is left). */
uint64_t line_tx_next(const struct line *l);

/* ns a byte takes at baud (8N1), 0 for baud 0. */
uint64_t line_byte_ns(unsigned baud);

#endif
