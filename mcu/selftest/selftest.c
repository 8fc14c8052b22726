/*
 * Self-test of the protocol core on a Cortex-M, under QEMU.
 *
 * Two session engines in one image, a gateway (gw) and a device (dev-a)
 * with the committed test PKI, exchange frames through memory exactly as
 * two ends of a serial line would:
 *   1. certificate stores (the gateway's with the CA's CRL);
 *   2. a full EDHOC method-0 handshake (X.509 sent whole, fragmented into
 *      255-byte frames), checked: both established, each sees the other's
 *      identity;
 *   3. application records both ways (64 bytes, content checked);
 *   4. key updates in the engine (soft limit), both ways, records still
 *      delivered under the new keys;
 *   5. the record layer alone: seal/open of 64 bytes, a key update and the
 *      first record of the new phase, a tampered record refused;
 *   (records with freshness on, 5 s maximum age: the gateway's default)
 *   6. a new handshake while the session is live, with the device's wall
 *      clock set past the gateway certificate's notAfter: refused as
 *      expired (mbedTLS is built without a clock; validity comes from the
 *      time pushed in), the old session keeps working;
 *   7. no heap left allocated, allocator consistent.
 * Results go out through semihosting; the exit status is 0 only when
 * every check passed.
 *
 * Figures: every engine call is made through CALL(), which attributes
 * its instructions (QEMU -icount, measure.h), heap high-water (mbedTLS's
 * buffer allocator, built with MBEDTLS_MEMORY_DEBUG for this image) and
 * stack high-water (painting) to the side that made it. Lines starting
 * with "@fig " are for the build (mcu/mcu.mk) to collect.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/memory_buffer_alloc.h>

#include "serguard/cert.h"
#include "serguard/conn.h"
#include "serguard/record.h"

#include "measure.h"

extern void initialise_monitor_handles(void);

/* ---- the test PKI (fixtures.S) ---------------------------------------- */
#define FIXTURE(n)                        \
	extern const unsigned char n[];   \
	extern const uint32_t n##_len
FIXTURE(fx_ca_crt);
FIXTURE(fx_ca_crl);
FIXTURE(fx_gw_crt);
FIXTURE(fx_gw_key);
FIXTURE(fx_dev_a_crt);
FIXTURE(fx_dev_a_key);

/* 2030-01-01T00:00:00Z: inside every "good" validity of the test PKI */
#define NOW_UNIX 1893456000
/* 2050-01-01T00:00:00Z: after their notAfter (2045-01-01) */
#define LATE_UNIX 2524608000

/* ---- buffers: what one session needs ----------------------------------- */
#define MAX_PAYLOAD SG_FRAME_DEFAULT_MAX_PAYLOAD
#define CERT_MAX 512 /* certificates by value (x5chain) up to this */
#define HS_BUF SG_EDHOC_MSG2_MAX(CERT_MAX, 0)
#define APP_MSG_MAX 128
#define APP_QUEUE SG_MSGQ_BUF_LEN(4, APP_MSG_MAX)
#define REC_LEN 64

/* mbedTLS's heap for both engines (and both certificate stores) */
static unsigned char heap_arena[16384];

void sg_mcu_fatal(int code)
{
	printf("FATAL: mbedTLS heap corrupted (%d)\n", code);
	exit(3);
}

/* A fault: say where, and fail. */
void HardFault_Handler(void)
{
	uint32_t *frame;

	__asm volatile("mrs %0, msp" : "=r"(frame));
	printf("FATAL: hard fault at pc %08lx (lr %08lx)\n", (unsigned long)frame[6],
	       (unsigned long)frame[5]);
	exit(4);
}

