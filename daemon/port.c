/*
 * serguardd: serial ports (see port.h).
 *
 * Implementation notes:
 * - Exclusivity comes first, before anything changes the line: we open
 *   the resolved path ourselves (O_NOCTTY|O_NONBLOCK|O_CLOEXEC) and take
 *   flock(LOCK_EX|LOCK_NB) on it. A port another process holds with
 *   TIOCEXCL fails that open with EBUSY, one it holds with flock fails
 *   the lock; either way its settings are untouched. (root bypasses
 *   TIOCEXCL, not flock.)
 * - Backend: if TIOCMGET fails with ENOTTY (a pty) the descriptor we hold
 *   is configured with termios, since libserialport 0.1.1's sp_open()
 *   fails there. Otherwise libserialport opens its own descriptor (0.1.1
 *   sets neither O_CLOEXEC nor a lock, so we add FD_CLOEXEC and keep our
 *   locked descriptor open beside it); if libserialport refuses the
 *   device anyway, termios on ours. TIOCEXCL is set last, once every
 *   descriptor of ours is open.
 * - A hung-up tty (USB adapter unplugged, socat killed) shows up as
 *   UV_EBADF in the poll callback (POLLERR; libuv has stopped the
 *   handle), or as read() returning 0 or EIO with POLLHUP. With VMIN=0 a
 *   read() of 0 also happens on a spurious wake-up, so a 0 counts as a
 *   hang-up only when poll() says POLLHUP.
 * - The poll handle belongs to one open: it is closed with the device
 *   and a new one is made at the next open (libuv closes handles
 *   asynchronously, so a handle is never reused).
 * - Parity errors: INPCK without IGNPAR/PARMRK makes a damaged byte read
 *   as 0x00, the frame delimiter, so the frame decoder resynchronises.
 */
#include <errno.h>
#include <fcntl.h>
#include <libserialport.h>
#include <linux/serial.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "daemon/config.h"
#include "daemon/log.h"
#include "daemon/port.h"

enum { OPEN_OK = 0, OPEN_ABSENT, OPEN_BUSY, OPEN_FAIL };

static void port_attempt(struct port *p);

static void on_retry(uv_timer_t *t)
{
	port_attempt(t->data);
}

static void free_handle(uv_handle_t *h)
{
	free(h);
}

const char *port_state_name(int state)
{
	switch (state) {
	case PORT_CLOSED:
		return "closed";
	case PORT_ABSENT:
		return "absent";
	case PORT_OPENING:
		return "opening";
	case PORT_UP:
		return "up";
	case PORT_BACKOFF:
		return "backoff";
	}
	return "?";
}

const char *port_backend_name(int backend)
{
	switch (backend) {
	case PORT_BACKEND_SERIALPORT:
		return "libserialport";
	case PORT_BACKEND_TERMIOS:
		return "termios";
	}
	return "none";
}

void port_line_format(const struct port_line *l, char *buf, size_t len)
{
	static const char par[] = "NOEMS";
	int parity = l->parity >= 0 && l->parity <= 4 ? l->parity : 0;

	snprintf(buf, len, "%u %u%c%u%s", (unsigned)l->baud, (unsigned)l->data_bits, par[parity],
		 (unsigned)l->stop_bits, l->flow == CFG_FLOW_RTSCTS ? " rtscts" : "");
}

static uint64_t now_ms(const struct port *p)
{
	return uv_now(p->loop);
}

static void set_state(struct port *p, int st)
{
	int old = p->state;

	p->state = st;
	if (old != st && p->cb.state != NULL && !p->freeing)
		p->cb.state(p, old, st, p->arg);
}

/* ---- line settings ---------------------------------------------------------- */

static speed_t baud_speed(uint32_t baud)
{
	static const struct {
		uint32_t baud;
		speed_t speed;
	} rates[] = {
		{ 50, B50 },	     { 75, B75 },	  { 110, B110 },	 { 134, B134 },
		{ 150, B150 },	     { 200, B200 },	  { 300, B300 },	 { 600, B600 },
		{ 1200, B1200 },     { 1800, B1800 },	  { 2400, B2400 },	 { 4800, B4800 },
		{ 9600, B9600 },     { 19200, B19200 },	  { 38400, B38400 },	 { 57600, B57600 },
		{ 115200, B115200 }, { 230400, B230400 }, { 460800, B460800 }, { 500000, B500000 },
		{ 576000, B576000 }, { 921600, B921600 }, { 1000000, B1000000 },
		{ 1152000, B1152000 }, { 1500000, B1500000 }, { 2000000, B2000000 },
		{ 2500000, B2500000 }, { 3000000, B3000000 }, { 3500000, B3500000 },
		{ 4000000, B4000000 },
	};
	size_t i;

	for (i = 0; i < sizeof(rates) / sizeof(rates[0]); i++)
		if (rates[i].baud == baud)
			return rates[i].speed;
	return B0;
}

