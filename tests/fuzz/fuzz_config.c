/*
 * libFuzzer target: the configuration parser (daemon/config.c), through
 * inih and our line reader, from a memory buffer.
 *
 * Every run must end in either a valid configuration or a list of
 * messages, each "fuzz.conf:LINE: ..." or "fuzz.conf: ..." with a line
 * inside the input; a valid configuration must satisfy what the daemon
 * relies on (resolved ports, device counts, socket paths).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cf;
	size_t i, lines = 1;
	int r;

	if (size > CFG_FILE_MAX)
		return 0;
	for (i = 0; i < size; i++)
		if (data[i] == '\n')
			lines++;
	r = config_parse(&cf, "fuzz.conf", (const char *)data, size);
	if (r == 0) {
		struct cfg_device *d;
		struct cfg_port *p;
		unsigned n = 0;

		if (cf.nerrors != 0 || cf.global.ca == NULL || cf.global.cert == NULL ||
		    cf.global.key == NULL || cf.global.control_socket == NULL)
			abort();
		TAILQ_FOREACH(d, &cf.devices, entry) {
			if (d->port == NULL || d->socket == NULL || d->address < 1 ||
			    d->address > 254 || strcmp(d->port->name, d->port_name) != 0)
				abort();
			n++;
		}
		if (n != cf.ndevices)
			abort();
		n = 0;
		TAILQ_FOREACH(p, &cf.ports, entry) {
			if (p->device == NULL || (p->mode == CFG_RS232 && p->ndevices > 1))
				abort();
			n += p->ndevices;
		}
		if (n != cf.ndevices)
			abort();
	} else {
		if (cf.nerrors == 0)
			abort();
		for (i = 0; i < cf.nerrors; i++) {
			if (strncmp(cf.errors[i].msg, "fuzz.conf:", 10) != 0 || cf.errors[i].line > lines)
				abort();
			if (i > 0 && cf.errors[i].line < cf.errors[i - 1].line)
				abort();
		}
	}
	config_free(&cf);
	return 0;
}
