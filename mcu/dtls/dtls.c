/*
 * The comparison on the same Cortex-M: an mbedTLS 2.28 DTLS 1.2 client
 * (the device, dev-a) and server (the gateway, gw) in one image, with the
 * same certificates, the same P-256/AES-CCM-8 primitives, the same
 * minimal configuration (mcu/mbedtls_config.h with SG_MCU_DTLS) and the
 * same measurements as the serguard self-test (measure.h, the buffer
 * allocator's high-water): TLS-ECDHE-ECDSA-WITH-AES-128-CCM-8, mutual
 * authentication, no cookie exchange, MTU 255 (one serguard frame), 1 KiB
 * record buffers, as tests/bench/dtls12.c on the host.
 *
 * Datagrams go between the two sides through memory, one at a time;
 * nothing is lost, so the retransmission timer never expires. A program
 * that prints figures ("@fig" lines) and exits 0 when both handshakes and
 * a 64-byte record each way succeeded.
 *
 * -DDTLS_CLIENT_ONLY builds the image a device would carry (mbedTLS built
 * without the server) for its size; it is linked, not run.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ecp.h>
#include <mbedtls/hmac_drbg.h>
#include <mbedtls/md.h>
#include <mbedtls/memory_buffer_alloc.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#if !defined(DTLS_CLIENT_ONLY)
#include "measure.h"
#endif

#define FIXTURE(n)                      \
	extern const unsigned char n[]; \
	extern const uint32_t n##_len
FIXTURE(fx_ca_crt);
FIXTURE(fx_gw_crt);
FIXTURE(fx_gw_key_der);
FIXTURE(fx_dev_a_crt);
FIXTURE(fx_dev_a_key_der);

#define MTU 255
#define REC_LEN 64

static unsigned char heap_arena[24576];

void sg_mcu_fatal(int code)
{
	(void)code;
	exit(3);
}

/* one direction of the line: the datagrams of a flight, in order */
#define QLEN 16
struct dgq {
	unsigned char d[QLEN][MTU];
	size_t len[QLEN];
	unsigned head, tail;
};

struct side {
	const char *name;
	mbedtls_ssl_context ssl;
	mbedtls_ssl_config conf;
	mbedtls_hmac_drbg_context drbg;
	mbedtls_x509_crt cert;
	mbedtls_pk_context key;
	struct dgq *tx, *rx;
	uint64_t seed;
	int timer_set;
	/* costs */
	uint32_t insns, stack_peak;
	size_t heap_peak, heap_blocks;
	long net_heap, net_blocks; /* what this side keeps allocated */
};

static struct dgq c2s, s2c;
static mbedtls_x509_crt ca;

static int send_cb(void *ctx, const unsigned char *buf, size_t len)
{
	struct side *s = ctx;
	struct dgq *q = s->tx;

	if (len > MTU || q->head - q->tail >= QLEN)
		return MBEDTLS_ERR_SSL_WANT_WRITE;
	memcpy(q->d[q->head % QLEN], buf, len);
	q->len[q->head % QLEN] = len;
	q->head++;
	return (int)len;
}

static int recv_cb(void *ctx, unsigned char *buf, size_t len)
{
	struct side *s = ctx;
	struct dgq *q = s->rx;
	size_t n;

	if (q->head == q->tail)
		return MBEDTLS_ERR_SSL_WANT_READ;
	n = q->len[q->tail % QLEN];
	if (n > len)
		n = len; /* cannot happen with the MTU set */
	memcpy(buf, q->d[q->tail % QLEN], n);
	q->tail++;
	return (int)n;
}

/* Nothing is lost, so the retransmission timer never expires. */
static void timer_set(void *ctx, uint32_t int_ms, uint32_t fin_ms)
{
	struct side *s = ctx;

	(void)int_ms;
	s->timer_set = fin_ms != 0;
}

static int timer_get(void *ctx)
{
	struct side *s = ctx;

	return s->timer_set ? 0 : -1;
}

