/*
 * sg-sock: a local client of a serguardd device socket, for shell tests.
 *
 *   sg-sock [-t MS] [-r N] [-s SIZE]... [-q] SOCKET [MESSAGE...]
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
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAXSIZE 65536

static void usage(void)
{
	fprintf(stderr, "usage: sg-sock [-t MS] [-r N] [-s SIZE]... [-q] SOCKET [MESSAGE...]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static unsigned char buf[MAXSIZE + 1];
	long timeout = 10000, want = -1, got = 0, sent = 0;
	long sizes[16];
	int nsizes = 0, c, fd, i;
	bool quiet = false;
	struct sockaddr_un sa;

	while ((c = getopt(argc, argv, "t:r:s:q")) != -1) {
		switch (c) {
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
