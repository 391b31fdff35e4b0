// SPDX-License-Identifier: LGPL-2.1-or-later
/* Context lifetime, logging and path parameters. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "testutil.h"

START_TEST(test_ctx_refcount)
{
	struct cmabuf_ctx *ctx = NULL;

	ck_assert_int_eq(cmabuf_ctx_new(&ctx), 0);
	ck_assert_ptr_nonnull(ctx);
	ck_assert_ptr_eq(cmabuf_ctx_ref(ctx), ctx);
	ck_assert_ptr_null(cmabuf_ctx_unref(ctx));
	ck_assert_ptr_null(cmabuf_ctx_unref(ctx));
	ck_assert_ptr_null(cmabuf_ctx_unref(NULL));
	ck_assert_ptr_null(cmabuf_ctx_ref(NULL));
	ck_assert_int_eq(cmabuf_ctx_new(NULL), -EINVAL);
}
END_TEST

START_TEST(test_ctx_log_priority)
{
	struct cmabuf_ctx *ctx = NULL;

	unsetenv("CMABUF_LOG");
	ck_assert_int_eq(cmabuf_ctx_new(&ctx), 0);
	ck_assert_int_eq(cmabuf_get_log_priority(ctx), LOG_ERR);
	cmabuf_set_log_priority(ctx, LOG_DEBUG);
	ck_assert_int_eq(cmabuf_get_log_priority(ctx), LOG_DEBUG);
	cmabuf_ctx_unref(ctx);
	ck_assert_int_eq(cmabuf_get_log_priority(NULL), -EINVAL);

	setenv("CMABUF_LOG", "debug", 1);
	ck_assert_int_eq(cmabuf_ctx_new(&ctx), 0);
	ck_assert_int_eq(cmabuf_get_log_priority(ctx), LOG_DEBUG);
	cmabuf_ctx_unref(ctx);
	setenv("CMABUF_LOG", "6", 1);
	ck_assert_int_eq(cmabuf_ctx_new(&ctx), 0);
	ck_assert_int_eq(cmabuf_get_log_priority(ctx), LOG_INFO);
	cmabuf_ctx_unref(ctx);
	setenv("CMABUF_LOG", "nonsense", 1);
	ck_assert_int_eq(cmabuf_ctx_new(&ctx), 0);
	ck_assert_int_eq(cmabuf_get_log_priority(ctx), LOG_ERR);
	cmabuf_ctx_unref(ctx);
	unsetenv("CMABUF_LOG");
}
END_TEST

START_TEST(test_ctx_log_fn_filters_priority)
{
	struct cmabuf_ctx *ctx = tu_ctx_new();
	struct cmabuf_heap *heap = NULL;

	/* an error is logged at LOG_ERR, which passes priority LOG_ERR */
	cmabuf_set_log_priority(ctx, LOG_ERR);
	tu_log_reset();
	ck_assert_int_eq(cmabuf_heap_open(ctx, "bad/name", 0, &heap), -EINVAL);
	ck_assert(tu_log_contains("client bug: invalid heap name"));

	/* below the threshold nothing reaches the callback */
	cmabuf_set_log_priority(ctx, LOG_CRIT);
	tu_log_reset();
	ck_assert_int_eq(cmabuf_heap_open(ctx, "bad/name", 0, &heap), -EINVAL);
	ck_assert_str_eq(tu_log(), "");

	/* NULL log function: silence, no crash */
	cmabuf_set_log_fn(ctx, NULL, NULL);
	cmabuf_set_log_priority(ctx, LOG_DEBUG);
	ck_assert_int_eq(cmabuf_heap_open(ctx, "bad/name", 0, &heap), -EINVAL);
	ck_assert_ptr_null(heap);
	cmabuf_ctx_unref(ctx);
}
END_TEST

START_TEST(test_ctx_paths)
{
	struct cmabuf_ctx *ctx = tu_ctx_new();

	ck_assert_str_eq(cmabuf_ctx_get_sysroot(ctx), "/");
	ck_assert_str_eq(cmabuf_ctx_get_heap_dir(ctx), "/dev/dma_heap");

	/* the heap directory follows the sysroot until set explicitly */
	ck_assert_int_eq(cmabuf_ctx_set_sysroot(ctx, "/srv/tree/"), 0);
	ck_assert_str_eq(cmabuf_ctx_get_sysroot(ctx), "/srv/tree");
	ck_assert_str_eq(cmabuf_ctx_get_heap_dir(ctx), "/srv/tree/dev/dma_heap");
	ck_assert_int_eq(cmabuf_ctx_set_heap_dir(ctx, "/tmp/heaps"), 0);
	ck_assert_str_eq(cmabuf_ctx_get_heap_dir(ctx), "/tmp/heaps");
	ck_assert_int_eq(cmabuf_ctx_set_sysroot(ctx, "/"), 0);
	ck_assert_str_eq(cmabuf_ctx_get_sysroot(ctx), "/");
	ck_assert_str_eq(cmabuf_ctx_get_heap_dir(ctx), "/tmp/heaps");

	tu_log_reset();
	ck_assert_int_eq(cmabuf_ctx_set_sysroot(ctx, "relative"), -EINVAL);
	ck_assert(tu_log_contains("client bug: path must be absolute"));
	ck_assert_int_eq(cmabuf_ctx_set_sysroot(ctx, NULL), -EINVAL);
	ck_assert_int_eq(cmabuf_ctx_set_heap_dir(ctx, "/"), -EINVAL);
	ck_assert_int_eq(cmabuf_ctx_set_heap_dir(ctx, ""), -EINVAL);
	ck_assert_int_eq(cmabuf_ctx_set_heap_dir(NULL, "/x"), -EINVAL);
	ck_assert_int_eq(cmabuf_ctx_set_sysroot(NULL, "/x"), -EINVAL);
	ck_assert_ptr_null(cmabuf_ctx_get_sysroot(NULL));
	ck_assert_ptr_null(cmabuf_ctx_get_heap_dir(NULL));
	/* failures leave the old values */
	ck_assert_str_eq(cmabuf_ctx_get_heap_dir(ctx), "/tmp/heaps");
	cmabuf_ctx_unref(ctx);
}
END_TEST

static Suite *context_suite(void)
{
	Suite *s = suite_create("context");
	TCase *tc = tcase_create("context");

	tcase_add_test(tc, test_ctx_refcount);
	tcase_add_test(tc, test_ctx_log_priority);
	tcase_add_test(tc, test_ctx_log_fn_filters_priority);
	tcase_add_test(tc, test_ctx_paths);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(context_suite());
}
