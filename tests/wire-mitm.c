/*
 * wire-mitm: an attacker on the serial line, between serguardd and one or
 * more serguard-device processes, scripted by the integration tests.
 *
 *   wire-mitm --gw-link PATH --dev-link PATH [--dev-link PATH]...
 *             [--record FILE] [--seed N]
 *
 * It creates one pty for the gateway side and one per device side (an
 * RS485 bus: what the gateway sends goes to every device pty, what any
 * device sends goes to the gateway), links their slave paths at the PATHs
 * given, and forwards bytes frame by frame (split at 0x00 delimiters, so
 * frames from two device ptys never interleave). Every frame is printed
 * (and written to --record FILE) as "DIR PORT ADDR KIND LEN" and kept, the
 * last one per direction, address and kind, for replays.
 *
 * Commands, one a line on standard input (DIR is "down", gateway to
 * devices, or "up", devices to gateway; KIND 0 poll, 1 handshake, 2
 * record):
 *   replay DIR ADDR KIND DELAY_MS [COUNT EVERY_MS]   re-send the last frame
 *   inject DIR HEX [DELAY_MS]                        raw bytes on the line
 *   frame DIR ADDR KIND COUNT EVERY_MS [HEXPAYLOAD]  forge valid frames
 *   hold DIR ADDR KIND MS       hold the next such frame MS, then release it
 *   mute PORT 0|1               cut device pty PORT off the line (or not)
 *   noise EVERY_MS N            N random bytes both ways every EVERY_MS (0 off)
 *   jam DURATION_MS             garbage both ways, real frames lost, for a while
 *   slowloris DIR SECONDS       a delimiter then one byte a second, never ended
 *   stats                       print the counters
 * Each command's effect is acknowledged on standard output ("ok ...",
 * "held ...", "released ...", "replayed ...", "jam over", ...), so a test
 * can wait for it. Frames lost to a jam or a mute are counted, not shown.
 *
 * Implementation notes: one poll() loop; timed sends go through a small
 * queue of pending writes; masters are non-blocking and a write that
 * would block is dropped and counted (a real line loses bytes too). The
 * mitm keeps every slave open itself so that the master never sees a
 * hangup while serguardd or a device closes and reopens its port.
 */
#define _XOPEN_SOURCE 700
#define _DEFAULT_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "serguard/frame.h"

#define MAX_DEV 4
#define FRAME_MAX 1024
#define QUEUE_LEN 4096

enum dir { DOWN = 0, UP = 1 };

struct side {
	int master, slave;
	unsigned char acc[FRAME_MAX];
	size_t len;
	int muted;
};

struct pending {
	uint64_t due;
	int dir;
	int announce; /* a held frame: say when it goes */
	size_t len;
	unsigned char b[FRAME_MAX + 2];
};

struct hold {
	int active, dir, addr, kind;
	uint32_t ms;
};

