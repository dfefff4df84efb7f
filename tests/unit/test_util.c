/* Unit tests of the size parser: units, fractions, and the values it must
 * refuse with a cause (garbage, overflow, fractions of a byte). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "common/nameidx.h"
#include "common/util.h"

static void sizes(void **state)
{
	static const struct { const char *in; uint64_t want; } good[] = {
		{"0", 0},
		{"4096", 4096},
		{"512k", 512ULL << 10},
		{"512K", 512ULL << 10},
		{"128M", 128ULL << 20},
		{"128MiB", 128ULL << 20},
		{"128MB", 128ULL << 20},
		{"1G", 1ULL << 30},
		{"2T", 2ULL << 40},
		{"1.5G", 3ULL << 29},
		{"0.5M", 512ULL << 10},
		{"1.50K", 1536},
		{"1.25k", 1280},
		{"0.001953125K", 2},
		{"18446744073709551615", UINT64_MAX},
		{"16777215T", 16777215ULL << 40},
	};
	uint64_t v;
	const char *cause;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		cause = NULL;
		if (parse_size_cause(good[i].in, &v, &cause) < 0)
			fail_msg("'%s' refused: %s", good[i].in, cause);
		if (v != good[i].want)
			fail_msg("'%s' gave %llu, expected %llu", good[i].in,
				 (unsigned long long)v, (unsigned long long)good[i].want);
		assert_int_equal(parse_size(good[i].in, &v), 0);
	}
}

static void refused(void **state)
{
	static const struct { const char *in, *cause; } bad[] = {
		{"", "is not a size"},
		{"lots", "is not a size"},
		{"-1", "is not a size"},
		{"+1", "is not a size"},
		{" 1", "is not a size"},
		{"1 ", "is not a size"},
		{"1.", "is not a size"},
		{".5G", "is not a size"},
		{"1..5G", "is not a size"},
		{"1.5.0G", "is not a size"},
		{"1e3", "is not a size"},
		{"1X", "is not a size"},
		{"1Gx", "is not a size"},
		{"1,5G", "is not a size"},
		{"0x10", "is not a size"},
		{"1.5", "is not a whole number of bytes"},
		{"1.1K", "is not a whole number of bytes"},
		{"0.0000000001G", "is not a whole number of bytes"},
		{"18446744073709551616", "is too large"},
		{"99999999999999999999999", "is too large"},
		{"16777216T", "is too large"},
		{"17179869184G", "is too large"},
		/* more fraction digits than exist in a 64-bit size */
		{"1.12345678901234567890G", "is not a size"},
	};
	uint64_t v = 12345;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		const char *cause = NULL;

		if (parse_size_cause(bad[i].in, &v, &cause) == 0)
			fail_msg("'%s' accepted as %llu", bad[i].in, (unsigned long long)v);
		assert_non_null(cause);
		if (strncmp(cause, bad[i].cause, strlen(bad[i].cause)))
			fail_msg("'%s': cause '%s', expected '%s'", bad[i].in, cause,
				 bad[i].cause);
		assert_int_equal(parse_size(bad[i].in, &v), -1);
		/* a refused value leaves the output alone */
		assert_int_equal(v, 12345);
	}
	assert_int_equal(parse_size(NULL, &v), -1);
}

/* Errors carry a code that callers decide on; a prefix keeps it. */
static void error_codes(void **state)
{
	struct err e;

	(void)state;
	err_set(&e, "x");
	assert_int_equal(e.code, ERR_IO);
	errno = ENOENT;
	err_sys(&e, "/nowhere");
	assert_int_equal(e.code, ERR_NOENT);
	assert_int_equal(e.sys, ENOENT);
	assert_string_equal(e.msg, "/nowhere: No such file or directory");
	err_code(&e, ERR_BUSY, "%s: in use", "a.dsk");
	err_prefix(&e, "ubd%d", 0);
	assert_int_equal(e.code, ERR_BUSY);
	assert_string_equal(e.msg, "ubd0: a.dsk: in use");
	assert_int_equal((int)edit_distance("memroy", "memory"), 1);
	assert_int_equal((int)edit_distance("Start", "start"), 0);
}

/* The name index: a name's number, the first kept, set over, many. */
static void name_index(void **state)
{
	struct nameidx x = {0};
	char k[32];

	(void)state;
	assert_int_equal(nameidx_get(&x, "vm1"), -1);
	assert_int_equal(nameidx_put(&x, "vm1", 7), -1);
	assert_int_equal(nameidx_put(&x, "vm1", 8), 7);
	assert_int_equal(nameidx_get(&x, "vm1"), 7);
	nameidx_set(&x, "vm1", 9);
	assert_int_equal(nameidx_get(&x, "vm1"), 9);
	assert_int_equal(nameidx_get(&x, "vm"), -1);
	assert_int_equal(nameidx_get(&x, ""), -1);
	for (int i = 0; i < 5000; i++) {
		snprintf(k, sizeof(k), "vm%d", i + 2);
		assert_int_equal(nameidx_put(&x, k, i), -1);
	}
	assert_int_equal((int)x.n, 5001);
	assert_true(x.cap >= 2 * x.n);
	for (int i = 0; i < 5000; i++) {
		snprintf(k, sizeof(k), "vm%d", i + 2);
		assert_int_equal(nameidx_get(&x, k), i);
	}
	assert_int_equal(nameidx_get(&x, "vm1"), 9);
	assert_int_equal(nameidx_get(&x, "vm5002"), -1);
	nameidx_free(&x);
	assert_int_equal(nameidx_get(&x, "vm1"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sizes),
		cmocka_unit_test(refused),
		cmocka_unit_test(error_codes),
		cmocka_unit_test(name_index),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
