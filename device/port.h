/*
 * serguard-device: the serial port (a tty or one end of a pty pair).
 */
#ifndef SG_DEVICE_PORT_H
#define SG_DEVICE_PORT_H

#include <stddef.h>

/*
 * Open path (O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK) and put it in
 * raw mode: 8N1, no flow control, no echo, no line discipline. baud > 0
 * sets that speed on a real UART (a pty accepts it and ignores it; the
 * emulator paces bytes itself, see line.h); a speed termios does not
 * know is an error. Returns the fd, or -1 with a message in err.
 */
int port_open(const char *path, unsigned baud, char *err, size_t errlen);

#endif
