/*
 * serguardd: configuration parser.
 *
 * Implementation notes:
 * - inih (r55 as packaged by Debian) does the key/value split, the
 *   trimming and the inline ";" comments. It is driven through
 *   ini_parse_stream() with our own line reader, because the packaged
 *   library gives the handler no line number, cannot tell two sections of
 *   the same name apart (it merges them), silently splits lines longer
 *   than its buffer and turns an indented line into a continuation of the
 *   previous value. The reader runs immediately before inih handles the
 *   line it returned, so it (1) counts lines, which the handler then
 *   reports, (2) parses section headers itself and opens a new section
 *   instance for each, so a repeated header is an error naming both
 *   lines, (3) rejects a line too long for inih's buffer (the length
 *   inih asks for, less its "\r\n\0") instead of letting it be split,
 *   (4) strips leading whitespace so no line is ever a continuation, and
 *   (5) reports malformed lines with a message and hands inih an empty
 *   line instead, so inih's own "first error line" return is only a
 *   fallback that should never fire.
 * - The options are one table (cfg_opts): section, name, type, where the
 *   value goes, range, default as it would be written in the file. The
 *   defaults are applied by parsing that text with the same code as the
 *   file, --dump-options prints the table, and tests/test-conf-doc.sh
 *   checks serguard.conf(5) against it, so the three cannot drift apart.
 * - Checks that involve several sections (a device naming a port, two
 *   devices on one address) run after the whole file is read, since
 *   sections may come in any order. Every error is collected; the list is
 *   kept sorted by line.
 */
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "daemon/config.h"
#include "serguard/frame.h"

enum sect { S_NONE = 0, S_GLOBAL, S_PORT, S_DEVICE };

enum otype {
	T_PATH,	    /* absolute path */
	T_NAME,	    /* name of another section */
	T_GROUP,    /* group name or number */
	T_UINT,	    /* decimal integer in [min, max] */
	T_OCTAL,    /* permission bits, octal, [min, max] */
	T_ENUM,	    /* one word of a list */
	T_BOOL,	    /* yes/no */
	T_IDENTITY  /* certificate identity */
};

/* option flags */
#define F_REQUIRED 0x1u	  /* must be set */
#define F_RS485 0x2u	  /* only on rs485 ports */
#define F_REQ_RS485 0x4u  /* required when the device's port is rs485 */

struct cfg_enum {
	const char *name;
	int value;
};

struct cfg_opt {
	enum sect sect;
	const char *name;
	enum otype type;
	size_t off;
	uint32_t min, max;
	const struct cfg_enum *enums;
	const char *def;     /* default as written in the file, or NULL */
	const char *def_doc; /* default for documentation when derived */
	const char *unit;
	unsigned flags;
};

static const struct cfg_enum e_mode[] = { { "rs232", CFG_RS232 },
					  { "rs485", CFG_RS485 },
					  { NULL, 0 } };
static const struct cfg_enum e_parity[] = {
	{ "none", CFG_PARITY_NONE }, { "odd", CFG_PARITY_ODD },	  { "even", CFG_PARITY_EVEN },
	{ "mark", CFG_PARITY_MARK }, { "space", CFG_PARITY_SPACE }, { NULL, 0 }
};
static const struct cfg_enum e_flow[] = { { "none", CFG_FLOW_NONE },
					  { "rtscts", CFG_FLOW_RTSCTS },
					  { NULL, 0 } };
static const struct cfg_enum e_role[] = { { "auto", CFG_ROLE_AUTO },
					  { "initiator", CFG_ROLE_INITIATOR },
					  { "responder", CFG_ROLE_RESPONDER },
					  { NULL, 0 } };
static const struct cfg_enum e_sendcert[] = { { "always", CFG_SENDCERT_ALWAYS },
					      { "by-reference", CFG_SENDCERT_BY_REFERENCE },
					      { NULL, 0 } };
static const struct cfg_enum e_level[] = { { "err", LOG_ERR },	   { "warning", LOG_WARNING },
					   { "notice", LOG_NOTICE }, { "info", LOG_INFO },
					   { "debug", LOG_DEBUG },   { NULL, 0 } };

#define G(f) offsetof(struct cfg_global, f)
#define P(f) offsetof(struct cfg_port, f)
#define D(f) offsetof(struct cfg_device, f)

