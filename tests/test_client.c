/*
 * Tests of the device sockets (daemon/client.c): SOCK_SEQPACKET message
 * boundaries in both directions, fan-out to several clients, downstream
 * backpressure (the daemon stops reading; nothing is dropped, nothing
 * grows), the per-client bound and the disconnection of a client that
 * does not read, oversize messages, max_clients, and the socket file
 * (mode, group, stale file replaced, live socket and other files left
 * alone, removal). The device side is a fake sink whose room the test
 * controls; the clients are plain sockets in this process.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "daemon/client.h"
#include "daemon/log.h"

#define MAXMSG 200
#define QMAX 4

static char dir[64], path[128];
static uv_loop_t loop;
static char *logbuf;
static size_t loglen;
static FILE *logmem;

/* the device side */
static struct {
	unsigned room; /* messages it still takes */
	unsigned got;
	size_t len[4096];
	unsigned char first[4096]; /* first byte of each */
	unsigned oversize;
	size_t oversize_len;
	uint64_t lost;
	unsigned connected;
	struct client_sock *echo_to; /* deliver each message taken back here */
} sink;

static bool s_can_send(void *arg)
{
	(void)arg;
	return sink.room > 0;
}

static int s_send(void *arg, const unsigned char *msg, size_t len, uint64_t now)
{
	(void)arg;
	(void)now;
	ck_assert_uint_gt(sink.room, 0);
	ck_assert_uint_lt(sink.got, 4096);
	sink.room--;
	sink.len[sink.got] = len;
	sink.first[sink.got] = msg[0];
	sink.got++;
	if (sink.echo_to != NULL)
		client_sock_deliver(sink.echo_to, msg, len);
	return 0;
}

static void s_refused(void *arg, size_t len, uint64_t now)
{
	(void)arg;
	(void)now;
	sink.oversize++;
	sink.oversize_len = len;
}

static void s_lost(void *arg, uint64_t n)
{
	(void)arg;
	sink.lost += n;
}

static void s_connected(void *arg, uint64_t now)
{
	(void)arg;
	(void)now;
	sink.connected++;
}

static const struct client_sink SINK = { s_can_send, s_send, s_refused, s_lost,
					 s_connected };

static const char *logged(void)
{
	fflush(logmem);
	return logbuf != NULL ? logbuf : "";
}

static void run_for(unsigned ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		uv_run(&loop, UV_RUN_NOWAIT);
		usleep(500);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < ms);
}

static struct client_sock *open_sock(unsigned max_clients, unsigned mode)
{
	struct client_sock_params p;

	memset(&p, 0, sizeof(p));
	p.name = "dev";
	p.path = path;
	p.mode = mode;
	p.gid = getgid();
	p.max_message = MAXMSG;
	p.max_clients = max_clients;
	p.queue_max = QMAX;
	return client_sock_new(&loop, &p, &SINK, NULL);
}

