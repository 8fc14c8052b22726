/*
 * Test helper: a small strict JSON reader (RFC 8259) for reading test
 * vectors (Wycheproof) as data. Not part of the protocol core; it
 * allocates freely.
 *
 * Strict means: one value and nothing but whitespace around it, no
 * trailing commas, no comments, no duplicate keys in an object, strings
 * of valid UTF-8 without raw control characters, escapes only as
 * RFC 8259 lists them (\uXXXX surrogates must pair), numbers only in the
 * RFC's grammar. Anything else fails the parse with a message naming
 * the line and column, so a damaged vector file cannot pass silently.
 */
#ifndef SERGUARD_TESTS_JSON_H
#define SERGUARD_TESTS_JSON_H

#include <stddef.h>

enum json_type {
	JSON_NULL,
	JSON_FALSE,
	JSON_TRUE,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT
};

struct json {
	enum json_type type;
	/* STRING: the decoded bytes (NUL-terminated; may contain NUL when
	 * the input had \u0000). NUMBER: the literal as written. */
	char *text;
	size_t text_len;
	/* ARRAY and OBJECT: count children in order; OBJECT: keys[i] is the
	 * (decoded, NUL-terminated) key of items[i]. */
	struct json *items;
	char **keys;
	size_t count;
};

/*
 * Parse len bytes at buf. Returns a tree owned by the caller (json_free),
 * or NULL with a message in err (errlen bytes, may be 0).
 */
struct json *json_parse(const char *buf, size_t len, char *err, size_t errlen);

/* Read and parse a whole file; on failure prints "path: message" to
 * stderr and returns NULL. */
struct json *json_load_file(const char *path);

void json_free(struct json *j);

/* The member key of an object, or NULL (also when j is not an object). */
const struct json *json_get(const struct json *j, const char *key);

/* Element i of an array, or NULL when out of range or not an array. */
const struct json *json_at(const struct json *j, size_t i);

/* The string value, or NULL when j is NULL or not a string. */
const char *json_str(const struct json *j);

/*
 * An integral number (no fraction, no exponent) that fits a long into
 * *out: 0 on success, -1 otherwise.
 */
int json_int(const struct json *j, long *out);

#endif
