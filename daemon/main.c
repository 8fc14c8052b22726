/*
 * serguardd: command line, start-up, signals, reload.
 *
 * Implementation notes:
 * - One thread, one libuv loop. Signals arrive through uv_signal (a
 *   self-pipe), so handlers run as ordinary loop callbacks; SIGPIPE is
 *   ignored, since writes to sockets and ttys report EPIPE/EIO instead.
 * - A reload parses the file into a fresh struct config. If it has any
 *   error, nothing changes. Otherwise ports are compared by name: a
 *   removed or changed port is closed (a changed one reopened with its new
 *   settings), an unchanged one keeps its open descriptor; devices
 *   likewise keep their link when their section is unchanged. The running
 *   objects are re-pointed to the new struct before the old is freed.
 * - Each [port] with devices becomes a line (line.c: port, frame decoder,
 *   bus scheduler) and each [device] a link (link.c) on its port's line.
 *   The session engine is not integrated yet: the bus polls the devices
 *   and marks the silent ones down, frames from devices are counted and
 *   dropped, which link.c says at debug level.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sysexits.h>
#include <uv.h>

#include "daemon/config.h"
#include "daemon/keyfile.h"
#include "daemon/line.h"
#include "daemon/link.h"
#include "daemon/log.h"

#ifndef TAILQ_FOREACH_SAFE /* not in glibc's sys/queue.h */
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)                                \
	for ((var) = TAILQ_FIRST(head); (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1); \
	     (var) = (tvar))
#endif

#ifndef SG_VERSION
#define SG_VERSION "?"
#endif

#define EXIT_USAGE 2
#define EXIT_CONFIG EX_CONFIG /* 78 */

struct gw_port {
	TAILQ_ENTRY(gw_port) entry;
	struct line *line;
	const struct cfg_port *cf;
};

struct gw_link {
	TAILQ_ENTRY(gw_link) entry;
	struct link *link;
};

static struct {
	uv_loop_t loop;
	struct config *cf; /* the running configuration (heap: list heads move badly) */
	const char *path;
	int verbose;
	uv_signal_t sig_hup, sig_term, sig_int;
	TAILQ_HEAD(, gw_port) ports;
	TAILQ_HEAD(, gw_link) links;
	bool stopping;
} gw;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: serguardd [-v] [-c FILE]\n"
		"       serguardd --check-config [-c FILE]\n"
		"       serguardd --dump-options | --help | --version\n"
		"\n"
		"Gateway daemon of serguard: authenticated, encrypted sessions with field\n"
		"devices on RS485 buses and RS232 links, served to local programs on Unix\n"
		"sockets.\n"
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
		"Signals: SIGHUP reloads the configuration; SIGTERM and SIGINT stop.\n"
		"Exit status: 0 success, 1 start-up failure, 2 usage error,\n"
		"78 configuration error (each printed as FILE:LINE: option: message).\n"
		"See serguard.conf(5).\n",
		CFG_DEFAULT_FILE);
}

static void print_errors(const struct config *cf)
{
	size_t i;

	for (i = 0; i < cf->nerrors; i++)
		log_err("%s", cf->errors[i].msg);
}

static void apply_log_level(const struct config *cf)
{
	log_set_level(cf->global.log_level + gw.verbose);
}

/* Raise the soft open-file limit to the hard one, and say whether the
 * configuration may need more. */
static void check_nofile(const struct config *cf, bool raise)
{
	unsigned long need = config_fds_needed(cf);
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		log_warn("getrlimit(RLIMIT_NOFILE): %s", strerror(errno));
		return;
	}
	if (raise && rl.rlim_cur < rl.rlim_max) {
		rlim_t old = rl.rlim_cur;

		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == 0) {
			log_info("open-file limit raised from %llu to %llu", (unsigned long long)old,
				 (unsigned long long)rl.rlim_cur);
		} else {
			log_warn("cannot raise the open-file limit from %llu: %s",
				 (unsigned long long)old, strerror(errno));
			rl.rlim_cur = old;
		}
	}
	if (rl.rlim_cur != RLIM_INFINITY && need > rl.rlim_cur)
		log_warn("the configuration may need %lu file descriptors (%u ports, %u devices, "
			 "%u clients each) but the limit is %llu; raise LimitNOFILE= or the "
			 "hard limit",
			 need, cf->nports, cf->ndevices, (unsigned)cf->global.max_clients,
			 (unsigned long long)rl.rlim_cur);
}

/* ---- ports and devices ------------------------------------------------------------ */

static struct gw_port *gw_port_find(const char *name)
{
	struct gw_port *gp;

	TAILQ_FOREACH(gp, &gw.ports, entry)
		if (strcmp(gp->line->name, name) == 0)
			return gp;
	return NULL;
}

