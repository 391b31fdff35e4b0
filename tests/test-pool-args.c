// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Pools, diagnoses and telemetry without a kernel feature: argument
 * checking, and the answers that need only files (a heap directory made
 * of plain files whose allocation ioctl fails with ENOTTY).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

/* DRM_FORMAT_NV12 without libdrm's include path (drm_fourcc.h) */
#define FOURCC_NV12 0x3231564eu

static struct cmabuf_ctx *ctx;
static struct cmabuf_heap *heap;
static char *tree;
static int fds_at_start;

static void setup(void)
{
	static const char *const files[] = { "heaps/reserved", NULL };
	char dir[4200];

	fds_at_start = tu_fd_count();
	tree = tu_make_tree(files);
	ctx = tu_ctx_new();
	snprintf(dir, sizeof(dir), "%s/heaps", tree);
	ck_assert_int_eq(cmabuf_ctx_set_heap_dir(ctx, dir), 0);
	ck_assert_int_eq(cmabuf_heap_open(ctx, "reserved", 0, &heap), 0);
	tu_log_reset();
}

static void teardown(void)
{
	heap = cmabuf_heap_unref(heap);
	ctx = cmabuf_ctx_unref(ctx);
	tu_remove_tree(tree);
	tree = NULL;
	ck_assert_int_eq(tu_fd_count(), fds_at_start);
}

START_TEST(test_pool_new_bad_args)
{
	struct cmabuf_pool *pool = NULL;

	ck_assert_int_eq(cmabuf_pool_new(NULL, 4096, 0, 1, 0, &pool), -EINVAL);
	ck_assert_int_eq(cmabuf_pool_new(heap, 4096, 0, 1, 0, NULL), -EINVAL);
	ck_assert_int_eq(cmabuf_pool_new(heap, 0, 0, 1, 0, &pool), -EINVAL);
	ck_assert(tu_log_contains("client bug: bad pool geometry"));
	ck_assert_int_eq(cmabuf_pool_new(heap, 4096, 0, 0, 0, &pool), -EINVAL);
	ck_assert_int_eq(cmabuf_pool_new(heap, 4096, 3, 2, 0, &pool), -EINVAL);
	ck_assert_int_eq(cmabuf_pool_new(heap, 4096, 0, 1, 0x80, &pool),
			 -EINVAL);
	ck_assert(tu_log_contains("client bug: unknown pool flags 0x80"));
	ck_assert_int_eq(cmabuf_pool_new(heap, 4096, 0, 100000, 0, &pool),
			 -E2BIG);
	ck_assert_int_eq(cmabuf_pool_new(heap, SIZE_MAX, 0, 1, 0, &pool),
			 -EOVERFLOW);
	ck_assert_ptr_null(pool);
}
END_TEST

START_TEST(test_pool_preallocation_failure_is_returned)
{
	struct cmabuf_pool *pool = NULL;

	/* a plain file answers DMA_HEAP_IOCTL_ALLOC with ENOTTY */
	ck_assert_int_eq(cmabuf_pool_new(heap, 4096, 2, 4, 0, &pool), -ENOTTY);
	ck_assert_ptr_null(pool);
	ck_assert(tu_log_contains("pool: preallocating 2 buffers"));
}
END_TEST

START_TEST(test_pool_empty_geometry_and_stats)
{
	struct cmabuf_pool_stats st;
	struct cmabuf_pool *pool = NULL;
	struct cmabuf *buf = NULL;

	ck_assert_int_eq(cmabuf_pool_new(heap, 5000, 0, 4,
					 CMABUF_POOL_IMPLICIT_FENCES, &pool), 0);
	/* sizes round up to whole pages, as cmabuf_alloc() does */
	ck_assert_uint_eq(cmabuf_pool_get_size(pool), 8192);
	ck_assert_int_eq(cmabuf_pool_get_stats(pool, &st), 0);
	ck_assert_uint_eq(st.total, 0);
	ck_assert_uint_eq(st.allocations, 0);
	/* the miss tries to allocate and reports the heap's error */
	ck_assert_int_eq(cmabuf_pool_acquire(pool, &buf), -ENOTTY);
	ck_assert_ptr_null(buf);
	ck_assert_int_eq(cmabuf_pool_get_stats(pool, &st), 0);
	ck_assert_uint_eq(st.misses, 1);
	ck_assert_uint_eq(st.allocations, 0);
	ck_assert_uint_eq(st.total, 0);
	ck_assert_int_eq(cmabuf_pool_trim(pool, 0), 0);
	ck_assert_ptr_eq(cmabuf_pool_ref(pool), pool);
	ck_assert_ptr_null(cmabuf_pool_unref(pool));
	ck_assert_ptr_null(cmabuf_pool_unref(pool));
}
END_TEST

