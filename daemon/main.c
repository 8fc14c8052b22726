/*
 * serguardd: command line, start-up, signals.
 *
 * Implementation notes:
 * - One thread, one libuv loop. Signals arrive through uv_signal (a
 *   self-pipe), so handlers run as ordinary loop callbacks; SIGPIPE is
 *   ignored, since writes to sockets and ttys report EPIPE/EIO instead.
 * - Start-up order: configuration, credentials, event loop, signals, the
 *   gateway (ports opened, devices started), the control socket, then
 *   READY=1. A control socket that cannot be created is a start-up
 *   failure (exit 1): without it there is no reload and no status.
 * - Reloads (SIGHUP, or `serguardctl reload`) go through reload() below,
 *   which wraps the gateway's with RELOADING=1 / READY=1 and recreates
 *   the control socket when its path or group changed.
 * - SIGTERM/SIGINT: STOPPING=1, the gateway closes every session (CLOSE
 *   sent, bounded by GATEWAY_RETIRE_MS), then every handle is closed and
 *   the loop returns; exit 0.
 */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <uv.h>

#include "daemon/buf.h"
#include "daemon/config.h"
#include "daemon/cred.h"
#include "daemon/ctl.h"
#include "daemon/gateway.h"
#include "daemon/log.h"
#include "daemon/notify.h"
#include "daemon/report.h"

#ifndef SG_VERSION
#define SG_VERSION "?"
#endif

#define EXIT_USAGE 2
#define EXIT_CONFIG EX_CONFIG /* 78 */
#define STATUS_MS 1000u	      /* STATUS= for systemd, when it changed */

static struct {
	uv_loop_t loop;
	struct gateway gw;
	struct ctl *ctl;
	char *ctl_path, *ctl_group;
	struct notify notify;
	uv_signal_t sig_hup, sig_term, sig_int;
	uv_timer_t status_timer;
	char status[128];
	const char *path;
	int verbose;
	bool stopping;
} m;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: serguardd [-v] [-c FILE]\n"
		"       serguardd --check-config [-c FILE]\n"
		"       serguardd --dump-options | --help | --version\n"
		"\n"
		"Gateway daemon of serguard: authenticated, encrypted sessions with field\n"
		"devices on RS485 buses and RS232 links, served to local programs on Unix\n"
		"sockets (one SOCK_SEQPACKET socket per device: one message per write and\n"
		"per read), with a control socket for serguardctl(8).\n"
		"\n"
		"Options:\n"
		"  -c, --config FILE   configuration file (default %s)\n"
		"  -t, --check-config  check the configuration and exit: syntax, values and\n"
		"                      cross-references; key, certificate and device files\n"
		"                      are not opened\n"
		"  -v, --verbose       log more: one level above log_level per -v\n"
		"      --dump-options  print every configuration option, one per line\n"
		"  -h, --help          print this help\n"
		"  -V, --version       print the version\n"
		"\n"
		"Signals: SIGHUP reloads the configuration (as `serguardctl reload` does);\n"
		"SIGTERM and SIGINT close every session (CLOSE sent) and stop.\n"
		"Logs go to stderr, one line per event, with sd-daemon <N> priority\n"
		"prefixes when stderr is the journal. Under systemd (Type=notify) it sends\n"
		"READY=1, RELOADING=1, STOPPING=1, STATUS= and, with WatchdogSec=,\n"
		"WATCHDOG=1 to $NOTIFY_SOCKET.\n"
		"Exit status: 0 success (or a clean stop), 1 start-up failure (credentials,\n"
		"control socket, event loop), 2 usage error,\n"
		"78 configuration error (each printed as FILE:LINE: option: message).\n"
		"See serguard.conf(5), serguardctl(8).\n",
		CFG_DEFAULT_FILE);
}

/* ---- control socket, reload ------------------------------------------------------------ */

static char *dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static bool same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void reload(void *arg, gateway_done_fn done, void *done_arg);

static int ctl_open(void)
{
	const struct cfg_global *g = &m.gw.cf->global;

	m.ctl = ctl_new(&m.loop, g->control_socket, g->control_group, &m.gw, reload, NULL);
	free(m.ctl_path);
	free(m.ctl_group);
	m.ctl_path = dup_or_null(g->control_socket);
	m.ctl_group = dup_or_null(g->control_group);
	return m.ctl != NULL ? 0 : -1;
}

struct reload_req {
	gateway_done_fn done;
	void *arg;
};

static void send_status(bool force)
{
	struct buf b;

	if (!notify_enabled(&m.notify))
		return;
	buf_init(&b);
	report_summary(&b, &m.gw);
	if (b.p != NULL && (force || strcmp(b.p, m.status) != 0)) {
		snprintf(m.status, sizeof(m.status), "%s", b.p);
		buf_free(&b);
		buf_printf(&b, "STATUS=%s", m.status);
		if (b.p != NULL)
			notify_send(&m.notify, b.p);
	}
	buf_free(&b);
}

static void reload_done(void *arg, int status, const char *text)
{
	struct reload_req *r = arg;
	const struct cfg_global *g = &m.gw.cf->global;

	if (status == 0 && !m.stopping &&
	    (!same(m.ctl_path, g->control_socket) || !same(m.ctl_group, g->control_group))) {
		log_info("the control socket moves to %s", g->control_socket);
		ctl_free(m.ctl);
		if (ctl_open() != 0)
			log_err("no control socket: serguardctl cannot reach this daemon; fix "
				"control_socket and send SIGHUP");
	}
	notify_send(&m.notify, "READY=1");
	send_status(true);
	if (r->done != NULL)
		r->done(r->arg, status, text);
	free(r);
}