struct end {
	const char *name;
	struct sg_cert_store store;
	const char *peer_cn;
	unsigned identity_calls;
	uint64_t rng;
	struct sg_conn_config cfg;
	struct sg_conn c;
	unsigned char frame_rx[SG_FRAME_DECODE_BUF_LEN(MAX_PAYLOAD)];
	unsigned char wire_tx[SG_FRAME_ENCODED_MAX(MAX_PAYLOAD)];
	unsigned char scratch[MAX_PAYLOAD];
	unsigned char hs_rx[HS_BUF], hs_tx[HS_BUF];
	unsigned char app_rx[APP_QUEUE], app_tx[APP_QUEUE];

	/* what this side's calls cost */
	uint64_t insns;
	uint32_t calls;
	size_t heap_peak, heap_blocks; /* beyond the other side's store */
	uint32_t stack_peak;
	size_t store_heap, store_blocks; /* this side's store, persistent */
};

static struct end gw, dev;
static int failures;

#define CHECK(cond, ...)                                 \
	do {                                             \
		if (!(cond)) {                           \
			printf("FAIL %s:%d: ", __FILE__, __LINE__); \
			printf(__VA_ARGS__);             \
			printf("\n");                    \
			failures++;                      \
		}                                        \
	} while (0)

static void fig(const char *name, unsigned long v)
{
	printf("@fig %s %lu\n", name, v);
}

/* ---- measured calls ----------------------------------------------------- */
static struct end *cur;
static uint64_t t_start;
static uint32_t depth; /* stack in use by the caller of the measured call */

static void call_begin(struct end *e)
{
	cur = e;
	mbedtls_memory_buffer_alloc_max_reset();
	meas_stack_paint();
	depth = meas_stack_depth();
	t_start = meas_ticks();
}

static uint32_t call_end(void)
{
	uint32_t n = meas_insns(meas_ticks() - t_start);
	struct end *other = cur == &gw ? &dev : &gw;
	size_t used, blocks;
	uint32_t st;

	cur->insns += n;
	cur->calls++;
	mbedtls_memory_buffer_alloc_max_get(&used, &blocks);
	used -= used >= other->store_heap ? other->store_heap : used;
	blocks -= blocks >= other->store_blocks ? other->store_blocks : blocks;
	if (used > cur->heap_peak)
		cur->heap_peak = used;
	if (blocks > cur->heap_blocks)
		cur->heap_blocks = blocks;
	st = meas_stack_used() - depth;
	if (st > cur->stack_peak)
		cur->stack_peak = st;
	return n;
}

#define CALL(e, expr) (call_begin(e), (expr), call_end())

static void reset_costs(void)
{
	gw.insns = dev.insns = 0;
	gw.calls = dev.calls = 0;
	gw.heap_peak = dev.heap_peak = gw.heap_blocks = dev.heap_blocks = 0;
	gw.stack_peak = dev.stack_peak = 0;
}

/* ---- the ends ------------------------------------------------------------ */

/* Test RNG (splitmix64): deterministic runs give repeatable figures. A
 * device uses its TRNG (see proto/examples/mps2-an386/rng.c). */
static int test_rng(void *ctx, unsigned char *buf, size_t len)
{
	uint64_t *s = ctx;
	size_t i;

	for (i = 0; i < len; i++) {
		uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
		z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
		buf[i] = (unsigned char)(z ^ (z >> 31));
	}
	return 0;
}

static int check_identity(void *ctx, const struct sg_peer_cert *peer)
{
	struct end *e = ctx;

	e->identity_calls++;
	return strcmp(peer->id.subject_cn, e->peer_cn) == 0 ? 0 : SG_EIDENTITY;
}

