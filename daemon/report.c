/*
 * serguardd: status and metrics (see report.h).
 *
 * Implementation notes:
 * - One collector (dev_info) reads a device's state once, so the three
 *   formats cannot disagree on a value.
 * - Counters are the link's 64-bit widenings of the engine's counters
 *   (link_update_counters), so Prometheus counters never go backwards
 *   while the daemon runs; a device removed and added again starts from
 *   zero (a new series start, which Prometheus handles).
 * - Prometheus text format 0.0.4: one HELP and TYPE line per family,
 *   then its samples; label values escaped (buf_prom_str).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "daemon/client.h"
#include "daemon/cred.h"
#include "daemon/line.h"
#include "daemon/link.h"
#include "daemon/port.h"
#include "daemon/report.h"
#include "serguard/err.h"

#ifndef SG_VERSION
#define SG_VERSION "?"
#endif

struct drop {
	const char *reason;
	uint64_t n;
};

#define NDROPS 19

struct dev_info {
	struct link *l;
	const char *port;
	char identity[200];
	const char *state;
	const char *bus;
	bool up;
	uint64_t tx_phase, rx_phase;
	unsigned clients;
	struct drop drops[NDROPS];
	uint64_t drops_total;
};

static void dev_info(struct gw_dev *gd, struct dev_info *d)
{
	struct link *l = gd->link;
	const struct sg_record *r;
	size_t i = 0;

	memset(d, 0, sizeof(*d));
	link_update_counters(l);
	d->l = l;
	d->port = l->cf->port_name;
	cred_identity_format(&l->cf->identity, d->identity, sizeof(d->identity));
	d->state = link_state_name(l);
	d->up = (l->status & SG_CONN_ESTABLISHED) != 0;
	if (l->line == NULL)
		d->bus = "no port";
	else if (l->line->port->state != PORT_UP)
		d->bus = "port down";
	else if (l->bd.down)
		d->bus = "not answering";
	else if (l->bd.hs_busy)
		d->bus = "busy with a handshake step";
	else
		d->bus = "answering";
	r = sg_conn_record(&l->conn);
	if (r != NULL) {
		d->tx_phase = r->tx.phase;
		d->rx_phase = r->rx.phase;
	}
	d->clients = gd->cs != NULL ? client_sock_count(gd->cs) : 0;
	/* application messages */
	d->drops[i++] = (struct drop){ "oversize", l->drops.oversize };
	d->drops[i++] = (struct drop){ "expired_tx", l->drops.tx_expired + l->n.tx_expired };
	d->drops[i++] = (struct drop){ "discarded", l->drops.discarded };
	d->drops[i++] = (struct drop){ "expired_rx", l->drops.rx_expired };
	d->drops[i++] = (struct drop){ "rx_queue_full", l->n.rx_queue_full };
	d->drops[i++] = (struct drop){ "rx_oversize", l->drops.rx_oversize };
	d->drops[i++] = (struct drop){ "empty", l->drops.empty };
	d->drops[i++] = (struct drop){ "slow_client", l->drops.slow_client };
	/* records the record layer refused */
	d->drops[i++] = (struct drop){ "no_session", l->n.records_no_session };
	d->drops[i++] = (struct drop){ "too_short", l->n.rec_too_short };
	d->drops[i++] = (struct drop){ "too_long", l->n.rec_too_long };
	d->drops[i++] = (struct drop){ "bad_header", l->n.rec_bad_header };
	d->drops[i++] = (struct drop){ "replay", l->n.rec_replay };
	d->drops[i++] = (struct drop){ "too_old", l->n.rec_too_old };
	d->drops[i++] = (struct drop){ "wrong_phase", l->n.rec_wrong_phase };
	d->drops[i++] = (struct drop){ "limit", l->n.rec_limit };
	d->drops[i++] = (struct drop){ "bad_tag", l->n.rec_bad_tag };
	d->drops[i++] = (struct drop){ "stale", l->n.rec_stale };
	d->drops[i++] = (struct drop){ "future", l->n.rec_future };
	for (i = 0; i < NDROPS; i++)
		d->drops_total += d->drops[i].n;
}

