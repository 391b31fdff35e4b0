// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The CMA area map and the forecast on captured guests
 * (tests/map-trees/6.1: a 16 MiB area of 64-page buffers with every
 * third freed and movable pages spilled into the holes, see
 * tests/map-capture.c; 7.2: the same without the spill, with ranges/), the pure parts on hand-made input, and every
 * errno of cmabuf_area_map_*(3), cmabuf_heap_forecast(3) and
 * cmabuf_page_class_name(3).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "stats-map.h"

#define AREA_PAGES 4096

static char tree[256];
static const char *fixture = "6.1";
static uint64_t first_pfn;
static struct cmabuf_ctx *ctx;

static void sh(const char *cmd)
{
	ck_assert_int_eq(system(cmd), 0);
}

static void write_text(const char *rel, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tree, rel);
	f = fopen(path, "we");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* the kpageflags words of the area, from the tree */
static void kpf_rw(uint64_t *kpf, bool write)
{
	char path[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/proc/kpageflags", tree);
	fd = open(path, write ? O_WRONLY : O_RDONLY);
	ck_assert_int_ge(fd, 0);
	n = write ? pwrite(fd, kpf, AREA_PAGES * 8, (off_t)first_pfn * 8) :
		    pread(fd, kpf, AREA_PAGES * 8, (off_t)first_pfn * 8);
	ck_assert_int_eq(n, AREA_PAGES * 8);
	close(fd);
}

/* a copy of the captured tree with the excerpt at its pfn (sparse) */
static void setup(void)
{
	static uint64_t kpf[AREA_PAGES];
	char src[4096], path[8500];
	FILE *f;
	int fd;

	snprintf(src, sizeof(src), "%s/tests/map-trees/%s",
		 getenv("abs_top_srcdir") ? getenv("abs_top_srcdir") : ".",
		 fixture);
	snprintf(tree, sizeof(tree), "/tmp/cmabuf-test-map.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tree));
	snprintf(path, sizeof(path), "cp -R '%s/.' '%s'", src, tree);
	sh(path);
	snprintf(path, sizeof(path), "%s/proc/kpageflags.first_pfn", tree);
	f = fopen(path, "re");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%" SCNu64, &first_pfn), 1);
	fclose(f);
	snprintf(path, sizeof(path), "%s/proc/kpageflags.excerpt", tree);
	fd = open(path, O_RDONLY);
	ck_assert_int_eq(read(fd, kpf, sizeof(kpf)), (ssize_t)sizeof(kpf));
	close(fd);
	snprintf(path, sizeof(path), "%s/proc/kpageflags", tree);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	kpf_rw(kpf, true);
	ctx = tu_ctx_new();
	ck_assert_int_eq(cmabuf_ctx_set_sysroot(ctx, tree), 0);
}

static void teardown(void)
{
	char cmd[512];

	ctx = cmabuf_ctx_unref(ctx);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tree);
	sh(cmd);
}

static struct cmabuf_area_map *read_map(struct cmabuf_area_map_info *in)
{
	struct cmabuf_area_map *map = NULL;

	ck_assert_int_eq(cmabuf_area_map_read(ctx, NULL, 0, &map), 0);
	ck_assert_uint_eq(cmabuf_area_map_get_area_count(map), 1);
	ck_assert_int_eq(cmabuf_area_map_get_info(map, 0, in), 0);
	return map;
}

START_TEST(test_fixture_counts)
{
	struct cmabuf_area_map_info in;
	struct cmabuf_area_map *map = read_map(&in);
	struct cmabuf_map_run run;
	uint64_t r, pfn = in.base_pfn, by_class[4] = { 0 };

	ck_assert_str_eq(in.name, "reserved");
	ck_assert_uint_eq(in.base_pfn, first_pfn);
	ck_assert_uint_eq(in.pages, AREA_PAGES);
	ck_assert_uint_eq(in.page_size, 4096);
	ck_assert_uint_eq(in.nr_ranges, 1);
	ck_assert_uint_eq(in.align_order, 8);
	/* debugfs used; the kpageflags words counted by hand */
	ck_assert_uint_eq(in.class_pages[CMABUF_PAGE_ALLOCATED], 2688);
	ck_assert_uint_eq(in.class_pages[CMABUF_PAGE_FREE], 379);
	ck_assert_uint_eq(in.class_pages[CMABUF_PAGE_MOVABLE], 1029);
	ck_assert_uint_eq(in.class_pages[CMABUF_PAGE_OTHER], 0);
	/* 6.1 flags the tail pages of free blocks too */
	ck_assert_uint_eq(in.buddy_pages, 379);
	/* the runs tile the area in order and agree with the counts */
	for (r = 0; r < in.nr_runs; r++) {
		ck_assert_int_eq(cmabuf_area_map_get_run(map, 0, r, &run), 0);
		ck_assert_uint_eq(run.first_pfn, pfn);
		if (r)
			ck_assert_uint_gt(run.pages, 0);
		pfn += run.pages;
		by_class[run.page_class] += run.pages;
	}
	ck_assert_uint_eq(pfn, in.base_pfn + in.pages);
	ck_assert_mem_eq(by_class, in.class_pages, sizeof(by_class));
	/* holes are 64 pages between allocated buffers */
	ck_assert_uint_le(in.largest_movable_run, 64 * 2);
	ck_assert_uint_ge(in.largest_movable_run, 64);
	ck_assert_uint_le(in.largest_free_run, in.largest_movable_run);
	cmabuf_area_map_unref(map);
}
END_TEST

/* the forecast's range, checked against the runs */
START_TEST(test_fixture_forecast)
{
	struct cmabuf_area_map_info in;
	struct cmabuf_area_map *map = read_map(&in);
	struct cmabuf_forecast fc;
	struct cmabuf_map_run run;
	uint64_t r, movable = 0;

	ck_assert_int_eq(cmabuf_area_map_forecast(map, 0, 64 * 4096, &fc), 0);
	ck_assert_str_eq(fc.area, "reserved");
	ck_assert_uint_eq(fc.pages, 64);
	ck_assert_uint_eq(fc.align_order, 6);
	ck_assert_int_eq(fc.would_succeed, 1);
	ck_assert_uint_eq((fc.first_pfn & 63), 0);
	for (r = 0; r < in.nr_runs; r++) {
		uint64_t s, e;

		cmabuf_area_map_get_run(map, 0, r, &run);
		s = run.first_pfn > fc.first_pfn ? run.first_pfn : fc.first_pfn;
		e = run.first_pfn + run.pages < fc.first_pfn + 64 ?
		    run.first_pfn + run.pages : fc.first_pfn + 64;
		if (e <= s)
			continue;
		ck_assert_int_ne(run.page_class, CMABUF_PAGE_ALLOCATED);
		ck_assert_int_ne(run.page_class, CMABUF_PAGE_OTHER);
		if (run.page_class == CMABUF_PAGE_MOVABLE)
			movable += e - s;
	}
	ck_assert_uint_eq(fc.pages_to_migrate, movable);
	ck_assert_uint_eq(fc.largest_bytes, 64 * 4096);
	/* a 128-page buffer needs a hole this area no longer has */
	ck_assert_int_eq(cmabuf_area_map_forecast(map, 128 * 4096, 0, &fc),
			 -EINVAL);
	ck_assert_int_eq(cmabuf_area_map_forecast(map, 0, 128 * 4096, &fc), 0);
	ck_assert_int_eq(fc.would_succeed, 0);
	ck_assert_uint_eq(fc.tries, 0);
	cmabuf_area_map_unref(map);
}
END_TEST

/* one unmovable page in every hole: blocked, and the diagnosis says so */
START_TEST(test_blocked)
{
	static uint64_t kpf[AREA_PAGES];
	struct cmabuf_area_map_info in;
	struct cmabuf_area_map *map = read_map(&in);
	struct cmabuf_diagnosis *d = NULL;
	struct cmabuf_heap *heap = NULL;
	struct cmabuf_forecast fc;
	struct cmabuf_map_run run;
	uint64_t r;

	kpf_rw(kpf, false);
	for (r = 0; r < in.nr_runs; r++) {
		cmabuf_area_map_get_run(map, 0, r, &run);
		if (run.page_class != CMABUF_PAGE_ALLOCATED)
			kpf[run.first_pfn + run.pages - 1 - first_pfn] =
				UINT64_C(1) << KPF_SLAB;
	}
	kpf_rw(kpf, true);
	cmabuf_area_map_unref(map);
	ck_assert_int_eq(cmabuf_heap_open(ctx, "reserved", 0, &heap), 0);
	ck_assert_int_eq(cmabuf_heap_forecast(heap, 64 * 4096, 0, &fc), 0);
	ck_assert_int_eq(fc.would_succeed, 0);
	ck_assert_uint_ge(fc.tries, 2);
	ck_assert_uint_eq(fc.pages_blocking, 1);
	ck_assert_uint_gt(fc.retry_pfn, fc.blocked_pfn);
	ck_assert_uint_lt(fc.largest_bytes, 64 * 4096);
	ck_assert_uint_ge(fc.largest_unallocated_bytes, 64 * 4096);
	ck_assert_int_eq(cmabuf_alloc_diagnose(ctx, heap, 64 * 4096, -ENOMEM,
					       &d), 0);
	ck_assert_int_eq(cmabuf_diagnosis_get_reason(d), CMABUF_DIAG_BLOCKED);
	ck_assert_str_eq(cmabuf_diag_reason_name(CMABUF_DIAG_BLOCKED),
			 "blocked");
	ck_assert_ptr_nonnull(strstr(cmabuf_diagnosis_get_message(d),
				     "1 in the first"));
	cmabuf_diagnosis_unref(d);
	/* fragmented: 4 MiB fits nowhere, even in the bitmap */
	ck_assert_int_eq(cmabuf_alloc_diagnose(ctx, heap, 4 << 20, -ENOMEM,
					       &d), 0);
	ck_assert_int_eq(cmabuf_diagnosis_get_reason(d),
			 CMABUF_DIAG_FRAGMENTED);
	cmabuf_diagnosis_unref(d);
	cmabuf_heap_unref(heap);
}
END_TEST

/* 6.15+: the same area as two ranges (ranges/N) gives the same map */
START_TEST(test_two_ranges)
{
	struct cmabuf_area_map_info one, two;
	struct cmabuf_area_map *map = read_map(&one);
	struct cmabuf_forecast f1, f2;
	char path[512], words[8192], *cut;
	char base[64];
	FILE *f;
	int i, spaces = 0;

	ck_assert_int_eq(cmabuf_area_map_forecast(map, 0, 64 * 4096, &f1), 0);
	cmabuf_area_map_unref(map);
	snprintf(path, sizeof(path),
		 "%s/sys/kernel/debug/cma/reserved/bitmap", tree);
	f = fopen(path, "re");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(words, sizeof(words), f));
	fclose(f);
	/* 64 words (2048 pages) in range 0, the other 64 in range 1 */
	for (cut = words; *cut && spaces < 64; cut++)
		if (*cut == ' ' && ++spaces == 64)
			break;
	ck_assert_int_eq(*cut, ' ');
	*cut = '\0';
	snprintf(path, sizeof(path), "%s/sys/kernel/debug/cma/reserved/ranges",
		 tree);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/sys/kernel/debug/cma/reserved/"
			 "ranges/%d", tree, i);
		ck_assert_int_eq(mkdir(path, 0755), 0);
	}
	write_text("sys/kernel/debug/cma/reserved/ranges/1/bitmap", cut + 1);
	strcat(words, "\n");	/* overwrites cut + 1: written already */
	write_text("sys/kernel/debug/cma/reserved/ranges/0/bitmap", words);
	snprintf(base, sizeof(base), "%" PRIu64 "\n", first_pfn);
	write_text("sys/kernel/debug/cma/reserved/ranges/0/base_pfn", base);
	snprintf(base, sizeof(base), "%" PRIu64 "\n", first_pfn + 2048);
	write_text("sys/kernel/debug/cma/reserved/ranges/1/base_pfn", base);
	map = read_map(&two);
	ck_assert_uint_eq(two.nr_ranges, 2);
	ck_assert_mem_eq(two.class_pages, one.class_pages,
			 sizeof(one.class_pages));
	ck_assert_uint_eq(two.largest_movable_alloc, one.largest_movable_alloc);
	ck_assert_int_eq(cmabuf_area_map_forecast(map, 0, 64 * 4096, &f2), 0);
	ck_assert_uint_eq(f2.first_pfn, f1.first_pfn);
	ck_assert_uint_eq(f2.pages_to_migrate, f1.pages_to_migrate);
	cmabuf_area_map_unref(map);
	/* a range that does not cover the rest of the area */
	write_text("sys/kernel/debug/cma/reserved/ranges/1/bitmap", "0\n");
	ck_assert_int_eq(cmabuf_area_map_read(ctx, NULL, 0, &map), -EIO);
}
END_TEST

