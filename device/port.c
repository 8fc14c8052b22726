/*
 * serguard-device: the serial port (see port.h).
 *
 * Notes: plain termios, no libserialport: that library cannot open
 * pseudo-terminals (design notes, notes-gateway.md 0.1), and a pty is
 * what tests and demos use. VMIN = 1 / VTIME = 0 with O_NONBLOCK: a read
 * returns what is there, -1/EAGAIN when nothing is (with VMIN = 0 Linux
 * returns 0 instead, which would look like a hang-up), 0 on hang-up.
 */
#include "port.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static int speed_of(unsigned baud, speed_t *out)
{
	static const struct {
		unsigned baud;
		speed_t speed;
	} map[] = {
		{1200, B1200},	   {2400, B2400},     {4800, B4800},	 {9600, B9600},
		{19200, B19200},   {38400, B38400},   {57600, B57600},	 {115200, B115200},
		{230400, B230400}, {460800, B460800}, {921600, B921600},
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (map[i].baud == baud) {
			*out = map[i].speed;
			return 0;
		}
	}
	return -1;
}

int port_open(const char *path, unsigned baud, char *err, size_t errlen)
{
	struct termios t;
	speed_t sp = B0;
	int fd;

	if (baud != 0 && speed_of(baud, &sp) != 0) {
		snprintf(err, errlen, "%u baud: not a standard termios speed", baud);
		return -1;
	}
	fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (tcgetattr(fd, &t) != 0) {
		snprintf(err, errlen, "%s: not a terminal: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	cfmakeraw(&t);
	t.c_cflag |= CLOCAL | CREAD;
	t.c_cflag &= ~(tcflag_t)(CSTOPB | PARENB | CRTSCTS);
	t.c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (baud != 0 && (cfsetispeed(&t, sp) != 0 || cfsetospeed(&t, sp) != 0)) {
		snprintf(err, errlen, "%s: cannot set %u baud: %s", path, baud, strerror(errno));
		close(fd);
		return -1;
	}
	if (tcsetattr(fd, TCSANOW, &t) != 0) {
		snprintf(err, errlen, "%s: cannot set raw mode: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}