/* The option table. Order within a section is the order of the man page. */
static const struct cfg_opt cfg_opts[] = {
	/* [global] */
	{ S_GLOBAL, "ca", T_PATH, G(ca), 0, 0, NULL, NULL, NULL, "path", F_REQUIRED },
	{ S_GLOBAL, "cert", T_PATH, G(cert), 0, 0, NULL, NULL, NULL, "path", F_REQUIRED },
	{ S_GLOBAL, "key", T_PATH, G(key), 0, 0, NULL, NULL, NULL, "path", F_REQUIRED },
	{ S_GLOBAL, "crl", T_PATH, G(crl), 0, 0, NULL, NULL, "none", "path", 0 },
	{ S_GLOBAL, "send_certificate", T_ENUM, G(send_certificate), 0, 0, e_sendcert, "always",
	  NULL, "-", 0 },
	{ S_GLOBAL, "socket_dir", T_PATH, G(socket_dir), 0, 0, NULL, "/run/serguard", NULL,
	  "path", 0 },
	{ S_GLOBAL, "socket_mode", T_OCTAL, G(socket_mode), 0600, 0777, NULL, "0660", NULL,
	  "octal", 0 },
	{ S_GLOBAL, "socket_group", T_GROUP, G(socket_group), 0, 0, NULL, NULL,
	  "the daemon's group", "group", 0 },
	{ S_GLOBAL, "control_socket", T_PATH, G(control_socket), 0, 0, NULL, NULL,
	  "SOCKET_DIR/control.sock", "path", 0 },
	{ S_GLOBAL, "control_group", T_GROUP, G(control_group), 0, 0, NULL, NULL, "none",
	  "group", 0 },
	{ S_GLOBAL, "log_level", T_ENUM, G(log_level), 0, 0, e_level, "info", NULL, "-", 0 },
	{ S_GLOBAL, "queue_max", T_UINT, G(queue_max), 1, 65536, NULL, "64", NULL, "messages",
	  0 },
	{ S_GLOBAL, "queue_max_age_ms", T_UINT, G(queue_max_age_ms), 1, 86400000, NULL, "10000",
	  NULL, "ms", 0 },
	{ S_GLOBAL, "max_message", T_UINT, G(max_message), 1, 65535, NULL, "1024", NULL, "bytes",
	  0 },
	{ S_GLOBAL, "max_clients", T_UINT, G(max_clients), 1, 64, NULL, "4", NULL, "clients",
	  0 },
	/* [port NAME] */
	{ S_PORT, "device", T_PATH, P(device), 0, 0, NULL, NULL, NULL, "path", F_REQUIRED },
	{ S_PORT, "mode", T_ENUM, P(mode), 0, 0, e_mode, "rs232", NULL, "-", 0 },
	{ S_PORT, "baud", T_UINT, P(baud), 50, 4000000, NULL, "115200", NULL, "bit/s", 0 },
	{ S_PORT, "data_bits", T_UINT, P(data_bits), 5, 8, NULL, "8", NULL, "bits", 0 },
	{ S_PORT, "parity", T_ENUM, P(parity), 0, 0, e_parity, "none", NULL, "-", 0 },
	{ S_PORT, "stop_bits", T_UINT, P(stop_bits), 1, 2, NULL, "1", NULL, "bits", 0 },
	{ S_PORT, "flow_control", T_ENUM, P(flow_control), 0, 0, e_flow, "none", NULL, "-", 0 },
	{ S_PORT, "rs485_rts_on_send", T_BOOL, P(rs485_rts_on_send), 0, 0, NULL, "yes", NULL,
	  "-", F_RS485 },
	{ S_PORT, "rs485_delay_before_ms", T_UINT, P(rs485_delay_before_ms), 0, 100, NULL, "0",
	  NULL, "ms", F_RS485 },
	{ S_PORT, "rs485_delay_after_ms", T_UINT, P(rs485_delay_after_ms), 0, 100, NULL, "0",
	  NULL, "ms", F_RS485 },
	{ S_PORT, "response_timeout_ms", T_UINT, P(response_timeout_ms), 1, 60000, NULL, "200",
	  NULL, "ms", F_RS485 },
	{ S_PORT, "turnaround_ms", T_UINT, P(turnaround_ms), 0, 10000, NULL, "5", NULL, "ms",
	  F_RS485 },
	{ S_PORT, "handshake_timeout_ms", T_UINT, P(handshake_timeout_ms), 1, 600000, NULL,
	  "3000", NULL, "ms", 0 },
	{ S_PORT, "poll_interval_ms", T_UINT, P(poll_interval_ms), 0, 3600000, NULL, "100", NULL,
	  "ms", F_RS485 },
	{ S_PORT, "down_poll_interval_ms", T_UINT, P(down_poll_interval_ms), 1, 3600000, NULL,
	  "5000", NULL, "ms", F_RS485 },
	{ S_PORT, "down_after_timeouts", T_UINT, P(down_after_timeouts), 1, 100, NULL, "3", NULL,
	  "timeouts", F_RS485 },
	{ S_PORT, "max_frame", T_UINT, P(max_frame), 32, 1024, NULL, "255", NULL, "bytes", 0 },
	/* [device NAME] */
	{ S_DEVICE, "port", T_NAME, D(port_name), 0, 0, NULL, NULL, NULL, "name", F_REQUIRED },
	{ S_DEVICE, "address", T_UINT, D(address), SG_FRAME_ADDR_MIN, SG_FRAME_ADDR_MAX, NULL,
	  "1", NULL, "-", F_REQ_RS485 },
	{ S_DEVICE, "identity", T_IDENTITY, D(identity), 0, 0, NULL, NULL, NULL, "identity",
	  F_REQUIRED },
	{ S_DEVICE, "socket", T_PATH, D(socket), 0, 0, NULL, NULL, "SOCKET_DIR/NAME.sock", "path",
	  0 },
	{ S_DEVICE, "role", T_ENUM, D(role), 0, 0, e_role, "auto", NULL, "-", 0 },
	{ S_DEVICE, "key_update_records", T_UINT, D(key_update_records), 16, 1u << 31, NULL,
	  "65536", NULL, "records", 0 },
	{ S_DEVICE, "key_update_seconds", T_UINT, D(key_update_seconds), 10, 2592000, NULL,
	  "3600", NULL, "s", 0 },
	{ S_DEVICE, "session_lifetime_seconds", T_UINT, D(session_lifetime_seconds), 60,
	  31536000, NULL, "86400", NULL, "s", 0 },
	{ S_DEVICE, "max_record_age_ms", T_UINT, D(max_record_age_ms), 0, 3600000, NULL,
	  "5000", NULL, "ms", 0 },
};

#undef G
#undef P
#undef D

_Static_assert(sizeof(cfg_opts) / sizeof(cfg_opts[0]) == CFG_NOPTS,
	       "CFG_NOPTS must match the option table");

#define NOPTS (sizeof(cfg_opts) / sizeof(cfg_opts[0]))
#define OPT_INDEX(o) ((size_t)((o) - cfg_opts))

static const char *const sect_names[] = { "", "global", "port", "device" };

/* Parser state shared by the line reader and the inih handler. */
struct parse {
	struct config *cf;
	const char *p, *end;
	unsigned lineno;
	enum sect sect;	       /* section of the current line's options */
	bool skip;	       /* current section is invalid: ignore its options */
	void *obj;	       /* struct cfg_global, cfg_port or cfg_device */
	struct cfg_lines *at;
	char desc[CFG_NAME_MAX + 32]; /* "[port bus1]" */
	unsigned err_line;     /* last line that got an error */
};

/* ---- error list ---------------------------------------------------------- */

static void add_verror(struct config *cf, bool force, unsigned line, const char *fmt,
		       va_list ap) __attribute__((format(printf, 4, 0)));