/* deterministic entropy, as in the self-test (a device reads its TRNG) */
static int det_entropy(void *ctx, unsigned char *buf, size_t len)
{
	uint64_t *st = ctx;
	size_t i;

	for (i = 0; i < len; i++) {
		uint64_t z = (*st += 0x9E3779B97F4A7C15ull);

		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
		z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
		buf[i] = (unsigned char)(z ^ (z >> 31));
	}
	return 0;
}

static const int suites[] = { MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8, 0 };
static const mbedtls_ecp_group_id curves[] = { MBEDTLS_ECP_DP_SECP256R1,
					       MBEDTLS_ECP_DP_NONE };

static int side_setup(struct side *s, int endpoint, const unsigned char *crt, size_t crt_len,
		      const unsigned char *key, size_t key_len)
{
	int ret;

	mbedtls_hmac_drbg_init(&s->drbg);
	ret = mbedtls_hmac_drbg_seed(&s->drbg, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256),
				     det_entropy, &s->seed, NULL, 0);
	mbedtls_x509_crt_init(&s->cert);
	mbedtls_pk_init(&s->key);
	if (ret == 0)
		ret = mbedtls_x509_crt_parse_der(&s->cert, crt, crt_len);
	if (ret == 0)
		ret = mbedtls_pk_parse_key(&s->key, key, key_len, NULL, 0);
	mbedtls_ssl_config_init(&s->conf);
	if (ret == 0)
		ret = mbedtls_ssl_config_defaults(&s->conf, endpoint,
						  MBEDTLS_SSL_TRANSPORT_DATAGRAM,
						  MBEDTLS_SSL_PRESET_DEFAULT);
	if (ret != 0)
		return ret;
	mbedtls_ssl_conf_ciphersuites(&s->conf, suites);
	mbedtls_ssl_conf_curves(&s->conf, curves);
	mbedtls_ssl_conf_authmode(&s->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_rng(&s->conf, mbedtls_hmac_drbg_random, &s->drbg);
	mbedtls_ssl_conf_ca_chain(&s->conf, &ca, NULL);
	ret = mbedtls_ssl_conf_own_cert(&s->conf, &s->cert, &s->key);
	if (ret != 0)
		return ret;
	mbedtls_ssl_init(&s->ssl);
	ret = mbedtls_ssl_setup(&s->ssl, &s->conf);
	if (ret != 0)
		return ret;
	mbedtls_ssl_set_mtu(&s->ssl, MTU);
	mbedtls_ssl_set_bio(&s->ssl, s, send_cb, recv_cb, NULL);
	mbedtls_ssl_set_timer_cb(&s->ssl, s, timer_set, timer_get);
	return 0;
}

#if defined(DTLS_CLIENT_ONLY)
/* The device's image: a client that connects and exchanges one record
 * (linked for its size only). */
static struct side cli;

int main(void)
{
	unsigned char buf[REC_LEN];
	int ret;

	mbedtls_memory_buffer_alloc_init(heap_arena, sizeof(heap_arena));
	mbedtls_x509_crt_init(&ca);
	if (mbedtls_x509_crt_parse_der(&ca, fx_ca_crt, fx_ca_crt_len) != 0)
		return 1;
	c2s.head = 0;
	cli.tx = &c2s;
	cli.rx = &s2c;
	if (side_setup(&cli, MBEDTLS_SSL_IS_CLIENT, fx_dev_a_crt, fx_dev_a_crt_len,
		       fx_dev_a_key_der, fx_dev_a_key_der_len) != 0)
		return 1;
	do
		ret = mbedtls_ssl_handshake(&cli.ssl);
	while (ret == MBEDTLS_ERR_SSL_WANT_READ);
	memset(buf, 0x5a, sizeof(buf));
	ret = mbedtls_ssl_write(&cli.ssl, buf, sizeof(buf));
	ret |= mbedtls_ssl_read(&cli.ssl, buf, sizeof(buf));
	return ret;
}
#else

extern void initialise_monitor_handles(void);
static struct side cli, srv;
static int failures;

