/*
 * The DTLS 1.2 baseline serguard's figures are compared against: an
 * mbedTLS 2.28 DTLS 1.2 client (the field device, dev-a) and server (the
 * gateway, gw) in one process, each DTLS datagram carried in one serguard
 * link frame (SG_FRAME_RECORD, address 1, direction bit by side) over an
 * emulated serial line, counted the same way as serguard's own bytes.
 * A program that prints figures, not a test: `make bench` runs it.
 *
 *   dtls12 [-n N] [--json FILE] [--pki DIR] [--mtu M]
 *
 * N handshakes (default 101) per configuration; figures are medians
 * (lower median for even N). DIR holds the test PKI (default
 * $top_srcdir/tests/pki/fixtures). FILE receives the figures as JSON,
 * {"protocol":{"dtls12":{...}}}. M (default 255, the frame payload) is
 * there to reproduce figures at other MTUs; above 255 a datagram no
 * longer fits serguard's default frame, and the output says so.
 *
 * Configuration (the same as the reference figures): DTLS 1.2 only,
 * TLS-ECDHE-ECDSA-WITH-AES-128-CCM-8 only, secp256r1 only, mutual
 * authentication required, no cookie (no HelloVerifyRequest), MTU 255, the
 * CA ca.crt.der, own certificates with the leaf only. Everything else is
 * mbedTLS's default (extensions the client offers, the CA name list in
 * CertificateRequest, datagram packing); the output lists the hello
 * extensions so the bytes can be accounted for.
 *
 * Implementation notes:
 * - The line: each side's send callback encodes the datagram as one frame
 *   (sg_frame_encode) into the peer's byte buffer; the recv callback runs
 *   serguard's streaming frame decoder over that buffer and hands back one
 *   datagram per frame, so the framing path is the real one. Bytes on the
 *   wire are the encoded frames (COBS, delimiters, address, control, CRC).
 * - Randomness is a CTR_DRBG per side seeded from a deterministic source
 *   (handshake number and side), so runs are repeatable and the DRBG costs
 *   what it costs on a device. ECDSA is RFC 6979 (mbedTLS default), so a
 *   signature's DER length (70..72 bytes) varies with the transcript: byte
 *   counts are medians, with min..max shown.
 * - Timers use a simulated clock that advances by each frame's line time
 *   (10 bits per byte at the emulated baud) when it is written and by each
 *   handshake call's CPU time after the call. mbedTLS arms its
 *   retransmission timer after writing a flight, i.e. once the flight has
 *   left the line in this model. Nothing is lost on this line, so a
 *   retransmission can only come from a timer running out while the peer
 *   is still sending; they are detected in the datagram log and reported.
 * - CPU time is CLOCK_THREAD_CPUTIME_ID around each side's
 *   mbedtls_ssl_handshake() calls (which include the framing done inside
 *   the callbacks); a side is only called when a datagram is waiting for
 *   it, so no idle polling is counted. Certificate and key parsing happen
 *   once, before any timing.
 * - Handshake messages and flights are counted afterwards from a log of
 *   every datagram, by parsing the DTLS record and handshake headers.
 * - Check against the reference figures (1,909 B unlimited MTU, 2,058 B at
 *   MTU 256, two 503-byte leaves): leaves padded to 503 bytes with a long
 *   SAN, signed by the test CA, run with --pki DIR --mtu 256, gave 1,889
 *   and 2,039 B (2.28.3, bookworm): 20 bytes less at both MTUs, so the
 *   fragmentation cost is the same and the difference lies in names or
 *   extensions, not in how bytes are counted.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/error.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>

#include "serguard/frame.h"

#if !defined(MBEDTLS_SSL_PROTO_DTLS) || !defined(MBEDTLS_SSL_CLI_C) ||        \
	!defined(MBEDTLS_SSL_SRV_C) || !defined(MBEDTLS_CCM_C) ||              \
	!defined(MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED) ||                  \
	!defined(MBEDTLS_ECP_DP_SECP256R1_ENABLED)
#error "the DTLS baseline needs mbedTLS with DTLS, ECDHE-ECDSA, CCM and secp256r1"
#endif

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif

#define MTU 255u		 /* DTLS datagram = at most one frame payload */
#define MTU_MAX 16384u		 /* --mtu: largest accepted */
#define DEV_ADDR 1u		 /* the device's bus address */
#define BIG_DGRAM 17408u	 /* any datagram with no MTU set */
#define LINE_CAP (256u * 1024u)	 /* bytes one direction holds */
#define LOG_MAX 256u		 /* datagrams logged per handshake */
#define LOG_BYTES (64u * 1024u)	 /* their bytes */
#define MAX_CALLS 64		 /* handshake calls before declaring a stall */
#define STREAM_MSGS 100u	 /* messages in a goodput stream */
#define REF_CERT 503u		 /* certificate size of the reference figures */

enum { C2S = 0, S2C = 1 };

/* One direction of the emulated line: encoded frames, written by one side
 * and read by the other. */
struct line {
	unsigned char *buf;
	size_t len, pos;
};

struct dgram {
	int dir;
	size_t len, wire, off; /* datagram bytes, frame bytes, offset in log */
};

struct run;

struct side {
	struct run *run;
	int dir; /* the direction this side sends */
	bool is_client, done;
	mbedtls_ssl_context ssl;
	mbedtls_ssl_config conf;
	mbedtls_ctr_drbg_context drbg;
	uint64_t seed;
	struct line *tx, *rx;
	struct sg_frame_decoder dec;
	unsigned char decbuf[SG_FRAME_DECODE_BUF_LEN(BIG_DGRAM)];
	uint32_t t_int, t_fin; /* mbedTLS timer, ms; t_fin 0: cancelled */
	double t_start;
	double cpu_ms;
};

/* What the two sides share: the PKI, parsed once. */
struct pki {
	mbedtls_x509_crt ca, gw, dev;
	mbedtls_pk_context gw_key, dev_key;
	size_t gw_len, dev_len, ca_len;
};

