/*
 * serguardd: a growable text buffer, for replies on the control socket.
 *
 * Appending never fails visibly: when memory runs out the buffer keeps
 * what it has and sets oom, which the caller checks once at the end.
 */
#ifndef SERGUARDD_BUF_H
#define SERGUARDD_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
	char *p;    /* NUL-terminated when len > 0 */
	size_t len;
	size_t cap;
	bool oom;
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_add(struct buf *b, const char *s, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s as a JSON string, quotes included (control characters escaped;
 * bytes that are not valid UTF-8 become U+FFFD). */
void buf_json_str(struct buf *b, const char *s);
/* s as a Prometheus label value, quotes included (\\, \" and \n). */
void buf_prom_str(struct buf *b, const char *s);

#endif
