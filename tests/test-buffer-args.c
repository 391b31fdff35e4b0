// SPDX-License-Identifier: LGPL-2.1-or-later
/* Argument checking of the buffer API: no kernel dma-buf needed. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "testutil.h"

static struct cmabuf_ctx *ctx;
static struct cmabuf_heap *heap;
static char *tree;
static int fds_at_start;

static void setup(void)
{
	tu_fixture_open(&ctx, &heap, &tree, &fds_at_start);
}

static void teardown(void)
{
	tu_fixture_close(&ctx, &heap, &tree, fds_at_start);
}

START_TEST(test_alloc_zero)
{
	struct cmabuf *buf = NULL;

	ck_assert_int_eq(cmabuf_alloc(heap, 0, 0, &buf), -EINVAL);
	ck_assert(tu_log_contains("client bug: allocation of 0 bytes"));
	ck_assert_ptr_null(buf);
}
END_TEST

START_TEST(test_alloc_overflow)
{
	struct cmabuf *buf = NULL;

	ck_assert_int_eq(cmabuf_alloc(heap, SIZE_MAX, 0, &buf), -EOVERFLOW);
	ck_assert_int_eq(cmabuf_alloc(heap, SIZE_MAX - 4094, 0, &buf),
			 -EOVERFLOW);
	ck_assert(tu_log_contains("size overflows"));
	ck_assert_ptr_null(buf);
}
END_TEST

START_TEST(test_alloc_bad_args)
{
	struct cmabuf *buf = NULL;

	ck_assert_int_eq(cmabuf_alloc(NULL, 4096, 0, &buf), -EINVAL);
	ck_assert_int_eq(cmabuf_alloc(heap, 4096, 0, NULL), -EINVAL);
	ck_assert_int_eq(cmabuf_alloc(heap, 4096, 1, &buf), -EINVAL);
	ck_assert(tu_log_contains("client bug: unknown alloc flags"));
	ck_assert_ptr_null(buf);
}
END_TEST

START_TEST(test_import_invalid_fds)
{
	struct cmabuf *buf = NULL;
	int p[2], memfd, closed;

	ck_assert_int_eq(cmabuf_import(ctx, -1, &buf), -EBADF);
	ck_assert(tu_log_contains("client bug: import of invalid fd -1"));

	closed = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(closed, 0);
	close(closed);
	ck_assert_int_eq(cmabuf_import(ctx, closed, &buf), -EBADF);

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	tu_log_reset();
	ck_assert_int_eq(cmabuf_import(ctx, p[0], &buf), -EINVAL);
	ck_assert(tu_log_contains("is not a dma-buf"));
	close(p[0]);
	close(p[1]);

	memfd = memfd_create("not-a-dmabuf", MFD_CLOEXEC);
	ck_assert_int_ge(memfd, 0);
	ck_assert_int_eq(ftruncate(memfd, 4096), 0);
	ck_assert_int_eq(cmabuf_import(ctx, memfd, &buf), -EINVAL);
	close(memfd);

	ck_assert_int_eq(cmabuf_import(NULL, 0, &buf), -EINVAL);
	ck_assert_int_eq(cmabuf_import(ctx, 0, NULL), -EINVAL);
	ck_assert_ptr_null(buf);
}
END_TEST

START_TEST(test_null_buffer)
{
	void *addr = NULL;
	int fd = -1;

	ck_assert_ptr_null(cmabuf_ref(NULL));
	ck_assert_ptr_null(cmabuf_unref(NULL));
	ck_assert_int_eq(cmabuf_get_fd(NULL), -EINVAL);
	ck_assert_int_eq(cmabuf_dup_fd(NULL), -EINVAL);
	ck_assert_uint_eq(cmabuf_get_size(NULL), 0);
	ck_assert_ptr_null(cmabuf_get_heap_name(NULL));
	ck_assert_int_eq(cmabuf_is_contiguous(NULL), 0);
	ck_assert_ptr_null(cmabuf_get_ctx(NULL));
	ck_assert_int_eq(cmabuf_set_name(NULL, "x"), -EINVAL);
	ck_assert_int_eq(cmabuf_map(NULL, CMABUF_MAP_RW, &addr), -EINVAL);
	ck_assert_int_eq(cmabuf_unmap(NULL), -EINVAL);
	ck_assert_int_eq(cmabuf_sync_begin(NULL, CMABUF_SYNC_RW), -EINVAL);
	ck_assert_int_eq(cmabuf_sync_end(NULL, CMABUF_SYNC_RW), -EINVAL);
	ck_assert_int_eq(cmabuf_export_sync_file(NULL, CMABUF_SYNC_READ, &fd),
			 -EINVAL);
	ck_assert_int_eq(cmabuf_import_sync_file(NULL, CMABUF_SYNC_READ, 0),
			 -EINVAL);
	ck_assert_ptr_null(addr);
	ck_assert_int_eq(fd, -1);
}
END_TEST

static Suite *args_suite(void)
{
	Suite *s = suite_create("buffer-args");
	TCase *tc = tcase_create("args");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_alloc_zero);
	tcase_add_test(tc, test_alloc_overflow);
	tcase_add_test(tc, test_alloc_bad_args);
	tcase_add_test(tc, test_import_invalid_fds);
	tcase_add_test(tc, test_null_buffer);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(args_suite());
}