struct run {
	const struct pki *pki;
	double baud;
	unsigned mtu; /* 0: no MTU set */
	double now_ms; /* the simulated clock */
	bool logging;
	int cb_error; /* first failure inside a callback */
	struct line lines[2];
	struct side cli, srv;
	struct dgram log[LOG_MAX];
	size_t nlog;
	unsigned char logbytes[LOG_BYTES];
	size_t loglen;
};

/* Figures of one handshake. */
struct hs {
	size_t wire[2], dgram[2], frames[2];
	double cpu_cli, cpu_srv, ms;
	unsigned flights, messages, records, retransmits;
};

static const int suites[] = {MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8, 0};
static const mbedtls_ecp_group_id curves[] = {MBEDTLS_ECP_DP_SECP256R1,
					      MBEDTLS_ECP_DP_NONE};

static void die(const char *what, int ret)
{
	char msg[160];

	mbedtls_strerror(ret, msg, sizeof(msg));
	fprintf(stderr, "dtls12: %s: -0x%04x %s\n", what, (unsigned)-ret, msg);
	exit(1);
}

static double thread_cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- deterministic entropy for the DRBGs ---------------------------------- */

static int det_entropy(void *ctx, unsigned char *buf, size_t len)
{
	uint64_t *s = ctx;
	size_t i;

	for (i = 0; i < len; i++) {
		*s ^= *s >> 12;
		*s ^= *s << 25;
		*s ^= *s >> 27;
		buf[i] = (unsigned char)((*s * 0x2545F4914F6CDD1DULL) >> 56);
	}
	return 0;
}

/* ---- the line -------------------------------------------------------------- */

static int line_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct side *s = ctx;
	struct run *r = s->run;
	struct line *l = s->tx;
	size_t wire;
	int ret;

	if (r->mtu != 0 && len > r->mtu) {
		r->cb_error = 1;
		fprintf(stderr, "dtls12: %zu-byte datagram exceeds MTU %u\n",
			len, r->mtu);
		return MBEDTLS_ERR_SSL_INTERNAL_ERROR;
	}
	ret = sg_frame_encode(l->buf + l->len, LINE_CAP - l->len, &wire,
			      DEV_ADDR,
			      (uint8_t)((s->is_client ? SG_FRAME_FROM_DEVICE
						      : SG_FRAME_FROM_GATEWAY) |
					SG_FRAME_RECORD),
			      buf, len);
	if (ret != 0) {
		r->cb_error = 1;
		fprintf(stderr, "dtls12: frame encode failed (%d)\n", ret);
		return MBEDTLS_ERR_SSL_INTERNAL_ERROR;
	}
	l->len += wire;
	r->now_ms += (double)wire * 10.0 * 1000.0 / r->baud;
	if (r->logging) {
		struct dgram *d;

		if (r->nlog >= LOG_MAX || r->loglen + len > LOG_BYTES) {
			r->cb_error = 1;
			fprintf(stderr, "dtls12: datagram log full\n");
			return MBEDTLS_ERR_SSL_INTERNAL_ERROR;
		}
		d = &r->log[r->nlog++];
		d->dir = s->dir;
		d->len = len;
		d->wire = wire;
		d->off = r->loglen;
		memcpy(r->logbytes + r->loglen, buf, len);
		r->loglen += len;
	}
	return (int)len;
}

static int line_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct side *s = ctx;
	struct line *l = s->rx;
	struct sg_frame f;
	size_t used;

	while (l->pos < l->len) {
		int got = sg_frame_decoder_push(&s->dec, l->buf + l->pos,
						l->len - l->pos, &used, &f);

		l->pos += used;
		if (!got)
			break;
		if (f.kind != SG_FRAME_RECORD || f.addr != DEV_ADDR ||
		    f.len > len) {
			s->run->cb_error = 1;
			fprintf(stderr, "dtls12: unexpected frame\n");
			return MBEDTLS_ERR_SSL_INTERNAL_ERROR;
		}
		memcpy(buf, f.payload, f.len);
		if (l->pos == l->len)
			l->pos = l->len = 0;
		return (int)f.len;
	}
	if (l->pos == l->len)
		l->pos = l->len = 0;
	return MBEDTLS_ERR_SSL_WANT_READ;
}

static bool line_pending(const struct line *l)
{
	return l->pos < l->len;
}

/* ---- timers on the simulated clock ------------------------------------------ */

static void timer_set(void *ctx, uint32_t int_ms, uint32_t fin_ms)
{
	struct side *s = ctx;

	s->t_int = int_ms;
	s->t_fin = fin_ms;
	s->t_start = s->run->now_ms;
}

static int timer_get(void *ctx)
{
	struct side *s = ctx;
	double el = s->run->now_ms - s->t_start;

	if (s->t_fin == 0)
		return -1;
	if (el >= (double)s->t_fin)
		return 2;
	if (el >= (double)s->t_int)
		return 1;
	return 0;
}

/* ---- set-up ----------------------------------------------------------------- */

static void load_file(const char *dir, const char *name, unsigned char **buf,
		      size_t *len)
{
	char path[4096];
	FILE *fp;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "rb");
	if (fp == NULL || fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) <= 0 ||
	    fseek(fp, 0, SEEK_SET) != 0) {
		fprintf(stderr, "dtls12: cannot read %s: %s\n", path,
			strerror(errno));
		exit(1);
	}
	*buf = malloc((size_t)n);
	if (*buf == NULL || fread(*buf, 1, (size_t)n, fp) != (size_t)n) {
		fprintf(stderr, "dtls12: cannot read %s\n", path);
		exit(1);
	}
	*len = (size_t)n;
	fclose(fp);
}

static size_t load_crt(const char *dir, const char *name, mbedtls_x509_crt *crt)
{
	unsigned char *b;
	size_t n;
	int ret;

	load_file(dir, name, &b, &n);
	mbedtls_x509_crt_init(crt);
	ret = mbedtls_x509_crt_parse_der(crt, b, n);
	if (ret != 0)
		die(name, ret);
	free(b);
	return n;
}

