/*
 * serguardd: private key files (see keyfile.h).
 *
 * Implementation notes:
 * - open() first, then fstat() the descriptor: the checks apply to the
 *   file actually read. O_NOCTTY and O_NONBLOCK keep a FIFO or a device
 *   named by mistake from blocking or becoming our terminal; it is then
 *   refused as not a regular file.
 * - The buffer is wiped with sg_wipe() (which the compiler cannot elide)
 *   before it is freed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/keyfile.h"
#include "daemon/log.h"
#include "serguard/sg.h"

static int keyfile_open(const char *path, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0) {
		log_err("%s: cannot open the private key: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, st) != 0) {
		log_err("%s: cannot stat the private key: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		log_err("%s: the private key is not a regular file", path);
		close(fd);
		return -1;
	}
	if (st->st_mode & (S_IRWXG | S_IRWXO)) {
		log_err("%s: private key file is accessible by group or others (mode %04o); run: "
			"chmod 600 %s",
			path, (unsigned)(st->st_mode & 07777), path);
		close(fd);
		return -1;
	}
	if (st->st_uid != geteuid() && st->st_uid != 0) {
		log_err("%s: private key file belongs to uid %u, not to the daemon's user (uid %u) "
			"or root; run: chown %u %s",
			path, (unsigned)st->st_uid, (unsigned)geteuid(), (unsigned)geteuid(), path);
		close(fd);
		return -1;
	}
	if (st->st_size > (off_t)KEYFILE_MAX) {
		log_err("%s: the private key file is larger than %u bytes", path, KEYFILE_MAX);
		close(fd);
		return -1;
	}
	return fd;
}

int keyfile_check(const char *path)
{
	struct stat st;
	int fd = keyfile_open(path, &st);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

int keyfile_read(const char *path, unsigned char **buf, size_t *len)
{
	struct stat st;
	unsigned char *b;
	size_t cap, have = 0;
	int fd = keyfile_open(path, &st);

	if (fd < 0)
		return -1;
	cap = (size_t)st.st_size;
	b = malloc(cap + 1);
	if (b == NULL) {
		log_err("%s: out of memory", path);
		close(fd);
		return -1;
	}
	while (have < cap) {
		ssize_t n = read(fd, b + have, cap - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_err("%s: cannot read the private key: %s", path,
				n < 0 ? strerror(errno) : "file shrank");
			keyfile_release(b, cap + 1);
			close(fd);
			return -1;
		}
		have += (size_t)n;
	}
	close(fd);
	b[have] = 0;
	*buf = b;
	*len = have;
	return 0;
}

void keyfile_release(unsigned char *buf, size_t len)
{
	if (buf == NULL)
		return;
	sg_wipe(buf, len);
	free(buf);
}