static void add_verror(struct config *cf, bool force, unsigned line, const char *fmt,
		       va_list ap)
{
	char body[512], *msg;
	struct cfg_error *e;
	size_t i;
	int r;

	if (cf->nerrors >= CFG_ERRORS_MAX && !force) {
		cf->errors_truncated = true;
		return;
	}
	vsnprintf(body, sizeof(body), fmt, ap);
	if (line > 0)
		r = asprintf(&msg, "%s:%u: %s", cf->file, line, body);
	else
		r = asprintf(&msg, "%s: %s", cf->file, body);
	if (r < 0) {
		cf->errors_truncated = true;
		return;
	}
	e = realloc(cf->errors, (cf->nerrors + 1) * sizeof(*e));
	if (e == NULL) {
		free(msg);
		cf->errors_truncated = true;
		return;
	}
	cf->errors = e;
	/* keep sorted by line, in arrival order within a line */
	i = cf->nerrors;
	while (i > 0 && e[i - 1].line > line) {
		e[i] = e[i - 1];
		i--;
	}
	e[i].line = line;
	e[i].msg = msg;
	cf->nerrors++;
}

static void add_error(struct config *cf, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void add_error(struct config *cf, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_verror(cf, false, line, fmt, ap);
	va_end(ap);
}

/* The last word on a truncated list, past the limit. */
static void add_final_error(struct config *cf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add_final_error(struct config *cf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_verror(cf, true, 0, fmt, ap);
	va_end(ap);
}

/* ---- small helpers -------------------------------------------------------- */

static void *opt_ptr(void *obj, const struct cfg_opt *o)
{
	return (char *)obj + o->off;
}

static const void *opt_cptr(const void *obj, const struct cfg_opt *o)
{
	return (const char *)obj + o->off;
}

static const struct cfg_opt *find_opt(enum sect s, const char *name)
{
	size_t i;

	for (i = 0; i < NOPTS; i++)
		if (cfg_opts[i].sect == s && strcmp(cfg_opts[i].name, name) == 0)
			return &cfg_opts[i];
	return NULL;
}

static const struct cfg_opt *opt_named(enum sect s, const char *name)
{
	const struct cfg_opt *o = find_opt(s, name);

	if (o == NULL)
		abort(); /* a name used in this file is missing from the table */
	return o;
}

static unsigned opt_line(const struct cfg_lines *at, enum sect s, const char *name)
{
	return at->opt[OPT_INDEX(opt_named(s, name))];
}

/* The line to report a problem with an option at: where it was set, or the
 * section header when it has its default. */
static unsigned opt_or_section_line(const struct cfg_lines *at, enum sect s, const char *name)
{
	unsigned l = opt_line(at, s, name);

	return l != 0 ? l : at->line;
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > CFG_NAME_MAX || s[0] == '.' || s[0] == '-')
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* The same test inih uses (isspace in the C locale), so that the reader
 * and inih agree on where a name, a value or a comment starts. */
static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hex digits, optionally with ':' between bytes ("0a1b" or "0a:1b"), of at
 * most cap bytes; exactly cap when exact. */
static int parse_hex(const char *s, size_t len, unsigned char *out, size_t cap, bool exact,
		     size_t *outlen, char *why, size_t whylen, const char *what)
{
	size_t i = 0, n = 0;

	if (len == 0) {
		snprintf(why, whylen, "%s: no hex digits", what);
		return -1;
	}
	while (i < len) {
		int hi, lo;

		if (n > 0 && s[i] == ':')
			i++; /* "0a:1b" as printed by openssl */
		if (i + 1 >= len) {
			snprintf(why, whylen, "%s: odd number of hex digits", what);
			return -1;
		}
		hi = hexval(s[i]);
		lo = hexval(s[i + 1]);
		if (hi < 0 || lo < 0) {
			snprintf(why, whylen, "%s: '%c' is not a hex digit", what,
				 hi < 0 ? s[i] : s[i + 1]);
			return -1;
		}
		if (n == cap) {
			snprintf(why, whylen, "%s: more than %zu bytes", what, cap);
			return -1;
		}
		out[n++] = (unsigned char)(hi << 4 | lo);
		i += 2;
	}
	if (exact && n != cap) {
		snprintf(why, whylen, "%s: %zu bytes, expected %zu (%zu hex digits)", what, n, cap,
			 2 * cap);
		return -1;
	}
	*outlen = n;
	return 0;
}

static int parse_identity(const char *v, struct cfg_identity *id, char *why, size_t whylen)
{
	static const char allowed[] =
		"allowed: cn:NAME, uri:URI, dns:NAME, serial:HEX[,issuer-sha256:HEX], "
		"spki-sha256:HEX";
	struct cfg_identity t;
	const char *s;
	size_t len, max;

	memset(&t, 0, sizeof(t));
	if (strncmp(v, "cn:", 3) == 0) {
		t.kind = CFG_ID_CN;
		s = v + 3;
		max = 64;
	} else if (strncmp(v, "dns:", 4) == 0) {
		t.kind = CFG_ID_DNS;
		s = v + 4;
		max = 64;
	} else if (strncmp(v, "uri:", 4) == 0) {
		t.kind = CFG_ID_URI;
		s = v + 4;
		max = 128;
	} else if (strncmp(v, "serial:", 7) == 0) {
		const char *comma = strchr(v + 7, ',');
		size_t n = comma != NULL ? (size_t)(comma - (v + 7)) : strlen(v + 7), i;

		t.kind = CFG_ID_SERIAL;
		if (parse_hex(v + 7, n, t.bin, 20, false, &t.bin_len, why, whylen, "serial") != 0)
			return -1;
		/* DER INTEGER encodings may carry a leading 0x00; compare
		 * without leading zero bytes */
		for (i = 0; i + 1 < t.bin_len && t.bin[i] == 0; i++)
			;
		memmove(t.bin, t.bin + i, t.bin_len - i);
		t.bin_len -= i;
		if (comma != NULL) {
			size_t dummy;

			if (strncmp(comma + 1, "issuer-sha256:", 14) != 0) {
				snprintf(why, whylen,
					 "serial: expected ',issuer-sha256:HEX' after the serial "
					 "number");
				return -1;
			}
			if (parse_hex(comma + 15, strlen(comma + 15), t.issuer_sha256, 32, true,
				      &dummy, why, whylen, "issuer-sha256") != 0)
				return -1;
			t.has_issuer = true;
		}
		*id = t;
		return 0;
	} else if (strncmp(v, "spki-sha256:", 12) == 0) {
		t.kind = CFG_ID_SPKI;
		if (parse_hex(v + 12, strlen(v + 12), t.bin, 32, true, &t.bin_len, why, whylen,
			      "spki-sha256") != 0)
			return -1;
		*id = t;
		return 0;
	} else {
		snprintf(why, whylen, "'%.40s' is not an identity (%s)", v, allowed);
		return -1;
	}
	len = strlen(s);
	if (len == 0) {
		snprintf(why, whylen, "%.*s: empty name", (int)(s - v - 1), v);
		return -1;
	}
	if (len > max) {
		snprintf(why, whylen, "%.*s: longer than %zu characters (the certificate identity "
			 "limit)", (int)(s - v - 1), v, max);
		return -1;
	}
	memcpy(t.text, s, len + 1);
	*id = t;
	return 0;
}

static int parse_uint(const char *v, uint32_t min, uint32_t max, uint32_t *out, char *why,
		      size_t whylen)
{
	uint64_t x = 0;
	const char *s;

	for (s = v; *s != '\0'; s++) {
		if (*s < '0' || *s > '9') {
			snprintf(why, whylen, "'%.40s' is not a number (allowed: %u..%u)", v,
				 (unsigned)min, (unsigned)max);
			return -1;
		}
		x = x * 10 + (uint64_t)(*s - '0');
		if (x > UINT32_MAX)
			x = (uint64_t)UINT32_MAX + 1; /* saturate: out of range below */
	}
	if (x < min || x > max) {
		snprintf(why, whylen, "%.40s is out of range (allowed: %u..%u)", v, (unsigned)min,
			 (unsigned)max);
		return -1;
	}
	*out = (uint32_t)x;
	return 0;
}

static void enum_list(const struct cfg_enum *e, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (; e->name != NULL; e++) {
		int r = snprintf(buf + n, len - n, "%s%s", n > 0 ? ", " : "", e->name);

		if (r < 0 || (size_t)r >= len - n)
			return;
		n += (size_t)r;
	}
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		abort(); /* configuration files are small; nothing sane to do */
	return d;
}

/* Parse value v for option o into obj. Returns 0, or -1 with why set. */
static int set_value(const struct cfg_opt *o, void *obj, const char *v, char *why,
		     size_t whylen)
{
	void *dst = opt_ptr(obj, o);
	size_t i;

	if (*v == '\0') {
		snprintf(why, whylen, "empty value");
		return -1;
	}
	switch (o->type) {
	case T_PATH:
		if (v[0] != '/') {
			snprintf(why, whylen, "'%.60s' is not an absolute path", v);
			return -1;
		}
		for (i = 0; v[i] != '\0'; i++)
			if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) {
				snprintf(why, whylen, "control character in path");
				return -1;
			}
		free(*(char **)dst);
		*(char **)dst = xstrdup(v);
		return 0;
	case T_NAME:
		if (!valid_name(v)) {
			snprintf(why, whylen,
				 "'%.40s' is not a valid name (1..%d letters, digits, '.', '_' "
				 "or '-')",
				 v, CFG_NAME_MAX);
			return -1;
		}
		free(*(char **)dst);
		*(char **)dst = xstrdup(v);
		return 0;
	case T_GROUP:
		if (!valid_name(v)) {
			snprintf(why, whylen, "'%.40s' is not a valid group name or number", v);
			return -1;
		}
		free(*(char **)dst);
		*(char **)dst = xstrdup(v);
		return 0;
	case T_UINT:
		return parse_uint(v, o->min, o->max, (uint32_t *)dst, why, whylen);
	case T_OCTAL: {
		uint32_t x = 0;

		for (i = 0; v[i] != '\0'; i++) {
			if (v[i] < '0' || v[i] > '7' || i >= 6) {
				snprintf(why, whylen,
					 "'%.40s' is not an octal mode (allowed: %04o..%04o)", v,
					 (unsigned)o->min, (unsigned)o->max);
				return -1;
			}
			x = x * 8 + (uint32_t)(v[i] - '0');
		}
		if (x > o->max || (x & o->min) != o->min) {
			snprintf(why, whylen,
				 "%.40s is not allowed (octal %04o..%04o, and the owner needs "
				 "read and write: %04o)",
				 v, (unsigned)o->min, (unsigned)o->max, (unsigned)o->min);
			return -1;
		}
		*(uint32_t *)dst = x;
		return 0;
	}
	case T_ENUM: {
		const struct cfg_enum *e;
		char list[128];

		for (e = o->enums; e->name != NULL; e++)
			if (strcmp(e->name, v) == 0) {
				*(int *)dst = e->value;
				return 0;
			}
		enum_list(o->enums, list, sizeof(list));
		snprintf(why, whylen, "'%.40s' is not allowed (allowed: %s)", v, list);
		return -1;
	}
	case T_BOOL:
		if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 || strcmp(v, "on") == 0) {
			*(bool *)dst = true;
			return 0;
		}
		if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 || strcmp(v, "off") == 0) {
			*(bool *)dst = false;
			return 0;
		}
		snprintf(why, whylen, "'%.40s' is not allowed (allowed: yes, no)", v);
		return -1;
	case T_IDENTITY:
		return parse_identity(v, (struct cfg_identity *)dst, why, whylen);
	}
	abort();
}

