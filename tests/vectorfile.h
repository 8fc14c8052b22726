/*
 * Test helper: read a vector file of `name = hex` lines (the format of
 * tests/vectors/edhoc/, see its README.md) and look values up by name.
 *
 * Format, strictly: one item per line, `NAME = HEX` with exactly one
 * space either side of '=', NAME of [A-Za-z0-9_], HEX an even number of
 * lowercase hex digits (possibly none: a zero-length value); lines
 * starting with '#' and empty lines are ignored. Anything else, and a
 * name given twice, makes vf_load fail with a message on stderr naming
 * the file and line, so a damaged vector file cannot pass silently.
 */
#ifndef SERGUARD_TESTS_VECTORFILE_H
#define SERGUARD_TESTS_VECTORFILE_H

#include <stddef.h>

struct vf_item {
	char *name;
	unsigned char *data; /* never NULL, also for a zero-length value */
	size_t len;
};

struct vf {
	struct vf_item *items;
	size_t count;
};

/*
 * Read the whole file at path into vf (heap memory owned by vf until
 * vf_free). Returns 0, or -1 after printing why; vf is then empty and
 * needs no vf_free (calling it is harmless).
 */
int vf_load(struct vf *vf, const char *path);

/*
 * The value named name, or NULL when there is none. *len receives its
 * length when len is not NULL. The pointer is valid until vf_free.
 */
const unsigned char *vf_get(const struct vf *vf, const char *name, size_t *len);

/* Release everything vf_load allocated; vf is left empty. */
void vf_free(struct vf *vf);

#endif
