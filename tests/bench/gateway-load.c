/*
 * gateway-load: serguardd at scale. One process plays every field device:
 * it opens the pty pairs itself, hands the slave paths to serguardd as
 * RS485 ports with 4 devices each, runs one device engine (sg_conn) per
 * device on the master ends from one epoll loop, and is the local client
 * of every device socket. For each size it measures:
 *   - bring-up: serguardd started cold until its metrics show every
 *     session up; handshakes/s = sessions / that time;
 *   - resident memory of serguardd after bring-up (before any client);
 *   - added latency at a paced 1,000 messages/s in total, each way:
 *     up = last byte of the record's frame written to the pty master ->
 *     readable on the device socket; down = sent on the socket -> the
 *     device engine delivers it (includes waiting for the device's turn
 *     on its bus). Ptys have no line time, so none is included;
 *   - saturation: every client and every device engine send as fast as
 *     backpressure allows; messages/s delivered in total, serguardd's CPU
 *     per 1,000 messages (utime + stime from /proc) and our own CPU.
 *
 * Implementation notes:
 * - Every device needs its own identity (serguard.conf(5): two devices
 *   may not share one), so the program issues one certificate per
 *   device (CN dNNNN) with mbedTLS, signed by the test CA, all on the
 *   key of dev-a (the same key in many certificates costs the benchmark
 *   nothing and the gateway cannot tell).
 * - Each device engine gets the port's bytes (wire_push); it keeps only
 *   frames with its address. A device answers one frame per poll, so a
 *   record's t0 is when the frame that carried it has been written.
 *   Which messages a frame carried is known from the engine's app_out
 *   counter around wire_peek (one record per message).
 * - Benchmarks print figures; --check makes the exit status say whether
 *   every session came up and every message of the paced phase arrived
 *   (never timings).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/bignum.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "serguard/conn.h"

#define PER_PORT 4
#define MSG_LEN 32
#define QCAP 32 /* ids queued in one device engine (>= its send queue) */
#define OUTBUF 8192

enum { EV_MASTER = 1, EV_CLIENT = 2 };

struct port;

struct dev {
	struct sg_conn c;
	struct port *port;
	unsigned idx;
	uint8_t addr;
	int cfd;
	unsigned char cert[600];
	size_t cert_len;
	unsigned char frame_rx[SG_FRAME_DECODE_BUF_LEN(255)];
	unsigned char wire_tx[SG_FRAME_ENCODED_MAX(255)];
	unsigned char scratch[255];
	unsigned char hs_rx[1500], hs_tx[1500];
	unsigned char app_rx[SG_MSGQ_BUF_LEN(8, 255)];
	unsigned char app_tx[SG_MSGQ_BUF_LEN(8, 255)];
	/* ids of up messages queued in the engine, then sealed and unstamped */
	uint32_t q[QCAP];
	unsigned q_head, q_len, q_sealed;
	uint32_t app_out_seen;
	bool client_blocked;
	bool work_queued;
};

struct port {
	int mfd;
	char slave[64];
	struct dev *devs[PER_PORT];
	unsigned ndev;
	unsigned char out[OUTBUF];
	size_t out_len;
	bool want_out;
};

struct run {
	unsigned ndev, nport;
	struct dev *devs;
	struct port *ports;
	int ep;
	char tmp[256];
	pid_t pid;
	/* paced phase */
	bool pacing, saturating, stopping;
	unsigned *work; /* devices with a handshake step to compute */
	unsigned work_head, work_len;
	uint64_t *t_send; /* ns, per message id */
	uint64_t *lat_up, *lat_down;
	size_t n_up, n_down, sent_up, sent_down;
	uint32_t n_ids;
	/* saturation counters */
	uint64_t sat_up, sat_down;
	/* figures */
	double settle_s;
	unsigned renewals;
	double bringup_s, hs_per_s, rss_total, rss_per_session;
	double up_p50, up_p99, down_p50, down_p99, all_p50, all_p99;
	double msgs_per_s, cpu_ms_per_1000, self_cpu_share, daemon_cpu_share;
	bool ok;
};

static const char *top_srcdir = "..";
static const char *gwd_path, *sock_dir_hint;
static unsigned opt_poll_ms = 100; /* the daemon's default */
static double opt_lat_s = 5.0, opt_sat_s = 5.0;
static unsigned opt_rate = 1000;
/* one process answers for every device: more patience than one MCU needs */
static unsigned opt_resp_ms = 1000;
static bool opt_check;
static bool opt_verbose;

/* shared credentials of the device side */
static unsigned char dev_key_raw[32];
static struct sg_cert_store store;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t now_ms(void)
{
	return now_ns() / 1000000u;
}

static void die(const char *what)
{
	fprintf(stderr, "gateway-load: %s: %s\n", what, strerror(errno));
	exit(99);
}

static size_t read_file(const char *path, unsigned char *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "gateway-load: cannot open %s\n", path);
		exit(99);
	}
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static void fixture(const char *name, char *out, size_t cap)
{
	snprintf(out, cap, "%s/tests/pki/fixtures/%s", top_srcdir, name);
}

static int rng(void *ctx, unsigned char *buf, size_t len)
{
	uint64_t *s = ctx;

	for (size_t i = 0; i < len; i++) {
		uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
		z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
		buf[i] = (unsigned char)(z ^ (z >> 31));
	}
	return 0;
}

static int accept_gateway(void *ctx, const struct sg_peer_cert *peer)
{
	(void)ctx;
	return strcmp(peer->id.subject_cn, "gateway") == 0 ? 0 : SG_EIDENTITY;
}

/* ---- certificates: one per device, CN dNNNN, on dev-a's key ------------------------- */