START_TEST(test_read_errors)
{
	struct cmabuf_area_map *map = NULL;
	char path[4096];

	ck_assert_int_eq(cmabuf_area_map_read(NULL, NULL, 0, &map), -EINVAL);
	ck_assert_int_eq(cmabuf_area_map_read(ctx, NULL, 0, NULL), -EINVAL);
	ck_assert_int_eq(cmabuf_area_map_read(ctx, NULL, 1, &map), -EINVAL);
	ck_assert_int_eq(cmabuf_area_map_read(ctx, "nope", 0, &map), -ENOENT);
	ck_assert_ptr_null(map);
	/* a kpageflags shorter than the area */
	snprintf(path, sizeof(path), "%s/proc/kpageflags", tree);
	ck_assert_int_eq(truncate(path, (off_t)(first_pfn + 10) * 8), 0);
	ck_assert_int_eq(cmabuf_area_map_read(ctx, NULL, 0, &map), -EIO);
	/* a bitmap shorter than the area */
	write_text("sys/kernel/debug/cma/reserved/bitmap", "0\n");
	ck_assert_int_eq(cmabuf_area_map_read(ctx, NULL, 0, &map), -EIO);
	/* a garbled bitmap */
	write_text("sys/kernel/debug/cma/reserved/bitmap", "0 1 x\n");
	ck_assert_int_eq(cmabuf_area_map_read(ctx, NULL, 0, &map), -EIO);
	/* an area too large to map */
	write_text("sys/kernel/debug/cma/reserved/count", "1099511627776\n");
	ck_assert_int_eq(cmabuf_area_map_read(ctx, NULL, 0, &map), -EFBIG);
	/* no kpageflags (CONFIG_PROC_PAGE_MONITOR off) */
	write_text("sys/kernel/debug/cma/reserved/count", "4096\n");
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(cmabuf_area_map_read(ctx, NULL, 0, &map), -ENODATA);
	ck_assert_ptr_null(map);
}
END_TEST

