/*
 * serguard reference firmware for a field device: the session engine on
 * a bare-metal Cortex-M4 (QEMU mps2-an386), serving an echo application.
 *
 * The engine (proto/include/serguard/conn.h) is driven exactly as its
 * header describes:
 *   UART RX interrupt -> ring buffer; ring buffer -> UART TX interrupt (uart.c)
 *   main loop: bytes from the ring -> sg_conn_wire_push()
 *              deadline passed     -> sg_conn_tick()
 *              sg_conn_recv()      -> the application -> sg_conn_send()
 *              sg_conn_wire_peek() -> UART -> sg_conn_wire_ack(bytes taken)
 *              SG_CONN_WANT_WORK   -> sg_conn_work(), after the answer
 *                                     (BUSY) is on its way
 *              nothing to do       -> sleep until the next interrupt
 *   time:      milliseconds from a free-running timer (clock.c) as now_ms on
 *              every call; SysTick wakes the loop every millisecond
 *   wall clock: sg_conn_set_time() for certificate validity (below)
 *   randomness: rng.c (HMAC_DRBG; a real device feeds it its TRNG)
 *
 * The application: every message received is sent back unchanged.
 *
 * Build-time settings (-D):
 *   FW_BUS=1      an RS485 multidrop bus: answer each frame addressed to
 *                 this device, the gateway initiates (default 0: an RS232
 *                 point-to-point line)
 *   FW_START      for RS232: SG_CONN_START_GATEWAY (default; the device
 *                 asks, the gateway initiates), SG_CONN_START_EITHER (the
 *                 gateway's "role = auto") or SG_CONN_START_DEVICE
 *   FW_ADDR       bus address, 1..254 (default 1)
 *   FW_BAUD       line speed (default 115200)
 *   FW_MAX_RECORD_AGE_MS  records older than this are refused (the
 *                 freshness check, doc/PROTOCOL.md 3.8; default 5000 like
 *                 the gateway's max_record_age_ms; 0 turns it off, and
 *                 then it must be off on the gateway too)
 *   FW_BUILD_UNIX the build's Unix time: the wall-clock floor (below)
 *
 * Memory, all static (doc/MCU.md has the measured figures): the engine
 * struct, its buffers, the mbedTLS arena and the stack.
 */
#include <stdint.h>
#include <string.h>

#include <mbedtls/memory_buffer_alloc.h>

#include "serguard/cert.h"
#include "serguard/conn.h"

#include "board.h"
#include "clock.h"
#include "rng.h"
#include "uart.h"

#ifndef FW_BUS
#define FW_BUS 0
#endif
#ifndef FW_START
#define FW_START SG_CONN_START_GATEWAY
#endif
#ifndef FW_ADDR
#define FW_ADDR 1
#endif
#ifndef FW_BAUD
#define FW_BAUD 115200u
#endif
#ifndef FW_MAX_RECORD_AGE_MS
#define FW_MAX_RECORD_AGE_MS 5000u
#endif
#ifndef FW_BUILD_UNIX
#error "FW_BUILD_UNIX: the build time (date +%s), the floor of the device's clock"
#endif

/* Credentials (credentials.S) */
extern const unsigned char fw_ca_crt[], fw_dev_crt[], fw_dev_key[];
extern const uint32_t fw_ca_crt_len, fw_dev_crt_len, fw_dev_key_len;

/* ---- sizes ---------------------------------------------------------------- */
/* Frame payload: the default 255 (the gateway's max_frame must match). */
#define MAX_PAYLOAD SG_FRAME_DEFAULT_MAX_PAYLOAD
/* The largest certificates: the gateway's, received by value (x5chain),
 * and our own, sent that way. */
#define PEER_CERT_MAX 600
#define OWN_CERT_MAX 600
/* Application messages: the longest one frame carries (sg_conn_max_message
 * for this payload, an 8-byte tag and the timestamp), this many queued
 * each way. */
#define APP_MSG_MAX (MAX_PAYLOAD - SG_RECORD_OVERHEAD(8, FW_MAX_RECORD_AGE_MS != 0))
#define APP_QUEUE_LEN 4
/* mbedTLS heap: the handshake needs ~5.4 KiB with the test PKI (payload
 * plus the allocator's 32-byte block headers; doc/MCU.md), the trust
 * store and the DRBG stay allocated. */
#define HEAP_BYTES 8192

static unsigned char frame_rx[SG_FRAME_DECODE_BUF_LEN(MAX_PAYLOAD)];
static unsigned char wire_tx[SG_FRAME_ENCODED_MAX(MAX_PAYLOAD)];
static unsigned char scratch[MAX_PAYLOAD];
static unsigned char hs_rx[SG_EDHOC_MSG2_MAX(PEER_CERT_MAX, 0)];
static unsigned char hs_tx[SG_EDHOC_MSG2_MAX(OWN_CERT_MAX, 0)];
static unsigned char app_rx[SG_MSGQ_BUF_LEN(APP_QUEUE_LEN, APP_MSG_MAX)];
static unsigned char app_tx[SG_MSGQ_BUF_LEN(APP_QUEUE_LEN, APP_MSG_MAX)];
static unsigned char heap[HEAP_BYTES];