static void apply_defaults(enum sect s, void *obj)
{
	char why[256];
	size_t i;

	for (i = 0; i < NOPTS; i++) {
		if (cfg_opts[i].sect != s || cfg_opts[i].def == NULL)
			continue;
		if (set_value(&cfg_opts[i], obj, cfg_opts[i].def, why, sizeof(why)) != 0)
			abort(); /* the table's own default does not parse */
	}
}

static void free_strings(enum sect s, void *obj)
{
	size_t i;

	for (i = 0; i < NOPTS; i++) {
		const struct cfg_opt *o = &cfg_opts[i];

		if (o->sect != s)
			continue;
		if (o->type == T_PATH || o->type == T_NAME || o->type == T_GROUP) {
			free(*(char **)opt_ptr(obj, o));
			*(char **)opt_ptr(obj, o) = NULL;
		}
	}
}

/* ---- sections --------------------------------------------------------------- */

static void begin_section(struct parse *ps, const char *type, const char *name)
{
	struct config *cf = ps->cf;
	unsigned line = ps->lineno;

	ps->sect = S_NONE;
	ps->skip = true;
	ps->obj = NULL;
	ps->at = NULL;
	if (strcmp(type, "global") == 0) {
		if (name[0] != '\0') {
			add_error(cf, line, "[global %.40s]: the global section takes no name", name);
			return;
		}
		snprintf(ps->desc, sizeof(ps->desc), "[global]");
		if (cf->global.at.line != 0) {
			add_error(cf, line,
				  "[global]: repeated section (first at line %u); put all global "
				  "options in one section",
				  cf->global.at.line);
			return;
		}
		cf->global.at.line = line;
		ps->sect = S_GLOBAL;
		ps->obj = &cf->global;
		ps->at = &cf->global.at;
		ps->skip = false;
		return;
	}
	if (strcmp(type, "port") != 0 && strcmp(type, "device") != 0) {
		add_error(cf, line,
			  "unknown section [%.40s%s%.40s] (allowed: [global], [port NAME], "
			  "[device NAME])",
			  type, name[0] != '\0' ? " " : "", name);
		return;
	}
	if (name[0] == '\0') {
		add_error(cf, line, "[%s]: missing name (write [%s NAME])", type, type);
		return;
	}
	if (!valid_name(name)) {
		add_error(cf, line,
			  "[%s %.40s]: invalid name (1..%d letters, digits, '.', '_' or '-', not "
			  "starting with '.' or '-')",
			  type, name, CFG_NAME_MAX);
		return;
	}
	snprintf(ps->desc, sizeof(ps->desc), "[%s %.*s]", type, CFG_NAME_MAX, name);
	if (type[0] == 'p') {
		struct cfg_port *p = config_port(cf, name);

		if (p != NULL) {
			add_error(cf, line, "[port %s]: repeated section (first at line %u)", name,
				  p->at.line);
			return;
		}
		p = calloc(1, sizeof(*p));
		if (p == NULL)
			abort();
		p->name = xstrdup(name);
		p->at.line = line;
		apply_defaults(S_PORT, p);
		TAILQ_INSERT_TAIL(&cf->ports, p, entry);
		cf->nports++;
		ps->sect = S_PORT;
		ps->obj = p;
		ps->at = &p->at;
	} else {
		struct cfg_device *d = config_device(cf, name);

		if (d != NULL) {
			add_error(cf, line, "[device %s]: repeated section (first at line %u)",
				  name, d->at.line);
			return;
		}
		d = calloc(1, sizeof(*d));
		if (d == NULL)
			abort();
		d->name = xstrdup(name);
		d->at.line = line;
		apply_defaults(S_DEVICE, d);
		TAILQ_INSERT_TAIL(&cf->devices, d, entry);
		cf->ndevices++;
		ps->sect = S_DEVICE;
		ps->obj = d;
		ps->at = &d->at;
	}
	ps->skip = false;
}

