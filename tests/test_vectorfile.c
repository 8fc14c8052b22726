/*
 * Tests of the vector-file reader the vector-driven tests depend on: it
 * must read the shipped EDHOC vector files completely and must refuse
 * every malformed line rather than skip it.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vectorfile.h"

static void vector_path(char *buf, size_t n, const char *file)
{
	const char *top = getenv("top_srcdir");

	snprintf(buf, n, "%s/tests/vectors/edhoc/%s", top ? top : ".", file);
}

/* Write text to a fresh temporary file; returns its malloc'd path. */
static char *temp_file(const char *text)
{
	const char *dir = getenv("TMPDIR");
	char *path;
	size_t n;
	int fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	n = strlen(dir) + 32;
	path = malloc(n);
	ck_assert_ptr_nonnull(path);
	snprintf(path, n, "%s/sg-vf-XXXXXX", dir);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static int load_text(struct vf *vf, const char *text)
{
	char *path = temp_file(text);
	int rc = vf_load(vf, path);

	unlink(path);
	free(path);
	return rc;
}

START_TEST(reads_the_edhoc_vector_files)
{
	static const char *const files[] = {"rfc9529-trace1.txt",
					    "rfc9529-trace2.txt",
					    "rfc9529-invalid.txt"};
	char path[4096];
	struct vf vf;
	size_t len, i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		vector_path(path, sizeof(path), files[i]);
		ck_assert_msg(vf_load(&vf, path) == 0, "cannot load %s", path);
		ck_assert_uint_gt(vf.count, 10);
		ck_assert_ptr_null(vf_get(&vf, "no_such_name", &len));
		vf_free(&vf);
		ck_assert_uint_eq(vf.count, 0);
	}
	/* A compact P-256 point is 32 bytes: the decoding kept every byte. */
	vector_path(path, sizeof(path), "rfc9529-trace2.txt");
	ck_assert_int_eq(vf_load(&vf, path), 0);
	ck_assert_ptr_nonnull(vf_get(&vf, "G_X", &len));
	ck_assert_uint_eq(len, 32);
	ck_assert_ptr_nonnull(vf_get(&vf, "G_Y", &len));
	ck_assert_uint_eq(len, 32);
	vf_free(&vf);
}
END_TEST

START_TEST(decodes_values_comments_and_empty_items)
{
	struct vf vf;
	const unsigned char *v;
	size_t len = 99;

	ck_assert_int_eq(load_text(&vf, "# comment\n\nab_9 = 00ff10\nempty = \nlast = 7f"), 0);
	ck_assert_uint_eq(vf.count, 3);
	v = vf_get(&vf, "ab_9", &len);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(len, 3);
	ck_assert_uint_eq(v[0], 0x00);
	ck_assert_uint_eq(v[1], 0xff);
	ck_assert_uint_eq(v[2], 0x10);
	v = vf_get(&vf, "empty", &len);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(len, 0);
	v = vf_get(&vf, "last", &len); /* no final newline */
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(len, 1);
	ck_assert_uint_eq(v[0], 0x7f);
	ck_assert_ptr_null(vf_get(&vf, "ab", NULL));
	vf_free(&vf);
}
END_TEST

START_TEST(rejects_malformed_files)
{
	static const char *const bad[] = {
		"a=00\n",	    "a = 0\n",	     "a = 0g\n",   "a = 0A\n",
		"a = 00 \n",	    " a = 00\n",     "a b = 00\n", "= 00\n",
		"a = 00\na = 01\n", "a  = 00\n",     "a = 0x00\n", "ok = 00\nbad line\n",
		"a-b = 00\n",	    "a = 00\r\n",
	};
	struct vf vf;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(load_text(&vf, bad[i]) == -1, "accepted: %s", bad[i]);
		ck_assert_uint_eq(vf.count, 0);
		ck_assert_ptr_null(vf.items);
	}
	ck_assert_int_eq(vf_load(&vf, "/nonexistent/sg-vectorfile"), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vectorfile");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, reads_the_edhoc_vector_files);
	tcase_add_test(tc, decodes_values_comments_and_empty_items);
	tcase_add_test(tc, rejects_malformed_files);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
