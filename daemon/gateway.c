/*
 * serguardd: the running gateway (see gateway.h).
 *
 * Implementation notes:
 * - The running objects point into the running struct config. During a
 *   reload the retiring ones still point into the previous one, which is
 *   therefore kept (cf_old) until step 3; kept objects are re-pointed to
 *   the new one in step 2.
 * - What "unchanged" means for a device: its own section is the same
 *   (config_device_same), the settings its engine was built with are the
 *   same (queue_max, queue_max_age_ms, max_message in [global]; mode,
 *   max_frame and handshake_timeout_ms of its port), so its live session
 *   can go on. Its port may be reopened with other line settings (the
 *   link moves to the new line), its socket may be recreated (mode,
 *   group, max_clients), and a new credential applies from its next
 *   handshake; none of that ends the session.
 * - Retiring devices lose their socket at once (so that a changed device
 *   can bind the same path in step 3), and their engine sends CLOSE at
 *   the device's next turn. A timer checks every RETIRE_CHECK_MS whether
 *   every CLOSE left the engines and the ports' output queues, bounded by
 *   GATEWAY_RETIRE_MS (a device that is down is never asked).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sysexits.h>

#include "daemon/client.h"
#include "daemon/cred.h"
#include "daemon/gateway.h"
#include "daemon/line.h"
#include "daemon/link.h"
#include "daemon/log.h"
#include "daemon/port.h"

#ifndef TAILQ_FOREACH_SAFE /* not in glibc's sys/queue.h */
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)                                \
	for ((var) = TAILQ_FIRST(head); (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1); \
	     (var) = (tvar))
#endif

#define RETIRE_CHECK_MS 10u

static uint64_t gw_now(struct gateway *gw)
{
	uv_update_time(gw->loop);
	return uv_now(gw->loop);
}

void gateway_check_nofile(const struct config *cf, bool raise)
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

/* ---- ports ------------------------------------------------------------------------ */

/* The running (not retiring) port of that name. */
static struct gw_port *port_find(struct gateway *gw, const char *name)
{
	struct gw_port *gp;

	TAILQ_FOREACH(gp, &gw->ports, entry)
		if (!gp->retiring && strcmp(gp->line->name, name) == 0)
			return gp;
	return NULL;
}

static void gw_port_start(struct gateway *gw, const struct cfg_port *c)
{
	struct gw_port *gp;

	if (c->ndevices == 0) {
		log_info("port %s: no device configured; not opened", c->name);
		return;
	}
	gp = calloc(1, sizeof(*gp));
	if (gp == NULL || (gp->line = line_new(gw->loop, c)) == NULL) {
		log_err("port %s: cannot start", c->name);
		free(gp);
		return;
	}
	gp->cf = c;
	TAILQ_INSERT_TAIL(&gw->ports, gp, entry);
	line_start(gp->line);
}

/* Frees the line; its links stay, off any line. */
static void gw_port_free(struct gateway *gw, struct gw_port *gp)
{
	TAILQ_REMOVE(&gw->ports, gp, entry);
	line_free(gp->line);
	free(gp);
}

/* ---- devices ------------------------------------------------------------------------- */

static bool sink_can_send(void *arg)
{
	return link_can_send(arg);
}

static int sink_send(void *arg, const unsigned char *msg, size_t len, uint64_t now)
{
	return link_send(arg, msg, len, now) == 0 ? 0 : -1;
}

static void sink_refused(void *arg, size_t len, uint64_t now)
{
	link_refuse(arg, len, now);
}

static void sink_lost(void *arg, uint64_t n)
{
	struct link *l = arg;

	l->drops.slow_client += n;
}

static void sink_connected(void *arg, uint64_t now)
{
	link_pump(arg, now); /* messages held for want of a client go now */
}

static const struct client_sink dev_sink = { sink_can_send, sink_send, sink_refused,
					     sink_lost, sink_connected };

static void dev_socket(struct gateway *gw, struct gw_dev *gd)
{
	const struct cfg_global *g = &gw->cf->global;
	struct client_sock_params p;

	memset(&p, 0, sizeof(p));
	p.name = gd->link->name;
	p.path = gd->link->cf->socket;
	p.mode = g->socket_mode;
	p.gid = (gid_t)-1;
	p.max_message = gd->link->max_message;
	p.max_clients = g->max_clients;
	p.queue_max = g->queue_max;
	if (g->socket_group != NULL && client_group(g->socket_group, &p.gid) != 0) {
		log_err("device %s: no socket: its group is unknown", gd->link->name);
		return;
	}
	gd->cs = client_sock_new(gw->loop, &p, &dev_sink, gd->link);
	if (gd->cs == NULL)
		log_err("device %s: running without a socket", gd->link->name);
	link_set_clients(gd->link, gd->cs);
}

