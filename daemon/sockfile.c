/*
 * serguardd: Unix socket files (see sockfile.h).
 *
 * Implementation notes:
 * - Stale or live: connect() to the existing file. ECONNREFUSED means
 *   nobody listens (stale: removed and replaced); success, EAGAIN (a full
 *   backlog) or EPROTOTYPE (a live socket of another type) mean someone
 *   does, and it is left alone.
 * - umask is process-wide; the daemon is single-threaded, so setting it
 *   around bind() is safe.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/log.h"
#include "daemon/sockfile.h"

/* Create the missing directories above path (0755). */
static int make_parents(const char *what, const char *path)
{
	char d[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *p;

	strcpy(d, path);
	for (p = d + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(d, 0755) != 0 && errno != EEXIST) {
			log_err("%s: cannot create the directory %s: %s", what, d, strerror(errno));
			return -1;
		}
		*p = '/';
	}
	return 0;
}

/* 0 when there is no file at the path (any more); -1 (logged) when the
 * file there must be left alone. */
static int clear_stale(const char *what, const struct sockaddr_un *sa, int type)
{
	struct stat st;
	int fd, r, e;

	if (lstat(sa->sun_path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		log_err("%s: %s: %s", what, sa->sun_path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		log_err("%s: %s exists and is not a socket; not replacing it", what, sa->sun_path);
		return -1;
	}
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		log_err("%s: socket: %s", what, strerror(errno));
		return -1;
	}
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	e = errno;
	close(fd);
	if (r == 0 || e == EAGAIN || e == EPROTOTYPE) {
		log_err("%s: %s is in use by another process; not replacing it", what,
			sa->sun_path);
		return -1;
	}
	if (e != ECONNREFUSED && e != ENOENT) {
		log_err("%s: %s: cannot tell whether it is in use: %s", what, sa->sun_path,
			strerror(e));
		return -1;
	}
	if (unlink(sa->sun_path) != 0 && errno != ENOENT) {
		log_err("%s: cannot remove the stale socket %s: %s", what, sa->sun_path,
			strerror(errno));
		return -1;
	}
	log_info("%s: replaced the stale socket %s", what, sa->sun_path);
	return 0;
}

int sockfile_listen(const char *what, const char *path, int type, unsigned mode, gid_t gid,
		    int backlog, struct sockfile *id)
{
	struct sockaddr_un sa;
	struct stat st;
	mode_t old;
	int fd, r;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_err("%s: socket path too long: %s", what, path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	if (make_parents(what, path) != 0 || clear_stale(what, &sa, type) != 0)
		return -1;
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		log_err("%s: socket: %s", what, strerror(errno));
		return -1;
	}
	old = umask(0177);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r != 0) {
		log_err("%s: cannot bind %s: %s", what, path, strerror(errno));
		close(fd);
		return -1;
	}
	if ((gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) != 0) ||
	    chmod(path, (mode_t)mode) != 0 || lstat(path, &st) != 0) {
		log_err("%s: cannot set the group or mode of %s: %s", what, path, strerror(errno));
		unlink(path);
		close(fd);
		return -1;
	}
	if (listen(fd, backlog) != 0) {
		log_err("%s: listen on %s: %s", what, path, strerror(errno));
		unlink(path);
		close(fd);
		return -1;
	}
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	return fd;
}

void sockfile_remove(const char *path, const struct sockfile *id)
{
	struct stat st;

	if (lstat(path, &st) == 0 && st.st_dev == id->dev && st.st_ino == id->ino)
		unlink(path);
}