struct mitm {
	struct side gw, dev[MAX_DEV];
	int ndev;
	FILE *rec;
	/* last frame seen per direction, address, kind (body without delimiters) */
	unsigned char last[2][256][3][FRAME_MAX];
	size_t last_len[2][256][3];
	struct pending q[QUEUE_LEN];
	struct hold hold;
	uint32_t noise_every, noise_n;
	uint64_t noise_next, jam_until, slow_next;
	int slow_dir, slow_left;
	uint32_t rng;
	unsigned long frames[2], lost, dropped_writes, injected;
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint8_t rnd(struct mitm *m)
{
	m->rng ^= m->rng << 13;
	m->rng ^= m->rng >> 17;
	m->rng ^= m->rng << 5;
	return (uint8_t)(m->rng >> 11);
}

/* a pty whose slave is linked at path, raw, kept open by us */
static int open_side(struct side *s, const char *path)
{
	struct termios t;
	const char *name;

	s->master = posix_openpt(O_RDWR | O_NOCTTY);
	if (s->master < 0 || grantpt(s->master) != 0 || unlockpt(s->master) != 0)
		return -1;
	name = ptsname(s->master);
	if (name == NULL)
		return -1;
	s->slave = open(name, O_RDWR | O_NOCTTY);
	if (s->slave < 0 || tcgetattr(s->slave, &t) != 0)
		return -1;
	cfmakeraw(&t);
	if (tcsetattr(s->slave, TCSANOW, &t) != 0)
		return -1;
	if (fcntl(s->master, F_SETFL, fcntl(s->master, F_GETFL) | O_NONBLOCK) != 0)
		return -1;
	(void)unlink(path);
	if (symlink(name, path) != 0)
		return -1;
	return 0;
}

static void put(struct mitm *m, int fd, const unsigned char *b, size_t len)
{
	ssize_t n = write(fd, b, len);
	if (n < 0 || (size_t)n != len)
		m->dropped_writes++;
}

/* bytes onto the line in direction dir, now */
static void send_raw(struct mitm *m, int dir, const unsigned char *b, size_t len)
{
	int i;

	if (dir == UP) {
		put(m, m->gw.master, b, len);
		return;
	}
	for (i = 0; i < m->ndev; i++)
		if (!m->dev[i].muted)
			put(m, m->dev[i].master, b, len);
}

/* the same, delay ms from now */
static int send_later(struct mitm *m, int dir, const unsigned char *b, size_t len,
		      uint64_t due, int announce)
{
	int i;

	if (len > sizeof m->q[0].b)
		return -1;
	for (i = 0; i < QUEUE_LEN; i++) {
		if (m->q[i].len == 0) {
			m->q[i].due = due;
			m->q[i].dir = dir;
			m->q[i].announce = announce;
			m->q[i].len = len;
			memcpy(m->q[i].b, b, len);
			return 0;
		}
	}
	return -1;
}

/* a body between delimiters, framed */
static size_t delimit(unsigned char *out, const unsigned char *body, size_t len)
{
	out[0] = 0;
	memcpy(out + 1, body, len);
	out[len + 1] = 0;
	return len + 2;
}

/* one complete frame body from a side: classify, record, forward */
static void frame_in(struct mitm *m, int dir, int port, const unsigned char *body,
		     size_t len)
{
	unsigned char dec[FRAME_MAX], out[FRAME_MAX + 2];
	size_t dlen = 0, olen;
	int addr = -1, kind = -1;

	if (sg_cobs_decode(body, len, dec, sizeof dec, &dlen) == SG_OK && dlen >= 4) {
		addr = dec[0];
		kind = dec[1] & SG_FRAME_KIND_MASK;
	}
	if (m->jam_until > now_ms() || (dir == UP && m->dev[port].muted)) {
		m->lost++;
		return;
	}
	m->frames[dir]++;
	if (m->rec != NULL)
		fprintf(m->rec, "%s %d %d %d %zu\n", dir ? "up" : "down", port, addr, kind, len);
	if (addr >= 0 && kind >= 0 && kind <= 2) {
		memcpy(m->last[dir][addr][kind], body, len);
		m->last_len[dir][addr][kind] = len;
	}
	olen = delimit(out, body, len);
	if (m->hold.active && m->hold.dir == dir && m->hold.addr == addr &&
	    m->hold.kind == kind) {
		m->hold.active = 0;
		if (send_later(m, dir, out, olen, now_ms() + m->hold.ms, 1) == 0) {
			printf("held %s addr %d kind %d for %u ms\n", dir ? "up" : "down", addr,
			       kind, m->hold.ms);
			return;
		}
	}
	send_raw(m, dir, out, olen);
}

/* bytes read from a side: split at delimiters */
static void bytes_in(struct mitm *m, struct side *s, int dir, int port)
{
	unsigned char buf[512];
	ssize_t n = read(s->master, buf, sizeof buf);
	ssize_t i;

	if (n <= 0)
		return;
	for (i = 0; i < n; i++) {
		if (buf[i] == 0) {
			if (s->len > 0)
				frame_in(m, dir, port, s->acc, s->len);
			s->len = 0;
		} else if (s->len < sizeof s->acc) {
			s->acc[s->len++] = buf[i];
		} else { /* runaway garbage: pass it on as it is */
			if (!(dir == UP && s->muted))
				send_raw(m, dir, s->acc, s->len);
			s->len = 0;
		}
	}
}

static int parse_dir(const char *s)
{
	if (strcmp(s, "down") == 0)
		return DOWN;
	if (strcmp(s, "up") == 0)
		return UP;
	return -1;
}

static size_t unhex(const char *h, unsigned char *out, size_t cap)
{
	size_t n = 0;
	unsigned v;

	while (h[0] != '\0' && h[1] != '\0' && n < cap && sscanf(h, "%2x", &v) == 1) {
		out[n++] = (unsigned char)v;
		h += 2;
	}
	return n;
}

static void cmd_replay(struct mitm *m, int dir, int addr, int kind, unsigned delay,
		       unsigned count, unsigned every)
{
	unsigned char out[FRAME_MAX + 2];
	size_t len, olen;
	unsigned i;
	uint64_t t = now_ms() + delay;

	if (dir < 0 || addr < 0 || addr > 255 || kind < 0 || kind > 2 ||
	    (len = m->last_len[dir][addr][kind]) == 0) {
		printf("error: nothing recorded to replay\n");
		return;
	}
	olen = delimit(out, m->last[dir][addr][kind], len);
	for (i = 0; i < count; i++)
		if (send_later(m, dir, out, olen, t + (uint64_t)i * every, 0) != 0)
			break;
	m->injected += i;
	printf("%s %s addr %d kind %d x%u\n", i == count ? "replaying" : "error: queue full,",
	       dir ? "up" : "down", addr, kind, i);
}

static void cmd_frame(struct mitm *m, int dir, int addr, int kind, unsigned count,
		      unsigned every, const char *hex)
{
	unsigned char payload[300], out[FRAME_MAX];
	size_t plen = hex != NULL ? unhex(hex, payload, sizeof payload) : 0, olen;
	unsigned i;
	uint64_t t = now_ms();
	uint8_t ctrl = (uint8_t)((dir == UP ? SG_FRAME_FROM_DEVICE : SG_FRAME_FROM_GATEWAY) |
				 (unsigned)kind);

	if (dir < 0 || sg_frame_encode(out, sizeof out, &olen, (uint8_t)addr, ctrl, payload,
				       plen) != SG_OK) {
		printf("error: cannot encode that frame\n");
		return;
	}
	for (i = 0; i < count; i++)
		if (send_later(m, dir, out, olen, t + (uint64_t)i * every, 0) != 0)
			break;
	m->injected += i;
	printf("%s %u frames %s addr %d kind %d\n", i == count ? "forging" : "error: queue full,",
	       i, dir ? "up" : "down", addr, kind);
}

static void command(struct mitm *m, char *line)
{
	char a[16] = "", h[700] = "";
	int x = -1, y = -1, z = -1;
	unsigned u = 0, v = 1, w = 0;
	unsigned char raw[350];
	size_t n;

	if (sscanf(line, "replay %15s %d %d %u %u %u", a, &x, &y, &u, &v, &w) >= 4) {
		cmd_replay(m, parse_dir(a), x, y, u, v, w);
	} else if (sscanf(line, "inject %15s %699s %u", a, h, &u) >= 2) {
		n = unhex(h, raw, sizeof raw);
		if (send_later(m, parse_dir(a), raw, n, now_ms() + u, 0) == 0) {
			m->injected++;
			printf("ok inject %zu bytes\n", n);
		} else {
			printf("error: queue full\n");
		}
	} else if (sscanf(line, "frame %15s %d %d %u %u %699s", a, &x, &y, &v, &w, h) >= 5) {
		cmd_frame(m, parse_dir(a), x, y, v, w, h[0] ? h : NULL);
	} else if (sscanf(line, "hold %15s %d %d %u", a, &x, &y, &u) == 4) {
		m->hold = (struct hold){1, parse_dir(a), x, y, u};
		printf("ok hold armed\n");
	} else if (sscanf(line, "mute %d %d", &x, &z) == 2 && x >= 0 && x < m->ndev) {
		m->dev[x].muted = z;
		printf("ok mute %d %d\n", x, z);
	} else if (sscanf(line, "noise %u %u", &u, &v) == 2) {
		m->noise_every = u;
		m->noise_n = v;
		m->noise_next = now_ms();
		printf("ok noise %u %u\n", u, v);
	} else if (sscanf(line, "jam %u", &u) == 1) {
		m->jam_until = now_ms() + u;
		printf("ok jam %u\n", u);
	} else if (sscanf(line, "slowloris %15s %u", a, &u) == 2) {
		m->slow_dir = parse_dir(a);
		m->slow_left = (int)u;
		m->slow_next = now_ms();
		send_raw(m, m->slow_dir, (const unsigned char *)"\0", 1);
		printf("ok slowloris %u\n", u);
	} else if (strncmp(line, "stats", 5) == 0) {
		printf("stats down=%lu up=%lu lost=%lu injected=%lu dropped_writes=%lu\n",
		       m->frames[DOWN], m->frames[UP], m->lost, m->injected, m->dropped_writes);
	} else {
		printf("error: unknown command: %s", line);
	}
	fflush(stdout);
}

/* timed behaviours: the queue, noise, the jam, the slowloris trickle */
static void tick(struct mitm *m)
{
	uint64_t t = now_ms();
	unsigned char b[64];
	uint32_t i;
	int k;

	for (k = 0; k < QUEUE_LEN; k++) {
		if (m->q[k].len != 0 && m->q[k].due <= t) {
			send_raw(m, m->q[k].dir, m->q[k].b, m->q[k].len);
			if (m->q[k].announce)
				printf("released %s %zu bytes\n", m->q[k].dir ? "up" : "down",
				       m->q[k].len);
			m->q[k].len = 0;
		}
	}
	if (m->noise_every != 0 && t >= m->noise_next) {
		for (i = 0; i < m->noise_n && i < sizeof b; i++)
			b[i] = rnd(m);
		send_raw(m, DOWN, b, i);
		send_raw(m, UP, b, i);
		m->noise_next = t + m->noise_every;
	}
	if (m->jam_until != 0) {
		if (t < m->jam_until) { /* garbage without delimiters: one endless frame */
			for (i = 0; i < 16; i++)
				b[i] = (uint8_t)(rnd(m) | 1u);
			send_raw(m, DOWN, b, 16);
			send_raw(m, UP, b, 16);
		} else {
			m->jam_until = 0;
			printf("jam over\n");
		}
	}
	if (m->slow_left > 0 && t >= m->slow_next) {
		b[0] = (uint8_t)(rnd(m) | 1u);
		send_raw(m, m->slow_dir, b, 1);
		m->slow_next = t + 1000;
		if (--m->slow_left == 0)
			printf("slowloris over\n");
	}
	fflush(stdout);
}

/* something timed is going on: poll at 1 ms */
static int busy(const struct mitm *m)
{
	int k;

	if (m->jam_until != 0 || m->noise_every != 0 || m->slow_left > 0)
		return 1;
	for (k = 0; k < QUEUE_LEN; k++)
		if (m->q[k].len != 0)
			return 1;
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: wire-mitm --gw-link PATH --dev-link PATH... [--record FILE] "
			"[--seed N]\n");
	return 2;
}