static void reload(void *arg, gateway_done_fn done, void *done_arg)
{
	struct reload_req *r = malloc(sizeof(*r));

	(void)arg;
	if (r == NULL) {
		log_err("reload failed: out of memory");
		if (done != NULL)
			done(done_arg, 1, "out of memory\n");
		return;
	}
	r->done = done;
	r->arg = done_arg;
	notify_send(&m.notify, "RELOADING=1");
	gateway_reload(&m.gw, reload_done, r);
}

/* ---- stop ------------------------------------------------------------------------------- */

static void stopped(void *arg)
{
	(void)arg;
	ctl_free(m.ctl);
	m.ctl = NULL;
	notify_close(&m.notify);
	uv_close((uv_handle_t *)&m.status_timer, NULL);
	uv_close((uv_handle_t *)&m.sig_hup, NULL);
	uv_close((uv_handle_t *)&m.sig_term, NULL);
	uv_close((uv_handle_t *)&m.sig_int, NULL);
}

static void stop(void)
{
	if (m.stopping)
		return;
	m.stopping = true;
	notify_send(&m.notify, "STOPPING=1");
	uv_timer_stop(&m.status_timer);
	gateway_stop(&m.gw, stopped, NULL);
}

static void on_signal(uv_signal_t *h, int signum)
{
	(void)h;
	if (signum == SIGHUP && !m.stopping)
		reload(NULL, NULL, NULL);
	else if (signum == SIGTERM || signum == SIGINT)
		stop();
}

static void on_status_timer(uv_timer_t *t)
{
	(void)t;
	send_status(false);
}

/* ---- main ------------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "dump-options", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	bool check = false;
	struct config *cf;
	struct cred *cred;
	size_t i;
	int c, r;

	m.path = CFG_DEFAULT_FILE;
	while ((c = getopt_long(argc, argv, "c:tvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			m.path = optarg;
			break;
		case 't':
			check = true;
			break;
		case 'v':
			m.verbose++;
			break;
		case 'D':
			config_dump_options(stdout);
			return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
		case 'h':
			usage(stdout);
			return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
		case 'V':
			printf("serguardd %s\n", SG_VERSION);
			return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
		default:
			fprintf(stderr, "Try 'serguardd --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "serguardd: unexpected argument '%s'\nTry 'serguardd --help'.\n",
			argv[optind]);
		return EXIT_USAGE;
	}
	log_init(LOG_INFO + m.verbose, LOG_STYLE_AUTO);

	cf = malloc(sizeof(*cf));
	if (cf == NULL) {
		log_err("out of memory");
		return EXIT_FAILURE;
	}
	if (config_load(cf, m.path) != 0) {
		for (i = 0; i < cf->nerrors; i++)
			log_err("%s", cf->errors[i].msg);
		if (check || cf->nerrors > 1)
			log_err("%s: %zu error%s", m.path, cf->nerrors, cf->nerrors == 1 ? "" : "s");
		config_free(cf);
		free(cf);
		return EXIT_CONFIG;
	}
	if (check) {
		printf("%s: configuration OK (%u port%s, %u device%s)\n", m.path, cf->nports,
		       cf->nports == 1 ? "" : "s", cf->ndevices, cf->ndevices == 1 ? "" : "s");
		config_free(cf);
		free(cf);
		return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
	}
	log_set_level(cf->global.log_level + m.verbose);
	log_notice("serguardd %s starting with %s", SG_VERSION, m.path);
	signal(SIGPIPE, SIG_IGN);
	gateway_check_nofile(cf, true);
	cred = cred_load(&cf->global);
	if (cred == NULL) {
		config_free(cf);
		free(cf);
		return EXIT_FAILURE;
	}
	log_info("gateway certificate: CN %s; sent %s", cred->self.id.subject_cn,
		 cred->id_cred == SG_EDHOC_ID_X5T ? "by reference (x5t)" : "whole (x5chain)");
	if ((r = uv_loop_init(&m.loop)) != 0) {
		log_err("cannot start the event loop: %s", uv_strerror(r));
		cred_unref(cred);
		config_free(cf);
		free(cf);
		return EXIT_FAILURE;
	}
	uv_signal_init(&m.loop, &m.sig_hup);
	uv_signal_init(&m.loop, &m.sig_term);
	uv_signal_init(&m.loop, &m.sig_int);
	uv_signal_start(&m.sig_hup, on_signal, SIGHUP);
	uv_signal_start(&m.sig_term, on_signal, SIGTERM);
	uv_signal_start(&m.sig_int, on_signal, SIGINT);
	uv_timer_init(&m.loop, &m.status_timer);
	notify_init(&m.notify, &m.loop);

	gateway_init(&m.gw, &m.loop, m.path, m.verbose, cf, cred);
	if (ctl_open() != 0) {
		log_err("cannot create the control socket; stopping");
		r = EXIT_FAILURE;
		stop();
		uv_run(&m.loop, UV_RUN_DEFAULT);
		uv_loop_close(&m.loop);
		gateway_free(&m.gw);
		free(m.ctl_path);
		free(m.ctl_group);
		return r;
	}
	log_notice("running: %u ports, %u devices", cf->nports, cf->ndevices);
	notify_send(&m.notify, "READY=1");
	send_status(true);
	if (notify_enabled(&m.notify))
		uv_timer_start(&m.status_timer, on_status_timer, STATUS_MS, STATUS_MS);

	uv_run(&m.loop, UV_RUN_DEFAULT);
	r = uv_loop_close(&m.loop);
	if (r != 0)
		log_warn("event loop not closed cleanly: %s", uv_strerror(r));
	gateway_free(&m.gw);
	free(m.ctl_path);
	free(m.ctl_group);
	log_notice("stopped");
	return EXIT_SUCCESS;
}
