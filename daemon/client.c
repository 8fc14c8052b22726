/*
 * serguardd: device sockets (see client.h).
 *
 * Implementation notes:
 * - The documented libuv path for a SOCK_SEQPACKET socket: our own
 *   socket(), bind(), listen() and accept4(), and a uv_poll_t per
 *   descriptor, with recv()/send() on it (libuv's pipes are stream
 *   sockets). Writable events are asked for only while a client has
 *   queued messages; readable ones only while the sink has room.
 * - recv() gets MSG_TRUNC, so it returns a message's real length even
 *   when the buffer (max_message + 1 bytes) is smaller: a longer message
 *   is recognised and refused whole, never cut.
 * - recv() returns 0 for an empty message, for a client that shut down
 *   its sending side, and for one that closed: poll(2) with timeout 0
 *   tells them apart (POLLHUP: closed; POLLRDHUP: no more sending; else an
 *   empty message). A half-closed client is no longer read; since its
 *   POLLRDHUP stays raised, libuv cannot watch it for the close without
 *   spinning, so a 1 s timer polls those clients instead.
 * - send() with MSG_DONTWAIT | MSG_NOSIGNAL: EAGAIN (the client's receive
 *   queue is full) queues the message in the daemon; EPIPE or any other
 *   error means the client is gone.
 * - A client's struct (with its poll handle) is freed in the handle's
 *   close callback, and its descriptor closed there, after libuv stopped
 *   watching it; the close callback does not touch the client_sock, which
 *   may be freed before it runs.
 * - The socket file is made by sockfile.c (stale files, permissions).
 */
#include <errno.h>
#include <poll.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/client.h"
#include "daemon/sockfile.h"

#define READS_PER_EVENT 32 /* then let the other descriptors have a go */

struct qmsg {
	struct qmsg *next;
	size_t len;
	unsigned char data[];
};

struct client {
	TAILQ_ENTRY(client) entry;
	struct client_sock *cs;
	int fd;
	uv_poll_t poll;
	unsigned id;
	pid_t pid;
	uid_t uid;
	struct qmsg *head, *tail;
	unsigned qlen;
	int events;
	bool eof;  /* the client shut down its sending side */
	bool gone; /* it cannot receive any more (closed): only reading is left */
};

static uint64_t now_ms(struct client_sock *cs)
{
	uv_update_time(cs->loop);
	return uv_now(cs->loop);
}

int client_group(const char *name, gid_t *gid)
{
	struct group *g;
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(name, &end, 10);
	if (name[0] >= '0' && name[0] <= '9' && *end == '\0' && errno == 0 &&
	    v < (unsigned long)(gid_t)-1) {
		*gid = (gid_t)v;
		return 0;
	}
	g = getgrnam(name);
	if (g == NULL) {
		log_err("socket_group %s: no such group", name);
		return -1;
	}
	*gid = g->gr_gid;
	return 0;
}

/* ---- clients ----------------------------------------------------------------------- */

static void on_client(uv_poll_t *h, int status, int events);

static void client_closed(uv_handle_t *h)
{
	struct client *c = h->data;
	struct qmsg *m;

	while ((m = c->head) != NULL) {
		c->head = m->next;
		free(m);
	}
	close(c->fd);
	free(c);
}

/* Free the messages queued for c (it closed: they are not lost, it left). */
static void client_unqueue(struct client *c)
{
	struct qmsg *m;

	while ((m = c->head) != NULL) {
		c->head = m->next;
		free(m);
	}
	c->tail = NULL;
	c->qlen = 0;
}

static void client_watch(struct client *c);
static void client_drop(struct client *c);

/* Sending to c failed: it closed. What it sent before still has to be
 * read, so it is dropped only once its end is read (or right away if it
 * had stopped sending). Returns -1 if it was dropped. */
