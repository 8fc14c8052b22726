/*
 * serguardd: logging to stderr, one line per event.
 *
 * Under systemd (stderr connected to the journal, detected through
 * $JOURNAL_STREAM) every line starts with an sd-daemon priority prefix
 * ("<3>" error ... "<7>" debug) that journald turns into PRIORITY=. On a
 * terminal or a pipe the line is printed as is, with "warning: " or
 * "debug: " in front of those levels, so that configuration errors read
 * "FILE:LINE: option: message" exactly.
 *
 * Levels are the syslog numbers (LOG_ERR .. LOG_DEBUG from <syslog.h>).
 * Lines above the current level are dropped before formatting.
 */
#ifndef SERGUARDD_LOG_H
#define SERGUARDD_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <syslog.h>

enum log_style {
	LOG_STYLE_AUTO = 0, /* journal prefixes if stderr is the journal */
	LOG_STYLE_PLAIN,    /* no prefixes */
	LOG_STYLE_PREFIX    /* sd-daemon "<N>" prefixes */
};

/* Set the level and detect the style for stderr. May be called again. */
void log_init(int level, enum log_style style);
/* Send lines to f instead of stderr (tests); NULL restores stderr. The
 * caller keeps ownership of f. */
void log_set_stream(FILE *f, enum log_style style);
void log_set_level(int level);
int log_level(void);
/* Parse "err", "warning", "notice", "info" or "debug"; -1 if unknown. */
int log_level_parse(const char *s);
const char *log_level_name(int level);

/* Also give every error and warning line (without prefix or newline,
 * whatever the level) to fn, until log_set_tap(NULL, NULL): a reload
 * requested on the control socket returns them to the operator. */
typedef void (*log_tap_fn)(void *arg, int prio, const char *line);
void log_set_tap(log_tap_fn fn, void *arg);

void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/*
 * Rate limiter for an event that can repeat for as long as a condition
 * lasts (a port that stays absent, a device that keeps failing). One per
 * object and event, zeroed by the owner. Within LOG_RATE_INTERVAL_MS at
 * most LOG_RATE_BURST lines pass; the others are counted, and the next
 * line that passes says how many were suppressed. log_rate_reset() when
 * the condition clears (it returns the count still unreported, so the
 * "recovered" line can mention it).
 */
#define LOG_RATE_INTERVAL_MS 60000u
#define LOG_RATE_BURST 1u

struct log_rate {
	uint64_t start_ms; /* start of the current window */
	unsigned passed;   /* lines passed in the window */
	unsigned suppressed;
	bool started;
};

/* Returns true if the line was printed. */
bool log_rate(struct log_rate *rl, uint64_t now_ms, int prio, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
unsigned log_rate_reset(struct log_rate *rl);

#endif