static void end_setup(struct end *e, const char *name, enum sg_conn_side side,
		      const unsigned char *cert, uint32_t cert_len, const unsigned char *key,
		      const char *peer_cn, uint64_t seed)
{
	e->name = name;
	e->peer_cn = peer_cn;
	e->rng = seed;
	memset(&e->cfg, 0, sizeof(e->cfg));
	e->cfg.side = side;
	e->cfg.start = SG_CONN_START_GATEWAY;
	e->cfg.addr = 1;
	e->cfg.edhoc.method = SG_EDHOC_METHOD_SIG;
	e->cfg.edhoc.cred.type = SG_EDHOC_CRED_X509;
	e->cfg.edhoc.cred.bytes = cert;
	e->cfg.edhoc.cred.len = cert_len;
	e->cfg.edhoc.id_cred = SG_EDHOC_ID_X5CHAIN;
	e->cfg.edhoc.priv = key;
	e->cfg.edhoc.store = &e->store;
	e->cfg.edhoc.cert_policy.now = SG_TIME_UNKNOWN; /* set by sg_conn_set_time */
	e->cfg.edhoc.cert_policy.role = side == SG_CONN_GATEWAY ? SG_ROLE_DEVICE
								: SG_ROLE_GATEWAY;
	e->cfg.edhoc.check_identity = check_identity;
	e->cfg.edhoc.identity_ctx = e;
	e->cfg.edhoc.rng = test_rng;
	e->cfg.edhoc.rng_ctx = &e->rng;
	sg_record_config_default(&e->cfg.record, 8, 1,
				 side == SG_CONN_GATEWAY ? SG_FRAME_FROM_GATEWAY
							 : SG_FRAME_FROM_DEVICE);
	/* records carry the sender's time and are refused when older than
	 * 5 s: the gateway's default (max_record_age_ms) */
	e->cfg.record.freshness = true;
	e->cfg.record.max_age_ms = 5000;
	/* phase 4: a key update falls due after this many records per key */
	e->cfg.record.update_after_records = 24;
}

static int end_init(struct end *e, uint64_t now)
{
	struct sg_conn_buffers b;
	int rc;

	memset(&b, 0, sizeof(b));
	b.frame_rx = e->frame_rx;
	b.frame_rx_len = sizeof(e->frame_rx);
	b.wire_tx = e->wire_tx;
	b.wire_tx_len = sizeof(e->wire_tx);
	b.scratch = e->scratch;
	b.scratch_len = sizeof(e->scratch);
	b.hs_rx = e->hs_rx;
	b.hs_rx_len = sizeof(e->hs_rx);
	b.hs_tx = e->hs_tx;
	b.hs_tx_len = sizeof(e->hs_tx);
	b.app_rx = e->app_rx;
	b.app_rx_len = sizeof(e->app_rx);
	b.app_tx = e->app_tx;
	b.app_tx_len = sizeof(e->app_tx);
	rc = sg_conn_init(&e->c, &e->cfg, &b, now);
	sg_conn_set_time(&e->c, NOW_UNIX);
	return rc;
}

/* ---- the line between them ---------------------------------------------- */

static uint64_t now_ms = 1000;
static uint32_t wire_bytes;

/* Move what x has to send to y; run x's work and timers. Returns whether
 * anything happened. */
static int step(struct end *x, struct end *y)
{
	const unsigned char *p = NULL;
	size_t n = 0;
	int moved = 0, rc = 0;

	CALL(x, n = sg_conn_wire_peek(&x->c, &p, now_ms));
	if (n > 0) {
		CALL(y, rc = sg_conn_wire_push(&y->c, p, n, now_ms));
		CHECK(rc == 0, "%s: wire_push %d", y->name, rc);
		CALL(x, sg_conn_wire_ack(&x->c, n));
		wire_bytes += (uint32_t)n;
		moved = 1;
	}
	if (sg_conn_status(&x->c) & SG_CONN_WANT_WORK) {
		CALL(x, rc = sg_conn_work(&x->c, now_ms));
		CHECK(rc == 0, "%s: work %d", x->name, rc);
		moved = 1;
	}
	if (sg_conn_deadline(&x->c) <= now_ms) {
		CALL(x, sg_conn_tick(&x->c, now_ms));
		moved = 1;
	}
	return moved;
}