#define CHECK(cond, what)                                  \
	do {                                               \
		if (!(cond)) {                             \
			printf("FAIL: %s\n", what);        \
			failures++;                        \
		}                                          \
	} while (0)

static void fig(const char *name, unsigned long v)
{
	printf("@fig %s %lu\n", name, v);
}

/* One call of a side, measured like the self-test's CALL(). */
static int measured(struct side *s, struct side *other, int (*fn)(struct side *))
{
	size_t used0, blocks0, used1, blocks1, max_used, max_blocks;
	uint32_t depth, st;
	uint64_t t0;
	int ret;

	mbedtls_memory_buffer_alloc_cur_get(&used0, &blocks0);
	mbedtls_memory_buffer_alloc_max_reset();
	meas_stack_paint();
	depth = meas_stack_depth();
	t0 = meas_ticks();
	ret = fn(s);
	s->insns += meas_insns(meas_ticks() - t0);
	st = meas_stack_used() - depth;
	if (st > s->stack_peak)
		s->stack_peak = st;
	mbedtls_memory_buffer_alloc_max_get(&max_used, &max_blocks);
	mbedtls_memory_buffer_alloc_cur_get(&used1, &blocks1);
	s->net_heap += (long)used1 - (long)used0;
	s->net_blocks += (long)blocks1 - (long)blocks0;
	if ((long)max_used - other->net_heap > (long)s->heap_peak)
		s->heap_peak = (size_t)((long)max_used - other->net_heap);
	if ((long)max_blocks - other->net_blocks > (long)s->heap_blocks)
		s->heap_blocks = (size_t)((long)max_blocks - other->net_blocks);
	return ret;
}

static int do_handshake(struct side *s)
{
	return mbedtls_ssl_handshake(&s->ssl);
}

static unsigned char msg[REC_LEN], got[REC_LEN];

static int do_write(struct side *s)
{
	return mbedtls_ssl_write(&s->ssl, msg, sizeof(msg));
}

static int do_read(struct side *s)
{
	return mbedtls_ssl_read(&s->ssl, got, sizeof(got));
}

static void report(const char *what, const struct side *s)
{
	char name[64];

	printf("  %-24s %-7s %11lu insns  %6lu B heap (%lu blocks)  %5lu B stack\n", what,
	       s->name, (unsigned long)s->insns, (unsigned long)s->heap_peak,
	       (unsigned long)s->heap_blocks, (unsigned long)s->stack_peak);
	snprintf(name, sizeof(name), "dtls_%s_%s_insns", what, s->name);
	fig(name, s->insns);
	snprintf(name, sizeof(name), "dtls_%s_%s_heap", what, s->name);
	fig(name, (unsigned long)s->heap_peak);
	snprintf(name, sizeof(name), "dtls_%s_%s_heap_blocks", what, s->name);
	fig(name, (unsigned long)s->heap_blocks);
	snprintf(name, sizeof(name), "dtls_%s_%s_stack", what, s->name);
	fig(name, s->stack_peak);
}

/* side_setup(), noting what it leaves allocated */
static int setup_measured(struct side *s, int endpoint, const unsigned char *crt,
			  size_t crt_len, const unsigned char *key, size_t key_len)
{
	size_t u0, b0, u1, b1;
	int ret;

	mbedtls_memory_buffer_alloc_cur_get(&u0, &b0);
	ret = side_setup(s, endpoint, crt, crt_len, key, key_len);
	mbedtls_memory_buffer_alloc_cur_get(&u1, &b1);
	s->net_heap = (long)u1 - (long)u0;
	s->net_blocks = (long)b1 - (long)b0;
	return ret;
}

static void reset(struct side *s)
{
	s->insns = s->stack_peak = 0;
	s->heap_peak = s->heap_blocks = 0;
}

