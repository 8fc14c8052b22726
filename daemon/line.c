/*
 * serguardd: a serial line's driver (see line.h).
 *
 * Implementation notes:
 * - Time is uv_now() after uv_update_time(): the loop's cached time can
 *   lag by a whole iteration, which would start response timeouts early.
 * - One timer per line, armed at the earlier of the scheduler's "call me
 *   at" and the links' deadlines (what link_pump() returned).
 * - A refused turn (the link had nothing to build, or the port's queue is
 *   full) is cancelled and the scheduler retried after retry_ms, never in
 *   a tight loop.
 * - When a turn times out, a partial frame in the decoder is dropped: its
 *   bytes belonged to an answer that will not complete. While the port is
 *   down the scheduler is paused; when it comes back, nothing is assumed
 *   to be outstanding (bus_reset).
 * - While the port is down the bus is paused but the timer still runs at
 *   the links' deadlines: session timers and message expiry go on.
 * - line_kick() only arms the timer at 0: it is called from link_pump(),
 *   which may run inside a turn, and the scheduler must not be re-entered.
 * - A frame that arrives from a device when no answer from it is awaited
 *   (late, or on RS232) is still given to its link: it is a good frame,
 *   and whether it means anything is the session's business.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon/line.h"
#include "daemon/link.h"

static void line_run(struct line *ln);
static void arm(struct line *ln, uint64_t until, uint64_t now);

static uint64_t line_now(struct line *ln)
{
	uv_update_time(ln->loop);
	return uv_now(ln->loop);
}

static void report(struct line *ln, const struct bus_action *a)
{
	struct link *l;

	if (a->event == BUS_EV_NONE || a->event_dev == NULL)
		return;
	l = a->event_dev->arg;
	switch (a->event) {
	case BUS_EV_TIMEOUT:
		log_debug("device %s: no answer on port %s (%u in a row)", l->name, ln->name,
			  a->event_dev->fails);
		break;
	case BUS_EV_DOWN:
		log_warn("device %s (port %s, address %u): not answering; marked down, polled "
			 "every %u ms",
			 l->name, ln->name, (unsigned)a->event_dev->addr,
			 (unsigned)ln->bus.par.down_poll_interval_ms);
		break;
	case BUS_EV_HS_TIMEOUT:
		log_notice("device %s: no answer to a handshake message within %u ms", l->name,
			   (unsigned)ln->bus.par.handshake_timeout_ms);
		break;
	case BUS_EV_EXCUSED:
		log_debug("device %s: busy with a handshake step", l->name);
		break;
	default:
		break;
	}
	sg_frame_decoder_abort(&ln->dec);
}

static void on_frame(struct line *ln, const struct sg_frame *f, uint64_t now)
{
	struct link *l = ln->links[f->addr];

	ln->st.frames_in++;
	if (l == NULL) {
		ln->st.unknown_addr++;
		log_rate(&ln->rl_unknown, now, LOG_INFO,
			 "port %s: frame from address %u, where no device is configured", ln->name,
			 (unsigned)f->addr);
		return;
	}
	if (bus_reply(&ln->bus, &l->bd, now) == 1)
		log_notice("device %s (port %s, address %u): answering again", l->name, ln->name,
			   (unsigned)f->addr);
	link_input(l, f, now);
}

static void on_read(struct port *p, const unsigned char *buf, size_t len, void *arg)
{
	struct line *ln = arg;
	uint64_t now = line_now(ln);

	(void)p;
	bus_rx(&ln->bus, now);
	while (len > 0) {
		struct sg_frame f;
		size_t used = 0;

		if (sg_frame_decoder_push(&ln->dec, buf, len, &used, &f) == 1)
			on_frame(ln, &f, now);
		buf += used;
		len -= used;
	}
	line_run(ln);
}

static void on_port_state(struct port *p, int old_state, int new_state, void *arg)
{
	struct line *ln = arg;

	(void)p;
	(void)old_state;
	if (new_state == PORT_UP) {
		bus_reset(&ln->bus, line_now(ln));
		sg_frame_decoder_abort(&ln->dec);
		line_run(ln);
	} else {
		arm(ln, BUS_NEVER, line_now(ln));
	}
}

static void on_timer(uv_timer_t *t)
{
	struct line *ln = t->data;
	uint64_t now = line_now(ln);
	size_t i;

	for (i = 0; i < 256; i++) {
		struct link *l = ln->links[i];

		if (l != NULL && l->deadline <= now)
			l->deadline = link_pump(l, now);
	}
	line_run(ln);
}

/* Wake up at until, or at a link's deadline if that comes first. */
static void arm(struct line *ln, uint64_t until, uint64_t now)
{
	size_t i;

	for (i = 0; i < 256; i++)
		if (ln->links[i] != NULL && ln->links[i]->deadline < until)
			until = ln->links[i]->deadline;
	if (until == BUS_NEVER) {
		uv_timer_stop(&ln->timer);
		return;
	}
	uv_timer_start(&ln->timer, on_timer, until > now ? until - now : 0, 0);
}