/* Run the line until both ends are quiet (or a bound). */
static void pump(void)
{
	int i, idle = 0;

	for (i = 0; i < 2000 && idle < 2; i++) {
		int a = step(&gw, &dev);
		int b = step(&dev, &gw);

		idle = a || b ? 0 : idle + 1;
		now_ms++;
	}
}

static void report_side(const char *what, const struct end *e)
{
	char name[64];

	printf("  %-34s %-7s %11lu insns  %6lu B heap (%lu blocks)  %5lu B stack\n",
	       what, e->name, (unsigned long)e->insns, (unsigned long)e->heap_peak,
	       (unsigned long)e->heap_blocks, (unsigned long)e->stack_peak);
	snprintf(name, sizeof(name), "%s_%s_insns", what, e->name);
	fig(name, (unsigned long)e->insns);
	snprintf(name, sizeof(name), "%s_%s_heap", what, e->name);
	fig(name, (unsigned long)e->heap_peak);
	snprintf(name, sizeof(name), "%s_%s_heap_blocks", what, e->name);
	fig(name, (unsigned long)e->heap_blocks);
	snprintf(name, sizeof(name), "%s_%s_stack", what, e->name);
	fig(name, (unsigned long)e->stack_peak);
}

/* ---- phases -------------------------------------------------------------- */

static void phase_stores(void)
{
	size_t before, b_before, used, blocks;
	int rc = 0;

	printf("1. certificate stores\n");
	reset_costs();
	mbedtls_memory_buffer_alloc_cur_get(&before, &b_before);
	CALL(&gw, rc = sg_cert_store_init(&gw.store));
	CHECK(rc == 0, "gw store init %d", rc);
	CALL(&gw, rc = sg_cert_store_add_ca(&gw.store, fx_ca_crt, fx_ca_crt_len));
	CHECK(rc == 0, "gw add CA %d", rc);
	CALL(&gw, rc = sg_cert_store_add_crl(&gw.store, fx_ca_crl, fx_ca_crl_len));
	CHECK(rc == 0, "gw add CRL %d", rc);
	mbedtls_memory_buffer_alloc_cur_get(&used, &blocks);
	gw.store_heap = used - before;
	gw.store_blocks = blocks - b_before;

	before = used;
	b_before = blocks;
	CALL(&dev, rc = sg_cert_store_init(&dev.store));
	CHECK(rc == 0, "dev store init %d", rc);
	CALL(&dev, rc = sg_cert_store_add_ca(&dev.store, fx_ca_crt, fx_ca_crt_len));
	CHECK(rc == 0, "dev add CA %d", rc);
	mbedtls_memory_buffer_alloc_cur_get(&used, &blocks);
	dev.store_heap = used - before;
	dev.store_blocks = blocks - b_before;

	printf("  store (gw: CA + CRL, dev: CA)     gw %lu insns, %lu B heap kept (%lu blocks); "
	       "dev %lu insns, %lu B heap kept (%lu blocks)\n",
	       (unsigned long)gw.insns, (unsigned long)gw.store_heap,
	       (unsigned long)gw.store_blocks, (unsigned long)dev.insns,
	       (unsigned long)dev.store_heap, (unsigned long)dev.store_blocks);
	fig("store_gw_insns", (unsigned long)gw.insns);
	fig("store_dev_insns", (unsigned long)dev.insns);
	fig("store_gw_heap", (unsigned long)gw.store_heap);
	fig("store_dev_heap", (unsigned long)dev.store_heap);
	fig("store_dev_heap_blocks", (unsigned long)dev.store_blocks);
	fig("store_dev_stack", (unsigned long)dev.stack_peak);
}

