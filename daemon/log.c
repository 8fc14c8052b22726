/*
 * serguardd: logging.
 *
 * Implementation notes:
 * - One fputs() per line on an unbuffered stderr, so lines from one
 *   process are never interleaved mid-line and nothing sits in a buffer
 *   when the process dies.
 * - The journal is recognised the way sd-daemon documents it:
 *   $JOURNAL_STREAM is "DEV:INODE" of the stream systemd connected, and
 *   it counts only if stderr is still that stream (a child may have
 *   redirected it).
 * - Lines are cut at LOG_LINE_MAX; a newline inside a message would make
 *   two journal entries, so control characters are replaced by '?'.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon/log.h"

#define LOG_LINE_MAX 1024

static int cur_level = LOG_INFO;
static log_tap_fn tap;
static void *tap_arg;
static enum log_style cur_style = LOG_STYLE_PLAIN;
static FILE *out;

static const char *const level_names[8] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"
};

static bool stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (e == NULL || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(fileno(stderr), &st) != 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_init(int level, enum log_style style)
{
	log_set_level(level);
	if (style == LOG_STYLE_AUTO)
		style = stderr_is_journal() ? LOG_STYLE_PREFIX : LOG_STYLE_PLAIN;
	cur_style = style;
}

void log_set_stream(FILE *f, enum log_style style)
{
	out = f;
	cur_style = style == LOG_STYLE_AUTO ? LOG_STYLE_PLAIN : style;
}

void log_set_level(int level)
{
	if (level < LOG_ERR)
		level = LOG_ERR;
	if (level > LOG_DEBUG)
		level = LOG_DEBUG;
	cur_level = level;
}

int log_level(void)
{
	return cur_level;
}

int log_level_parse(const char *s)
{
	int i;

	for (i = LOG_ERR; i <= LOG_DEBUG; i++)
		if (strcmp(s, level_names[i]) == 0)
			return i;
	return -1;
}

const char *log_level_name(int level)
{
	if (level < 0 || level > LOG_DEBUG)
		return "?";
	return level_names[level];
}

static void log_vmsg(int prio, const char *suffix, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX + 64];
	size_t n = 0, i, skip;
	int r;

	if (prio > cur_level && (tap == NULL || prio > LOG_WARNING))
		return;
	if (cur_style == LOG_STYLE_PREFIX)
		r = snprintf(line, sizeof(line), "<%d>", prio);
	else if (prio == LOG_WARNING)
		r = snprintf(line, sizeof(line), "warning: ");
	else if (prio == LOG_DEBUG)
		r = snprintf(line, sizeof(line), "debug: ");
	else
		r = 0;
	n = r > 0 ? (size_t)r : 0;
	skip = n;
	r = vsnprintf(line + n, LOG_LINE_MAX - n, fmt, ap);
	if (r > 0)
		n += (size_t)r < LOG_LINE_MAX - n ? (size_t)r : LOG_LINE_MAX - n - 1;
	for (i = 0; i < n; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	if (suffix != NULL) {
		r = snprintf(line + n, sizeof(line) - n, "%s", suffix);
		if (r > 0)
			n += (size_t)r < sizeof(line) - n ? (size_t)r : sizeof(line) - n - 1;
	}
	line[n] = '\0';
	if (tap != NULL && prio <= LOG_WARNING)
		tap(tap_arg, prio, line + skip);
	if (prio > cur_level)
		return;
	line[n++] = '\n';
	line[n] = '\0';
	fputs(line, out != NULL ? out : stderr);
	if (out != NULL)
		fflush(out);
}

void log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(prio, NULL, fmt, ap);
	va_end(ap);
}

bool log_rate(struct log_rate *rl, uint64_t now_ms, int prio, const char *fmt, ...)
{
	char suffix[64];
	va_list ap;

	if (!rl->started || now_ms - rl->start_ms >= LOG_RATE_INTERVAL_MS) {
		rl->started = true;
		rl->start_ms = now_ms;
		rl->passed = 0;
	}
	if (rl->passed >= LOG_RATE_BURST) {
		rl->suppressed++;
		return false;
	}
	rl->passed++;
	suffix[0] = '\0';
	if (rl->suppressed > 0)
		snprintf(suffix, sizeof(suffix), " (%u similar messages suppressed)",
			 rl->suppressed);
	rl->suppressed = 0;
	va_start(ap, fmt);
	log_vmsg(prio, suffix[0] != '\0' ? suffix : NULL, fmt, ap);
	va_end(ap);
	return true;
}

void log_set_tap(log_tap_fn fn, void *arg)
{
	tap = fn;
	tap_arg = arg;
}

unsigned log_rate_reset(struct log_rate *rl)
{
	unsigned n = rl->suppressed;

	memset(rl, 0, sizeof(*rl));
	return n;
}