START_TEST(test_pool_calls_bad_args)
{
	struct cmabuf_pool_stats st;
	struct cmabuf_pool *pool = NULL;
	struct cmabuf *buf = NULL;
	int fds[2];

	ck_assert_int_eq(cmabuf_pool_new(heap, 4096, 0, 1, 0, &pool), 0);
	ck_assert_int_eq(cmabuf_pool_acquire(NULL, &buf), -EINVAL);
	ck_assert_int_eq(cmabuf_pool_acquire(pool, NULL), -EINVAL);
	ck_assert_int_eq(cmabuf_pool_acquire_timeout(NULL, 0, &buf), -EINVAL);
	ck_assert_int_eq(cmabuf_pool_acquire_timeout(pool, -2, &buf), -EINVAL);
	ck_assert(tu_log_contains("client bug: acquire timeout -2 ms"));
	ck_assert_int_eq(cmabuf_pool_release(pool, NULL, -1), -EINVAL);
	ck_assert_int_eq(cmabuf_pool_release(pool, NULL, -5), -EINVAL);
	ck_assert_int_eq(cmabuf_pool_trim(NULL, 0), -EINVAL);
	ck_assert_int_eq(cmabuf_pool_get_stats(NULL, &st), -EINVAL);
	ck_assert_int_eq(cmabuf_pool_get_stats(pool, NULL), -EINVAL);
	ck_assert_uint_eq(cmabuf_pool_get_size(NULL), 0);
	ck_assert_ptr_null(cmabuf_pool_ref(NULL));
	ck_assert_ptr_null(cmabuf_pool_unref(NULL));

	/* the fence is taken even when release fails */
	ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
	ck_assert_int_eq(cmabuf_pool_release(pool, NULL, fds[0]), -EINVAL);
	ck_assert_int_eq(fcntl(fds[0], F_GETFD), -1);
	ck_assert_int_eq(errno, EBADF);
	close(fds[1]);
	cmabuf_pool_unref(pool);
}
END_TEST

/* ---- image pools (tests/test-vm-image.c has the kernel side) ---- */

static struct cmabuf_layout nv12_layout(void)
{
	struct cmabuf_layout l;

	ck_assert_int_eq(cmabuf_layout_init(&l, FOURCC_NV12, 64, 48, 0,
					    0), 0);
	return l;
}

START_TEST(test_image_pool_new_bad_args)
{
	struct cmabuf_layout l = nv12_layout(), bad = l;
	struct cmabuf_image_pool *pool = NULL;

	ck_assert_int_eq(cmabuf_image_pool_new(NULL, &l, 0, 1, 0, &pool),
			 -EINVAL);
	ck_assert_int_eq(cmabuf_image_pool_new(heap, NULL, 0, 1, 0, &pool),
			 -EINVAL);
	ck_assert_int_eq(cmabuf_image_pool_new(heap, &l, 0, 1, 0, NULL),
			 -EINVAL);
	bad.reserved[0] = 1;
	ck_assert_int_eq(cmabuf_image_pool_new(heap, &bad, 0, 1, 0, &pool),
			 -EINVAL);
	ck_assert(tu_log_contains("reserved fields must be zero"));
	ck_assert_int_eq(cmabuf_image_pool_new(heap, &l, 0, 0, 0, &pool),
			 -EINVAL);
	ck_assert(tu_log_contains("bad pool geometry: image"));
	ck_assert_int_eq(cmabuf_image_pool_new(heap, &l, 2, 1, 0, &pool),
			 -EINVAL);
	ck_assert_int_eq(cmabuf_image_pool_new(heap, &l, 0, 1, 0x80, &pool),
			 -EINVAL);
	ck_assert_int_eq(cmabuf_image_pool_new(heap, &l, 0, 100000, 0, &pool),
			 -E2BIG);
	ck_assert(tu_log_contains("pool of 100000 images: at most"));
	/* a plain file answers DMA_HEAP_IOCTL_ALLOC with ENOTTY */
	ck_assert_int_eq(cmabuf_image_pool_new(heap, &l, 2, 4, 0, &pool),
			 -ENOTTY);
	ck_assert(tu_log_contains("pool: preallocating 2 images"));
	ck_assert_ptr_null(pool);
}
END_TEST

