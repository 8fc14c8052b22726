/*
 * json-get: strict JSON check and field lookup for shell tests.
 *
 *   json-get PATH... < file.json
 *
 * Parses stdin with the strict reader of tests/json.c (RFC 8259; fails
 * with line and column on anything else) and prints, one line per PATH,
 * the value found there: a string as is, a number as written, true,
 * false, null, or "object N" / "array N" (N members). A PATH is a list of
 * steps separated by '/': an object key, an array index, or KEY=VALUE to
 * select the array element whose member KEY is the string VALUE
 * ("devices/name=a/peer/cn"). Exit 0, or 1 when the input is not JSON or
 * a path leads nowhere, 2 for a usage error. With no PATH it only checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static const struct json *step(const struct json *j, const char *s)
{
	const char *eq = strchr(s, '=');
	char *end;
	size_t i;

	if (j == NULL)
		return NULL;
	if (j->type == JSON_ARRAY && eq != NULL) {
		char key[128];
		size_t kl = (size_t)(eq - s);

		if (kl >= sizeof(key))
			return NULL;
		memcpy(key, s, kl);
		key[kl] = '\0';
		for (i = 0; i < j->count; i++) {
			const char *val = json_str(json_get(&j->items[i], key));

			if (val != NULL && strcmp(val, eq + 1) == 0)
				return &j->items[i];
		}
		return NULL;
	}
	if (j->type == JSON_ARRAY) {
		unsigned long k = strtoul(s, &end, 10);

		return *s != '\0' && *end == '\0' ? json_at(j, k) : NULL;
	}
	return json_get(j, s);
}

int main(int argc, char **argv)
{
	char *buf = NULL, err[256];
	size_t len = 0, cap = 0, n;
	struct json *root;
	int i, status = 0;

	for (;;) {
		if (len == cap) {
			cap = cap != 0 ? 2 * cap : 65536;
			buf = realloc(buf, cap);
			if (buf == NULL)
				return 2;
		}
		n = fread(buf + len, 1, cap - len, stdin);
		if (n == 0)
			break;
		len += n;
	}
	root = json_parse(buf, len, err, sizeof(err));
	free(buf);
	if (root == NULL) {
		fprintf(stderr, "json-get: not JSON: %s\n", err);
		return 1;
	}
	for (i = 1; i < argc; i++) {
		char path[512], *save = NULL, *s;
		const struct json *j = root;

		if (strlen(argv[i]) >= sizeof(path)) {
			json_free(root);
			return 2;
		}
		strcpy(path, argv[i]);
		for (s = strtok_r(path, "/", &save); s != NULL && j != NULL;
		     s = strtok_r(NULL, "/", &save))
			j = step(j, s);
		if (j == NULL) {
			fprintf(stderr, "json-get: %s: not found\n", argv[i]);
			status = 1;
			continue;
		}
		switch (j->type) {
		case JSON_NULL:
			puts("null");
			break;
		case JSON_FALSE:
			puts("false");
			break;
		case JSON_TRUE:
			puts("true");
			break;
		case JSON_NUMBER:
		case JSON_STRING:
			puts(j->text);
			break;
		case JSON_ARRAY:
			printf("array %zu\n", j->count);
			break;
		case JSON_OBJECT:
			printf("object %zu\n", j->count);
			break;
		}
	}
	json_free(root);
	return status;
}