static void phase_handshake(void)
{
	const struct sg_peer_cert *p;
	struct sg_conn_stats s;
	int rc = 0;

	printf("2. EDHOC method 0, suite 2, X.509 by value (x5chain)\n");
	CHECK(end_init(&gw, now_ms) == 0, "gw init");
	CHECK(end_init(&dev, now_ms) == 0, "dev init");
	reset_costs();
	wire_bytes = 0;
	CALL(&gw, rc = sg_conn_start(&gw.c, now_ms));
	CHECK(rc == 0, "gw start %d", rc);
	CALL(&dev, rc = sg_conn_start(&dev.c, now_ms));
	CHECK(rc == 0, "dev start %d", rc);
	pump();
	CHECK(sg_conn_status(&gw.c) & SG_CONN_ESTABLISHED, "gw not established");
	CHECK(sg_conn_status(&dev.c) & SG_CONN_ESTABLISHED, "dev not established");
	p = sg_conn_peer(&gw.c);
	CHECK(p != NULL && strcmp(p->id.subject_cn, "dev-a") == 0, "gw's peer");
	p = sg_conn_peer(&dev.c);
	CHECK(p != NULL && strcmp(p->id.subject_cn, "gateway") == 0, "dev's peer");
	sg_conn_get_stats(&gw.c, &s);
	CHECK(s.hs_completed == 1 && s.hs_failed == 0, "gw handshakes %lu/%lu",
	      (unsigned long)s.hs_completed, (unsigned long)s.hs_failed);
	sg_conn_get_stats(&dev.c, &s);
	CHECK(s.hs_completed == 1 && s.hs_failed == 0, "dev handshakes");
	report_side("handshake", &gw);
	report_side("handshake", &dev);
	printf("  %-34s %lu B on the wire, %lu ms of simulated line time\n", "",
	       (unsigned long)wire_bytes, (unsigned long)(now_ms - 1000));
	fig("handshake_wire_bytes", wire_bytes);
}

/* One 64-byte message from x to y; returns 0 when it arrived intact. */
static int message(struct end *x, struct end *y, unsigned seq, uint32_t *tx_insns,
		   uint32_t *rx_insns)
{
	unsigned char msg[REC_LEN], got[APP_MSG_MAX];
	const unsigned char *p = NULL;
	size_t n = 0, len = 0;
	unsigned i;
	int rc = 0;

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)(seq * 31u + i);
	*tx_insns = CALL(x, rc = sg_conn_send(&x->c, msg, sizeof(msg), now_ms));
	CHECK(rc == 0, "%s: send %d", x->name, rc);
	*tx_insns += CALL(x, n = sg_conn_wire_peek(&x->c, &p, now_ms));
	CHECK(n > 0, "%s: nothing to send", x->name);
	*rx_insns = CALL(y, rc = sg_conn_wire_push(&y->c, p, n, now_ms));
	*tx_insns += CALL(x, sg_conn_wire_ack(&x->c, n));
	*rx_insns += CALL(y, rc = sg_conn_recv(&y->c, got, sizeof(got), &len));
	wire_bytes = (uint32_t)n;
	now_ms++;
	if (rc != 0 || len != sizeof(msg) || memcmp(got, msg, len) != 0) {
		CHECK(0, "%s -> %s: message %u lost or changed (%d)", x->name, y->name, seq, rc);
		return -1;
	}
	pump(); /* whatever else the ends want to say (echo, key update) */
	return 0;
}

#define ROUNDS 8

