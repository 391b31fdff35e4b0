// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The bad-input table: every row is a misuse a caller can make, with the
 * errno the man pages promise. Runs on a real kernel (test VM) so that
 * rows needing a live dma-buf use one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "testutil.h"

static struct cmabuf_ctx *ctx;
static struct cmabuf_heap *heap;
static struct cmabuf *buf;

static int closed_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	close(fd);
	return fd;
}

static int r_alloc_zero(void)
{
	struct cmabuf *b = NULL;

	return cmabuf_alloc(heap, 0, 0, &b);
}

static int r_alloc_size_max(void)
{
	struct cmabuf *b = NULL;

	return cmabuf_alloc(heap, SIZE_MAX, 0, &b);
}

static int r_alloc_flags(void)
{
	struct cmabuf *b = NULL;

	return cmabuf_alloc(heap, 4096, 0x8000, &b);
}

static int r_alloc_null_heap(void)
{
	struct cmabuf *b = NULL;

	return cmabuf_alloc(NULL, 4096, 0, &b);
}

static int r_import_minus_one(void)
{
	struct cmabuf *b = NULL;

	return cmabuf_import(ctx, -1, &b);
}

static int r_import_closed(void)
{
	struct cmabuf *b = NULL;

	return cmabuf_import(ctx, closed_fd(), &b);
}

static int r_import_pipe(void)
{
	struct cmabuf *b = NULL;
	int p[2], ret;

	if (pipe2(p, O_CLOEXEC))
		return -999;
	ret = cmabuf_import(ctx, p[0], &b);
	close(p[0]);
	close(p[1]);
	return ret;
}

static int r_import_memfd(void)
{
	struct cmabuf *b = NULL;
	int fd = memfd_create("x", MFD_CLOEXEC), ret;

	if (fd < 0 || ftruncate(fd, 4096))
		return -999;
	ret = cmabuf_import(ctx, fd, &b);
	close(fd);
	return ret;
}

static int r_import_null_ctx(void)
{
	struct cmabuf *b = NULL;

	return cmabuf_import(NULL, cmabuf_get_fd(buf), &b);
}

static int r_sync_flags_zero(void)
{
	return cmabuf_sync_begin(buf, 0);
}

static int r_sync_flags_unknown(void)
{
	return cmabuf_sync_begin(buf, 0x10 | CMABUF_SYNC_READ);
}

static int r_sync_end_without_begin(void)
{
	return cmabuf_sync_end(buf, CMABUF_SYNC_RW);
}

static int r_sync_null(void)
{
	return cmabuf_sync_begin(NULL, CMABUF_SYNC_READ);
}

static int r_name_long(void)
{
	/* accepted, cut to CMABUF_NAME_MAX bytes and logged */
	return cmabuf_set_name(buf, "a-name-that-is-longer-than-32-bytes!!");
}

static int r_name_null(void)
{
	return cmabuf_set_name(buf, NULL);
}

static int r_double_unmap(void)
{
	void *p;
	int ret = cmabuf_map(buf, CMABUF_MAP_READ, &p);

	if (ret)
		return -999;
	if (cmabuf_unmap(buf))
		return -999;
	return cmabuf_unmap(buf);
}

static int r_map_no_flags(void)
{
	void *p;

	return cmabuf_map(buf, 0, &p);
}

static int r_map_null_out(void)
{
	return cmabuf_map(buf, CMABUF_MAP_RW, NULL);
}

static int r_heap_bad_name(void)
{
	struct cmabuf_heap *h = NULL;

	return cmabuf_heap_open(ctx, "../../etc/passwd", 0, &h);
}

static int r_heap_missing(void)
{
	struct cmabuf_heap *h = NULL;

	return cmabuf_heap_open(ctx, "no-such-heap", 0, &h);
}

static int r_heap_flags(void)
{
	struct cmabuf_heap *h = NULL;

	return cmabuf_heap_open(ctx, NULL, 0x40, &h);
}

static int r_import_sync_file_closed(void)
{
	return cmabuf_import_sync_file(buf, CMABUF_SYNC_READ, closed_fd());
}

