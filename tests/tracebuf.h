/*
 * Test helper: collect the values the EDHOC engine reports through its
 * trace hook (struct sg_edhoc_config.trace), by RFC 9529 name.
 *
 * A value may arrive in pieces (more == true on all but the last); the
 * pieces are joined. When a name completes a second time (both engines
 * of a run compute TH_2, for example) the values must agree: a
 * different value is recorded as a conflict and the first one kept.
 * A suffix can be set to file later values under other names (the
 * vector tool's "_after_KeyUpdate").
 */
#ifndef SERGUARD_TESTS_TRACEBUF_H
#define SERGUARD_TESTS_TRACEBUF_H

#include <stdbool.h>
#include <stddef.h>

struct tb_entry {
	char name[64];
	unsigned char *data;
	size_t len;
};

struct tracebuf {
	struct tb_entry *items;
	size_t count, cap;
	/* the value being assembled */
	char cur_name[64];
	unsigned char *cur;
	size_t cur_len;
	bool open;
	const char *suffix; /* appended to every name, NULL for none */
	unsigned conflicts;
	char conflict_name[64];
};

void tb_init(struct tracebuf *tb);
void tb_free(struct tracebuf *tb);
void tb_clear(struct tracebuf *tb);
/* The hook, with ctx = struct tracebuf *. */
void tb_hook(void *ctx, const char *name, const unsigned char *data, size_t len, bool more);
/* Add a value directly (what a test or tool computes itself). */
void tb_put(struct tracebuf *tb, const char *name, const unsigned char *data, size_t len);
const unsigned char *tb_get(const struct tracebuf *tb, const char *name, size_t *len);

#endif