/* A line starting with '['. Returns the normalised header for inih in out,
 * or an empty string when the header is invalid. */
static void header_line(struct parse *ps, const char *s, size_t len, char *out, size_t outlen)
{
	char inner[128], type[16], name[128];
	const char *close = memchr(s, ']', len), *q;
	size_t n, tn;

	out[0] = '\0';
	ps->sect = S_NONE;
	ps->skip = true;
	if (close == NULL) {
		add_error(ps->cf, ps->lineno, "section header without closing ']'");
		return;
	}
	for (q = close + 1; q < s + len && is_space(*q); q++)
		;
	if (q < s + len && *q != ';' && *q != '#') {
		add_error(ps->cf, ps->lineno, "unexpected text after the section header");
		return;
	}
	/* trim and split "type name" */
	s++;
	while (s < close && is_space(*s))
		s++;
	n = (size_t)(close - s);
	while (n > 0 && is_space(s[n - 1]))
		n--;
	if (n >= sizeof(inner)) {
		add_error(ps->cf, ps->lineno, "section header too long");
		return;
	}
	memcpy(inner, s, n);
	inner[n] = '\0';
	tn = strcspn(inner, " \t\v\f\r");
	if (tn >= sizeof(type)) {
		add_error(ps->cf, ps->lineno,
			  "unknown section [%.40s] (allowed: [global], [port NAME], [device NAME])",
			  inner);
		return;
	}
	memcpy(type, inner, tn);
	type[tn] = '\0';
	q = inner + tn;
	while (is_space(*q))
		q++;
	snprintf(name, sizeof(name), "%s", q);
	begin_section(ps, type, name);
	if (!ps->skip)
		snprintf(out, outlen, "[%s%s%s]\n", type, name[0] != '\0' ? " " : "", name);
}

/* ---- inih glue ---------------------------------------------------------------- */

/* inih's line reader (fgets-like). Hands inih one checked line at a time;
 * see the notes at the top. */
