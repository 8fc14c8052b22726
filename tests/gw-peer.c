/*
 * gw-peer: a minimal serguard gateway for testing serguard-device without
 * the daemon. One sg_conn (side GATEWAY) per device over a serial port or
 * pty, scripted from the command line, printing what it sees.
 *
 * It drives the engines the way the daemon will:
 * - input: ONE frame decoder for the whole line (direction "from
 *   device", any address); each good frame goes to the engine of its
 *   address with sg_conn_frame_push() (engines have no decoder of their
 *   own: frame_rx = NULL);
 * - RS232: whatever the engine wants to send is written at once;
 * - RS485: the gateway is the bus master. Devices are polled in turn:
 *   the polled device's engine gives one frame (a record, a handshake
 *   fragment), or the scheduler sends an empty POLL; then it waits for
 *   exactly one answer frame from that address, or the response timeout
 *   (--response-timeout, default 500 ms, plus the line time of both
 *   frames at --baud), and moves on. Any frame from another address, or
 *   a second frame, is a violation of the bus discipline and counted
 *   ("unpolled"); only the answer of a turn that just timed out, before
 *   anything else arrived, is counted as "late" instead.
 *
 * Tests read its stdout: "established ADDR ...", "rx ADDR TEXT",
 * "progress ADDR N" and, at the end, one "dev ADDR key=value ..." line
 * per device and one "bus key=value ..." line. Exit status 0 when every
 * goal was met (sessions up, echoes back, no bus violation), 1 when not,
 * 2 for usage errors.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "serguard/conn.h"
#include "serguard/crypto.h"

#include "../device/cred.h"
#include "../device/port.h"

#define MAXP 255u
#define MAX_DEV 16
#define MAX_SEND 32
#define MAX_KNOWN 8
#define MAX_COUNT 100000u

enum echo_state { E_UNSENT = 0, E_OUT, E_OK, E_LOST };

struct echo {
	uint8_t state;
	uint64_t sent_ms;
};

struct gdev {
	uint8_t addr;
	char cn[65];
	struct sg_cert_store *store;
	struct sg_conn c;
	unsigned char wire_tx[SG_FRAME_ENCODED_MAX(MAXP)];
	unsigned char scratch[MAXP];
	unsigned char hs_rx[4096], hs_tx[4096];
	unsigned char app_rx[SG_MSGQ_BUF_LEN(64, MAXP)];
	unsigned char app_tx[SG_MSGQ_BUF_LEN(64, MAXP)];

	struct echo *echo;
	uint32_t next_seq, outstanding;
	uint64_t last_send_ms;
	size_t next_script;
	bool was_up;
	uint64_t up_ms;		 /* first establishment, ms after start */
	uint64_t hs_bytes;	 /* line bytes (both ways) until then */
	uint32_t ups;
	uint32_t echo_ok, echo_lost, echo_bad, echo_late, msgs_in;
	uint64_t rtt_min, rtt_max, rtt_sum;
	uint32_t polls, no_answer, unpolled, late, frames_in;
};

struct peer {
	const char *port;
	bool bus;
	unsigned baud;
	uint32_t count, window, min_replies;
	bool min_set;
	const char *text;
	uint32_t msg_timeout_ms, send_interval_ms;
	uint32_t run_ms, timeout_ms, duration_ms, resp_ms, quiet_ms, rto_ms, gap_ms;
	bool progress;
	enum sg_edhoc_idcred id_cred;
	struct {
		uint8_t addr;
		const char *text;
	} script[MAX_SEND];
	size_t n_script;
	struct cred cred;
	unsigned char ca[CRED_CERT_MAX];
	size_t ca_len;
	unsigned char known[MAX_KNOWN][CRED_CERT_MAX];
	size_t known_len[MAX_KNOWN], n_known;
	struct sg_cert_store store;
	struct gdev dev[MAX_DEV];
	size_t n_dev;