static void fmt_time(char *buf, size_t len, time_t t)
{
	struct tm tm;

	if (t == 0 || gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, len, "never");
		return;
	}
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void fmt_ago(char *buf, size_t len, time_t t)
{
	long s = (long)(time(NULL) - t);

	if (s < 0)
		s = 0;
	if (s < 120)
		snprintf(buf, len, "%ld s ago", s);
	else if (s < 7200)
		snprintf(buf, len, "%ld min ago", s / 60);
	else if (s < 172800)
		snprintf(buf, len, "%ld h ago", s / 3600);
	else
		snprintf(buf, len, "%ld days ago", s / 86400);
}

static uint64_t decoder_drops(const struct sg_frame_stats *s)
{
	return (uint64_t)s->too_long + s->bad_cobs + s->too_short + s->bad_crc + s->bad_ctrl +
	       s->wrong_dir + s->wrong_addr + s->aborted;
}

static bool wanted(const struct gw_dev *gd, const char *device)
{
	return !gd->retiring && (device == NULL || strcmp(gd->link->name, device) == 0);
}

static bool device_exists(struct gateway *gw, const char *device)
{
	return device == NULL || gateway_device(gw, device) != NULL;
}

/* ---- text ---------------------------------------------------------------------------- */

static void text_port(struct buf *b, const struct gw_port *gp)
{
	const struct line *ln = gp->line;
	const struct port *p = ln->port;
	char line[64];

	port_line_format(&p->line, line, sizeof(line));
	buf_printf(b, "port %s: %s, %s", ln->name, port_state_name(p->state), p->path);
	if (p->state == PORT_UP && strcmp(p->real, p->path) != 0)
		buf_printf(b, " -> %s", p->real);
	buf_printf(b, ", %s %s", ln->bus.mode == BUS_RS485 ? "rs485" : "rs232", line);
	if (p->state == PORT_UP)
		buf_printf(b, ", %s", port_backend_name(p->backend));
	buf_printf(b, "\n  bytes in %llu, out %llu; frames in %llu, out %llu; opened %llu, "
		      "lost %llu\n",
		   (unsigned long long)p->st.rx_bytes, (unsigned long long)p->st.tx_bytes,
		   (unsigned long long)ln->st.frames_in, (unsigned long long)ln->st.frames_out,
		   (unsigned long long)p->st.opens, (unsigned long long)p->st.lost);
	buf_printf(b, "  bad frames %llu (crc %u), from unknown addresses %llu\n",
		   (unsigned long long)decoder_drops(&ln->dec.stats), ln->dec.stats.bad_crc,
		   (unsigned long long)ln->st.unknown_addr);
}

static void text_device(struct buf *b, struct gw_dev *gd)
{
	struct dev_info d;
	struct link *l = gd->link;
	char t1[32], t2[32];
	size_t i;
	bool any = false;

	dev_info(gd, &d);
	buf_printf(b, "device %s: %s, port %s, address %u, device %s\n", l->name, d.state,
		   d.port, (unsigned)l->bd.addr, d.bus);
	buf_printf(b, "  identity %s", d.identity);
	if (d.up)
		buf_printf(b, "; peer %s", l->peer);
	buf_puts(b, "\n");
	if (d.up) {
		fmt_ago(t1, sizeof(t1), l->up_since);
		buf_printf(b, "  session: suite %d, up since %s, key phase tx %llu rx %llu\n",
			   l->suite, t1, (unsigned long long)d.tx_phase,
			   (unsigned long long)d.rx_phase);
	}
	if (l->last_handshake != 0) {
		fmt_time(t1, sizeof(t1), l->last_handshake);
		fmt_ago(t2, sizeof(t2), l->last_handshake);
		buf_printf(b, "  last handshake: %s (%s)\n", t1, t2);
	} else {
		buf_puts(b, "  last handshake: never\n");
	}
	buf_printf(b, "  handshakes: %llu ok, %llu failed, %llu timed out",
		   (unsigned long long)l->n.hs_completed,
		   (unsigned long long)(l->n.hs_failed - l->n.hs_timeouts),
		   (unsigned long long)l->n.hs_timeouts);
	if (l->last_error != 0)
		buf_printf(b, "; last failure: %s", sg_strerror(l->last_error));
	buf_puts(b, "\n");
	if (l->refused[0] != '\0') {
		fmt_time(t1, sizeof(t1), l->refused_at);
		buf_printf(b, "  last refused certificate: %s (%s)\n", l->refused, t1);
	}
	buf_printf(b, "  to device: %llu messages, %llu bytes, %llu records; from device: %llu "
		      "messages, %llu bytes, %llu records\n",
		   (unsigned long long)l->n.app_out, (unsigned long long)l->n.app_bytes_out,
		   (unsigned long long)l->records_out, (unsigned long long)l->n.app_in,
		   (unsigned long long)l->n.app_bytes_in, (unsigned long long)l->records_in);
	buf_printf(b, "  queued: %u to device, %u to clients; clients %u; max message %zu bytes\n",
		   (unsigned)link_tx_queued(l), (unsigned)link_rx_queued(l), d.clients,
		   l->max_message);
	buf_puts(b, "  drops:");
	for (i = 0; i < NDROPS; i++)
		if (d.drops[i].n > 0) {
			buf_printf(b, "%s %s %llu", any ? "," : "", d.drops[i].reason,
				   (unsigned long long)d.drops[i].n);
			any = true;
		}
	buf_puts(b, any ? "\n" : " none\n");
}

