/*
 * serguard-device: one emulated field device.
 *
 * Everything one microcontroller would have: its credential (flash), its
 * trust anchor, its session engine with the buffers it works in (RAM),
 * its application, its own clocks. Several nodes share one line on an
 * RS485 bus, exactly as several MCUs share the two wires: each sees
 * every byte and its engine keeps the frames with its own address.
 */
#ifndef SG_DEVICE_NODE_H
#define SG_DEVICE_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "serguard/conn.h"

#include "app.h"
#include "cred.h"

#define NODE_MAX_PAYLOAD 1024u /* largest --max-payload */
#define NODE_HS_BUF 4096u      /* handshake messages (certificates by value) */
#define NODE_QUEUE_MSGS 32u    /* application messages queued per direction */
#define NODE_PENDING_MAX 32u   /* answers waiting out --slow */
#define NODE_NAME_MAX 32u

/* What every device of one emulator shares (the command line). */
struct node_opts {
	bool bus;			/* RS485: answer only when polled */
	size_t max_payload;		/* 0 = the protocol default (255) */
	enum sg_edhoc_idcred id_cred;	/* how the device sends its certificate */
	const char *gateway_cn;		/* identity the gateway must present */
	const unsigned char *ca;	/* root CA certificate, DER */
	size_t ca_len;
	const unsigned char *gw_cert;	/* the gateway's certificate if known (x5t) */
	size_t gw_cert_len;
	enum app_kind kind;
	uint32_t interval_ms;		/* telemetry period */
	uint32_t slow_ms;		/* handshake steps and answers take this long */
	uint32_t max_age_ms;		/* record freshness: maximum age, 0 = off */
	int64_t clock_offset_s;		/* added to the wall clock */
	uint64_t tick_start_ms;		/* the systick's value at power-on */
};

struct node_pending {
	uint64_t due_ns;
	size_t len;
	unsigned char data[NODE_MAX_PAYLOAD];
};

/* Emulator-side counters: they survive the device's power cycles. */
struct node_counters {
	uint32_t boots;
	uint32_t msgs_in, msgs_out;	/* application messages, every boot */
	uint32_t send_full;		/* answers dropped: the engine's queue was full */
	uint32_t sessions;		/* handshakes completed, every boot */
	uint32_t hs_failed;		/* handshakes failed, every boot */
	uint32_t frames_lost;		/* this device's frames dropped by --loss */
	char last_peer[65];		/* CN of the last gateway authenticated */
};

struct node {
	char name[NODE_NAME_MAX + 1];
	uint8_t addr;
	const struct node_opts *o;
	struct cred cred;
	struct sg_cert_store store;
	bool store_ready;

	struct sg_conn_config cfg;
	struct sg_conn c;
	bool powered;
	struct app app;
	uint64_t boot_ns;		/* monotonic time of the last power-on */

	/* driver state */
	bool work_armed;		/* --slow: a handshake step is being "computed" */
	uint64_t work_due_ns;
	uint64_t telemetry_due_ns;
	struct node_pending pending[NODE_PENDING_MAX]; /* a ring */
	size_t pend_head, pend_len;
	/* what the log has reported so far */
	uint32_t seen_completed, seen_failed, seen_requests, seen_closes;
	bool seen_established;

	struct node_counters n;

	unsigned char frame_rx[SG_FRAME_DECODE_BUF_LEN(NODE_MAX_PAYLOAD)];
	unsigned char wire_tx[SG_FRAME_ENCODED_MAX(NODE_MAX_PAYLOAD)];
	unsigned char scratch[NODE_MAX_PAYLOAD];
	unsigned char hs_rx[NODE_HS_BUF], hs_tx[NODE_HS_BUF];
	unsigned char app_rx[SG_MSGQ_BUF_LEN(NODE_QUEUE_MSGS, NODE_MAX_PAYLOAD)];
	unsigned char app_tx[SG_MSGQ_BUF_LEN(NODE_QUEUE_MSGS, NODE_MAX_PAYLOAD)];
};

/*
 * Load the credential (certbase.crt.der / certbase.key.raw) and the
 * trust store. n must be zeroed; o must outlive n. Returns 0, or -1
 * with a message in err.
 */
int node_setup(struct node *n, const struct node_opts *o, const char *name, uint8_t addr,
	       const char *certbase, char *err, size_t errlen);

/* Power on at mono_ns: fresh engine, fresh application, clock from
 * tick_start_ms; the engine starts (RS232: initiates; RS485: requests a
 * handshake in its first answer). Returns 0 or an SG_E* code. */
int node_boot(struct node *n, uint64_t mono_ns);

/* Power off: every secret and all RAM state wiped (credential kept). */
void node_power_off(struct node *n);

/* The device's monotonic clock (ms since power-on + tick_start_ms). */
uint64_t node_now_ms(const struct node *n, uint64_t mono_ns);

/* One byte from the UART. */
void node_rx_byte(struct node *n, unsigned char b, uint64_t mono_ns);

/* Main-loop work at mono_ns: deferred handshake steps, received
 * messages, telemetry, delayed answers, timers, log lines. */
void node_service(struct node *n, uint64_t mono_ns);

/* Earliest mono_ns at which node_service() has something to do. */
uint64_t node_next_event(const struct node *n);

/* Next frame for the line: copies it into out (cap) and returns its
 * length, 0 when the engine has nothing (or must stay silent). */
size_t node_take_frame(struct node *n, unsigned char *out, size_t cap, uint64_t mono_ns);

/* Start an orderly close (SIGTERM). */
void node_close(struct node *n, uint64_t mono_ns);
/* True once nothing is left to say: no session, no frame pending. */
bool node_quiet(const struct node *n);

/* One "NAME key=value ..." line of counters. */
void node_write_stats(const struct node *n, FILE *f);

/* Free the store and wipe everything. */
void node_free(struct node *n);

#endif
