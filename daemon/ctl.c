/*
 * serguardd: the control socket (see ctl.h).
 *
 * Implementation notes:
 * - Replies can be long (the status of 254 devices), so the socket is a
 *   stream, served through libuv's pipes (uv_pipe_open on our own bound
 *   socket), which take care of partial writes; the end of the reply is
 *   the end of the connection.
 * - A connection is freed in its close callback only; ctl_free() detaches
 *   the connections first (c->ctl = NULL), so a reply that completes
 *   after the socket is gone (a reload finishing during the stop) is
 *   dropped safely.
 * - Idle connections (no complete request within CTL_IDLE_MS) are closed
 *   by a sweep timer, so a stuck client cannot hold one of the
 *   CTL_CONNECTIONS_MAX places for ever.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sysexits.h>

#include "daemon/buf.h"
#include "daemon/client.h"
#include "daemon/ctl.h"
#include "daemon/link.h"
#include "daemon/log.h"
#include "daemon/report.h"
#include "daemon/sockfile.h"

#ifndef SG_VERSION
#define SG_VERSION "?"
#endif

struct conn {
	TAILQ_ENTRY(conn) entry;
	struct ctl *ctl;
	uv_pipe_t pipe;
	uv_write_t wr;
	char req[CTL_REQUEST_MAX];
	size_t reqlen;
	struct buf reply;
	uint64_t since;
	long pid, uid;
	bool answered; /* request complete: no idle timeout any more */
	bool closing;
};

struct ctl {
	uv_loop_t *loop;
	char *path;
	struct sockfile file;
	uv_pipe_t *srv;
	uv_timer_t *sweep;
	struct gateway *gw;
	ctl_reload_fn reload;
	void *reload_arg;
	TAILQ_HEAD(, conn) conns;
	unsigned nconns;
};

static void conn_closed(uv_handle_t *h)
{
	struct conn *c = h->data;

	if (c->ctl != NULL) {
		TAILQ_REMOVE(&c->ctl->conns, c, entry);
		c->ctl->nconns--;
	}
	buf_free(&c->reply);
	free(c);
}

static void conn_close(struct conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	uv_close((uv_handle_t *)&c->pipe, conn_closed);
}

static void on_written(uv_write_t *w, int status)
{
	struct conn *c = w->data;

	(void)status;
	conn_close(c);
}

/* Send "OK"/"ERROR N", the text, and close. */
static void reply(struct conn *c, int status, const char *text)
{
	struct buf out;
	uv_buf_t ub;

	if (c->closing)
		return;
	buf_init(&out);
	if (status == 0)
		buf_puts(&out, "OK\n");
	else
		buf_printf(&out, "ERROR %d\n", status);
	if (text != NULL)
		buf_puts(&out, text);
	if (out.oom) {
		buf_free(&out);
		conn_close(c);
		return;
	}
	buf_free(&c->reply);
	c->reply = out;
	ub = uv_buf_init(c->reply.p, (unsigned)c->reply.len);
	c->wr.data = c;
	if (uv_write(&c->wr, (uv_stream_t *)&c->pipe, &ub, 1, on_written) != 0)
		conn_close(c);
}

static void reload_done(void *arg, int status, const char *text)
{
	struct conn *c = arg;

	reply(c, status, text);
}

static struct link *find_device(struct conn *c, const char *name)
{
	struct gw_dev *gd = gateway_device(c->ctl->gw, name);

	return gd != NULL ? gd->link : NULL;
}

static void dispatch(struct conn *c)
{
	struct ctl *ctl = c->ctl;
	char *cmd, *arg, *extra, *save = NULL;
	struct buf b;
	struct link *l;
	int r = 0;

	cmd = strtok_r(c->req, " \t", &save);
	arg = strtok_r(NULL, " \t", &save);
	extra = strtok_r(NULL, " \t", &save);
	if (cmd == NULL) {
		reply(c, 2, "empty request\n");
		return;
	}
	log_debug("control: %s%s%s (pid %ld, uid %ld)", cmd, arg != NULL ? " " : "",
		  arg != NULL ? arg : "", c->pid, c->uid);
	if (extra != NULL) {
		reply(c, 2, "too many arguments\n");
		return;
	}
	buf_init(&b);
	if (strcmp(cmd, "status") == 0 || strcmp(cmd, "json") == 0) {
		r = cmd[0] == 's' ? report_status(&b, ctl->gw, arg) : report_json(&b, ctl->gw, arg);
		if (r != 0) {
			buf_free(&b);
			buf_printf(&b, "no device named '%s'\n", arg);
			r = 1;
		}
	} else if (strcmp(cmd, "metrics") == 0 && arg == NULL) {
		report_metrics(&b, ctl->gw);
	} else if (strcmp(cmd, "rehandshake") == 0 && arg != NULL) {
		l = find_device(c, arg);
		if (l == NULL) {
			buf_printf(&b, "no device named '%s'\n", arg);
			r = 1;
		} else {
			uv_update_time(ctl->loop);
			link_rehandshake(l, uv_now(ctl->loop));
			buf_printf(&b, "device %s: new handshake started\n", arg);
		}
	} else if (strcmp(cmd, "reload") == 0 && arg == NULL) {
		buf_free(&b);
		log_info("control: reload requested (pid %ld, uid %ld)", c->pid, c->uid);
		ctl->reload(ctl->reload_arg, reload_done, c);
		return;
	} else if (strcmp(cmd, "version") == 0 && arg == NULL) {
		buf_printf(&b, "serguardd %s\n", SG_VERSION);
	} else {
		buf_printf(&b, "unknown request '%s%s%s'; requests: status [DEVICE], json [DEVICE], "
			       "metrics, rehandshake DEVICE, reload, version\n",
			   cmd, arg != NULL ? " " : "", arg != NULL ? arg : "");
		r = 2;
	}
	if (b.oom) {
		buf_free(&b);
		reply(c, 1, "out of memory\n");
		return;
	}
	reply(c, r, b.p != NULL ? b.p : "");
	buf_free(&b);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *ub)
{
	struct conn *c = h->data;

	(void)suggested;
	*ub = uv_buf_init(c->req + c->reqlen, (unsigned)(sizeof(c->req) - c->reqlen));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *ub)
{
	struct conn *c = s->data;
	char *nl;

	(void)ub;
	if (n < 0) {
		conn_close(c);
		return;
	}
	c->reqlen += (size_t)n;
	nl = memchr(c->req, '\n', c->reqlen);
	if (nl == NULL) {
		if (c->reqlen == sizeof(c->req)) {
			uv_read_stop(s);
			c->answered = true;
			reply(c, 2, "request too long\n");
		}
		return;
	}
	*nl = '\0';
	if (nl > c->req && nl[-1] == '\r')
		nl[-1] = '\0';
	uv_read_stop(s);
	c->answered = true;
	if (c->ctl == NULL) {
		conn_close(c);
		return;
	}
	dispatch(c);
}