static char *read_line(char *str, int num, void *stream)
{
	struct parse *ps = stream;
	const char *line, *nl;
	size_t len, max;

	if (num < 4)
		return NULL;
	max = (size_t)num - 3; /* inih needs room for "\r\n\0" */
	if (ps->p >= ps->end)
		return NULL;
	line = ps->p;
	nl = memchr(line, '\n', (size_t)(ps->end - line));
	len = nl != NULL ? (size_t)(nl - line) : (size_t)(ps->end - line);
	ps->p = nl != NULL ? nl + 1 : ps->end;
	ps->lineno++;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (ps->lineno == 1 && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
		line += 3; /* UTF-8 byte order mark */
		len -= 3;
	}
	str[0] = '\n';
	str[1] = '\0';
	if (memchr(line, '\0', len) != NULL) {
		add_error(ps->cf, ps->lineno, "line contains a NUL byte");
		return str;
	}
	if (len > max) {
		add_error(ps->cf, ps->lineno, "line too long (%zu bytes, at most %zu)", len, max);
		return str;
	}
	while (len > 0 && is_space(*line)) { /* never a continuation line */
		line++;
		len--;
	}
	if (len == 0 || line[0] == ';' || line[0] == '#')
		return str;
	if (line[0] == '[') {
		header_line(ps, line, len, str, (size_t)num);
		if (str[0] == '\0') {
			str[0] = '\n';
			str[1] = '\0';
		}
		return str;
	}
	{
		/* inih's rule: the first '=' or ':' before an inline comment */
		size_t i;
		bool sep = false;

		for (i = 0; i < len; i++) {
			if (line[i] == '=' || line[i] == ':') {
				sep = true;
				break;
			}
			if (line[i] == ';' && i > 0 && is_space(line[i - 1]))
				break;
		}
		if (!sep) {
			add_error(ps->cf, ps->lineno, "expected 'option = value'");
			return str;
		}
		if (i == 0) {
			add_error(ps->cf, ps->lineno, "missing option name before '%c'", line[0]);
			return str;
		}
	}
	memcpy(str, line, len);
	str[len] = '\n';
	str[len + 1] = '\0';
	return str;
}

/* inih's handler. The section argument is not used: inih merges repeated
 * sections, the reader knows which instance this line belongs to. */
static int on_option(void *user, const char *section, const char *name, const char *value)
{
	struct parse *ps = user;
	const struct cfg_opt *o;
	char why[384];
	unsigned *seen;

	(void)section;
	if (ps->sect == S_NONE) {
		if (!ps->skip)
			add_error(ps->cf, ps->lineno,
				  "%.40s: option outside any section (global options go under "
				  "[global])",
				  name);
		return 1;
	}
	o = find_opt(ps->sect, name);
	if (o == NULL) {
		add_error(ps->cf, ps->lineno, "%.40s: unknown option in %s", name, ps->desc);
		return 1;
	}
	seen = &ps->at->opt[OPT_INDEX(o)];
	if (*seen != 0) {
		add_error(ps->cf, ps->lineno, "%s: set twice in %s (first at line %u)", name,
			  ps->desc, *seen);
		return 1;
	}
	/* an invalid value still counts as set: no "missing" error follows */
	*seen = ps->lineno;
	if (set_value(o, ps->obj, value, why, sizeof(why)) != 0)
		add_error(ps->cf, ps->lineno, "%s: %s", name, why);
	return 1;
}

/* ---- whole-file checks ----------------------------------------------------------- */

static bool identity_same(const struct cfg_identity *a, const struct cfg_identity *b)
{
	if (a->kind != b->kind || strcmp(a->text, b->text) != 0 || a->bin_len != b->bin_len ||
	    memcmp(a->bin, b->bin, a->bin_len) != 0 || a->has_issuer != b->has_issuer)
		return false;
	return !a->has_issuer || memcmp(a->issuer_sha256, b->issuer_sha256, 32) == 0;
}

static void check_required(struct config *cf, enum sect s, const struct cfg_lines *at,
			   const char *desc)
{
	size_t i;

	for (i = 0; i < NOPTS; i++)
		if (cfg_opts[i].sect == s && (cfg_opts[i].flags & F_REQUIRED) && at->opt[i] == 0)
			add_error(cf, at->line, "%s: required option '%s' is missing", desc,
				  cfg_opts[i].name);
}

static void check_sun_path(struct config *cf, unsigned line, const char *what,
			   const char *path)
{
	struct sockaddr_un sun;

	if (strlen(path) >= sizeof(sun.sun_path))
		add_error(cf, line, "%s: socket path %.60s... is longer than %zu bytes (the Unix "
			  "socket path limit)",
			  what, path, sizeof(sun.sun_path) - 1);
}

