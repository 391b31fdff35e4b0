// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Internal helpers that cannot be reached through the API with every
 * input: page rounding for page sizes other than the host's (a 16K-page
 * arm64 kernel, a 64K one), linked with the library's sources.
 */
#include <stdint.h>

#include "libcmabuf-private.h"
#include "testutil.h"

static size_t rounded(size_t size, size_t page)
{
	size_t out = 0;

	ck_assert(page_round(size, page, &out));
	return out;
}

START_TEST(test_page_round_any_page_size)
{
	/* a 4 KiB request is a 16 KiB buffer on a 16K kernel */
	ck_assert_uint_eq(rounded(4096, 16384), 16384);
	ck_assert_uint_eq(rounded(1, 16384), 16384);
	ck_assert_uint_eq(rounded(16384, 16384), 16384);
	ck_assert_uint_eq(rounded(16385, 16384), 32768);
	ck_assert_uint_eq(rounded(5000, 4096), 8192);
	ck_assert_uint_eq(rounded(4096, 65536), 65536);
	ck_assert_uint_eq(rounded(0, 16384), 0);
}
END_TEST

START_TEST(test_page_round_overflow)
{
	size_t out = 7;

	ck_assert(!page_round(SIZE_MAX, 16384, &out));
	ck_assert(!page_round(SIZE_MAX - 16382, 16384, &out));
	ck_assert(page_round(SIZE_MAX - 16383, 16384, &out));
	ck_assert(!page_round(4096, 0, &out));
}
END_TEST

START_TEST(test_page_size_is_the_kernels)
{
	/* the helper asks the kernel: it is a power of two of 4K or more */
	size_t page = page_size();

	ck_assert_uint_ge(page, 4096);
	ck_assert_uint_eq(page & (page - 1), 0);
	ck_assert_uint_eq(page, tu_page_size());
}
END_TEST

static Suite *util_suite(void)
{
	Suite *s = suite_create("util-internal");
	TCase *tc = tcase_create("pages");

	tcase_add_test(tc, test_page_round_any_page_size);
	tcase_add_test(tc, test_page_round_overflow);
	tcase_add_test(tc, test_page_size_is_the_kernels);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(util_suite());
}
