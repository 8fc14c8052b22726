/*
 * serguard-device: credential files (see cred.h).
 *
 * Notes: the key is read straight into the caller's struct and wiped on
 * every failure path; no copy stays in a stdio buffer because the file
 * is read with read(2), not fread.
 */
#include "cred.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "serguard/sg.h"

int cred_read_file(const char *path, unsigned char *buf, size_t cap, size_t *len,
		   char *err, size_t errlen)
{
	size_t got = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		unsigned char extra;
		ssize_t n;

		if (got == cap) {
			/* full: the file must end here */
			n = read(fd, &extra, 1);
			if (n == 0)
				break;
			if (n > 0) {
				snprintf(err, errlen, "%s: larger than %zu bytes", path, cap);
				goto fail;
			}
		} else {
			n = read(fd, buf + got, cap - got);
			if (n == 0)
				break;
			if (n > 0) {
				got += (size_t)n;
				continue;
			}
		}
		if (errno == EINTR)
			continue;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	close(fd);
	if (got == 0) {
		snprintf(err, errlen, "%s: empty file", path);
		return -1;
	}
	*len = got;
	return 0;
fail:
	close(fd);
	sg_wipe(buf, cap);
	return -1;
}

int cred_load(struct cred *c, const char *base, char *err, size_t errlen, char *warn,
	      size_t warnlen)
{
	char path[4096];
	struct stat st;
	size_t n = 0;

	warn[0] = '\0';
	memset(c, 0, sizeof(*c));
	if (snprintf(path, sizeof(path), "%s.crt.der", base) >= (int)sizeof(path)) {
		snprintf(err, errlen, "%s: path too long", base);
		return -1;
	}
	if (cred_read_file(path, c->cert, sizeof(c->cert), &c->cert_len, err, errlen) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s.key.raw", base);
	if (cred_read_file(path, c->key, sizeof(c->key), &n, err, errlen) != 0)
		return -1;
	if (n != CRED_KEY_LEN) {
		snprintf(err, errlen, "%s: not a %d-byte raw P-256 key (%zu bytes)", path,
			 CRED_KEY_LEN, n);
		cred_wipe(c);
		return -1;
	}
	if (stat(path, &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
		snprintf(warn, warnlen, "%s: private key is accessible by group or others (mode %03o)",
			 path, (unsigned)(st.st_mode & 0777));
	return 0;
}

void cred_wipe(struct cred *c)
{
	sg_wipe(c->key, sizeof(c->key));
}
