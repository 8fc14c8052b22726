/*
 * Strict JSON reader for test vectors (see json.h).
 *
 * Implementation notes: a recursive-descent parser over the whole input
 * in memory, building a tree of struct json with heap-allocated children.
 * Arrays and objects grow their item vector by doubling. Nesting is
 * limited (JSON_MAX_DEPTH) so a hostile file cannot exhaust the stack.
 * Strings are decoded (escapes, surrogate pairs) into UTF-8 and raw
 * input bytes are checked to be well-formed UTF-8 (no overlong forms,
 * no surrogates, nothing above U+10FFFF). Numbers are validated against
 * the RFC 8259 grammar and kept as text; json_int converts on demand.
 */
#include "json.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 64

struct parser {
	const unsigned char *p, *end, *start;
	char *err;
	size_t errlen;
	int failed;
};

static void fail(struct parser *ps, const char *fmt, ...)
{
	size_t line = 1, col = 1, n;
	const unsigned char *q;
	va_list ap;

	if (ps->failed)
		return;
	ps->failed = 1;
	if (ps->errlen == 0)
		return;
	for (q = ps->start; q < ps->p; q++) {
		if (*q == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	snprintf(ps->err, ps->errlen, "line %zu, column %zu: ", line, col);
	n = strlen(ps->err);
	va_start(ap, fmt);
	vsnprintf(ps->err + n, ps->errlen - n, fmt, ap);
	va_end(ap);
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
				   *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static void free_node(struct json *j)
{
	size_t i;

	free(j->text);
	for (i = 0; i < j->count; i++) {
		free_node(&j->items[i]);
		if (j->keys != NULL)
			free(j->keys[i]);
	}
	free(j->items);
	free(j->keys);
	memset(j, 0, sizeof(*j));
}

/* Growable byte buffer for decoded strings. */
struct sbuf {
	char *b;
	size_t len, cap;
};

static int sbuf_put(struct sbuf *s, const void *data, size_t n)
{
	if (s->len + n + 1 > s->cap) {
		size_t nc = s->cap ? s->cap : 32;
		char *nb;

		while (nc < s->len + n + 1)
			nc *= 2;
		nb = realloc(s->b, nc);
		if (nb == NULL)
			return -1;
		s->b = nb;
		s->cap = nc;
	}
	memcpy(s->b + s->len, data, n);
	s->len += n;
	s->b[s->len] = '\0';
	return 0;
}

static int put_utf8(struct sbuf *s, unsigned long cp)
{
	unsigned char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xC0 | cp >> 6);
		u[1] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xE0 | cp >> 12);
		u[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		u[2] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (unsigned char)(0xF0 | cp >> 18);
		u[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
		u[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		u[3] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	return sbuf_put(s, u, n);
}

/* Four hex digits of a \u escape, or -1. */
static long hex4(struct parser *ps)
{
	long v = 0;
	int i;

	if (ps->end - ps->p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		unsigned char c = *ps->p++;

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* Length of the well-formed UTF-8 sequence at p (lead byte >= 0x80),
 * or 0 when it is not well-formed (RFC 3629 table). */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xBF;
	size_t n, i;

	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4;
	else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F; /* no UTF-16 surrogates */
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F; /* nothing above U+10FFFF */
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xBF)
			return 0;
	return n;
}

/* A string starting at the opening quote; result in *out (malloc'd). */
static int parse_string(struct parser *ps, char **out, size_t *out_len)
{
	struct sbuf s = {NULL, 0, 0};

	ps->p++; /* opening quote */
	if (sbuf_put(&s, "", 0) != 0)
		goto oom;
	for (;;) {
		const unsigned char *run = ps->p;

		while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\\' &&
		       *ps->p >= 0x20 && *ps->p < 0x80)
			ps->p++;
		if (sbuf_put(&s, run, (size_t)(ps->p - run)) != 0)
			goto oom;
		if (ps->p == ps->end) {
			fail(ps, "unterminated string");
			goto err;
		}
		if (*ps->p == '"') {
			ps->p++;
			break;
		}
		if (*ps->p < 0x20) {
			fail(ps, "control character in string");
			goto err;
		}
		if (*ps->p >= 0x80) {
			size_t n = utf8_seq(ps->p, ps->end);

			if (n == 0) {
				fail(ps, "invalid UTF-8 in string");
				goto err;
			}
			if (sbuf_put(&s, ps->p, n) != 0)
				goto oom;
			ps->p += n;
			continue;
		}
		/* backslash */
		ps->p++;
		if (ps->p == ps->end) {
			fail(ps, "unterminated escape");
			goto err;
		}
		{
			static const char esc[] = "\"\\/bfnrt";
			static const char map[] = "\"\\/\b\f\n\r\t";
			unsigned char e = *ps->p++;
			const char *simple = e != '\0' ? strchr(esc, e) : NULL;
			long cp, lo;

			if (simple != NULL) {
				if (sbuf_put(&s, &map[simple - esc], 1) != 0)
					goto oom;
				continue;
			}
			if (e != 'u') {
				ps->p--;
				fail(ps, "invalid escape");
				goto err;
			}
			if ((cp = hex4(ps)) < 0) {
				fail(ps, "invalid \\u escape");
				goto err;
			}
			if (cp >= 0xDC00 && cp <= 0xDFFF) {
				fail(ps, "unpaired low surrogate");
				goto err;
			}
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				if (ps->end - ps->p < 2 || ps->p[0] != '\\' ||
				    ps->p[1] != 'u') {
					fail(ps, "unpaired high surrogate");
					goto err;
				}
				ps->p += 2;
				lo = hex4(ps);
				if (lo < 0xDC00 || lo > 0xDFFF) {
					fail(ps, "unpaired high surrogate");
					goto err;
				}
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			}
			if (put_utf8(&s, (unsigned long)cp) != 0)
				goto oom;
		}
	}
	*out = s.b;
	*out_len = s.len;
	return 0;
oom:
	fail(ps, "out of memory");
err:
	free(s.b);
	return -1;
}

static int is_digit(const struct parser *ps)
{
	return ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9';
}

static int parse_number(struct parser *ps, struct json *j)
{
	const unsigned char *s = ps->p;

	if (ps->p < ps->end && *ps->p == '-')
		ps->p++;
	if (!is_digit(ps))
		goto bad;
	if (*ps->p == '0') {
		ps->p++;
		if (is_digit(ps))
			goto bad; /* leading zero */
	} else {
		while (is_digit(ps))
			ps->p++;
	}
	if (ps->p < ps->end && *ps->p == '.') {
		ps->p++;
		if (!is_digit(ps))
			goto bad;
		while (is_digit(ps))
			ps->p++;
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		ps->p++;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (!is_digit(ps))
			goto bad;
		while (is_digit(ps))
			ps->p++;
	}
	j->type = JSON_NUMBER;
	j->text_len = (size_t)(ps->p - s);
	j->text = malloc(j->text_len + 1);
	if (j->text == NULL) {
		fail(ps, "out of memory");
		return -1;
	}
	memcpy(j->text, s, j->text_len);
	j->text[j->text_len] = '\0';
	return 0;
bad:
	fail(ps, "malformed number");
	return -1;
}

static int parse_value(struct parser *ps, struct json *j, int depth);

/* Append a zeroed child (and key slot for objects); returns it or NULL. */
static struct json *add_child(struct parser *ps, struct json *j, size_t *cap)
{
	if (j->count == *cap) {
		size_t nc = *cap ? 2 * *cap : 8;
		struct json *ni = realloc(j->items, nc * sizeof(*ni));

		if (ni == NULL)
			goto oom;
		j->items = ni;
		if (j->type == JSON_OBJECT) {
			char **nk = realloc(j->keys, nc * sizeof(*nk));

			if (nk == NULL)
				goto oom;
			j->keys = nk;
		}
		*cap = nc;
	}
	memset(&j->items[j->count], 0, sizeof(j->items[0]));
	if (j->keys != NULL)
		j->keys[j->count] = NULL;
	return &j->items[j->count++];
oom:
	fail(ps, "out of memory");
	return NULL;
}

static int parse_container(struct parser *ps, struct json *j, int depth)
{
	int obj = *ps->p == '{';
	unsigned char close = obj ? '}' : ']';
	size_t cap = 0;

	if (depth >= JSON_MAX_DEPTH) {
		fail(ps, "nesting too deep");
		return -1;
	}
	j->type = obj ? JSON_OBJECT : JSON_ARRAY;
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		return 0;
	}
	for (;;) {
		struct json *c;
		char *key = NULL;
		size_t key_len = 0, i;

		skip_ws(ps);
		if (obj) {
			if (ps->p == ps->end || *ps->p != '"') {
				fail(ps, "expected a string key");
				return -1;
			}
			if (parse_string(ps, &key, &key_len) != 0)
				return -1;
			for (i = 0; i < j->count; i++) {
				if (strcmp(j->keys[i], key) == 0 &&
				    strlen(key) == key_len) {
					fail(ps, "duplicate key \"%s\"", key);
					free(key);
					return -1;
				}
			}
			skip_ws(ps);
			if (ps->p == ps->end || *ps->p != ':') {
				free(key);
				fail(ps, "expected ':'");
				return -1;
			}
			ps->p++;
		}
		if ((c = add_child(ps, j, &cap)) == NULL) {
			free(key);
			return -1;
		}
		if (obj)
			j->keys[j->count - 1] = key;
		if (parse_value(ps, c, depth + 1) != 0)
			return -1;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			return 0;
		}
		fail(ps, obj ? "expected ',' or '}'" : "expected ',' or ']'");
		return -1;
	}
}

