/*
 * serguardd: the control socket, through which serguardctl (or any
 * program) asks for the status, the metrics, a new handshake or a reload.
 *
 * The socket is AF_UNIX, SOCK_STREAM, at control_socket, mode 0600
 * (0660 with control_group), made by sockfile.c. The protocol, one
 * request per connection:
 *
 *   client: one line, "COMMAND [ARGUMENT]\n", at most CTL_REQUEST_MAX bytes
 *   daemon: "OK\n" or "ERROR N\n" (N: the exit status serguardctl uses),
 *           then the reply's text, then it closes the connection
 *
 * Commands:
 *   status [DEVICE]     the text table of ports and devices
 *   json [DEVICE]       the same as one JSON object
 *   metrics             Prometheus text format
 *   rehandshake DEVICE  start a new handshake now
 *   reload              reload the configuration; the reply comes when it
 *                       is done: "OK" and the summary, or "ERROR 78" and
 *                       every configuration error, or "ERROR 1"
 *   version             the daemon's version
 * Errors: ERROR 2 for an unknown command or a missing argument, ERROR 1
 * for an unknown device or a failed action.
 */
#ifndef SERGUARDD_CTL_H
#define SERGUARDD_CTL_H

#include <uv.h>

#include "daemon/gateway.h"

#define CTL_REQUEST_MAX 1024u
#define CTL_CONNECTIONS_MAX 16u /* at a time; more are closed at once */
#define CTL_IDLE_MS 10000u	/* a connection that sent no request is closed */

struct ctl;

/* How the control socket asks for a reload (main.c wraps the gateway's
 * reload with the sd_notify messages). */
typedef void (*ctl_reload_fn)(void *arg, gateway_done_fn done, void *done_arg);

/* Listen at path (group: NULL, or the group name for mode 0660). NULL
 * (logged) on failure. */
struct ctl *ctl_new(uv_loop_t *loop, const char *path, const char *group, struct gateway *gw,
		    ctl_reload_fn reload, void *reload_arg);
/* Close every connection and the socket, and remove the socket file. */
void ctl_free(struct ctl *c);

#endif
