/*
 * serguardd: RS485 poll scheduler and RS232 pass-through (see bus.h).
 *
 * Implementation notes:
 * - States: IDLE (free to start a turn), TURN (bus_next() handed out a
 *   SEND; the caller has not reported yet), WAIT (a request is out;
 *   nothing is sent until the reply or the deadline), GAP (the turnaround
 *   silence after a reply or a timeout). Only IDLE starts a turn, which
 *   is the whole "never talk over a device" argument.
 * - The round robin starts after the device served last, over the
 *   devices that are due, so each due device is served within one round
 *   of at most ndev turns, whatever the others do. A turn is bounded by
 *   airtime + response timeout + the largest reply's airtime + the gap,
 *   which bounds every live device's waiting time (tests/test_bus.c
 *   measures it).
 * - A device removed while its reply is awaited leaves the line reserved
 *   until the deadline, so its late answer cannot collide with the next
 *   request.
 */
#include <string.h>

#include "daemon/bus.h"

enum { ST_IDLE = 0, ST_TURN, ST_WAIT, ST_GAP };

static uint64_t add_ms(uint64_t t, uint64_t ms)
{
	return t > BUS_NEVER - ms ? BUS_NEVER : t + ms;
}

uint64_t bus_airtime_ms(const struct bus *b, size_t wire_bytes)
{
	uint64_t us = (uint64_t)wire_bytes * b->par.char_time_us;

	return (us + 999) / 1000;
}

void bus_init(struct bus *b, int mode, const struct bus_params *par)
{
	memset(b, 0, sizeof(*b));
	b->mode = mode;
	b->par = *par;
	if (b->par.down_after_timeouts == 0)
		b->par.down_after_timeouts = 1;
	b->state = ST_IDLE;
}

int bus_add(struct bus *b, struct bus_dev *d, uint64_t now)
{
	size_t i;

	if (b->ndev == BUS_MAX_DEVICES || (b->mode == BUS_RS232 && b->ndev == 1))
		return -1;
	for (i = 0; i < b->ndev; i++)
		if (b->dev[i] == d || b->dev[i]->addr == d->addr)
			return -1;
	d->pending = false;
	d->hs_busy = false;
	d->down = false;
	d->fails = 0;
	d->due = now;
	d->hs_until = 0;
	d->hs_tries = 0;
	memset(&d->st, 0, sizeof(d->st));
	b->dev[b->ndev++] = d;
	return 0;
}

void bus_remove(struct bus *b, struct bus_dev *d)
{
	size_t i;

	for (i = 0; i < b->ndev; i++)
		if (b->dev[i] == d)
			break;
	if (i == b->ndev)
		return;
	memmove(&b->dev[i], &b->dev[i + 1], (b->ndev - i - 1) * sizeof(b->dev[0]));
	b->ndev--;
	if (b->rr > i)
		b->rr--;
	if (b->rr >= b->ndev)
		b->rr = 0;
	if (b->cur == d) {
		b->cur = NULL;
		if (b->state == ST_WAIT)
			b->state = ST_GAP; /* keep the line until the deadline */
		else
			b->state = ST_IDLE;
	}
}

void bus_reset(struct bus *b, uint64_t now)
{
	size_t i;

	b->state = ST_IDLE;
	b->cur = NULL;
	for (i = 0; i < b->ndev; i++)
		if (!b->dev[i]->down)
			b->dev[i]->due = now;
}

void bus_set_pending(struct bus *b, struct bus_dev *d, bool pending)
{
	(void)b;
	d->pending = pending;
}

void bus_set_handshake(struct bus *b, struct bus_dev *d, bool busy, uint64_t now)
{
	d->hs_busy = busy;
	d->hs_until = busy ? add_ms(now, b->par.handshake_timeout_ms) : 0;
	d->hs_tries = 0;
}

static bool is_due(const struct bus_dev *d, uint64_t now)
{
	if (d->down || d->hs_busy)
		return now >= d->due;
	return d->pending || now >= d->due;
}

static uint64_t due_time(const struct bus_dev *d, uint64_t now)
{
	if (!d->down && !d->hs_busy && d->pending)
		return now;
	return d->due;
}

/* The awaited reply did not come by the deadline. */
static void on_timeout(struct bus *b, uint64_t now, struct bus_action *a)
{
	struct bus_dev *d = b->cur;
	uint64_t retry;

	b->cur = NULL;
	b->state = ST_GAP;
	b->deadline = add_ms(now, b->par.turnaround_ms);
	if (d == NULL)
		return;
	a->event_dev = d;
	if (d->hs_busy && now < d->hs_until) {
		d->st.excused++;
		retry = b->par.poll_interval_ms > b->par.response_timeout_ms
				? b->par.poll_interval_ms
				: b->par.response_timeout_ms;
		/* a silent device costs the bus a response timeout per poll:
		 * back off, x1, x2, x4, then x8 */
		retry <<= d->hs_tries < 3 ? d->hs_tries : 3;
		d->hs_tries++;
		d->due = add_ms(now, retry);
		a->event = BUS_EV_EXCUSED;
		return;
	}
	a->event = BUS_EV_TIMEOUT;
	if (d->hs_busy) {
		d->hs_busy = false;
		d->hs_until = 0;
		a->event = BUS_EV_HS_TIMEOUT;
	}
	d->st.timeouts++;
	b->timeouts++;
	d->fails++;
	if (!d->down && d->fails >= b->par.down_after_timeouts) {
		d->down = true;
		d->st.downs++;
		a->event = BUS_EV_DOWN;
	}
	d->due = add_ms(now, d->down ? b->par.down_poll_interval_ms : b->par.poll_interval_ms);
}

