/*
 * serguard-device: an emulated field device (or several on one RS485
 * bus) that runs the serguard core the way firmware does.
 *
 * How this maps onto firmware (a template for firmware authors):
 *
 *   firmware                         here
 *   -------------------------------  ------------------------------------
 *   UART RX interrupt: one byte at   rx_bytes(): each byte the line says
 *   a time into sg_conn_wire_push()  is due goes to every device's
 *                                    engine, one sg_conn_wire_push() of
 *                                    1 byte each (node_rx_byte). On a
 *                                    bus every MCU hears every byte; its
 *                                    engine's decoder keeps its address.
 *   UART TX (DMA) complete: take     tx_frames(): when the line is idle,
 *   the next frame from              the next frame from an engine
 *   sg_conn_wire_peek()/_ack()       (node_take_frame) goes to the line,
 *                                    which writes it at the baud rate.
 *   SysTick: a millisecond counter   node_now_ms(): CLOCK_MONOTONIC since
 *   from reset                       the device's power-on (+ --tick-start)
 *   RTC: wall-clock time for         CLOCK_REALTIME + --clock-offset,
 *   certificates                     into sg_conn_set_time()
 *   main loop: sg_conn_work() when   node_service(): work (late by --slow
 *   WANT_WORK, the application,      ms on a "slow MCU"), messages in and
 *   sg_conn_tick() at the deadline,  out, telemetry, timers; then sleep
 *   then WFI until the next event    in ppoll() until the next byte, the
 *                                    next deadline, or a signal
 *   reset / power loss               node_power_off() + node_boot() on
 *                                    SIGUSR1 or --reboot-after/-every
 *
 * One thread, one ppoll() loop, no allocation after start-up. Signals
 * are blocked except inside ppoll(), so a handler only sets a flag that
 * the loop reads at a well-defined point.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "serguard/conn.h"

#include "app.h"
#include "cred.h"
#include "line.h"
#include "log.h"
#include "node.h"
#include "port.h"

#define MAX_DEVICES 32
#define CLOSE_WAIT_NS (1000ull * 1000000u) /* best effort CLOSE at exit */
#define REOPEN_NS (500ull * 1000000u)	    /* retry a vanished port */

static volatile sig_atomic_t got_term, got_reboot, got_stats;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		got_reboot = 1;
	else if (sig == SIGUSR2)
		got_stats = 1;
	else
		got_term = 1;
}

struct device_arg {
	char name[NODE_NAME_MAX + 1];
	unsigned addr;
	const char *certbase;
};

struct emu {
	const char *port_path;
	bool bus;
	unsigned baud;
	uint32_t loss_ppm, loss_in_ppm;
	uint64_t seed;
	uint64_t reboot_after_ns, reboot_every_ns;
	const char *reboot_only;
	const char *stats_path;
	struct node_opts o;
	struct device_arg dev[MAX_DEVICES];
	size_t n_dev;
	unsigned char ca[CRED_CERT_MAX];
	unsigned char gw_cert[CRED_CERT_MAX];

	struct node *nodes;
	struct line line;
	int fd;
	bool hung_up;
	uint64_t reopen_ns;
	size_t rr; /* next node to offer the line to (round robin) */
	unsigned char frame[LINE_TX_CAP];
};