static void dev_socket_close(struct gw_dev *gd)
{
	if (gd->cs == NULL)
		return;
	link_set_clients(gd->link, NULL);
	client_sock_free(gd->cs);
	gd->cs = NULL;
}

static void dev_start(struct gateway *gw, const struct cfg_device *d, uint64_t now)
{
	struct gw_dev *gd = calloc(1, sizeof(*gd));

	if (gd == NULL || (gd->link = link_new(d, &gw->cf->global, gw->cred, now)) == NULL) {
		free(gd);
		return;
	}
	gd->gw = gw;
	TAILQ_INSERT_TAIL(&gw->devs, gd, entry);
	{
		char want[200];

		cred_identity_format(&d->identity, want, sizeof(want));
		log_info("device %s: port %s, address %u, identity %s", d->name, d->port_name,
			 (unsigned)d->address, want);
	}
	dev_socket(gw, gd);
	link_pump(gd->link, now);
}

/* Disconnect its clients, send CLOSE, start nothing new. */
static void dev_retire(struct gw_dev *gd, uint64_t now)
{
	gd->retiring = true;
	dev_socket_close(gd);
	link_close(gd->link, now);
}

static void dev_free(struct gateway *gw, struct gw_dev *gd)
{
	TAILQ_REMOVE(&gw->devs, gd, entry);
	if (gd->link->line != NULL)
		line_remove(gd->link->line, gd->link);
	dev_socket_close(gd);
	link_free(gd->link);
	free(gd);
}

struct gw_dev *gateway_device(struct gateway *gw, const char *name)
{
	struct gw_dev *gd;

	TAILQ_FOREACH(gd, &gw->devs, entry)
		if (!gd->retiring && strcmp(gd->link->name, name) == 0)
			return gd;
	return NULL;
}

/* Put every link that is off a line on its port's line. */
static void attach(struct gateway *gw)
{
	struct gw_dev *gd;
	struct gw_port *gp;

	TAILQ_FOREACH(gd, &gw->devs, entry) {
		struct link *l = gd->link;

		if (gd->retiring || l->line != NULL)
			continue;
		gp = port_find(gw, l->cf->port_name);
		if (gp != NULL && gp->line->links[l->bd.addr] == NULL)
			line_add(gp->line, l);
	}
}

/* ---- start, reload, stop ---------------------------------------------------------------- */

void gateway_init(struct gateway *gw, uv_loop_t *loop, const char *path, int verbose,
		  struct config *cf, struct cred *cred)
{
	struct cfg_port *cp;
	struct cfg_device *cd;
	uint64_t now;

	memset(gw, 0, sizeof(*gw));
	gw->loop = loop;
	gw->path = path;
	gw->verbose = verbose;
	gw->cf = cf;
	gw->cred = cred;
	TAILQ_INIT(&gw->ports);
	TAILQ_INIT(&gw->devs);
	uv_timer_init(loop, &gw->retire);
	gw->retire.data = gw;
	gw->started = time(NULL);
	now = gw_now(gw);
	TAILQ_FOREACH(cp, &cf->ports, entry)
		gw_port_start(gw, cp);
	TAILQ_FOREACH(cd, &cf->devices, entry)
		dev_start(gw, cd, now);
	attach(gw);
}

static void retire_closed(uv_handle_t *h)
{
	struct gateway *gw = h->data;

	if (gw->stopped != NULL)
		gw->stopped(gw->stopped_arg);
}