static void next_rs232(struct bus *b, struct bus_action *a)
{
	struct bus_dev *d = b->ndev > 0 ? b->dev[0] : NULL;

	if (b->state == ST_IDLE && d != NULL && d->pending) {
		b->state = ST_TURN;
		b->cur = d;
		b->turns++;
		d->st.data++;
		a->kind = BUS_ACT_SEND;
		a->dev = d;
		a->data = true;
		return;
	}
	a->kind = BUS_ACT_WAIT;
	a->until = BUS_NEVER;
}

void bus_next(struct bus *b, uint64_t now, struct bus_action *a)
{
	uint64_t until;
	size_t k;

	memset(a, 0, sizeof(*a));
	if (b->mode == BUS_RS232) {
		next_rs232(b, a);
		return;
	}
	if (b->state == ST_TURN) { /* caller did not report the last SEND */
		a->kind = BUS_ACT_WAIT;
		a->until = BUS_NEVER;
		return;
	}
	if (b->state == ST_WAIT) {
		if (now < b->deadline) {
			a->kind = BUS_ACT_WAIT;
			a->until = b->deadline;
			return;
		}
		on_timeout(b, now, a);
	}
	if (b->state == ST_GAP) {
		if (now < b->deadline) {
			a->kind = BUS_ACT_WAIT;
			a->until = b->deadline;
			return;
		}
		b->state = ST_IDLE;
	}
	until = BUS_NEVER;
	for (k = 0; k < b->ndev; k++) {
		size_t i = (b->rr + k) % b->ndev;
		struct bus_dev *d = b->dev[i];
		uint64_t t;

		if (is_due(d, now)) {
			b->rr = (i + 1) % b->ndev;
			b->cur = d;
			b->state = ST_TURN;
			b->turns++;
			a->kind = BUS_ACT_SEND;
			a->dev = d;
			a->data = d->pending && !d->down && !d->hs_busy;
			if (a->data)
				d->st.data++;
			else
				d->st.polls++;
			return;
		}
		t = due_time(d, now);
		if (t < until)
			until = t;
	}
	a->kind = BUS_ACT_WAIT;
	a->until = until;
}

void bus_sent(struct bus *b, uint64_t now, size_t wire_bytes)
{
	uint64_t t;

	if (b->state != ST_TURN)
		return;
	if (b->mode == BUS_RS232) {
		b->state = ST_IDLE;
		b->cur = NULL;
		return;
	}
	t = add_ms(now, bus_airtime_ms(b, wire_bytes));
	b->deadline = add_ms(t, b->par.response_timeout_ms);
	b->hard_deadline = add_ms(b->deadline, bus_airtime_ms(b, b->par.max_frame_wire));
	b->state = ST_WAIT;
}

void bus_cancel(struct bus *b)
{
	if (b->state != ST_TURN)
		return;
	b->state = ST_IDLE;
	b->cur = NULL;
}

void bus_rx(struct bus *b, uint64_t now)
{
	uint64_t t;

	if (b->mode != BUS_RS485 || b->state != ST_WAIT)
		return;
	t = add_ms(now, b->par.response_timeout_ms);
	if (t > b->hard_deadline)
		t = b->hard_deadline;
	if (t > b->deadline)
		b->deadline = t;
}

int bus_reply(struct bus *b, struct bus_dev *d, uint64_t now)
{
	bool was_down = d->down;

	if (b->mode == BUS_RS232) {
		d->st.replies++;
		d->fails = 0;
		d->down = false;
		return was_down ? 1 : 0;
	}
	if (b->state != ST_WAIT || b->cur != d) {
		d->st.unexpected++;
		return -1;
	}
	d->st.replies++;
	d->fails = 0;
	d->down = false;
	d->due = add_ms(now, b->par.poll_interval_ms);
	b->cur = NULL;
	b->state = ST_GAP;
	b->deadline = add_ms(now, b->par.turnaround_ms);
	return was_down ? 1 : 0;
}

const char *bus_event_name(int ev)
{
	switch (ev) {
	case BUS_EV_NONE:
		return "none";
	case BUS_EV_TIMEOUT:
		return "timeout";
	case BUS_EV_DOWN:
		return "down";
	case BUS_EV_HS_TIMEOUT:
		return "handshake timeout";
	case BUS_EV_EXCUSED:
		return "excused timeout";
	}
	return "?";
}