static uint64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void usage(FILE *f)
{
	fputs("usage: serguard-device --port PATH --ca CA.crt.der --device NAME:ADDR:CERTBASE\n"
	      "                       [--device ...] [options]\n"
	      "\n"
	      "Emulates serguard field devices on a serial port or pty: one on RS232, or\n"
	      "several sharing an RS485 bus, each answering only frames for its address.\n"
	      "CERTBASE names CERTBASE.crt.der and CERTBASE.key.raw (32-byte P-256 key).\n"
	      "\n"
	      "  --port PATH            serial device or pty to open\n"
	      "  --mode rs232|rs485     link type (default rs232: exactly one --device)\n"
	      "  --device NAME:ADDR:CERTBASE   a device (repeat for a bus; ADDR 1..254)\n"
	      "  --ca PATH              root CA certificate (DER) that signs the gateway\n"
	      "  --gateway-cn NAME      identity the gateway must present (default gateway)\n"
	      "  --gateway-cert PATH    the gateway's certificate, when it sends it by reference\n"
	      "  --id-cred x5chain|x5t  send the device certificate whole (default) or by hash\n"
	      "  --max-payload N        frame payload limit (default 255)\n"
	      "  --behaviour B          echo (default), telemetry or command\n"
	      "  --interval MS          telemetry period (default 1000)\n"
	      "  --baud N               emulate the line rate: N/10 bytes/s each way\n"
	      "  --loss PERCENT         drop this share of outgoing frames at random\n"
	      "  --loss-in PERCENT      drop this share of incoming frames at random\n"
	      "  --seed N               seed of the loss draws (default 1)\n"
	      "  --max-age MS           record freshness: refuse records older than MS\n"
	      "                         (default 5000, as serguardd's max_record_age_ms;\n"
	      "                         0 turns freshness off; both ends must agree)\n"
	      "  --slow MS              a slow MCU: handshake steps (answered BUSY first)\n"
	      "                         and application answers take MS\n"
	      "  --reboot-after MS      power-cycle MS after start (once)\n"
	      "  --reboot-every MS      power-cycle every MS\n"
	      "  --reboot-only NAME     power cycles (also SIGUSR1) affect only NAME\n"
	      "  --clock-offset S       add S seconds (may be negative) to the wall clock\n"
	      "  --tick-start MS        the devices' millisecond tick at power-on (default 0)\n"
	      "  --stats-file PATH      write counters here on SIGUSR2 and at exit\n"
	      "  -v, --verbose          log events to stderr\n"
	      "  -h, --help             this text;  --version  the version\n"
	      "\n"
	      "Signals: SIGUSR1 power-cycles, SIGUSR2 writes the stats file, SIGTERM and\n"
	      "SIGINT close open sessions (best effort, 1 s) and exit.\n",
	      f);
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s[0] == '\0' || s[0] == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_percent(const char *s, uint32_t *ppm)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= 0.0 && v <= 100.0))
		return -1;
	*ppm = (uint32_t)(v * 10000.0 + 0.5);
	return 0;
}

static int parse_device(const char *s, struct device_arg *d)
{
	const char *c1 = strchr(s, ':'), *c2;
	uint64_t addr;
	char num[8];
	size_t nl;

	if (c1 == NULL || (c2 = strchr(c1 + 1, ':')) == NULL)
		return -1;
	nl = (size_t)(c1 - s);
	if (nl == 0 || nl > NODE_NAME_MAX || (size_t)(c2 - c1 - 1) >= sizeof(num) ||
	    c2[1] == '\0')
		return -1;
	memcpy(d->name, s, nl);
	d->name[nl] = '\0';
	memcpy(num, c1 + 1, (size_t)(c2 - c1 - 1));
	num[c2 - c1 - 1] = '\0';
	if (parse_u64(num, SG_FRAME_ADDR_MAX, &addr) != 0 || addr < SG_FRAME_ADDR_MIN)
		return -1;
	d->addr = (unsigned)addr;
	d->certbase = c2 + 1;
	return 0;
}

enum {
	OPT_PORT = 256, OPT_MODE, OPT_DEVICE, OPT_CA, OPT_GWCN, OPT_GWCERT, OPT_IDCRED,
	OPT_MAXP, OPT_BEHAV, OPT_INTERVAL, OPT_BAUD, OPT_LOSS, OPT_LOSSIN, OPT_SEED,
	OPT_SLOW, OPT_MAX_AGE, OPT_RB_AFTER, OPT_RB_EVERY, OPT_RB_ONLY, OPT_CLOCK, OPT_TICK, OPT_STATS,
	OPT_VERSION
};

