/*
 * Tests of the strict JSON reader the Wycheproof-driven tests depend on:
 * it must decode what RFC 8259 allows and refuse everything else.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static struct json *parse(const char *text)
{
	char err[200];

	return json_parse(text, strlen(text), err, sizeof(err));
}

START_TEST(parses_values_and_looks_them_up)
{
	struct json *j = parse(" {\"a\": [1, -0, 2.5e3, true, false, null],"
			       " \"s\": \"x\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\","
			       " \"o\": {}, \"e\": [] }\n");
	const struct json *a, *s;
	long v;

	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(j->type, JSON_OBJECT);
	ck_assert_uint_eq(j->count, 4);
	a = json_get(j, "a");
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->count, 6);
	ck_assert_int_eq(json_int(json_at(a, 0), &v), 0);
	ck_assert_int_eq(v, 1);
	ck_assert_int_eq(json_int(json_at(a, 1), &v), 0);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(json_int(json_at(a, 2), &v), -1); /* not integral text */
	ck_assert_int_eq(json_at(a, 3)->type, JSON_TRUE);
	ck_assert_int_eq(json_at(a, 4)->type, JSON_FALSE);
	ck_assert_int_eq(json_at(a, 5)->type, JSON_NULL);
	ck_assert_ptr_null(json_at(a, 6));
	s = json_get(j, "s");
	ck_assert_ptr_nonnull(json_str(s));
	ck_assert_uint_eq(s->text_len, 9 + 2 + 4);
	ck_assert_mem_eq(s->text, "x\"\\/\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80", 15);
	ck_assert_int_eq(json_get(j, "o")->type, JSON_OBJECT);
	ck_assert_uint_eq(json_get(j, "e")->count, 0);
	ck_assert_ptr_null(json_get(j, "missing"));
	ck_assert_ptr_null(json_str(a));
	json_free(j);
}
END_TEST

START_TEST(rejects_what_rfc8259_does_not_allow)
{
	static const char *const bad[] = {
		"",	     "[1,]",	      "{\"a\":1,}",	"[1 2]",
		"{\"a\" 1}", "{1:2}",	      "{\"a\":1,\"a\":2}", "01",
		"1.",	     ".5",	      "1e",		 "+1",
		"-",	     "\"abc",	      "\"\\x\"",	 "\"\\u12\"",
		"\"\\ud800\"", "\"\\udc00\"", "\"\t\"",		 "\"\xc0\xaf\"",
		"\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "tru", "nul",
		"[1] x",     "/* c */ 1",     "'a'",		 "[",
		"NaN",	     "Infinity",
	};
	size_t i;
	char deep[200];

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct json *j = parse(bad[i]);

		ck_assert_msg(j == NULL, "accepted: %s", bad[i]);
	}
	/* nesting beyond the limit */
	memset(deep, '[', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = '\0';
	ck_assert_ptr_null(parse(deep));
}
END_TEST

START_TEST(json_int_range)
{
	struct json *j = parse("[9223372036854775807, 92233720368547758070, -5]");
	long v;

	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(json_int(json_at(j, 0), &v), 0);
	ck_assert_int_eq(json_int(json_at(j, 1), &v), -1);
	ck_assert_int_eq(json_int(json_at(j, 2), &v), 0);
	ck_assert_int_eq(v, -5);
	json_free(j);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, parses_values_and_looks_them_up);
	tcase_add_test(tc, rejects_what_rfc8259_does_not_allow);
	tcase_add_test(tc, json_int_range);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