static int client_gone(struct client *c, int err)
{
	c->gone = true;
	client_unqueue(c);
	if (c->eof) {
		log_info("device %s: client %u gone: %s", c->cs->name, c->id, strerror(err));
		client_drop(c);
		return -1;
	}
	client_watch(c);
	return 0;
}

/* Stop serving c; n messages it had queued are reported lost. */
static void client_drop(struct client *c)
{
	struct client_sock *cs = c->cs;

	TAILQ_REMOVE(&cs->clients, c, entry);
	cs->nclients--;
	if (c->qlen > 0 && cs->sink.lost != NULL)
		cs->sink.lost(cs->arg, c->qlen);
	c->cs = NULL;
	shutdown(c->fd, SHUT_RDWR); /* the client sees the end now */
	uv_close((uv_handle_t *)&c->poll, client_closed);
}

static void client_watch(struct client *c)
{
	int ev = 0;

	if (!c->cs->paused && !c->eof)
		ev |= UV_READABLE;
	if (c->head != NULL && !c->gone)
		ev |= UV_WRITABLE;
	if (ev == c->events)
		return;
	c->events = ev;
	if (ev == 0)
		uv_poll_stop(&c->poll);
	else
		uv_poll_start(&c->poll, ev, on_client);
}

/* Send what c has queued; -1 if c is gone (dropped). */
static int client_flush(struct client *c)
{
	struct client_sock *cs = c->cs;
	struct qmsg *m;

	while ((m = c->head) != NULL) {
		ssize_t r = send(c->fd, m->data, m->len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == ENOBUFS))
			break;
		if (r < 0)
			return client_gone(c, errno);
		cs->st.msgs_out++;
		cs->st.bytes_out += m->len;
		c->head = m->next;
		if (c->head == NULL)
			c->tail = NULL;
		c->qlen--;
		free(m);
	}
	client_watch(c);
	return 0;
}

static void pause_reading(struct client_sock *cs)
{
	struct client *c;

	if (cs->paused)
		return;
	cs->paused = true;
	cs->st.pauses++;
	log_debug("device %s: send queue full; not reading from its clients", cs->name);
	TAILQ_FOREACH(c, &cs->clients, entry)
		client_watch(c);
}

/* 2: the peer closed; 1: it only shut down its sending side; 0: neither. */
static int hangup_state(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLRDHUP };

	if (poll(&p, 1, 0) < 0)
		return 0;
	if (p.revents & (POLLHUP | POLLERR))
		return 2;
	return (p.revents & POLLRDHUP) ? 1 : 0;
}

/* Drop the half-closed clients that have closed since. */
static void on_hup_timer(uv_timer_t *t)
{
	struct client_sock *cs = t->data;
	struct client *c, *next;
	bool any = false;

	if (cs == NULL)
		return;
	for (c = TAILQ_FIRST(&cs->clients); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (!c->eof)
			continue;
		if (hangup_state(c->fd) == 2) {
			log_info("device %s: client %u disconnected", cs->name, c->id);
			client_drop(c);
		} else {
			any = true;
		}
	}
	if (!any)
		uv_timer_stop(t);
}

/* Read messages from c while the sink has room; -1 if c is gone. */
static int client_read(struct client *c)
{
	struct client_sock *cs = c->cs;
	int i, r;

	for (i = 0; i < READS_PER_EVENT; i++) {
		ssize_t n;

		if (!cs->sink.can_send(cs->arg)) {
			pause_reading(cs);
			return 0;
		}
		n = recv(c->fd, cs->buf, cs->max_message + 1, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0) {
			log_info("device %s: client %u gone: %s", cs->name, c->id, strerror(errno));
			client_drop(c);
			return -1;
		}
		if (n == 0) {
			int st = hangup_state(c->fd);

			if (st == 2) {
				log_info("device %s: client %u disconnected", cs->name, c->id);
				client_drop(c);
				return -1;
			}
			if (st == 1) {
				log_debug("device %s: client %u stopped sending", cs->name, c->id);
				c->eof = true;
				client_watch(c);
				if (!uv_is_active((uv_handle_t *)cs->hup_timer))
					uv_timer_start(cs->hup_timer, on_hup_timer, 1000, 1000);
				return 0;
			}
		}
		if (n == 0 || (size_t)n > cs->max_message) {
			cs->st.bad_length++;
			if (cs->sink.refused != NULL)
				cs->sink.refused(cs->arg, (size_t)n, now_ms(cs));
			continue;
		}
		r = cs->sink.send(cs->arg, cs->buf, (size_t)n, now_ms(cs));
		if (r == 0) {
			cs->st.msgs_in++;
			cs->st.bytes_in += (uint64_t)n;
		} else if (cs->sink.lost != NULL) {
			cs->sink.lost(cs->arg, 1);
		}
		/* the sink may have delivered to us, and found us too slow */
		if (c->cs == NULL)
			return -1;
	}
	return 0;
}

