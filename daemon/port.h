/*
 * serguardd: one serial port, kept open.
 *
 * A port opens its device nonblocking and close-on-exec, takes it
 * exclusively (flock(LOCK_EX|LOCK_NB), then TIOCEXCL), sets the line
 * (speed, character format, flow control) and, in RS485 mode, the
 * kernel's RS485 direction control (TIOCSRS485). Real serial devices are
 * configured through libserialport; devices libserialport 0.1.1 cannot
 * open (pseudo-terminals, whose TIOCMGET fails with ENOTTY, and anything
 * it does not recognise) through plain termios. Symbolic links such as
 * /dev/serial/by-id/... are resolved on every open.
 *
 * States: ABSENT (the device path does not exist), OPENING (an attempt
 * in progress), UP (open; bytes flow), BACKOFF (an open failed or the
 * device vanished; retried later). Retries back off exponentially from
 * backoff_min_ms to backoff_max_ms and reset once the port is up; a port
 * that vanishes (USB adapter unplugged: libuv reports UV_EBADF, or read
 * sees a hang-up) is closed and reopened the same way, without touching
 * other ports. Repeated failures are logged once a minute.
 *
 * Reading and writing run on the libuv loop: received bytes go to the
 * read callback as they come; port_write() queues bytes (bounded) and
 * the loop writes them as the device accepts them. Writable events are
 * asked for only while bytes are queued.
 */
#ifndef SERGUARDD_PORT_H
#define SERGUARDD_PORT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <termios.h>
#include <uv.h>

#include "daemon/log.h"

struct sp_port;
struct port;

enum port_state { PORT_CLOSED = 0, PORT_ABSENT, PORT_OPENING, PORT_UP, PORT_BACKOFF };
enum port_backend { PORT_BACKEND_NONE = 0, PORT_BACKEND_SERIALPORT, PORT_BACKEND_TERMIOS };

/* Line settings (values as in config.h: enum cfg_parity, cfg_flow). */
struct port_line {
	uint32_t baud;
	uint32_t data_bits; /* 5..8 */
	int parity;
	uint32_t stop_bits; /* 1, 2 */
	int flow;
	bool rs485;
	bool rts_on_send;
	uint32_t delay_before_ms, delay_after_ms;
};

struct port_cb {
	/* Bytes received. May call port_write(); must not free the port. */
	void (*read)(struct port *p, const unsigned char *buf, size_t len, void *arg);
	/* The state changed (after the port logged it). Optional. */
	void (*state)(struct port *p, int old_state, int new_state, void *arg);
};

struct port_stats {
	uint64_t rx_bytes, tx_bytes;
	uint64_t opens;	    /* successful opens */
	uint64_t lost;	    /* times the device vanished while up */
	uint64_t tx_refused; /* port_write() calls refused (down, full) */
};

struct port {
	char *name;
	char *path;		/* as configured */
	char real[PATH_MAX];	/* resolved at the last open */
	struct port_line line;
	int state;		/* enum port_state */
	int backend;		/* enum port_backend */
	int fd;			/* data descriptor, -1 when closed */
	int lockfd;		/* descriptor holding the flock, when not fd */
	struct sp_port *sp;
	uv_loop_t *loop;
	uv_timer_t timer;
	uv_poll_t *poll;
	int poll_events;
	uint32_t backoff_min_ms, backoff_max_ms, backoff_ms;
	unsigned char *tx;
	size_t txlen, txcap;
	struct port_cb cb;
	void *arg;
	struct port_stats st;
	int rs485_kernel;	/* 1 on, 0 no driver support, -1 not asked */
	bool rs485_warned;
	struct log_rate rl;	/* open failures */
	bool freeing;
};

#define PORT_BACKOFF_MIN_MS 100u
#define PORT_BACKOFF_MAX_MS 5000u

/*
 * A port named name (for logs) on device path, not yet opened. line and
 * cb are copied; arg is passed to the callbacks. txcap bounds the bytes
 * port_write() may queue. Returns NULL (logged) if out of memory. The
 * backoff bounds may be changed before port_start().
 */
struct port *port_new(uv_loop_t *loop, const char *name, const char *path,
		      const struct port_line *line, size_t txcap, const struct port_cb *cb,
		      void *arg);
/* First open attempt now; from then on the port keeps itself open. */
void port_start(struct port *p);
/* Queue len bytes for the device. 0 if queued (all or nothing), -1 if the
 * port is not up or the queue has no room (logged at debug, counted). */
int port_write(struct port *p, const void *buf, size_t len);
size_t port_tx_pending(const struct port *p);
/* Close the device now and free p once libuv has released its handles
 * (the loop must run). Not from within p's own callbacks. */
void port_free(struct port *p);

const char *port_state_name(int state);
const char *port_backend_name(int backend);
/* The termios settings for line l, applied to *t (raw mode, nonblocking
 * reads: VMIN = VTIME = 0). -1 if the speed is not a standard rate. */
int port_line_termios(const struct port_line *l, struct termios *t);
/* "19200 8N1" into buf. */
void port_line_format(const struct port_line *l, char *buf, size_t len);

#endif