START_TEST(test_image_pool_calls_bad_args)
{
	struct cmabuf_layout l = nv12_layout();
	struct cmabuf_image_pool *pool = NULL;
	struct cmabuf_image *img = NULL;
	/* never dereferenced: refused by the slot lookup first */
	struct cmabuf_image *foreign = (struct cmabuf_image *)&l;
	struct cmabuf_pool_stats st;
	int fds[2];

	ck_assert_int_eq(cmabuf_image_pool_new(heap, &l, 0, 2,
			 CMABUF_POOL_IMPLICIT_FENCES, &pool), 0);
	ck_assert_uint_eq(cmabuf_image_pool_get_layout(pool)->fourcc,
			  FOURCC_NV12);
	ck_assert_ptr_null(cmabuf_image_pool_get_layout(NULL));
	ck_assert_int_eq(cmabuf_image_pool_acquire(NULL, &img), -EINVAL);
	ck_assert_int_eq(cmabuf_image_pool_acquire(pool, NULL), -EINVAL);
	/* the miss allocates and gives the heap's error */
	ck_assert_int_eq(cmabuf_image_pool_acquire(pool, &img), -ENOTTY);
	ck_assert_int_eq(cmabuf_image_pool_acquire_timeout(NULL, 0, &img),
			 -EINVAL);
	ck_assert_int_eq(cmabuf_image_pool_acquire_timeout(pool, 0, NULL),
			 -EINVAL);
	ck_assert_int_eq(cmabuf_image_pool_acquire_timeout(pool, -2, &img),
			 -EINVAL);
	ck_assert(tu_log_contains("client bug: acquire timeout -2 ms"));
	ck_assert_ptr_null(img);
	ck_assert_int_eq(cmabuf_image_pool_trim(NULL, 0), -EINVAL);
	ck_assert_int_eq(cmabuf_image_pool_trim(pool, 0), 0);
	ck_assert_int_eq(cmabuf_image_pool_get_stats(NULL, &st), -EINVAL);
	ck_assert_int_eq(cmabuf_image_pool_get_stats(pool, NULL), -EINVAL);
	ck_assert_int_eq(cmabuf_image_pool_get_stats(pool, &st), 0);
	ck_assert_uint_eq(st.misses, 1);
	ck_assert_ptr_null(cmabuf_image_pool_ref(NULL));
	ck_assert_ptr_null(cmabuf_image_pool_unref(NULL));

	/* the fence is taken in every case */
	ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
	ck_assert_int_eq(cmabuf_image_pool_release(pool, NULL, fds[0]),
			 -EINVAL);
	ck_assert_int_eq(fcntl(fds[0], F_GETFD), -1);
	ck_assert_int_eq(cmabuf_image_pool_release(NULL, foreign, fds[1]),
			 -EINVAL);
	ck_assert_int_eq(fcntl(fds[1], F_GETFD), -1);
	ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
	tu_log_reset();
	ck_assert_int_eq(cmabuf_image_pool_release(pool, foreign, fds[0]),
			 -EINVAL);
	ck_assert(tu_log_contains("release of an image not from this pool"));
	ck_assert_int_eq(fcntl(fds[0], F_GETFD), -1);
	ck_assert_int_eq(cmabuf_image_pool_release(pool, foreign, -5),
			 -EBADF);
	/* an fd that is not open: nothing to take */
	ck_assert_int_eq(cmabuf_image_pool_release(pool, foreign, 9999),
			 -EBADF);
	close(fds[1]);
	ck_assert_ptr_eq(cmabuf_image_pool_ref(pool), pool);
	ck_assert_ptr_null(cmabuf_image_pool_unref(pool));
	ck_assert_ptr_null(cmabuf_image_pool_unref(pool));
}
END_TEST

