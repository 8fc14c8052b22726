/*
 * UART driver for the CMSDK APB UART (8N1, no flow control).
 *
 * Receive: the RX interrupt moves each byte into a ring buffer; the main
 * loop takes them with uart_read(). A byte arriving when the ring is full
 * is dropped and counted: the protocol's framing and retransmission
 * recover (a lost byte only costs the frame it was in).
 * Transmit: uart_write() copies as many bytes as fit into a transmit
 * ring and returns that number without waiting; the TX interrupt feeds
 * the transmitter from the ring, so output keeps flowing while the main
 * loop computes a handshake step. The caller keeps what did not fit
 * (sg_conn_wire_peek/ack does exactly that).
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
	volatile uint32_t head; /* written by the RX interrupt */
	uint32_t tail;		/* written by the main loop */
	volatile uint32_t dropped;
	volatile unsigned char tx[UART_RING];
	uint32_t tx_head;	   /* written by the main loop */
	volatile uint32_t tx_tail; /* written by the TX interrupt (or the main
				      loop with interrupts off) */
};

/* Set up the UART at base for baud (8N1). rx_irq/tx_irq >= 0 enable
 * interrupt-driven reception/transmission through those interrupts; -1
 * leaves reception off, or transmission polled (uart_puts only). */
void uart_init(struct uart *u, uint32_t base, uint32_t baud, int rx_irq, int tx_irq);
/* Bytes received so far, at most cap; returns how many. */
size_t uart_read(struct uart *u, unsigned char *buf, size_t cap);
/* Whether uart_read() has something. */
int uart_readable(const struct uart *u);
/* Queue up to len bytes for sending; returns how many were taken (0 when
 * the transmit ring is full). Needs interrupt-driven transmission. */
size_t uart_write(struct uart *u, const unsigned char *p, size_t len);
/* Whether uart_write() would take a byte now. */
int uart_writable(const struct uart *u);
/* Send all of s, waiting for the transmitter (debug log only). */
void uart_puts(struct uart *u, const char *s);
/* The interrupts' work, called from the vectors of the UART's RX and TX
 * interrupts. */
void uart_rx_isr(struct uart *u);
void uart_tx_isr(struct uart *u);

#endif