int port_line_termios(const struct port_line *l, struct termios *t)
{
	static const tcflag_t csize[] = { CS5, CS6, CS7, CS8 };
	speed_t sp = baud_speed(l->baud);

	if (sp == B0)
		return -1;
	cfmakeraw(t);
	t->c_cflag &= ~(tcflag_t)(CSIZE | PARENB | PARODD | CMSPAR | CSTOPB | CRTSCTS);
	t->c_cflag |= CLOCAL | CREAD;
	if (l->data_bits >= 5 && l->data_bits <= 8)
		t->c_cflag |= csize[l->data_bits - 5];
	else
		t->c_cflag |= CS8;
	switch (l->parity) {
	case CFG_PARITY_ODD:
		t->c_cflag |= PARENB | PARODD;
		break;
	case CFG_PARITY_EVEN:
		t->c_cflag |= PARENB;
		break;
	case CFG_PARITY_MARK:
		t->c_cflag |= PARENB | PARODD | CMSPAR;
		break;
	case CFG_PARITY_SPACE:
		t->c_cflag |= PARENB | CMSPAR;
		break;
	default:
		break;
	}
	t->c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY | IGNPAR | PARMRK | INPCK);
	if (l->parity != CFG_PARITY_NONE)
		t->c_iflag |= INPCK;
	if (l->stop_bits == 2)
		t->c_cflag |= CSTOPB;
	if (l->flow == CFG_FLOW_RTSCTS)
		t->c_cflag |= CRTSCTS;
	t->c_cc[VMIN] = 0;
	t->c_cc[VTIME] = 0;
	if (cfsetispeed(t, sp) != 0 || cfsetospeed(t, sp) != 0)
		return -1;
	return 0;
}

static int line_termios(struct port *p, char *why, size_t whylen)
{
	struct termios t;

	if (tcgetattr(p->fd, &t) != 0) {
		snprintf(why, whylen, "tcgetattr: %s", strerror(errno));
		return -1;
	}
	if (port_line_termios(&p->line, &t) != 0) {
		snprintf(why, whylen, "%u bit/s is not a standard rate, which termios needs",
			 (unsigned)p->line.baud);
		return -1;
	}
	if (tcsetattr(p->fd, TCSANOW, &t) != 0) {
		snprintf(why, whylen, "cannot set the line (%s)", strerror(errno));
		return -1;
	}
	return 0;
}

static int sp_fail(char *why, size_t whylen, const char *what)
{
	char *m = sp_last_error_message();

	snprintf(why, whylen, "%s: %s", what, m != NULL ? m : "failed");
	if (m != NULL)
		sp_free_error_message(m);
	return -1;
}

static int line_serialport(struct port *p, char *why, size_t whylen)
{
	static const enum sp_parity par[] = { SP_PARITY_NONE, SP_PARITY_ODD, SP_PARITY_EVEN,
					      SP_PARITY_MARK, SP_PARITY_SPACE };
	const struct port_line *l = &p->line;
	int parity = l->parity >= 0 && l->parity <= 4 ? l->parity : 0;

	if (sp_set_baudrate(p->sp, (int)l->baud) != SP_OK)
		return sp_fail(why, whylen, "baud rate");
	if (sp_set_bits(p->sp, (int)l->data_bits) != SP_OK)
		return sp_fail(why, whylen, "data bits");
	if (sp_set_parity(p->sp, par[parity]) != SP_OK)
		return sp_fail(why, whylen, "parity");
	if (sp_set_stopbits(p->sp, (int)l->stop_bits) != SP_OK)
		return sp_fail(why, whylen, "stop bits");
	if (sp_set_flowcontrol(p->sp, l->flow == CFG_FLOW_RTSCTS ? SP_FLOWCONTROL_RTSCTS
								 : SP_FLOWCONTROL_NONE) != SP_OK)
		return sp_fail(why, whylen, "flow control");
	return 0;
}

/* Kernel RS485 direction control. Never fatal: most USB adapters switch
 * the transceiver in hardware and have no driver support. */
