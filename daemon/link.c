/*
 * serguardd: per-device links (see link.h). The session engine is not
 * integrated yet: nothing here pretends otherwise.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon/link.h"
#include "daemon/log.h"

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
	return l;
}

void link_free(struct link *l)
{
	if (l == NULL)
		return;
	free(l->name);
	free(l);
}

void link_input(struct link *l, unsigned kind, const unsigned char *payload, size_t len,
		uint64_t now)
{
	(void)kind;
	(void)payload;
	(void)len;
	l->frames_in++;
	l->frames_dropped++;
	link_pump(l, now);
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