static void phase_records(void)
{
	uint32_t t, r, tx[2] = { 0, 0 }, rx[2] = { 0, 0 }, tmax = 0, rmax = 0;
	struct sg_conn_stats s;
	unsigned i;

	printf("3. application records, %d bytes, %d each way\n", REC_LEN, ROUNDS);
	reset_costs();
	for (i = 0; i < ROUNDS; i++) {
		if (message(&gw, &dev, i, &t, &r) == 0) {
			tx[0] += t;
			rx[1] += r;
		}
		if (message(&dev, &gw, i, &t, &r) == 0) {
			tx[1] += t;
			rx[0] += r;
		}
	}
	printf("  %-34s gw -> dev: send %lu, receive %lu insns; dev -> gw: send %lu, receive %lu\n",
	       "per record (engine, mean)", (unsigned long)(tx[0] / ROUNDS),
	       (unsigned long)(rx[1] / ROUNDS), (unsigned long)(tx[1] / ROUNDS),
	       (unsigned long)(rx[0] / ROUNDS));
	printf("  %-34s %lu B on the wire per 64-byte message\n", "",
	       (unsigned long)wire_bytes);
	fig("record_dev_send_insns", tx[1] / ROUNDS);
	fig("record_dev_recv_insns", rx[1] / ROUNDS);
	fig("record_gw_send_insns", tx[0] / ROUNDS);
	fig("record_gw_recv_insns", rx[0] / ROUNDS);
	fig("record_wire_bytes", wire_bytes);
	fig("record_dev_stack", dev.stack_peak);
	fig("record_dev_heap", (unsigned long)dev.heap_peak);
	sg_conn_get_stats(&gw.c, &s);
	CHECK(s.key_updates == 0, "a key update ran during the measured records");

	printf("4. key updates in the engine (due after 24 records per key)\n");
	for (i = ROUNDS; i < 4 * ROUNDS; i++) {
		message(&gw, &dev, i, &t, &r);
		if (t > tmax)
			tmax = t;
		message(&dev, &gw, i, &t, &r);
		if (r > rmax)
			rmax = r;
	}
	sg_conn_get_stats(&gw.c, &s);
	CHECK(s.key_updates >= 1, "gw made no key update");
	printf("  gw: %lu key updates, %lu records delivered\n",
	       (unsigned long)s.key_updates, (unsigned long)s.record.delivered);
	sg_conn_get_stats(&dev.c, &s);
	CHECK(s.key_updates >= 1, "dev made no key update");
	CHECK(s.record.bad_tag == 0 && s.record.wrong_phase == 0, "dev dropped records");
	printf("  dev: %lu key updates, %lu records delivered, none dropped\n",
	       (unsigned long)s.key_updates, (unsigned long)s.record.delivered);
}

/* The record layer alone, with fixed secrets. */
static void phase_record_layer(void)
{
	static struct sg_record a, b;
	struct sg_record_config ca, cb;
	unsigned char s1[32], s2[32], pt[REC_LEN], out[REC_LEN + 32], back[REC_LEN];
	enum sg_record_kind kind;
	size_t n = 0, m = 0;
	uint32_t seal, open, ku, ku_open;
	int rc = 0;

	printf("5. record layer alone (AES-CCM-8, freshness on, 64 bytes)\n");
	memset(s1, 0x11, sizeof(s1));
	memset(s2, 0x22, sizeof(s2));
	memset(pt, 0x5a, sizeof(pt));
	sg_record_config_default(&ca, 8, 1, SG_FRAME_FROM_GATEWAY);
	sg_record_config_default(&cb, 8, 1, SG_FRAME_FROM_DEVICE);
	ca.freshness = cb.freshness = true;
	ca.max_age_ms = cb.max_age_ms = 5000;
	CHECK(sg_record_init(&a, &ca, s1, s2, now_ms) == 0, "record init a");
	CHECK(sg_record_init(&b, &cb, s2, s1, now_ms) == 0, "record init b");
	reset_costs();
	seal = CALL(&gw, rc = sg_record_seal(&a, SG_RECORD_APP, pt, sizeof(pt), now_ms, out,
					      sizeof(out), &n));
	CHECK(rc == 0, "seal %d", rc);
	open = CALL(&dev, rc = sg_record_open(&b, out, n, now_ms, &kind, back, sizeof(back), &m));
	CHECK(rc == 0 && m == sizeof(pt) && memcmp(back, pt, m) == 0, "open %d", rc);
	ku = CALL(&gw, rc = sg_record_key_update(&a, now_ms));
	CHECK(rc == 0, "key update %d", rc);
	ku += CALL(&gw, rc = sg_record_seal(&a, SG_RECORD_APP, pt, sizeof(pt), now_ms, out,
					     sizeof(out), &n));
	ku_open = CALL(&dev, rc = sg_record_open(&b, out, n, now_ms, &kind, back,
						 sizeof(back), &m));
	CHECK(rc == 0 && m == sizeof(pt), "open under the next key %d", rc);
	out[n / 2] ^= 1;
	rc = sg_record_open(&b, out, n, now_ms, &kind, back, sizeof(back), &m);
	CHECK(rc == SG_EAUTH || rc == SG_EREPLAY, "tampered record: %d", rc);
	printf("  seal %lu, open %lu, key update + seal %lu, open of the first record "
	       "under the next key %lu insns\n",
	       (unsigned long)seal, (unsigned long)open, (unsigned long)ku,
	       (unsigned long)ku_open);
	fig("rl_seal64_insns", seal);
	fig("rl_open64_insns", open);
	fig("rl_key_update_insns", ku - seal);
	fig("rl_open_next_key_insns", ku_open);
	sg_record_wipe(&a);
	sg_record_wipe(&b);
	sg_wipe(s1, sizeof(s1));
	sg_wipe(s2, sizeof(s2));
}

