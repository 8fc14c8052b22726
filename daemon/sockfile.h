/*
 * serguardd: Unix socket files the daemon listens on (the device sockets
 * and the control socket).
 *
 * sockfile_listen() creates the missing directories above the path
 * (0755), replaces a stale socket file left by a dead daemon (nobody
 * accepts on it), and refuses to touch a live socket (another daemon
 * answers) or a file that is not a socket. The socket is bound under
 * umask 0177, so the file starts as 0600 (owner only), then gets the
 * group and the mode asked for: it is never more open than configured.
 * sockfile_remove() removes the file only if it is still the one bound
 * (same device and inode), never a file that replaced it.
 */
#ifndef SERGUARDD_SOCKFILE_H
#define SERGUARDD_SOCKFILE_H

#include <sys/types.h>

struct sockfile {
	dev_t dev;
	ino_t ino;
};

/*
 * A listening, nonblocking, close-on-exec AF_UNIX socket of the given
 * type (SOCK_STREAM, SOCK_SEQPACKET) at path, with permission bits mode
 * and group gid ((gid_t)-1: the daemon's). what names the owner in log
 * lines ("device pump-1", "control socket"). Returns the descriptor, or
 * -1 (logged).
 */
int sockfile_listen(const char *what, const char *path, int type, unsigned mode, gid_t gid,
		    int backlog, struct sockfile *id);
void sockfile_remove(const char *path, const struct sockfile *id);

#endif