/* a forked child ends without the parent's descriptors (Check's log
 * file), which valgrind's --track-fds would report as leaked */
static void child_exit(int status)
{
	int fd;

	for (fd = 3; fd < 1024; fd++)
		close(fd);
	_exit(status);
}

/* not root: the files are 0400 root in the kernel, 0600 here */
START_TEST(test_read_eacces)
{
	struct cmabuf_area_map *map = NULL;
	char path[4096];
	pid_t pid;
	int status;

	snprintf(path, sizeof(path), "%s/proc/kpageflags", tree);
	ck_assert_int_eq(chmod(path, 0600), 0);
	ck_assert_int_eq(chmod(tree, 0755), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (geteuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
			_exit(2);
		child_exit(cmabuf_area_map_read(ctx, NULL, 0, &map) ==
			   -EACCES ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

#ifdef __SANITIZE_ADDRESS__
/* ASan reserves terabytes of shadow, so it cannot start under the address
 * space limit below: in a sanitizer build, its allocator refuses what the
 * limit would (allocations over 16 MiB answer NULL), the same ENOMEM path */
const char *__asan_default_options(void);
/* exported by the link (Makefile.am): the runtime looks it up there */
__attribute__((visibility("default"))) const char *
__asan_default_options(void)
{
	return "allocator_may_return_null=1:max_allocation_size_mb=16";
}
#endif

/* the allocation of the classes fails under a small address space */
START_TEST(test_read_enomem)
{
	struct cmabuf_area_map *map = NULL;
	pid_t pid;
	int status;

	/* 2^27 pages: a 128 MiB class array, 1 GiB of kpageflags words */
	write_text("sys/kernel/debug/cma/reserved/count", "134217728\n");
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct rlimit rl = { 64 << 20, 64 << 20 };
		const char *pre = getenv("LD_PRELOAD");

		/* valgrind itself cannot live in 64 MiB: the plain run of
		 * make check asserts this errno */
		if (pre && strstr(pre, "vgpreload"))
			child_exit(0);

#ifndef __SANITIZE_ADDRESS__
		setrlimit(RLIMIT_AS, &rl);
#else
		(void)rl;
#endif
		child_exit(cmabuf_area_map_read(ctx, NULL, 0, &map) ==
			   -ENOMEM ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

START_TEST(test_getter_errors)
{
	struct cmabuf_area_map_info in;
	struct cmabuf_area_map *map = read_map(&in);
	struct cmabuf_forecast fc;
	struct cmabuf_map_run run;

	ck_assert_ptr_eq(cmabuf_area_map_ref(map), map);
	ck_assert_ptr_null(cmabuf_area_map_unref(map));
	ck_assert_ptr_null(cmabuf_area_map_ref(NULL));
	ck_assert_ptr_null(cmabuf_area_map_unref(NULL));
	ck_assert_uint_eq(cmabuf_area_map_get_area_count(NULL), 0);
	ck_assert_int_eq(cmabuf_area_map_get_info(NULL, 0, &in), -EINVAL);
	ck_assert_int_eq(cmabuf_area_map_get_info(map, 1, &in), -EINVAL);
	ck_assert_int_eq(cmabuf_area_map_get_info(map, 0, NULL), -EINVAL);
	ck_assert_int_eq(cmabuf_area_map_get_run(NULL, 0, 0, &run), -EINVAL);
	ck_assert_int_eq(cmabuf_area_map_get_run(map, 1, 0, &run), -EINVAL);
	ck_assert_int_eq(cmabuf_area_map_get_run(map, 0, 0, NULL), -EINVAL);
	ck_assert_int_eq(cmabuf_area_map_get_run(map, 0, in.nr_runs, &run),
			 -ERANGE);
	ck_assert_int_eq(cmabuf_area_map_forecast(NULL, 0, 4096, &fc), -EINVAL);
	ck_assert_int_eq(cmabuf_area_map_forecast(map, 1, 4096, &fc), -EINVAL);
	ck_assert_int_eq(cmabuf_area_map_forecast(map, 0, 0, &fc), -EINVAL);
	ck_assert_int_eq(cmabuf_area_map_forecast(map, 0, 4096, NULL), -EINVAL);
	ck_assert_str_eq(cmabuf_page_class_name(CMABUF_PAGE_OTHER), "other");
	ck_assert_ptr_null(cmabuf_page_class_name((enum cmabuf_page_class)4));
	ck_assert_ptr_null(cmabuf_page_class_name((enum cmabuf_page_class)-1));
	cmabuf_area_map_unref(map);
}
END_TEST

START_TEST(test_forecast_errors)
{
	struct cmabuf_heap *cma = NULL, *sys = NULL;
	struct cmabuf_forecast fc;
	char path[4096];

	ck_assert_int_eq(cmabuf_heap_open(ctx, "reserved", 0, &cma), 0);
	ck_assert_int_eq(cmabuf_heap_open(ctx, "system", 0, &sys), 0);
	ck_assert_int_eq(cmabuf_heap_forecast(NULL, 4096, 0, &fc), -EINVAL);
	ck_assert_int_eq(cmabuf_heap_forecast(cma, 0, 0, &fc), -EINVAL);
	ck_assert_int_eq(cmabuf_heap_forecast(cma, 4096, 1, &fc), -EINVAL);
	ck_assert_int_eq(cmabuf_heap_forecast(cma, 4096, 0, NULL), -EINVAL);
	ck_assert_int_eq(cmabuf_heap_forecast(sys, 4096, 0, &fc), -EOPNOTSUPP);
	/* the map's errors pass through */
	snprintf(path, sizeof(path), "%s/proc/kpageflags", tree);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(cmabuf_heap_forecast(cma, 4096, 0, &fc), -ENODATA);
	/* a CMA heap whose area is gone */
	snprintf(path, sizeof(path), "rm -rf '%s/sys/kernel/debug/cma/reserved' "
		 "'%s/sys/kernel/mm/cma/reserved'", tree, tree);
	sh(path);
	ck_assert_int_eq(cmabuf_heap_forecast(cma, 4096, 0, &fc), -ENOENT);
	cmabuf_heap_unref(cma);
	cmabuf_heap_unref(sys);
}
END_TEST

/* status of cmd, its output in out */
static int run_out(const char *cmd, char *out, size_t size)
{
	FILE *p = popen(cmd, "r");
	size_t n;

	ck_assert_ptr_nonnull(p);
	n = fread(out, 1, size - 1, p);
	out[n] = '\0';
	return pclose(p);
}

/* the tool on the captured tree: glyphs, colour only on a terminal and
 * never with NO_COLOR, the JSON runs, the forecast */
START_TEST(test_tool)
{
	static char out[65536];
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "./tools/cmabuf-stat -r %s --map", tree);
	ck_assert_int_eq(run_out(cmd, out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "reserved: 4096 pages of 4.0 KiB"));
	ck_assert_ptr_nonnull(strstr(out, "1 glyph = 8 pages"));
	ck_assert_ptr_nonnull(strstr(out, "m movable"));
	ck_assert_ptr_null(strchr(out, '\033'));
	/* a terminal (script(1)) gets colours, unless NO_COLOR is set */
	snprintf(cmd, sizeof(cmd), "NO_COLOR= script -qec './tools/cmabuf-stat "
		 "-r %s --map' /dev/null", tree);
	ck_assert_int_eq(run_out(cmd, out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "\033[32m.\033[0m"));
	snprintf(cmd, sizeof(cmd), "NO_COLOR=1 script -qec './tools/cmabuf-stat "
		 "-r %s --map' /dev/null", tree);
	ck_assert_int_eq(run_out(cmd, out, sizeof(out)), 0);
	ck_assert_ptr_null(strchr(out, '\033'));
	snprintf(cmd, sizeof(cmd), "./tools/cmabuf-stat -r %s --json --map | "
		 "./tests/check-views --json - >/dev/null && ./tools/cmabuf-stat "
		 "-r %s --json --map", tree, tree);
	ck_assert_int_eq(run_out(cmd, out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"counts\": {\"allocated\": 2688, "
				  "\"free\": 379, \"movable\": 1029, "
				  "\"other\": 0}"));
	snprintf(cmd, sizeof(cmd), "./tools/cmabuf-stat -r %s --json "
		 "--forecast 256K", tree);
	ck_assert_int_eq(run_out(cmd, out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"pages\": 64, \"align_order\": 6, "
				  "\"would_succeed\": true"));
	snprintf(cmd, sizeof(cmd), "./tools/cmabuf-stat -r %s --prometheus "
		 "--with-map | ./tests/check-views --prometheus - >/dev/null && "
		 "./tools/cmabuf-stat -r %s --prometheus --with-map", tree, tree);
	ck_assert_int_eq(run_out(cmd, out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "cmabuf_area_map_pages{area="
				  "\"reserved\",class=\"movable\"} 1029\n"));
	/* Prometheus' own linter, where installed (install-deps has it) */
	snprintf(cmd, sizeof(cmd), "! command -v promtool >/dev/null || "
		 "./tools/cmabuf-stat -r %s --prometheus --with-map | "
		 "promtool check metrics", tree);
	ck_assert_int_eq(run_out(cmd, out, sizeof(out)), 0);
	/* usage errors */
	ck_assert_int_eq(WEXITSTATUS(system("./tools/cmabuf-stat --heap x "
					    "2>/dev/null")), 2);
	ck_assert_int_eq(WEXITSTATUS(system("./tools/cmabuf-stat --forecast 0 "
					    "2>/dev/null")), 2);
	ck_assert_int_eq(WEXITSTATUS(system("./tools/cmabuf-stat --forecast 1Q "
					    "2>/dev/null")), 2);
}
END_TEST

/* 7.2: ranges/0 beside the top-level files, default_cma_region */
static void setup_72(void)
{
	fixture = "7.2";
	setup();
}

START_TEST(test_fixture_72)
{
	struct cmabuf_area_map_info in;
	struct cmabuf_area_map *map = read_map(&in);
	struct cmabuf_heap *heap = NULL;
	struct cmabuf_forecast fc;

	ck_assert_str_eq(in.name, "reserved");
	ck_assert_uint_eq(in.nr_ranges, 1);
	ck_assert_uint_eq(in.pages, AREA_PAGES);
	ck_assert_uint_eq(in.class_pages[CMABUF_PAGE_ALLOCATED], 2688);
	ck_assert_uint_eq(in.class_pages[CMABUF_PAGE_FREE], 1408);
	/* 7.2 flags every page of a free block too (snapshot_page()) */
	ck_assert_uint_eq(in.buddy_pages, 1408);
	cmabuf_area_map_unref(map);
	ck_assert_int_eq(cmabuf_heap_open(ctx, "default_cma_region", 0, &heap),
			 0);
	ck_assert_int_eq(cmabuf_heap_forecast(heap, 64 * 4096, 0, &fc), 0);
	ck_assert_str_eq(fc.area, "reserved");
	ck_assert_int_eq(fc.would_succeed, 1);
	ck_assert_uint_eq(fc.pages_to_migrate, 0);
	ck_assert_uint_eq(fc.largest_without_migration_bytes, 64 * 4096);
	cmabuf_heap_unref(heap);
}
END_TEST

/* ---- the pure parts on hand-made input ---- */

START_TEST(test_parse_bitmap)
{
	uint32_t w[4];
	size_t n;

	ck_assert_int_eq(parse_cma_bitmap("1 2 4294967295\n", 15, w, 4, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(w[2], UINT32_MAX);
	ck_assert_int_eq(parse_cma_bitmap("0", 1, w, 4, &n), 0);
	ck_assert_int_eq(parse_cma_bitmap("", 0, w, 4, &n), -EINVAL);
	ck_assert_int_eq(parse_cma_bitmap("\n", 1, w, 4, &n), -EINVAL);
	ck_assert_int_eq(parse_cma_bitmap("4294967296", 10, w, 4, &n), -EINVAL);
	ck_assert_int_eq(parse_cma_bitmap("1  2", 4, w, 4, &n), -EINVAL);
	ck_assert_int_eq(parse_cma_bitmap("1 ", 2, w, 4, &n), -EINVAL);
	ck_assert_int_eq(parse_cma_bitmap("-1", 2, w, 4, &n), -EINVAL);
	ck_assert_int_eq(parse_cma_bitmap("0x1", 3, w, 4, &n), -EINVAL);
	ck_assert_int_eq(parse_cma_bitmap("1 2 3 4 5", 9, w, 4, &n), -E2BIG);
}
END_TEST

START_TEST(test_classes)
{
	ck_assert_int_eq(kpf_class(0), CMABUF_PAGE_FREE);
	ck_assert_int_eq(kpf_class(1u << KPF_BUDDY), CMABUF_PAGE_FREE);
	ck_assert_int_eq(kpf_class(0x400005828ull), CMABUF_PAGE_MOVABLE);
	ck_assert_int_eq(kpf_class(1u << KPF_LRU), CMABUF_PAGE_MOVABLE);
	ck_assert_int_eq(kpf_class(1u << KPF_SLAB), CMABUF_PAGE_OTHER);
	ck_assert_int_eq(kpf_class((1u << KPF_PGTABLE) | (1u << KPF_LRU)),
			 CMABUF_PAGE_OTHER);
	ck_assert_int_eq(kpf_class(1ull << KPF_RESERVED), CMABUF_PAGE_OTHER);
	ck_assert_int_eq(kpf_class(1u << KPF_NOPAGE), CMABUF_PAGE_OTHER);
	/* the tail of a driver's compound page: nothing says movable */
	ck_assert_int_eq(kpf_class(1u << KPF_COMPOUND_TAIL), CMABUF_PAGE_OTHER);
	ck_assert_int_eq(kpf_class((1u << KPF_COMPOUND_TAIL) | (1u << KPF_THP)),
			 CMABUF_PAGE_MOVABLE);
}
END_TEST

/* the head-only rule: blocks are powers of two, aligned, bare tails */
START_TEST(test_buddy_rule)
{
	uint64_t kpf[64] = { 0 };
	const uint64_t buddy = 1u << KPF_BUDDY, lru = 1u << KPF_LRU;

	/* an order-3 block at pfn 1024, then a flagged page */
	kpf[0] = buddy;
	kpf[8] = lru;
	ck_assert_uint_eq(map_buddy_pages(kpf, 9, 1024), 8);
	/* 6 bare pages after the head: a block of 4, 3 bare pages left over */
	kpf[6] = lru;
	ck_assert_uint_eq(map_buddy_pages(kpf, 9, 1024), 4);
	/* a head at an odd pfn is one page, whatever follows */
	ck_assert_uint_eq(map_buddy_pages(kpf, 9, 1025), 1);
	/* 6.1: every page of the block flagged */
	memset(kpf, 0, sizeof(kpf));
	kpf[0] = kpf[1] = kpf[2] = kpf[3] = buddy;
	kpf[4] = lru;
	ck_assert_uint_eq(map_buddy_pages(kpf, 5, 1024), 4);
	/* bounded by the order limit: 2^11 */
	ck_assert_uint_eq(map_buddy_pages(kpf, 0, 0), 0);
}
END_TEST

/* the kernel's first fit with -EBUSY retries on a hand-made range */
START_TEST(test_first_fit)
{
	uint8_t cls[64];
	struct map_range r = { .base_pfn = 1000, .pages = 64, .opb = 0,
			       .cls = cls };
	struct cmabuf_forecast fc;

	memset(cls, CMABUF_PAGE_FREE, sizeof(cls));
	/* pfn 1000 is 8-aligned; 1008 is 16-aligned */
	cls[0] = CMABUF_PAGE_ALLOCATED;
	cls[9] = CMABUF_PAGE_OTHER;
	cls[30] = CMABUF_PAGE_MOVABLE;
	memset(&fc, 0, sizeof(fc));
	ck_assert_int_eq(map_forecast(&r, 1, 16, 4, &fc), 0);
	/* 1008..1023 holds pfn 1009 (OTHER): retry at 1024 */
	ck_assert_int_eq(fc.would_succeed, 1);
	ck_assert_uint_eq(fc.blocked_pfn, 1008);
	ck_assert_uint_eq(fc.pages_blocking, 1);
	ck_assert_uint_eq(fc.retry_pfn, 1024);
	ck_assert_uint_eq(fc.first_pfn, 1024);
	ck_assert_uint_eq(fc.pages_to_migrate, 1);
	ck_assert_uint_eq(fc.tries, 2);
	ck_assert_uint_eq(heap_align_order(16, 8), 4);
	ck_assert_uint_eq(heap_align_order(17, 8), 5);
	ck_assert_uint_eq(heap_align_order(8192, 8), 8);
	ck_assert_uint_eq(heap_align_order(1, 8), 0);
	/* free runs 1001-1008, 1010-1029, 1031-1063: only 16-page requests
	 * (order 4) fit, at 1040; a 17..32-page one needs 32-alignment */
	ck_assert_uint_eq(map_largest_alloc(&r, 1, 8, MAP_FREE), 16);
	ck_assert_uint_eq(map_largest_run(&r, 1, MAP_FREE), 33);
}
END_TEST

static Suite *map_suite(void)
{
	Suite *s = suite_create("map");
	TCase *tc = tcase_create("fixture");
	TCase *pure = tcase_create("pure");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_fixture_counts);
	tcase_add_test(tc, test_fixture_forecast);
	tcase_add_test(tc, test_blocked);
	tcase_add_test(tc, test_two_ranges);
	tcase_add_test(tc, test_read_errors);
	tcase_add_test(tc, test_read_eacces);
	tcase_add_test(tc, test_read_enomem);
	tcase_add_test(tc, test_getter_errors);
	tcase_add_test(tc, test_forecast_errors);
	tcase_add_test(tc, test_tool);
	suite_add_tcase(s, tc);
	tc = tcase_create("fixture-7.2");
	tcase_add_checked_fixture(tc, setup_72, teardown);
	tcase_add_test(tc, test_fixture_72);
	suite_add_tcase(s, tc);
	tcase_add_test(pure, test_parse_bitmap);
	tcase_add_test(pure, test_classes);
	tcase_add_test(pure, test_buddy_rule);
	tcase_add_test(pure, test_first_fit);
	suite_add_tcase(s, pure);
	return s;
}

int main(void)
{
	return tu_run(map_suite());
}
