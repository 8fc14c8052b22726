/*
 * CMSDK APB UART driver (see uart.h).
 *
 * Implementation notes:
 * - Registers (ARM DDI 0479C, 4.3): DATA 0x00, STATE 0x04 (bit 0 TX
 *   full, bit 1 RX full), CTRL 0x08 (bit 0 TX enable, bit 1 RX enable,
 *   bit 3 RX interrupt enable), INTSTATUS/INTCLEAR 0x0C (bit 1 RX, write
 *   1 to clear), BAUDDIV 0x10 (PCLK / baud, at least 16).
 * - The transmitter holds one byte. tx_pump() moves bytes from the
 *   transmit ring into it while STATE says it is not full; the TX
 *   interrupt (raised when the held byte has gone) calls it again, and
 *   uart_write() calls it with interrupts off to start an idle
 *   transmitter. Real hardware with a FIFO takes more bytes per pump.
 * - The rings are single-producer, single-consumer: each index is written
 *   by one side only and published after the byte is stored, so no lock
 *   is needed on a single core (tx_tail is moved by the interrupt or by
 *   the main loop with interrupts off, never both at once).
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
#define CTRL_TX_INTEN 0x4u
#define CTRL_RX_INTEN 0x8u
#define INT_TX 0x1u
#define INT_RX 0x2u

void uart_init(struct uart *u, uint32_t base, uint32_t baud, int rx_irq, int tx_irq)
{
	uint32_t ctrl = CTRL_TX_EN;

	u->base = base;
	u->head = u->tail = 0;
	u->tx_head = u->tx_tail = 0;
	u->dropped = 0;
	UART_BAUDDIV(u) = BOARD_CPU_HZ / baud;
	if (rx_irq >= 0) {
		ctrl |= CTRL_RX_EN | CTRL_RX_INTEN;
		NVIC_ISER0 = 1u << (unsigned)rx_irq;
	}
	if (tx_irq >= 0) {
		ctrl |= CTRL_TX_INTEN;
		NVIC_ISER0 = 1u << (unsigned)tx_irq;
	}
	UART_CTRL(u) = ctrl;
}

/* Feed the transmitter from the ring while it takes bytes. Interrupts
 * off, or from the TX interrupt. */
static void tx_pump(struct uart *u)
{
	uint32_t t = u->tx_tail;

	while (t != u->tx_head && !(UART_STATE(u) & STATE_TXFULL)) {
		UART_DATA(u) = u->tx[t % UART_RING];
		t++;
	}
	u->tx_tail = t;
}

void uart_tx_isr(struct uart *u)
{
	UART_INT(u) = INT_TX; /* first, as in uart_rx_isr() */
	tx_pump(u);
}

int uart_writable(const struct uart *u)
{
	return u->tx_head - u->tx_tail < UART_RING;
}

void uart_rx_isr(struct uart *u)
{
	/* Clear first, then drain: a byte that lands after the last read
	 * raises the interrupt again. Clearing after the loop could wipe
	 * the request of such a byte, and reception would stop for good. */
	UART_INT(u) = INT_RX;
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

	while (n < len && u->tx_head - u->tx_tail < UART_RING) {
		u->tx[u->tx_head % UART_RING] = p[n++];
		u->tx_head++;
	}
	irq_disable();
	tx_pump(u); /* start an idle transmitter */
	irq_enable();
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
