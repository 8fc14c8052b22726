/*
 * UART driver for the CMSDK APB UART (8N1, no flow control).
 *
 * Receive: the RX interrupt moves each byte into a ring buffer; the main
 * loop takes them with uart_read(). A byte arriving when the ring is full
 * is dropped and counted: the protocol's framing and retransmission
 * recover (a lost byte only costs the frame it was in).
 * Transmit: uart_write() puts as many bytes into the transmitter as it
 * takes right now and returns that number without waiting; the caller
 * keeps the rest (sg_conn_wire_peek/ack does exactly that).
 */
#ifndef FW_UART_H
#define FW_UART_H

#include <stddef.h>
#include <stdint.h>

/* Ring size: a power of two, larger than what arrives between two turns
 * of the main loop. The longest turn is a handshake step (~1.7 s of P-256
 * at 64 MHz on a Cortex-M4), but the engine answers BUSY before it and
 * the peer sends nothing meanwhile (doc/PROTOCOL.md 5.2); 512 bytes hold
 * two full frames. */
#define UART_RING 512u

struct uart {
	uint32_t base;
	volatile unsigned char ring[UART_RING];
	volatile uint32_t head; /* written by the interrupt */
	uint32_t tail;		/* written by the main loop */
	volatile uint32_t dropped;
};

/* Set up the UART at base for baud (8N1). rx_irq >= 0 enables reception
 * through that interrupt; -1 leaves the UART transmit-only. */
void uart_init(struct uart *u, uint32_t base, uint32_t baud, int rx_irq);
/* Bytes received so far, at most cap; returns how many. */
size_t uart_read(struct uart *u, unsigned char *buf, size_t cap);
/* Whether uart_read() has something. */
int uart_readable(const struct uart *u);
/* Start sending up to len bytes; returns how many were taken (0 when the
 * transmitter is busy). */
size_t uart_write(struct uart *u, const unsigned char *p, size_t len);
/* Send all of s, waiting for the transmitter (debug log only). */
void uart_puts(struct uart *u, const char *s);
/* The RX interrupt's work, called from the vector of the UART's RX IRQ. */
void uart_rx_isr(struct uart *u);

#endif