static void finalize(struct config *cf)
{
	struct cfg_global *g = &cf->global;
	struct cfg_port *p, *q;
	struct cfg_device *d, *e;
	char desc[CFG_NAME_MAX + 32];

	if (g->at.line == 0)
		add_error(cf, 0, "[global] section is missing (it must set ca, cert and key)");
	else
		check_required(cf, S_GLOBAL, &g->at, "[global]");
	if (g->control_socket == NULL) {
		if (asprintf(&g->control_socket, "%s/control.sock", g->socket_dir) < 0)
			abort();
	}
	check_sun_path(cf, opt_or_section_line(&g->at, S_GLOBAL, "control_socket"),
		       g->at.opt[OPT_INDEX(opt_named(S_GLOBAL, "control_socket"))] != 0
			       ? "control_socket"
			       : "[global]",
		       g->control_socket);

	TAILQ_FOREACH(p, &cf->ports, entry) {
		size_t i;

		snprintf(desc, sizeof(desc), "[port %s]", p->name);
		check_required(cf, S_PORT, &p->at, desc);
		if (p->mode != CFG_RS485) {
			for (i = 0; i < NOPTS; i++)
				if (cfg_opts[i].sect == S_PORT && (cfg_opts[i].flags & F_RS485) &&
				    p->at.opt[i] != 0)
					add_error(cf, p->at.opt[i],
						  "%s: applies to rs485 ports only (%s has mode = "
						  "rs232)",
						  cfg_opts[i].name, desc);
		} else {
			if (p->flow_control == CFG_FLOW_RTSCTS)
				add_error(cf, opt_line(&p->at, S_PORT, "flow_control"),
					  "flow_control: rtscts is not possible on an rs485 port "
					  "(RTS drives the transceiver's direction)");
			if (p->handshake_timeout_ms < p->response_timeout_ms) {
				unsigned l = opt_line(&p->at, S_PORT, "handshake_timeout_ms");

				if (l != 0)
					add_error(cf, l,
						  "handshake_timeout_ms: %u is shorter than "
						  "response_timeout_ms (%u)",
						  (unsigned)p->handshake_timeout_ms,
						  (unsigned)p->response_timeout_ms);
				else
					add_error(cf,
						  opt_or_section_line(&p->at, S_PORT,
								      "response_timeout_ms"),
						  "response_timeout_ms: %u is longer than "
						  "handshake_timeout_ms (%u)",
						  (unsigned)p->response_timeout_ms,
						  (unsigned)p->handshake_timeout_ms);
			}
		}
		if (p->device == NULL)
			continue;
		TAILQ_FOREACH(q, &cf->ports, entry) {
			if (q == p)
				break;
			if (q->device != NULL && strcmp(q->device, p->device) == 0) {
				add_error(cf, opt_line(&p->at, S_PORT, "device"),
					  "device: %.60s is already used by [port %s] (line %u)",
					  p->device, q->name, opt_line(&q->at, S_PORT, "device"));
				break;
			}
		}
	}

	TAILQ_FOREACH(d, &cf->devices, entry) {
		snprintf(desc, sizeof(desc), "[device %s]", d->name);
		check_required(cf, S_DEVICE, &d->at, desc);
		if (d->socket == NULL) {
			if (asprintf(&d->socket, "%s/%s.sock", g->socket_dir, d->name) < 0)
				abort();
		}
		check_sun_path(cf, opt_or_section_line(&d->at, S_DEVICE, "socket"),
			       opt_line(&d->at, S_DEVICE, "socket") != 0 ? "socket" : desc,
			       d->socket);
		if (strcmp(d->socket, g->control_socket) == 0)
			add_error(cf, opt_or_section_line(&d->at, S_DEVICE, "socket"),
				  "%s: socket %.60s is the control socket",
				  opt_line(&d->at, S_DEVICE, "socket") != 0 ? "socket" : desc,
				  d->socket);
		TAILQ_FOREACH(e, &cf->devices, entry) {
			if (e == d)
				break;
			if (strcmp(e->socket, d->socket) == 0) {
				add_error(cf, opt_or_section_line(&d->at, S_DEVICE, "socket"),
					  "%s: socket %.60s is already used by [device %s] (line %u)",
					  opt_line(&d->at, S_DEVICE, "socket") != 0 ? "socket" : desc,
					  d->socket, e->name,
					  opt_or_section_line(&e->at, S_DEVICE, "socket"));
				break;
			}
		}
		if (d->identity.kind != CFG_ID_NONE) {
			TAILQ_FOREACH(e, &cf->devices, entry) {
				if (e == d)
					break;
				if (identity_same(&e->identity, &d->identity)) {
					add_error(cf, opt_line(&d->at, S_DEVICE, "identity"),
						  "identity: the same identity as [device %s] "
						  "(line %u)",
						  e->name, opt_line(&e->at, S_DEVICE, "identity"));
					break;
				}
			}
		}
		if (d->port_name == NULL)
			continue;
		d->port = config_port(cf, d->port_name);
		if (d->port == NULL) {
			add_error(cf, opt_line(&d->at, S_DEVICE, "port"),
				  "port: no [port %s] section in this file", d->port_name);
			continue;
		}
		p = d->port;
		if (p->mode == CFG_RS485) {
			if (opt_line(&d->at, S_DEVICE, "address") == 0)
				add_error(cf, d->at.line,
					  "%s: required option 'address' is missing (port %s is "
					  "rs485)",
					  desc, p->name);
			if (opt_line(&d->at, S_DEVICE, "role") != 0 &&
			    d->role != CFG_ROLE_INITIATOR)
				add_error(cf, opt_line(&d->at, S_DEVICE, "role"),
					  "role: only 'initiator' is possible on rs485 port %s (the "
					  "gateway is the bus master)",
					  p->name);
		}
		TAILQ_FOREACH(e, &cf->devices, entry) {
			if (e == d)
				break;
			if (e->port != p)
				continue;
			if (p->mode == CFG_RS232) {
				add_error(cf, opt_line(&d->at, S_DEVICE, "port"),
					  "port: rs232 port %s already has [device %s] (line %u); "
					  "rs232 is point-to-point (use mode = rs485 for a bus)",
					  p->name, e->name, e->at.line);
				break;
			}
			if (e->address == d->address &&
			    opt_line(&d->at, S_DEVICE, "address") != 0) {
				add_error(cf, opt_line(&d->at, S_DEVICE, "address"),
					  "address: %u is already used on port %s by [device %s] "
					  "(line %u)",
					  (unsigned)d->address, p->name, e->name,
					  opt_or_section_line(&e->at, S_DEVICE, "address"));
				break;
			}
		}
		p->ndevices++;
	}
	if (cf->errors_truncated)
		add_final_error(cf, "too many errors; only the first %u are shown",
				CFG_ERRORS_MAX);
}

/* ---- public ------------------------------------------------------------------------ */

static void config_init(struct config *cf, const char *file)
{
	memset(cf, 0, sizeof(*cf));
	cf->file = xstrdup(file);
	TAILQ_INIT(&cf->ports);
	TAILQ_INIT(&cf->devices);
	apply_defaults(S_GLOBAL, &cf->global);
}

int config_parse(struct config *cf, const char *file, const char *text, size_t len)
{
	struct parse ps;
	int r;

	config_init(cf, file);
	memset(&ps, 0, sizeof(ps));
	ps.cf = cf;
	ps.p = text;
	ps.end = text + len;
	r = ini_parse_stream(read_line, &ps, on_option, &ps);
	if (r > 0) {
		/* inih found a syntax error the reader did not: report it
		 * unless that line already has a message */
		size_t i;
		bool known = false;

		for (i = 0; i < cf->nerrors; i++)
			if (cf->errors[i].line == (unsigned)r)
				known = true;
		if (!known)
			add_error(cf, (unsigned)r, "syntax error");
	} else if (r < 0) {
		add_error(cf, 0, "the INI parser failed (out of memory)");
	}
	finalize(cf);
	return cf->nerrors > 0 ? -1 : 0;
}

