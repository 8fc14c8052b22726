/*
 * Unit tests of serguard-device's application behaviours (device/app.c):
 * echo returns the bytes unaltered, the command service answers each
 * command, keeps keys until a power cycle, refuses what it must, and
 * telemetry numbers its samples.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../device/app.h"

static struct app a;
static unsigned char out[256];

static const char *cmd(const char *line)
{
	static char reply[257];
	long n = app_on_message(&a, (const unsigned char *)line, strlen(line), 1234, out,
				sizeof(out));

	ck_assert_int_ge(n, 0);
	memcpy(reply, out, (size_t)n);
	reply[n] = '\0';
	return reply;
}

START_TEST(kinds)
{
	enum app_kind k;

	ck_assert_int_eq(app_kind_parse("echo", &k), 0);
	ck_assert_int_eq(k, APP_ECHO);
	ck_assert_int_eq(app_kind_parse("telemetry", &k), 0);
	ck_assert_int_eq(k, APP_TELEMETRY);
	ck_assert_int_eq(app_kind_parse("command", &k), 0);
	ck_assert_int_eq(k, APP_COMMAND);
	ck_assert_int_eq(app_kind_parse("Echo", &k), -1);
	ck_assert_str_eq(app_kind_name(APP_COMMAND), "command");
}
END_TEST

START_TEST(echo_binary)
{
	const unsigned char m[5] = {0, 0xff, 'x', 0, 7};

	app_boot(&a, APP_ECHO, "a", 1);
	ck_assert_int_eq(app_on_message(&a, m, sizeof(m), 0, out, sizeof(out)), 5);
	ck_assert_mem_eq(out, m, sizeof(m));
	ck_assert_int_eq(app_on_message(&a, m, 0, 0, out, sizeof(out)), 0);
	/* an answer that does not fit is not sent */
	ck_assert_int_eq(app_on_message(&a, m, sizeof(m), 0, out, 4), -1);
}
END_TEST

START_TEST(commands)
{
	app_boot(&a, APP_COMMAND, "pump-1", 42);
	ck_assert_str_eq(cmd("ping"), "pong");
	ck_assert_str_eq(cmd("get name"), "name=pump-1");
	ck_assert_str_eq(cmd("get addr"), "addr=42");
	ck_assert_str_eq(cmd("get uptime"), "uptime=1234");
	ck_assert_str_eq(cmd("get colour"), "error unknown key colour");
	ck_assert_str_eq(cmd("set colour deep blue"), "ok colour=deep blue");
	ck_assert_str_eq(cmd("get colour"), "colour=deep blue");
	ck_assert_str_eq(cmd("set colour red"), "ok colour=red");
	ck_assert_str_eq(cmd("get colour"), "colour=red");
	ck_assert_str_eq(cmd("set name x"), "error read-only key name");
	ck_assert_str_eq(cmd("set nokey"), "error usage: set KEY VALUE");
	ck_assert_str_eq(cmd("get "), "error bad key");
	ck_assert_str_eq(cmd("get a b"), "error bad key");
	ck_assert_str_eq(cmd("PING"), "error unknown command");
	ck_assert_str_eq(cmd(""), "error unknown command");
	ck_assert_str_eq(cmd("ping\x1b[2J"), "error unknown command");
	{
		const unsigned char nul[6] = {'p', 'i', 'n', 'g', 0, 'x'};
		long n = app_on_message(&a, nul, sizeof(nul), 0, out, sizeof(out));

		ck_assert_int_gt(n, 0);
		ck_assert_mem_eq(out, "error unknown command", (size_t)n);
	}
	/* a power cycle forgets what was set */
	app_boot(&a, APP_COMMAND, "pump-1", 42);
	ck_assert_str_eq(cmd("get colour"), "error unknown key colour");
}
END_TEST

START_TEST(command_room)
{
	char line[64], want[64];
	int i;

	app_boot(&a, APP_COMMAND, "d", 1);

	for (i = 0; i < APP_KV_MAX; i++) {
		snprintf(line, sizeof(line), "set k%d v", i);
		snprintf(want, sizeof(want), "ok k%d=v", i);
		ck_assert_str_eq(cmd(line), want);
	}
	ck_assert_str_eq(cmd("set one-more v"), "error no room for one-more");
	ck_assert_str_eq(cmd("set k3 w"), "ok k3=w"); /* existing keys still change */
}
END_TEST

START_TEST(telemetry)
{
	char t[128];
	long n;

	app_boot(&a, APP_TELEMETRY, "b", 2);
	n = app_telemetry(&a, 1500, t, sizeof(t));
	ck_assert_int_gt(n, 0);
	ck_assert_str_eq(t, "telemetry b seq=1 t=1500");
	n = app_telemetry(&a, 2500, t, sizeof(t));
	ck_assert_str_eq(t, "telemetry b seq=2 t=2500");
	ck_assert_int_eq(n, (long)strlen(t));
	/* received messages are not answered */
	ck_assert_int_eq(app_on_message(&a, (const unsigned char *)"ping", 4, 0, out,
					sizeof(out)), -1);
	ck_assert_int_eq(app_telemetry(&a, 1, t, 8), -1);
	app_boot(&a, APP_TELEMETRY, "b", 2);
	app_telemetry(&a, 0, t, sizeof(t));
	ck_assert_str_eq(t, "telemetry b seq=1 t=0");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("device_app");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, kinds);
	tcase_add_test(tc, echo_binary);
	tcase_add_test(tc, commands);
	tcase_add_test(tc, command_room);
	tcase_add_test(tc, telemetry);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
