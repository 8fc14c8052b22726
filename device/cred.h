/*
 * serguard-device: credential files.
 *
 * A device's credential is a certificate (DER) and its private key as
 * the 32-byte big-endian P-256 scalar, in NAME.crt.der and NAME.key.raw
 * (the layout of serguard-pki(1) and tests/pki/fixtures/). Firmware has
 * these in flash; the emulator reads them once at start, and a power
 * cycle keeps them, as flash would.
 */
#ifndef SG_DEVICE_CRED_H
#define SG_DEVICE_CRED_H

#include <stdbool.h>
#include <stddef.h>

#define CRED_CERT_MAX 2048
#define CRED_KEY_LEN 32

struct cred {
	unsigned char cert[CRED_CERT_MAX];
	size_t cert_len;
	unsigned char key[CRED_KEY_LEN];
};

/*
 * Read a whole file of at most cap bytes into buf. Returns 0 and sets
 * *len, or -1 with a message in err (errlen bytes): cannot open, read
 * error, empty, larger than cap.
 */
int cred_read_file(const char *path, unsigned char *buf, size_t cap, size_t *len,
		   char *err, size_t errlen);

/*
 * Load BASE.crt.der and BASE.key.raw into c. The key file must be
 * exactly 32 bytes. When it can be read by group or others, a warning
 * goes into warn (warnlen bytes; "" when none): test keys are public
 * anyway, so this is not fatal for an emulator. Returns 0 or -1 with a
 * message in err. On failure c holds no key bytes.
 */
int cred_load(struct cred *c, const char *base, char *err, size_t errlen, char *warn,
	      size_t warnlen);

/* Wipe the private key. */
void cred_wipe(struct cred *c);

#endif