static void issue_certs(struct dev *devs, unsigned n)
{
	static const unsigned char eku_client[] = { 0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01,
						     0x05, 0x05, 0x07, 0x03, 0x02 };
	mbedtls_pk_context ca_key, dev_key;
	unsigned char der[2048], buf[1024];
	char path[512];
	uint64_t seed = 42;
	size_t len;

	mbedtls_pk_init(&ca_key);
	mbedtls_pk_init(&dev_key);
	fixture("ca.key.der", path, sizeof(path));
	len = read_file(path, der, sizeof(der));
	if (mbedtls_pk_parse_key(&ca_key, der, len, NULL, 0) != 0) {
		fprintf(stderr, "gateway-load: cannot parse %s\n", path);
		exit(99);
	}
	fixture("dev-a.key.der", path, sizeof(path));
	len = read_file(path, der, sizeof(der));
	if (mbedtls_pk_parse_key(&dev_key, der, len, NULL, 0) != 0) {
		fprintf(stderr, "gateway-load: cannot parse %s\n", path);
		exit(99);
	}
	for (unsigned i = 0; i < n; i++) {
		mbedtls_x509write_cert w;
		mbedtls_mpi serial;
		char subject[64];
		int r;

		mbedtls_x509write_crt_init(&w);
		mbedtls_mpi_init(&serial);
		snprintf(subject, sizeof(subject), "CN=d%04u", i);
		mbedtls_x509write_crt_set_version(&w, MBEDTLS_X509_CRT_VERSION_3);
		mbedtls_x509write_crt_set_md_alg(&w, MBEDTLS_MD_SHA256);
		mbedtls_x509write_crt_set_subject_key(&w, &dev_key);
		mbedtls_x509write_crt_set_issuer_key(&w, &ca_key);
		r = mbedtls_mpi_lset(&serial, 0x1000 + (int)i);
		r = r != 0 ? r : mbedtls_x509write_crt_set_serial(&w, &serial);
		r = r != 0 ? r : mbedtls_x509write_crt_set_subject_name(&w, subject);
		r = r != 0 ? r : mbedtls_x509write_crt_set_issuer_name(&w, "CN=serguard test CA");
		r = r != 0 ? r
			   : mbedtls_x509write_crt_set_validity(&w, "20250101000000",
								"20450101000000");
		r = r != 0 ? r
			   : mbedtls_x509write_crt_set_key_usage(&w,
								  MBEDTLS_X509_KU_DIGITAL_SIGNATURE);
		r = r != 0 ? r
			   : mbedtls_x509write_crt_set_extension(
				     &w, MBEDTLS_OID_EXTENDED_KEY_USAGE,
				     MBEDTLS_OID_SIZE(MBEDTLS_OID_EXTENDED_KEY_USAGE), 0,
				     eku_client, sizeof(eku_client));
		if (r == 0)
			r = mbedtls_x509write_crt_der(&w, buf, sizeof(buf), rng, &seed);
		if (r <= 0 || (size_t)r > sizeof(devs[i].cert)) {
			fprintf(stderr, "gateway-load: issuing certificate %u failed (%d)\n", i, r);
			exit(99);
		}
		/* written at the end of buf */
		memcpy(devs[i].cert, buf + sizeof(buf) - (size_t)r, (size_t)r);
		devs[i].cert_len = (size_t)r;
		mbedtls_mpi_free(&serial);
		mbedtls_x509write_crt_free(&w);
	}
	mbedtls_pk_free(&ca_key);
	mbedtls_pk_free(&dev_key);
}

/* ---- serguardd -------------------------------------------------------------------------- */

static bool is_sanitizer_build(const char *path)
{
	static const char needle[] = "__asan_init";
	FILE *f = fopen(path, "rb");
	char buf[65536 + sizeof(needle)];
	size_t keep = 0, n;
	bool found = false;

	if (f == NULL)
		return false;
	while (!found && (n = fread(buf + keep, 1, 65536, f)) > 0) {
		n += keep;
		found = memmem(buf, n, needle, sizeof(needle) - 1) != NULL;
		keep = n < sizeof(needle) ? n : sizeof(needle) - 1;
		memmove(buf, buf + n - keep, keep);
	}
	fclose(f);
	return found;
}

static void write_config(struct run *r)
{
	char path[512], ca[512], cert[512], key[512];
	unsigned char kb[512];
	size_t kl;
	FILE *f;
	int fd;

	fixture("ca.crt.der", ca, sizeof(ca));
	fixture("gw.crt.der", cert, sizeof(cert));
	fixture("gw.key.der", path, sizeof(path));
	kl = read_file(path, kb, sizeof(kb));
	snprintf(key, sizeof(key), "%s/gw.key", r->tmp);
	fd = open(key, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, kb, kl) != (ssize_t)kl || close(fd) != 0)
		die("gw.key");
	snprintf(path, sizeof(path), "%s/serguard.conf", r->tmp);
	f = fopen(path, "w");
	if (f == NULL)
		die(path);
	fprintf(f,
		"[global]\nca = %s\ncert = %s\nkey = %s\nsocket_dir = %s/run\n"
		"socket_mode = 0600\nqueue_max = 16\nqueue_max_age_ms = 60000\n"
		"log_level = notice\n\n",
		ca, cert, key, r->tmp);
	for (unsigned p = 0; p < r->nport; p++)
		fprintf(f,
			"[port p%04u]\ndevice = %s\nmode = rs485\nbaud = 4000000\n"
			"poll_interval_ms = %u\nturnaround_ms = 0\nresponse_timeout_ms = %u\n"
			"handshake_timeout_ms = 10000\n\n",
			p, r->ports[p].slave, opt_poll_ms, opt_resp_ms);
	for (unsigned i = 0; i < r->ndev; i++)
		fprintf(f,
			"[device d%04u]\nport = p%04u\naddress = %u\nidentity = cn:d%04u\n"
			"max_record_age_ms = 5000\n\n",
			i, i / PER_PORT, r->devs[i].addr, i);
	if (fclose(f) != 0)
		die(path);
}

static pid_t start_daemon(struct run *r)
{
	char conf[512], log[512];
	pid_t pid;

	snprintf(conf, sizeof(conf), "%s/serguard.conf", r->tmp);
	snprintf(log, sizeof(log), "%s/daemon.log", r->tmp);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fd >= 0) {
			dup2(fd, 2);
			close(fd);
		}
		setenv("JOURNAL_STREAM", "", 1);
		unsetenv("NOTIFY_SOCKET");
		execl(gwd_path, gwd_path, "-c", conf, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Ask the control socket for the metrics; the number of sessions up, -1 when
 * the daemon does not answer (yet). */
static int sessions_up(struct run *r)
{
	struct sockaddr_un sa;
	static char buf[1 << 20];
	size_t len = 0;
	int fd, n = 0;
	char *p;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/run/control.sock", r->tmp) >=
	    sizeof(sa.sun_path)) {
		fprintf(stderr, "gateway-load: %s: too long for a socket path\n", r->tmp);
		exit(99);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    write(fd, "metrics\n", 8) != 8) {
		close(fd);
		return -1;
	}
	for (;;) {
		ssize_t k = read(fd, buf + len, sizeof(buf) - 1 - len);

		if (k <= 0)
			break;
		len += (size_t)k;
		if (len == sizeof(buf) - 1)
			break;
	}
	close(fd);
	buf[len] = '\0';
	for (p = buf; (p = strstr(p, "\nserguard_session_up{")) != NULL; p++) {
		char *e = strchr(p + 1, '\n');

		if (e != NULL && e - p > 2 && e[-1] == '1' && e[-2] == ' ')
			n++;
	}
	return n;
}

