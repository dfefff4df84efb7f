/* Unit tests of the JSON writer and the table that prints as text or as
 * JSON: escaping (quotes, controls, bytes that are not UTF-8), nulls,
 * numbers, lists, and the text's columns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/json.h"
#include "common/table.h"

static const struct table_col cols[] = {
	{"VM", "name"}, {"MEM", "memory"}, {"DISKS", "disks"}, {"NOTES", "notes"},
};

static char *capture(void (*fn)(const struct table *, FILE *), const struct table *t)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	fn(t, f);
	fclose(f);
	return out;
}

static void fill(struct table *t)
{
	char *d[] = {"ubd0=/disks/a.dsk", "ubd1=/disks/b \"q\".dsk"};

	table_init(t, cols, 4);
	table_str(t, "vm1");
	table_num(t, 64 << 20, "64M");
	table_list(t, d, 2, " ");
	table_str(t, NULL);
	table_str(t, "vm-two");
	table_num(t, 5, NULL);
	table_list(t, d, 0, " ");
	table_str(t, "tab\there\nnl \x01 bad\xff utf8 \xc3\xa9");
}

static void as_json(void **state)
{
	struct table t;
	char *out;

	(void)state;
	fill(&t);
	out = capture(table_print_json, &t);
	assert_string_equal(out,
		"[{\"name\":\"vm1\",\"memory\":67108864,\"disks\":[\"ubd0=/disks/a.dsk\","
		"\"ubd1=/disks/b \\\"q\\\".dsk\"],\"notes\":null},"
		"{\"name\":\"vm-two\",\"memory\":5,\"disks\":[],"
		"\"notes\":\"tab\\there\\nnl \\u0001 bad\\ufffd utf8 \xc3\xa9\"}]\n");
	free(out);
	assert_int_equal(table_rows(&t), 2);
	assert_string_equal(table_cell(&t, 1, "memory")->text, "5");
	assert_null(table_cell(&t, 1, "nope"));
	table_free(&t);
}

static void as_text(void **state)
{
	struct table t;
	char *out;

	(void)state;
	table_init(&t, cols, 4);
	table_str(&t, "vm1");
	table_num(&t, 1, "1M");
	table_str(&t, NULL);
	table_str(&t, "a note");
	out = capture(table_print, &t);
	assert_string_equal(out, "VM  MEM DISKS NOTES\n"
				 "vm1 1M  -     a note\n");
	free(out);
	table_free(&t);
}

static void nesting(void **state)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	struct json j;

	(void)state;
	json_init(&j, f);
	json_obj_begin(&j);
	json_key(&j, "a");
	json_arr_begin(&j);
	json_int(&j, -1);
	json_bool(&j, 1);
	json_obj_begin(&j);
	json_obj_end(&j);
	json_arr_end(&j);
	json_key(&j, "b");
	json_null(&j);
	json_obj_end(&j);
	json_end(&j);
	fclose(f);
	assert_string_equal(out, "{\"a\":[-1,true,{}],\"b\":null}\n");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(as_json),
		cmocka_unit_test(as_text),
		cmocka_unit_test(nesting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
