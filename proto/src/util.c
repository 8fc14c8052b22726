/*
 * Small helpers every layer needs: wiping secrets and constant-time
 * comparison.
 *
 * sg_wipe() writes through a volatile pointer so that the compiler cannot
 * prove the stores dead and remove them (the classic memset-before-free
 * problem); this is the same technique as mbedtls_platform_zeroize, kept
 * here so that the core does not depend on mbedTLS outside the adapter.
 */
#include "serguard/sg.h"

void sg_wipe(void *p, size_t len)
{
	volatile unsigned char *v = p;

	while (len > 0) {
		*v++ = 0;
		len--;
	}
}

int sg_ct_equal(const void *a, const void *b, size_t len)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char diff = 0;
	size_t i;

	for (i = 0; i < len; i++)
		diff |= (unsigned char)(x[i] ^ y[i]);
	/* Map 0 -> 1 and 1..255 -> 0 without a data-dependent branch. */
	return (int)(1 & (((unsigned)diff - 1u) >> 8));
}
