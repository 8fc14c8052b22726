/*
 * Tests of serial ports (daemon/port.c) on socat pty pairs: the port
 * opens the pty behind socat's link= path (through termios, since
 * libserialport cannot open ptys), bytes flow both ways, a second opener
 * is refused with a clear message, a port that vanishes (socat killed,
 * as a USB adapter unplugged) is detected and reopened when socat comes
 * back on the same path, and RS485 on a pty gives the warning.
 *
 * Needs socat ($SOCAT from configure); exits 77 (skip) naming it if
 * absent.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "daemon/config.h"
#include "daemon/log.h"
#include "daemon/port.h"

static const char *socat;
static char dir[64], path_a[128], path_b[128];
static pid_t socat_pid = -1;
static uv_loop_t loop;
static char *logbuf;
static size_t loglen;
static FILE *logmem;

struct rx {
	unsigned char buf[16384];
	size_t len;
};

static const struct port_line line_8n1 = {
	.baud = 115200, .data_bits = 8, .parity = CFG_PARITY_NONE, .stop_bits = 1,
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void start_socat(void)
{
	char a[160], b[160];
	uint64_t end;

	snprintf(a, sizeof(a), "pty,raw,echo=0,link=%s", path_a);
	snprintf(b, sizeof(b), "pty,raw,echo=0,link=%s", path_b);
	socat_pid = fork();
	ck_assert_int_ge(socat_pid, 0);
	if (socat_pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 1);
		dup2(null, 2);
		execl(socat, "socat", a, b, (char *)NULL);
		_exit(127);
	}
	end = mono_ms() + 5000;
	while (access(path_a, F_OK) != 0 || access(path_b, F_OK) != 0) {
		ck_assert_msg(mono_ms() < end, "socat did not create its links");
		usleep(5000);
	}
}

static void stop_socat(void)
{
	int st;

	if (socat_pid <= 0)
		return;
	kill(socat_pid, SIGTERM);
	waitpid(socat_pid, &st, 0);
	socat_pid = -1;
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/sg-test-port.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path_a, sizeof(path_a), "%s/a", dir);
	snprintf(path_b, sizeof(path_b), "%s/b", dir);
	ck_assert_int_eq(uv_loop_init(&loop), 0);
	logmem = open_memstream(&logbuf, &loglen);
	log_set_stream(logmem, LOG_STYLE_PLAIN);
	log_set_level(LOG_INFO);
	start_socat();
}

static void teardown(void)
{
	stop_socat();
	uv_run(&loop, UV_RUN_NOWAIT);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
	log_set_stream(NULL, LOG_STYLE_PLAIN);
	fclose(logmem);
	free(logbuf);
	logbuf = NULL;
	unlink(path_a);
	unlink(path_b);
	unlink(dir);
	rmdir(dir);
}

static const char *logged(void)
{
	fflush(logmem);
	return logbuf != NULL ? logbuf : "";
}

/* Run the loop until the port is in state st (or ms pass). */
static bool run_until_state(struct port *p, int st, unsigned ms)
{
	uint64_t end = mono_ms() + ms;

	while (p->state != st) {
		if (mono_ms() > end)
			return false;
		uv_run(&loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
	return true;
}

/* Run the loop until the port has lost its device n times. */
static bool run_until_lost(struct port *p, uint64_t n, unsigned ms)
{
	uint64_t end = mono_ms() + ms;

	while (p->st.lost < n) {
		if (mono_ms() > end)
			return false;
		uv_run(&loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
	return true;
}

static void run_for(unsigned ms)
{
	uint64_t end = mono_ms() + ms;

	while (mono_ms() < end) {
		uv_run(&loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
}

static bool run_until_rx(struct rx *rx, size_t n, unsigned ms)
{
	uint64_t end = mono_ms() + ms;

	while (rx->len < n) {
		if (mono_ms() > end)
			return false;
		uv_run(&loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
	return true;
}

static void on_read(struct port *p, const unsigned char *buf, size_t len, void *arg)
{
	struct rx *rx = arg;

	(void)p;
	ck_assert_uint_le(rx->len + len, sizeof(rx->buf));
	memcpy(rx->buf + rx->len, buf, len);
	rx->len += len;
}

static struct port *new_port(const char *name, const char *path, const struct port_line *l,
			     struct rx *rx)
{
	static const struct port_cb cb = { .read = on_read };
	struct port *p = port_new(&loop, name, path, l, 4096, &cb, rx);

	ck_assert_ptr_nonnull(p);
	p->backoff_min_ms = 20;
	p->backoff_max_ms = 200;
	return p;
}

static void free_port(struct port *p)
{
	port_free(p);
	uv_run(&loop, UV_RUN_NOWAIT); /* let libuv release the handles */
}

/* The device side of the pair. */
static int open_peer(void)
{
	int fd = open(path_b, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	return fd;
}

static size_t peer_read(int fd, unsigned char *buf, size_t n, unsigned ms)
{
	uint64_t end = mono_ms() + ms;
	size_t have = 0;

	while (have < n && mono_ms() < end) {
		ssize_t r = read(fd, buf + have, n - have);

		if (r > 0)
			have += (size_t)r;
		uv_run(&loop, UV_RUN_NOWAIT); /* the port flushes its queue */
		if (r <= 0)
			usleep(1000);
	}
	return have;
}

START_TEST(bytes_flow_both_ways)
{
	struct rx *rx = calloc(1, sizeof(*rx));
	unsigned char out[3000], in[3000];
	struct port *p;
	size_t i;
	int peer, fl;
	char want[PATH_MAX + 512];

	p = new_port("p", path_a, &line_8n1, rx);
	port_start(p);
	ck_assert_int_eq(p->state, PORT_UP);
	ck_assert_int_eq(p->backend, PORT_BACKEND_TERMIOS); /* a pty */
	ck_assert_str_ne(p->real, path_a);		     /* the link was resolved */
	ck_assert_int_eq(strncmp(p->real, "/dev/pts/", 9), 0);
	snprintf(want, sizeof(want), "port p: up: %s -> %s via termios, 115200 8N1, rs232\n",
		 path_a, p->real);
	ck_assert_str_eq(logged(), want);
	/* close-on-exec and exclusive */
	fl = fcntl(p->fd, F_GETFD);
	ck_assert(fl & FD_CLOEXEC);
	ck_assert_int_eq(flock(p->fd, LOCK_EX | LOCK_NB), 0); /* ours: re-lock is fine */

	peer = open_peer();
	ck_assert_int_eq(write(peer, "hello from the device", 21), 21);
	ck_assert(run_until_rx(rx, 21, 3000));
	ck_assert_int_eq(memcmp(rx->buf, "hello from the device", 21), 0);

	for (i = 0; i < sizeof(out); i++)
		out[i] = (unsigned char)(i * 7 + 3);
	ck_assert_int_eq(port_write(p, out, sizeof(out)), 0);
	ck_assert_uint_eq(peer_read(peer, in, sizeof(in), 5000), sizeof(in));
	ck_assert_int_eq(memcmp(in, out, sizeof(out)), 0);
	ck_assert_uint_eq(p->st.tx_bytes, sizeof(out));
	ck_assert_uint_eq(p->st.rx_bytes, 21);
	ck_assert_uint_eq(port_tx_pending(p), 0);
	/* the queue is bounded: all or nothing */
	{
		static unsigned char big[5000];

		ck_assert_int_eq(port_write(p, big, sizeof(big)), -1);
		ck_assert_uint_eq(p->st.tx_refused, 1);
	}
	close(peer);
	free_port(p);
	free(rx);
}
END_TEST

START_TEST(second_opener_is_refused)
{
	struct rx rx1, rx2;
	struct port *p1, *p2;
	char real[PATH_MAX], want1[PATH_MAX + 512], want2[PATH_MAX + 512];

	memset(&rx1, 0, sizeof(rx1));
	memset(&rx2, 0, sizeof(rx2));
	p1 = new_port("first", path_a, &line_8n1, &rx1);
	port_start(p1);
	ck_assert_int_eq(p1->state, PORT_UP);
	p2 = new_port("second", path_a, &line_8n1, &rx2);
	port_start(p2);
	ck_assert_int_eq(p2->state, PORT_BACKOFF);
	ck_assert_ptr_nonnull(realpath(path_a, real));
	/* root may open past TIOCEXCL, not past the lock */
	snprintf(want1, sizeof(want1),
		 "port second: %s is busy: locked by another process (flock); retrying\n", real);
	snprintf(want2, sizeof(want2),
		 "port second: %s is busy: opened exclusively by another process (TIOCEXCL); "
		 "retrying\n",
		 real);
	ck_assert_msg(strstr(logged(), want1) != NULL || strstr(logged(), want2) != NULL,
		      "log: %s", logged());
	/* once the first lets go, the second gets it */
	free_port(p1);
	ck_assert(run_until_state(p2, PORT_UP, 3000));
	ck_assert_ptr_nonnull(strstr(logged(), "port second: up: "));
	free_port(p2);
}
END_TEST

START_TEST(vanished_port_is_reopened)
{
	struct rx *rx = calloc(1, sizeof(*rx));
	struct port *p;
	char old_real[PATH_MAX], want[PATH_MAX + 512];
	int peer;

	p = new_port("usb", path_a, &line_8n1, rx);
	port_start(p);
	ck_assert_int_eq(p->state, PORT_UP);
	snprintf(old_real, sizeof(old_real), "%s", p->real);
	/* unplug */
	stop_socat();
	ck_assert(run_until_lost(p, 1, 3000));
	ck_assert(p->state != PORT_UP);
	ck_assert_int_eq(p->fd, -1);
	snprintf(want, sizeof(want), "warning: port usb: %s lost (", old_real);
	ck_assert_msg(strstr(logged(), want) != NULL, "log: %s", logged());
	ck_assert_ptr_nonnull(strstr(logged(), "); reopening\n"));
	/* while it is away, it stays away (absent, or a dangling link) */
	run_for(300);
	ck_assert(p->state == PORT_ABSENT || p->state == PORT_BACKOFF);
	ck_assert_uint_eq(p->st.opens, 1);
	/* plug it back in: same path, a new pty behind it */
	start_socat();
	ck_assert(run_until_state(p, PORT_UP, 5000));
	ck_assert_uint_eq(p->st.opens, 2);
	peer = open_peer();
	ck_assert_int_eq(port_write(p, "again", 5), 0);
	{
		unsigned char in[5];

		ck_assert_uint_eq(peer_read(peer, in, 5, 3000), 5);
		ck_assert_int_eq(memcmp(in, "again", 5), 0);
	}
	ck_assert_int_eq(write(peer, "back", 4), 4);
	ck_assert(run_until_rx(rx, 4, 3000));
	close(peer);
	free_port(p);
	free(rx);
}
END_TEST

START_TEST(rs485_on_a_pty_warns)
{
	struct port_line l = line_8n1;
	struct rx rx;
	struct port *p;
	char want[PATH_MAX + 512];
	const char *w;
	size_t off;

	memset(&rx, 0, sizeof(rx));
	l.rs485 = true;
	l.rts_on_send = true;
	p = new_port("bus", path_a, &l, &rx);
	port_start(p);
	ck_assert_int_eq(p->state, PORT_UP);
	ck_assert_int_eq(p->rs485_kernel, 0);
	snprintf(want, sizeof(want),
		 "warning: port bus: %s has no kernel RS485 support (TIOCSRS485: Inappropriate "
		 "ioctl for device); the adapter must switch the transceiver's direction by "
		 "itself, as most USB RS485 adapters do\n",
		 p->real);
	w = strstr(logged(), want);
	ck_assert_msg(w != NULL, "log: %s", logged());
	off = (size_t)(w - logged()) + strlen(want);
	/* said once, not at every reopen */
	stop_socat();
	ck_assert(run_until_lost(p, 1, 3000));
	start_socat();
	ck_assert(run_until_state(p, PORT_UP, 5000));
	ck_assert_uint_eq(p->st.opens, 2);
	ck_assert_ptr_null(strstr(logged() + off, "has no kernel RS485 support"));
	free_port(p);
}
END_TEST

START_TEST(absent_then_present)
{
	struct rx rx;
	struct port *p;
	char path[160], want[PATH_MAX + 512];

	memset(&rx, 0, sizeof(rx));
	snprintf(path, sizeof(path), "%s/later", dir);
	p = new_port("late", path, &line_8n1, &rx);
	port_start(p);
	ck_assert_int_eq(p->state, PORT_ABSENT);
	snprintf(want, sizeof(want),
		 "port late: %s is absent (No such file or directory); waiting for it\n", path);
	ck_assert_str_eq(logged(), want);
	/* repeated failures are not logged again within the minute */
	run_for(300);
	ck_assert_str_eq(logged(), want);
	ck_assert_int_eq(symlink(path_a, path), 0); /* it appears */
	ck_assert(run_until_state(p, PORT_UP, 3000));
	ck_assert_ptr_nonnull(strstr(logged(), "(after "));
	free_port(p);
	unlink(path);
}
END_TEST

START_TEST(open_errors)
{
	struct port_line odd = line_8n1;
	struct rx rx;
	struct port *p;
	char path[160], want[PATH_MAX + 512], real[PATH_MAX];
	int fd;

	memset(&rx, 0, sizeof(rx));
	/* not a terminal */
	snprintf(path, sizeof(path), "%s/file", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	p = new_port("f", path, &line_8n1, &rx);
	port_start(p);
	ck_assert_int_eq(p->state, PORT_BACKOFF);
	snprintf(want, sizeof(want), "port f: cannot open %s: not a terminal device; retrying\n",
		 path);
	ck_assert_str_eq(logged(), want);
	ck_assert_int_eq(port_write(p, "x", 1), -1); /* not up */
	free_port(p);
	unlink(path);
	/* a rate termios cannot set */
	odd.baud = 12345;
	p = new_port("o", path_a, &odd, &rx);
	port_start(p);
	ck_assert_int_eq(p->state, PORT_BACKOFF);
	ck_assert_ptr_nonnull(realpath(path_a, real));
	snprintf(want, sizeof(want),
		 "port o: cannot open %s: 12345 bit/s is not a standard rate, which termios "
		 "needs; retrying\n",
		 real);
	ck_assert_ptr_nonnull(strstr(logged(), want));
	ck_assert_int_eq(p->fd, -1);
	free_port(p);
}
END_TEST

/* The termios settings asked for each line format. (A pty keeps only
 * some of them: the kernel's pty driver forces CS8 and clears PARENB, so
 * the rest is checked on the settings themselves.) */
START_TEST(line_settings)
{
	static const struct {
		struct port_line l;
		const char *text;
		speed_t speed;
		tcflag_t set, clear;
	} cases[] = {
		{ { 9600, 8, CFG_PARITY_EVEN, 1, CFG_FLOW_NONE, false, false, 0, 0 }, "9600 8E1",
		  B9600, CS8 | PARENB, PARODD | CSTOPB | CRTSCTS | CMSPAR },
		{ { 19200, 7, CFG_PARITY_ODD, 2, CFG_FLOW_RTSCTS, false, false, 0, 0 },
		  "19200 7O2 rtscts", B19200, CS7 | PARENB | PARODD | CSTOPB | CRTSCTS, CMSPAR },
		{ { 1200, 5, CFG_PARITY_MARK, 1, CFG_FLOW_NONE, false, false, 0, 0 }, "1200 5M1",
		  B1200, PARENB | PARODD | CMSPAR, CSTOPB },
		{ { 57600, 6, CFG_PARITY_SPACE, 1, CFG_FLOW_NONE, false, false, 0, 0 },
		  "57600 6S1", B57600, CS6 | PARENB | CMSPAR, PARODD },
		{ { 4000000, 8, CFG_PARITY_NONE, 1, CFG_FLOW_NONE, false, false, 0, 0 },
		  "4000000 8N1", B4000000, CS8, PARENB | CSTOPB },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rx rx;
		struct termios t;
		struct port *p;
		char text[64];

		port_line_format(&cases[i].l, text, sizeof(text));
		ck_assert_str_eq(text, cases[i].text);
		memset(&t, 0xff, sizeof(t));
		ck_assert_int_eq(port_line_termios(&cases[i].l, &t), 0);
		ck_assert_uint_eq(t.c_cflag & cases[i].set, cases[i].set);
		ck_assert_uint_eq(t.c_cflag & cases[i].clear, 0);
		ck_assert_uint_eq(t.c_cflag & CSIZE, cases[i].set & CSIZE);
		ck_assert_uint_eq(t.c_cflag & (CLOCAL | CREAD), CLOCAL | CREAD);
		ck_assert_uint_eq(t.c_iflag & INPCK, cases[i].l.parity != CFG_PARITY_NONE ? INPCK : 0);
		ck_assert_uint_eq(t.c_iflag & (IXON | IXOFF | IGNPAR | PARMRK), 0);
		ck_assert_uint_eq(t.c_lflag & (ICANON | ECHO | ISIG), 0);
		ck_assert_uint_eq(t.c_oflag & OPOST, 0);
		ck_assert_uint_eq(t.c_cc[VMIN], 0);
		ck_assert_uint_eq(t.c_cc[VTIME], 0);
		ck_assert_uint_eq(cfgetospeed(&t), cases[i].speed);
		ck_assert_uint_eq(cfgetispeed(&t), cases[i].speed);
		/* on the pty: what the pty driver keeps */
		memset(&rx, 0, sizeof(rx));
		p = new_port("l", path_a, &cases[i].l, &rx);
		port_start(p);
		ck_assert_int_eq(p->state, PORT_UP);
		ck_assert_int_eq(tcgetattr(p->fd, &t), 0);
		ck_assert_uint_eq(t.c_cflag & (CSTOPB | CRTSCTS), cases[i].set & (CSTOPB | CRTSCTS));
		ck_assert_uint_eq(cfgetospeed(&t), cases[i].speed);
		ck_assert_uint_eq(t.c_lflag & (ICANON | ECHO), 0);
		free_port(p);
	}
	{
		struct port_line odd = cases[0].l;
		struct termios t;

		odd.baud = 12345;
		ck_assert_int_eq(port_line_termios(&odd, &t), -1);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("port");
	TCase *tc = tcase_create("socat");
	SRunner *sr;
	int failed;

	socat = getenv("SOCAT");
	if (socat == NULL || socat[0] == '\0') {
		printf("SKIP: test_port needs socat (Debian: apt-get install socat)\n");
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, bytes_flow_both_ways);
	tcase_add_test(tc, second_opener_is_refused);
	tcase_add_test(tc, vanished_port_is_reopened);
	tcase_add_test(tc, rs485_on_a_pty_warns);
	tcase_add_test(tc, absent_then_present);
	tcase_add_test(tc, open_errors);
	tcase_add_test(tc, line_settings);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