int report_status(struct buf *b, struct gateway *gw, const char *device)
{
	struct gw_port *gp;
	struct gw_dev *gd;

	if (!device_exists(gw, device))
		return -1;
	if (device == NULL)
		TAILQ_FOREACH(gp, &gw->ports, entry)
			if (!gp->retiring)
				text_port(b, gp);
	TAILQ_FOREACH(gd, &gw->devs, entry)
		if (wanted(gd, device))
			text_device(b, gd);
	return 0;
}

void report_summary(struct buf *b, struct gateway *gw)
{
	struct gw_port *gp;
	struct gw_dev *gd;
	unsigned np = 0, npu = 0, nd = 0, ndu = 0;

	TAILQ_FOREACH(gp, &gw->ports, entry) {
		np++;
		npu += gp->line->port->state == PORT_UP;
	}
	TAILQ_FOREACH(gd, &gw->devs, entry) {
		nd++;
		ndu += (gd->link->status & SG_CONN_ESTABLISHED) != 0;
	}
	buf_printf(b, "%u/%u ports up, %u/%u sessions up", npu, np, ndu, nd);
}

/* ---- JSON ------------------------------------------------------------------------------- */

static void json_time(struct buf *b, time_t t)
{
	if (t == 0)
		buf_puts(b, "null");
	else
		buf_printf(b, "%lld", (long long)t);
}

static void json_port(struct buf *b, const struct gw_port *gp)
{
	const struct line *ln = gp->line;
	const struct port *p = ln->port;
	const struct sg_frame_stats *s = &ln->dec.stats;
	char line[64];

	port_line_format(&p->line, line, sizeof(line));
	buf_puts(b, "{\"name\":");
	buf_json_str(b, ln->name);
	buf_puts(b, ",\"device\":");
	buf_json_str(b, p->path);
	buf_puts(b, ",\"path\":");
	if (p->state == PORT_UP)
		buf_json_str(b, p->real);
	else
		buf_puts(b, "null");
	buf_printf(b, ",\"mode\":\"%s\",\"line\":", ln->bus.mode == BUS_RS485 ? "rs485" : "rs232");
	buf_json_str(b, line);
	buf_printf(b, ",\"state\":\"%s\",\"backend\":\"%s\"", port_state_name(p->state),
		   port_backend_name(p->backend));
	buf_printf(b,
		   ",\"opens\":%llu,\"lost\":%llu,\"bytes\":{\"in\":%llu,\"out\":%llu},"
		   "\"frames\":{\"in\":%llu,\"out\":%llu},\"unknown_address\":%llu,"
		   "\"bad_frames\":{\"too_long\":%u,\"bad_cobs\":%u,\"too_short\":%u,"
		   "\"bad_crc\":%u,\"bad_ctrl\":%u,\"wrong_dir\":%u,\"wrong_addr\":%u,"
		   "\"aborted\":%u}}",
		   (unsigned long long)p->st.opens, (unsigned long long)p->st.lost,
		   (unsigned long long)p->st.rx_bytes, (unsigned long long)p->st.tx_bytes,
		   (unsigned long long)ln->st.frames_in, (unsigned long long)ln->st.frames_out,
		   (unsigned long long)ln->st.unknown_addr, s->too_long, s->bad_cobs, s->too_short,
		   s->bad_crc, s->bad_ctrl, s->wrong_dir, s->wrong_addr, s->aborted);
}

