/*
 * serguard-device: event log on stderr.
 *
 * Lines are "serguard-device: T.TTT NAME: event", T in seconds since the
 * emulator started (monotonic), so a test log reads as a timeline.
 * log_event() prints only with -v; log_warn() always.
 */
#ifndef SG_DEVICE_LOG_H
#define SG_DEVICE_LOG_H

#include <stdbool.h>
#include <stddef.h>

void log_init(bool verbose);
bool log_verbose(void);
__attribute__((format(printf, 2, 3))) void log_event(const char *who, const char *fmt, ...);
__attribute__((format(printf, 2, 3))) void log_warn(const char *who, const char *fmt, ...);

/* Printable form of message bytes for a log line: at most cap - 1
 * characters, non-printable bytes as \xHH, "..." when cut. */
void log_quote(const unsigned char *p, size_t len, char *out, size_t cap);

#endif