START_TEST(test_diagnose_bad_args)
{
	struct cmabuf_diagnosis *d = NULL;
	struct cmabuf_ctx *other = tu_ctx_new();

	ck_assert_int_eq(cmabuf_alloc_diagnose(NULL, NULL, 4096, -ENOMEM, &d),
			 -EINVAL);
	ck_assert_int_eq(cmabuf_alloc_diagnose(ctx, heap, 4096, -ENOMEM, NULL),
			 -EINVAL);
	ck_assert_int_eq(cmabuf_alloc_diagnose(ctx, heap, 4096, 0, &d),
			 -EINVAL);
	ck_assert(tu_log_contains("client bug: diagnosis of a success"));
	ck_assert_int_eq(cmabuf_alloc_diagnose(other, heap, 4096, -ENOMEM, &d),
			 -EINVAL);
	ck_assert(tu_log_contains("client bug: heap of another context"));
	ck_assert_ptr_null(d);
	ck_assert_int_eq(cmabuf_diagnosis_get_reason(NULL), CMABUF_DIAG_UNKNOWN);
	ck_assert_ptr_null(cmabuf_diagnosis_get_message(NULL));
	ck_assert_int_eq(cmabuf_diagnosis_get_space(NULL, NULL, NULL, NULL),
			 -EINVAL);
	ck_assert_ptr_null(cmabuf_diagnosis_unref(NULL));
	ck_assert_str_eq(cmabuf_diag_reason_name(CMABUF_DIAG_FRAGMENTED),
			 "fragmented");
	ck_assert_str_eq(cmabuf_diag_reason_name(CMABUF_DIAG_NO_CMA_HEAP),
			 "no-cma-heap");
	ck_assert_ptr_null(cmabuf_diag_reason_name((enum cmabuf_diag_reason)99));
	cmabuf_ctx_unref(other);
}
END_TEST

START_TEST(test_diagnose_no_cma_heap)
{
	struct cmabuf_diagnosis *d = NULL;
	struct cmabuf_heap *h = NULL;
	char dir[4200];
	int ret;

	snprintf(dir, sizeof(dir), "%s/empty", tree);
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	ck_assert_int_eq(cmabuf_ctx_set_heap_dir(ctx, dir), 0);
	ret = cmabuf_heap_open(ctx, NULL, 0, &h);
	ck_assert_int_eq(ret, -ENOENT);
	ck_assert_int_eq(cmabuf_alloc_diagnose(ctx, NULL, 1 << 20, ret, &d), 0);
	ck_assert_int_eq(cmabuf_diagnosis_get_reason(d),
			 CMABUF_DIAG_NO_CMA_HEAP);
	ck_assert_ptr_nonnull(strstr(cmabuf_diagnosis_get_message(d), dir));
	ck_assert_ptr_eq(cmabuf_diagnosis_ref(d), d);
	ck_assert_ptr_null(cmabuf_diagnosis_unref(d));
	ck_assert_ptr_null(cmabuf_diagnosis_unref(d));
}
END_TEST

START_TEST(test_diagnose_permission_names_owner_and_mode)
{
	struct cmabuf_diagnosis *d = NULL;
	int64_t total = 0, free_ = 0, chunk = 0;
	char expect[128];
	struct stat st;

	ck_assert_int_eq(chmod(cmabuf_heap_get_path(heap), 0640), 0);
	ck_assert_int_eq(stat(cmabuf_heap_get_path(heap), &st), 0);
	ck_assert_int_eq(cmabuf_alloc_diagnose(NULL, heap, 4096, -EACCES, &d),
			 0);
	ck_assert_int_eq(cmabuf_diagnosis_get_reason(d),
			 CMABUF_DIAG_NO_PERMISSION);
	snprintf(expect, sizeof(expect), "is owned by %u:%u with mode 0640",
		 (unsigned int)st.st_uid, (unsigned int)st.st_gid);
	ck_assert_ptr_nonnull(strstr(cmabuf_diagnosis_get_message(d), expect));
	ck_assert_int_eq(cmabuf_diagnosis_get_space(d, &total, &free_, &chunk),
			 0);
	ck_assert_int_eq(total, -1);
	ck_assert_int_eq(free_, -1);
	ck_assert_int_eq(chunk, -1);
	cmabuf_diagnosis_unref(d);
}
END_TEST

START_TEST(test_diagnose_other_error_is_unknown)
{
	struct cmabuf_diagnosis *d = NULL;

	ck_assert_int_eq(cmabuf_alloc_diagnose(ctx, heap, 4096, -ENOTTY, &d),
			 0);
	ck_assert_int_eq(cmabuf_diagnosis_get_reason(d), CMABUF_DIAG_UNKNOWN);
	ck_assert_ptr_nonnull(strstr(cmabuf_diagnosis_get_message(d),
				     strerror(ENOTTY)));
	cmabuf_diagnosis_unref(d);
}
END_TEST

