/*
 * Reader for `name = hex` vector files (see vectorfile.h).
 *
 * Implementation notes: the file is small (tens of KiB), so it is read
 * line by line with getline and every value is decoded at load time; a
 * lookup is a linear search, which is plenty for a few hundred names.
 * Strictness is the point: a vector file that does not parse exactly is
 * an error, never a partially loaded set.
 */
#include "vectorfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

/* Parse one `NAME = HEX` line (without its newline) into it. */
static int parse_line(const char *line, size_t n, struct vf_item *it)
{
	size_t nl = 0, hl, i;
	const char *hex;

	while (nl < n && name_char(line[nl]))
		nl++;
	if (nl == 0 || n - nl < 3 || memcmp(line + nl, " = ", 3) != 0)
		return -1;
	hex = line + nl + 3;
	hl = n - nl - 3;
	if (hl % 2 != 0)
		return -1;
	it->name = malloc(nl + 1);
	it->data = malloc(hl / 2 + 1);
	if (it->name == NULL || it->data == NULL) {
		free(it->name);
		free(it->data);
		return -1;
	}
	memcpy(it->name, line, nl);
	it->name[nl] = '\0';
	for (i = 0; i < hl / 2; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			free(it->name);
			free(it->data);
			return -1;
		}
		it->data[i] = (unsigned char)(hi << 4 | lo);
	}
	it->len = hl / 2;
	return 0;
}

int vf_load(struct vf *vf, const char *path)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0, lineno = 0, alloc = 0;
	ssize_t got;
	int rc = 0;

	vf->items = NULL;
	vf->count = 0;
	f = fopen(path, "r");
	if (f == NULL) {
		perror(path);
		return -1;
	}
	while ((got = getline(&line, &cap, f)) >= 0) {
		size_t n = (size_t)got;
		struct vf_item it;

		lineno++;
		if (n > 0 && line[n - 1] == '\n')
			n--;
		if (n == 0 || line[0] == '#')
			continue;
		if (parse_line(line, n, &it) != 0) {
			fprintf(stderr, "%s:%zu: not a `name = hex` line\n", path, lineno);
			rc = -1;
			break;
		}
		if (vf_get(vf, it.name, NULL) != NULL) {
			fprintf(stderr, "%s:%zu: %s given twice\n", path, lineno, it.name);
			free(it.name);
			free(it.data);
			rc = -1;
			break;
		}
		if (vf->count == alloc) {
			size_t na = alloc ? 2 * alloc : 64;
			struct vf_item *ni = realloc(vf->items, na * sizeof(*ni));

			if (ni == NULL) {
				fprintf(stderr, "%s: out of memory\n", path);
				free(it.name);
				free(it.data);
				rc = -1;
				break;
			}
			vf->items = ni;
			alloc = na;
		}
		vf->items[vf->count++] = it;
	}
	if (rc == 0 && ferror(f)) {
		perror(path);
		rc = -1;
	}
	free(line);
	fclose(f);
	if (rc != 0)
		vf_free(vf);
	return rc;
}

const unsigned char *vf_get(const struct vf *vf, const char *name, size_t *len)
{
	size_t i;

	for (i = 0; i < vf->count; i++) {
		if (strcmp(vf->items[i].name, name) == 0) {
			if (len != NULL)
				*len = vf->items[i].len;
			return vf->items[i].data;
		}
	}
	return NULL;
}

void vf_free(struct vf *vf)
{
	size_t i;

	for (i = 0; i < vf->count; i++) {
		free(vf->items[i].name);
		free(vf->items[i].data);
	}
	free(vf->items);
	vf->items = NULL;
	vf->count = 0;
}
