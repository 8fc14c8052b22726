/*
 * sg-sock: a local client of a serguardd device socket, for shell tests.
 *
 *   sg-sock [-t MS] [-r N] [-s SIZE]... [-q] SOCKET [MESSAGE...]
 *   sg-sock -l [-t MS] ADDRESS
 *
 * Connects to SOCKET (AF_UNIX, SOCK_SEQPACKET), sends each MESSAGE as one
 * message (then one message of SIZE bytes 'x' per -s), then receives
 * messages until it has N of them (default: as many as it sent) or until
 * MS milliseconds (default 10000) passed without one. Each message
 * received is printed on a line of its own as "LENGTH TEXT" (bytes that
 * are not printable ASCII as \xHH), unless -q. With -r 0 and nothing to
 * send it only connects and waits -t MS (a silent client).
 *
 * Exit 0 when N messages came, 1 when fewer did (or on an error), 2 for a
 * usage error. The boundaries are the socket's: one recv() one message.
 *
 * With -l it is a fake $NOTIFY_SOCKET instead: it binds a datagram socket
 * at ADDRESS (a path, or "@name" in the abstract namespace) and prints
 * each datagram on a line of its own (a newline inside as "\n") until
 * MS milliseconds pass without one or it is killed; exit 0.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAXSIZE 65536

static int listen_dgram(const char *addr, long timeout)
{
	static char buf[4096];
	struct sockaddr_un sa;
	socklen_t len;
	size_t n = strlen(addr);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (fd < 0 || n >= sizeof(sa.sun_path))
		return 1;
	memcpy(sa.sun_path, addr, n);
	if (addr[0] == '@')
		sa.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (addr[0] != '@'));
	if (bind(fd, (struct sockaddr *)&sa, len) != 0) {
		fprintf(stderr, "sg-sock: bind %s: %s\n", addr, strerror(errno));
		return 1;
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r = poll(&p, 1, (int)timeout), i;

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		r = recv(fd, buf, sizeof(buf), 0);
		if (r < 0)
			break;
		for (i = 0; i < r; i++)
			if (buf[i] == '\n')
				fputs("\\n", stdout);
			else
				putchar(buf[i]);
		putchar('\n');
		fflush(stdout);
	}
	close(fd);
	if (addr[0] != '@')
		unlink(addr);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: sg-sock [-t MS] [-r N] [-s SIZE]... [-q] SOCKET [MESSAGE...]\n"
			"       sg-sock -l [-t MS] ADDRESS\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static unsigned char buf[MAXSIZE + 1];
	long timeout = 10000, want = -1, got = 0, sent = 0;
	long sizes[16];
	int nsizes = 0, c, fd, i;
	bool quiet = false, listen = false;
	struct sockaddr_un sa;

	while ((c = getopt(argc, argv, "t:r:s:ql")) != -1) {
		switch (c) {
		case 'l':
			listen = true;
			break;
		case 't':
			timeout = atol(optarg);
			break;
		case 'r':
			want = atol(optarg);
			break;
		case 's':
			if (nsizes == 16 || atol(optarg) < 0 || atol(optarg) > MAXSIZE)
				usage();
			sizes[nsizes++] = atol(optarg);
			break;
		case 'q':
			quiet = true;
			break;
		default:
			usage();
		}
	}
	if (optind >= argc)
		usage();
	if (listen)
		return listen_dgram(argv[optind], timeout);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(argv[optind]) >= sizeof(sa.sun_path))
		usage();
	strcpy(sa.sun_path, argv[optind]);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "sg-sock: %s: %s\n", argv[optind], strerror(errno));
		return 1;
	}
	for (i = optind + 1; i < argc; i++, sent++)
		if (send(fd, argv[i], strlen(argv[i]), MSG_NOSIGNAL) < 0) {
			fprintf(stderr, "sg-sock: send: %s\n", strerror(errno));
			return 1;
		}
	memset(buf, 'x', sizeof(buf));
	for (i = 0; i < nsizes; i++, sent++)
		if (send(fd, buf, (size_t)sizes[i], MSG_NOSIGNAL) < 0) {
			fprintf(stderr, "sg-sock: send: %s\n", strerror(errno));
			return 1;
		}
	if (want < 0)
		want = sent;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;
		int r;

		if (got >= want && want > 0)
			break;
		r = poll(&p, 1, (int)timeout);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break; /* quiet for the whole timeout */
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			fprintf(stderr, "sg-sock: recv: %s\n", strerror(errno));
			return 1;
		}
		if (n == 0) {
			fprintf(stderr, "sg-sock: the daemon closed the connection\n");
			break;
		}
		got++;
		if (!quiet) {
			printf("%zd ", n);
			for (i = 0; i < n; i++)
				if (buf[i] >= 0x20 && buf[i] < 0x7f && buf[i] != '\\')
					putchar(buf[i]);
				else
					printf("\\x%02x", buf[i]);
			putchar('\n');
			fflush(stdout);
		}
	}
	close(fd);
	if (want == 0)
		return 0;
	if (got < want) {
		fprintf(stderr, "sg-sock: %ld of %ld messages\n", got, want);
		return 1;
	}
	return 0;
}
