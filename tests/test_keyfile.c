/*
 * Tests of private key file loading (daemon/keyfile.c): a key readable
 * by anyone but its owner is refused with the file's name and the fix.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/keyfile.h"
#include "daemon/log.h"

static char dir[64], path[128], *out;
static size_t outlen;
static FILE *mem;

static void setup(void)
{
	int fd;

	snprintf(dir, sizeof(dir), "/tmp/sg-test-keyfile.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/gw.key", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "-----BEGIN EC PRIVATE KEY-----\n", 31), 31);
	close(fd);
	mem = open_memstream(&out, &outlen);
	log_set_stream(mem, LOG_STYLE_PLAIN);
}

static void teardown(void)
{
	log_set_stream(NULL, LOG_STYLE_PLAIN);
	fclose(mem);
	free(out);
	unlink(path);
	rmdir(dir);
}

/* Forget what was logged so far. */
static void relog(void)
{
	log_set_stream(NULL, LOG_STYLE_PLAIN);
	fclose(mem);
	free(out);
	out = NULL;
	mem = open_memstream(&out, &outlen);
	log_set_stream(mem, LOG_STYLE_PLAIN);
}

static const char *logged(void)
{
	fflush(mem);
	return out != NULL ? out : "";
}

START_TEST(private_key_is_read)
{
	unsigned char *buf;
	size_t len;

	ck_assert_int_eq(keyfile_read(path, &buf, &len), 0);
	ck_assert_uint_eq(len, 31);
	ck_assert_int_eq(memcmp(buf, "-----BEGIN EC", 13), 0);
	ck_assert_int_eq(buf[len], 0);
	keyfile_release(buf, len);
	ck_assert_int_eq(keyfile_check(path), 0);
	chmod(path, 0400);
	ck_assert_int_eq(keyfile_check(path), 0);
	ck_assert_str_eq(logged(), "");
}
END_TEST

START_TEST(readable_by_others_is_refused)
{
	static const mode_t bad[] = { 0644, 0640, 0604, 0620, 0601 };
	char want[512];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unsigned char *buf = NULL;
		size_t len = 0;

		ck_assert_int_eq(chmod(path, bad[i]), 0);
		relog();
		ck_assert_int_eq(keyfile_read(path, &buf, &len), -1);
		ck_assert_ptr_null(buf);
		snprintf(want, sizeof(want),
			 "%s: private key file is accessible by group or others (mode %04o); run: "
			 "chmod 600 %s\n",
			 path, (unsigned)bad[i], path);
		ck_assert_str_eq(logged(), want);
	}
}
END_TEST

START_TEST(other_errors)
{
	char want[512];

	unlink(path);
	ck_assert_int_eq(keyfile_check(path), -1);
	snprintf(want, sizeof(want),
		 "%s: cannot open the private key: No such file or directory\n", path);
	ck_assert_str_eq(logged(), want);
	relog();
	ck_assert_int_eq(keyfile_check(dir), -1);
	snprintf(want, sizeof(want), "%s: the private key is not a regular file\n", dir);
	ck_assert_str_eq(logged(), want);
	/* recreate for teardown */
	close(open(path, O_WRONLY | O_CREAT, 0600));
	ck_assert_int_eq(truncate(path, KEYFILE_MAX + 1), 0);
	relog();
	ck_assert_int_eq(keyfile_check(path), -1);
	snprintf(want, sizeof(want), "%s: the private key file is larger than 65536 bytes\n",
		 path);
	ck_assert_str_eq(logged(), want);
}
END_TEST

START_TEST(foreign_owner_is_refused)
{
	char want[512];

	if (geteuid() != 0)
		return; /* only root can give a file away; covered when run as root */
	ck_assert_int_eq(chown(path, 4242, 4242), 0);
	ck_assert_int_eq(keyfile_check(path), -1);
	snprintf(want, sizeof(want),
		 "%s: private key file belongs to uid 4242, not to the daemon's user (uid 0) or "
		 "root; run: chown 0 %s\n",
		 path, path);
	ck_assert_str_eq(logged(), want);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("keyfile");
	TCase *tc = tcase_create("keyfile");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, private_key_is_read);
	tcase_add_test(tc, readable_by_others_is_refused);
	tcase_add_test(tc, other_errors);
	tcase_add_test(tc, foreign_owner_is_refused);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
