/*
 * Test helper: collector for the EDHOC trace hook (see tracebuf.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracebuf.h"

static void die(const char *what)
{
	fprintf(stderr, "tracebuf: %s\n", what);
	abort();
}

void tb_init(struct tracebuf *tb)
{
	memset(tb, 0, sizeof(*tb));
}

void tb_clear(struct tracebuf *tb)
{
	size_t i;

	for (i = 0; i < tb->count; i++)
		free(tb->items[i].data);
	tb->count = 0;
	free(tb->cur);
	tb->cur = NULL;
	tb->cur_len = 0;
	tb->open = false;
	tb->conflicts = 0;
	tb->conflict_name[0] = 0;
}

void tb_free(struct tracebuf *tb)
{
	tb_clear(tb);
	free(tb->items);
	memset(tb, 0, sizeof(*tb));
}

const unsigned char *tb_get(const struct tracebuf *tb, const char *name, size_t *len)
{
	size_t i;

	for (i = 0; i < tb->count; i++) {
		if (strcmp(tb->items[i].name, name) == 0) {
			if (len != NULL)
				*len = tb->items[i].len;
			return tb->items[i].data;
		}
	}
	return NULL;
}

static void full_name(const struct tracebuf *tb, const char *name, char out[64])
{
	if (snprintf(out, 64, "%s%s", name, tb->suffix != NULL ? tb->suffix : "") >= 64)
		die("name too long");
}

static void commit(struct tracebuf *tb, const char *name, unsigned char *data, size_t len)
{
	const unsigned char *old;
	size_t old_len;

	old = tb_get(tb, name, &old_len);
	if (old != NULL) {
		if (old_len != len || (len > 0 && memcmp(old, data, len) != 0)) {
			if (tb->conflicts++ == 0)
				snprintf(tb->conflict_name, sizeof(tb->conflict_name), "%s", name);
		}
		free(data);
		return;
	}
	if (tb->count == tb->cap) {
		size_t ncap = tb->cap ? 2 * tb->cap : 64;
		struct tb_entry *n = realloc(tb->items, ncap * sizeof(*n));

		if (n == NULL)
			die("out of memory");
		tb->items = n;
		tb->cap = ncap;
	}
	snprintf(tb->items[tb->count].name, sizeof(tb->items[0].name), "%s", name);
	tb->items[tb->count].data = data;
	tb->items[tb->count].len = len;
	tb->count++;
}

void tb_hook(void *ctx, const char *name, const unsigned char *data, size_t len, bool more)
{
	struct tracebuf *tb = ctx;
	char fn[64];
	unsigned char *n;

	full_name(tb, name, fn);
	if (tb->open && strcmp(tb->cur_name, fn) != 0)
		die("interleaved trace values");
	if (!tb->open) {
		snprintf(tb->cur_name, sizeof(tb->cur_name), "%s", fn);
		tb->cur = NULL;
		tb->cur_len = 0;
		tb->open = true;
	}
	n = realloc(tb->cur, tb->cur_len + len + 1);
	if (n == NULL)
		die("out of memory");
	tb->cur = n;
	if (len > 0)
		memcpy(tb->cur + tb->cur_len, data, len);
	tb->cur_len += len;
	if (!more) {
		tb->open = false;
		commit(tb, tb->cur_name, tb->cur, tb->cur_len);
		tb->cur = NULL;
		tb->cur_len = 0;
	}
}

void tb_put(struct tracebuf *tb, const char *name, const unsigned char *data, size_t len)
{
	tb_hook(tb, name, data, len, false);
}