static void line_rs485(struct port *p)
{
	struct serial_rs485 rs;

	memset(&rs, 0, sizeof(rs));
	if (!p->line.rs485) {
		/* undo an RS485 mode a previous user left on */
		if (ioctl(p->fd, TIOCGRS485, &rs) == 0 && (rs.flags & SER_RS485_ENABLED)) {
			memset(&rs, 0, sizeof(rs));
			if (ioctl(p->fd, TIOCSRS485, &rs) == 0)
				log_info("port %s: kernel RS485 mode was on; switched off (mode = "
					 "rs232)",
					 p->name);
		}
		p->rs485_kernel = -1;
		return;
	}
	rs.flags = SER_RS485_ENABLED |
		   (p->line.rts_on_send ? SER_RS485_RTS_ON_SEND : SER_RS485_RTS_AFTER_SEND);
	rs.delay_rts_before_send = p->line.delay_before_ms;
	rs.delay_rts_after_send = p->line.delay_after_ms;
	if (ioctl(p->fd, TIOCSRS485, &rs) != 0) {
		int e = errno;

		p->rs485_kernel = 0;
		if (p->rs485_warned)
			return;
		p->rs485_warned = true;
		if (e == ENOTTY)
			log_warn("port %s: %s has no kernel RS485 support (TIOCSRS485: %s); the "
				 "adapter must switch the transceiver's direction by itself, as "
				 "most USB RS485 adapters do",
				 p->name, p->real, strerror(e));
		else
			log_warn("port %s: kernel RS485 mode refused (TIOCSRS485: %s); the "
				 "adapter must switch the transceiver's direction by itself",
				 p->name, strerror(e));
		return;
	}
	p->rs485_kernel = 1;
	/* the kernel writes back what it accepted */
	log_info("port %s: kernel RS485 on: RTS %s while sending, delays %u/%u ms%s", p->name,
		 (rs.flags & SER_RS485_RTS_ON_SEND) ? "high" : "low",
		 (unsigned)rs.delay_rts_before_send, (unsigned)rs.delay_rts_after_send,
		 (rs.flags & SER_RS485_RX_DURING_TX) ? ", receiving while sending" : "");
	if (!(rs.flags & SER_RS485_ENABLED) ||
	    !!(rs.flags & SER_RS485_RTS_ON_SEND) != p->line.rts_on_send ||
	    rs.delay_rts_before_send != p->line.delay_before_ms ||
	    rs.delay_rts_after_send != p->line.delay_after_ms)
		log_warn("port %s: the driver changed the RS485 settings (asked: RTS %s while "
			 "sending, delays %u/%u ms)",
			 p->name, p->line.rts_on_send ? "high" : "low",
			 (unsigned)p->line.delay_before_ms, (unsigned)p->line.delay_after_ms);
}

/* ---- open and close ------------------------------------------------------------ */

static void close_device(struct port *p)
{
	if (p->poll != NULL) {
		uv_poll_stop(p->poll);
		uv_close((uv_handle_t *)p->poll, free_handle);
		p->poll = NULL;
	}
	p->poll_events = 0;
	if (p->sp != NULL) {
		sp_close(p->sp); /* closes p->fd */
		sp_free_port(p->sp);
		p->sp = NULL;
	} else if (p->fd >= 0) {
		close(p->fd);
	}
	if (p->lockfd >= 0 && p->lockfd != p->fd)
		close(p->lockfd);
	p->fd = -1;
	p->lockfd = -1;
	p->backend = PORT_BACKEND_NONE;
	p->txlen = 0;
}

/* Try libserialport on the device we hold locked in fd. */
static bool try_serialport(struct port *p)
{
	struct sp_port *sp = NULL;
	char why[256];
	int spfd = -1, fl;

	if (sp_get_port_by_name(p->real, &sp) != SP_OK) {
		sp_fail(why, sizeof(why), "sp_get_port_by_name");
		log_debug("port %s: libserialport does not know %s (%s); using termios", p->name,
			  p->real, why);
		return false;
	}
	if (sp_open(sp, SP_MODE_READ_WRITE) != SP_OK) {
		sp_fail(why, sizeof(why), "sp_open");
		log_debug("port %s: libserialport cannot open %s (%s); using termios", p->name,
			  p->real, why);
		sp_free_port(sp);
		return false;
	}
	if (sp_get_port_handle(sp, &spfd) != SP_OK || spfd < 0) {
		sp_close(sp);
		sp_free_port(sp);
		return false;
	}
	fl = fcntl(spfd, F_GETFD);
	if (fl < 0 || fcntl(spfd, F_SETFD, fl | FD_CLOEXEC) != 0) {
		sp_close(sp);
		sp_free_port(sp);
		return false;
	}
	p->lockfd = p->fd;
	p->fd = spfd;
	p->sp = sp;
	p->backend = PORT_BACKEND_SERIALPORT;
	return true;
}