static void gw_port_start(const struct cfg_port *c)
{
	struct gw_port *gp;

	if (c->ndevices == 0) {
		log_info("port %s: no device configured; not opened", c->name);
		return;
	}
	gp = calloc(1, sizeof(*gp));
	if (gp == NULL || (gp->line = line_new(&gw.loop, c)) == NULL) {
		log_err("port %s: cannot start", c->name);
		free(gp);
		return;
	}
	gp->cf = c;
	TAILQ_INSERT_TAIL(&gw.ports, gp, entry);
	line_start(gp->line);
}

/* Frees the line; its links stay, off any line. */
static void gw_port_stop(struct gw_port *gp)
{
	TAILQ_REMOVE(&gw.ports, gp, entry);
	line_free(gp->line);
	free(gp);
}

static struct gw_link *gw_link_find(const char *name)
{
	struct gw_link *gl;

	TAILQ_FOREACH(gl, &gw.links, entry)
		if (strcmp(gl->link->name, name) == 0)
			return gl;
	return NULL;
}

/* Put every link that is off a line on its port's line. */
static void gw_links_attach(void)
{
	struct gw_link *gl;
	struct gw_port *gp;

	TAILQ_FOREACH(gl, &gw.links, entry) {
		if (gl->link->line != NULL)
			continue;
		gp = gw_port_find(gl->link->cf->port_name);
		if (gp != NULL)
			line_add(gp->line, gl->link);
	}
}

static void gw_link_start(const struct cfg_device *d)
{
	struct gw_link *gl = calloc(1, sizeof(*gl));

	if (gl == NULL || (gl->link = link_new(d)) == NULL) {
		free(gl);
		return;
	}
	TAILQ_INSERT_TAIL(&gw.links, gl, entry);
	log_info("device %s: port %s, address %u", d->name, d->port_name, (unsigned)d->address);
	gl->link->deadline = link_pump(gl->link, uv_now(&gw.loop));
}

static void gw_link_stop(struct gw_link *gl)
{
	TAILQ_REMOVE(&gw.links, gl, entry);
	if (gl->link->line != NULL)
		line_remove(gl->link->line, gl->link);
	link_free(gl->link);
	free(gl);
}

/* ---- reload and stop ------------------------------------------------------------------ */

static void reload(void)
{
	struct config *nc;
	struct cfg_port *np, *op;
	struct cfg_device *nd;
	struct gw_port *gp, *gpn;
	struct gw_link *gl, *gln;
	unsigned p_add = 0, p_del = 0, p_chg = 0, p_same = 0;
	unsigned d_add = 0, d_del = 0, d_chg = 0, d_same = 0;

	log_notice("reloading %s", gw.path);
	nc = malloc(sizeof(*nc));
	if (nc == NULL) {
		log_err("reload failed: out of memory");
		return;
	}
	if (config_load(nc, gw.path) != 0) {
		print_errors(nc);
		log_err("reload failed (%zu errors); the running configuration is unchanged",
			nc->nerrors);
		config_free(nc);
		free(nc);
		return;
	}
	if (keyfile_check(nc->global.key) != 0) {
		log_err("reload failed; the running configuration is unchanged");
		config_free(nc);
		free(nc);
		return;
	}
	if (!config_global_same(&gw.cf->global, &nc->global))
		log_info("global settings changed");

	/* ports: compare by name */
	TAILQ_FOREACH_SAFE(gp, &gw.ports, entry, gpn) {
		np = config_port(nc, gp->line->name);
		if (np != NULL && np->ndevices > 0 && config_port_same(gp->cf, np)) {
			gp->cf = np;
			p_same++;
			continue;
		}
		if (np == NULL || np->ndevices == 0)
			p_del++;
		else
			p_chg++;
		log_info("port %s: %s", gp->line->name,
			 np == NULL ? "removed" : np->ndevices == 0 ? "has no device any more"
								  : "changed; reopening");
		gw_port_stop(gp);
	}
	TAILQ_FOREACH(np, &nc->ports, entry) {
		if (gw_port_find(np->name) != NULL)
			continue;
		op = config_port(gw.cf, np->name);
		if (op == NULL)
			p_add++;
		else if (op->ndevices == 0 && np->ndevices > 0)
			p_chg++; /* it had no device, so it was not open */
		gw_port_start(np);
	}

	/* devices: compare by name */
	TAILQ_FOREACH_SAFE(gl, &gw.links, entry, gln) {
		nd = config_device(nc, gl->link->name);
		if (nd != NULL && config_device_same(gl->link->cf, nd)) {
			gl->link->cf = nd;
			d_same++;
			continue;
		}
		if (nd == NULL)
			d_del++;
		else
			d_chg++;
		log_info("device %s: %s", gl->link->name,
			 nd == NULL ? "removed" : "changed; its session restarts");
		gw_link_stop(gl);
	}
	TAILQ_FOREACH(nd, &nc->devices, entry) {
		if (gw_link_find(nd->name) != NULL)
			continue;
		if (config_device(gw.cf, nd->name) == NULL)
			d_add++;
		gw_link_start(nd);
	}

	gw_links_attach();
	config_free(gw.cf);
	free(gw.cf);
	gw.cf = nc;
	apply_log_level(gw.cf);
	check_nofile(gw.cf, false);
	log_notice("reloaded %s: ports %u added, %u removed, %u changed, %u unchanged; "
		   "devices %u added, %u removed, %u changed, %u unchanged",
		   gw.path, p_add, p_del, p_chg, p_same, d_add, d_del, d_chg, d_same);
}

