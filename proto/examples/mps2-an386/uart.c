/*
 * CMSDK APB UART driver (see uart.h).
 *
 * Implementation notes:
 * - Registers (ARM DDI 0479C, 4.3): DATA 0x00, STATE 0x04 (bit 0 TX
 *   full, bit 1 RX full), CTRL 0x08 (bit 0 TX enable, bit 1 RX enable,
 *   bit 3 RX interrupt enable), INTSTATUS/INTCLEAR 0x0C (bit 1 RX, write
 *   1 to clear), BAUDDIV 0x10 (PCLK / baud, at least 16).
 * - The transmitter holds one byte; uart_write() feeds it while STATE
 *   says it is not full. Real hardware with a FIFO takes more per call;
 *   the engine does not care how many bytes each call takes.
 * - The ring is single-producer (the interrupt advances head),
 *   single-consumer (the main loop advances tail); each index is written
 *   by one side only, and head is published after the byte is stored,
 *   so no lock is needed on a single core.
 */
#include "uart.h"

#include "board.h"

#define UART_DATA(u) REG32((u)->base + 0x00u)
#define UART_STATE(u) REG32((u)->base + 0x04u)
#define UART_CTRL(u) REG32((u)->base + 0x08u)
#define UART_INT(u) REG32((u)->base + 0x0Cu)
#define UART_BAUDDIV(u) REG32((u)->base + 0x10u)

#define STATE_TXFULL 0x1u
#define STATE_RXFULL 0x2u
#define CTRL_TX_EN 0x1u
#define CTRL_RX_EN 0x2u
#define CTRL_RX_INTEN 0x8u
#define INT_RX 0x2u

void uart_init(struct uart *u, uint32_t base, uint32_t baud, int rx_irq)
{
	u->base = base;
	u->head = u->tail = 0;
	u->dropped = 0;
	UART_BAUDDIV(u) = BOARD_CPU_HZ / baud;
	if (rx_irq >= 0) {
		UART_CTRL(u) = CTRL_TX_EN | CTRL_RX_EN | CTRL_RX_INTEN;
		NVIC_ISER0 = 1u << (unsigned)rx_irq;
	} else {
		UART_CTRL(u) = CTRL_TX_EN;
	}
}

void uart_rx_isr(struct uart *u)
{
	while (UART_STATE(u) & STATE_RXFULL) {
		unsigned char c = (unsigned char)UART_DATA(u);
		uint32_t h = u->head;

		if (h - u->tail < UART_RING) {
			u->ring[h % UART_RING] = c;
			u->head = h + 1;
		} else {
			u->dropped++;
		}
	}
	UART_INT(u) = INT_RX;
}

int uart_readable(const struct uart *u)
{
	return u->head != u->tail;
}

size_t uart_read(struct uart *u, unsigned char *buf, size_t cap)
{
	uint32_t h = u->head; /* bytes up to h are complete */
	size_t n = 0;

	while (u->tail != h && n < cap) {
		buf[n++] = u->ring[u->tail % UART_RING];
		u->tail++;
	}
	return n;
}

size_t uart_write(struct uart *u, const unsigned char *p, size_t len)
{
	size_t n = 0;

	while (n < len && !(UART_STATE(u) & STATE_TXFULL))
		UART_DATA(u) = p[n++];
	return n;
}

void uart_puts(struct uart *u, const char *s)
{
	while (*s != '\0') {
		while (UART_STATE(u) & STATE_TXFULL) {
		}
		UART_DATA(u) = (unsigned char)*s++;
	}
}