static void load_key(const char *dir, const char *name, mbedtls_pk_context *pk)
{
	unsigned char *b;
	size_t n;
	int ret;

	load_file(dir, name, &b, &n);
	mbedtls_pk_init(pk);
	ret = mbedtls_pk_parse_key(pk, b, n, NULL, 0);
	if (ret != 0)
		die(name, ret);
	memset(b, 0, n);
	free(b);
}

static void side_setup(struct run *r, struct side *s, bool is_client,
		       uint64_t seed)
{
	const struct pki *p = r->pki;
	static const char pers[] = "serguard dtls12 bench";
	int ret;

	s->run = r;
	s->is_client = is_client;
	s->dir = is_client ? C2S : S2C;
	s->done = false;
	s->cpu_ms = 0;
	s->t_int = s->t_fin = 0;
	s->tx = &r->lines[s->dir];
	s->rx = &r->lines[1 - s->dir];
	s->seed = seed;
	ret = sg_frame_decoder_init(&s->dec, s->decbuf, sizeof(s->decbuf),
				    r->mtu != 0 ? r->mtu : BIG_DGRAM,
				    is_client ? SG_FRAME_FROM_GATEWAY
					      : SG_FRAME_FROM_DEVICE,
				    is_client ? DEV_ADDR : 0);
	if (ret != 0) {
		fprintf(stderr, "dtls12: decoder init failed (%d)\n", ret);
		exit(1);
	}

	mbedtls_ctr_drbg_init(&s->drbg);
	ret = mbedtls_ctr_drbg_seed(&s->drbg, det_entropy, &s->seed,
				    (const unsigned char *)pers,
				    sizeof(pers) - 1);
	if (ret != 0)
		die("ctr_drbg_seed", ret);

	mbedtls_ssl_config_init(&s->conf);
	ret = mbedtls_ssl_config_defaults(&s->conf,
					  is_client ? MBEDTLS_SSL_IS_CLIENT
						    : MBEDTLS_SSL_IS_SERVER,
					  MBEDTLS_SSL_TRANSPORT_DATAGRAM,
					  MBEDTLS_SSL_PRESET_DEFAULT);
	if (ret != 0)
		die("ssl_config_defaults", ret);
	mbedtls_ssl_conf_min_version(&s->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
				     MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_max_version(&s->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
				     MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_ciphersuites(&s->conf, suites);
	mbedtls_ssl_conf_curves(&s->conf, curves);
	mbedtls_ssl_conf_authmode(&s->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_rng(&s->conf, mbedtls_ctr_drbg_random, &s->drbg);
	mbedtls_ssl_conf_ca_chain(&s->conf, (mbedtls_x509_crt *)&p->ca, NULL);
	ret = mbedtls_ssl_conf_own_cert(
		&s->conf, (mbedtls_x509_crt *)(is_client ? &p->dev : &p->gw),
		(mbedtls_pk_context *)(is_client ? &p->dev_key : &p->gw_key));
	if (ret != 0)
		die("ssl_conf_own_cert", ret);
	if (!is_client)
		mbedtls_ssl_conf_dtls_cookies(&s->conf, NULL, NULL, NULL);

	mbedtls_ssl_init(&s->ssl);
	ret = mbedtls_ssl_setup(&s->ssl, &s->conf);
	if (ret != 0)
		die("ssl_setup", ret);
	if (r->mtu != 0)
		mbedtls_ssl_set_mtu(&s->ssl, (uint16_t)r->mtu);
	mbedtls_ssl_set_bio(&s->ssl, s, line_send, line_recv, NULL);
	mbedtls_ssl_set_timer_cb(&s->ssl, s, timer_set, timer_get);
}

static void side_free(struct side *s)
{
	mbedtls_ssl_free(&s->ssl);
	mbedtls_ssl_config_free(&s->conf);
	mbedtls_ctr_drbg_free(&s->drbg);
}

static void run_setup(struct run *r, const struct pki *p, double baud,
		      unsigned mtu, uint64_t seed)
{
	r->pki = p;
	r->baud = baud;
	r->mtu = mtu;
	r->now_ms = 0;
	r->cb_error = 0;
	r->nlog = 0;
	r->loglen = 0;
	r->logging = true;
	r->lines[0].len = r->lines[0].pos = 0;
	r->lines[1].len = r->lines[1].pos = 0;
	side_setup(r, &r->cli, true, seed * 2 + 0x5EED0001u);
	side_setup(r, &r->srv, false, seed * 2 + 0x5EED0002u);
}

static void run_free(struct run *r)
{
	side_free(&r->cli);
	side_free(&r->srv);
}

/* ---- the handshake ------------------------------------------------------------ */

static int side_step(struct side *s)
{
	double c0 = thread_cpu_ms(), dt;
	int ret = mbedtls_ssl_handshake(&s->ssl);

	dt = thread_cpu_ms() - c0;
	s->cpu_ms += dt;
	s->run->now_ms += dt;
	if (s->run->cb_error)
		return -1;
	if (ret == 0) {
		s->done = true;
		return 0;
	}
	if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE)
		return 0;
	die(s->is_client ? "client handshake" : "server handshake", ret);
	return -1;
}

/* Runs the handshake to the point where both sides can send application
 * data. The client starts; after that a side is called whenever a frame
 * is waiting for it. */
static void handshake(struct run *r)
{
	int calls = 0;

	if (side_step(&r->cli) != 0)
		exit(1);
	while (!(r->cli.done && r->srv.done)) {
		struct side *s;

		if (!r->srv.done && line_pending(&r->lines[C2S]))
			s = &r->srv;
		else if (!r->cli.done && line_pending(&r->lines[S2C]))
			s = &r->cli;
		else {
			fprintf(stderr, "dtls12: handshake stalled\n");
			exit(1);
		}
		if (side_step(s) != 0 || ++calls > MAX_CALLS) {
			fprintf(stderr, "dtls12: handshake failed\n");
			exit(1);
		}
	}
	r->logging = false;
}

/* Both sides authenticated the peer they were meant to. */
static void check_peers(const struct run *r)
{
	const struct side *sides[2] = {&r->cli, &r->srv};
	const mbedtls_x509_crt *want[2] = {&r->pki->gw, &r->pki->dev};
	int i;

	for (i = 0; i < 2; i++) {
		const mbedtls_x509_crt *peer;

		if (mbedtls_ssl_get_verify_result(&sides[i]->ssl) != 0) {
			fprintf(stderr, "dtls12: peer not verified\n");
			exit(1);
		}
		peer = mbedtls_ssl_get_peer_cert(&sides[i]->ssl);
		if (peer == NULL || peer->raw.len != want[i]->raw.len ||
		    memcmp(peer->raw.p, want[i]->raw.p, peer->raw.len) != 0) {
			fprintf(stderr, "dtls12: wrong peer certificate\n");
			exit(1);
		}
	}
	if (strcmp(mbedtls_ssl_get_ciphersuite(&r->cli.ssl),
		   mbedtls_ssl_get_ciphersuite_name(suites[0])) != 0 ||
	    strcmp(mbedtls_ssl_get_version(&r->cli.ssl), "DTLSv1.2") != 0) {
		fprintf(stderr, "dtls12: unexpected suite or version\n");
		exit(1);
	}
}

/* ---- reading the datagram log ---------------------------------------------------- */

static uint32_t be(const unsigned char *p, size_t n)
{
	uint32_t v = 0;

	while (n-- > 0)
		v = (v << 8) | *p++;
	return v;
}

static const char *hs_name(unsigned t)
{
	switch (t) {
	case 1: return "ClientHello";
	case 2: return "ServerHello";
	case 3: return "HelloVerifyRequest";
	case 4: return "NewSessionTicket";
	case 11: return "Certificate";
	case 12: return "ServerKeyExchange";
	case 13: return "CertificateRequest";
	case 14: return "ServerHelloDone";
	case 15: return "CertificateVerify";
	case 16: return "ClientKeyExchange";
	case 20: return "Finished";
	default: return "?";
	}
}

/* Per flight: what is in it. */
struct flight {
	int dir;
	size_t datagrams, records, dgram, wire;
	char msgs[256], sizes[64];
};

/* Walks every record of every logged datagram. Fills *h's counts and, if
 * fl is not NULL, up to nfl flights. A message is a handshake message
 * (its fragments counted once, by message_seq) or a ChangeCipherSpec; an
 * encrypted handshake record is the Finished. A fragment or CCS seen a
 * second time is a retransmission. */
static void analyse(const struct run *r, struct hs *h, struct flight *fl,
		    size_t nfl)
{
	/* seen[dir][msg_seq] bit per fragment offset seen; small handshakes */
	uint32_t seen_off[2][16][8];
	size_t nseen[2][16];
	unsigned ccs[2] = {0, 0};
	bool msg_seen[2][16];
	size_t i, f = 0;
	int last_dir = -1;

	memset(nseen, 0, sizeof(nseen));
	memset(msg_seen, 0, sizeof(msg_seen));
	memset(h->wire, 0, sizeof(h->wire));
	memset(h->dgram, 0, sizeof(h->dgram));
	memset(h->frames, 0, sizeof(h->frames));
	h->flights = h->messages = h->records = h->retransmits = 0;

	for (i = 0; i < r->nlog; i++) {
		const struct dgram *d = &r->log[i];
		const unsigned char *p = r->logbytes + d->off;
		size_t o = 0;
		struct flight *cur = NULL;

		if (d->dir != last_dir) {
			h->flights++;
			last_dir = d->dir;
			if (fl != NULL && f < nfl) {
				memset(&fl[f], 0, sizeof(fl[f]));
				fl[f].dir = d->dir;
				f++;
			}
		}
		if (fl != NULL && h->flights <= nfl)
			cur = &fl[h->flights - 1];
		h->wire[d->dir] += d->wire;
		h->dgram[d->dir] += d->len;
		h->frames[d->dir]++;
		if (cur != NULL) {
			size_t sl = strlen(cur->sizes);

			snprintf(cur->sizes + sl, sizeof(cur->sizes) - sl, "%s%zu",
				 sl ? "+" : "", d->len);
			cur->datagrams++;
			cur->dgram += d->len;
			cur->wire += d->wire;
		}
		while (o + 13 <= d->len) {
			unsigned type = p[o];
			unsigned epoch = (unsigned)be(p + o + 3, 2);
			size_t rlen = be(p + o + 11, 2), b = o + 13;
			const char *name = NULL;

			h->records++;
			if (cur != NULL)
				cur->records++;
			if (b + rlen > d->len)
				break;
			if (type == 20) {
				if (ccs[d->dir]++ > 0)
					h->retransmits++;
				else {
					h->messages++;
					name = "ChangeCipherSpec";
				}
			} else if (type == 22 && epoch > 0) {
				/* encrypted: the Finished, which follows the
				 * CCS (a second one was counted with it) */
				if (ccs[d->dir] <= 1) {
					h->messages++;
					name = "Finished (encrypted)";
				}
			} else if (type == 22) {
				size_t q = b;

				while (q + 12 <= b + rlen) {
					unsigned mt = p[q];
					unsigned seq = (unsigned)be(p + q + 4, 2);
					uint32_t off = be(p + q + 6, 3);
					size_t flen = be(p + q + 9, 3);
					size_t k, idx = seq & 15u;
					bool dup = false;

					for (k = 0; k < nseen[d->dir][idx] && k < 8; k++)
						if (seen_off[d->dir][idx][k] == off)
							dup = true;
					if (dup)
						h->retransmits++;
					else if (nseen[d->dir][idx] < 8)
						seen_off[d->dir][idx]
							[nseen[d->dir][idx]++] = off;
					if (!msg_seen[d->dir][idx]) {
						msg_seen[d->dir][idx] = true;
						h->messages++;
						if (cur != NULL) {
							size_t ml = strlen(cur->msgs);

							snprintf(cur->msgs + ml,
								 sizeof(cur->msgs) - ml,
								 "%s%s", ml ? ", " : "",
								 hs_name(mt));
						}
					}
					q += 12 + flen;
				}
			}
			if (name != NULL && cur != NULL) {
				size_t ml = strlen(cur->msgs);

				snprintf(cur->msgs + ml, sizeof(cur->msgs) - ml,
					 "%s%s", ml ? ", " : "", name);
			}
			o = b + rlen;
		}
	}
}

static const char *ext_name(unsigned t)
{
	switch (t) {
	case 0: return "server_name";
	case 1: return "max_fragment_length";
	case 10: return "supported_groups";
	case 11: return "ec_point_formats";
	case 13: return "signature_algorithms";
	case 16: return "alpn";
	case 22: return "encrypt_then_mac";
	case 23: return "extended_master_secret";
	case 35: return "session_ticket";
	case 65281: return "renegotiation_info";
	default: return "?";
	}
}

/* Hello extensions, from the first logged datagram of each direction
 * (the ClientHello and ServerHello are never fragmented at MTU 255). */
static void print_hello_ext(const struct run *r, int dir, unsigned mt)
{
	size_t i;

	for (i = 0; i < r->nlog; i++) {
		const struct dgram *d = &r->log[i];
		const unsigned char *p = r->logbytes + d->off;
		size_t q, end, n;

		if (d->dir != dir || d->len < 25 || p[0] != 22 || p[13] != mt)
			continue;
		if (be(p + 14, 3) != be(p + 22, 3)) /* fragmented */
			return;
		q = 25;
		end = 25 + be(p + 22, 3);
		if (end > d->len)
			return;
		q += 2 + 32; /* version, random */
		if (q >= end)
			return;
		q += 1 + p[q]; /* session id */
		if (mt == 1) {
			if (q >= end)
				return;
			q += 1 + p[q]; /* cookie */
			if (q + 2 > end)
				return;
			n = be(p + q, 2);
			printf("  ClientHello cipher suites, %zu B:", n);
			for (q += 2; n >= 2 && q + 2 <= end; n -= 2, q += 2)
				printf(" 0x%04x", (unsigned)be(p + q, 2));
			printf(" (0x00ff: renegotiation SCSV)\n");
			if (q >= end)
				return;
			q += 1 + p[q]; /* compression */
		} else {
			q += 2 + 1; /* suite, compression */
		}
		if (q + 2 > end)
			return;
		n = be(p + q, 2);
		q += 2;
		printf("  %s extensions, %zu B:", hs_name(mt), n);
		while (q + 4 <= end) {
			unsigned t = (unsigned)be(p + q, 2);
			size_t l = be(p + q + 2, 2);

			printf(" %s %zu", ext_name(t), l + 4);
			q += 4 + l;
		}
		printf("\n");
		return;
	}
}

/* ---- records after the handshake ------------------------------------------------- */

/* Sends len bytes client to server and reads them back on the server;
 * returns the datagram and wire bytes it took. */
static void record_once(struct run *r, const unsigned char *msg, size_t len,
			size_t *dgram, size_t *wire)
{
	unsigned char in[512];
	size_t n0 = r->nlog;
	int ret;

	r->logging = true;
	ret = mbedtls_ssl_write(&r->cli.ssl, msg, len);
	if (ret != (int)len)
		die("ssl_write", ret < 0 ? ret : -1);
	if (r->nlog != n0 + 1) {
		fprintf(stderr, "dtls12: one record, %zu datagrams\n",
			r->nlog - n0);
		exit(1);
	}
	*dgram = r->log[n0].len;
	*wire = r->log[n0].wire;
	r->nlog = n0;
	r->loglen = r->log[n0].off;
	r->logging = false;
	ret = mbedtls_ssl_read(&r->srv.ssl, in, sizeof(in));
	if (ret != (int)len || memcmp(in, msg, len) != 0) {
		fprintf(stderr, "dtls12: record not delivered intact\n");
		exit(1);
	}
}

/* ---- statistics and output ----------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct stat3 {
	double med, min, max;
};

static struct stat3 stat_of(double *v, size_t n)
{
	struct stat3 s;

	qsort(v, n, sizeof(*v), cmp_double);
	s.med = v[(n - 1) / 2];
	s.min = v[0];
	s.max = v[n - 1];
	return s;
}

#define FIELD(var, expr)                                                       \
	do {                                                                   \
		size_t k_;                                                     \
		for (k_ = 0; k_ < nh; k_++) {                                  \
			const struct hs *h = &hs[k_];                          \
			tmp[k_] = (double)(expr);                              \
		}                                                              \
		var = stat_of(tmp, nh);                                        \
	} while (0)

static void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [-n N] [--json FILE] [--pki DIR] [--mtu M]\n",
		argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	static const double bauds[2] = {115200.0, 9600.0};
	static const size_t oh_sizes[4] = {1, 16, 64, 200};
	static const size_t gp_sizes[2] = {64, 200};
	const char *json = NULL, *pki_dir = NULL, *top;
	char pki_buf[4096];
	struct pki pki;
	struct run *r;
	struct hs *hs255[2], *hsbig;
	struct flight fl[8];
	struct hs first;
	double *tmp;
	size_t n = 101, i, b, nh;
	unsigned mtu = MTU;
	size_t oh_dgram[4], oh_wire[4];
	double gp[2], gp_bps[2];
	struct stat3 wire_c2s, wire_s2c, wire_tot, dg_tot, dg_c2s, dg_s2c,
		big_tot, cpu_cli, cpu_srv, ms[2], frames_c2s, frames_s2c;
	unsigned retrans[2] = {0, 0}, retrans_big = 0;
	FILE *jf;

	for (i = 1; i < (size_t)argc; i++) {
		if (strcmp(argv[i], "-n") == 0 && i + 1 < (size_t)argc) {
			char *end;
			long v = strtol(argv[++i], &end, 10);

			if (*end != '\0' || v < 1 || v > 100000)
				usage(argv[0]);
			n = (size_t)v;
		} else if (strcmp(argv[i], "--mtu") == 0 && i + 1 < (size_t)argc) {
			char *end;
			long v = strtol(argv[++i], &end, 10);

			if (*end != '\0' || v < 64 || v > (long)MTU_MAX)
				usage(argv[0]);
			mtu = (unsigned)v;
		} else if (strcmp(argv[i], "--json") == 0 && i + 1 < (size_t)argc)
			json = argv[++i];
		else if (strcmp(argv[i], "--pki") == 0 && i + 1 < (size_t)argc)
			pki_dir = argv[++i];
		else
			usage(argv[0]);
	}
	if (pki_dir == NULL) {
		top = getenv("top_srcdir");
		snprintf(pki_buf, sizeof(pki_buf), "%s/tests/pki/fixtures",
			 top != NULL ? top : ".");
		pki_dir = pki_buf;
	}

	pki.ca_len = load_crt(pki_dir, "ca.crt.der", &pki.ca);
	pki.gw_len = load_crt(pki_dir, "gw.crt.der", &pki.gw);
	pki.dev_len = load_crt(pki_dir, "dev-a.crt.der", &pki.dev);
	load_key(pki_dir, "gw.key.der", &pki.gw_key);
	load_key(pki_dir, "dev-a.key.der", &pki.dev_key);

	r = calloc(1, sizeof(*r));
	hs255[0] = calloc(n, sizeof(struct hs));
	hs255[1] = calloc(n, sizeof(struct hs));
	hsbig = calloc(n, sizeof(struct hs));
	tmp = calloc(2 * n, sizeof(double));
	r->lines[0].buf = malloc(LINE_CAP);
	r->lines[1].buf = malloc(LINE_CAP);
	if (r == NULL || hs255[0] == NULL || hs255[1] == NULL ||
	    hsbig == NULL || tmp == NULL || r->lines[0].buf == NULL ||
	    r->lines[1].buf == NULL) {
		fprintf(stderr, "dtls12: out of memory\n");
		return 1;
	}

	/* Handshake i runs with the same DRBG seeds at both baud rates and
	 * without MTU limit: the same randomness, so the configurations
	 * differ only in what they are meant to. */
	for (i = 0; i < n; i++) {
		for (b = 0; b < 2; b++) {
			struct hs *h = &hs255[b][i];

			run_setup(r, &pki, bauds[b], mtu, i);
			handshake(r);
			check_peers(r);
			analyse(r, h, NULL, 0);
			h->cpu_cli = r->cli.cpu_ms;
			h->cpu_srv = r->srv.cpu_ms;
			h->ms = r->now_ms;
			retrans[b] += h->retransmits;
			if (i == 0 && b == 0) {
				/* the table's flight breakdown, hello
				 * extensions, records and goodput */
				analyse(r, &first, fl, 8);
				printf("DTLS 1.2 baseline: mbedTLS %s, %s, MTU %u, "
				       "each datagram in one serguard frame\n",
				       MBEDTLS_VERSION_STRING,
				       mbedtls_ssl_get_ciphersuite(&r->cli.ssl),
				       mtu);
				if (mtu > SG_FRAME_DEFAULT_MAX_PAYLOAD)
					printf("NOTE: MTU %u: datagrams may exceed "
					       "serguard's default %u-byte frame "
					       "payload\n",
					       mtu, SG_FRAME_DEFAULT_MAX_PAYLOAD);
#ifdef SANITIZED
				printf("NOTE: built with AddressSanitizer; CPU "
				       "and time figures are not representative\n");
#endif
				printf("certificates (DER, leaf only in each "
				       "Certificate message): gw %zu B, dev-a %zu "
				       "B; CA %zu B (trust anchor, not sent)\n",
				       pki.gw_len, pki.dev_len, pki.ca_len);
				print_hello_ext(r, C2S, 1);
				print_hello_ext(r, S2C, 2);
				{
					unsigned char msg[256];
					size_t k, m;
					uint64_t st = 0xC0FFEEu;

					det_entropy(&st, msg, sizeof(msg));
					for (k = 0; k < 4; k++)
						record_once(r, msg, oh_sizes[k],
							    &oh_dgram[k],
							    &oh_wire[k]);
					for (k = 0; k < 2; k++) {
						size_t pay = 0, wire = 0, d, w;

						for (m = 0; m < STREAM_MSGS; m++) {
							det_entropy(&st, msg,
								    gp_sizes[k]);
							record_once(r, msg,
								    gp_sizes[k],
								    &d, &w);
							pay += gp_sizes[k];
							wire += w;
						}
						gp[k] = (double)pay / (double)wire;
						gp_bps[k] = gp[k] * bauds[0] / 10.0;
					}
				}
			}
			run_free(r);
		}
		run_setup(r, &pki, bauds[0], 0, i);
		handshake(r);
		check_peers(r);
		analyse(r, &hsbig[i], NULL, 0);
		retrans_big += hsbig[i].retransmits;
		run_free(r);
	}

	/* statistics over the MTU-255 handshakes at 115200 (bytes) and at
	 * both rates (CPU) */
	{
		const struct hs *hs = hs255[0];

		nh = n;
		FIELD(wire_c2s, h->wire[C2S]);
		FIELD(wire_s2c, h->wire[S2C]);
		FIELD(wire_tot, h->wire[C2S] + h->wire[S2C]);
		FIELD(dg_c2s, h->dgram[C2S]);
		FIELD(dg_s2c, h->dgram[S2C]);
		FIELD(dg_tot, h->dgram[C2S] + h->dgram[S2C]);
		FIELD(frames_c2s, h->frames[C2S]);
		FIELD(frames_s2c, h->frames[S2C]);
		FIELD(ms[0], h->ms);
		hs = hs255[1];
		FIELD(ms[1], h->ms);
		hs = hsbig;
		FIELD(big_tot, h->dgram[C2S] + h->dgram[S2C]);
	}
	for (i = 0; i < n; i++) {
		tmp[i] = hs255[0][i].cpu_cli;
		tmp[n + i] = hs255[1][i].cpu_cli;
	}
	cpu_cli = stat_of(tmp, 2 * n);
	for (i = 0; i < n; i++) {
		tmp[i] = hs255[0][i].cpu_srv;
		tmp[n + i] = hs255[1][i].cpu_srv;
	}
	cpu_srv = stat_of(tmp, 2 * n);

	printf("\nhandshake flights (handshake 1 of %zu, MTU %u):\n", n, mtu);
	printf("  %-2s %-4s %5s %-16s %4s %6s  %s\n", "#", "dir", "dgram",
	       "datagram B", "recs", "wire B", "messages");
	for (i = 0; i < first.flights && i < 8; i++)
		printf("  %-2zu %-4s %5zu %-16s %4zu %6zu  %s\n", i + 1,
		       fl[i].dir == C2S ? "c>s" : "s>c", fl[i].datagrams,
		       fl[i].sizes, fl[i].records, fl[i].wire, fl[i].msgs);

	printf("\n%-52s %10s %16s\n", "figure (median of handshakes)", "value",
	       "min..max");
#define ROW(label, s, unit)                                                    \
	printf("%-52s %10.0f %7.0f..%-7.0f %s\n", label, (s).med, (s).min,      \
	       (s).max, unit)
#define ROWF(label, s, unit)                                                   \
	printf("%-52s %10.2f %7.2f..%-7.2f %s\n", label, (s).med, (s).min,      \
	       (s).max, unit)
	ROW("handshake bytes on the wire, device->gateway", wire_c2s, "B");
	ROW("handshake bytes on the wire, gateway->device", wire_s2c, "B");
	ROW("handshake bytes on the wire, total (certs whole)", wire_tot, "B");
	ROW("  same, certificates by reference (n/a, whole)", wire_tot, "B");
	ROW("frames (= datagrams), device->gateway", frames_c2s, "");
	ROW("frames (= datagrams), gateway->device", frames_s2c, "");
	ROW("DTLS datagram bytes, device->gateway", dg_c2s, "B");
	ROW("DTLS datagram bytes, gateway->device", dg_s2c, "B");
	ROW("DTLS datagram bytes, total, at the MTU", dg_tot, "B");
	ROW("DTLS datagram bytes, total, unlimited MTU", big_tot, "B");
	printf("%-52s %10u\n", "flights", first.flights);
	printf("%-52s %10u\n", "messages (handshake messages + CCS)",
	       first.messages);
	printf("%-52s %10u\n", "records", first.records);
	printf("%-52s %10u\n", "round trips", (first.flights + 1) / 2);
	ROWF("CPU per handshake, device (client)", cpu_cli, "ms");
	ROWF("CPU per handshake, gateway (server)", cpu_srv, "ms");
	ROWF("handshake time at 9600 baud", ms[1], "ms");
	ROWF("handshake time at 115200 baud", ms[0], "ms");
	printf("%-52s %10u\n", "retransmissions seen at 115200 / 9600 baud",
	       retrans[0] + retrans[1]);

	printf("\n%-32s %6s %6s %6s %6s\n", "record overhead (payload B)", "1",
	       "16", "64", "200");
	printf("%-32s %6zu %6zu %6zu %6zu\n", "DTLS record bytes - payload",
	       oh_dgram[0] - 1, oh_dgram[1] - 16, oh_dgram[2] - 64,
	       oh_dgram[3] - 200);
	printf("%-32s %6zu %6zu %6zu %6zu\n", "wire bytes - payload (framed)",
	       oh_wire[0] - 1, oh_wire[1] - 16, oh_wire[2] - 64,
	       oh_wire[3] - 200);
	printf("\ngoodput, stream of %u messages one way at 115200 baud 8N1 "
	       "(%.0f B/s line):\n",
	       STREAM_MSGS, bauds[0] / 10.0);
	printf("  64 B messages:  %.3f (%.0f payload B/s)\n", gp[0], gp_bps[0]);
	printf("  200 B messages: %.3f (%.0f payload B/s)\n", gp[1], gp_bps[1]);

	printf("\nreference (mbedTLS 2.28.3, two 503-byte leaves, datagram "
	       "bytes): 1909 unlimited MTU, 2058 at MTU 256\n");
	printf("  ours, unlimited MTU: %.0f B; with 503-byte leaves instead "
	       "of %zu + %zu: %.0f B (%+.0f vs 1909)\n",
	       big_tot.med, pki.gw_len, pki.dev_len,
	       big_tot.med + 2.0 * REF_CERT - (double)(pki.gw_len + pki.dev_len),
	       big_tot.med + 2.0 * REF_CERT -
		       (double)(pki.gw_len + pki.dev_len) - 1909.0);

	printf("\ndefinitions:\n"
	       "  wire bytes: every byte of every frame written to the line "
	       "(COBS, 0x00\n"
	       "    delimiters, address, control, CRC-16 included), from the "
	       "ClientHello to\n"
	       "    the server's Finished, after which both sides can send "
	       "application data.\n"
	       "  by reference: mbedTLS 2.28 has no way to send a certificate "
	       "by reference\n"
	       "    (no RFC 7250 raw public keys, no RFC 7924 cached info); "
	       "the row repeats\n"
	       "    the whole-certificate figure. Session resumption is not a "
	       "first handshake.\n"
	       "  flights: runs of datagrams in one direction; round trips = "
	       "flights / 2,\n"
	       "    rounded up.\n"
	       "  CPU: thread CPU time of one side's mbedtls_ssl_handshake() "
	       "calls, framing\n"
	       "    included; median over the %zu handshakes at the MTU, both "
	       "rates.\n"
	       "  handshake time at B baud: sum over all frames of wire bytes "
	       "* 10 / B,\n"
	       "    plus both sides' CPU of that handshake. The flights "
	       "alternate and each one\n"
	       "    is sent only after the previous one was received and "
	       "processed, so line\n"
	       "    time and computation add up (an upper bound: it ignores a "
	       "receiver working\n"
	       "    on the first datagrams of a flight while the rest is on "
	       "the line; no bus\n"
	       "    turnaround or poll gaps are added). Median over %zu "
	       "handshakes each.\n"
	       "  record overhead: client->server application record: "
	       "datagram bytes minus\n"
	       "    payload (DTLS header 13, explicit nonce 8, CCM-8 tag 8), "
	       "and frame bytes\n"
	       "    minus payload.\n"
	       "  goodput: payload bytes / wire bytes of a stream of "
	       "application records in\n"
	       "    one direction, = payload rate / line byte rate (baud/10) "
	       "on a saturated line.\n",
	       2 * n, n);

	if (retrans[0] + retrans[1] + retrans_big != 0)
		printf("\nWARNING: retransmissions in %u handshakes' logs: the "
		       "byte figures include them\n",
		       retrans[0] + retrans[1] + retrans_big);

	if (json != NULL) {
		jf = fopen(json, "w");
		if (jf == NULL) {
			fprintf(stderr, "dtls12: %s: %s\n", json, strerror(errno));
			return 1;
		}
		fprintf(jf, "{\"protocol\":{\"dtls12\":{\n");
		fprintf(jf, "\"mbedtls_version\":\"%s\",\n", MBEDTLS_VERSION_STRING);
		fprintf(jf, "\"ciphersuite\":\"%s\",\n",
			mbedtls_ssl_get_ciphersuite_name(suites[0]));
		fprintf(jf, "\"mtu\":%u,\n", mtu);
		fprintf(jf, "\"handshakes\":%zu,\n", n);
		fprintf(jf, "\"handshake_completed\":true,\n");
		fprintf(jf, "\"cert_bytes_gw\":%zu,\n\"cert_bytes_dev\":%zu,\n",
			pki.gw_len, pki.dev_len);
		fprintf(jf, "\"handshake_bytes\":%.0f,\n", wire_tot.med);
		fprintf(jf, "\"handshake_bytes_c2s\":%.0f,\n", wire_c2s.med);
		fprintf(jf, "\"handshake_bytes_s2c\":%.0f,\n", wire_s2c.med);
		fprintf(jf, "\"handshake_bytes_by_reference\":%.0f,\n",
			wire_tot.med);
		fprintf(jf, "\"by_reference_supported\":false,\n");
		fprintf(jf, "\"handshake_frames_c2s\":%.0f,\n", frames_c2s.med);
		fprintf(jf, "\"handshake_frames_s2c\":%.0f,\n", frames_s2c.med);
		fprintf(jf, "\"handshake_datagram_bytes\":%.0f,\n", dg_tot.med);
		fprintf(jf, "\"handshake_datagram_bytes_c2s\":%.0f,\n", dg_c2s.med);
		fprintf(jf, "\"handshake_datagram_bytes_s2c\":%.0f,\n", dg_s2c.med);
		fprintf(jf, "\"handshake_datagram_bytes_unlimited_mtu\":%.0f,\n",
			big_tot.med);
		fprintf(jf, "\"flights\":%u,\n", first.flights);
		fprintf(jf, "\"messages\":%u,\n", first.messages);
		fprintf(jf, "\"round_trips\":%u,\n", (first.flights + 1) / 2);
		fprintf(jf, "\"retransmissions\":%u,\n",
			retrans[0] + retrans[1] + retrans_big);
		fprintf(jf, "\"handshake_ms_9600\":%.2f,\n", ms[1].med);
		fprintf(jf, "\"handshake_ms_115200\":%.2f,\n", ms[0].med);
		fprintf(jf, "\"cpu_ms_client\":%.3f,\n", cpu_cli.med);
		fprintf(jf, "\"cpu_ms_server\":%.3f,\n", cpu_srv.med);
		fprintf(jf, "\"record_overhead_bytes\":%zu,\n", oh_dgram[2] - 64);
		for (i = 0; i < 4; i++)
			fprintf(jf, "\"record_overhead_bytes_%zu\":%zu,\n",
				oh_sizes[i], oh_dgram[i] - oh_sizes[i]);
		for (i = 0; i < 4; i++)
			fprintf(jf, "\"record_overhead_wire_bytes_%zu\":%zu,\n",
				oh_sizes[i], oh_wire[i] - oh_sizes[i]);
		fprintf(jf, "\"goodput_64B\":%.4f,\n", gp[0]);
		fprintf(jf, "\"goodput_200B\":%.4f,\n", gp[1]);
		fprintf(jf, "\"goodput_64B_payload_Bps\":%.1f,\n", gp_bps[0]);
		fprintf(jf, "\"goodput_200B_payload_Bps\":%.1f\n", gp_bps[1]);
		fprintf(jf, "}}}\n");
		if (fclose(jf) != 0) {
			fprintf(stderr, "dtls12: %s: write failed\n", json);
			return 1;
		}
	}

	mbedtls_x509_crt_free(&pki.ca);
	mbedtls_x509_crt_free(&pki.gw);
	mbedtls_x509_crt_free(&pki.dev);
	mbedtls_pk_free(&pki.gw_key);
	mbedtls_pk_free(&pki.dev_key);
	free(r->lines[0].buf);
	free(r->lines[1].buf);
	free(r);
	free(hs255[0]);
	free(hs255[1]);
	free(hsbig);
	free(tmp);
	return 0;
}