static void on_connection(uv_stream_t *srv, int status)
{
	struct ctl *ctl = srv->data;
	struct ucred cr;
	socklen_t crlen = sizeof(cr);
	struct conn *c;
	uv_os_fd_t fd;

	if (status < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (c == NULL || uv_pipe_init(ctl->loop, &c->pipe, 0) != 0) {
		free(c);
		return;
	}
	c->pipe.data = c;
	c->ctl = ctl;
	TAILQ_INSERT_TAIL(&ctl->conns, c, entry);
	ctl->nconns++;
	if (uv_accept(srv, (uv_stream_t *)&c->pipe) != 0) {
		conn_close(c);
		return;
	}
	memset(&cr, 0, sizeof(cr));
	if (uv_fileno((uv_handle_t *)&c->pipe, &fd) == 0 &&
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) == 0) {
		c->pid = (long)cr.pid;
		c->uid = (long)cr.uid;
	}
	if (ctl->nconns > CTL_CONNECTIONS_MAX) {
		log_warn("control: too many connections; closed one (pid %ld, uid %ld)", c->pid,
			 c->uid);
		conn_close(c);
		return;
	}
	uv_update_time(ctl->loop);
	c->since = uv_now(ctl->loop);
	if (uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read) != 0)
		conn_close(c);
}

static void on_sweep(uv_timer_t *t)
{
	struct ctl *ctl = t->data;
	struct conn *c;
	uint64_t now = uv_now(ctl->loop);

	TAILQ_FOREACH(c, &ctl->conns, entry)
		if (!c->answered && !c->closing && now - c->since > CTL_IDLE_MS)
			conn_close(c);
}

static void free_handle(uv_handle_t *h)
{
	free(h);
}

struct ctl *ctl_new(uv_loop_t *loop, const char *path, const char *group, struct gateway *gw,
		    ctl_reload_fn reload, void *reload_arg)
{
	struct ctl *c = calloc(1, sizeof(*c));
	gid_t gid = (gid_t)-1;
	int fd = -1;

	if (c == NULL || (c->path = strdup(path)) == NULL ||
	    (c->srv = calloc(1, sizeof(*c->srv))) == NULL ||
	    (c->sweep = calloc(1, sizeof(*c->sweep))) == NULL) {
		log_err("control socket: out of memory");
		goto fail;
	}
	if (group != NULL && client_group(group, &gid) != 0)
		goto fail;
	fd = sockfile_listen("control socket", path, SOCK_STREAM, group != NULL ? 0660 : 0600,
			     gid, 8, &c->file);
	if (fd < 0)
		goto fail;
	c->loop = loop;
	c->gw = gw;
	c->reload = reload;
	c->reload_arg = reload_arg;
	TAILQ_INIT(&c->conns);
	uv_pipe_init(loop, c->srv, 0);
	c->srv->data = c;
	if (uv_pipe_open(c->srv, fd) != 0 ||
	    uv_listen((uv_stream_t *)c->srv, 8, on_connection) != 0) {
		log_err("control socket: cannot listen on %s", path);
		sockfile_remove(path, &c->file);
		uv_close((uv_handle_t *)c->srv, free_handle); /* closes fd */
		c->srv = NULL;
		goto fail;
	}
	uv_timer_init(loop, c->sweep);
	c->sweep->data = c;
	uv_timer_start(c->sweep, on_sweep, 1000, 1000);
	log_info("control socket %s (mode %s)", path, group != NULL ? "0660" : "0600");
	return c;
fail:
	if (c != NULL) {
		free(c->sweep);
		free(c->srv);
		free(c->path);
	}
	free(c);
	return NULL;
}

void ctl_free(struct ctl *c)
{
	struct conn *k;

	if (c == NULL)
		return;
	while ((k = TAILQ_FIRST(&c->conns)) != NULL) {
		TAILQ_REMOVE(&c->conns, k, entry);
		k->ctl = NULL;
		if (!k->answered)
			conn_close(k);
		/* a pending reload's reply still comes, then the conn closes */
	}
	uv_close((uv_handle_t *)c->srv, free_handle);
	uv_close((uv_handle_t *)c->sweep, free_handle);
	sockfile_remove(c->path, &c->file);
	free(c->path);
	free(c);
}