static bool proc_cpu_ticks(pid_t pid, unsigned long long *ticks)
{
	char path[64], buf[2048], *p;
	unsigned long long ut, st;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (p == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return false;
	*ticks = ut + st;
	return true;
}

static long proc_rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static double self_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* ---- ptys ------------------------------------------------------------------------------- */

static void raw_fd(int fd)
{
	struct termios t;

	if (tcgetattr(fd, &t) != 0)
		die("tcgetattr");
	cfmakeraw(&t);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSANOW, &t) != 0)
		die("tcsetattr");
}

static void open_pty(struct port *p)
{
	const char *name;
	int sfd;

	p->mfd = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (p->mfd < 0)
		die("posix_openpt");
	if (grantpt(p->mfd) != 0 || unlockpt(p->mfd) != 0 || (name = ptsname(p->mfd)) == NULL)
		die("grantpt/unlockpt/ptsname");
	snprintf(p->slave, sizeof(p->slave), "%s", name);
	raw_fd(p->mfd);
	/* the slave side raw too (the daemon sets it again); keeping it open
	 * until the daemon has it avoids a hangup on the master */
	sfd = open(p->slave, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (sfd < 0)
		die(p->slave);
	raw_fd(sfd);
	close(sfd);
}

/* ---- the device side ---------------------------------------------------------------------- */

static void dev_init(struct dev *d, uint64_t now)
{
	struct sg_conn_config k;
	struct sg_conn_buffers b;
	static uint64_t seeds[4096];

	memset(&k, 0, sizeof(k));
	k.side = SG_CONN_DEVICE;
	k.start = SG_CONN_START_GATEWAY;
	k.bus = true;
	k.addr = d->addr;
	k.edhoc.method = SG_EDHOC_METHOD_SIG;
	k.edhoc.cred.type = SG_EDHOC_CRED_X509;
	k.edhoc.cred.bytes = d->cert;
	k.edhoc.cred.len = d->cert_len;
	k.edhoc.id_cred = SG_EDHOC_ID_X5CHAIN;
	k.edhoc.priv = dev_key_raw;
	k.edhoc.store = &store;
	k.edhoc.cert_policy.now = (int64_t)time(NULL);
	k.edhoc.cert_policy.role = SG_ROLE_GATEWAY;
	k.edhoc.check_identity = accept_gateway;
	/* like a small MCU: answer BUSY, compute the step later (one device
	 * at a time in the loop), so that the other devices' polls are
	 * answered meanwhile */
	k.defer_work = true;
	k.edhoc.rng = rng;
	seeds[d->idx % 4096] = 0x5eed0000u + d->idx + (uint64_t)now * 7919u;
	k.edhoc.rng_ctx = &seeds[d->idx % 4096];
	/* the gateway's default: record freshness on, 5000 ms */
	sg_record_config_default(&k.record, 8, d->addr, SG_FRAME_FROM_DEVICE);
	k.record.freshness = true;
	k.record.max_age_ms = 5000;
	/* This one process computes every device's handshake steps in turn,
	 * so at bring-up a device's keys (the freshness anchor) can exist
	 * seconds after the gateway's; a real device computes its own. With
	 * the default 500 ms the gateway's records then look "future" to the
	 * device and are dropped. Only the emulated devices get the slack;
	 * the gateway runs with its defaults. */
	k.record.anchor_skew_ms = 30000;

	memset(&b, 0, sizeof(b));
	b.frame_rx = d->frame_rx;
	b.frame_rx_len = sizeof(d->frame_rx);
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
	if (sg_conn_init(&d->c, &k, &b, now) != 0 || sg_conn_start(&d->c, now) != 0) {
		fprintf(stderr, "gateway-load: device engine %u: init failed\n", d->idx);
		exit(99);
	}
	sg_conn_set_time(&d->c, (int64_t)time(NULL));
}

static void put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

#define NO_ID 0xFFFFFFFFu

static void record_latency(struct run *r, uint32_t id, bool up, uint64_t t)
{
	if (id == NO_ID || id >= r->n_ids || r->t_send[id] == 0)
		return;
	if (up)
		r->lat_up[r->n_up++] = t - r->t_send[id];
	else
		r->lat_down[r->n_down++] = t - r->t_send[id];
	r->t_send[id] = 0;
}

/* run the device engine after input or time: messages delivered, timers */
static void dev_service(struct run *r, struct dev *d, uint64_t ms)
{
	unsigned char msg[256];
	size_t len;

	if ((sg_conn_status(&d->c) & SG_CONN_WANT_WORK) && !d->work_queued) {
		d->work_queued = true;
		r->work[(r->work_head + r->work_len++) % r->ndev] = d->idx;
	}
	while (sg_conn_recv(&d->c, msg, sizeof(msg), &len) == 0) {
		if (r->saturating)
			r->sat_down++;
		else if (len == MSG_LEN)
			record_latency(r, get_u32(msg), false, now_ns());
	}
	if (sg_conn_deadline(&d->c) <= ms)
		sg_conn_tick(&d->c, ms);
}

static bool dev_send(struct dev *d, uint32_t id, uint64_t ms)
{
	unsigned char msg[MSG_LEN];

	memset(msg, 0xA5, sizeof(msg));
	put_u32(msg, id);
	if (d->q_len >= QCAP || sg_conn_send(&d->c, msg, sizeof(msg), ms) != 0)
		return false;
	d->q[(d->q_head + d->q_len) % QCAP] = id;
	d->q_len++;
	return true;
}

static void port_flush(struct run *r, struct port *p)
{
	while (p->out_len > 0) {
		ssize_t k = write(p->mfd, p->out, p->out_len);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EIO)
				die("write to pty");
			break;
		}
		memmove(p->out, p->out + k, p->out_len - (size_t)k);
		p->out_len -= (size_t)k;
	}
	if (p->out_len == 0) {
		uint64_t t = now_ns();

		/* every record sealed so far has its last byte on the line */
		for (unsigned i = 0; i < p->ndev; i++) {
			struct dev *d = p->devs[i];

			while (d->q_sealed > 0) {
				uint32_t id = d->q[d->q_head];

				/* t0 of an up message: its frame is on the line */
				if (r->t_send != NULL && id != NO_ID && id < r->n_ids)
					r->t_send[id] = t;
				d->q_head = (d->q_head + 1) % QCAP;
				d->q_len--;
				d->q_sealed--;
			}
		}
	}
	if ((p->out_len > 0) != p->want_out) {
		struct epoll_event ev;

		p->want_out = p->out_len > 0;
		ev.events = EPOLLIN | (p->want_out ? EPOLLOUT : 0u);
		ev.data.u64 = (uint64_t)EV_MASTER << 32 | (uint64_t)(p - r->ports);
		epoll_ctl(r->ep, EPOLL_CTL_MOD, p->mfd, &ev);
	}
}