static void phase_expired(void)
{
	struct sg_conn_stats s;
	uint32_t t, r;

	printf("6. new handshake with the device's clock at 2050 (gateway certificate expired)\n");
	sg_conn_set_time(&dev.c, LATE_UNIX);
	CHECK(sg_conn_rehandshake(&gw.c, now_ms) == 0, "rehandshake");
	pump();
	sg_conn_get_stats(&dev.c, &s);
	CHECK(s.hs_failed == 1 && s.last_hs_error == SG_ECERTEXPIRED,
	      "dev: %lu failed, last error %d", (unsigned long)s.hs_failed, s.last_hs_error);
	CHECK(s.hs_completed == 1, "dev completed %lu", (unsigned long)s.hs_completed);
	printf("  dev refused it: %s\n", sg_strerror(s.last_hs_error));
	CHECK(message(&gw, &dev, 1000, &t, &r) == 0, "old session after the failed exchange");
	CHECK(message(&dev, &gw, 1001, &t, &r) == 0, "old session after the failed exchange");
	printf("  the live session still carries records both ways\n");
}

static void print_sizes(void)
{
	const struct sg_conn *c = NULL;
	size_t big;

	printf("sizes on this target (bytes)\n");
#define SZ(x) printf("  %-30s %5lu\n", #x, (unsigned long)sizeof(x))
	SZ(struct sg_conn);
	SZ(struct sg_edhoc);
	SZ(struct sg_record);
	SZ(struct sg_peer_cert);
	SZ(struct sg_conn_stats);
	SZ(struct sg_conn_config);
	SZ(struct sg_edhoc_config);
#undef SZ
	printf("  struct sg_conn, field by field:\n");
#define FIELD(f) printf("    %-28s %5lu\n", #f, (unsigned long)sizeof(c->f))
	FIELD(cfg);
	FIELD(ecfg);
	FIELD(b);
	FIELD(dec);
	FIELD(frx);
	FIELD(ftx);
	FIELD(rxq);
	FIELD(txq);
	FIELD(hs);
	FIELD(rec);
	FIELD(rec_next);
	FIELD(rec_acc);
	FIELD(peer);
	FIELD(peer_pending);
	FIELD(stats);
	FIELD(h_m1);
	FIELD(h_m3);
#undef FIELD
	big = sizeof(c->cfg) + sizeof(c->ecfg) + sizeof(c->b) + sizeof(c->dec) +
	      sizeof(c->frx) + sizeof(c->ftx) + sizeof(c->rxq) + sizeof(c->txq) +
	      sizeof(c->hs) + sizeof(c->rec) + sizeof(c->rec_next) + sizeof(c->rec_acc) +
	      sizeof(c->peer) + sizeof(c->peer_pending) + sizeof(c->stats) +
	      sizeof(c->h_m1) + sizeof(c->h_m3);
	printf("    %-28s %5lu\n", "flags, timers, padding", (unsigned long)(sizeof(*c) - big));
	fig("sizeof_sg_conn", sizeof(struct sg_conn));
	fig("sizeof_sg_edhoc", sizeof(struct sg_edhoc));
	fig("sizeof_sg_record", sizeof(struct sg_record));
	fig("sizeof_sg_peer_cert", sizeof(struct sg_peer_cert));
	fig("sizeof_sg_conn_stats", sizeof(struct sg_conn_stats));
	fig("sizeof_sg_conn_config", sizeof(struct sg_conn_config));
	fig("session_buffers", sizeof(gw.frame_rx) + sizeof(gw.wire_tx) + sizeof(gw.scratch) +
				       sizeof(gw.hs_rx) + sizeof(gw.hs_tx) +
				       sizeof(gw.app_rx) + sizeof(gw.app_tx));
	printf("  session buffers: frame_rx %lu, wire_tx %lu, scratch %lu, hs_rx %lu, hs_tx %lu, "
	       "app_rx %lu, app_tx %lu\n",
	       (unsigned long)sizeof(gw.frame_rx), (unsigned long)sizeof(gw.wire_tx),
	       (unsigned long)sizeof(gw.scratch), (unsigned long)sizeof(gw.hs_rx),
	       (unsigned long)sizeof(gw.hs_tx), (unsigned long)sizeof(gw.app_rx),
	       (unsigned long)sizeof(gw.app_tx));
}

