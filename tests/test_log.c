/*
 * Tests of the daemon's logging (daemon/log.c): levels, the sd-daemon
 * prefixes, the plain style, and the rate limiter.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/log.h"

static char *buf;
static size_t len;
static FILE *mem;

static void capture(enum log_style style, int level)
{
	mem = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(mem);
	log_set_stream(mem, style);
	log_set_level(level);
}

static const char *captured(void)
{
	fflush(mem);
	return buf;
}

static void release(void)
{
	log_set_stream(NULL, LOG_STYLE_PLAIN);
	fclose(mem);
	free(buf);
	buf = NULL;
}

START_TEST(prefixes_and_levels)
{
	capture(LOG_STYLE_PREFIX, LOG_INFO);
	log_err("port %s: gone", "bus1");
	log_warn("w");
	log_notice("n");
	log_info("i");
	log_debug("not shown");
	ck_assert_str_eq(captured(), "<3>port bus1: gone\n<4>w\n<5>n\n<6>i\n");
	release();
	capture(LOG_STYLE_PLAIN, LOG_DEBUG);
	log_err("t.conf:3: baud: bad");
	log_warn("w");
	log_info("i");
	log_debug("d");
	ck_assert_str_eq(captured(), "t.conf:3: baud: bad\nwarning: w\ni\ndebug: d\n");
	release();
}
END_TEST

START_TEST(one_line_per_event)
{
	char big[3000];

	capture(LOG_STYLE_PREFIX, LOG_INFO);
	log_info("a\nb\tc");
	ck_assert_str_eq(captured(), "<6>a?b?c\n");
	release();
	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	capture(LOG_STYLE_PREFIX, LOG_INFO);
	log_info("%s", big);
	ck_assert_uint_eq(strlen(captured()), 1024);
	ck_assert_int_eq(captured()[1023], '\n');
	release();
}
END_TEST

START_TEST(level_names)
{
	ck_assert_int_eq(log_level_parse("err"), LOG_ERR);
	ck_assert_int_eq(log_level_parse("debug"), LOG_DEBUG);
	ck_assert_int_eq(log_level_parse("verbose"), -1);
	ck_assert_str_eq(log_level_name(LOG_WARNING), "warning");
	log_set_level(99);
	ck_assert_int_eq(log_level(), LOG_DEBUG);
	log_set_level(0);
	ck_assert_int_eq(log_level(), LOG_ERR);
}
END_TEST

START_TEST(rate_limit)
{
	struct log_rate rl;
	int i, shown = 0;

	memset(&rl, 0, sizeof(rl));
	capture(LOG_STYLE_PLAIN, LOG_INFO);
	for (i = 0; i < 10; i++)
		shown += log_rate(&rl, 1000 + (uint64_t)i * 1000, LOG_ERR, "port p: absent");
	ck_assert_int_eq(shown, 1);
	ck_assert_str_eq(captured(), "port p: absent\n");
	/* the next window says how many were held back */
	ck_assert(log_rate(&rl, 1000 + LOG_RATE_INTERVAL_MS, LOG_ERR, "port p: absent"));
	ck_assert_str_eq(captured(),
			 "port p: absent\nport p: absent (9 similar messages suppressed)\n");
	ck_assert(!log_rate(&rl, 2000 + LOG_RATE_INTERVAL_MS, LOG_ERR, "port p: absent"));
	ck_assert_uint_eq(log_rate_reset(&rl), 1);
	ck_assert(log_rate(&rl, 2001 + LOG_RATE_INTERVAL_MS, LOG_ERR, "port p: again"));
	release();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("log");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, prefixes_and_levels);
	tcase_add_test(tc, one_line_per_event);
	tcase_add_test(tc, level_names);
	tcase_add_test(tc, rate_limit);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