static void on_client(uv_poll_t *h, int status, int events)
{
	struct client *c = h->data;

	if (c->cs == NULL)
		return;
	if (status < 0) {
		log_info("device %s: client %u: %s", c->cs->name, c->id, uv_strerror(status));
		client_drop(c);
		return;
	}
	if ((events & UV_WRITABLE) && client_flush(c) != 0)
		return;
	if ((events & UV_READABLE) && !c->cs->paused)
		client_read(c);
}

static void on_listen(uv_poll_t *h, int status, int events)
{
	struct client_sock *cs = h->data;

	(void)events;
	if (cs == NULL || status < 0)
		return;
	for (;;) {
		struct ucred cr;
		socklen_t crlen = sizeof(cr);
		struct client *c;
		int fd = accept4(cs->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN)
				log_warn("device %s: accept: %s", cs->name, strerror(errno));
			return;
		}
		memset(&cr, 0, sizeof(cr));
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) != 0)
			cr.pid = 0;
		if (cs->nclients >= cs->max_clients) {
			cs->st.refused++;
			log_rate(&cs->rl_refused, now_ms(cs), LOG_WARNING,
				 "device %s: refused a client (pid %ld, uid %ld): max_clients (%u) "
				 "are connected",
				 cs->name, (long)cr.pid, (long)cr.uid, cs->max_clients);
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (c == NULL || uv_poll_init(cs->loop, &c->poll, fd) != 0) {
			log_err("device %s: cannot serve a client: out of memory", cs->name);
			free(c);
			close(fd);
			continue;
		}
		c->cs = cs;
		c->fd = fd;
		c->id = ++cs->next_id;
		c->pid = cr.pid;
		c->uid = cr.uid;
		c->poll.data = c;
		TAILQ_INSERT_TAIL(&cs->clients, c, entry);
		cs->nclients++;
		cs->st.accepted++;
		log_info("device %s: client %u connected (pid %ld, uid %ld)", cs->name, c->id,
			 (long)c->pid, (long)c->uid);
		client_watch(c);
		if (cs->sink.connected != NULL) {
			uv_poll_t *lp = cs->lpoll;

			cs->sink.connected(cs->arg, now_ms(cs));
			if (lp->data == NULL)
				return; /* the callback freed the socket */
		}
	}
}

/* ---- the socket ---------------------------------------------------------------------- */