static int literal(struct parser *ps, const char *word, enum json_type t,
		   struct json *j)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) {
		fail(ps, "invalid literal");
		return -1;
	}
	ps->p += n;
	j->type = t;
	return 0;
}

static int parse_value(struct parser *ps, struct json *j, int depth)
{
	skip_ws(ps);
	if (ps->p == ps->end) {
		fail(ps, "unexpected end of input");
		return -1;
	}
	switch (*ps->p) {
	case '{':
	case '[':
		return parse_container(ps, j, depth);
	case '"':
		j->type = JSON_STRING;
		return parse_string(ps, &j->text, &j->text_len);
	case 't':
		return literal(ps, "true", JSON_TRUE, j);
	case 'f':
		return literal(ps, "false", JSON_FALSE, j);
	case 'n':
		return literal(ps, "null", JSON_NULL, j);
	default:
		return parse_number(ps, j);
	}
}

struct json *json_parse(const char *buf, size_t len, char *err, size_t errlen)
{
	struct parser ps;
	struct json *j;

	ps.start = ps.p = (const unsigned char *)buf;
	ps.end = ps.p + len;
	ps.err = err;
	ps.errlen = errlen;
	ps.failed = 0;
	if (errlen > 0)
		err[0] = '\0';
	j = calloc(1, sizeof(*j));
	if (j == NULL) {
		fail(&ps, "out of memory");
		return NULL;
	}
	if (parse_value(&ps, j, 0) == 0) {
		skip_ws(&ps);
		if (ps.p != ps.end)
			fail(&ps, "trailing data after the value");
	}
	if (ps.failed) {
		json_free(j);
		return NULL;
	}
	return j;
}