int main(int argc, char **argv)
{
	static struct mitm m;
	static const struct option opts[] = {{"gw-link", required_argument, NULL, 'g'},
					     {"dev-link", required_argument, NULL, 'd'},
					     {"record", required_argument, NULL, 'r'},
					     {"seed", required_argument, NULL, 's'},
					     {NULL, 0, NULL, 0}};
	const char *gw = NULL, *devs[MAX_DEV];
	struct pollfd p[MAX_DEV + 2];
	char line[1024];
	size_t llen = 0;
	int c, i, stdin_open = 1;

	m.rng = 0x2545F491u;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'g')
			gw = optarg;
		else if (c == 'd' && m.ndev < MAX_DEV)
			devs[m.ndev++] = optarg;
		else if (c == 'r' && (m.rec = fopen(optarg, "w")) != NULL)
			setvbuf(m.rec, NULL, _IOLBF, 0);
		else if (c == 's')
			m.rng = (uint32_t)strtoul(optarg, NULL, 0) | 1u;
		else
			return usage();
	}
	if (gw == NULL || m.ndev == 0)
		return usage();
	signal(SIGPIPE, SIG_IGN);
	if (open_side(&m.gw, gw) != 0) {
		perror("wire-mitm: gateway pty");
		return 1;
	}
	for (i = 0; i < m.ndev; i++) {
		if (open_side(&m.dev[i], devs[i]) != 0) {
			perror("wire-mitm: device pty");
			return 1;
		}
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		p[0] = (struct pollfd){stdin_open ? 0 : -1, POLLIN, 0};
		p[1] = (struct pollfd){m.gw.master, POLLIN, 0};
		for (i = 0; i < m.ndev; i++)
			p[2 + i] = (struct pollfd){m.dev[i].master, POLLIN, 0};
		if (poll(p, (nfds_t)(2 + m.ndev), busy(&m) ? 1 : 20) < 0 && errno != EINTR)
			return 1;
		if (p[0].revents & (POLLIN | POLLHUP)) {
			ssize_t n = read(0, line + llen, 1);
			if (n <= 0) {
				stdin_open = 0;
			} else if (line[llen] == '\n' || llen + 2 >= sizeof line) {
				line[llen + 1] = '\0';
				command(&m, line);
				llen = 0;
			} else {
				llen++;
			}
		}
		if (p[1].revents & POLLIN)
			bytes_in(&m, &m.gw, DOWN, 0);
		for (i = 0; i < m.ndev; i++)
			if (p[2 + i].revents & POLLIN)
				bytes_in(&m, &m.dev[i], UP, i);
		tick(&m);
	}
}
