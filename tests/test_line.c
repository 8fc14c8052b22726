/*
 * Tests of a serial line's driver (daemon/line.c): port, frame decoder,
 * bus scheduler and links together, on a socat pty pair with a device
 * emulator on the other end that decodes the gateway's frames and
 * answers polls for the addresses it is told to.
 *
 * Needs socat ($SOCAT from configure); exits 77 (skip) naming it if
 * absent.
 */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "daemon/config.h"
#include "daemon/cred.h"
#include "daemon/line.h"
#include "daemon/link.h"
#include "daemon/log.h"
#include "serguard/frame.h"

static const char *socat;
static char dir[64], path_a[128], path_b[128], path_key[128];
static pid_t socat_pid = -1;
static uv_loop_t loop;
static char *logbuf;
static size_t loglen;
static FILE *logmem;

/* The far end: field devices as firmware would answer. */
struct emu {
	int fd;
	uv_poll_t poll;
	struct sg_frame_decoder dec;
	unsigned char decbuf[SG_FRAME_DECODE_BUF_LEN(255)];
	bool answer[256];
	uint64_t frames[256];
	uint64_t bad;		 /* anything but a POLL or a handshake fragment to 1..2 */
	uint64_t last_dead_ms;	 /* when the last poll to a silent device came */
	uint64_t min_gap_ms;	 /* shortest silence after such a poll */
	bool after_dead;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void emu_send(struct emu *e, uint8_t addr, uint8_t kind)
{
	unsigned char wire[SG_FRAME_ENCODED_MAX(0)];
	size_t n;

	ck_assert_int_eq(sg_frame_encode(wire, sizeof(wire), &n, addr,
					 (uint8_t)(SG_FRAME_FROM_DEVICE | kind), NULL, 0),
			 0);
	ck_assert_int_eq(write(e->fd, wire, n), (ssize_t)n);
}

static void on_emu(uv_poll_t *h, int status, int events)
{
	struct emu *e = h->data;
	unsigned char buf[512];
	ssize_t r;

	(void)events;
	if (status < 0)
		return;
	while ((r = read(e->fd, buf, sizeof(buf))) > 0) {
		const unsigned char *p = buf;
		size_t len = (size_t)r;

		while (len > 0) {
			struct sg_frame f;
			size_t used = 0;
			uint64_t now = mono_ms();

			if (sg_frame_decoder_push(&e->dec, p, len, &used, &f) == 1) {
				if ((f.kind != SG_FRAME_POLL && f.kind != SG_FRAME_HANDSHAKE) ||
				    (f.kind == SG_FRAME_POLL && f.len != 0) || f.addr < 1 ||
				    f.addr > 2)
					e->bad++;
				e->frames[f.addr]++;
				if (e->after_dead && now - e->last_dead_ms < e->min_gap_ms)
					e->min_gap_ms = now - e->last_dead_ms;
				e->after_dead = false;
				if (e->answer[f.addr]) {
					emu_send(e, f.addr, SG_FRAME_POLL);
				} else {
					e->after_dead = true;
					e->last_dead_ms = now;
				}
			}
			p += used;
			len -= used;
		}
	}
}

static void emu_open(struct emu *e)
{
	memset(e, 0, sizeof(*e));
	e->fd = open(path_b, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	ck_assert_int_ge(e->fd, 0);
	e->min_gap_ms = UINT64_MAX;
	ck_assert_int_eq(sg_frame_decoder_init(&e->dec, e->decbuf, sizeof(e->decbuf), 255,
					       SG_FRAME_FROM_GATEWAY, 0),
			 0);
	ck_assert_int_eq(uv_poll_init(&loop, &e->poll, e->fd), 0);
	e->poll.data = e;
	ck_assert_int_eq(uv_poll_start(&e->poll, UV_READABLE, on_emu), 0);
}

static void emu_close(struct emu *e)
{
	uv_poll_stop(&e->poll);
	uv_close((uv_handle_t *)&e->poll, NULL);
	uv_run(&loop, UV_RUN_NOWAIT);
	close(e->fd);
}

static void run_for(unsigned ms)
{
	uint64_t end = mono_ms() + ms;

	while (mono_ms() < end) {
		uv_run(&loop, UV_RUN_NOWAIT);
		usleep(500);
	}
}

static const char *logged(void)
{
	fflush(logmem);
	return logbuf != NULL ? logbuf : "";
}

static void setup(void)
{
	char a[160], b[160];
	uint64_t end;

	snprintf(dir, sizeof(dir), "/tmp/sg-test-line.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path_a, sizeof(path_a), "%s/a", dir);
	snprintf(path_b, sizeof(path_b), "%s/b", dir);
	snprintf(path_key, sizeof(path_key), "%s/gw.key", dir);
	{
		/* the gateway's key, readable by us only (keyfile.c insists) */
		const char *top = getenv("top_srcdir");
		char src[512], buf[512];
		FILE *in, *out;
		size_t n;

		snprintf(src, sizeof(src), "%s/tests/pki/fixtures/gw.key.der",
			 top != NULL ? top : "..");
		in = fopen(src, "rb");
		ck_assert_ptr_nonnull(in);
		n = fread(buf, 1, sizeof(buf), in);
		fclose(in);
		out = fopen(path_key, "wb");
		ck_assert_ptr_nonnull(out);
		ck_assert_uint_eq(fwrite(buf, 1, n, out), n);
		fclose(out);
		ck_assert_int_eq(chmod(path_key, 0600), 0);
	}
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
	ck_assert_int_eq(uv_loop_init(&loop), 0);
	logmem = open_memstream(&logbuf, &loglen);
	log_set_stream(logmem, LOG_STYLE_PLAIN);
	log_set_level(LOG_INFO);
}

static void teardown(void)
{
	int st;

	unlink(path_key);
	kill(socat_pid, SIGTERM);
	waitpid(socat_pid, &st, 0);
	uv_run(&loop, UV_RUN_NOWAIT);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
	log_set_stream(NULL, LOG_STYLE_PLAIN);
	fclose(logmem);
	free(logbuf);
	logbuf = NULL;
	rmdir(dir);
}

static struct cred *cred;

static void parse(struct config *cf, const char *port_section, const char *devices)
{
	const char *top = getenv("top_srcdir");
	char text[2048];
	size_t i;

	top = top != NULL ? top : "..";
	snprintf(text, sizeof(text),
		 "[global]\nca = %s/tests/pki/fixtures/ca.crt.der\n"
		 "cert = %s/tests/pki/fixtures/gw.crt.der\nkey = %s\n"
		 "[port bus]\ndevice = %s\n%s%s",
		 top, top, path_key, path_a, port_section, devices);
	if (config_parse(cf, "t.conf", text, strlen(text)) != 0)
		for (i = 0; i < cf->nerrors; i++)
			fprintf(stderr, "%s\n", cf->errors[i].msg);
	ck_assert_uint_eq(cf->nerrors, 0);
	cred = cred_load(&cf->global);
	ck_assert_ptr_nonnull(cred);
}

static struct link *new_link(struct config *cf, const char *name)
{
	struct link *l;

	uv_update_time(&loop);
	l = link_new(config_device(cf, name), &cf->global, cred, uv_now(&loop));
	ck_assert_ptr_nonnull(l);
	return l;
}

static void done(struct config *cf)
{
	cred_unref(cred);
	cred = NULL;
	config_free(cf);
}

START_TEST(rs485_polls_and_down)
{
	struct config cf;
	struct line *ln;
	struct link *d1, *d2;
	struct emu e;

	parse(&cf,
	      "mode = rs485\nresponse_timeout_ms = 150\nhandshake_timeout_ms = 500\n"
	      "turnaround_ms = 2\npoll_interval_ms = 20\ndown_after_timeouts = 3\n"
	      "down_poll_interval_ms = 1000\n",
	      "[device d1]\nport = bus\naddress = 1\nidentity = cn:d1\n"
	      "[device d2]\nport = bus\naddress = 2\nidentity = cn:d2\n");
	emu_open(&e);
	e.answer[1] = true; /* d2 is dead */
	ln = line_new(&loop, config_port(&cf, "bus"));
	ck_assert_ptr_nonnull(ln);
	d1 = new_link(&cf, "d1");
	d2 = new_link(&cf, "d2");
	ck_assert_int_eq(line_add(ln, d1), 0);
	ck_assert_int_eq(line_add(ln, d2), 0);
	ck_assert_int_eq(line_add(ln, d2), -1); /* address taken */
	line_start(ln);
	run_for(2000);

	/* d1 answers every poll; its frames reach its link (a reply that a
	 * loaded machine delivers after the timeout still does) */
	ck_assert_uint_ge(d1->bd.st.replies, 20);
	ck_assert_uint_eq(d1->frames_in, d1->bd.st.replies + d1->bd.st.unexpected);
	ck_assert(!d1->bd.down);
	/* d2 is down after three silent polls, then polled every second */
	ck_assert(d2->bd.down);
	ck_assert_uint_le(e.frames[2], 3 + 2000 / 1000 + 1);
	ck_assert_ptr_nonnull(strstr(logged(), "warning: device d2 (port bus, address 2): not "
					       "answering; marked down, polled every 1000 ms\n"));
	/* only polls and the handshake's message_1 (the emulator does not
	 * speak EDHOC) went out, each one a turn (the last ones may still be
	 * on their way to the emulator) */
	ck_assert_uint_eq(e.bad, 0);
	ck_assert_uint_le(e.frames[1] + e.frames[2], ln->st.frames_out);
	ck_assert_uint_ge(e.frames[1] + e.frames[2] + 3, ln->st.frames_out);
	ck_assert_uint_eq(d1->turns + d2->turns, ln->st.frames_out);
	/* after an unanswered poll the line stayed quiet for the response
	 * timeout: nobody was talked over */
	ck_assert_uint_ge(e.min_gap_ms, 140);

	/* a frame from an address nobody configured */
	emu_send(&e, 3, SG_FRAME_POLL);
	run_for(100);
	ck_assert_uint_eq(ln->st.unknown_addr, 1);
	ck_assert_ptr_nonnull(strstr(logged(), "port bus: frame from address 3, where no device "
					       "is configured\n"));

	/* d2 comes back */
	e.answer[2] = true;
	run_for(1500);
	ck_assert(!d2->bd.down);
	ck_assert_ptr_nonnull(strstr(logged(), "device d2 (port bus, address 2): answering "
					       "again\n"));

	/* taken off the line, d2 is not polled any more */
	line_remove(ln, d2);
	ck_assert_ptr_null(d2->line);
	{
		uint64_t before = e.frames[2];

		run_for(300);
		ck_assert_uint_le(e.frames[2], before + 1); /* one may be in flight */
	}
	line_remove(ln, d1);
	link_free(d1);
	link_free(d2);
	line_free(ln);
	emu_close(&e);
	done(&cf);
}
END_TEST

START_TEST(rs232_no_polls)
{
	struct config cf;
	struct line *ln;
	struct link *plc;
	struct emu e;
	int i;

	/* the device starts the handshake (role responder): the gateway waits */
	parse(&cf, "mode = rs232\n",
	      "[device plc]\nport = bus\nidentity = cn:plc\nrole = responder\n");
	emu_open(&e);
	ln = line_new(&loop, config_port(&cf, "bus"));
	plc = new_link(&cf, "plc");
	ck_assert_int_eq(line_add(ln, plc), 0);
	line_start(ln);
	run_for(300);
	/* point-to-point: nothing is sent unless there is data */
	ck_assert_uint_eq(ln->st.frames_out, 0);
	ck_assert_uint_eq(e.frames[1], 0);
	/* the device speaks whenever it likes */
	for (i = 0; i < 3; i++)
		emu_send(&e, 1, SG_FRAME_RECORD);
	run_for(200);
	ck_assert_uint_eq(plc->frames_in, 3);
	ck_assert_uint_eq(ln->st.frames_in, 3);
	line_free(ln); /* takes the link off */
	ck_assert_ptr_null(plc->line);
	link_free(plc);
	emu_close(&e);
	done(&cf);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("line");
	TCase *tc = tcase_create("socat");
	SRunner *sr;
	int failed;

	socat = getenv("SOCAT");
	if (socat == NULL || socat[0] == '\0') {
		printf("SKIP: test_line needs socat (Debian: apt-get install socat)\n");
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, rs485_polls_and_down);
	tcase_add_test(tc, rs232_no_polls);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