static int r_export_sync_file_null(void)
{
	return cmabuf_export_sync_file(buf, CMABUF_SYNC_READ, NULL);
}

static int r_get_fd_null(void)
{
	return cmabuf_get_fd(NULL);
}

static int r_dup_fd_null(void)
{
	return cmabuf_dup_fd(NULL);
}

static const struct row {
	const char *what;
	int (*call)(void);
	int expect;
	const char *log;	/* expected in the log, or NULL */
} rows[] = {
	{ "alloc size 0", r_alloc_zero, -EINVAL, "client bug" },
	{ "alloc SIZE_MAX", r_alloc_size_max, -EOVERFLOW, "overflows" },
	{ "alloc unknown flags", r_alloc_flags, -EINVAL, "client bug" },
	{ "alloc NULL heap", r_alloc_null_heap, -EINVAL, NULL },
	{ "import fd -1", r_import_minus_one, -EBADF, "client bug" },
	{ "import closed fd", r_import_closed, -EBADF, NULL },
	{ "import pipe", r_import_pipe, -EINVAL, "not a dma-buf" },
	{ "import memfd", r_import_memfd, -EINVAL, "not a dma-buf" },
	{ "import NULL ctx", r_import_null_ctx, -EINVAL, NULL },
	{ "sync flags 0", r_sync_flags_zero, -EINVAL, "bad sync flags" },
	{ "sync unknown flags", r_sync_flags_unknown, -EINVAL, "bad sync" },
	{ "sync end without begin", r_sync_end_without_begin, -EINVAL,
	  "without begin" },
	{ "sync NULL buffer", r_sync_null, -EINVAL, NULL },
	{ "name of 37 bytes", r_name_long, 0, "truncated" },
	{ "name NULL", r_name_null, -EINVAL, "client bug" },
	{ "double unmap", r_double_unmap, -EINVAL, "not mapped" },
	{ "map without flags", r_map_no_flags, -EINVAL, "bad map flags" },
	{ "map NULL out", r_map_null_out, -EINVAL, "bad map flags" },
	{ "heap name with /", r_heap_bad_name, -EINVAL, "invalid heap name" },
	{ "heap missing", r_heap_missing, -ENOENT, NULL },
	{ "heap unknown flags", r_heap_flags, -EINVAL, "client bug" },
	{ "import closed sync_file", r_import_sync_file_closed, -EBADF,
	  "client bug" },
	{ "export sync_file NULL out", r_export_sync_file_null, -EINVAL,
	  "client bug" },
	{ "get_fd NULL", r_get_fd_null, -EINVAL, NULL },
	{ "dup_fd NULL", r_dup_fd_null, -EINVAL, NULL },
};

START_TEST(test_bad_input_row)
{
	const struct row *r = &rows[_i];
	int fds, ret;

	ctx = tu_ctx_new();
	ck_assert_int_eq(cmabuf_heap_open(ctx, NULL, 0, &heap), 0);
	ck_assert_int_eq(cmabuf_alloc(heap, 65536, 0, &buf), 0);
	fds = tu_fd_count();
	tu_log_reset();
	ret = r->call();
	ck_assert_msg(ret == r->expect, "%s: got %d (%s), expected %d (%s)",
		      r->what, ret, strerror(-ret), r->expect,
		      strerror(-r->expect));
	if (r->log)
		ck_assert_msg(tu_log_contains(r->log), "%s: log lacks \"%s\": %s",
			      r->what, r->log, tu_log());
	ck_assert_msg(tu_fd_count() == fds, "%s leaked a descriptor", r->what);
	cmabuf_unref(buf);
	cmabuf_heap_unref(heap);
	cmabuf_ctx_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vm-bad-input");
	TCase *tc = tcase_create("table");

	if (tu_missing_cma())
		return tu_cannot_run(tu_missing_cma());
	tcase_add_loop_test(tc, test_bad_input_row, 0,
			    (int)(sizeof(rows) / sizeof(rows[0])));
	suite_add_tcase(s, tc);
	return tu_run(s);
}