static int open_device(struct port *p, char *why, size_t whylen)
{
	int fd, modem, e;

	if (realpath(p->path, p->real) == NULL) {
		e = errno;
		snprintf(p->real, sizeof(p->real), "%s", p->path);
		snprintf(why, whylen, "%s", strerror(e));
		return e == ENOENT || e == ENOTDIR ? OPEN_ABSENT : OPEN_FAIL;
	}
	fd = open(p->real, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		if (e == EBUSY) {
			snprintf(why, whylen, "opened exclusively by another process (TIOCEXCL)");
			return OPEN_BUSY;
		}
		snprintf(why, whylen, "%s", strerror(e));
		return e == ENOENT || e == ENXIO || e == ENODEV ? OPEN_ABSENT : OPEN_FAIL;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		e = errno;
		close(fd);
		if (e == EWOULDBLOCK) {
			snprintf(why, whylen, "locked by another process (flock)");
			return OPEN_BUSY;
		}
		snprintf(why, whylen, "flock: %s", strerror(e));
		return OPEN_FAIL;
	}
	if (!isatty(fd)) {
		close(fd);
		snprintf(why, whylen, "not a terminal device");
		return OPEN_FAIL;
	}
	p->fd = fd;
	p->lockfd = -1;
	p->backend = PORT_BACKEND_TERMIOS;
	if (!(ioctl(fd, TIOCMGET, &modem) != 0 && errno == ENOTTY))
		try_serialport(p);
	if (ioctl(p->fd, TIOCEXCL) != 0)
		log_debug("port %s: TIOCEXCL: %s", p->name, strerror(errno));
	if ((p->backend == PORT_BACKEND_SERIALPORT ? line_serialport(p, why, whylen)
						   : line_termios(p, why, whylen)) != 0) {
		close_device(p);
		return OPEN_FAIL;
	}
	tcflush(p->fd, TCIOFLUSH);
	line_rs485(p);
	return OPEN_OK;
}

/* ---- the loop side ----------------------------------------------------------------- */

static void schedule_retry(struct port *p)
{
	uv_timer_start(&p->timer, on_retry, p->backoff_ms, 0);
	if (p->backoff_ms < p->backoff_max_ms / 2)
		p->backoff_ms *= 2;
	else
		p->backoff_ms = p->backoff_max_ms;
}

static void port_lost(struct port *p, const char *why)
{
	log_warn("port %s: %s lost (%s); reopening", p->name, p->real, why);
	p->st.lost++;
	close_device(p);
	p->backoff_ms = p->backoff_min_ms;
	set_state(p, PORT_BACKOFF);
	schedule_retry(p);
}

static bool hung_up(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLHUP | POLLERR | POLLNVAL));
}

static void update_events(struct port *p);

