/*
 * serguardctl: the operator's command for a running serguardd.
 *
 * It sends one request on the daemon's control socket and prints the
 * reply (protocol in daemon/ctl.h and daemon/README.md): the text on
 * stdout when the daemon answers OK, on stderr otherwise, and exits with
 * the status the daemon gives.
 *
 * Implementation notes:
 * - The socket's path: -s, else control_socket of the configuration file
 *   (-c, or the default file when it can be read), else the default
 *   /run/serguard/control.sock.
 * - The reply is read to the end of the connection, with a bound on the
 *   time without any byte (a reload waits for the sessions it closes, at
 *   most half a second, so the bound is generous).
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

#include "daemon/buf.h"
#include "daemon/config.h"
#include "daemon/log.h"

#ifndef SG_VERSION
#define SG_VERSION "?"
#endif

#define DEFAULT_SOCKET "/run/serguard/control.sock" /* socket_dir's default */
#define EXIT_USAGE 2
#define EXIT_NOT_RUNNING 3
#define REPLY_TIMEOUT_MS 30000

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: serguardctl [-s SOCKET | -c FILE] COMMAND [ARGUMENT]\n"
		"\n"
		"Asks the running serguardd(8) through its control socket.\n"
		"\n"
		"Commands:\n"
		"  status [DEVICE]         ports and devices: state, peer identity, last\n"
		"                          handshake, key phase, messages, bytes and records\n"
		"                          each way, queues, clients, drops by reason\n"
		"  status --json [DEVICE]  the same as one JSON object (also -j)\n"
		"  metrics                 the same in the Prometheus text format\n"
		"  rehandshake DEVICE      start a new handshake with DEVICE now (the\n"
		"                          session keeps working until the new one is up)\n"
		"  reload                  reload the configuration and wait for the result:\n"
		"                          a summary, or every error as FILE:LINE: message\n"
		"  version                 the daemon's version\n"
		"\n"
		"Options:\n"
		"  -s, --socket PATH   the control socket\n"
		"  -c, --config FILE   take the control socket from this configuration\n"
		"                      (default %s, when readable; else %s)\n"
		"  -h, --help          print this help\n"
		"  -V, --version       print the version of serguardctl\n"
		"\n"
		"Exit status: 0 success, 1 the request failed (no such device, credentials\n"
		"refused on reload), 2 usage error, 3 the daemon is not running (no socket,\n"
		"or nobody answers on it), 78 the configuration has errors (reload).\n",
		CFG_DEFAULT_FILE, DEFAULT_SOCKET);
}