/* Step 3: the retired go, the new come. */
static void finish(struct gateway *gw)
{
	struct gw_dev *gd, *gdn;
	struct gw_port *gp, *gpn;
	struct cfg_port *cp;
	struct cfg_device *cd;
	gateway_done_fn done = gw->done;
	uint64_t now = gw_now(gw);

	uv_timer_stop(&gw->retire);
	gw->retiring = false;
	TAILQ_FOREACH_SAFE(gd, &gw->devs, entry, gdn)
		if (gd->retiring)
			dev_free(gw, gd);
	TAILQ_FOREACH_SAFE(gp, &gw->ports, entry, gpn)
		if (gp->retiring)
			gw_port_free(gw, gp);
	if (!gw->stopping) {
		TAILQ_FOREACH(cp, &gw->cf->ports, entry)
			if (port_find(gw, cp->name) == NULL)
				gw_port_start(gw, cp);
		TAILQ_FOREACH(cd, &gw->cf->devices, entry)
			if (gateway_device(gw, cd->name) == NULL)
				dev_start(gw, cd, now);
		TAILQ_FOREACH(gd, &gw->devs, entry)
			if (gd->resock) {
				gd->resock = false;
				dev_socket_close(gd);
				dev_socket(gw, gd);
			}
		attach(gw);
	}
	if (gw->cf_old != NULL) {
		config_free(gw->cf_old);
		free(gw->cf_old);
		gw->cf_old = NULL;
	}
	if (gw->summary.len > 0)
		log_notice("%s", gw->summary.p);
	gw->done = NULL;
	if (done != NULL)
		done(gw->done_arg, 0, gw->summary.len > 0 ? gw->summary.p : "");
	buf_free(&gw->summary);
	if (gw->stopping)
		uv_close((uv_handle_t *)&gw->retire, retire_closed);
}

static bool all_flushed(const struct gateway *gw)
{
	const struct gw_dev *gd;

	TAILQ_FOREACH(gd, &gw->devs, entry) {
		if (!gd->retiring)
			continue;
		if (!link_flushed(gd->link))
			return false;
		if (gd->link->line != NULL && gd->link->line->port->state == PORT_UP &&
		    port_tx_pending(gd->link->line->port) > 0)
			return false;
	}
	return true;
}

static void on_retire(uv_timer_t *t)
{
	struct gateway *gw = t->data;

	if (gw_now(gw) >= gw->retire_until || all_flushed(gw))
		finish(gw);
}

/* Start step 3 now if nothing is retiring, else once the CLOSEs are out. */
static void begin_retire(struct gateway *gw)
{
	gw->retiring = true;
	if (all_flushed(gw)) {
		finish(gw);
		return;
	}
	gw->retire_until = gw_now(gw) + GATEWAY_RETIRE_MS;
	uv_timer_start(&gw->retire, on_retire, RETIRE_CHECK_MS, RETIRE_CHECK_MS);
}

/* The device's engine was built with settings that changed. */
static bool engine_settings_changed(const struct cfg_global *og, const struct cfg_global *ng,
				    const struct cfg_device *od, const struct cfg_device *nd)
{
	return og->queue_max != ng->queue_max || og->queue_max_age_ms != ng->queue_max_age_ms ||
	       og->max_message != ng->max_message || od->port->mode != nd->port->mode ||
	       od->port->max_frame != nd->port->max_frame ||
	       od->port->handshake_timeout_ms != nd->port->handshake_timeout_ms;
}

static bool str_same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void tap_errors(void *arg, int prio, const char *line)
{
	struct buf *b = arg;

	(void)prio;
	buf_printf(b, "%s\n", line);
}

static void reload_failed(struct gateway *gw, gateway_done_fn done, void *arg, int status,
			  const char *text)
{
	gw->reload_failures++;
	if (done != NULL)
		done(arg, status, text);
}