static void line_run(struct line *ln)
{
	struct bus_action a;
	uint64_t now;
	int turns;

	if (ln->freeing)
		return;
	now = line_now(ln);
	if (ln->port->state != PORT_UP) {
		/* no bus, but the sessions' timers go on */
		arm(ln, BUS_NEVER, now);
		return;
	}
	for (turns = 0; turns < 64; turns++) {
		struct link *l;
		size_t n = 0;

		bus_next(&ln->bus, now, &a);
		report(ln, &a);
		if (a.kind == BUS_ACT_WAIT) {
			arm(ln, a.until, now);
			return;
		}
		l = a.dev->arg;
		if (link_turn(l, a.data, ln->txbuf, ln->txcap, &n, now) != 0 ||
		    port_write(ln->port, ln->txbuf, n) != 0) {
			bus_cancel(&ln->bus);
			ln->st.turns_refused++;
			arm(ln, now + ln->retry_ms, now);
			return;
		}
		ln->st.frames_out++;
		bus_sent(&ln->bus, now, n);
		if (ln->freeing || ln->port->state != PORT_UP)
			return;
	}
	arm(ln, now, now); /* many turns at once (RS232 data): continue soon */
}

struct line *line_new(uv_loop_t *loop, const struct cfg_port *c)
{
	static const struct port_cb cb = { .read = on_read, .state = on_port_state };
	struct bus_params par;
	struct port_line pl;
	struct line *ln = calloc(1, sizeof(*ln));
	uint32_t bits;
	size_t declen;

	if (ln == NULL)
		goto oom;
	ln->name = strdup(c->name);
	ln->max_frame = c->max_frame;
	declen = SG_FRAME_DECODE_BUF_LEN((size_t)c->max_frame);
	ln->decbuf = malloc(declen);
	ln->txcap = SG_FRAME_ENCODED_MAX((size_t)c->max_frame);
	ln->txbuf = malloc(ln->txcap);
	if (ln->name == NULL || ln->decbuf == NULL || ln->txbuf == NULL)
		goto oom;
	if (sg_frame_decoder_init(&ln->dec, ln->decbuf, declen, c->max_frame,
				  SG_FRAME_FROM_DEVICE, 0) != 0)
		goto oom;

	memset(&pl, 0, sizeof(pl));
	pl.baud = c->baud;
	pl.data_bits = c->data_bits;
	pl.parity = c->parity;
	pl.stop_bits = c->stop_bits;
	pl.flow = c->flow_control;
	pl.rs485 = c->mode == CFG_RS485;
	pl.rts_on_send = c->rs485_rts_on_send;
	pl.delay_before_ms = c->rs485_delay_before_ms;
	pl.delay_after_ms = c->rs485_delay_after_ms;
	/* room for a few whole frames of the largest size */
	ln->port = port_new(loop, c->name, c->device, &pl, 4 * ln->txcap, &cb, ln);
	if (ln->port == NULL)
		goto oom;

	memset(&par, 0, sizeof(par));
	par.response_timeout_ms = c->response_timeout_ms;
	par.turnaround_ms = c->turnaround_ms;
	par.handshake_timeout_ms = c->handshake_timeout_ms;
	par.poll_interval_ms = c->poll_interval_ms;
	par.down_poll_interval_ms = c->down_poll_interval_ms;
	par.down_after_timeouts = c->down_after_timeouts;
	bits = 1 + c->data_bits + (c->parity != CFG_PARITY_NONE ? 1u : 0u) + c->stop_bits;
	par.char_time_us = (uint32_t)((1000000ull * bits + c->baud - 1) / c->baud);
	par.max_frame_wire = (uint32_t)ln->txcap;
	bus_init(&ln->bus, c->mode == CFG_RS485 ? BUS_RS485 : BUS_RS232, &par);
	ln->retry_ms = c->response_timeout_ms;
	ln->loop = loop;
	uv_timer_init(loop, &ln->timer);
	ln->timer.data = ln;
	return ln;
oom:
	log_err("port %s: out of memory", c->name);
	if (ln != NULL) {
		port_free(ln->port);
		free(ln->decbuf);
		free(ln->txbuf);
		free(ln->name);
	}
	free(ln);
	return NULL;
}

void line_start(struct line *ln)
{
	port_start(ln->port);
}

int line_add(struct line *ln, struct link *l)
{
	if (ln->links[l->bd.addr] != NULL ||
	    bus_add(&ln->bus, &l->bd, line_now(ln)) != 0) {
		log_err("device %s: address %u on port %s is taken", l->name,
			(unsigned)l->bd.addr, ln->name);
		return -1;
	}
	ln->links[l->bd.addr] = l;
	l->line = ln;
	/* bus_add() forgot what the link told it before: say it again */
	bus_set_pending(&ln->bus, &l->bd, l->pending);
	if (l->hs_busy)
		bus_set_handshake(&ln->bus, &l->bd, true, line_now(ln));
	line_kick(ln);
	return 0;
}

void line_remove(struct line *ln, struct link *l)
{
	if (ln->links[l->bd.addr] != l)
		return;
	bus_remove(&ln->bus, &l->bd);
	ln->links[l->bd.addr] = NULL;
	l->line = NULL;
	line_kick(ln);
}

void line_kick(struct line *ln)
{
	if (ln->freeing)
		return;
	/* from the next loop iteration: the caller may be inside a turn */
	uv_timer_start(&ln->timer, on_timer, 0, 0);
}

static void on_timer_closed(uv_handle_t *h)
{
	struct line *ln = h->data;

	free(ln->decbuf);
	free(ln->txbuf);
	free(ln->name);
	free(ln);
}

void line_free(struct line *ln)
{
	size_t i;

	if (ln == NULL || ln->freeing)
		return;
	ln->freeing = true;
	for (i = 0; i < 256; i++)
		if (ln->links[i] != NULL) {
			ln->links[i]->line = NULL;
			ln->links[i] = NULL;
		}
	port_free(ln->port);
	uv_timer_stop(&ln->timer);
	uv_close((uv_handle_t *)&ln->timer, on_timer_closed);
}