static int cli(void)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, path);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void cli_send(int fd, unsigned char tag, size_t len)
{
	unsigned char b[MAXMSG + 10];

	memset(b, tag, sizeof(b));
	ck_assert_int_eq(send(fd, b, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* One message, or -1 when none is waiting; 0 is the end of the connection. */
static ssize_t cli_recv(int fd, unsigned char *tag)
{
	unsigned char b[4096];
	ssize_t n = recv(fd, b, sizeof(b), MSG_DONTWAIT);

	if (n > 0 && tag != NULL)
		*tag = b[0];
	return n;
}

static void deliver(struct client_sock *cs, unsigned char tag, size_t len)
{
	unsigned char b[MAXMSG];

	memset(b, tag, len);
	client_sock_deliver(cs, b, len);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/sg-test-client.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	/* a directory the daemon creates */
	snprintf(path, sizeof(path), "%s/sub/dev.sock", dir);
	ck_assert_int_eq(uv_loop_init(&loop), 0);
	memset(&sink, 0, sizeof(sink));
	logmem = open_memstream(&logbuf, &loglen);
	log_set_stream(logmem, LOG_STYLE_PLAIN);
	log_set_level(LOG_INFO);
}

static void teardown(void)
{
	char cmd[128];

	run_for(5);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
	log_set_stream(NULL, LOG_STYLE_PLAIN);
	fclose(logmem);
	free(logbuf);
	logbuf = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(boundaries_kept_both_ways)
{
	struct client_sock *cs = open_sock(4, 0660);
	unsigned char tag;
	int fd;

	ck_assert_ptr_nonnull(cs);
	fd = cli();
	sink.room = 100;
	run_for(20);
	ck_assert_uint_eq(client_sock_count(cs), 1);
	ck_assert_uint_eq(sink.connected, 1);
	ck_assert_ptr_nonnull(strstr(logged(), "device dev: client 1 connected (pid "));

	/* three writes are three messages, whatever their sizes */
	cli_send(fd, 'a', 1);
	cli_send(fd, 'b', MAXMSG);
	cli_send(fd, 'c', 17);
	run_for(20);
	ck_assert_uint_eq(sink.got, 3);
	ck_assert_uint_eq(sink.len[0], 1);
	ck_assert_uint_eq(sink.first[0], 'a');
	ck_assert_uint_eq(sink.len[1], MAXMSG);
	ck_assert_uint_eq(sink.first[1], 'b');
	ck_assert_uint_eq(sink.len[2], 17);
	ck_assert_uint_eq(cs->st.msgs_in, 3);
	ck_assert_uint_eq(cs->st.bytes_in, 1 + MAXMSG + 17);

	/* and the other way */
	deliver(cs, 'x', 5);
	deliver(cs, 'y', MAXMSG);
	ck_assert_int_eq(cli_recv(fd, &tag), 5);
	ck_assert_uint_eq(tag, 'x');
	ck_assert_int_eq(cli_recv(fd, &tag), MAXMSG);
	ck_assert_uint_eq(tag, 'y');
	ck_assert_int_eq(cli_recv(fd, NULL), -1);

	/* a message one byte too long is refused; the client stays */
	cli_send(fd, 'o', MAXMSG + 1);
	cli_send(fd, 'd', 2);
	run_for(20);
	ck_assert_uint_eq(sink.oversize, 1);
	ck_assert_uint_eq(sink.oversize_len, MAXMSG + 1);
	ck_assert_uint_eq(cs->st.bad_length, 1);
	ck_assert_uint_eq(sink.got, 4);
	ck_assert_uint_eq(sink.first[3], 'd');
	ck_assert_uint_eq(client_sock_count(cs), 1);

	/* the client leaves */
	close(fd);
	run_for(20);
	ck_assert_uint_eq(client_sock_count(cs), 0);
	ck_assert_ptr_nonnull(strstr(logged(), "device dev: client 1 disconnected\n"));
	client_sock_free(cs);
}
END_TEST

START_TEST(fan_out_and_many_writers)
{
	struct client_sock *cs = open_sock(4, 0660);
	unsigned char tag;
	int fd[3], i;

	ck_assert_ptr_nonnull(cs);
	sink.room = 100;
	for (i = 0; i < 3; i++)
		fd[i] = cli();
	run_for(20);
	ck_assert_uint_eq(client_sock_count(cs), 3);
	/* every client gets every message from the device */
	deliver(cs, '1', 10);
	deliver(cs, '2', 20);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(cli_recv(fd[i], &tag), 10);
		ck_assert_uint_eq(tag, '1');
		ck_assert_int_eq(cli_recv(fd[i], &tag), 20);
		ck_assert_uint_eq(tag, '2');
	}
	ck_assert_uint_eq(cs->st.msgs_out, 6);
	/* any client may write */
	cli_send(fd[0], 'A', 3);
	cli_send(fd[2], 'C', 4);
	cli_send(fd[1], 'B', 5);
	run_for(30);
	ck_assert_uint_eq(sink.got, 3);
	for (i = 0; i < 3; i++)
		close(fd[i]);
	run_for(20);
	ck_assert_uint_eq(client_sock_count(cs), 0);
	client_sock_free(cs);
}
END_TEST

START_TEST(backpressure_stops_reading)
{
	struct client_sock *cs = open_sock(4, 0660);
	unsigned char b[64];
	unsigned k = 0, i;
	int fd;

	ck_assert_ptr_nonnull(cs);
	fd = cli();
	sink.room = 2;
	run_for(20);
	/* the client writes until its socket refuses */
	memset(b, 0, sizeof(b));
	for (;;) {
		b[0] = (unsigned char)k;
		if (send(fd, b, 1 + k % 50, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
			ck_assert_int_eq(errno, EAGAIN);
			break;
		}
		k++;
		ck_assert_uint_lt(k, 100000);
		run_for(1);
	}
	run_for(50);
	/* the device took what it had room for, the daemon read nothing more:
	 * the rest waits in the kernel, bounded by the socket */
	ck_assert_uint_gt(k, 2);
	ck_assert_uint_eq(sink.got, 2);
	ck_assert(cs->paused);
	ck_assert_uint_eq(cs->st.pauses, 1);
	ck_assert_uint_eq(sink.lost, 0);
	/* room again: everything arrives, in order, with its length */
	sink.room = 100000;
	client_sock_resume(cs);
	run_for(100);
	ck_assert_uint_eq(sink.got, k);
	for (i = 0; i < k; i++) {
		ck_assert_uint_eq(sink.first[i], (unsigned char)i);
		ck_assert_uint_eq(sink.len[i], 1 + i % 50);
	}
	ck_assert(!cs->paused);
	close(fd);
	run_for(10);
	client_sock_free(cs);
}
END_TEST

START_TEST(slow_client_disconnected)
{
	struct client_sock *cs = open_sock(4, 0660);
	unsigned char tag;
	unsigned n = 0, read_slow = 0, read_fast = 0, i;
	int slow, fast;
	ssize_t r;

	ck_assert_ptr_nonnull(cs);
	slow = cli();
	fast = cli();
	run_for(20);
	/* the device talks; one client reads, the other does not */
	while (cs->st.slow == 0) {
		deliver(cs, (unsigned char)n, 100);
		n++;
		ck_assert_uint_lt(n, 100000);
		while ((r = cli_recv(fast, &tag)) > 0) {
			ck_assert_uint_eq(tag, (unsigned char)read_fast);
			read_fast++;
		}
	}
	/* it was disconnected when its queue in the daemon (QMAX) overflowed,
	 * behind what its socket buffer held */
	ck_assert_uint_eq(client_sock_count(cs), 1);
	ck_assert_ptr_nonnull(strstr(logged(), "does not read its messages; disconnected with 5 "
					       "undelivered\n"));
	ck_assert_uint_eq(sink.lost, QMAX + 1);
	while ((r = cli_recv(slow, &tag)) > 0) {
		ck_assert_uint_eq(tag, (unsigned char)read_slow);
		read_slow++;
	}
	ck_assert_int_eq(r, 0); /* then the end of the connection */
	ck_assert_uint_eq(read_slow + sink.lost, n);
	/* the other client got everything */
	for (i = 0; i < 3; i++)
		deliver(cs, (unsigned char)n++, 10);
	while ((r = cli_recv(fast, &tag)) > 0)
		read_fast++;
	ck_assert_uint_eq(read_fast, n);
	close(slow);
	close(fast);
	run_for(10);
	client_sock_free(cs);
}
END_TEST

START_TEST(max_clients_refused)
{
	struct client_sock *cs = open_sock(2, 0660);
	int a, b, c;

	ck_assert_ptr_nonnull(cs);
	sink.room = 100;
	a = cli();
	b = cli();
	c = cli();
	run_for(30);
	ck_assert_uint_eq(client_sock_count(cs), 2);
	ck_assert_uint_eq(cs->st.refused, 1);
	ck_assert_int_eq(cli_recv(c, NULL), 0); /* closed at once */
	ck_assert_ptr_nonnull(strstr(logged(), "refused a client (pid "));
	ck_assert_ptr_nonnull(strstr(logged(), "max_clients (2) are connected\n"));
	/* a place frees up */
	close(a);
	run_for(20);
	close(c);
	c = cli();
	run_for(20);
	ck_assert_uint_eq(client_sock_count(cs), 2);
	close(b);
	close(c);
	run_for(20);
	client_sock_free(cs);
}
END_TEST

START_TEST(socket_file)
{
	struct client_sock *cs, *cs2;
	struct sockaddr_un sa;
	struct stat st;
	int fd;

	/* mode and group as configured; the directory is created */
	cs = open_sock(4, 0640);
	ck_assert_ptr_nonnull(cs);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	ck_assert_uint_eq(st.st_gid, getgid());
	/* a second daemon does not take a live socket */
	cs2 = open_sock(4, 0660);
	ck_assert_ptr_null(cs2);
	ck_assert_ptr_nonnull(strstr(logged(), "is in use by another process; not replacing it\n"));
	/* removed when the device stops */
	client_sock_free(cs);
	ck_assert_int_ne(lstat(path, &st), 0);

	/* a stale socket (nobody listening) is replaced */
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	cs = open_sock(4, 0660);
	ck_assert_ptr_nonnull(cs);
	ck_assert_ptr_nonnull(strstr(logged(), "device dev: replaced the stale socket "));
	/* a file that replaced ours is not removed */
	ck_assert_int_eq(unlink(path), 0);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	client_sock_free(cs);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	/* and such a file is never replaced */
	ck_assert_ptr_null(open_sock(4, 0660));
	ck_assert_ptr_nonnull(strstr(logged(), "exists and is not a socket; not replacing it\n"));
}
END_TEST

START_TEST(empty_messages_and_half_close)
{
	struct client_sock *cs = open_sock(4, 0660);
	unsigned char tag;
	int fd;

	ck_assert_ptr_nonnull(cs);
	sink.room = 10;
	fd = cli();
	run_for(20);
	/* an empty message is refused (a reader would take it for the end);
	 * the client stays */
	ck_assert_int_eq(send(fd, "", 0, MSG_NOSIGNAL), 0);
	cli_send(fd, 'n', 3);
	run_for(20);
	ck_assert_uint_eq(client_sock_count(cs), 1);
	ck_assert_uint_eq(sink.oversize, 1);
	ck_assert_uint_eq(sink.oversize_len, 0);
	ck_assert_uint_eq(sink.got, 1);
	ck_assert_uint_eq(sink.first[0], 'n');
	/* done sending, still reading (what socat does at the end of its
	 * input) */
	cli_send(fd, 'l', 4);
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	run_for(30);
	ck_assert_uint_eq(sink.got, 2);
	ck_assert_uint_eq(client_sock_count(cs), 1);
	deliver(cs, 'r', 6);
	ck_assert_int_eq(cli_recv(fd, &tag), 6);
	ck_assert_uint_eq(tag, 'r');
	/* then it closes: noticed within a second */
	close(fd);
	run_for(1300);
	ck_assert_uint_eq(client_sock_count(cs), 0);
	ck_assert_ptr_nonnull(strstr(logged(), "device dev: client 1 disconnected\n"));
	client_sock_free(cs);
}
END_TEST

START_TEST(closed_client_messages_still_taken)
{
	struct client_sock *cs = open_sock(4, 0660);
	int fd;

	ck_assert_ptr_nonnull(cs);
	sink.room = 10;
	sink.echo_to = cs; /* the device answers at once, to a client that left */
	fd = cli();
	run_for(20);
	cli_send(fd, '1', 5);
	cli_send(fd, '2', 6);
	cli_send(fd, '3', 7);
	close(fd);
	run_for(50);
	/* everything it sent before closing was taken, although answering it
	 * failed in between */
	ck_assert_uint_eq(sink.got, 3);
	ck_assert_uint_eq(sink.first[2], '3');
	ck_assert_uint_eq(client_sock_count(cs), 0);
	ck_assert_uint_eq(sink.lost, 0);
	sink.echo_to = NULL;
	client_sock_free(cs);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("client");
	TCase *tc = tcase_create("sockets");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, boundaries_kept_both_ways);
	tcase_add_test(tc, fan_out_and_many_writers);
	tcase_add_test(tc, backpressure_stops_reading);
	tcase_add_test(tc, slow_client_disconnected);
	tcase_add_test(tc, max_clients_refused);
	tcase_add_test(tc, socket_file);
	tcase_add_test(tc, empty_messages_and_half_close);
	tcase_add_test(tc, closed_client_messages_still_taken);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