	int fd;
	uint64_t t0_ns;
	uint64_t bytes_in, bytes_out;
	struct sg_frame_decoder dec;
	unsigned char dec_buf[SG_FRAME_DECODE_BUF_LEN(MAXP)];
	uint64_t last_byte_ms;
	/* bus scheduler */
	size_t turn;		/* device being polled */
	size_t timed_out;	/* device whose last turn ended unanswered, or SIZE_MAX */
	bool turn_open;
	bool rested;		/* the idle gap after the last round was taken */
	bool turn_got_data;	/* an answer other than POLL came this round */
	uint64_t turn_deadline;
	uint64_t round_idle_until;
	uint32_t unknown_addr;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t mono_ms(const struct peer *p)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return ((uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec - p->t0_ns) / 1000000u;
}

static int rng(void *ctx, unsigned char *buf, size_t len)
{
	(void)ctx;
	while (len > 0) {
		ssize_t n = getrandom(buf, len, 0);

		if (n <= 0)
			return SG_ERNG;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int check_device(void *ctx, const struct sg_peer_cert *peer)
{
	const struct gdev *d = ctx;

	return strcmp(peer->id.subject_cn, d->cn) == 0 && !peer->id.truncated ? 0 : SG_EIDENTITY;
}

static int lookup(void *ctx, enum sg_edhoc_idcred kind, const unsigned char *ref,
		  size_t ref_len, const unsigned char **cred, size_t *len)
{
	struct peer *p = ctx;
	unsigned char h[SG_SHA256_LEN];
	size_t i;

	if (kind != SG_EDHOC_ID_X5T || ref_len > sizeof(h))
		return -1;
	for (i = 0; i < p->n_known; i++) {
		if (sg_sha256(p->known[i], p->known_len[i], h) == 0 &&
		    memcmp(h, ref, ref_len) == 0) {
			*cred = p->known[i];
			*len = p->known_len[i];
			return 0;
		}
	}
	return -1;
}

static void quote(const unsigned char *m, size_t n, char *out, size_t cap)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 5 < cap; i++) {
		if (m[i] >= 0x20 && m[i] < 0x7f && m[i] != '\\')
			out[o++] = (char)m[i];
		else
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", m[i]);
	}
	out[o] = '\0';
}

static int engine_init(struct peer *p, struct gdev *d)
{
	struct sg_conn_config k;
	struct sg_conn_buffers b;
	struct timespec t;

	memset(&k, 0, sizeof(k));
	k.side = SG_CONN_GATEWAY;
	k.start = p->bus ? SG_CONN_START_GATEWAY : SG_CONN_START_EITHER;
	k.addr = d->addr;
	k.hs_rto_ms = p->rto_ms;
	/* record freshness as serguardd and serguard-device default to it */
	sg_record_config_default(&k.record, 8, d->addr, SG_FRAME_FROM_GATEWAY);
	k.record.freshness = true;
	k.record.max_age_ms = 5000;
	k.edhoc.method = SG_EDHOC_METHOD_SIG;
	k.edhoc.cred.type = SG_EDHOC_CRED_X509;
	k.edhoc.cred.bytes = p->cred.cert;
	k.edhoc.cred.len = p->cred.cert_len;
	k.edhoc.id_cred = p->id_cred;
	k.edhoc.priv = p->cred.key;
	k.edhoc.store = &p->store;
	clock_gettime(CLOCK_REALTIME, &t);
	k.edhoc.cert_policy.now = (int64_t)t.tv_sec;
	k.edhoc.cert_policy.role = SG_ROLE_DEVICE;
	k.edhoc.check_identity = check_device;
	k.edhoc.identity_ctx = d;
	if (p->n_known > 0) {
		k.edhoc.lookup = lookup;
		k.edhoc.lookup_ctx = p;
	}
	k.edhoc.rng = rng;
	memset(&b, 0, sizeof(b));
	b.wire_tx = d->wire_tx;
	b.wire_tx_len = sizeof(d->wire_tx);
	b.scratch = d->scratch;
	b.scratch_len = sizeof(d->scratch);
	b.hs_rx = d->hs_rx;
	b.hs_rx_len = sizeof(d->hs_rx);
	b.hs_tx = d->hs_tx;
	b.hs_tx_len = sizeof(d->hs_tx);
	b.app_rx = d->app_rx;
	b.app_rx_len = sizeof(d->app_rx);
	b.app_tx = d->app_tx;
	b.app_tx_len = sizeof(d->app_tx);
	return sg_conn_init(&d->c, &k, &b, 0);
}

/* Write a whole frame (the pty takes it at once; wait if it is full). */
static int write_all(struct peer *p, const unsigned char *b, size_t n)
{
	while (n > 0) {
		ssize_t w = write(p->fd, b, n);

		if (w > 0) {
			b += w;
			n -= (size_t)w;
			p->bytes_out += (uint64_t)w;
			continue;
		}
		if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
			struct pollfd pfd = {.fd = p->fd, .events = POLLOUT};

			(void)poll(&pfd, 1, 100);
			continue;
		}
		return -1;
	}
	return 0;
}