/* the device engines' frames for the line, after their input */
static void port_output(struct run *r, struct port *p, uint64_t ms)
{
	for (unsigned i = 0; i < p->ndev; i++) {
		struct dev *d = p->devs[i];
		struct sg_conn_stats s;
		const unsigned char *w;
		size_t len;

		while ((len = sg_conn_wire_peek(&d->c, &w, ms)) > 0 &&
		       len <= sizeof(p->out) - p->out_len) {
			memcpy(p->out + p->out_len, w, len);
			p->out_len += len;
			sg_conn_wire_ack(&d->c, len);
		}
		sg_conn_get_stats(&d->c, &s);
		while (d->app_out_seen != s.app_out) {
			d->app_out_seen++;
			if (d->q_sealed < d->q_len)
				d->q_sealed++;
		}
	}
	port_flush(r, p);
}

/* In saturation, keep every device engine's send queue full. */
static void port_fill(struct run *r, struct port *p, uint64_t ms)
{
	if (!r->saturating)
		return;
	for (unsigned i = 0; i < p->ndev; i++)
		while (dev_send(p->devs[i], NO_ID, ms))
			;
}

static void port_input(struct run *r, struct port *p)
{
	unsigned char buf[4096];
	uint64_t ms;
	ssize_t k;

	for (;;) {
		k = read(p->mfd, buf, sizeof(buf));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		ms = now_ms();
		for (unsigned i = 0; i < p->ndev; i++) {
			sg_conn_wire_push(&p->devs[i]->c, buf, (size_t)k, ms);
			dev_service(r, p->devs[i], ms);
		}
	}
	ms = now_ms();
	port_fill(r, p, ms);
	port_output(r, p, ms);
}

/* ---- the clients ------------------------------------------------------------------------ */

