/*
 * serguardd: the running gateway, the set of ports and devices of the
 * current configuration, and its two transitions: reload and stop.
 *
 * Each [port] with devices is a line (line.c: port, frame decoder, bus
 * scheduler); each [device] a link (link.c: the session engine) on its
 * port's line, and a device socket (client.c) for its local clients.
 *
 * Reload (SIGHUP, or `serguardctl reload`, which waits for the result):
 *   1. The file is parsed into a new struct config and the credentials
 *      are loaded from it; on any error nothing changes and the errors
 *      are the result (exit 78 for the file, 1 for the credentials).
 *   2. Ports and devices are compared by name with the running ones.
 *      Unchanged devices keep their session and their clients, and use
 *      the new credential from their next handshake; removed and changed
 *      devices have their clients disconnected and their session closed
 *      (CLOSE sent); removed and changed ports wait for that.
 *   3. When every CLOSE is on the line, or after GATEWAY_RETIRE_MS, the
 *      retired devices and ports are freed, added and changed ports and
 *      devices start, and the result is reported.
 * Stop (SIGTERM) is the same with every device retiring, and ends with
 * every handle closed so that the loop returns.
 */
#ifndef SERGUARDD_GATEWAY_H
#define SERGUARDD_GATEWAY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <time.h>
#include <uv.h>

#include "daemon/buf.h"
#include "daemon/config.h"

#define GATEWAY_RETIRE_MS 500u /* bound on flushing CLOSE records */

struct cred;
struct line;
struct link;
struct client_sock;
struct gateway;

struct gw_port {
	TAILQ_ENTRY(gw_port) entry;
	struct line *line;
	const struct cfg_port *cf;
	bool retiring;
};

struct gw_dev {
	TAILQ_ENTRY(gw_dev) entry;
	struct gateway *gw;
	struct link *link;
	struct client_sock *cs;
	bool retiring;
	bool resock; /* socket settings changed: new socket at the end of the reload */
};

/* A reload's result: status 0 (done), 1 (credentials refused) or 78
 * (configuration errors); text holds the summary or every error, one per
 * line. */
typedef void (*gateway_done_fn)(void *arg, int status, const char *text);

struct gateway {
	uv_loop_t *loop;
	const char *path;    /* configuration file */
	int verbose;	     /* -v count, added to log_level */
	struct config *cf;   /* running configuration */
	struct config *cf_old; /* while retiring objects still point into it */
	struct cred *cred;
	TAILQ_HEAD(, gw_port) ports;
	TAILQ_HEAD(, gw_dev) devs;
	uv_timer_t retire;
	uint64_t retire_until;
	bool retiring;	     /* step 3 of a reload or stop is pending */
	bool stopping;
	struct buf summary;  /* of the pending reload */
	gateway_done_fn done;
	void *done_arg;
	void (*stopped)(void *arg);
	void *stopped_arg;
	time_t started, last_reload;
	uint64_t reloads, reload_failures;
};

/* Start ports and devices of cf with credential cred; both are the
 * gateway's from now on. */
void gateway_init(struct gateway *gw, uv_loop_t *loop, const char *path, int verbose,
		  struct config *cf, struct cred *cred);
/* Reload the file; done (optional) is called once with the result,
 * possibly before this returns. A reload during another finishes the
 * first at once. */
void gateway_reload(struct gateway *gw, gateway_done_fn done, void *arg);
/* Close every session and stop; stopped is called when the last handle
 * is released (the loop then ends). */
void gateway_stop(struct gateway *gw, void (*stopped)(void *arg), void *arg);
/* After the loop ended: free the configuration and the credential. */
void gateway_free(struct gateway *gw);

struct gw_dev *gateway_device(struct gateway *gw, const char *name);

/* Raise the open-file limit (raise) and warn when the configuration may
 * need more descriptors than allowed. */
void gateway_check_nofile(const struct config *cf, bool raise);

#endif