static struct gdev *dev_of(struct peer *p, uint8_t addr)
{
	size_t i;

	for (i = 0; i < p->n_dev; i++)
		if (p->dev[i].addr == addr)
			return &p->dev[i];
	return NULL;
}

static void echo_check(struct peer *p, struct gdev *d, const unsigned char *m, size_t n,
		       uint64_t now)
{
	char want[MAXP + 1];
	unsigned a, seq;
	const char *h;
	char got[MAXP + 1];

	memcpy(got, m, n);
	got[n] = '\0';
	h = strrchr(got, '#');
	if (memchr(m, 0, n) != NULL || h == NULL || sscanf(h, "#%u.%u", &a, &seq) != 2 ||
	    a != d->addr || seq >= p->count) {
		d->echo_bad++;
		return;
	}
	snprintf(want, sizeof(want), "%s #%u.%u", p->text, a, seq);
	if (strcmp(want, got) != 0) {
		d->echo_bad++;
		return;
	}
	switch (d->echo[seq].state) {
	case E_OUT: {
		uint64_t rtt = now - d->echo[seq].sent_ms;

		d->echo[seq].state = E_OK;
		d->outstanding--;
		d->echo_ok++;
		d->rtt_sum += rtt;
		if (d->echo_ok == 1 || rtt < d->rtt_min)
			d->rtt_min = rtt;
		if (rtt > d->rtt_max)
			d->rtt_max = rtt;
		if (p->progress && d->echo_ok % 10 == 0) {
			printf("progress %u %u\n", d->addr, d->echo_ok);
			fflush(stdout);
		}
		break;
	}
	case E_LOST:
		d->echo_late++;
		break;
	default:
		d->echo_bad++; /* a duplicate, or never sent */
		break;
	}
}

/* Application side: what arrived, what to send, what timed out. */
static void app_service(struct peer *p, struct gdev *d, uint64_t now)
{
	unsigned char m[MAXP];
	char q[4 * MAXP + 1];
	unsigned st = sg_conn_status(&d->c);
	size_t n;
	uint32_t i;

	if ((st & SG_CONN_ESTABLISHED) && !d->was_up) {
		const struct sg_peer_cert *pc = sg_conn_peer(&d->c);

		d->ups++;
		if (d->ups == 1) {
			d->up_ms = now;
			d->hs_bytes = p->bytes_in + p->bytes_out;
		}
		printf("established %u cn=%s n=%u ms=%llu\n", d->addr,
		       pc != NULL ? pc->id.subject_cn : "?", d->ups, (unsigned long long)now);
		fflush(stdout);
	}
	d->was_up = (st & SG_CONN_ESTABLISHED) != 0;
	while (sg_conn_recv(&d->c, m, sizeof(m), &n) == 0) {
		d->msgs_in++;
		if (p->count > 0) {
			echo_check(p, d, m, n, now);
		} else {
			quote(m, n, q, sizeof(q));
			printf("rx %u %s\n", d->addr, q);
			fflush(stdout);
		}
	}
	if (!d->was_up)
		return;
	while (d->next_script < p->n_script) {
		size_t j = d->next_script;

		if (p->script[j].addr == d->addr &&
		    sg_conn_send(&d->c, p->script[j].text, strlen(p->script[j].text), now) != 0)
			break;
		d->next_script++;
	}
	while (d->next_seq < p->count && d->outstanding < p->window &&
	       now - d->last_send_ms >= p->send_interval_ms) {
		char t[MAXP + 1];
		int len = snprintf(t, sizeof(t), "%s #%u.%u", p->text, d->addr, d->next_seq);

		if (len < 0 || (size_t)len > sg_conn_max_message(&d->c) ||
		    sg_conn_send(&d->c, t, (size_t)len, now) != 0)
			break;
		d->echo[d->next_seq].state = E_OUT;
		d->echo[d->next_seq].sent_ms = now;
		d->next_seq++;
		d->outstanding++;
		d->last_send_ms = now;
	}
	for (i = 0; i < d->next_seq; i++) {
		if (d->echo[i].state == E_OUT && now - d->echo[i].sent_ms > p->msg_timeout_ms) {
			d->echo[i].state = E_LOST;
			d->outstanding--;
			d->echo_lost++;
		}
	}
}

