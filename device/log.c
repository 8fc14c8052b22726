/*
 * serguard-device: event log (see log.h).
 *
 * Notes: the only file-scope state of the program besides the signal
 * flags: whether -v was given and when the program started. Each line
 * is formatted into one buffer and written with one fputs, so lines of
 * one process never interleave.
 */
#include "log.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

static bool verbose_on;
static struct timespec t0;

void log_init(bool verbose)
{
	verbose_on = verbose;
	clock_gettime(CLOCK_MONOTONIC, &t0);
}

bool log_verbose(void)
{
	return verbose_on;
}

static void emit(const char *who, const char *fmt, va_list ap)
{
	char line[1024];
	struct timespec t;
	long long ms;
	int n;

	clock_gettime(CLOCK_MONOTONIC, &t);
	ms = (long long)(t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
	n = snprintf(line, sizeof(line), "serguard-device: %lld.%03lld %s%s", ms / 1000,
		     ms % 1000, who != NULL ? who : "", who != NULL ? ": " : "");
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	fputs(line, stderr);
	fputc('\n', stderr);
	fflush(stderr);
}

void log_event(const char *who, const char *fmt, ...)
{
	va_list ap;

	if (!verbose_on)
		return;
	va_start(ap, fmt);
	emit(who, fmt, ap);
	va_end(ap);
}

void log_warn(const char *who, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(who, fmt, ap);
	va_end(ap);
}

void log_quote(const unsigned char *p, size_t len, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	if (cap == 0)
		return;
	for (i = 0; i < len; i++) {
		if (o + 8 >= cap) {
			if (o + 4 <= cap) {
				out[o++] = '.';
				out[o++] = '.';
				out[o++] = '.';
			}
			break;
		}
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\') {
			out[o++] = (char)p[i];
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[p[i] >> 4];
			out[o++] = hex[p[i] & 15];
		}
	}
	out[o] = '\0';
}
