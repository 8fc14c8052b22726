/*
 * serguard-device: the application a field device runs on top of its
 * session (the part of the firmware that is not serguard).
 *
 * Behaviours:
 * - echo: every message received is sent back unaltered;
 * - telemetry: a message "telemetry NAME seq=N t=MS" every interval
 *   (uptime in ms); received messages are counted, not answered;
 * - command: a text command per message, one reply each:
 *     ping            -> pong
 *     get KEY         -> KEY=VALUE, or "error unknown key KEY"
 *     set KEY VALUE   -> ok KEY=VALUE (VALUE is the rest of the line)
 *     anything else   -> error unknown command
 *   Keys name, addr, uptime and firmware are read-only; up to
 *   APP_KV_MAX others can be set. They live in RAM: a power cycle
 *   forgets them.
 *
 * Pure functions on struct app: no I/O, no clock of its own.
 */
#ifndef SG_DEVICE_APP_H
#define SG_DEVICE_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum app_kind { APP_ECHO = 0, APP_TELEMETRY, APP_COMMAND };

#define APP_NAME_MAX 32
#define APP_KEY_MAX 32
#define APP_VALUE_MAX 96
#define APP_KV_MAX 16

struct app_kv {
	char key[APP_KEY_MAX + 1];
	char value[APP_VALUE_MAX + 1];
};

struct app {
	enum app_kind kind;
	char name[APP_NAME_MAX + 1];
	unsigned addr;
	uint32_t telemetry_seq; /* samples sent since boot */
	struct app_kv kv[APP_KV_MAX];
	size_t n_kv;
};

/* Parse "echo", "telemetry" or "command". Returns 0 or -1. */
int app_kind_parse(const char *s, enum app_kind *out);
const char *app_kind_name(enum app_kind k);

/* Power-on state: everything in RAM starts empty. */
void app_boot(struct app *a, enum app_kind kind, const char *name, unsigned addr);

/*
 * A message arrived (uptime_ms: the device's clock). Writes the reply
 * into out (cap bytes) and returns its length, or -1 when there is no
 * reply (telemetry, or the reply would not fit in cap).
 */
long app_on_message(struct app *a, const unsigned char *msg, size_t len,
		    uint64_t uptime_ms, unsigned char *out, size_t cap);

/* The next telemetry message into out; returns its length or -1. */
long app_telemetry(struct app *a, uint64_t uptime_ms, char *out, size_t cap);

#endif