struct client_sock *client_sock_new(uv_loop_t *loop, const struct client_sock_params *p,
				    const struct client_sink *sink, void *arg)
{
	struct client_sock *cs = calloc(1, sizeof(*cs));

	if (cs == NULL || (cs->name = strdup(p->name)) == NULL ||
	    (cs->path = strdup(p->path)) == NULL ||
	    (cs->buf = malloc(p->max_message + 1)) == NULL ||
	    (cs->lpoll = calloc(1, sizeof(*cs->lpoll))) == NULL ||
	    (cs->hup_timer = calloc(1, sizeof(*cs->hup_timer))) == NULL) {
		log_err("device %s: out of memory", p->name);
		goto fail;
	}
	cs->fd = -1;
	cs->loop = loop;
	cs->sink = *sink;
	cs->arg = arg;
	cs->max_message = p->max_message;
	cs->max_clients = p->max_clients;
	cs->queue_max = p->queue_max;
	TAILQ_INIT(&cs->clients);
	{
		char what[64];

		snprintf(what, sizeof(what), "device %s", p->name);
		cs->fd = sockfile_listen(what, p->path, SOCK_SEQPACKET, p->mode, p->gid, 16,
					 &cs->file);
	}
	if (cs->fd < 0)
		goto fail;
	if (uv_poll_init(loop, cs->lpoll, cs->fd) != 0) {
		log_err("device %s: cannot watch %s", p->name, p->path);
		unlink(p->path);
		close(cs->fd);
		goto fail;
	}
	cs->lpoll->data = cs;
	uv_poll_start(cs->lpoll, UV_READABLE, on_listen);
	uv_timer_init(loop, cs->hup_timer);
	cs->hup_timer->data = cs;
	log_info("device %s: socket %s (mode %04o)", p->name, p->path, p->mode);
	return cs;
fail:
	if (cs != NULL) {
		free(cs->hup_timer);
		free(cs->lpoll);
		free(cs->buf);
		free(cs->path);
		free(cs->name);
	}
	free(cs);
	return NULL;
}

static void listen_closed(uv_handle_t *h) /* and the timer */
{
	free(h);
}

void client_sock_free(struct client_sock *cs)
{
	struct client *c;

	if (cs == NULL)
		return;
	while ((c = TAILQ_FIRST(&cs->clients)) != NULL)
		client_drop(c);
	cs->lpoll->data = NULL;
	uv_close((uv_handle_t *)cs->lpoll, listen_closed);
	cs->hup_timer->data = NULL;
	uv_close((uv_handle_t *)cs->hup_timer, listen_closed);
	close(cs->fd);
	sockfile_remove(cs->path, &cs->file);
	free(cs->buf);
	free(cs->path);
	free(cs->name);
	free(cs);
}

unsigned client_sock_count(const struct client_sock *cs)
{
	return cs->nclients;
}

void client_sock_deliver(struct client_sock *cs, const unsigned char *msg, size_t len)
{
	struct client *c, *next;

	for (c = TAILQ_FIRST(&cs->clients); c != NULL; c = next) {
		struct qmsg *m;

		next = TAILQ_NEXT(c, entry);
		if (c->gone)
			continue;
		if (c->head == NULL) {
			ssize_t r;

			do
				r = send(c->fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL);
			while (r < 0 && errno == EINTR);
			if (r >= 0) {
				cs->st.msgs_out++;
				cs->st.bytes_out += len;
				continue;
			}
			if (errno != EAGAIN && errno != ENOBUFS) {
				client_gone(c, errno);
				continue;
			}
		}
		if (c->qlen >= cs->queue_max) {
			log_warn("device %s: client %u (pid %ld) does not read its messages; "
				 "disconnected with %u undelivered",
				 cs->name, c->id, (long)c->pid, c->qlen + 1);
			cs->st.slow++;
			c->qlen++; /* this message is lost with it too */
			client_drop(c);
			continue;
		}
		m = malloc(sizeof(*m) + len);
		if (m == NULL) {
			log_err("device %s: out of memory; client %u disconnected", cs->name, c->id);
			c->qlen++;
			client_drop(c);
			continue;
		}
		m->next = NULL;
		m->len = len;
		memcpy(m->data, msg, len);
		if (c->tail != NULL)
			c->tail->next = m;
		else
			c->head = m;
		c->tail = m;
		c->qlen++;
		client_watch(c);
	}
}

void client_sock_resume(struct client_sock *cs)
{
	struct client *c;

	if (!cs->paused)
		return;
	cs->paused = false;
	log_debug("device %s: reading from its clients again", cs->name);
	TAILQ_FOREACH(c, &cs->clients, entry)
		client_watch(c);
}