int config_load(struct config *cf, const char *path)
{
	struct stat st;
	char *buf;
	size_t have = 0;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) != 0) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		config_init(cf, path);
		add_error(cf, 0, "cannot open: %s", strerror(e));
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)CFG_FILE_MAX) {
		close(fd);
		config_init(cf, path);
		if (!S_ISREG(st.st_mode))
			add_error(cf, 0, "not a regular file");
		else
			add_error(cf, 0, "larger than %u bytes", CFG_FILE_MAX);
		return -1;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL)
		abort();
	while (have < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + have, (size_t)st.st_size - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;

			free(buf);
			close(fd);
			config_init(cf, path);
			add_error(cf, 0, "cannot read: %s", strerror(e));
			return -1;
		}
		have += (size_t)n;
	}
	close(fd);
	r = config_parse(cf, path, buf, have);
	free(buf);
	return r;
}

void config_free(struct config *cf)
{
	struct cfg_port *p;
	struct cfg_device *d;
	size_t i;

	while ((p = TAILQ_FIRST(&cf->ports)) != NULL) {
		TAILQ_REMOVE(&cf->ports, p, entry);
		free_strings(S_PORT, p);
		free(p->name);
		free(p);
	}
	while ((d = TAILQ_FIRST(&cf->devices)) != NULL) {
		TAILQ_REMOVE(&cf->devices, d, entry);
		free_strings(S_DEVICE, d);
		free(d->name);
		free(d);
	}
	free_strings(S_GLOBAL, &cf->global);
	for (i = 0; i < cf->nerrors; i++)
		free(cf->errors[i].msg);
	free(cf->errors);
	free(cf->file);
	memset(cf, 0, sizeof(*cf));
}

struct cfg_port *config_port(const struct config *cf, const char *name)
{
	struct cfg_port *p;

	TAILQ_FOREACH(p, &cf->ports, entry)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

struct cfg_device *config_device(const struct config *cf, const char *name)
{
	struct cfg_device *d;

	TAILQ_FOREACH(d, &cf->devices, entry)
		if (strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

static bool str_same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool section_same(enum sect s, const void *a, const void *b)
{
	size_t i;

	for (i = 0; i < NOPTS; i++) {
		const struct cfg_opt *o = &cfg_opts[i];
		const void *x, *y;

		if (o->sect != s)
			continue;
		x = opt_cptr(a, o);
		y = opt_cptr(b, o);
		switch (o->type) {
		case T_PATH:
		case T_NAME:
		case T_GROUP:
			if (!str_same(*(char *const *)x, *(char *const *)y))
				return false;
			break;
		case T_UINT:
		case T_OCTAL:
			if (*(const uint32_t *)x != *(const uint32_t *)y)
				return false;
			break;
		case T_ENUM:
			if (*(const int *)x != *(const int *)y)
				return false;
			break;
		case T_BOOL:
			if (*(const bool *)x != *(const bool *)y)
				return false;
			break;
		case T_IDENTITY:
			if (!identity_same(x, y))
				return false;
			break;
		}
	}
	return true;
}

bool config_global_same(const struct cfg_global *a, const struct cfg_global *b)
{
	return section_same(S_GLOBAL, a, b);
}

bool config_port_same(const struct cfg_port *a, const struct cfg_port *b)
{
	return strcmp(a->name, b->name) == 0 && section_same(S_PORT, a, b);
}

bool config_device_same(const struct cfg_device *a, const struct cfg_device *b)
{
	return strcmp(a->name, b->name) == 0 && section_same(S_DEVICE, a, b);
}

unsigned long config_fds_needed(const struct config *cf)
{
	/* stdio, the loop (epoll, signal pipe, async), the control socket and
	 * a few control clients, sd_notify, log and key files while loading */
	unsigned long n = 32;

	n += 2ul * cf->nports; /* the port and, with libserialport, its lock */
	n += (unsigned long)cf->ndevices * (1ul + cf->global.max_clients);
	return n;
}

void config_dump_options(FILE *f)
{
	static const char *const tnames[] = { "path", "name", "group", "integer",
					      "octal", "enum", "boolean", "identity" };
	size_t i;

	for (i = 0; i < NOPTS; i++) {
		const struct cfg_opt *o = &cfg_opts[i];
		char allowed[160];

		if (o->type == T_UINT)
			snprintf(allowed, sizeof(allowed), "%u..%u", (unsigned)o->min,
				 (unsigned)o->max);
		else if (o->type == T_OCTAL)
			snprintf(allowed, sizeof(allowed), "%04o..%04o", (unsigned)o->min,
				 (unsigned)o->max);
		else if (o->type == T_ENUM)
			enum_list(o->enums, allowed, sizeof(allowed));
		else if (o->type == T_BOOL)
			snprintf(allowed, sizeof(allowed), "yes, no");
		else
			snprintf(allowed, sizeof(allowed), "-");
		fprintf(f, "%s\t%s\t%s\t%s\t%s\t%s\n", sect_names[o->sect], o->name,
			tnames[o->type],
			o->def != NULL		  ? o->def
			: o->def_doc != NULL	  ? o->def_doc
			: (o->flags & F_REQUIRED) ? "(required)"
						  : "-",
			o->unit, allowed);
	}
}

const char *config_mode_name(int mode)
{
	return mode == CFG_RS485 ? "rs485" : "rs232";
}

const char *config_parity_name(int parity)
{
	const struct cfg_enum *e;

	for (e = e_parity; e->name != NULL; e++)
		if (e->value == parity)
			return e->name;
	return "?";
}

const char *config_flow_name(int flow)
{
	return flow == CFG_FLOW_RTSCTS ? "rtscts" : "none";
}