struct json *json_load_file(const char *path)
{
	char err[200];
	char *buf = NULL;
	size_t len = 0, cap = 0, got;
	struct json *j;
	FILE *f = fopen(path, "rb");

	if (f == NULL) {
		perror(path);
		return NULL;
	}
	for (;;) {
		if (cap - len < 65536) {
			char *nb = realloc(buf, cap + 65536);

			if (nb == NULL) {
				fprintf(stderr, "%s: out of memory\n", path);
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
			cap += 65536;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		perror(path);
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	j = json_parse(buf, len, err, sizeof(err));
	if (j == NULL)
		fprintf(stderr, "%s: %s\n", path, err);
	free(buf);
	return j;
}

void json_free(struct json *j)
{
	if (j == NULL)
		return;
	free_node(j);
	free(j);
}

const struct json *json_get(const struct json *j, const char *key)
{
	size_t i;

	if (j == NULL || j->type != JSON_OBJECT)
		return NULL;
	for (i = 0; i < j->count; i++)
		if (strcmp(j->keys[i], key) == 0)
			return &j->items[i];
	return NULL;
}

const struct json *json_at(const struct json *j, size_t i)
{
	if (j == NULL || j->type != JSON_ARRAY || i >= j->count)
		return NULL;
	return &j->items[i];
}

const char *json_str(const struct json *j)
{
	if (j == NULL || j->type != JSON_STRING)
		return NULL;
	return j->text;
}

int json_int(const struct json *j, long *out)
{
	char *end;
	long v;

	if (j == NULL || j->type != JSON_NUMBER ||
	    strpbrk(j->text, ".eE") != NULL)
		return -1;
	errno = 0;
	v = strtol(j->text, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}
