/*
 * The RNG hook: random bytes for the engine (ephemeral ECDH keys,
 * connection identifiers, ECDSA blinding) through sg_rng_fn.
 *
 * A deterministic random bit generator (HMAC_DRBG with SHA-256, NIST SP
 * 800-90A, from mbedTLS) seeded and reseeded from rng_entropy() in rng.c.
 *
 *   A REAL DEVICE MUST READ ITS HARDWARE TRNG IN rng_entropy().
 *
 * QEMU's mps2-an386 has no TRNG. The emulator build seeds from a
 * device-unique value and the clock, which is enough to make two
 * emulated devices differ and NOT enough for security: anyone who knows
 * the value can predict every "random" byte. Ephemeral keys from such a
 * generator give no forward secrecy.
 */
#ifndef FW_RNG_H
#define FW_RNG_H

#include <stddef.h>

/* Seed the generator. unique: a device-unique value (a chip's unique ID
 * register; here the device certificate). Call after the mbedTLS heap
 * is set up (the DRBG's hash context lives there). Returns 0 or -1. */
int rng_init(const unsigned char *unique, size_t len);
/* sg_rng_fn: fill buf with len random bytes; 0 on success. */
int rng_bytes(void *ctx, unsigned char *buf, size_t len);

#endif
