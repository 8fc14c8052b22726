/*
 * serguardd: sd_notify (see notify.h).
 *
 * Implementation notes:
 * - The socket is made once, nonblocking and close-on-exec; sendto() uses
 *   MSG_NOSIGNAL. An abstract address ("@...") becomes a leading NUL
 *   byte, and its length is the name's, not the whole sun_path.
 * - The watchdog interval is half of $WATCHDOG_USEC, at least 1 ms, sent
 *   from a uv_timer: if the loop is stuck the pings stop and systemd
 *   acts. $WATCHDOG_PID set to another process (we are not the main PID)
 *   means the watchdog is not ours.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/log.h"
#include "daemon/notify.h"

static void on_watchdog(uv_timer_t *t)
{
	struct notify *n = t->data;

	if (notify_send(n, "WATCHDOG=1") == 0)
		n->pings++;
}

void notify_init(struct notify *n, uv_loop_t *loop)
{
	const char *path = getenv("NOTIFY_SOCKET");
	const char *wd = getenv("WATCHDOG_USEC");
	const char *wpid = getenv("WATCHDOG_PID");
	size_t len;

	memset(n, 0, sizeof(*n));
	n->fd = -1;
	if (path == NULL || path[0] == '\0')
		return;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(n->sa.sun_path)) {
		log_warn("NOTIFY_SOCKET=%s: not a socket address; not notifying systemd", path);
		return;
	}
	n->sa.sun_family = AF_UNIX;
	memcpy(n->sa.sun_path, path, len);
	if (path[0] == '@')
		n->sa.sun_path[0] = '\0';
	n->salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '/'));
	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (n->fd < 0) {
		log_warn("sd_notify socket: %s", strerror(errno));
		return;
	}
	if (wd != NULL && (wpid == NULL || strtol(wpid, NULL, 10) == (long)getpid())) {
		unsigned long long us = strtoull(wd, NULL, 10);

		if (us > 0) {
			n->watchdog_ms = us / 2000u > 0 ? us / 2000u : 1;
			n->timer = malloc(sizeof(*n->timer));
			if (n->timer != NULL) {
				uv_timer_init(loop, n->timer);
				n->timer->data = n;
				uv_timer_start(n->timer, on_watchdog, n->watchdog_ms, n->watchdog_ms);
				log_info("systemd watchdog: a ping every %llu ms",
					 (unsigned long long)n->watchdog_ms);
			}
		}
	}
}

bool notify_enabled(const struct notify *n)
{
	return n->fd >= 0;
}

int notify_send(struct notify *n, const char *text)
{
	ssize_t r;

	if (n->fd < 0)
		return 0;
	do
		r = sendto(n->fd, text, strlen(text), MSG_NOSIGNAL, (struct sockaddr *)&n->sa,
			   n->salen);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		log_debug("sd_notify: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void free_timer(uv_handle_t *h)
{
	free(h);
}

void notify_close(struct notify *n)
{
	if (n->timer != NULL) {
		uv_close((uv_handle_t *)n->timer, free_timer);
		n->timer = NULL;
	}
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
}