static struct sg_conn conn;
static struct sg_cert_store store;
static struct uart line; /* UART0: the serial line to the gateway */
static struct uart dbg;	 /* UART1: a debug log, transmit only */

/* ---- hooks -------------------------------------------------------------- */

void UART0RX_Handler(void)
{
	uart_rx_isr(&line);
}

void UART0TX_Handler(void)
{
	uart_tx_isr(&line);
}

/* A fault: report where on the debug UART and stop (a product would
 * store this for its next boot, and reset). */
void HardFault_Handler(void)
{
	static const char hex[] = "0123456789abcdef";
	const uint32_t *frame;
	char pc[] = "hard fault, pc 00000000\r\n";
	uint32_t v;
	int i;

	__asm volatile("mrs %0, msp" : "=r"(frame));
	v = frame[6];
	for (i = 0; i < 8; i++)
		pc[15 + i] = hex[(v >> (28 - 4 * i)) & 0xFu];
	uart_puts(&dbg, pc);
	for (;;) {
	}
}

/* mbedTLS's buffer allocator found its arena corrupted: a memory-safety
 * bug. Stop; a product resets here (and logs why). */
void sg_mcu_fatal(int code)
{
	(void)code;
	uart_puts(&dbg, "fatal: heap corrupted\r\n");
	for (;;) {
	}
}

/*
 * Identity policy: which gateway this device talks to. Called after the
 * gateway's certificate validated against the CA (chain, validity, key
 * usage, serverAuth) and before its signature is checked. A plant with
 * one gateway names it; here its CN.
 */
static int check_gateway(void *ctx, const struct sg_peer_cert *peer)
{
	(void)ctx;
	if (peer->id.truncated || strcmp(peer->id.subject_cn, "gateway") != 0)
		return SG_EIDENTITY;
	return 0;
}

/*
 * Wall-clock time for certificate validity. This board has no real-time
 * clock, so the device's idea of the date is the firmware's build time
 * plus its uptime: never earlier than the truth (a certificate that
 * expired before the build is refused), but a certificate that expires
 * after the build is accepted until the next firmware. A device with an
 * RTC (battery-backed, or set by the gateway's application) pushes that
 * time instead; one that knows nothing sets SG_TIME_UNKNOWN and chooses
 * cert_policy.notime explicitly.
 */
static int64_t wall_clock(uint64_t now_ms)
{
	return (int64_t)FW_BUILD_UNIX + (int64_t)(now_ms / 1000u);
}

/* ---- the application ---------------------------------------------------- */

static void log_line(const char *a, const char *b)
{
	uart_puts(&dbg, a);
	uart_puts(&dbg, b);
	uart_puts(&dbg, "\r\n");
}

/* A message from the gateway: echo it. A full queue drops the echo (the
 * application's choice; a real one might retry). */
static void app_receive(const unsigned char *msg, size_t len, uint64_t now)
{
	(void)sg_conn_send(&conn, msg, len, now);
}


/* ---- set-up ----------------------------------------------------------- */

static int engine_setup(uint64_t now)
{
	struct sg_conn_config cfg;
	struct sg_conn_buffers b;
	int rc;

	if (sg_cert_store_init(&store) != 0 ||
	    sg_cert_store_add_ca(&store, fw_ca_crt, fw_ca_crt_len) != 0)
		return SG_ECERT;

	memset(&cfg, 0, sizeof(cfg));
	cfg.side = SG_CONN_DEVICE;
	cfg.bus = FW_BUS != 0;
	cfg.start = FW_BUS ? SG_CONN_START_GATEWAY : FW_START;
	cfg.addr = FW_ADDR;
	cfg.max_payload = MAX_PAYLOAD;
	/* EDHOC method 0 with our certificate sent whole: the gateway needs
	 * no copy of it. */
	cfg.edhoc.method = SG_EDHOC_METHOD_SIG;
	cfg.edhoc.cred.type = SG_EDHOC_CRED_X509;
	cfg.edhoc.cred.bytes = fw_dev_crt;
	cfg.edhoc.cred.len = fw_dev_crt_len;
	cfg.edhoc.id_cred = SG_EDHOC_ID_X5CHAIN;
	cfg.edhoc.priv = fw_dev_key;
	cfg.edhoc.store = &store;
	cfg.edhoc.cert_policy.now = SG_TIME_UNKNOWN; /* pushed below */
	cfg.edhoc.cert_policy.notime = SG_NOTIME_REJECT;
	cfg.edhoc.cert_policy.role = SG_ROLE_GATEWAY;
	cfg.edhoc.check_identity = check_gateway;
	cfg.edhoc.rng = rng_bytes;
	sg_record_config_default(&cfg.record, 8, FW_ADDR, SG_FRAME_FROM_DEVICE);
	cfg.record.freshness = FW_MAX_RECORD_AGE_MS != 0;
	if (FW_MAX_RECORD_AGE_MS != 0)
		cfg.record.max_age_ms = FW_MAX_RECORD_AGE_MS;
	/* Compute handshake steps in sg_conn_work(), after the engine has
	 * answered BUSY: the gateway then waits instead of retransmitting. */
	cfg.defer_work = true;

	memset(&b, 0, sizeof(b));
	b.frame_rx = frame_rx;
	b.frame_rx_len = sizeof(frame_rx);
	b.wire_tx = wire_tx;
	b.wire_tx_len = sizeof(wire_tx);
	b.scratch = scratch;
	b.scratch_len = sizeof(scratch);
	b.hs_rx = hs_rx;
	b.hs_rx_len = sizeof(hs_rx);
	b.hs_tx = hs_tx;
	b.hs_tx_len = sizeof(hs_tx);
	b.app_rx = app_rx;
	b.app_rx_len = sizeof(app_rx);
	b.app_tx = app_tx;
	b.app_tx_len = sizeof(app_tx);
	rc = sg_conn_init(&conn, &cfg, &b, now);
	if (rc != 0)
		return rc;
	/* the application's buffer (main) must hold any message */
	if (sg_conn_max_message(&conn) > APP_MSG_MAX)
		return SG_ECONFIG;
	sg_conn_set_time(&conn, wall_clock(now));
	return sg_conn_start(&conn, now);
}

