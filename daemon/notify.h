/*
 * serguardd: the sd_notify protocol, by hand (no libsystemd needed).
 *
 * Under systemd with Type=notify, $NOTIFY_SOCKET names a datagram socket
 * (a path, or "@name" in the abstract namespace) to which the service
 * sends newline-separated KEY=VALUE lines:
 *   READY=1            the configuration is loaded, the control socket
 *                      listens and every port was tried;
 *   RELOADING=1        a reload begins (READY=1 again when it is done);
 *   STOPPING=1         the stop begins;
 *   STATUS=...         one line for `systemctl status`;
 *   WATCHDOG=1         every half of $WATCHDOG_USEC, from the event loop,
 *                      when $WATCHDOG_PID is unset or this process.
 * Without $NOTIFY_SOCKET every call does nothing.
 */
#ifndef SERGUARDD_NOTIFY_H
#define SERGUARDD_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <uv.h>

struct notify {
	int fd;			/* -1: not under systemd */
	struct sockaddr_un sa;
	socklen_t salen;
	uint64_t watchdog_ms;	/* ping interval, 0 when off */
	uv_timer_t *timer;
	uint64_t pings;
};

/* Read the environment; start the watchdog timer on loop if asked for. */
void notify_init(struct notify *n, uv_loop_t *loop);
/* Send text (KEY=VALUE lines). Returns 0, or -1 (logged at debug) when it
 * could not be sent. */
int notify_send(struct notify *n, const char *text);
bool notify_enabled(const struct notify *n);
/* Stop the watchdog and close the socket. The loop must run afterwards. */
void notify_close(struct notify *n);

#endif