static void frame_in(struct peer *p, const struct sg_frame *f, uint64_t now)
{
	struct gdev *d = dev_of(p, f->addr);

	if (d == NULL) {
		p->unknown_addr++;
		return;
	}
	d->frames_in++;
	if (p->bus) {
		if (p->turn_open && &p->dev[p->turn] == d) {
			p->turn_open = false;
			if (f->kind != SG_FRAME_POLL)
				p->turn_got_data = true;
		} else if (p->timed_out < p->n_dev && &p->dev[p->timed_out] == d) {
			/* the answer to a turn that timed out (a loaded test
			 * machine): late, not unasked */
			d->late++;
		} else {
			d->unpolled++;
		}
		p->timed_out = SIZE_MAX;
	}
	sg_conn_frame_push(&d->c, f, now);
}

static int read_line(struct peer *p, uint64_t now)
{
	unsigned char buf[512];

	for (;;) {
		ssize_t r = read(p->fd, buf, sizeof(buf));
		size_t off = 0, used;
		struct sg_frame f;

		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (r <= 0)
			return -1;
		p->bytes_in += (uint64_t)r;
		if (sg_frame_decoder_busy(&p->dec) && now - p->last_byte_ms > 200)
			sg_frame_decoder_abort(&p->dec);
		p->last_byte_ms = now;
		while (off < (size_t)r) {
			if (sg_frame_decoder_push(&p->dec, buf + off, (size_t)r - off, &used, &f) == 1)
				frame_in(p, &f, now);
			off += used;
		}
	}
}

static uint64_t line_ms(const struct peer *p, size_t bytes)
{
	return p->baud == 0 ? 0 : (uint64_t)bytes * 10000u / p->baud + 1;
}

/* RS485: open the next device's turn. */
static int bus_turn(struct peer *p, uint64_t now)
{
	unsigned char poll_frame[SG_FRAME_ENCODED_MAX(0)];
	const unsigned char *f;
	struct gdev *d;
	size_t n;

	if (p->turn_open || now < p->round_idle_until)
		return 0;
	if (p->turn == p->n_dev - 1) {
		/* a round ends; if nobody had anything, let the line rest */
		if (!p->turn_got_data && p->gap_ms > 0 && !p->rested) {
			p->round_idle_until = now + p->gap_ms;
			p->rested = true;
			return 0;
		}
		p->rested = false;
		p->turn_got_data = false;
	}
	p->turn = (p->turn + 1) % p->n_dev;
	d = &p->dev[p->turn];
	n = sg_conn_wire_peek(&d->c, &f, now);
	if (n > 0) {
		if (write_all(p, f, n) != 0)
			return -1;
		sg_conn_wire_ack(&d->c, n);
		p->turn_got_data = true;
	} else {
		if (sg_frame_encode(poll_frame, sizeof(poll_frame), &n, d->addr,
				    SG_FRAME_FROM_GATEWAY | SG_FRAME_POLL, NULL, 0) != 0 ||
		    write_all(p, poll_frame, n) != 0)
			return -1;
	}
	d->polls++;
	p->turn_open = true;
	/* our frame and the longest answer both cross the line */
	p->turn_deadline = now + p->resp_ms + line_ms(p, n + SG_FRAME_ENCODED_MAX(MAXP));
	return 0;
}