static void json_device(struct buf *b, struct gw_dev *gd)
{
	struct dev_info d;
	struct link *l = gd->link;
	size_t i;

	dev_info(gd, &d);
	buf_puts(b, "{\"name\":");
	buf_json_str(b, l->name);
	buf_puts(b, ",\"port\":");
	buf_json_str(b, d.port);
	buf_printf(b, ",\"address\":%u,\"identity\":", (unsigned)l->bd.addr);
	buf_json_str(b, d.identity);
	buf_printf(b, ",\"state\":\"%s\",\"up\":%s,\"bus\":\"%s\",\"peer\":", d.state,
		   d.up ? "true" : "false", d.bus);
	if (d.up) {
		buf_puts(b, "{\"cn\":");
		buf_json_str(b, l->peer_cn);
		buf_puts(b, ",\"text\":");
		buf_json_str(b, l->peer);
		buf_printf(b, "},\"suite\":%d,\"session_since\":", l->suite);
		json_time(b, l->up_since);
		buf_printf(b, ",\"key_phase\":{\"tx\":%llu,\"rx\":%llu}",
			   (unsigned long long)d.tx_phase, (unsigned long long)d.rx_phase);
	} else {
		buf_puts(b, "null,\"suite\":null,\"session_since\":null,\"key_phase\":null");
	}
	buf_puts(b, ",\"last_handshake\":");
	json_time(b, l->last_handshake);
	buf_printf(b,
		   ",\"handshakes\":{\"ok\":%llu,\"failed\":%llu,\"timeout\":%llu,"
		   "\"retransmits\":%llu,\"peer_errors\":%llu},\"last_error\":",
		   (unsigned long long)l->n.hs_completed,
		   (unsigned long long)(l->n.hs_failed - l->n.hs_timeouts),
		   (unsigned long long)l->n.hs_timeouts, (unsigned long long)l->n.hs_retransmits,
		   (unsigned long long)l->n.hs_peer_errors);
	if (l->last_error != 0)
		buf_json_str(b, sg_strerror(l->last_error));
	else
		buf_puts(b, "null");
	buf_puts(b, ",\"refused\":");
	if (l->refused[0] != '\0')
		buf_json_str(b, l->refused);
	else
		buf_puts(b, "null");
	buf_printf(b,
		   ",\"messages\":{\"in\":%llu,\"out\":%llu},\"bytes\":{\"in\":%llu,\"out\":%llu},"
		   "\"records\":{\"in\":%llu,\"out\":%llu,\"delivered\":%llu},"
		   "\"frames\":{\"in\":%llu,\"out\":%llu},\"key_updates\":%llu,"
		   "\"queue\":{\"to_device\":%u,\"to_clients\":%u},\"clients\":%u,"
		   "\"max_message\":%zu,\"drops\":{",
		   (unsigned long long)l->n.app_in, (unsigned long long)l->n.app_out,
		   (unsigned long long)l->n.app_bytes_in, (unsigned long long)l->n.app_bytes_out,
		   (unsigned long long)l->records_in, (unsigned long long)l->records_out,
		   (unsigned long long)l->n.rec_delivered, (unsigned long long)l->frames_in,
		   (unsigned long long)l->turns, (unsigned long long)l->n.key_updates,
		   (unsigned)link_tx_queued(l), (unsigned)link_rx_queued(l), d.clients,
		   l->max_message);
	for (i = 0; i < NDROPS; i++)
		buf_printf(b, "%s\"%s\":%llu", i > 0 ? "," : "", d.drops[i].reason,
			   (unsigned long long)d.drops[i].n);
	buf_puts(b, "}}");
}