static void client_connect(struct run *r, struct dev *d)
{
	struct sockaddr_un sa;
	struct epoll_event ev;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/run/d%04u.sock", r->tmp,
			     d->idx) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "gateway-load: %s: too long for a socket path\n", r->tmp);
		exit(99);
	}
	d->cfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->cfd < 0)
		die("socket");
	if (connect(d->cfd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		die(sa.sun_path);
	ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
	ev.data.u64 = (uint64_t)EV_CLIENT << 32 | d->idx;
	if (epoll_ctl(r->ep, EPOLL_CTL_ADD, d->cfd, &ev) != 0)
		die("epoll_ctl");
}

static void client_input(struct run *r, struct dev *d)
{
	unsigned char msg[512];

	for (;;) {
		ssize_t k = recv(d->cfd, msg, sizeof(msg), 0);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			break;
		if (k == 0 && r->stopping) {
			epoll_ctl(r->ep, EPOLL_CTL_DEL, d->cfd, NULL);
			close(d->cfd);
			d->cfd = -1;
			break;
		}
		if (k == 0) {
			fprintf(stderr, "gateway-load: device socket d%04u closed by serguardd\n",
				d->idx);
			r->ok = false;
			epoll_ctl(r->ep, EPOLL_CTL_DEL, d->cfd, NULL);
			close(d->cfd);
			d->cfd = -1;
			break;
		}
		if (r->saturating)
			r->sat_up++;
		else if (k == MSG_LEN)
			record_latency(r, get_u32(msg), true, now_ns());
	}
}

static bool client_send(struct dev *d, uint32_t id)
{
	unsigned char msg[MSG_LEN];

	memset(msg, 0x5A, sizeof(msg));
	put_u32(msg, id);
	return send(d->cfd, msg, sizeof(msg), MSG_NOSIGNAL) == (ssize_t)sizeof(msg);
}

static void client_output(struct run *r, struct dev *d)
{
	if (!r->saturating || d->cfd < 0)
		return;
	while (client_send(d, NO_ID))
		;
}

/* ---- the loop --------------------------------------------------------------------------- */

static void loop_once(struct run *r, int timeout_ms)
{
	struct epoll_event evs[256];
	int n = epoll_wait(r->ep, evs, 256, r->work_len > 0 ? 0 : timeout_ms);
	uint64_t ms;

	for (int i = 0; i < n; i++) {
		unsigned kind = (unsigned)(evs[i].data.u64 >> 32);
		unsigned idx = (unsigned)evs[i].data.u64;

		if (kind == EV_MASTER) {
			struct port *p = &r->ports[idx];

			if (evs[i].events & EPOLLOUT)
				port_flush(r, p);
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				port_input(r, p);
		} else {
			struct dev *d = &r->devs[idx];

			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				client_input(r, d);
			if (evs[i].events & EPOLLOUT)
				client_output(r, d);
		}
	}
	/* one handshake step per turn of the loop */
	if (r->work_len > 0) {
		struct dev *d = &r->devs[r->work[r->work_head]];

		r->work_head = (r->work_head + 1) % r->ndev;
		r->work_len--;
		d->work_queued = false;
		ms = now_ms();
		if (sg_conn_status(&d->c) & SG_CONN_WANT_WORK)
			sg_conn_work(&d->c, ms);
		dev_service(r, d, ms);
		port_output(r, d->port, ms);
	}
	/* timers of the engines */
	ms = now_ms();
	for (unsigned i = 0; i < r->ndev; i++) {
		struct dev *d = &r->devs[i];

		if (sg_conn_deadline(&d->c) <= ms) {
			sg_conn_tick(&d->c, ms);
			port_output(r, d->port, ms);
		}
	}
}

/* run the loop for at most ms milliseconds */
static void loop_for(struct run *r, uint64_t ms)
{
	uint64_t end = now_ms() + ms;

	for (uint64_t t = now_ms(); t < end; t = now_ms()) {
		uint64_t next = end;

		for (unsigned i = 0; i < r->ndev; i++) {
			uint64_t dl = sg_conn_deadline(&r->devs[i].c);

			if (dl < next)
				next = dl;
		}
		loop_once(r, next <= t ? 0 : (int)(next - t));
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double pct_us(uint64_t *v, size_t n, double q)
{
	size_t i;

	if (n == 0)
		return -1;
	qsort(v, n, sizeof(*v), cmp_u64);
	i = (size_t)(q * (double)(n - 1) + 0.5);
	return (double)v[i] / 1000.0;
}

static void stop_daemon(struct run *r)
{
	int st;

	if (r->pid <= 0)
		return;
	r->stopping = true;
	kill(r->pid, SIGTERM);
	for (int i = 0; i < 100; i++) {
		/* keep serving the ptys so the daemon's CLOSE records go out */
		loop_for(r, 20);
		if (waitpid(r->pid, &st, WNOHANG) == r->pid) {
			r->pid = 0;
			return;
		}
	}
	kill(r->pid, SIGKILL);
	waitpid(r->pid, &st, 0);
	r->pid = 0;
}

static void dump_log(struct run *r)
{
	char cmd[1200];

	snprintf(cmd, sizeof(cmd), "sed 's/d0[0-9]*/dN/g; s/p0[0-9]*/pN/g; s/serial [0-9a-f]*/serial S/; "
		 "s/address [0-9]/address A/; s/client [0-9]* .*/client/' '%s/daemon.log' | "
		 "sort | uniq -c | sort -rn | head -20 >&2", r->tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "gateway-load: (no daemon log)\n");
	if (r->pid > 0 && getenv("GATEWAY_LOAD_DEBUG") != NULL) {
		snprintf(cmd, sizeof(cmd),
			 "%s/daemon/serguardctl -s '%s/run/control.sock' status --json | jq -c "
			 "'[.devices[] | (.drops + .handshakes) | to_entries[]] | group_by(.key) | "
			 "map({(.[0].key): (map(.value) | add)}) | add' >&2",
			 getenv("top_builddir") != NULL ? getenv("top_builddir") : ".", r->tmp);
		if (system(cmd) != 0)
			fprintf(stderr, "gateway-load: no status\n");
	}
}

static void run_size(struct run *r, unsigned ndev, struct dev *certs_from)
{
	long tck = sysconf(_SC_CLK_TCK);
	unsigned long long c0, c1;
	uint64_t t0, t_up, ms;
	double s0, s1, w0, w1;
	int up = -1;

	memset(r, 0, sizeof(*r));
	r->ok = true;
	r->ndev = ndev;
	r->nport = (ndev + PER_PORT - 1) / PER_PORT;
	r->devs = calloc(ndev, sizeof(*r->devs));
	r->ports = calloc(r->nport, sizeof(*r->ports));
	r->work = calloc(ndev, sizeof(*r->work));
	if (r->devs == NULL || r->ports == NULL || r->work == NULL)
		die("calloc");
	snprintf(r->tmp, sizeof(r->tmp), "%s/sg-gwload.XXXXXX",
		 sock_dir_hint != NULL ? sock_dir_hint : "/tmp");
	if (mkdtemp(r->tmp) == NULL)
		die("mkdtemp");
	r->ep = epoll_create1(EPOLL_CLOEXEC);
	if (r->ep < 0)
		die("epoll_create1");
	for (unsigned p = 0; p < r->nport; p++) {
		struct epoll_event ev;

		open_pty(&r->ports[p]);
		ev.events = EPOLLIN;
		ev.data.u64 = (uint64_t)EV_MASTER << 32 | p;
		if (epoll_ctl(r->ep, EPOLL_CTL_ADD, r->ports[p].mfd, &ev) != 0)
			die("epoll_ctl");
	}
	ms = now_ms();
	for (unsigned i = 0; i < ndev; i++) {
		struct dev *d = &r->devs[i];
		struct port *p = &r->ports[i / PER_PORT];

		d->idx = i;
		d->addr = (uint8_t)(1 + i % PER_PORT);
		d->port = p;
		d->cfd = -1;
		memcpy(d->cert, certs_from[i].cert, certs_from[i].cert_len);
		d->cert_len = certs_from[i].cert_len;
		p->devs[p->ndev++] = d;
		dev_init(d, ms);
	}
	write_config(r);

	/* ---- bring-up from cold ---- */
	t0 = now_ns();
	r->pid = start_daemon(r);
	for (;;) {
		int st;

		loop_for(r, 100);
		if (waitpid(r->pid, &st, WNOHANG) == r->pid) {
			fprintf(stderr, "gateway-load: serguardd exited (status %d)\n", st);
			r->pid = 0;
			dump_log(r);
			exit(99);
		}
		up = sessions_up(r);
		if (opt_verbose) {
			struct sg_conn_stats st0;

			sg_conn_get_stats(&r->devs[0].c, &st0);
			fprintf(stderr, "%.1f s: %d of %u sessions up (device 0: %s)\n",
				(double)(now_ns() - t0) / 1e9, up, ndev,
				sg_strerror(st0.last_hs_error));
		}
		if (up == (int)ndev)
			break;
		if (now_ns() - t0 > 180ull * 1000000000u) {
			fprintf(stderr, "gateway-load: only %d of %u sessions up after 180 s\n", up,
				ndev);
			r->ok = false;
			dump_log(r);
			break;
		}
	}
	t_up = now_ns();
	r->bringup_s = (double)(t_up - t0) / 1e9;
	r->hs_per_s = (double)ndev / r->bringup_s;
	/* Settle: a device engine that fell behind while this one process
	 * computed everybody's handshake steps may see its first session
	 * fail the freshness anchor check and ask for a new one; wait until
	 * every device engine is established and none is handshaking. */
	{
		uint64_t t_settle = now_ns();
		bool quiet = false;

		while (!quiet && now_ns() - t_settle < 60ull * 1000000000u) {
			loop_for(r, 200);
			quiet = true;
			for (unsigned i = 0; i < ndev && quiet; i++) {
				unsigned st = sg_conn_status(&r->devs[i].c);

				quiet = (st & SG_CONN_ESTABLISHED) != 0 &&
					(st & SG_CONN_HANDSHAKING) == 0;
			}
			quiet = quiet && sessions_up(r) == (int)ndev;
		}
		r->settle_s = (double)(now_ns() - t_settle) / 1e9;
		for (unsigned i = 0; i < ndev; i++) {
			struct sg_conn_stats st;

			sg_conn_get_stats(&r->devs[i].c, &st);
			r->renewals += st.hs_completed > 0 ? st.hs_completed - 1 : 0;
		}
	}
	r->rss_total = (double)proc_rss_kib(r->pid) * 1024.0;
	r->rss_per_session = r->rss_total / ndev;

	/* ---- paced latency ---- */
	for (unsigned i = 0; i < ndev; i++)
		client_connect(r, &r->devs[i]);
	loop_for(r, 300);
	r->n_ids = (uint32_t)(opt_lat_s * opt_rate);
	r->t_send = calloc(r->n_ids, sizeof(uint64_t));
	r->lat_up = calloc(r->n_ids, sizeof(uint64_t));
	r->lat_down = calloc(r->n_ids, sizeof(uint64_t));
	if (r->t_send == NULL || r->lat_up == NULL || r->lat_down == NULL)
		die("calloc");
	{
		uint64_t start = now_ns(), step = 1000000000u / opt_rate;
		uint32_t k = 0;

		while (k < r->n_ids) {
			uint64_t t = now_ns();

			while (k < r->n_ids && start + (uint64_t)k * step <= t) {
				struct dev *d = &r->devs[(k / 2) % ndev];

				if ((k & 1) == 0) {
					/* up: t0 is set when its frame is written */
					if (dev_send(d, k, now_ms())) {
						r->sent_up++;
						r->t_send[k] = 1; /* pending */
					}
				} else {
					r->t_send[k] = now_ns();
					if (d->cfd >= 0 && client_send(d, k))
						r->sent_down++;
					else
						r->t_send[k] = 0;
				}
				k++;
			}
			{
				uint64_t nx = start + (uint64_t)k * step, tn = now_ns();

				/* rounded up: a busy loop here would take the
				 * daemon's CPU */
				loop_once(r, nx > tn ? (int)((nx - tn + 999999u) / 1000000u) : 0);
			}
		}
		/* the last messages arrive */
		for (int i = 0; i < 50 && r->n_up + r->n_down < r->sent_up + r->sent_down; i++)
			loop_for(r, 100);
	}
	r->up_p50 = pct_us(r->lat_up, r->n_up, 0.5);
	r->up_p99 = pct_us(r->lat_up, r->n_up, 0.99);
	r->down_p50 = pct_us(r->lat_down, r->n_down, 0.5);
	r->down_p99 = pct_us(r->lat_down, r->n_down, 0.99);
	{
		uint64_t *all = malloc((r->n_up + r->n_down + 1) * sizeof(uint64_t));

		if (all == NULL)
			die("malloc");
		memcpy(all, r->lat_up, r->n_up * sizeof(uint64_t));
		memcpy(all + r->n_up, r->lat_down, r->n_down * sizeof(uint64_t));
		r->all_p50 = pct_us(all, r->n_up + r->n_down, 0.5);
		r->all_p99 = pct_us(all, r->n_up + r->n_down, 0.99);
		free(all);
	}
	if (r->n_up != r->sent_up || r->n_down != r->sent_down ||
	    r->sent_up + r->sent_down != r->n_ids) {
		fprintf(stderr,
			"gateway-load: paced phase: up %zu of %zu delivered, down %zu of %zu "
			"(%u scheduled)\n",
			r->n_up, r->sent_up, r->n_down, r->sent_down, r->n_ids);
		r->ok = false;
		{
			unsigned long stale = 0, future = 0, req = 0, other = 0;

			for (unsigned i = 0; i < ndev; i++) {
				struct sg_conn_stats st;

				sg_conn_get_stats(&r->devs[i].c, &st);
				stale += st.record.stale;
				future += st.record.future;
				req += st.requests_sent;
				other += st.record.bad_tag + st.record.replay + st.rx_queue_full;
			}
			fprintf(stderr,
				"gateway-load: device engines: stale %lu, future %lu, requests %lu, "
				"other drops %lu\n",
				stale, future, req, other);
		}
	}

	/* ---- saturation ---- */
	if (opt_sat_s > 0) {
		r->saturating = true;
		ms = now_ms();
		for (unsigned p = 0; p < r->nport; p++) {
			port_fill(r, &r->ports[p], ms);
			port_output(r, &r->ports[p], ms);
		}
		for (unsigned i = 0; i < ndev; i++)
			client_output(r, &r->devs[i]);
		loop_for(r, 500); /* reach the steady state */
		r->sat_up = r->sat_down = 0;
		proc_cpu_ticks(r->pid, &c0);
		s0 = self_cpu_s();
		w0 = (double)now_ns() / 1e9;
		loop_for(r, (uint64_t)(opt_sat_s * 1000));
		w1 = (double)now_ns() / 1e9;
		s1 = self_cpu_s();
		proc_cpu_ticks(r->pid, &c1);
		r->msgs_per_s = (double)(r->sat_up + r->sat_down) / (w1 - w0);
		r->cpu_ms_per_1000 = (double)(c1 - c0) * 1000.0 / (double)tck /
				     ((double)(r->sat_up + r->sat_down) / 1000.0);
		r->daemon_cpu_share = (double)(c1 - c0) / (double)tck / (w1 - w0);
		r->self_cpu_share = (s1 - s0) / (w1 - w0);
		r->saturating = false;
	}

	if (!r->ok)
		dump_log(r);
	stop_daemon(r);
	for (unsigned i = 0; i < ndev; i++) {
		if (r->devs[i].cfd >= 0)
			close(r->devs[i].cfd);
		sg_conn_wipe(&r->devs[i].c);
	}
	for (unsigned p = 0; p < r->nport; p++)
		close(r->ports[p].mfd);
	close(r->ep);
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r->tmp);
		if (system(cmd) != 0)
			fprintf(stderr, "gateway-load: could not remove %s\n", r->tmp);
	}
	free(r->t_send);
	free(r->lat_up);
	free(r->lat_down);
	free(r->devs);
	free(r->ports);
	free(r->work);
	r->work = NULL;
	r->t_send = r->lat_up = r->lat_down = NULL;
	r->devs = NULL;
	r->ports = NULL;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: gateway-load [--serguardd PATH] [--sizes N,N,...] [--max N]\n"
		"                    [--latency-seconds S] [--saturation-seconds S] [--rate R]\n"
		"                    [--poll-ms MS] [--json FILE] [--data FILE] [--check] [-v]\n"
		"Runs serguardd with N emulated RS485 devices (4 per port, ptys) for each\n"
		"size (default 16,256,1024) and prints its figures. top_srcdir locates the\n"
		"test PKI; serguardd defaults to $top_builddir/daemon/serguardd.\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned sizes[16] = { 16, 256, 1024 }, nsizes = 3, maxn = 0;
	const char *json = NULL, *data = NULL;
	static char gwd_buf[1024];
	struct run *runs;
	struct dev *certs;
	struct rlimit rl;
	char path[512];
	bool all_ok = true;

	if (getenv("top_srcdir") != NULL)
		top_srcdir = getenv("top_srcdir");
	{
		/* serguard.conf wants absolute paths */
		static char abs_top[PATH_MAX];

		if (realpath(top_srcdir, abs_top) != NULL)
			top_srcdir = abs_top;
	}
	snprintf(gwd_buf, sizeof(gwd_buf), "%s/daemon/serguardd",
		 getenv("top_builddir") != NULL ? getenv("top_builddir") : ".");
	gwd_path = gwd_buf;
	sock_dir_hint = getenv("TMPDIR");
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--check") == 0) {
			opt_check = true;
		} else if (strcmp(a, "-v") == 0) {
			opt_verbose = true;
		} else if (v == NULL) {
			usage();
		} else if (strcmp(a, "--serguardd") == 0) {
			gwd_path = v, i++;
		} else if (strcmp(a, "--json") == 0) {
			json = v, i++;
		} else if (strcmp(a, "--data") == 0) {
			data = v, i++;
		} else if (strcmp(a, "--max") == 0) {
			maxn = (unsigned)strtoul(v, NULL, 10), i++;
		} else if (strcmp(a, "--latency-seconds") == 0) {
			opt_lat_s = strtod(v, NULL), i++;
		} else if (strcmp(a, "--saturation-seconds") == 0) {
			opt_sat_s = strtod(v, NULL), i++;
		} else if (strcmp(a, "--rate") == 0) {
			opt_rate = (unsigned)strtoul(v, NULL, 10), i++;
		} else if (strcmp(a, "--response-timeout-ms") == 0) {
			opt_resp_ms = (unsigned)strtoul(v, NULL, 10), i++;
		} else if (strcmp(a, "--poll-ms") == 0) {
			opt_poll_ms = (unsigned)strtoul(v, NULL, 10), i++;
		} else if (strcmp(a, "--sizes") == 0) {
			char *e = (char *)v;

			nsizes = 0;
			while (*e != '\0' && nsizes < 16) {
				sizes[nsizes++] = (unsigned)strtoul(e, &e, 10);
				if (*e == ',')
					e++;
			}
			i++;
		} else {
			usage();
		}
	}
	if (maxn > 0)
		sizes[nsizes - 1] = maxn;
	maxn = 0;
	for (unsigned i = 0; i < nsizes; i++) {
		if (sizes[i] == 0 || sizes[i] > 4096 || opt_rate == 0) {
			fprintf(stderr, "gateway-load: sizes are 1..4096 devices\n");
			return 2;
		}
		if (sizes[i] > maxn)
			maxn = sizes[i];
	}
	if (access(gwd_path, X_OK) != 0) {
		fprintf(stderr, "gateway-load: %s is not built\n", gwd_path);
		return 99;
	}
	if (posix_openpt(O_RDWR | O_NOCTTY) < 0) {
		printf("SKIP: gateway-load needs pseudo-terminals (/dev/ptmx): %s\n",
		       strerror(errno));
		return 77;
	}
	if (is_sanitizer_build(gwd_path))
		printf("WARNING: %s is a sanitizer build; its figures are not representative "
		       "(configure without --enable-sanitizers for benchmarks)\n",
		       gwd_path);
	/* descriptors: a master per port, a client per device */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)maxn * 5 / 4 + 64) {
		unsigned fit = (unsigned)((rl.rlim_cur - 64) * 4 / 5) & ~3u;

		printf("NOTE: RLIMIT_NOFILE %lu allows at most %u devices; sizes capped\n",
		       (unsigned long)rl.rlim_cur, fit);
		for (unsigned i = 0; i < nsizes; i++)
			if (sizes[i] > fit)
				sizes[i] = fit;
		maxn = fit;
	}
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);

	fixture("dev-a.key.raw", path, sizeof(path));
	if (read_file(path, dev_key_raw, sizeof(dev_key_raw)) != 32) {
		fprintf(stderr, "gateway-load: %s is not a 32-byte key\n", path);
		return 99;
	}
	{
		unsigned char ca[1024];
		size_t n;

		fixture("ca.crt.der", path, sizeof(path));
		n = read_file(path, ca, sizeof(ca));
		if (sg_cert_store_init(&store) != 0 || sg_cert_store_add_ca(&store, ca, n) != 0) {
			fprintf(stderr, "gateway-load: cannot load the test CA\n");
			return 99;
		}
	}
	certs = calloc(maxn, sizeof(*certs));
	runs = calloc(nsizes, sizeof(*runs));
	if (certs == NULL || runs == NULL)
		die("calloc");
	issue_certs(certs, maxn);

	printf("serguardd at scale: RS485 ports over ptys, %u devices a port, poll_interval_ms "
	       "%u, %u-byte messages, paced %u msg/s for %.0f s, saturation %.0f s\n",
	       PER_PORT, opt_poll_ms, MSG_LEN, opt_rate, opt_lat_s, opt_sat_s);
	for (unsigned i = 0; i < nsizes; i++) {
		struct run *r = &runs[i];

		run_size(r, sizes[i], certs);
		/* the struct keeps its figures; its pointers were freed */
		r->ndev = sizes[i];
		all_ok = all_ok && r->ok;
		if (opt_verbose)
			fprintf(stderr, "size %u done\n", sizes[i]);
	}

	printf("\n%-9s %7s %9s %8s %8s %8s %8s %8s %8s %9s %9s %10s %9s %7s %7s\n", "sessions",
	       "ports", "bring-up", "hs/s", "up p50", "up p99", "dn p50", "dn p99", "all p99",
	       "msg/s", "cpu ms/k", "RSS KiB", "B/session", "gw cpu", "own cpu");
	printf("%-9s %7s %9s %8s %8s %8s %8s %8s %8s %9s %9s %10s %9s %7s %7s\n", "", "", "s", "",
	       "us", "us", "us", "us", "us", "sat.", "", "", "", "sat.", "sat.");
	for (unsigned i = 0; i < nsizes; i++) {
		struct run *r = &runs[i];

		printf("%-9u %7u %9.2f %8.1f %8.0f %8.0f %8.0f %8.0f %8.0f %9.0f %9.1f %10.0f "
		       "%9.0f %6.0f%% %6.0f%%\n",
		       r->ndev, r->nport, r->bringup_s, r->hs_per_s, r->up_p50, r->up_p99,
		       r->down_p50, r->down_p99, r->all_p99, r->msgs_per_s, r->cpu_ms_per_1000,
		       r->rss_total / 1024, r->rss_per_session, 100 * r->daemon_cpu_share,
		       100 * r->self_cpu_share);
	}
	for (unsigned i = 0; i < nsizes; i++)
		printf("%u sessions: %u renewed after bring-up (freshness anchor of a device engine "
		       "that fell behind), quiet %.1f s after all were up\n",
		       runs[i].ndev, runs[i].renewals, runs[i].settle_s);
	if (nsizes >= 2) {
		struct run *a = &runs[0], *b = &runs[nsizes - 1];

		if (b->ndev > a->ndev)
			printf("RSS growth per added session (%u -> %u): %.0f bytes\n", a->ndev,
			       b->ndev,
			       (b->rss_total - a->rss_total) / (double)(b->ndev - a->ndev));
	}
	{
		struct run *b = &runs[nsizes - 1];

		printf("targets at %u sessions: >= 1024 sessions %s; bring-up <= 60 s %s; "
		       "added latency p99 < 1000 us %s (%.0f us)\n",
		       b->ndev, b->ndev >= 1024 ? "met" : "MISSED",
		       b->bringup_s <= 60 ? "met" : "MISSED", b->all_p99 < 1000 ? "met" : "MISSED",
		       b->all_p99);
	}

	if (data != NULL) {
		FILE *f = fopen(data, "w");

		if (f == NULL)
			die(data);
		fprintf(f, "# sessions bringup_s hs_per_s p50_us p99_us msgs_per_s "
			   "cpu_ms_per_1000 rss_per_session_bytes rss_total_bytes\n");
		for (unsigned i = 0; i < nsizes; i++) {
			struct run *r = &runs[i];

			fprintf(f, "%u %.3f %.1f %.1f %.1f %.0f %.2f %.0f %.0f\n", r->ndev,
				r->bringup_s, r->hs_per_s, r->all_p50, r->all_p99, r->msgs_per_s,
				r->cpu_ms_per_1000, r->rss_per_session, r->rss_total);
		}
		fclose(f);
	}
	if (json != NULL) {
		FILE *f = fopen(json, "w");
		struct run *b = &runs[nsizes - 1];

		if (f == NULL)
			die(json);
		fprintf(f,
			"{\"gateway\":{\"sessions\":%u,\"bringup_seconds\":%.3f,"
			"\"handshakes_per_second\":%.1f,\"added_latency_median_us\":%.1f,"
			"\"added_latency_p99_us\":%.1f,\"messages_per_second\":%.0f,"
			"\"cpu_ms_per_1000_messages\":%.2f,\"rss_total_bytes\":%.0f,"
			"\"rss_per_session_bytes\":%.0f,\"load_program_cpu_share\":%.3f,"
			"\"poll_interval_ms\":%u,\"scaling\":[",
			b->ndev, b->bringup_s, b->hs_per_s, b->all_p50, b->all_p99, b->msgs_per_s,
			b->cpu_ms_per_1000, b->rss_total, b->rss_per_session, b->self_cpu_share,
			opt_poll_ms);
		for (unsigned i = 0; i < nsizes; i++) {
			struct run *r = &runs[i];

			fprintf(f,
				"%s{\"sessions\":%u,\"ports\":%u,\"bringup_seconds\":%.3f,"
				"\"handshakes_per_second\":%.1f,\"added_latency_up_median_us\":%.1f,"
				"\"added_latency_up_p99_us\":%.1f,"
				"\"added_latency_down_median_us\":%.1f,"
				"\"added_latency_down_p99_us\":%.1f,\"added_latency_median_us\":%.1f,"
				"\"added_latency_p99_us\":%.1f,\"messages_per_second\":%.0f,"
				"\"cpu_ms_per_1000_messages\":%.2f,\"rss_total_bytes\":%.0f,"
				"\"rss_per_session_bytes\":%.0f,\"gateway_cpu_share\":%.3f,"
				"\"load_program_cpu_share\":%.3f,\"renewals\":%u,\"all_delivered\":%s}",
				i > 0 ? "," : "", r->ndev, r->nport, r->bringup_s, r->hs_per_s,
				r->up_p50, r->up_p99, r->down_p50, r->down_p99, r->all_p50,
				r->all_p99, r->msgs_per_s, r->cpu_ms_per_1000, r->rss_total,
				r->rss_per_session, r->daemon_cpu_share, r->self_cpu_share,
				r->renewals, r->ok ? "true" : "false");
		}
		fprintf(f, "]}}\n");
		fclose(f);
	}
	sg_cert_store_free(&store);
	free(certs);
	free(runs);
	if (!all_ok)
		printf("gateway-load: not every session came up or not every message arrived\n");
	return opt_check && !all_ok ? 1 : 0;
}
