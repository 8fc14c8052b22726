/*
 * serguardd: reading a private key file.
 *
 * The permission check belongs where the key is read, on the open
 * descriptor (fstat, no race with a chmod in between): a key that anyone
 * but the daemon's user can read is refused, with the file's name and
 * the command that fixes it.
 */
#ifndef SERGUARDD_KEYFILE_H
#define SERGUARDD_KEYFILE_H

#include <stddef.h>

#define KEYFILE_MAX (64u * 1024u)

/*
 * Read the private key file at path into a new buffer (*buf, *len; a NUL
 * follows the bytes, not counted). Refuses (-1, logged) a file that is
 * missing, not a regular file, larger than KEYFILE_MAX, accessible by
 * group or others, or owned by a user other than the daemon's or root.
 * Release the buffer with keyfile_release(), which wipes it.
 */
int keyfile_read(const char *path, unsigned char **buf, size_t *len);
/* Only the checks, without keeping the contents. */
int keyfile_check(const char *path);
void keyfile_release(unsigned char *buf, size_t len);

#endif