static void stop(void)
{
	struct gw_port *gp;
	struct gw_link *gl;

	if (gw.stopping)
		return;
	gw.stopping = true;
	log_notice("stopping");
	while ((gp = TAILQ_FIRST(&gw.ports)) != NULL)
		gw_port_stop(gp);
	while ((gl = TAILQ_FIRST(&gw.links)) != NULL)
		gw_link_stop(gl);
	uv_close((uv_handle_t *)&gw.sig_hup, NULL);
	uv_close((uv_handle_t *)&gw.sig_term, NULL);
	uv_close((uv_handle_t *)&gw.sig_int, NULL);
}

static void on_signal(uv_signal_t *h, int signum)
{
	(void)h;
	if (signum == SIGHUP && !gw.stopping)
		reload();
	else if (signum == SIGTERM || signum == SIGINT)
		stop();
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
	struct cfg_port *cp;
	struct cfg_device *cd;
	int c, r;

	gw.path = CFG_DEFAULT_FILE;
	while ((c = getopt_long(argc, argv, "c:tvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			gw.path = optarg;
			break;
		case 't':
			check = true;
			break;
		case 'v':
			gw.verbose++;
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
	log_init(LOG_INFO + gw.verbose, LOG_STYLE_AUTO);

	gw.cf = malloc(sizeof(*gw.cf));
	if (gw.cf == NULL) {
		log_err("out of memory");
		return EXIT_FAILURE;
	}
	if (config_load(gw.cf, gw.path) != 0) {
		print_errors(gw.cf);
		if (check || gw.cf->nerrors > 1)
			log_err("%s: %zu error%s", gw.path, gw.cf->nerrors,
				gw.cf->nerrors == 1 ? "" : "s");
		config_free(gw.cf);
		free(gw.cf);
		return EXIT_CONFIG;
	}
	if (check) {
		printf("%s: configuration OK (%u port%s, %u device%s)\n", gw.path, gw.cf->nports,
		       gw.cf->nports == 1 ? "" : "s", gw.cf->ndevices,
		       gw.cf->ndevices == 1 ? "" : "s");
		config_free(gw.cf);
		free(gw.cf);
		return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
	}
	apply_log_level(gw.cf);
	log_notice("serguardd %s starting with %s", SG_VERSION, gw.path);
	signal(SIGPIPE, SIG_IGN);
	check_nofile(gw.cf, true);
	if (keyfile_check(gw.cf->global.key) != 0) {
		config_free(gw.cf);
		free(gw.cf);
		return EXIT_FAILURE;
	}

	TAILQ_INIT(&gw.ports);
	TAILQ_INIT(&gw.links);
	if ((r = uv_loop_init(&gw.loop)) != 0) {
		log_err("cannot start the event loop: %s", uv_strerror(r));
		config_free(gw.cf);
		free(gw.cf);
		return EXIT_FAILURE;
	}
	uv_signal_init(&gw.loop, &gw.sig_hup);
	uv_signal_init(&gw.loop, &gw.sig_term);
	uv_signal_init(&gw.loop, &gw.sig_int);
	uv_signal_start(&gw.sig_hup, on_signal, SIGHUP);
	uv_signal_start(&gw.sig_term, on_signal, SIGTERM);
	uv_signal_start(&gw.sig_int, on_signal, SIGINT);

	TAILQ_FOREACH(cp, &gw.cf->ports, entry)
		gw_port_start(cp);
	TAILQ_FOREACH(cd, &gw.cf->devices, entry)
		gw_link_start(cd);
	gw_links_attach();
	log_notice("running: %u ports, %u devices", gw.cf->nports, gw.cf->ndevices);

	uv_run(&gw.loop, UV_RUN_DEFAULT);
	r = uv_loop_close(&gw.loop);
	if (r != 0)
		log_warn("event loop not closed cleanly: %s", uv_strerror(r));
	config_free(gw.cf);
	free(gw.cf);
	log_notice("stopped");
	return EXIT_SUCCESS;
}
