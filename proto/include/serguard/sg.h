/*
 * serguard protocol core: umbrella header.
 *
 * Memory: the core never allocates. Every structure and every buffer the
 * core works on belongs to the caller, who must keep it alive and
 * unmoved for as long as the object that points to it is in use. Nothing
 * in the core is global: two engines in one process (as in the tests) do
 * not share state.
 *
 * Time and randomness come from the caller: monotonic time in
 * milliseconds is an argument of every call that needs it, wall-clock
 * time is pushed in only for certificate validity, and random bytes come
 * through a callback of type sg_rng_fn.
 *
 * I/O: the core is sans-I/O. It consumes bytes the caller pushes in and
 * produces bytes the caller takes out and writes to the line.
 */
#ifndef SERGUARD_SG_H
#define SERGUARD_SG_H

#include <stddef.h>
#include <stdint.h>

#include "serguard/err.h"

/* Random-byte source with mbedTLS's f_rng shape: fill buf with len
 * bytes, return 0 on success, non-zero on failure (the core then fails
 * with SG_ERNG). */
typedef int (*sg_rng_fn)(void *ctx, unsigned char *buf, size_t len);

/* Overwrite len bytes at p with zeros in a way the compiler may not
 * elide. Use for every secret before its storage is released. */
void sg_wipe(void *p, size_t len);

/* Compare two buffers in time that depends only on len. Returns 1 when
 * equal, 0 otherwise. */
int sg_ct_equal(const void *a, const void *b, size_t len);

#endif