void gateway_reload(struct gateway *gw, gateway_done_fn done, void *arg)
{
	struct config *nc, *old;
	struct cred *cred;
	struct cfg_port *np, *op;
	struct cfg_device *nd;
	struct gw_port *gp;
	struct gw_dev *gd;
	struct buf errs;
	bool sock_changed;
	size_t i;
	uint64_t now;
	unsigned p_add = 0, p_del = 0, p_chg = 0, p_same = 0;
	unsigned d_add = 0, d_del = 0, d_chg = 0, d_same = 0;

	if (gw->stopping) {
		reload_failed(gw, done, arg, 1, "stopping\n");
		return;
	}
	if (gw->retiring)
		finish(gw); /* complete the previous reload first */
	log_notice("reloading %s", gw->path);
	buf_init(&errs);
	nc = malloc(sizeof(*nc));
	if (nc == NULL) {
		log_err("reload failed: out of memory");
		reload_failed(gw, done, arg, 1, "out of memory\n");
		return;
	}
	if (config_load(nc, gw->path) != 0) {
		for (i = 0; i < nc->nerrors; i++) {
			log_err("%s", nc->errors[i].msg);
			buf_printf(&errs, "%s\n", nc->errors[i].msg);
		}
		log_err("reload failed (%zu errors); the running configuration is unchanged",
			nc->nerrors);
		buf_printf(&errs, "%s: %zu error%s; the running configuration is unchanged\n",
			   gw->path, nc->nerrors, nc->nerrors == 1 ? "" : "s");
		config_free(nc);
		free(nc);
		reload_failed(gw, done, arg, EX_CONFIG, errs.p != NULL ? errs.p : "");
		buf_free(&errs);
		return;
	}
	log_set_tap(tap_errors, &errs);
	cred = cred_load(&nc->global);
	log_set_tap(NULL, NULL);
	if (cred == NULL) {
		log_err("reload failed; the running configuration is unchanged");
		buf_puts(&errs, "the credentials were refused; the running configuration is "
				"unchanged\n");
		config_free(nc);
		free(nc);
		reload_failed(gw, done, arg, 1, errs.p != NULL ? errs.p : "");
		buf_free(&errs);
		return;
	}
	buf_free(&errs);
	old = gw->cf;
	now = gw_now(gw);
	if (!config_global_same(&old->global, &nc->global))
		log_info("global settings changed");
	sock_changed = old->global.socket_mode != nc->global.socket_mode ||
		       !str_same(old->global.socket_group, nc->global.socket_group) ||
		       old->global.max_clients != nc->global.max_clients;

	/* ports: compare by name */
	TAILQ_FOREACH(gp, &gw->ports, entry) {
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
		gp->retiring = true;
	}
	TAILQ_FOREACH(np, &nc->ports, entry) {
		if (port_find(gw, np->name) != NULL || np->ndevices == 0)
			continue;
		op = config_port(old, np->name);
		if (op == NULL)
			p_add++;
		else if (op->ndevices == 0)
			p_chg++; /* it had no device, so it was not open */
	}

	/* devices: compare by name */
	TAILQ_FOREACH(gd, &gw->devs, entry) {
		const struct cfg_device *od = gd->link->cf;

		nd = config_device(nc, gd->link->name);
		if (nd != NULL && config_device_same(od, nd) &&
		    !engine_settings_changed(&old->global, &nc->global, od, nd)) {
			gd->link->cf = nd;
			link_set_cred(gd->link, cred);
			gd->resock = sock_changed;
			d_same++;
			continue;
		}
		if (nd == NULL)
			d_del++;
		else
			d_chg++;
		log_info("device %s: %s", gd->link->name,
			 nd == NULL ? "removed" : "changed; its session restarts");
		dev_retire(gd, now);
	}
	TAILQ_FOREACH(nd, &nc->devices, entry)
		if (config_device(old, nd->name) == NULL)
			d_add++;

	cred_unref(gw->cred);
	gw->cred = cred;
	gw->cf_old = old;
	gw->cf = nc;
	gw->reloads++;
	gw->last_reload = time(NULL);
	log_set_level(nc->global.log_level + gw->verbose);
	gateway_check_nofile(nc, false);
	buf_init(&gw->summary);
	buf_printf(&gw->summary,
		   "reloaded %s: ports %u added, %u removed, %u changed, %u unchanged; "
		   "devices %u added, %u removed, %u changed, %u unchanged",
		   gw->path, p_add, p_del, p_chg, p_same, d_add, d_del, d_chg, d_same);
	gw->done = done;
	gw->done_arg = arg;
	begin_retire(gw);
}

void gateway_stop(struct gateway *gw, void (*stopped)(void *arg), void *arg)
{
	struct gw_dev *gd;
	struct gw_port *gp;
	uint64_t now;

	if (gw->stopping)
		return;
	if (gw->retiring)
		finish(gw);
	gw->stopping = true;
	gw->stopped = stopped;
	gw->stopped_arg = arg;
	now = gw_now(gw);
	log_notice("stopping: closing the sessions");
	TAILQ_FOREACH(gd, &gw->devs, entry)
		dev_retire(gd, now);
	TAILQ_FOREACH(gp, &gw->ports, entry)
		gp->retiring = true;
	begin_retire(gw);
}

void gateway_free(struct gateway *gw)
{
	if (gw->cf != NULL) {
		config_free(gw->cf);
		free(gw->cf);
		gw->cf = NULL;
	}
	cred_unref(gw->cred);
	gw->cred = NULL;
}
