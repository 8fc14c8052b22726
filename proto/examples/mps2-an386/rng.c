/*
 * RNG hook (see rng.h): HMAC_DRBG over an entropy source.
 *
 * Implementation notes:
 * - mbedtls_hmac_drbg_random() reseeds by itself from rng_entropy()
 *   every MBEDTLS_HMAC_DRBG_RESEED_INTERVAL requests (10000), and
 *   rng_bytes() asks in pieces of at most MBEDTLS_HMAC_DRBG_MAX_REQUEST
 *   bytes (1024).
 * - The personalization string names the device (the unique value), so
 *   two devices with the same entropy source state still differ.
 * - rng_entropy() is THE porting point. The emulator's version hashes
 *   what it has (the unique value, a call counter, the hardware timer and
 *   SysTick counters): deterministic, NOT entropy.
 */
#include "rng.h"

#include <stdint.h>
#include <string.h>

#include <mbedtls/hmac_drbg.h>
#include <mbedtls/md.h>
#include <mbedtls/sha256.h>

#include "board.h"
#include "clock.h"

static mbedtls_hmac_drbg_context drbg;
static unsigned char unique_hash[32];
static uint32_t entropy_calls;

/*
 * The entropy source, with mbedTLS's f_entropy shape. On a real part:
 * read len bytes from the TRNG (STM32 RNG->DR, nRF RNG->VALUE, the
 * TRNG of an SE050 or ATECC608, ...), checking its health flags, and
 * return non-zero when it reports an error.
 */
static int rng_entropy(void *ctx, unsigned char *out, size_t len)
{
	unsigned char block[32];
	mbedtls_sha256_context h;
	uint32_t v[3];
	size_t n;

	(void)ctx;
	while (len > 0) {
		/* EMULATOR ONLY: not entropy (see rng.h) */
		v[0] = ++entropy_calls;
		v[1] = clock_cycles();
		v[2] = SYST_CVR;
		mbedtls_sha256_init(&h);
		if (mbedtls_sha256_starts_ret(&h, 0) != 0 ||
		    mbedtls_sha256_update_ret(&h, unique_hash, sizeof(unique_hash)) != 0 ||
		    mbedtls_sha256_update_ret(&h, (const unsigned char *)v, sizeof(v)) != 0 ||
		    mbedtls_sha256_finish_ret(&h, block) != 0) {
			mbedtls_sha256_free(&h);
			return -1;
		}
		mbedtls_sha256_free(&h);
		n = len < sizeof(block) ? len : sizeof(block);
		memcpy(out, block, n);
		out += n;
		len -= n;
	}
	return 0;
}

int rng_init(const unsigned char *unique, size_t len)
{
	if (mbedtls_sha256_ret(unique, len, unique_hash, 0) != 0)
		return -1;
	mbedtls_hmac_drbg_init(&drbg);
	if (mbedtls_hmac_drbg_seed(&drbg, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256),
				   rng_entropy, NULL, unique_hash, sizeof(unique_hash)) != 0)
		return -1;
	return 0;
}

int rng_bytes(void *ctx, unsigned char *buf, size_t len)
{
	size_t n;

	(void)ctx;
	while (len > 0) {
		n = len < MBEDTLS_HMAC_DRBG_MAX_REQUEST ? len : MBEDTLS_HMAC_DRBG_MAX_REQUEST;
		if (mbedtls_hmac_drbg_random(&drbg, buf, n) != 0)
			return -1;
		buf += n;
		len -= n;
	}
	return 0;
}
