/*
 * Unit tests of the small helpers and the error table.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "serguard/sg.h"

START_TEST(wipe_and_ct_equal)
{
	unsigned char a[33], b[33];
	size_t i;

	memset(a, 0xA5, sizeof(a));
	sg_wipe(a, sizeof(a));
	for (i = 0; i < sizeof(a); i++)
		ck_assert_uint_eq(a[i], 0);
	memset(a, 7, sizeof(a));
	memset(b, 7, sizeof(b));
	ck_assert_int_eq(sg_ct_equal(a, b, sizeof(a)), 1);
	ck_assert_int_eq(sg_ct_equal(a, b, 0), 1);
	for (i = 0; i < sizeof(a); i++) {
		b[i] ^= 0x80;
		ck_assert_int_eq(sg_ct_equal(a, b, sizeof(a)), 0);
		b[i] ^= 0x80;
	}
}
END_TEST

START_TEST(every_error_has_a_message_and_name)
{
	int e;

	for (e = SG__ERR_MIN; e <= 0; e++) {
		const char *s = sg_strerror(e), *n = sg_errname(e);

		ck_assert_ptr_nonnull(s);
		ck_assert_ptr_nonnull(n);
		/* known codes have their own text and a proper name */
		if (strcmp(n, "SG_E?") != 0)
			ck_assert_str_ne(s, "unknown error");
	}
	ck_assert_str_eq(sg_errname(SG_EAUTH), "SG_EAUTH");
	ck_assert_str_eq(sg_strerror(12345), "unknown error");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, wipe_and_ct_equal);
	tcase_add_test(tc, every_error_has_a_message_and_name);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