START_TEST(test_telemetry_counts_failures)
{
	struct cmabuf_telemetry t;
	struct cmabuf *buf = NULL;

	ck_assert_int_eq(cmabuf_ctx_get_telemetry(ctx, &t), -ENODATA);
	ck_assert_int_eq(cmabuf_ctx_set_telemetry(NULL, 1), -EINVAL);
	ck_assert_int_eq(cmabuf_ctx_set_telemetry(ctx, 1), 0);
	ck_assert_int_eq(cmabuf_ctx_get_telemetry(ctx, NULL), -EINVAL);
	ck_assert_int_eq(cmabuf_alloc(heap, 4096, 0, &buf), -ENOTTY);
	ck_assert_int_eq(cmabuf_alloc(heap, 4096, 0, &buf), -ENOTTY);
	/* refused before the kernel is asked: not counted */
	ck_assert_int_eq(cmabuf_alloc(heap, 0, 0, &buf), -EINVAL);
	ck_assert_int_eq(cmabuf_ctx_get_telemetry(ctx, &t), 0);
	ck_assert_uint_eq(t.failures, 2);
	ck_assert_uint_eq(t.allocations, 0);
	ck_assert_int_eq(cmabuf_ctx_set_telemetry(ctx, 0), 0);
	ck_assert_int_eq(cmabuf_ctx_get_telemetry(ctx, &t), -ENODATA);
	/* counters survive switching off and on */
	ck_assert_int_eq(cmabuf_ctx_set_telemetry(ctx, 1), 0);
	ck_assert_int_eq(cmabuf_ctx_get_telemetry(ctx, &t), 0);
	ck_assert_uint_eq(t.failures, 2);
}
END_TEST

START_TEST(test_telemetry_reserved_zeroed)
{
	struct cmabuf_telemetry t;
	size_t i;

	/* a caller's uninitialised struct: the snapshot clears it all */
	memset(&t, 0xa5, sizeof(t));
	ck_assert_int_eq(cmabuf_ctx_set_telemetry(ctx, 1), 0);
	ck_assert_int_eq(cmabuf_ctx_get_telemetry(ctx, &t), 0);
	for (i = 0; i < sizeof(t.reserved) / sizeof(t.reserved[0]); i++)
		ck_assert_uint_eq(t.reserved[i], 0);
	ck_assert_uint_eq(t.allocations, 0);
}
END_TEST

START_TEST(test_telemetry_quantiles)
{
	struct cmabuf_telemetry t = { 0 };

	ck_assert_uint_eq(cmabuf_telemetry_quantile_ns(&t, 0.5), 0);
	t.allocations = 100;
	t.histogram[0] = 90;	/* < 2 us */
	t.histogram[10] = 9;	/* [1024, 2048) us */
	t.histogram[CMABUF_TELEMETRY_BUCKETS - 1] = 1;
	t.max_ns = 20000000000ull;
	ck_assert_uint_eq(cmabuf_telemetry_quantile_ns(&t, 0.5), 2000);
	ck_assert_uint_eq(cmabuf_telemetry_quantile_ns(&t, 0.99), 2048000);
	ck_assert_uint_eq(cmabuf_telemetry_quantile_ns(&t, 1.0), t.max_ns);
	ck_assert_uint_eq(cmabuf_telemetry_quantile_ns(&t, 1.5), 0);
	ck_assert_uint_eq(cmabuf_telemetry_quantile_ns(NULL, 0.5), 0);
}
END_TEST

static Suite *pool_args_suite(void)
{
	Suite *s = suite_create("pool-args");
	TCase *tc = tcase_create("pool");
	TCase *dc = tcase_create("diagnose");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_pool_new_bad_args);
	tcase_add_test(tc, test_pool_preallocation_failure_is_returned);
	tcase_add_test(tc, test_pool_empty_geometry_and_stats);
	tcase_add_test(tc, test_pool_calls_bad_args);
	tcase_add_test(tc, test_image_pool_new_bad_args);
	tcase_add_test(tc, test_image_pool_calls_bad_args);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(dc, setup, teardown);
	tcase_add_test(dc, test_diagnose_bad_args);
	tcase_add_test(dc, test_diagnose_no_cma_heap);
	tcase_add_test(dc, test_diagnose_permission_names_owner_and_mode);
	tcase_add_test(dc, test_diagnose_other_error_is_unknown);
	tcase_add_test(dc, test_telemetry_counts_failures);
	tcase_add_test(dc, test_telemetry_quantiles);
	tcase_add_test(dc, test_telemetry_reserved_zeroed);
	suite_add_tcase(s, dc);
	return s;
}

int main(void)
{
	return tu_run(pool_args_suite());
}