/* control_socket from a configuration file; NULL when it cannot be read. */
static char *socket_from(const char *file, bool quiet)
{
	struct config cf;
	char *s = NULL;

	if (config_load(&cf, file) == 0)
		s = strdup(cf.global.control_socket);
	else if (!quiet)
		fprintf(stderr,
			"serguardctl: %s: cannot take control_socket from it (%zu error%s); "
			"trying %s\n",
			file, cf.nerrors, cf.nerrors == 1 ? "" : "s", DEFAULT_SOCKET);
	config_free(&cf);
	return s;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = NULL, *conf = NULL, *cmd, *arg = NULL;
	char *from_conf = NULL, *nl;
	struct sockaddr_un sa;
	struct buf req, rep;
	bool json = false;
	int c, fd, status;

	/* "+": stop at the command, so "status --json" reaches us in order */
	while ((c = getopt_long(argc, argv, "+s:c:jhV", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			sock = optarg;
			break;
		case 'c':
			conf = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
		case 'V':
			printf("serguardctl %s\n", SG_VERSION);
			return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
		default:
			fprintf(stderr, "Try 'serguardctl --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "serguardctl: no command\nTry 'serguardctl --help'.\n");
		return EXIT_USAGE;
	}
	cmd = argv[optind++];
	for (; optind < argc; optind++) {
		if (strcmp(argv[optind], "--json") == 0 || strcmp(argv[optind], "-j") == 0)
			json = true;
		else if (arg == NULL && argv[optind][0] != '-')
			arg = argv[optind];
		else {
			fprintf(stderr, "serguardctl: unexpected argument '%s'\n"
					"Try 'serguardctl --help'.\n",
				argv[optind]);
			return EXIT_USAGE;
		}
	}
	if ((strcmp(cmd, "status") == 0) ||
	    ((strcmp(cmd, "rehandshake") == 0) && arg != NULL && !json) ||
	    ((strcmp(cmd, "metrics") == 0 || strcmp(cmd, "reload") == 0 ||
	      strcmp(cmd, "version") == 0) &&
	     arg == NULL && !json)) {
		/* a known command with the right arguments */
	} else {
		fprintf(stderr, "serguardctl: %s: unknown command or wrong arguments\n"
				"Try 'serguardctl --help'.\n",
			cmd);
		return EXIT_USAGE;
	}
	log_init(LOG_ERR, LOG_STYLE_PLAIN);

	if (sock == NULL && conf != NULL)
		sock = from_conf = socket_from(conf, false);
	else if (sock == NULL && access(CFG_DEFAULT_FILE, R_OK) == 0)
		sock = from_conf = socket_from(CFG_DEFAULT_FILE, true);
	if (sock == NULL)
		sock = DEFAULT_SOCKET;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(sock) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "serguardctl: socket path too long: %s\n", sock);
		free(from_conf);
		return EXIT_USAGE;
	}
	strcpy(sa.sun_path, sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;

		fprintf(stderr, "serguardctl: cannot reach serguardd at %s: %s\n", sock,
			strerror(e));
		free(from_conf);
		if (fd >= 0)
			close(fd);
		return e == EACCES || e == EPERM ? EXIT_FAILURE : EXIT_NOT_RUNNING;
	}
	free(from_conf);

	buf_init(&req);
	buf_printf(&req, "%s%s%s\n", strcmp(cmd, "status") == 0 && json ? "json" : cmd,
		   arg != NULL ? " " : "", arg != NULL ? arg : "");
	if (req.oom || write_all(fd, req.p, req.len) != 0) {
		fprintf(stderr, "serguardctl: cannot send the request: %s\n", strerror(errno));
		close(fd);
		buf_free(&req);
		return EXIT_FAILURE;
	}
	buf_free(&req);
	shutdown(fd, SHUT_WR);

	buf_init(&rep);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char chunk[4096];
		ssize_t n;
		int r = poll(&p, 1, REPLY_TIMEOUT_MS);

		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0) {
			fprintf(stderr, "serguardctl: no reply from serguardd within %d s\n",
				REPLY_TIMEOUT_MS / 1000);
			close(fd);
			buf_free(&rep);
			return EXIT_FAILURE;
		}
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "serguardctl: reading the reply: %s\n", strerror(errno));
			close(fd);
			buf_free(&rep);
			return EXIT_FAILURE;
		}
		if (n == 0)
			break;
		buf_add(&rep, chunk, (size_t)n);
	}
	close(fd);
	if (rep.oom || rep.p == NULL || (nl = strchr(rep.p, '\n')) == NULL) {
		fprintf(stderr, "serguardctl: incomplete reply from serguardd\n");
		buf_free(&rep);
		return EXIT_FAILURE;
	}
	*nl = '\0';
	if (strcmp(rep.p, "OK") == 0) {
		status = EXIT_SUCCESS;
		fputs(nl + 1, stdout);
	} else if (sscanf(rep.p, "ERROR %d", &status) == 1 && status > 0 && status < 256) {
		fputs(nl + 1, stderr);
	} else {
		fprintf(stderr, "serguardctl: unexpected reply from serguardd: %s\n", rep.p);
		status = EXIT_FAILURE;
	}
	buf_free(&rep);
	if (fflush(stdout) != 0)
		return EXIT_FAILURE;
	return status;
}
