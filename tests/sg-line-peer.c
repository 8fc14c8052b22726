/*
 * sg-line-peer: the gateway end of one serial line, for testing a device
 * (the reference firmware under QEMU) without the daemon: a session
 * engine with the test PKI's gateway credential on a tty, which runs the
 * handshake, then sends COUNT messages and expects each one back (the
 * firmware's echo application), and expects the device's greeting.
 *
 *   sg-line-peer [-n COUNT] [-t SECONDS] [-g GREETING] TTY
 *
 * Reads the fixtures from $top_srcdir/tests/pki/fixtures. Exit 0 when
 * every check passed, 1 on failure (what failed on stderr), 2 on usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "testenv.h"

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int open_tty(const char *path)
{
	struct termios t;
	int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		cfsetispeed(&t, B115200);
		cfsetospeed(&t, B115200);
		tcsetattr(fd, TCSANOW, &t);
	}
	return fd;
}

static struct te_end gw;

int main(int argc, char **argv)
{
	const char *greeting = "hello from dev-a";
	unsigned count = 5, sent = 0, echoed = 0, greeted = 0;
	unsigned char buf[512], msg[256], expect[256];
	size_t expect_len = 0;
	int seconds = 60, opt, fd;
	uint64_t start, t_hs = 0;

	while ((opt = getopt(argc, argv, "n:t:g:")) != -1) {
		switch (opt) {
		case 'n':
			count = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 't':
			seconds = atoi(optarg);
			break;
		case 'g':
			greeting = optarg;
			break;
		default:
			fprintf(stderr, "usage: sg-line-peer [-n COUNT] [-t SECONDS] [-g GREETING] TTY\n");
			return 2;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: sg-line-peer [-n COUNT] [-t SECONDS] [-g GREETING] TTY\n");
		return 2;
	}
	fd = open_tty(argv[optind]);
	if (fd < 0) {
		fprintf(stderr, "sg-line-peer: %s: %s\n", argv[optind], strerror(errno));
		return 1;
	}
	start = now_ms();
	te_end_setup(&gw, SG_CONN_GATEWAY, "gw", "dev-a", start);
	gw.cfg.edhoc.cert_policy.now = (int64_t)time(NULL);
	/* a device computes each handshake step for a while (BUSY) */
	gw.cfg.hs_busy_ms = 30000;
	if (te_end_init(&gw, start) != 0 || sg_conn_start(&gw.c, start) != 0) {
		fprintf(stderr, "sg-line-peer: engine set-up failed\n");
		return 1;
	}

	while (now_ms() - start < (uint64_t)seconds * 1000u) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t now = now_ms(), dl = sg_conn_deadline(&gw.c);
		const unsigned char *out;
		unsigned st = sg_conn_status(&gw.c);
		int wait = 20;
		ssize_t r;
		size_t n, len;

		if (st & SG_CONN_WANT_WRITE)
			p.events |= POLLOUT;
		if (dl != UINT64_MAX && dl > now && dl - now < (uint64_t)wait)
			wait = (int)(dl - now);
		if (poll(&p, 1, wait) < 0 && errno != EINTR)
			break;
		now = now_ms();
		while ((r = read(fd, buf, sizeof(buf))) > 0)
			sg_conn_wire_push(&gw.c, buf, (size_t)r, now);
		if (sg_conn_status(&gw.c) & SG_CONN_WANT_WORK)
			sg_conn_work(&gw.c, now);
		if (sg_conn_deadline(&gw.c) <= now)
			sg_conn_tick(&gw.c, now);
		while ((n = sg_conn_wire_peek(&gw.c, &out, now)) > 0) {
			r = write(fd, out, n);
			if (r <= 0)
				break;
			sg_conn_wire_ack(&gw.c, (size_t)r);
		}

		st = sg_conn_status(&gw.c);
		if (!(st & SG_CONN_ESTABLISHED))
			continue;
		if (t_hs == 0) {
			t_hs = now;
			printf("sg-line-peer: session with %s after %llu ms\n",
			       sg_conn_peer(&gw.c)->id.subject_cn,
			       (unsigned long long)(now - start));
		}
		while (sg_conn_recv(&gw.c, msg, sizeof(msg), &len) == 0) {
			if (len == strlen(greeting) && memcmp(msg, greeting, len) == 0) {
				greeted++;
			} else if (expect_len > 0 && len == expect_len &&
				   memcmp(msg, expect, len) == 0) {
				echoed++;
				expect_len = 0;
			} else {
				fprintf(stderr, "sg-line-peer: unexpected message of %zu bytes\n", len);
				return 1;
			}
		}
		if (expect_len == 0 && sent < count) {
			/* lengths 1..200, content from the message number */
			size_t i, l = 1 + (sent * 37u) % 200u;

			for (i = 0; i < l; i++)
				expect[i] = (unsigned char)(sent * 7u + i);
			if (sg_conn_send(&gw.c, expect, l, now) == 0) {
				expect_len = l;
				sent++;
			}
		}
		if (echoed == count && greeted >= 1) {
			struct sg_conn_stats s;

			sg_conn_get_stats(&gw.c, &s);
			printf("sg-line-peer: %u messages echoed, greeting received; "
			       "%u frames in, %u out, %u retransmits\n",
			       echoed, s.frames_in, s.frames_out, s.hs_retransmits);
			te_end_free(&gw);
			return 0;
		}
	}
	fprintf(stderr,
		"sg-line-peer: timed out: session %s, %u/%u echoed, greeting %s\n",
		t_hs ? "up" : "never established", echoed, count, greeted ? "yes" : "no");
	return 1;
}
