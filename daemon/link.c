/*
 * serguardd: per-device links (see link.h). The session engine is not
 * integrated yet, and nothing here pretends otherwise: turns are polls,
 * received frames are counted and dropped.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon/link.h"
#include "daemon/log.h"
#include "serguard/frame.h"

struct link *link_new(const struct cfg_device *cf)
{
	struct link *l = calloc(1, sizeof(*l));

	if (l == NULL || (l->name = strdup(cf->name)) == NULL) {
		log_err("device %s: out of memory", cf->name);
		free(l);
		return NULL;
	}
	l->cf = cf;
	l->bd.addr = (uint8_t)cf->address;
	l->bd.arg = l;
	l->deadline = BUS_NEVER;
	return l;
}

void link_free(struct link *l)
{
	if (l == NULL)
		return;
	free(l->name);
	free(l);
}

void link_input(struct link *l, const struct sg_frame *f, uint64_t now)
{
	(void)f;
	l->frames_in++;
	l->frames_dropped++;
	l->deadline = link_pump(l, now);
}

int link_turn(struct link *l, bool data, unsigned char *out, size_t cap, size_t *len,
	      uint64_t now)
{
	(void)data; /* nothing announces data before the engine is integrated */
	(void)now;
	if (sg_frame_encode(out, cap, len, l->bd.addr, SG_FRAME_FROM_GATEWAY | SG_FRAME_POLL,
			    NULL, 0) != 0)
		return -1;
	l->turns++;
	return 0;
}

uint64_t link_pump(struct link *l, uint64_t now)
{
	(void)now;
	if (!l->said_not_integrated) {
		log_debug("device %s: session engine not yet integrated", l->name);
		l->said_not_integrated = true;
	}
	return BUS_NEVER;
}