int report_json(struct buf *b, struct gateway *gw, const char *device)
{
	struct gw_port *gp;
	struct gw_dev *gd;
	bool first = true;

	if (!device_exists(gw, device))
		return -1;
	buf_puts(b, "{\"version\":");
	buf_json_str(b, SG_VERSION);
	buf_puts(b, ",\"config\":");
	buf_json_str(b, gw->path);
	buf_printf(b, ",\"started\":%lld,\"reloads\":%llu,\"reload_failures\":%llu,\"ports\":[",
		   (long long)gw->started, (unsigned long long)gw->reloads,
		   (unsigned long long)gw->reload_failures);
	TAILQ_FOREACH(gp, &gw->ports, entry) {
		if (gp->retiring || device != NULL)
			continue;
		if (!first)
			buf_puts(b, ",");
		json_port(b, gp);
		first = false;
	}
	buf_puts(b, "],\"devices\":[");
	first = true;
	TAILQ_FOREACH(gd, &gw->devs, entry) {
		if (!wanted(gd, device))
			continue;
		if (!first)
			buf_puts(b, ",");
		json_device(b, gd);
		first = false;
	}
	buf_puts(b, "]}\n");
	return 0;
}

/* ---- Prometheus ---------------------------------------------------------------------------- */

static void family(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample(struct buf *b, const char *name, const char *l1, const char *v1,
		   const char *l2, const char *v2, unsigned long long value)
{
	buf_printf(b, "%s{%s=", name, l1);
	buf_prom_str(b, v1);
	if (l2 != NULL) {
		buf_printf(b, ",%s=", l2);
		buf_prom_str(b, v2);
	}
	buf_printf(b, "} %llu\n", value);
}

void report_metrics(struct buf *b, struct gateway *gw)
{
	struct gw_port *gp;
	struct gw_dev *gd;
	size_t i;

	family(b, "serguard_info", "gauge", "Version of the gateway daemon.");
	buf_puts(b, "serguard_info{version=");
	buf_prom_str(b, SG_VERSION);
	buf_puts(b, "} 1\n");
	family(b, "serguard_start_time_seconds", "gauge", "When the daemon started (Unix time).");
	buf_printf(b, "serguard_start_time_seconds %lld\n", (long long)gw->started);
	family(b, "serguard_reloads_total", "counter", "Configuration reloads, by result.");
	buf_printf(b, "serguard_reloads_total{result=\"ok\"} %llu\n",
		   (unsigned long long)gw->reloads);
	buf_printf(b, "serguard_reloads_total{result=\"failed\"} %llu\n",
		   (unsigned long long)gw->reload_failures);

#define EACH_PORT(stmt)                                                       \
	TAILQ_FOREACH(gp, &gw->ports, entry)                                  \
	if (!gp->retiring) {                                                  \
		const struct line *ln = gp->line;                             \
		const struct port *p = ln->port;                              \
		(void)p;                                                      \
		stmt;                                                         \
	}
	family(b, "serguard_port_up", "gauge", "Whether the serial port is open (1) or not (0).");
	EACH_PORT(sample(b, "serguard_port_up", "port", ln->name, NULL, NULL,
			 p->state == PORT_UP));
	family(b, "serguard_port_opens_total", "counter", "Successful opens of the port.");
	EACH_PORT(sample(b, "serguard_port_opens_total", "port", ln->name, NULL, NULL,
			 p->st.opens));
	family(b, "serguard_port_lost_total", "counter",
	       "Times the port vanished while open (unplugged, hung up).");
	EACH_PORT(sample(b, "serguard_port_lost_total", "port", ln->name, NULL, NULL,
			 p->st.lost));
	family(b, "serguard_port_bytes_total", "counter", "Bytes on the serial line.");
	EACH_PORT(sample(b, "serguard_port_bytes_total", "port", ln->name, "direction", "in",
			 p->st.rx_bytes);
		  sample(b, "serguard_port_bytes_total", "port", ln->name, "direction", "out",
			 p->st.tx_bytes));
	family(b, "serguard_port_frames_total", "counter", "Good frames on the serial line.");
	EACH_PORT(sample(b, "serguard_port_frames_total", "port", ln->name, "direction", "in",
			 ln->st.frames_in);
		  sample(b, "serguard_port_frames_total", "port", ln->name, "direction", "out",
			 ln->st.frames_out));
	family(b, "serguard_port_bad_frames_total", "counter",
	       "Frames dropped by the decoder (noise, CRC, format) or from unknown addresses.");
	EACH_PORT(sample(b, "serguard_port_bad_frames_total", "port", ln->name, "reason",
			 "decoder", decoder_drops(&ln->dec.stats));
		  sample(b, "serguard_port_bad_frames_total", "port", ln->name, "reason",
			 "unknown_address", ln->st.unknown_addr));
#undef EACH_PORT

#define EACH_DEV(stmt)                                                        \
	TAILQ_FOREACH(gd, &gw->devs, entry)                                   \
	if (!gd->retiring) {                                                  \
		struct dev_info d;                                            \
		struct link *l = gd->link;                                    \
		dev_info(gd, &d);                                             \
		stmt;                                                         \
	}
	family(b, "serguard_session_up", "gauge", "Whether the device's session is up.");
	EACH_DEV(sample(b, "serguard_session_up", "device", l->name, "port", d.port, d.up));
	family(b, "serguard_device_answering", "gauge",
	       "Whether the device answers on its port (0: port down or device silent).");
	EACH_DEV(sample(b, "serguard_device_answering", "device", l->name, NULL, NULL,
			strcmp(d.bus, "answering") == 0 || strcmp(d.bus, "busy with a handshake step") == 0));
	family(b, "serguard_last_handshake_timestamp_seconds", "gauge",
	       "When the last handshake completed (Unix time; 0: never).");
	EACH_DEV(sample(b, "serguard_last_handshake_timestamp_seconds", "device", l->name, NULL,
			NULL, (unsigned long long)l->last_handshake));
	family(b, "serguard_key_phase", "gauge", "Key updates of the live session, per direction.");
	EACH_DEV(sample(b, "serguard_key_phase", "device", l->name, "direction", "out",
			d.tx_phase);
		 sample(b, "serguard_key_phase", "device", l->name, "direction", "in",
			d.rx_phase));
	family(b, "serguard_handshakes_total", "counter", "Handshakes, by result.");
	EACH_DEV(sample(b, "serguard_handshakes_total", "device", l->name, "result", "ok",
			l->n.hs_completed);
		 sample(b, "serguard_handshakes_total", "device", l->name, "result", "failed",
			l->n.hs_failed - l->n.hs_timeouts);
		 sample(b, "serguard_handshakes_total", "device", l->name, "result", "timeout",
			l->n.hs_timeouts));
	family(b, "serguard_records_total", "counter",
	       "Protected records (RECORD frames) received (before checks) and sent.");
	EACH_DEV(sample(b, "serguard_records_total", "device", l->name, "direction", "in",
			l->records_in);
		 sample(b, "serguard_records_total", "device", l->name, "direction", "out",
			l->records_out));
	family(b, "serguard_messages_total", "counter", "Application messages, by direction.");
	EACH_DEV(sample(b, "serguard_messages_total", "device", l->name, "direction", "in",
			l->n.app_in);
		 sample(b, "serguard_messages_total", "device", l->name, "direction", "out",
			l->n.app_out));
	family(b, "serguard_bytes_total", "counter",
	       "Application message bytes, by direction (in: from the device).");
	EACH_DEV(sample(b, "serguard_bytes_total", "device", l->name, "direction", "in",
			l->n.app_bytes_in);
		 sample(b, "serguard_bytes_total", "device", l->name, "direction", "out",
			l->n.app_bytes_out));
	family(b, "serguard_key_updates_total", "counter", "Own sending key updates.");
	EACH_DEV(sample(b, "serguard_key_updates_total", "device", l->name, NULL, NULL,
			l->n.key_updates));
	family(b, "serguard_drops_total", "counter",
	       "Messages and records dropped, by reason (see daemon/README.md).");
	EACH_DEV(for (i = 0; i < NDROPS; i++) sample(b, "serguard_drops_total", "device",
						     l->name, "reason", d.drops[i].reason,
						     d.drops[i].n));
	family(b, "serguard_queue_messages", "gauge", "Messages waiting, by direction.");
	EACH_DEV(sample(b, "serguard_queue_messages", "device", l->name, "direction",
			"to_device", link_tx_queued(l));
		 sample(b, "serguard_queue_messages", "device", l->name, "direction",
			"to_clients", link_rx_queued(l)));
	family(b, "serguard_clients", "gauge", "Local clients connected to the device socket.");
	EACH_DEV(sample(b, "serguard_clients", "device", l->name, NULL, NULL, d.clients));
#undef EACH_DEV
}