static void flush_tx(struct port *p)
{
	while (p->txlen > 0) {
		ssize_t n = write(p->fd, p->tx, p->txlen);

		if (n > 0) {
			p->st.tx_bytes += (uint64_t)n;
			memmove(p->tx, p->tx + n, p->txlen - (size_t)n);
			p->txlen -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		port_lost(p, n < 0 ? strerror(errno) : "write returned 0");
		return;
	}
	update_events(p);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	struct port *p = h->data;
	unsigned char buf[4096];
	int i;

	if (status < 0) { /* UV_EBADF: POLLERR, the device is gone */
		port_lost(p, status == UV_EBADF ? "hang-up" : uv_strerror(status));
		return;
	}
	if (events & (UV_READABLE | UV_DISCONNECT)) {
		for (i = 0; i < 16; i++) {
			ssize_t n = read(p->fd, buf, sizeof(buf));

			if (n > 0) {
				p->st.rx_bytes += (uint64_t)n;
				if (p->cb.read != NULL)
					p->cb.read(p, buf, (size_t)n, p->arg);
				if (p->state != PORT_UP)
					return;
				continue;
			}
			if (n == 0) {
				if (hung_up(p->fd)) {
					port_lost(p, "hang-up");
					return;
				}
				break;
			}
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			port_lost(p, strerror(errno));
			return;
		}
	}
	if ((events & UV_WRITABLE) && p->state == PORT_UP)
		flush_tx(p);
}

static void update_events(struct port *p)
{
	int want = UV_READABLE | UV_DISCONNECT | (p->txlen > 0 ? UV_WRITABLE : 0);

	if (p->poll == NULL || want == p->poll_events)
		return;
	if (uv_poll_start(p->poll, want, on_poll) == 0)
		p->poll_events = want;
}

static void port_attempt(struct port *p)
{
	char why[320], line[64], more[64];
	unsigned supp;
	int r;

	set_state(p, PORT_OPENING);
	r = open_device(p, why, sizeof(why));
	if (r == OPEN_OK) {
		p->poll = malloc(sizeof(*p->poll));
		if (p->poll == NULL || uv_poll_init(p->loop, p->poll, p->fd) != 0) {
			free(p->poll);
			p->poll = NULL;
			close_device(p);
			snprintf(why, sizeof(why), "cannot watch the descriptor");
			r = OPEN_FAIL;
		} else {
			p->poll->data = p;
			p->poll_events = 0;
			update_events(p);
		}
	}
	if (r == OPEN_OK) {
		supp = log_rate_reset(&p->rl);
		p->backoff_ms = p->backoff_min_ms;
		p->st.opens++;
		port_line_format(&p->line, line, sizeof(line));
		more[0] = '\0';
		if (supp > 0)
			snprintf(more, sizeof(more), " (after %u more failed attempts)", supp);
		log_notice("port %s: up: %s%s%s via %s, %s, %s%s", p->name, p->path,
			   strcmp(p->path, p->real) != 0 ? " -> " : "",
			   strcmp(p->path, p->real) != 0 ? p->real : "",
			   port_backend_name(p->backend), line, p->line.rs485 ? "rs485" : "rs232",
			   more);
		set_state(p, PORT_UP);
		return;
	}
	if (r == OPEN_ABSENT)
		log_rate(&p->rl, now_ms(p), LOG_NOTICE, "port %s: %s is absent (%s); waiting for it",
			 p->name, p->path, why);
	else if (r == OPEN_BUSY)
		log_rate(&p->rl, now_ms(p), LOG_ERR, "port %s: %s is busy: %s; retrying", p->name,
			 p->real, why);
	else
		log_rate(&p->rl, now_ms(p), LOG_ERR, "port %s: cannot open %s: %s; retrying",
			 p->name, p->real, why);
	set_state(p, r == OPEN_ABSENT ? PORT_ABSENT : PORT_BACKOFF);
	schedule_retry(p);
}

struct port *port_new(uv_loop_t *loop, const char *name, const char *path,
		      const struct port_line *line, size_t txcap, const struct port_cb *cb,
		      void *arg)
{
	struct port *p = calloc(1, sizeof(*p));

	if (p == NULL || (p->name = strdup(name)) == NULL || (p->path = strdup(path)) == NULL ||
	    (p->tx = malloc(txcap > 0 ? txcap : 1)) == NULL) {
		log_err("port %s: out of memory", name);
		if (p != NULL) {
			free(p->name);
			free(p->path);
		}
		free(p);
		return NULL;
	}
	p->loop = loop;
	p->line = *line;
	p->txcap = txcap;
	if (cb != NULL)
		p->cb = *cb;
	p->arg = arg;
	p->fd = -1;
	p->lockfd = -1;
	p->rs485_kernel = -1;
	p->backoff_min_ms = PORT_BACKOFF_MIN_MS;
	p->backoff_max_ms = PORT_BACKOFF_MAX_MS;
	snprintf(p->real, sizeof(p->real), "%s", path);
	uv_timer_init(loop, &p->timer);
	p->timer.data = p;
	return p;
}

void port_start(struct port *p)
{
	if (p->state != PORT_CLOSED)
		return;
	if (p->backoff_min_ms == 0)
		p->backoff_min_ms = 1;
	if (p->backoff_max_ms < p->backoff_min_ms)
		p->backoff_max_ms = p->backoff_min_ms;
	p->backoff_ms = p->backoff_min_ms;
	port_attempt(p);
}

int port_write(struct port *p, const void *buf, size_t len)
{
	if (p->state != PORT_UP || len > p->txcap - p->txlen) {
		p->st.tx_refused++;
		log_debug("port %s: %zu bytes not sent (%s)", p->name, len,
			  p->state != PORT_UP ? "port not up" : "transmit queue full");
		return -1;
	}
	memcpy(p->tx + p->txlen, buf, len);
	p->txlen += len;
	flush_tx(p);
	return 0;
}

size_t port_tx_pending(const struct port *p)
{
	return p->txlen;
}

static void on_timer_closed(uv_handle_t *h)
{
	struct port *p = h->data;

	free(p->tx);
	free(p->name);
	free(p->path);
	free(p);
}

void port_free(struct port *p)
{
	if (p == NULL || p->freeing)
		return;
	p->freeing = true;
	if (p->fd >= 0)
		log_info("port %s: closed", p->name);
	close_device(p);
	p->state = PORT_CLOSED;
	uv_timer_stop(&p->timer);
	uv_close((uv_handle_t *)&p->timer, on_timer_closed);
}
