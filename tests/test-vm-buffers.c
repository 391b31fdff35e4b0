// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Buffers on a real kernel (run in the test VM): allocation from the CMA
 * and system heaps, mapping, cache sync, names, import, descriptor
 * hygiene, udmabuf fallback and permissions.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

static const char *heap_names[2];	/* CMA heap, system heap */
static struct cmabuf_ctx *ctx;
static struct cmabuf_heap *heap;
static int fds_at_start;
static int cur;	/* index into heap_names of the running tcase */

static void setup_heap(int i)
{
	cur = i;
	fds_at_start = tu_fd_count();
	ctx = tu_ctx_new();
	ck_assert_int_eq(cmabuf_heap_open(ctx, heap_names[i], 0, &heap), 0);
	tu_log_reset();
}

static void setup_cma(void)
{
	setup_heap(0);
}

static void setup_system(void)
{
	setup_heap(1);
}

static void teardown_heap(void)
{
	heap = cmabuf_heap_unref(heap);
	ctx = cmabuf_ctx_unref(ctx);
	ck_assert_int_eq(tu_fd_count(), fds_at_start);
}

static struct cmabuf *alloc_ok(size_t size)
{
	struct cmabuf *buf = NULL;

	ck_assert_int_eq(cmabuf_alloc(heap, size, 0, &buf), 0);
	ck_assert_ptr_nonnull(buf);
	return buf;
}

static const size_t sizes[] = {
	4096, 65536, 1 << 20, 8 << 20, 32 << 20, 5000 /* rounds up */
};

START_TEST(test_alloc_sizes)
{
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct cmabuf *buf = alloc_ok(sizes[i]);
		/* whole pages of the running kernel: 16 KiB for 4096 on 16K */
		size_t page = tu_page_size();
		size_t expect = (sizes[i] + page - 1) & ~(page - 1);

		ck_assert_uint_eq(cmabuf_get_size(buf), expect);
		ck_assert_str_eq(cmabuf_get_heap_name(buf), heap_names[cur]);
		ck_assert_int_eq(cmabuf_is_contiguous(buf), cur == 0);
		ck_assert_int_ge(cmabuf_get_fd(buf), 0);
		ck_assert_ptr_eq(cmabuf_get_ctx(buf), ctx);
		ck_assert_ptr_null(cmabuf_unref(buf));
	}
}
END_TEST

START_TEST(test_fresh_buffers_are_zeroed)
{
	struct cmabuf *buf = alloc_ok(1 << 20);
	const unsigned char *p;
	void *addr = NULL;
	size_t i;

	ck_assert_int_eq(cmabuf_map(buf, CMABUF_MAP_READ, &addr), 0);
	ck_assert_int_eq(cmabuf_sync_begin(buf, CMABUF_SYNC_READ), 0);
	/* one assertion for the whole buffer: Check records every one */
	for (i = 0, p = addr; i < cmabuf_get_size(buf) && p[i] == 0; i++)
		;
	ck_assert_msg(i == cmabuf_get_size(buf), "byte %zu is %u, not 0", i,
		      i < cmabuf_get_size(buf) ? p[i] : 0);
	ck_assert_int_eq(cmabuf_sync_end(buf, CMABUF_SYNC_READ), 0);
	ck_assert_int_eq(cmabuf_unmap(buf), 0);
	cmabuf_unref(buf);
}
END_TEST

START_TEST(test_write_then_read_through_import)
{
	struct cmabuf *buf = alloc_ok(4 << 20), *imp = NULL;
	unsigned char *w = NULL, *r = NULL;
	size_t i, size = 4 << 20;
	int dupfd;

	ck_assert_int_eq(cmabuf_map(buf, CMABUF_MAP_RW, (void **)&w), 0);
	ck_assert_int_eq(cmabuf_sync_begin(buf, CMABUF_SYNC_WRITE), 0);
	for (i = 0; i < size; i++)
		w[i] = (unsigned char)(i * 7 + 3);
	ck_assert_int_eq(cmabuf_sync_end(buf, CMABUF_SYNC_WRITE), 0);

	dupfd = cmabuf_dup_fd(buf);
	ck_assert_int_ge(dupfd, 0);
	ck_assert_int_ne(dupfd, cmabuf_get_fd(buf));
	ck_assert_int_eq(cmabuf_import(ctx, dupfd, &imp), 0);
	close(dupfd);	/* import took its own duplicate */
	ck_assert_uint_eq(cmabuf_get_size(imp), size);
	/* the kernel names the exporter after the heap */
	ck_assert_str_eq(cmabuf_get_heap_name(imp), heap_names[cur]);
	ck_assert_int_eq(cmabuf_is_contiguous(imp), cur == 0);

	ck_assert_int_eq(cmabuf_map(imp, CMABUF_MAP_READ, (void **)&r), 0);
	ck_assert_ptr_ne(r, w);
	ck_assert_int_eq(cmabuf_sync_begin(imp, CMABUF_SYNC_READ), 0);
	for (i = 0; i < size && r[i] == (unsigned char)(i * 7 + 3); i++)
		;
	ck_assert_msg(i == size, "byte %zu reads %u, wrote %u", i,
		      i < size ? r[i] : 0, (unsigned char)(i * 7 + 3));
	ck_assert_int_eq(cmabuf_sync_end(imp, CMABUF_SYNC_READ), 0);
	cmabuf_unref(imp);	/* last unref unmaps */
	cmabuf_unref(buf);
}
END_TEST

