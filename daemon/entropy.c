/*
 * serguardd: randomness (see entropy.h).
 *
 * Implementation notes:
 * - getrandom(2) returns at most 32 MiB per call and may return fewer
 *   bytes than asked when a signal interrupts it after the pool is
 *   initialised; loop until the buffer is full. EINTR before any byte is
 *   retried too. Any other error (ENOSYS on a kernel older than 3.17) is
 *   a failure the engine turns into SG_ERNG for that handshake.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "daemon/entropy.h"
#include "daemon/log.h"
#include "serguard/err.h"

int entropy_rng(void *ctx, unsigned char *buf, size_t len)
{
	size_t have = 0;

	(void)ctx;
	while (have < len) {
		ssize_t n = getrandom(buf + have, len - have, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_err("getrandom: %s", strerror(errno));
			return SG_ERNG;
		}
		have += (size_t)n;
	}
	return 0;
}
