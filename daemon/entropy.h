/*
 * serguardd: randomness for the session engines.
 *
 * EDHOC needs random ephemeral keys, connection identifiers and ECDSA
 * blinding; the engine asks for them through an sg_rng_fn. On Linux the
 * kernel's CSPRNG through getrandom(2) is the right source: it blocks
 * only until the pool is first initialised at boot, never afterwards, and
 * needs no file descriptor (so it keeps working in a chroot or when the
 * descriptor limit is reached).
 */
#ifndef SERGUARDD_ENTROPY_H
#define SERGUARDD_ENTROPY_H

#include <stddef.h>

/* An sg_rng_fn: fills buf with len random bytes. ctx is unused (NULL).
 * Returns 0, or SG_ERNG (logged) if the kernel refuses. */
int entropy_rng(void *ctx, unsigned char *buf, size_t len);

#endif