static bool goals_met(const struct peer *p, uint64_t now, uint64_t *all_up)
{
	size_t i;

	for (i = 0; i < p->n_dev; i++) {
		const struct gdev *d = &p->dev[i];

		if (d->ups == 0)
			return false;
		if (d->next_seq < p->count || d->outstanding > 0)
			return false;
		if (d->next_script < p->n_script)
			return false;
	}
	if (*all_up == 0)
		*all_up = now;
	return now - *all_up >= p->run_ms;
}

static void usage(FILE *f)
{
	fputs("usage: gw-peer --port PATH --ca CA.der --cert GWBASE --device ADDR:CN ...\n"
	      "  [--mode rs232|rs485] [--count N] [--window W] [--text T] [--min-replies N]\n"
	      "  [--msg-timeout MS] [--send-interval MS] [--send ADDR:TEXT]... [--run-ms MS]\n"
	      "  [--timeout-ms MS] [--duration MS] [--response-timeout MS] [--baud N]\n"
	      "  [--quiet-check MS] [--rto MS] [--poll-gap MS] [--progress]\n"
	      "  [--id-cred x5chain|x5t] [--peer-cert DEV.crt.der]...\n",
	      f);
}

static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v > UINT32_MAX || s[0] == '-')
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int parse_args(struct peer *p, int argc, char **argv)
{
	static const struct option lo[] = {
		{"port", 1, NULL, 'p'},		 {"mode", 1, NULL, 'm'},
		{"ca", 1, NULL, 'a'},		 {"cert", 1, NULL, 'c'},
		{"device", 1, NULL, 'd'},	 {"count", 1, NULL, 'n'},
		{"window", 1, NULL, 'w'},	 {"text", 1, NULL, 't'},
		{"min-replies", 1, NULL, 'M'},	 {"msg-timeout", 1, NULL, 'T'},
		{"send-interval", 1, NULL, 'i'}, {"send", 1, NULL, 's'},
		{"run-ms", 1, NULL, 'r'},	 {"timeout-ms", 1, NULL, 'o'},
		{"duration", 1, NULL, 'D'},	 {"response-timeout", 1, NULL, 'R'},
		{"baud", 1, NULL, 'b'},		 {"quiet-check", 1, NULL, 'q'},
		{"rto", 1, NULL, 'x'},		 {"poll-gap", 1, NULL, 'g'},
		{"progress", 0, NULL, 'P'},	 {"id-cred", 1, NULL, 'I'},
		{"peer-cert", 1, NULL, 'K'},	 {"help", 0, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *ca = NULL, *cert = NULL;
	char err[512], warn[512];
	uint32_t v;
	int ch;

	p->window = 4;
	p->text = "msg";
	p->msg_timeout_ms = 3000;
	p->timeout_ms = 30000;
	p->resp_ms = 500;
	p->gap_ms = 2;
	p->id_cred = SG_EDHOC_ID_X5CHAIN;
	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (ch) {
		case 'p':
			p->port = optarg;
			break;
		case 'm':
			if (strcmp(optarg, "rs485") != 0 && strcmp(optarg, "rs232") != 0)
				return -1;
			p->bus = strcmp(optarg, "rs485") == 0;
			break;
		case 'a':
			ca = optarg;
			break;
		case 'c':
			cert = optarg;
			break;
		case 'd': {
			char *end;
			unsigned long a = strtoul(optarg, &end, 10);

			if (end == optarg || *end != ':' || a < 1 || a > 254 || p->n_dev == MAX_DEV ||
			    strlen(end + 1) == 0 || strlen(end + 1) >= sizeof(p->dev[0].cn))
				return -1;
			p->dev[p->n_dev].addr = (uint8_t)a;
			snprintf(p->dev[p->n_dev].cn, sizeof(p->dev[0].cn), "%s", end + 1);
			p->n_dev++;
			break;
		}
		case 'n':
			if (parse_u32(optarg, &p->count) != 0 || p->count > MAX_COUNT)
				return -1;
			break;
		case 'w':
			if (parse_u32(optarg, &p->window) != 0 || p->window == 0)
				return -1;
			break;
		case 't':
			p->text = optarg;
			break;
		case 'M':
			if (parse_u32(optarg, &p->min_replies) != 0)
				return -1;
			p->min_set = true;
			break;
		case 'T':
			if (parse_u32(optarg, &p->msg_timeout_ms) != 0)
				return -1;
			break;
		case 'i':
			if (parse_u32(optarg, &p->send_interval_ms) != 0)
				return -1;
			break;
		case 's': {
			const char *c = strchr(optarg, ':');

			if (c == NULL || p->n_script == MAX_SEND)
				return -1;
			p->script[p->n_script].addr = (uint8_t)strtoul(optarg, NULL, 10);
			p->script[p->n_script].text = c + 1;
			p->n_script++;
			break;
		}
		case 'r':
			if (parse_u32(optarg, &p->run_ms) != 0)
				return -1;
			break;
		case 'o':
			if (parse_u32(optarg, &p->timeout_ms) != 0)
				return -1;
			break;
		case 'D':
			if (parse_u32(optarg, &p->duration_ms) != 0)
				return -1;
			break;
		case 'R':
			if (parse_u32(optarg, &p->resp_ms) != 0)
				return -1;
			break;
		case 'b':
			if (parse_u32(optarg, &v) != 0)
				return -1;
			p->baud = v;
			break;
		case 'q':
			if (parse_u32(optarg, &p->quiet_ms) != 0)
				return -1;
			break;
		case 'x':
			if (parse_u32(optarg, &p->rto_ms) != 0)
				return -1;
			break;
		case 'g':
			if (parse_u32(optarg, &p->gap_ms) != 0)
				return -1;
			break;
		case 'P':
			p->progress = true;
			break;
		case 'I':
			if (strcmp(optarg, "x5t") == 0)
				p->id_cred = SG_EDHOC_ID_X5T;
			else if (strcmp(optarg, "x5chain") == 0)
				p->id_cred = SG_EDHOC_ID_X5CHAIN;
			else
				return -1;
			break;
		case 'K':
			if (p->n_known == MAX_KNOWN ||
			    cred_read_file(optarg, p->known[p->n_known], CRED_CERT_MAX,
					   &p->known_len[p->n_known], err, sizeof(err)) != 0)
				return -1;
			p->n_known++;
			break;
		default:
			return -1;
		}
	}
	if (optind < argc || p->port == NULL || ca == NULL || cert == NULL || p->n_dev == 0 ||
	    (!p->bus && p->n_dev != 1))
		return -1;
	if (!p->min_set)
		p->min_replies = p->count;
	if (cred_read_file(ca, p->ca, sizeof(p->ca), &p->ca_len, err, sizeof(err)) != 0 ||
	    cred_load(&p->cred, cert, err, sizeof(err), warn, sizeof(warn)) != 0) {
		fprintf(stderr, "gw-peer: %s\n", err);
		return -1;
	}
	return 0;
}

static void summary(struct peer *p, uint64_t quiet_bytes, bool quiet_done)
{
	size_t i;

	for (i = 0; i < p->n_dev; i++) {
		struct gdev *d = &p->dev[i];
		struct sg_conn_stats s;
		const struct sg_peer_cert *pc = sg_conn_peer(&d->c);

		sg_conn_get_stats(&d->c, &s);
		printf("dev %u cn=%s established=%d ups=%u hs_completed=%u hs_failed=%u "
		       "hs_retransmits=%u hs_peer_errors=%u last_hs_error=%s handshake_ms=%llu "
		       "hs_bytes=%llu echo_sent=%u echo_ok=%u echo_lost=%u echo_late=%u "
		       "echo_bad=%u rtt_min_ms=%llu rtt_avg_ms=%llu rtt_max_ms=%llu msgs_in=%u "
		       "polls=%u no_answer=%u unpolled=%u late=%u frames_in=%u requests_received=%u "
		       "closes=%u records_no_session=%u bad_tag=%u\n",
		       d->addr, pc != NULL ? pc->id.subject_cn : "-", pc != NULL ? 1 : 0, d->ups,
		       s.hs_completed, s.hs_failed, s.hs_retransmits, s.hs_peer_errors,
		       s.last_hs_error != 0 ? sg_errname(s.last_hs_error) : "0",
		       (unsigned long long)d->up_ms, (unsigned long long)d->hs_bytes,
		       d->next_seq, d->echo_ok, d->echo_lost, d->echo_late, d->echo_bad,
		       (unsigned long long)d->rtt_min,
		       (unsigned long long)(d->echo_ok > 0 ? d->rtt_sum / d->echo_ok : 0),
		       (unsigned long long)d->rtt_max, d->msgs_in, d->polls, d->no_answer,
		       d->unpolled, d->late, d->frames_in, s.requests_received, s.closes,
		       s.records_no_session, s.record.bad_tag);
	}
	printf("bus bytes_in=%llu bytes_out=%llu unknown_addr=%u bad_crc=%u quiet_check=%d "
	       "quiet_bytes=%llu\n",
	       (unsigned long long)p->bytes_in, (unsigned long long)p->bytes_out,
	       p->unknown_addr, p->dec.stats.bad_crc, quiet_done ? 1 : 0,
	       (unsigned long long)quiet_bytes);
	fflush(stdout);
}

static int verdict(const struct peer *p, uint64_t quiet_bytes)
{
	int ok = 1;
	size_t i;

	for (i = 0; i < p->n_dev; i++) {
		const struct gdev *d = &p->dev[i];

		if (d->ups == 0 || d->echo_ok < p->min_replies || d->echo_bad > 0 ||
		    d->unpolled > 0 || d->next_script < p->n_script)
			ok = 0;
	}
	if (quiet_bytes > 0 || p->unknown_addr > 0)
		ok = 0;
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	static struct peer pr;
	struct peer *p = &pr;
	struct sigaction sa;
	struct timespec t;
	uint64_t all_up = 0, quiet_bytes = 0;
	bool quiet_done = false, timed_out = false;
	char err[512];
	size_t i;
	int rc;

	if (parse_args(p, argc, argv) != 0) {
		usage(stderr);
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	clock_gettime(CLOCK_MONOTONIC, &t);
	p->t0_ns = (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;

	if (sg_cert_store_init(&p->store) != 0 ||
	    sg_cert_store_add_ca(&p->store, p->ca, p->ca_len) != 0) {
		fputs("gw-peer: cannot load the CA\n", stderr);
		return 2;
	}
	sg_frame_decoder_init(&p->dec, p->dec_buf, sizeof(p->dec_buf), MAXP,
			      SG_FRAME_FROM_DEVICE, 0);
	for (i = 0; i < p->n_dev; i++) {
		struct gdev *d = &p->dev[i];

		d->echo = calloc(p->count > 0 ? p->count : 1, sizeof(*d->echo));
		if (d->echo == NULL || (rc = engine_init(p, d)) != 0) {
			fprintf(stderr, "gw-peer: engine %u: %s\n", d->addr,
				d->echo == NULL ? "out of memory" : sg_strerror(rc));
			return 2;
		}
	}
	p->fd = port_open(p->port, 0, err, sizeof(err));
	if (p->fd < 0) {
		fprintf(stderr, "gw-peer: %s\n", err);
		return 2;
	}
	for (i = 0; i < p->n_dev; i++)
		sg_conn_start(&p->dev[i].c, 0);
	p->turn = p->n_dev - 1;
	p->timed_out = SIZE_MAX;

	while (!stop) {
		uint64_t now = mono_ms(p), next = now + 50;
		struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
		int timeout;

		if (p->duration_ms > 0 ? now >= p->duration_ms : goals_met(p, now, &all_up))
			break;
		if (p->duration_ms == 0 && now >= p->timeout_ms) {
			timed_out = true;
			break;
		}
		for (i = 0; i < p->n_dev; i++) {
			struct gdev *d = &p->dev[i];

			if (sg_conn_deadline(&d->c) <= now)
				sg_conn_tick(&d->c, now);
			app_service(p, d, now);
		}
		if (p->bus) {
			if (p->turn_open && now >= p->turn_deadline) {
				p->dev[p->turn].no_answer++;
				p->turn_open = false;
				p->timed_out = p->turn;
			}
			if (bus_turn(p, now) != 0)
				break;
			if (p->turn_open && p->turn_deadline < next)
				next = p->turn_deadline;
			if (!p->turn_open && p->round_idle_until > now && p->round_idle_until < next)
				next = p->round_idle_until;
		} else {
			struct gdev *d = &p->dev[0];
			const unsigned char *f;
			size_t n;

			while ((n = sg_conn_wire_peek(&d->c, &f, now)) > 0) {
				if (write_all(p, f, n) != 0)
					break;
				sg_conn_wire_ack(&d->c, n);
			}
		}
		for (i = 0; i < p->n_dev; i++) {
			const struct gdev *d = &p->dev[i];
			uint64_t dl = sg_conn_deadline(&d->c);

			if (dl < next)
				next = dl;
			/* the next echo message, when --send-interval allows */
			if (d->was_up && d->next_seq < p->count && d->outstanding < p->window &&
			    d->last_send_ms + p->send_interval_ms < next)
				next = d->last_send_ms + p->send_interval_ms;
			if (sg_conn_status(&p->dev[i].c) & SG_CONN_READABLE)
				next = now;
		}
		timeout = next > now ? (int)(next - now) : 0;
		if (poll(&pfd, 1, timeout) > 0 && read_line(p, mono_ms(p)) != 0) {
			fputs("gw-peer: port hung up\n", stderr);
			break;
		}
	}
	/* answers still outstanding count as lost */
	for (i = 0; i < p->n_dev; i++) {
		struct gdev *d = &p->dev[i];
		uint32_t k;

		for (k = 0; k < d->next_seq; k++)
			if (d->echo[k].state == E_OUT) {
				d->echo[k].state = E_LOST;
				d->echo_lost++;
			}
	}
	if (p->quiet_ms > 0 && !timed_out && !stop) {
		/* first the answer to the last poll (or its late arrival) */
		uint64_t before, end = mono_ms(p) + 2000;

		while ((p->turn_open || p->timed_out != SIZE_MAX) && mono_ms(p) < end) {
			struct pollfd pfd = {.fd = p->fd, .events = POLLIN};

			if (poll(&pfd, 1, 10) > 0 && read_line(p, mono_ms(p)) != 0)
				break;
			if (p->turn_open && mono_ms(p) >= p->turn_deadline) {
				p->dev[p->turn].no_answer++;
				p->turn_open = false;
				p->timed_out = p->turn;
			}
		}
		/* then nobody is polled: a bus device must stay silent */
		before = p->bytes_in;
		end = mono_ms(p) + p->quiet_ms;

		while (mono_ms(p) < end) {
			struct pollfd pfd = {.fd = p->fd, .events = POLLIN};

			if (poll(&pfd, 1, (int)(end - mono_ms(p))) > 0 &&
			    read_line(p, mono_ms(p)) != 0)
				break;
		}
		quiet_bytes = p->bytes_in - before;
		quiet_done = true;
	}
	if (timed_out)
		printf("timeout after %u ms\n", p->timeout_ms);
	summary(p, quiet_bytes, quiet_done);
	rc = p->duration_ms > 0 ? 0 : (timed_out ? 1 : verdict(p, quiet_bytes));
	for (i = 0; i < p->n_dev; i++) {
		sg_conn_wipe(&p->dev[i].c);
		free(p->dev[i].echo);
	}
	sg_cert_store_free(&p->store);
	cred_wipe(&p->cred);
	close(p->fd);
	return rc;
}