static const struct option long_opts[] = {
	{"port", required_argument, NULL, OPT_PORT},
	{"mode", required_argument, NULL, OPT_MODE},
	{"device", required_argument, NULL, OPT_DEVICE},
	{"ca", required_argument, NULL, OPT_CA},
	{"gateway-cn", required_argument, NULL, OPT_GWCN},
	{"gateway-cert", required_argument, NULL, OPT_GWCERT},
	{"id-cred", required_argument, NULL, OPT_IDCRED},
	{"max-payload", required_argument, NULL, OPT_MAXP},
	{"behaviour", required_argument, NULL, OPT_BEHAV},
	{"behavior", required_argument, NULL, OPT_BEHAV},
	{"interval", required_argument, NULL, OPT_INTERVAL},
	{"baud", required_argument, NULL, OPT_BAUD},
	{"loss", required_argument, NULL, OPT_LOSS},
	{"loss-in", required_argument, NULL, OPT_LOSSIN},
	{"seed", required_argument, NULL, OPT_SEED},
	{"slow", required_argument, NULL, OPT_SLOW},
	{"max-age", required_argument, NULL, OPT_MAX_AGE},
	{"reboot-after", required_argument, NULL, OPT_RB_AFTER},
	{"reboot-every", required_argument, NULL, OPT_RB_EVERY},
	{"reboot-only", required_argument, NULL, OPT_RB_ONLY},
	{"clock-offset", required_argument, NULL, OPT_CLOCK},
	{"tick-start", required_argument, NULL, OPT_TICK},
	{"stats-file", required_argument, NULL, OPT_STATS},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

static int bad(const char *opt, const char *val)
{
	fprintf(stderr, "serguard-device: invalid %s: %s (see --help)\n", opt, val);
	return 2;
}

/* Returns -1 to go on, or an exit status. */
static int parse_args(struct emu *e, int argc, char **argv)
{
	const char *ca_path = NULL, *gw_cert_path = NULL;
	char err[512];
	uint64_t v;
	size_t i, j;
	int ch;

	e->o.gateway_cn = "gateway";
	e->o.id_cred = SG_EDHOC_ID_X5CHAIN;
	e->o.kind = APP_ECHO;
	e->o.interval_ms = 1000;
	e->o.max_age_ms = 5000; /* serguardd's default max_record_age_ms */
	e->seed = 1;
	while ((ch = getopt_long(argc, argv, "vh", long_opts, NULL)) != -1) {
		switch (ch) {
		case OPT_PORT:
			e->port_path = optarg;
			break;
		case OPT_MODE:
			if (strcmp(optarg, "rs232") == 0)
				e->bus = false;
			else if (strcmp(optarg, "rs485") == 0)
				e->bus = true;
			else
				return bad("--mode", optarg);
			break;
		case OPT_DEVICE:
			if (e->n_dev == MAX_DEVICES)
				return bad("--device (too many)", optarg);
			if (parse_device(optarg, &e->dev[e->n_dev]) != 0)
				return bad("--device (NAME:ADDR:CERTBASE)", optarg);
			e->n_dev++;
			break;
		case OPT_CA:
			ca_path = optarg;
			break;
		case OPT_GWCN:
			e->o.gateway_cn = optarg;
			break;
		case OPT_GWCERT:
			gw_cert_path = optarg;
			break;
		case OPT_IDCRED:
			if (strcmp(optarg, "x5chain") == 0)
				e->o.id_cred = SG_EDHOC_ID_X5CHAIN;
			else if (strcmp(optarg, "x5t") == 0)
				e->o.id_cred = SG_EDHOC_ID_X5T;
			else
				return bad("--id-cred", optarg);
			break;
		case OPT_MAXP:
			if (parse_u64(optarg, NODE_MAX_PAYLOAD, &v) != 0 || v < 32)
				return bad("--max-payload (32..1024)", optarg);
			e->o.max_payload = (size_t)v;
			break;
		case OPT_BEHAV:
			if (app_kind_parse(optarg, &e->o.kind) != 0)
				return bad("--behaviour", optarg);
			break;
		case OPT_INTERVAL:
			if (parse_u64(optarg, 86400000u, &v) != 0 || v == 0)
				return bad("--interval", optarg);
			e->o.interval_ms = (uint32_t)v;
			break;
		case OPT_BAUD:
			if (parse_u64(optarg, 4000000u, &v) != 0 || v < 50)
				return bad("--baud", optarg);
			e->baud = (unsigned)v;
			break;
		case OPT_LOSS:
			if (parse_percent(optarg, &e->loss_ppm) != 0)
				return bad("--loss (0..100)", optarg);
			break;
		case OPT_LOSSIN:
			if (parse_percent(optarg, &e->loss_in_ppm) != 0)
				return bad("--loss-in (0..100)", optarg);
			break;
		case OPT_SEED:
			if (parse_u64(optarg, UINT64_MAX, &e->seed) != 0)
				return bad("--seed", optarg);
			break;
		case OPT_SLOW:
			if (parse_u64(optarg, 600000u, &v) != 0)
				return bad("--slow", optarg);
			e->o.slow_ms = (uint32_t)v;
			break;
		case OPT_MAX_AGE:
			if (parse_u64(optarg, 3600000u, &v) != 0)
				return bad("--max-age", optarg);
			e->o.max_age_ms = (uint32_t)v;
			break;
		case OPT_RB_AFTER:
			if (parse_u64(optarg, 86400000u * 365u, &v) != 0 || v == 0)
				return bad("--reboot-after", optarg);
			e->reboot_after_ns = v * 1000000u;
			break;
		case OPT_RB_EVERY:
			if (parse_u64(optarg, 86400000u * 365u, &v) != 0 || v == 0)
				return bad("--reboot-every", optarg);
			e->reboot_every_ns = v * 1000000u;
			break;
		case OPT_RB_ONLY:
			e->reboot_only = optarg;
			break;
		case OPT_CLOCK: {
			char *end;
			long long s;

			errno = 0;
			s = strtoll(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    s > 100ll * 365 * 86400 || s < -100ll * 365 * 86400)
				return bad("--clock-offset", optarg);
			e->o.clock_offset_s = s;
			break;
		}
		case OPT_TICK:
			if (parse_u64(optarg, (uint64_t)1 << 52, &e->o.tick_start_ms) != 0)
				return bad("--tick-start", optarg);
			break;
		case OPT_STATS:
			e->stats_path = optarg;
			break;
		case 'v':
			log_init(true);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case OPT_VERSION:
			printf("serguard-device %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc)
		return bad("argument", argv[optind]);
	if (e->port_path == NULL || ca_path == NULL || e->n_dev == 0) {
		fputs("serguard-device: --port, --ca and --device are required (see --help)\n",
		      stderr);
		return 2;
	}
	if (!e->bus && e->n_dev != 1) {
		fputs("serguard-device: RS232 is point to point: give exactly one --device\n",
		      stderr);
		return 2;
	}
	for (i = 0; i < e->n_dev; i++)
		for (j = i + 1; j < e->n_dev; j++)
			if (e->dev[i].addr == e->dev[j].addr ||
			    strcmp(e->dev[i].name, e->dev[j].name) == 0) {
				fprintf(stderr, "serguard-device: devices %s and %s share a name "
						"or an address\n",
					e->dev[i].name, e->dev[j].name);
				return 2;
			}
	if (e->reboot_only != NULL) {
		for (i = 0; i < e->n_dev && strcmp(e->dev[i].name, e->reboot_only) != 0; i++)
			;
		if (i == e->n_dev)
			return bad("--reboot-only (no such device)", e->reboot_only);
	}
	if (cred_read_file(ca_path, e->ca, sizeof(e->ca), &e->o.ca_len, err, sizeof(err)) != 0) {
		fprintf(stderr, "serguard-device: %s\n", err);
		return 1;
	}
	e->o.ca = e->ca;
	if (gw_cert_path != NULL) {
		if (cred_read_file(gw_cert_path, e->gw_cert, sizeof(e->gw_cert),
				   &e->o.gw_cert_len, err, sizeof(err)) != 0) {
			fprintf(stderr, "serguard-device: %s\n", err);
			return 1;
		}
		e->o.gw_cert = e->gw_cert;
	}
	e->o.bus = e->bus;
	return -1;
}

static void write_stats(struct emu *e)
{
	char tmp[4096];
	size_t i;
	FILE *f;

	if (e->stats_path == NULL)
		return;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", e->stats_path) >= (int)sizeof(tmp))
		return;
	f = fopen(tmp, "w");
	if (f == NULL) {
		log_warn(NULL, "%s: %s", tmp, strerror(errno));
		return;
	}
	for (i = 0; i < e->n_dev; i++)
		node_write_stats(&e->nodes[i], f);
	fprintf(f,
		"line rx_bytes=%llu tx_bytes=%llu frames_out=%u frames_lost_out=%u "
		"frames_in=%u frames_lost_in=%u baud=%u\n",
		(unsigned long long)e->line.stats.rx_bytes,
		(unsigned long long)e->line.stats.tx_bytes, e->line.stats.frames_out,
		e->line.stats.frames_lost_out, e->line.stats.frames_in,
		e->line.stats.frames_lost_in, e->baud);
	if (fclose(f) != 0 || rename(tmp, e->stats_path) != 0)
		log_warn(NULL, "%s: %s", e->stats_path, strerror(errno));
}

static void power_cycle(struct emu *e, uint64_t now)
{
	bool all = e->reboot_only == NULL;
	size_t i;
	int rc;

	log_event(NULL, "power cycle%s%s", all ? "" : " of ", all ? "" : e->reboot_only);
	if (all)
		line_reset(&e->line); /* the UART's buffers are gone too */
	for (i = 0; i < e->n_dev; i++) {
		struct node *n = &e->nodes[i];

		if (!all && strcmp(n->name, e->reboot_only) != 0)
			continue;
		node_power_off(n);
		if ((rc = node_boot(n, now)) != 0)
			log_warn(n->name, "cannot power on: %s", sg_strerror(rc));
	}
}

static void port_lost(struct emu *e, uint64_t now, const char *why)
{
	log_warn(NULL, "%s: %s; reopening", e->port_path, why);
	close(e->fd);
	e->fd = -1;
	e->hung_up = true;
	e->reopen_ns = now + REOPEN_NS;
	line_reset(&e->line);
}

static void try_reopen(struct emu *e, uint64_t now)
{
	char err[512];

	e->fd = port_open(e->port_path, e->baud, err, sizeof(err));
	if (e->fd < 0) {
		e->reopen_ns = now + REOPEN_NS;
		return;
	}
	e->hung_up = false;
	log_warn(NULL, "%s: open again", e->port_path);
}

/* The UART receive interrupt: due bytes, one at a time, to every engine. */
static void rx_bytes(struct emu *e)
{
	uint64_t now = mono_ns();
	unsigned char b;
	size_t i;

	while (line_rx_take(&e->line, now, &b) == 1)
		for (i = 0; i < e->n_dev; i++)
			node_rx_byte(&e->nodes[i], b, now);
}

/* The UART transmitter: the next frame when the line is free, then the
 * bytes whose time has come; again while the line keeps coming free
 * (unpaced, a frame is written at once; each round takes one frame out
 * of an engine, so this ends). Returns false when the port failed. */
static bool tx_frames(struct emu *e, bool *want_pollout)
{
	const unsigned char *p;
	size_t i, len;
	ssize_t w;

	*want_pollout = false;
	for (;;) {
		uint64_t now = mono_ns();
		bool took = false, was_idle = line_tx_idle(&e->line);

		for (i = 0; i < e->n_dev && line_tx_idle(&e->line); i++) {
			struct node *n = &e->nodes[(e->rr + i) % e->n_dev];

			len = node_take_frame(n, e->frame, sizeof(e->frame), now);
			if (len == 0)
				continue;
			took = true;
			if (line_tx_frame(&e->line, e->frame, len, now) == 0) {
				n->n.frames_lost++;
				log_event(n->name, "frame of %zu bytes lost on the line (--loss)",
					  len);
			}
			e->rr = (e->rr + i + 1) % e->n_dev;
			break;
		}
		while ((len = line_tx_ready(&e->line, now, &p)) > 0) {
			w = write(e->fd, p, len);
			if (w > 0) {
				line_tx_done(&e->line, (size_t)w);
				continue;
			}
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
				*want_pollout = true;
				return true;
			}
			return false;
		}
		if (!line_tx_idle(&e->line) || (was_idle && !took))
			break; /* bytes wait for their time, or nothing to send */
	}
	return true;
}

static bool rx_read(struct emu *e)
{
	unsigned char buf[1024];

	while (line_rx_room(&e->line) > 0) {
		size_t want = line_rx_room(&e->line);
		ssize_t r = read(e->fd, buf, want < sizeof(buf) ? want : sizeof(buf));

		if (r > 0) {
			line_rx_put(&e->line, buf, (size_t)r, mono_ns());
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		return false; /* 0: hung up; EIO: the other side is gone */
	}
	return true;
}

/* Every session closed and the line done with the last frame. */
static bool all_quiet(const struct emu *e)
{
	size_t i;

	if (!line_tx_idle(&e->line))
		return false;
	for (i = 0; i < e->n_dev; i++)
		if (!node_quiet(&e->nodes[i]))
			return false;
	return true;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static int run(struct emu *e)
{
	uint64_t start = mono_ns(), reboot_ns = LINE_NEVER, close_until = 0;
	bool closing = false, want_pollout = false;
	struct pollfd pfd;
	sigset_t block, orig;
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGUSR2);
	sigprocmask(SIG_BLOCK, &block, &orig);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigdelset(&orig, SIGTERM);
	sigdelset(&orig, SIGINT);
	sigdelset(&orig, SIGUSR1);
	sigdelset(&orig, SIGUSR2);
	signal(SIGPIPE, SIG_IGN);

	if (e->reboot_after_ns != 0)
		reboot_ns = start + e->reboot_after_ns;
	else if (e->reboot_every_ns != 0)
		reboot_ns = start + e->reboot_every_ns;
	for (i = 0; i < e->n_dev; i++) {
		int rc = node_boot(&e->nodes[i], start);

		if (rc != 0) {
			fprintf(stderr, "serguard-device: %s: %s\n", e->nodes[i].name,
				sg_strerror(rc));
			return 1;
		}
	}
	log_event(NULL, "ready on %s (%s, %zu device%s, %s%u baud, loss %.2f%% out %.2f%% in)",
		  e->port_path, e->bus ? "rs485" : "rs232", e->n_dev, e->n_dev == 1 ? "" : "s",
		  e->baud == 0 ? "unpaced, " : "", e->baud, e->loss_ppm / 10000.0,
		  e->loss_in_ppm / 10000.0);

	for (;;) {
		uint64_t now = mono_ns(), next = LINE_NEVER;
		struct timespec ts;
		int pr;

		/* signals and schedules */
		if (got_term && !closing) {
			closing = true;
			close_until = now + CLOSE_WAIT_NS;
			for (i = 0; i < e->n_dev; i++)
				node_close(&e->nodes[i], now);
		}
		if (closing && (all_quiet(e) || now >= close_until || e->fd < 0))
			break;
		if (got_reboot) {
			got_reboot = 0;
			power_cycle(e, now);
		}
		if (got_stats) {
			got_stats = 0;
			write_stats(e);
		}
		if (now >= reboot_ns) {
			power_cycle(e, now);
			reboot_ns = e->reboot_every_ns != 0 ? now + e->reboot_every_ns : LINE_NEVER;
		}
		if (e->fd < 0 && now >= e->reopen_ns)
			try_reopen(e, now);

		/* the firmware's interrupt and main-loop work */
		rx_bytes(e);
		for (i = 0; i < e->n_dev; i++)
			node_service(&e->nodes[i], mono_ns());
		if (e->fd >= 0 && !tx_frames(e, &want_pollout))
			port_lost(e, mono_ns(), strerror(errno));

		/* sleep until the next thing to do */
		now = mono_ns();
		next = min_u64(next, line_rx_next(&e->line));
		if (!want_pollout)
			next = min_u64(next, line_tx_next(&e->line));
		for (i = 0; i < e->n_dev; i++)
			next = min_u64(next, node_next_event(&e->nodes[i]));
		next = min_u64(next, reboot_ns);
		if (e->fd < 0)
			next = min_u64(next, e->reopen_ns);
		if (closing)
			next = all_quiet(e) ? now : min_u64(next, close_until);
		if (next <= now) {
			ts.tv_sec = 0;
			ts.tv_nsec = 0;
		} else {
			uint64_t d = next - now;

			if (d > 60ull * 1000000000u)
				d = 60ull * 1000000000u;
			ts.tv_sec = (time_t)(d / 1000000000u);
			ts.tv_nsec = (long)(d % 1000000000u);
		}
		pfd.fd = e->fd;
		pfd.events = 0;
		pfd.revents = 0;
		if (e->fd >= 0 && line_rx_room(&e->line) > 0)
			pfd.events |= POLLIN;
		if (want_pollout)
			pfd.events |= POLLOUT;
		pr = ppoll(&pfd, 1, &ts, &orig);
		if (pr < 0 && errno != EINTR) {
			log_warn(NULL, "ppoll: %s", strerror(errno));
			return 1;
		}
		if (pr > 0 && e->fd >= 0) {
			if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
				if (!rx_read(e))
					port_lost(e, mono_ns(), "hung up");
			}
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct emu *e;
	char err[512];
	size_t i;
	int rc;

	log_init(false);
	e = calloc(1, sizeof(*e));
	if (e == NULL) {
		fputs("serguard-device: out of memory\n", stderr);
		return 1;
	}
	rc = parse_args(e, argc, argv);
	if (rc >= 0) {
		free(e);
		return rc;
	}
	line_init(&e->line, e->baud, e->loss_ppm, e->loss_in_ppm, e->seed);
	e->nodes = calloc(e->n_dev, sizeof(*e->nodes));
	if (e->nodes == NULL) {
		fputs("serguard-device: out of memory\n", stderr);
		free(e);
		return 1;
	}
	rc = 0;
	for (i = 0; i < e->n_dev && rc == 0; i++) {
		if (node_setup(&e->nodes[i], &e->o, e->dev[i].name, (uint8_t)e->dev[i].addr,
			       e->dev[i].certbase, err, sizeof(err)) != 0) {
			fprintf(stderr, "serguard-device: %s: %s\n", e->dev[i].name, err);
			rc = 1;
		}
	}
	if (rc == 0) {
		e->fd = port_open(e->port_path, e->baud, err, sizeof(err));
		if (e->fd < 0) {
			fprintf(stderr, "serguard-device: %s\n", err);
			rc = 1;
		}
	}
	if (rc == 0) {
		rc = run(e);
		write_stats(e);
		if (e->fd >= 0)
			close(e->fd);
	}
	for (i = 0; i < e->n_dev; i++)
		node_free(&e->nodes[i]);
	free(e->nodes);
	free(e);
	return rc;
}
