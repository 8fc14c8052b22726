/*
 * serguardd: a device's Unix socket and its local clients.
 *
 * Each device has one socket (AF_UNIX, SOCK_SEQPACKET), created and bound
 * by the daemon, through which local programs exchange application
 * messages with the device: each write (send) is one message to the
 * device, each read (recv) one message from it; boundaries are kept.
 *
 * Semantics (also in daemon/README.md, "Device sockets"):
 * - Several clients may be connected, up to max_clients; a further
 *   connection is accepted and closed at once (logged, counted).
 * - Upstream (device -> clients): every message goes to every connected
 *   client (fan-out). A client that does not read gets a bounded queue
 *   in the daemon (queue_max messages) behind the kernel's socket
 *   buffer; when that is full too, the client is disconnected, with a
 *   log line and its undelivered messages counted (slow_client). The
 *   other clients are not affected.
 * - Downstream (clients -> device): messages from any client go to the
 *   device in the order they are read. Before each read the socket asks
 *   the sink (the device's link) whether it has room; when it has not,
 *   the daemon stops reading from every client of that device until the
 *   sink calls client_sock_resume(): the messages wait in the clients'
 *   socket buffers and the clients' writes block (or fail with EAGAIN):
 *   backpressure, nothing dropped, no memory grows.
 * - A message longer than max_message is refused: dropped, counted and
 *   logged; the client stays connected. So is an empty message: a client
 *   reading one would take it for the end of the connection (recv(2)
 *   returns 0 for both), so empty messages are carried in neither
 *   direction.
 * - A client may shut down its sending side (shutdown(SHUT_WR), as
 *   `socat` does at the end of its input) and keep reading: it stays
 *   connected, receiving, until it closes. A closed client is noticed at
 *   once while the daemon reads from it, otherwise within a second.
 * - The socket file: its directory is created if missing (0755), a stale
 *   socket file left by a dead daemon is replaced, while a live socket
 *   (another daemon answers), or a file that is not a socket, is left
 *   alone and the device runs without a socket (logged). The file is
 *   created with mode 0600, then given the configured group and mode.
 *   It is removed when the device stops, if it is still ours (same
 *   inode).
 */
#ifndef SERGUARDD_CLIENT_H
#define SERGUARDD_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>
#include <uv.h>

#include "daemon/log.h"
#include "daemon/sockfile.h"

/* Where the messages of the clients go. Called from the socket's
 * callbacks with the loop's current time. */
struct client_sink {
	/* Room for one more message now? */
	bool (*can_send)(void *arg);
	/* One message from a client (1..max_message bytes): 0 taken, any
	 * other value refused (counted as lost; can_send() said yes, so this
	 * is not expected). */
	int (*send)(void *arg, const unsigned char *msg, size_t len, uint64_t now);
	/* Counts, for the device's drop counters: a message refused for its
	 * length (0, or longer than max_message); n messages lost with a slow
	 * client. */
	void (*refused)(void *arg, size_t len, uint64_t now);
	void (*lost)(void *arg, uint64_t n);
	/* A client connected (messages held for want of a client may go). */
	void (*connected)(void *arg, uint64_t now);
};

struct client_sock_params {
	const char *name;     /* the device's name, for logs */
	const char *path;     /* socket path */
	unsigned mode;	      /* permission bits */
	gid_t gid;	      /* group of the socket file, (gid_t)-1 to leave it */
	size_t max_message;   /* longest message a client may send */
	unsigned max_clients;
	unsigned queue_max;   /* messages queued per client that does not read */
};

struct client_sock_stats {
	uint64_t accepted;    /* clients connected */
	uint64_t refused;     /* connections closed: max_clients reached */
	uint64_t slow;	      /* clients disconnected for not reading */
	uint64_t msgs_in, bytes_in;   /* from clients, taken by the sink */
	uint64_t msgs_out, bytes_out; /* to clients (each copy counts) */
	uint64_t bad_length;  /* messages refused for their length (0 or too long) */
	uint64_t pauses;      /* times reading stopped for backpressure */
};

struct client;

struct client_sock {
	char *name;
	char *path;
	uv_loop_t *loop;
	int fd;
	uv_poll_t *lpoll;
	uv_timer_t *hup_timer; /* watches the clients that stopped sending */
	struct sockfile file;
	struct client_sink sink;
	void *arg;
	size_t max_message;
	unsigned max_clients;
	unsigned queue_max;
	TAILQ_HEAD(, client) clients;
	unsigned nclients;
	unsigned next_id;
	bool paused;	       /* not reading: the sink is full */
	unsigned char *buf;    /* max_message + 1 bytes */
	struct client_sock_stats st;
	struct log_rate rl_refused;
};

/* Resolve a group name or number; -1 (logged) if unknown. */
int client_group(const char *name, gid_t *gid);

/*
 * Create, bind and listen on p->path, and serve clients from then on.
 * p is copied; sink is copied and arg is passed to it. NULL (logged) if
 * the socket cannot be created.
 */
struct client_sock *client_sock_new(uv_loop_t *loop, const struct client_sock_params *p,
				    const struct client_sink *sink, void *arg);
/* Disconnect every client, close the socket and remove its file if it is
 * still ours. Messages still queued for clients are counted as lost. The
 * loop must run afterwards for libuv to release the handles. */
void client_sock_free(struct client_sock *cs);

unsigned client_sock_count(const struct client_sock *cs);
/* One message from the device to every connected client. */
void client_sock_deliver(struct client_sock *cs, const unsigned char *msg, size_t len);
/* The sink has room again: read from the clients. */
void client_sock_resume(struct client_sock *cs);

#endif