/* ---- the main loop ------------------------------------------------------ */

int main(void)
{
	unsigned char in[64], msg[APP_MSG_MAX];
	const unsigned char *out;
	struct sg_conn_stats stats;
	uint64_t now, last_wall = 0;
	uint32_t failed = 0;
	bool up = false;
	size_t n, len;
	unsigned st;
	int rc;

	clock_init();
	uart_init(&dbg, BOARD_UART1_BASE, FW_BAUD, -1, -1);
	uart_init(&line, BOARD_UART0_BASE, FW_BAUD, BOARD_UART0_RX_IRQ, BOARD_UART0_TX_IRQ);
	mbedtls_memory_buffer_alloc_init(heap, sizeof(heap));
	if (rng_init(fw_dev_crt, fw_dev_crt_len) != 0) {
		log_line("fatal: ", "rng");
		for (;;) {
		}
	}
	now = clock_now_ms();
	rc = engine_setup(now);
	if (rc != 0) {
		log_line("fatal: engine set-up: ", sg_strerror(rc));
		for (;;) {
		}
	}
	log_line("serguard device ready", "");

	for (;;) {
		now = clock_now_ms();

		/* 1. bytes from the line */
		while ((n = uart_read(&line, in, sizeof(in))) > 0)
			(void)sg_conn_wire_push(&conn, in, n, now);

		/* 2. timers */
		if (sg_conn_deadline(&conn) <= now)
			sg_conn_tick(&conn, now);

		/* 3. the application */
		sg_conn_get_stats(&conn, &stats);
		if (stats.hs_failed != failed) {
			failed = stats.hs_failed;
			log_line("handshake failed: ", sg_strerror(stats.last_hs_error));
		}
		st = sg_conn_status(&conn);
		if ((st & SG_CONN_ESTABLISHED) && !up)
			log_line("session up, peer ", sg_conn_peer(&conn)->id.subject_cn);
		else if (!(st & SG_CONN_ESTABLISHED) && up)
			log_line("session down", "");
		up = (st & SG_CONN_ESTABLISHED) != 0;
		while (sg_conn_recv(&conn, msg, sizeof(msg), &len) == 0)
			app_receive(msg, len, now);

		/* 4. bytes for the line, as many as the transmit ring takes */
		while ((n = sg_conn_wire_peek(&conn, &out, now)) > 0) {
			size_t w = uart_write(&line, out, n);

			if (w == 0)
				break;
			sg_conn_wire_ack(&conn, w);
		}

		/* 5. a handshake step (about a second of P-256 on a small
		 * MCU). The engine has answered BUSY in step 4, and the TX
		 * interrupt sends it while we compute. */
		if (sg_conn_status(&conn) & SG_CONN_WANT_WORK) {
			rc = sg_conn_work(&conn, now);
			if (rc != 0)
				log_line("handshake step failed: ", sg_strerror(rc));
			continue; /* its answer goes out at once */
		}

		/* the wall clock, once a second */
		if (now - last_wall >= 1000) {
			sg_conn_set_time(&conn, wall_clock(now));
			last_wall = now;
		}

		/* 6. sleep until an interrupt (a byte, the next millisecond)
		 * unless there is something to do already */
		irq_disable();
		st = sg_conn_status(&conn);
		if (!uart_readable(&line) &&
		    !((st & SG_CONN_WANT_WRITE) && uart_writable(&line)))
			wait_for_interrupt();
		irq_enable();
	}
}