int main(void)
{
	int rc = 0, rs = 0, i;
	uint32_t send_insns;
	size_t used, blocks;

	initialise_monitor_handles();
	printf("mbedTLS DTLS 1.2 on this target (calibration %lu ticks)\n",
	       (unsigned long)meas_init());
	mbedtls_memory_buffer_alloc_init(heap_arena, sizeof(heap_arena));
	mbedtls_x509_crt_init(&ca);
	CHECK(mbedtls_x509_crt_parse_der(&ca, fx_ca_crt, fx_ca_crt_len) == 0, "CA");
	cli.name = "client";
	srv.name = "server";
	cli.tx = srv.rx = &c2s;
	cli.rx = srv.tx = &s2c;
	cli.seed = 1;
	srv.seed = 2;
	fig("dtls_sizeof_ssl_context", sizeof(mbedtls_ssl_context));
	fig("dtls_sizeof_ssl_config", sizeof(mbedtls_ssl_config));
	CHECK(setup_measured(&cli, MBEDTLS_SSL_IS_CLIENT, fx_dev_a_crt, fx_dev_a_crt_len,
			     fx_dev_a_key_der, fx_dev_a_key_der_len) == 0, "client set-up");
	printf("  client set-up (cert, key, context): %ld B heap kept in %ld blocks\n",
	       cli.net_heap, cli.net_blocks);
	fig("dtls_setup_client_heap", (unsigned long)cli.net_heap);
	fig("dtls_setup_client_heap_blocks", (unsigned long)cli.net_blocks);
	CHECK(setup_measured(&srv, MBEDTLS_SSL_IS_SERVER, fx_gw_crt, fx_gw_crt_len, fx_gw_key_der,
			     fx_gw_key_der_len) == 0, "server set-up");

	/* the handshake: each side runs until it waits for the other */
	rc = rs = MBEDTLS_ERR_SSL_WANT_READ;
	for (i = 0; i < 100 && (rc != 0 || rs != 0); i++) {
		if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE)
			rc = measured(&cli, &srv, do_handshake);
		if (rs == MBEDTLS_ERR_SSL_WANT_READ || rs == MBEDTLS_ERR_SSL_WANT_WRITE)
			rs = measured(&srv, &cli, do_handshake);
	}
	CHECK(rc == 0, "client handshake");
	CHECK(rs == 0, "server handshake");
	if (rc != 0 || rs != 0)
		printf("  handshake: client -0x%04x, server -0x%04x\n", (unsigned)-rc,
		       (unsigned)-rs);
	printf("DTLS 1.2 handshake, ECDHE-ECDSA-AES-128-CCM-8, mutual authentication\n");
	report("handshake", &cli);
	report("handshake", &srv);

	/* one 64-byte record each way */
	memset(msg, 0x5a, sizeof(msg));
	reset(&cli);
	reset(&srv);
	CHECK(measured(&cli, &srv, do_write) == REC_LEN, "client write");
	CHECK(measured(&srv, &cli, do_read) == REC_LEN && memcmp(got, msg, REC_LEN) == 0,
	      "server read");
	fig("dtls_record_client_send_insns", cli.insns);
	fig("dtls_record_server_recv_insns", srv.insns);
	send_insns = cli.insns;
	reset(&cli);
	reset(&srv);
	CHECK(measured(&srv, &cli, do_write) == REC_LEN, "server write");
	CHECK(measured(&cli, &srv, do_read) == REC_LEN && memcmp(got, msg, REC_LEN) == 0,
	      "client read");
	fig("dtls_record_client_recv_insns", cli.insns);
	fig("dtls_record_server_send_insns", srv.insns);
	printf("  64-byte record: client send %lu insns, receive %lu insns\n",
	       (unsigned long)send_insns, (unsigned long)cli.insns);
	mbedtls_memory_buffer_alloc_cur_get(&used, &blocks);
	printf("  after the handshake: %lu B heap in %lu blocks held by both sides\n",
	       (unsigned long)used, (unsigned long)blocks);
	fig("dtls_established_client_heap", (unsigned long)cli.net_heap);
	fig("dtls_established_client_heap_blocks", (unsigned long)cli.net_blocks);

	if (failures != 0) {
		printf("DTLS FAIL (%d)\n", failures);
		return 1;
	}
	printf("DTLS PASS\n");
	return 0;
}
#endif