int main(void)
{
	size_t used, blocks;
	uint32_t cal;

	initialise_monitor_handles();
	cal = meas_init();
	printf("serguard self-test on %s\n",
#if defined(__ARM_ARCH_6M__)
	       "ARMv6-M (Cortex-M0/M0+ code)"
#elif defined(__ARM_ARCH_8M_MAIN__)
	       "ARMv8-M mainline (Cortex-M33 code)"
#elif defined(__ARM_ARCH_7EM__)
	       "ARMv7E-M (Cortex-M4 code)"
#else
	       "Cortex-M"
#endif
	);
	printf("calibration: a 2,000,000-instruction loop = %lu SysTick ticks%s\n",
	       (unsigned long)cal,
	       cal > 1000 && cal < 1000000 ? "" : " (not under -icount: figures are host time)");
	fig("calibration_ticks", cal);
	mbedtls_memory_buffer_alloc_init(heap_arena, sizeof(heap_arena));
	fig("heap_arena", sizeof(heap_arena));

	end_setup(&gw, "gw", SG_CONN_GATEWAY, fx_gw_crt, fx_gw_crt_len, fx_gw_key, "dev-a", 1);
	end_setup(&dev, "dev", SG_CONN_DEVICE, fx_dev_a_crt, fx_dev_a_crt_len, fx_dev_a_key,
		  "gateway", 2);
	print_sizes();
	phase_stores();
	phase_handshake();
	phase_records();
	phase_record_layer();
	phase_expired();

	printf("7. clean-up\n");
	sg_conn_wipe(&gw.c);
	sg_conn_wipe(&dev.c);
	sg_cert_store_free(&gw.store);
	sg_cert_store_free(&dev.store);
	mbedtls_memory_buffer_alloc_cur_get(&used, &blocks);
	CHECK(used == 0 && blocks == 0, "heap left: %lu B in %lu blocks", (unsigned long)used,
	      (unsigned long)blocks);
	CHECK(mbedtls_memory_buffer_alloc_verify() == 0, "heap structure");
	printf("  heap: nothing left allocated, allocator consistent\n");
	mbedtls_memory_buffer_alloc_free();

	if (failures != 0) {
		printf("SELFTEST FAIL (%d)\n", failures);
		return 1;
	}
	printf("SELFTEST PASS\n");
	return 0;
}