/*
 * Every page of a 32 MiB buffer faults in: with cma=128M the buffer
 * crosses a 128 MiB memory section, which crashed 6.1/6.12 CMA heaps on
 * kernels built without CONFIG_SPARSEMEM_VMEMMAP.
 */
START_TEST(test_large_buffer_every_page)
{
	struct cmabuf *buf = alloc_ok(32 << 20);
	size_t i, size = 32 << 20;
	unsigned char *p = NULL;

	ck_assert_int_eq(cmabuf_map(buf, CMABUF_MAP_RW, (void **)&p), 0);
	ck_assert_int_eq(cmabuf_sync_begin(buf, CMABUF_SYNC_RW), 0);
	memset(p, 0x3c, size);
	for (i = 0; i < size && p[i] == 0x3c; i += 4096)
		;
	ck_assert_msg(i >= size, "page at %zu reads %u", i, p[i]);
	ck_assert_int_eq(cmabuf_sync_end(buf, CMABUF_SYNC_RW), 0);
	cmabuf_unref(buf);
}
END_TEST

static bool fdinfo_has(int fd, const char *line)
{
	char path[64], text[2048];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	ck_assert_ptr_nonnull(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	return strstr(text, line) != NULL;
}

START_TEST(test_name_in_fdinfo)
{
	struct cmabuf *buf = alloc_ok(65536);

	ck_assert_int_eq(cmabuf_set_name(buf, "cmabuf-test"), 0);
	ck_assert(fdinfo_has(cmabuf_get_fd(buf), "name:\tcmabuf-test\n"));
	/* 40 bytes are cut to CMABUF_NAME_MAX, and the log says so */
	ck_assert_int_eq(cmabuf_set_name(buf,
			 "0123456789abcdefghijklmnopqrstuvwxyzABCD"), 0);
	ck_assert(fdinfo_has(cmabuf_get_fd(buf),
			     "name:\t0123456789abcdefghijklmnopqrstu\n"));
	ck_assert(tu_log_contains("truncated to 31 bytes"));
	ck_assert_int_eq(cmabuf_set_name(buf, NULL), -EINVAL);
	cmabuf_unref(buf);
}
END_TEST

START_TEST(test_map_is_counted)
{
	struct cmabuf *buf = alloc_ok(65536);
	void *a = NULL, *b = NULL;

	ck_assert_int_eq(cmabuf_map(buf, CMABUF_MAP_READ, &a), 0);
	ck_assert_int_eq(cmabuf_map(buf, CMABUF_MAP_READ, &b), 0);
	ck_assert_ptr_eq(a, b);
	/* a read-only mapping cannot silently become writable */
	ck_assert_int_eq(cmabuf_map(buf, CMABUF_MAP_RW, &b), -EBUSY);
	ck_assert_int_eq(cmabuf_unmap(buf), 0);
	ck_assert_int_eq(cmabuf_unmap(buf), 0);
	tu_log_reset();
	ck_assert_int_eq(cmabuf_unmap(buf), -EINVAL);
	ck_assert(tu_log_contains("client bug: unmap of a buffer not mapped"));
	ck_assert_int_eq(cmabuf_map(buf, 0, &a), -EINVAL);
	ck_assert_int_eq(cmabuf_map(buf, 4, &a), -EINVAL);
	ck_assert_int_eq(cmabuf_map(buf, CMABUF_MAP_RW, NULL), -EINVAL);
	cmabuf_unref(buf);
}
END_TEST

START_TEST(test_sync_misuse)
{
	struct cmabuf *buf = alloc_ok(65536);

	ck_assert_int_eq(cmabuf_sync_end(buf, CMABUF_SYNC_READ), -EINVAL);
	ck_assert(tu_log_contains("client bug: sync end without begin"));
	ck_assert_int_eq(cmabuf_sync_begin(buf, 0), -EINVAL);
	ck_assert_int_eq(cmabuf_sync_begin(buf, 4), -EINVAL);
	ck_assert_int_eq(cmabuf_sync_begin(buf, CMABUF_SYNC_READ), 0);
	ck_assert_int_eq(cmabuf_sync_begin(buf, CMABUF_SYNC_READ), -EINVAL);
	tu_log_reset();
	ck_assert_int_eq(cmabuf_sync_end(buf, CMABUF_SYNC_WRITE), -EINVAL);
	ck_assert(tu_log_contains("do not match"));
	/* the open bracket survives a mismatched end */
	ck_assert_int_eq(cmabuf_sync_end(buf, CMABUF_SYNC_READ), 0);
	ck_assert_int_eq(cmabuf_sync_begin(buf, CMABUF_SYNC_RW), 0);
	ck_assert_int_eq(cmabuf_sync_end(buf, CMABUF_SYNC_RW), 0);
	cmabuf_unref(buf);
}
END_TEST

START_TEST(test_sync_file_roundtrip)
{
	struct cmabuf *buf = alloc_ok(65536);
	int sfd = -1;

	ck_assert_int_eq(cmabuf_export_sync_file(buf, CMABUF_SYNC_WRITE, &sfd),
			 0);
	ck_assert_int_ge(sfd, 0);
	ck_assert_int_eq(fcntl(sfd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_int_eq(cmabuf_import_sync_file(buf, CMABUF_SYNC_READ, sfd),
			 0);
	close(sfd);
	ck_assert_int_eq(cmabuf_export_sync_file(buf, 0, &sfd), -EINVAL);
	ck_assert_int_eq(cmabuf_import_sync_file(buf, CMABUF_SYNC_READ, -1),
			 -EBADF);
	/* sfd was closed above */
	ck_assert_int_eq(cmabuf_import_sync_file(buf, CMABUF_SYNC_READ, sfd),
			 -EBADF);
	cmabuf_unref(buf);
}
END_TEST

static int count_dmabuf_maps(void)
{
	char line[512];
	int n = 0;
	FILE *f = fopen("/proc/self/maps", "re");

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "/dmabuf:") || strstr(line, "dmabuf"))
			n++;
	fclose(f);
	return n;
}

START_TEST(test_no_leak_after_1000_cycles)
{
	int fds = tu_fd_count(), maps = count_dmabuf_maps();
	int i;

	for (i = 0; i < 1000; i++) {
		struct cmabuf *buf = alloc_ok(65536);
		unsigned char *p = NULL;

		ck_assert_int_eq(cmabuf_map(buf, CMABUF_MAP_RW, (void **)&p),
				 0);
		ck_assert_int_eq(cmabuf_sync_begin(buf, CMABUF_SYNC_WRITE), 0);
		p[i % 65536] = (unsigned char)i;
		ck_assert_int_eq(cmabuf_sync_end(buf, CMABUF_SYNC_WRITE), 0);
		ck_assert_ptr_null(cmabuf_unref(buf));
	}
	ck_assert_int_eq(tu_fd_count(), fds);
	ck_assert_int_eq(count_dmabuf_maps(), maps);
}
END_TEST

/* argv: --expect-closed FD... : every FD must be closed after exec */
static int child_check_closed(int argc, char **argv)
{
	int i, bad = 0;

	for (i = 2; i < argc; i++) {
		int fd = atoi(argv[i]);

		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF) {
			fprintf(stderr, "fd %d survived exec\n", fd);
			bad++;
		}
	}
	return bad ? 1 : 0;
}

