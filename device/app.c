/*
 * serguard-device: application behaviours (see app.h).
 *
 * Notes: commands are parsed from the message bytes without assuming a
 * terminating NUL (messages are binary-safe on the wire); a command
 * message containing a NUL or a control byte is "unknown", so nothing
 * later printed in a log can carry terminal escapes from the peer.
 */
#include "config.h"

#include "app.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define FIRMWARE "serguard-device " PACKAGE_VERSION

int app_kind_parse(const char *s, enum app_kind *out)
{
	if (strcmp(s, "echo") == 0)
		*out = APP_ECHO;
	else if (strcmp(s, "telemetry") == 0)
		*out = APP_TELEMETRY;
	else if (strcmp(s, "command") == 0)
		*out = APP_COMMAND;
	else
		return -1;
	return 0;
}

const char *app_kind_name(enum app_kind k)
{
	switch (k) {
	case APP_ECHO:
		return "echo";
	case APP_TELEMETRY:
		return "telemetry";
	case APP_COMMAND:
		return "command";
	}
	return "?";
}

void app_boot(struct app *a, enum app_kind kind, const char *name, unsigned addr)
{
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	snprintf(a->name, sizeof(a->name), "%s", name);
	a->addr = addr;
}

__attribute__((format(printf, 3, 4))) static long put(unsigned char *out, size_t cap,
							 const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf((char *)out, cap, fmt, ap);
	va_end(ap);
	/* vsnprintf's NUL is not part of the reply */
	return n < 0 || (size_t)n >= cap ? -1 : (long)n;
}

static struct app_kv *find(struct app *a, const char *key)
{
	size_t i;

	for (i = 0; i < a->n_kv; i++)
		if (strcmp(a->kv[i].key, key) == 0)
			return &a->kv[i];
	return NULL;
}

static bool builtin(const struct app *a, const char *key, uint64_t uptime_ms, char *v,
		    size_t cap)
{
	if (strcmp(key, "name") == 0)
		snprintf(v, cap, "%s", a->name);
	else if (strcmp(key, "addr") == 0)
		snprintf(v, cap, "%u", a->addr);
	else if (strcmp(key, "uptime") == 0)
		snprintf(v, cap, "%llu", (unsigned long long)uptime_ms);
	else if (strcmp(key, "firmware") == 0)
		snprintf(v, cap, "%s", FIRMWARE);
	else
		return false;
	return true;
}

static long command(struct app *a, const char *line, uint64_t uptime_ms,
		    unsigned char *out, size_t cap)
{
	char key[APP_KEY_MAX + 1], v[APP_VALUE_MAX + 1];
	const char *arg, *sp;
	size_t klen;
	struct app_kv *kv;

	if (strcmp(line, "ping") == 0)
		return put(out, cap, "pong");
	if (strncmp(line, "get ", 4) == 0) {
		arg = line + 4;
		if (strlen(arg) == 0 || strlen(arg) > APP_KEY_MAX || strchr(arg, ' ') != NULL)
			return put(out, cap, "error bad key");
		if (builtin(a, arg, uptime_ms, v, sizeof(v)))
			return put(out, cap, "%s=%s", arg, v);
		kv = find(a, arg);
		if (kv == NULL)
			return put(out, cap, "error unknown key %s", arg);
		return put(out, cap, "%s=%s", kv->key, kv->value);
	}
	if (strncmp(line, "set ", 4) == 0) {
		arg = line + 4;
		sp = strchr(arg, ' ');
		klen = sp != NULL ? (size_t)(sp - arg) : 0;
		if (sp == NULL || klen == 0 || klen > APP_KEY_MAX || strlen(sp + 1) > APP_VALUE_MAX)
			return put(out, cap, "error usage: set KEY VALUE");
		memcpy(key, arg, klen);
		key[klen] = '\0';
		if (builtin(a, key, uptime_ms, v, sizeof(v)))
			return put(out, cap, "error read-only key %s", key);
		kv = find(a, key);
		if (kv == NULL) {
			if (a->n_kv == APP_KV_MAX)
				return put(out, cap, "error no room for %s", key);
			kv = &a->kv[a->n_kv++];
			snprintf(kv->key, sizeof(kv->key), "%s", key);
		}
		snprintf(kv->value, sizeof(kv->value), "%s", sp + 1);
		return put(out, cap, "ok %s=%s", kv->key, kv->value);
	}
	return put(out, cap, "error unknown command");
}

long app_on_message(struct app *a, const unsigned char *msg, size_t len,
		    uint64_t uptime_ms, unsigned char *out, size_t cap)
{
	char line[256];
	size_t i;

	switch (a->kind) {
	case APP_ECHO:
		if (len > cap)
			return -1;
		if (len > 0)
			memcpy(out, msg, len);
		return (long)len;
	case APP_TELEMETRY:
		return -1;
	case APP_COMMAND:
		break;
	}
	if (len >= sizeof(line))
		return put(out, cap, "error unknown command");
	for (i = 0; i < len; i++) {
		if (msg[i] < 0x20 || msg[i] == 0x7f)
			return put(out, cap, "error unknown command");
		line[i] = (char)msg[i];
	}
	line[len] = '\0';
	return command(a, line, uptime_ms, out, cap);
}

long app_telemetry(struct app *a, uint64_t uptime_ms, char *out, size_t cap)
{
	int n;

	a->telemetry_seq++;
	n = snprintf(out, cap, "telemetry %s seq=%lu t=%llu", a->name,
		     (unsigned long)a->telemetry_seq, (unsigned long long)uptime_ms);
	return n < 0 || (size_t)n >= cap ? -1 : (long)n;
}