static int fd_of_path(const char *path)
{
	char link[64], target[4096];
	int fd;

	for (fd = 0; fd < 1024; fd++) {
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, path) == 0)
			return fd;
	}
	ck_abort_msg("no descriptor open on %s", path);
	return -1;
}

START_TEST(test_every_fd_is_cloexec)
{
	struct cmabuf *buf = alloc_ok(65536), *imp = NULL;
	char a[16], b[16], c[16], d[16];
	int dupfd, status;
	pid_t pid;

	dupfd = cmabuf_dup_fd(buf);
	ck_assert_int_eq(cmabuf_import(ctx, cmabuf_get_fd(buf), &imp), 0);
	ck_assert_int_eq(fcntl(cmabuf_get_fd(buf), F_GETFD) & FD_CLOEXEC, 1);
	ck_assert_int_eq(fcntl(dupfd, F_GETFD) & FD_CLOEXEC, 1);
	ck_assert_int_eq(fcntl(cmabuf_get_fd(imp), F_GETFD) & FD_CLOEXEC, 1);
	snprintf(a, sizeof(a), "%d", cmabuf_get_fd(buf));
	snprintf(b, sizeof(b), "%d", dupfd);
	snprintf(c, sizeof(c), "%d", cmabuf_get_fd(imp));
	/* the heap's own device descriptor */
	snprintf(d, sizeof(d), "%d", fd_of_path(cmabuf_heap_get_path(heap)));
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		execl("/proc/self/exe", "test-vm-buffers", "--expect-closed",
		      a, b, c, d, (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	close(dupfd);
	cmabuf_unref(imp);
	cmabuf_unref(buf);
}
END_TEST

START_TEST(test_cma_exhaustion_is_enomem)
{
	uint64_t total_kb = 0, fail0 = 0, fail1 = 0;
	struct cmabuf *bufs[256], *big = NULL;
	size_t size, n = 0;
	int ret = 0;

	ck_assert(tu_meminfo("CmaTotal", &total_kb));
	ck_assert_uint_gt(total_kb, 0);
	/* larger than the whole area: refused whatever the kernel counts */
	size = (size_t)total_kb * 1024 + (4 << 20);
	ck_assert_int_eq(cmabuf_alloc(heap, size, 0, &big), -ENOMEM);
	ck_assert_ptr_null(big);
	ck_assert(tu_log_contains("CMA heap"));
	ck_assert(tu_log_contains("area exhausted or fragmented"));

	/*
	 * An area filled by allocations: the failing cma_alloc() is counted.
	 * (6.12 returns early for a request above the area's size without
	 * counting it, so the count is asserted on this case.)
	 */
	ck_assert(tu_vmstat("cma_alloc_fail", &fail0));
	while (n < 256) {
		ret = cmabuf_alloc(heap, 4 << 20, 0, &bufs[n]);
		if (ret < 0)
			break;
		n++;
	}
	ck_assert_int_eq(ret, -ENOMEM);
	ck_assert(tu_vmstat("cma_alloc_fail", &fail1));
	ck_assert_uint_gt(fail1, fail0);
	while (n > 0)
		cmabuf_unref(bufs[--n]);
}
END_TEST

START_TEST(test_default_heap_is_cma)
{
	struct cmabuf_heap *h = NULL;

	ck_assert_int_eq(cmabuf_heap_open(ctx, NULL, 0, &h), 0);
	ck_assert_str_eq(cmabuf_heap_get_name(h), heap_names[0]);
	ck_assert_int_eq(cmabuf_heap_get_kind(h), CMABUF_HEAP_KIND_CMA);
	ck_assert(cmabuf_heap_get_flags(h) & CMABUF_HEAP_CONTIGUOUS);
	cmabuf_heap_unref(h);
}
END_TEST

START_TEST(test_enumerate_live)
{
	struct cmabuf_heap *heaps[16];
	bool cma = false, sys = false;
	size_t n = 0, i;

	/* libudev (sysfs class dma_heap) lists the kernel's heaps */
	ck_assert_int_eq(cmabuf_heap_enumerate(ctx, 0, heaps, 16, &n), 0);
	ck_assert_uint_ge(n, 2);
	for (i = 0; i < n && i < 16; i++) {
		const char *name = cmabuf_heap_get_name(heaps[i]);

		if (strcmp(name, heap_names[0]) == 0)
			cma = cmabuf_heap_get_kind(heaps[i]) ==
			      CMABUF_HEAP_KIND_CMA;
		if (strcmp(name, "system") == 0)
			sys = true;
		/* an alias would count one CMA area twice */
		ck_assert(!(cmabuf_heap_get_flags(heaps[i]) &
			    CMABUF_HEAP_ALIAS));
		cmabuf_heap_unref(heaps[i]);
	}
	ck_assert(cma);
	ck_assert(sys);
}
END_TEST

START_TEST(test_udmabuf_fallback)
{
	struct cmabuf_heap *h = NULL;
	struct cmabuf *buf = NULL;
	char tmpl[] = "/tmp/no-heaps-XXXXXX";
	unsigned char *p = NULL;

	/* a heap directory without heaps: only the fallback can serve */
	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	ck_assert_int_eq(cmabuf_ctx_set_heap_dir(ctx, tmpl), 0);
	ck_assert_int_eq(cmabuf_heap_open(ctx, NULL, 0, &h), -ENOENT);
	ck_assert_int_eq(cmabuf_heap_open(ctx, NULL,
					  CMABUF_OPEN_FALLBACK_UDMABUF, &h), 0);
	ck_assert_int_eq(cmabuf_heap_get_kind(h), CMABUF_HEAP_KIND_UDMABUF);
	ck_assert(tu_log_contains("NOT physically contiguous"));
	ck_assert_int_eq(cmabuf_alloc(h, 1 << 20, 0, &buf), 0);
	ck_assert_int_eq(cmabuf_is_contiguous(buf), 0);
	ck_assert_uint_eq(cmabuf_get_size(buf), 1 << 20);
	ck_assert_int_eq(fcntl(cmabuf_get_fd(buf), F_GETFD) & FD_CLOEXEC, 1);
	ck_assert_int_eq(cmabuf_map(buf, CMABUF_MAP_RW, (void **)&p), 0);
	ck_assert_int_eq(cmabuf_sync_begin(buf, CMABUF_SYNC_RW), 0);
	p[0] = 0x5a;
	p[(1 << 20) - 1] = 0xa5;
	ck_assert_uint_eq(p[0] + p[(1 << 20) - 1], 0xff);
	ck_assert_int_eq(cmabuf_sync_end(buf, CMABUF_SYNC_RW), 0);
	cmabuf_unref(buf);
	/* above udmabuf's size_limit_mb (64 MiB by default) */
	buf = NULL;
	ck_assert_int_eq(cmabuf_alloc(h, 65 << 20, 0, &buf), -E2BIG);
	ck_assert_ptr_null(buf);
	ck_assert(tu_log_contains("exceed size_limit_mb"));
	cmabuf_heap_unref(h);
	rmdir(tmpl);
}
END_TEST

START_TEST(test_non_root_gets_eacces)
{
	int status;
	pid_t pid;

	ck_assert_int_eq(geteuid(), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct cmabuf_heap *h = NULL;
		struct cmabuf_ctx *c;
		int ret;

		if (setgid(65534) || setuid(65534))
			_exit(3);
		c = tu_ctx_new();
		tu_log_reset();
		ret = cmabuf_heap_open(c, NULL, 0, &h);
		if (ret != -EACCES)
			_exit(4);
		if (!tu_log_contains("is owned by 0:0 with mode 0600"))
			_exit(5);
		/* a fallback heap with the same mode does not hide EACCES */
		ret = cmabuf_heap_open(c, NULL, CMABUF_OPEN_FALLBACK_SYSTEM,
				       &h);
		_exit(ret == -EACCES ? 0 : 6);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

static void add_common_tests(TCase *tc)
{
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_alloc_sizes);
	tcase_add_test(tc, test_fresh_buffers_are_zeroed);
	tcase_add_test(tc, test_write_then_read_through_import);
	tcase_add_test(tc, test_large_buffer_every_page);
	tcase_add_test(tc, test_name_in_fdinfo);
	tcase_add_test(tc, test_map_is_counted);
	tcase_add_test(tc, test_sync_misuse);
	tcase_add_test(tc, test_sync_file_roundtrip);
	tcase_add_test(tc, test_no_leak_after_1000_cycles);
	tcase_add_test(tc, test_every_fd_is_cloexec);
}

static Suite *buffers_suite(void)
{
	Suite *s = suite_create("vm-buffers");
	TCase *cma = tcase_create("cma-heap");
	TCase *sys = tcase_create("system-heap");

	tcase_add_checked_fixture(cma, setup_cma, teardown_heap);
	add_common_tests(cma);
	tcase_add_test(cma, test_cma_exhaustion_is_enomem);
	tcase_add_test(cma, test_default_heap_is_cma);
	tcase_add_test(cma, test_enumerate_live);
	tcase_add_test(cma, test_udmabuf_fallback);
	tcase_add_test(cma, test_non_root_gets_eacces);
	suite_add_tcase(s, cma);

	tcase_add_checked_fixture(sys, setup_system, teardown_heap);
	add_common_tests(sys);
	suite_add_tcase(s, sys);
	return s;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--expect-closed") == 0)
		return child_check_closed(argc, argv);
	if (tu_missing_cma())
		return tu_cannot_run(tu_missing_cma());
	heap_names[0] = tu_cma_heap_name();
	heap_names[1] = "system";
	return tu_run(buffers_suite());
}
