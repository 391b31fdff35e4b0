// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The stats API on the trees captured from the real test kernels
 * (tests/data/<kernel>, written by tests/vm/capture-fixtures with cma=128M
 * while a process held a 4 MiB CMA buffer named "fixture-cma" and a 1 MiB
 * system-heap buffer). Every value asserted here is in those files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define MIB (1024u * 1024u)

static const struct kernel_tree {
	const char *dir;
	const char *cma_heap;		/* exporter name of the CMA buffer */
	bool release_pages;		/* sysfs release_pages_success (6.9+) */
	bool total_pages;		/* sysfs total/available_pages (6.15+) */
	unsigned int nr_ranges;		/* debugfs ranges/ (6.15+) */
	size_t heaps;			/* nodes in dev/dma_heap */
} trees[] = {
	{ "6.1", "reserved", false, false, 0, 2 },
	{ "6.12", "reserved", true, false, 0, 2 },
	{ "7.2", "default_cma_region", true, true, 1, 3 },
};

static struct cmabuf_stats *read_tree(const struct kernel_tree *t,
				      struct cmabuf_ctx **ctxp)
{
	struct cmabuf_stats *st = NULL;
	char root[4096];

	snprintf(root, sizeof(root), "%s/tests/data/%s",
		 getenv("abs_top_srcdir") ? getenv("abs_top_srcdir") : ".",
		 t->dir);
	*ctxp = tu_ctx_new();
	ck_assert_int_eq(cmabuf_ctx_set_sysroot(*ctxp, root), 0);
	ck_assert_int_eq(cmabuf_stats_read(*ctxp, CMABUF_STATS_ALL, &st), 0);
	return st;
}

static uint64_t area_bytes(const struct cmabuf_stats *st, size_t i,
			   enum cmabuf_area_stat key)
{
	uint64_t raw = 0, bytes = 0;

	ck_assert_msg(cmabuf_stats_area_get(st, i, key, &raw, &bytes) == 0,
		      "%s absent", cmabuf_area_stat_name(key));
	return bytes;
}

START_TEST(test_system_counters)
{
	const struct kernel_tree *t = &trees[_i];
	struct cmabuf_ctx *ctx;
	struct cmabuf_stats *st = read_tree(t, &ctx);
	uint64_t v = 0;

	ck_assert_int_eq(cmabuf_stats_get(st, CMABUF_STAT_CMA_TOTAL, &v), 0);
	ck_assert_uint_eq(v, 128 * MIB);
	ck_assert_int_eq(cmabuf_stats_get_raw(st, CMABUF_STAT_CMA_TOTAL, &v), 0);
	ck_assert_uint_eq(v, 131072);	/* kB, as in the file */
	ck_assert_int_eq(cmabuf_stats_get(st, CMABUF_STAT_CMA_FREE, &v), 0);
	ck_assert_uint_eq(v, 124 * MIB);
	ck_assert_int_eq(cmabuf_stats_get(st, CMABUF_STAT_NR_FREE_CMA, &v), 0);
	ck_assert_uint_eq(v, 124 * MIB);
	ck_assert_int_eq(cmabuf_stats_get(st, CMABUF_STAT_CMA_ALLOC_SUCCESS,
					  &v), 0);
	ck_assert_uint_eq(v, 1);
	ck_assert_int_eq(cmabuf_stats_get(st, CMABUF_STAT_CMA_ALLOC_FAIL, &v),
			 0);
	ck_assert_uint_eq(v, 0);
	cmabuf_stats_unref(st);
	cmabuf_ctx_unref(ctx);
}
END_TEST

START_TEST(test_cma_area)
{
	const struct kernel_tree *t = &trees[_i];
	struct cmabuf_ctx *ctx;
	struct cmabuf_stats *st = read_tree(t, &ctx);
	uint64_t raw = 0, bytes = 0;
	double frag = -1;
	size_t i = 99;

	ck_assert_uint_eq(cmabuf_stats_get_area_count(st), 1);
	ck_assert_int_eq(cmabuf_stats_find_area(st, "reserved", &i), 0);
	ck_assert_uint_eq(i, 0);
	ck_assert_int_eq(cmabuf_stats_has_debugfs(st), 1);
	ck_assert_uint_eq(area_bytes(st, i, CMABUF_AREA_COUNT), 128 * MIB);
	ck_assert_uint_eq(area_bytes(st, i, CMABUF_AREA_USED), 4 * MIB);
	ck_assert_uint_eq(area_bytes(st, i, CMABUF_AREA_MAXCHUNK), 124 * MIB);
	ck_assert_uint_eq(area_bytes(st, i, CMABUF_AREA_ALLOC_PAGES_SUCCESS),
			  4 * MIB);
	ck_assert_uint_eq(area_bytes(st, i, CMABUF_AREA_SPACE_TOTAL), 128 * MIB);
	ck_assert_uint_eq(area_bytes(st, i, CMABUF_AREA_SPACE_USED), 4 * MIB);
	ck_assert_uint_eq(area_bytes(st, i, CMABUF_AREA_SPACE_FREE), 124 * MIB);
	ck_assert_uint_eq(area_bytes(st, i, CMABUF_AREA_SPACE_LARGEST_FREE),
			  124 * MIB);
	ck_assert_int_eq(cmabuf_stats_area_get_fragmentation(st, i, &frag), 0);
	ck_assert(frag == 0.0);

	/* files this kernel does not have are absent, not zero */
	ck_assert_int_eq(cmabuf_stats_area_get(st, i,
			 CMABUF_AREA_RELEASE_PAGES_SUCCESS, &raw, &bytes),
			 t->release_pages ? 0 : -ENOENT);
	ck_assert_int_eq(cmabuf_stats_area_get(st, i, CMABUF_AREA_TOTAL_PAGES,
					       &raw, &bytes),
			 t->total_pages ? 0 : -ENOENT);
	if (t->total_pages) {
		ck_assert_uint_eq(raw, 32768);
		ck_assert_uint_eq(area_bytes(st, i,
				  CMABUF_AREA_AVAILABLE_PAGES), 124 * MIB);
	}
	if (t->nr_ranges) {
		ck_assert_int_eq(cmabuf_stats_area_get(st, i,
				 CMABUF_AREA_NR_RANGES, &raw, &bytes), 0);
		ck_assert_uint_eq(raw, t->nr_ranges);
	}
	cmabuf_stats_unref(st);
	cmabuf_ctx_unref(ctx);
}
END_TEST

START_TEST(test_heaps_and_buffers)
{
	const struct kernel_tree *t = &trees[_i];
	struct cmabuf_ctx *ctx;
	struct cmabuf_stats *st = read_tree(t, &ctx);
	bool cma_seen = false, sys_seen = false;
	uint32_t mode = 0, uid = 1, gid = 1;
	size_t i, n;

	ck_assert_uint_eq(cmabuf_stats_get_heap_count(st), t->heaps);
	for (i = 0; i < t->heaps; i++) {
		const char *name = cmabuf_stats_heap_get_name(st, i);

		ck_assert_int_eq(cmabuf_stats_heap_get_access(st, i, &mode, &uid,
							      &gid), 0);
		ck_assert_uint_eq(mode & 07777, 0600);
		ck_assert_uint_eq(uid, 0);
		if (strcmp(name, "system") == 0)
			ck_assert_ptr_null(cmabuf_stats_heap_get_area(st, i));
		else	/* reserved, and 7.2's default_cma_region alias */
			ck_assert_str_eq(cmabuf_stats_heap_get_area(st, i),
					 "reserved");
	}

	n = cmabuf_stats_get_buffer_count(st);
	ck_assert_uint_eq(n, 2);
	for (i = 0; i < n; i++) {
		const char *exp = cmabuf_stats_buffer_get_exporter(st, i);
		const int *pids = NULL;

		ck_assert_uint_eq(cmabuf_stats_buffer_get_holders(st, i, &pids),
				  1);
		ck_assert_ptr_nonnull(pids);
		if (strcmp(exp, t->cma_heap) == 0) {
			ck_assert_uint_eq(cmabuf_stats_buffer_get_size(st, i),
					  4 * MIB);
			ck_assert_str_eq(cmabuf_stats_buffer_get_name(st, i),
					 "fixture-cma");
			cma_seen = true;
		} else {
			ck_assert_str_eq(exp, "system");
			ck_assert_uint_eq(cmabuf_stats_buffer_get_size(st, i),
					  1 * MIB);
			sys_seen = true;
		}
	}
	ck_assert(cma_seen && sys_seen);
	ck_assert_uint_eq(cmabuf_stats_get_process_count(st), 1);
	ck_assert_uint_eq(cmabuf_stats_process_get_bytes(st, 0), 5 * MIB);
	ck_assert_uint_eq(cmabuf_stats_process_get_buffer_count(st, 0), 2);
	cmabuf_stats_unref(st);
	cmabuf_ctx_unref(ctx);
}
END_TEST

/*
 * A process with 40 000 mappings (a 3 MiB maps file, more than the 1 MiB
 * the scan once read) whose dma-buf mapping comes last: found with
 * CMABUF_STATS_MAPPINGS, and not read at all without it.
 */
START_TEST(test_large_maps_file)
{
	static const char *const files[] = { "proc/77/fdinfo/", "proc/77/maps",
					     NULL };
	struct cmabuf_stats *st = NULL;
	struct cmabuf_ctx *ctx = tu_ctx_new();
	char *tree = tu_make_tree(files), path[4200];
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "%s/proc/77/maps", tree);
	f = fopen(path, "we");
	ck_assert_ptr_nonnull(f);
	for (i = 0; i < 40000; i++)
		fprintf(f, "%012x-%012x rw-p 00000000 00:00 0 "
			"                         /memfd:pad (deleted)\n",
			0x10000000 + i * 0x2000, 0x10001000 + i * 0x2000);
	fprintf(f, "7f0000000000-7f0000300000 rw-s 00000000 00:0c 4321"
		"                      /dmabuf:last\n");
	ck_assert_int_eq(fclose(f), 0);
	snprintf(path, sizeof(path), "%s/dmabuf-dev", tree);
	f = fopen(path, "we");
	ck_assert_ptr_nonnull(f);
	fputs("00:0c\n", f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(cmabuf_ctx_set_sysroot(ctx, tree), 0);

	ck_assert_int_eq(cmabuf_stats_read(ctx, CMABUF_STATS_MAPPINGS, &st), 0);
	ck_assert(cmabuf_stats_get_sources(st) & CMABUF_STATS_BUFFERS);
	ck_assert(cmabuf_stats_get_sources(st) & CMABUF_STATS_MAPPINGS);
	ck_assert_uint_eq(cmabuf_stats_get_buffer_count(st), 1);
	ck_assert_uint_eq(cmabuf_stats_buffer_get_inode(st, 0), 4321);
	ck_assert_uint_eq(cmabuf_stats_buffer_get_size(st, 0), 3 * MIB);
	ck_assert_str_eq(cmabuf_stats_buffer_get_name(st, 0), "last");
	st = cmabuf_stats_unref(st);

	ck_assert_int_eq(cmabuf_stats_read(ctx, CMABUF_STATS_BUFFERS, &st), 0);
	ck_assert_uint_eq(cmabuf_stats_get_buffer_count(st), 0);
	cmabuf_stats_unref(st);
	cmabuf_ctx_unref(ctx);
	tu_remove_tree(tree);
}
END_TEST

static void write_text(const char *tree, const char *file, const char *text)
{
	char path[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tree, file);
	f = fopen(path, "we");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/*
 * A maps line is a dma-buf's by its device, never by its path: pid 78
 * maps a 1 TiB tmpfs file shown as "/dmabuf:fake" with the inode of pid
 * 77's real buffer. Neither a buffer nor a holder comes of it, nor of a
 * line without the dma-buf device; and without a recorded device (an old
 * capture) no line is trusted: the mappings source is dropped.
 */
START_TEST(test_fake_mapping_ignored)
{
	static const char *const files[] = { "proc/77/fdinfo/", "proc/77/maps",
					     "proc/78/fdinfo/", "proc/78/maps",
					     NULL };
	struct cmabuf_stats *st = NULL;
	struct cmabuf_ctx *ctx = tu_ctx_new();
	char *tree = tu_make_tree(files);
	const int *pids;

	write_text(tree, "proc/77/maps",
		   "7f0000000000-7f0000300000 rw-s 00000000 00:0c 4321"
		   "                      /dmabuf:real\n");
	write_text(tree, "proc/78/maps",
		   "7e0000000000-7f0000000000 rw-s 00000000 00:2a 4321"
		   "                      /dmabuf:fake\n"
		   "7f0000000000-7f0000001000 rw-s 00000000 00:2a 4322"
		   " /dmabuf:\n");
	write_text(tree, "dmabuf-dev", "00:0c\n");
	ck_assert_int_eq(cmabuf_ctx_set_sysroot(ctx, tree), 0);

	ck_assert_int_eq(cmabuf_stats_read(ctx, CMABUF_STATS_MAPPINGS, &st), 0);
	ck_assert(cmabuf_stats_get_sources(st) & CMABUF_STATS_MAPPINGS);
	ck_assert_uint_eq(cmabuf_stats_get_buffer_count(st), 1);
	ck_assert_uint_eq(cmabuf_stats_buffer_get_inode(st, 0), 4321);
	ck_assert_uint_eq(cmabuf_stats_buffer_get_size(st, 0), 3 * MIB);
	ck_assert_str_eq(cmabuf_stats_buffer_get_name(st, 0), "real");
	ck_assert_uint_eq(cmabuf_stats_buffer_get_holders(st, 0, &pids), 1);
	ck_assert_int_eq(pids[0], 77);
	ck_assert_uint_eq(cmabuf_stats_get_process_count(st), 1);
	st = cmabuf_stats_unref(st);

	/* an old capture: no device, so no mapping is believed */
	write_text(tree, "dmabuf-dev", "");
	ck_assert_int_eq(cmabuf_stats_read(ctx, CMABUF_STATS_MAPPINGS, &st), 0);
	ck_assert(cmabuf_stats_get_sources(st) & CMABUF_STATS_BUFFERS);
	ck_assert(!(cmabuf_stats_get_sources(st) & CMABUF_STATS_MAPPINGS));
	ck_assert_uint_eq(cmabuf_stats_get_buffer_count(st), 0);
	cmabuf_stats_unref(st);
	cmabuf_ctx_unref(ctx);
	tu_remove_tree(tree);
}
END_TEST

static void check_16k_area(struct cmabuf_ctx *ctx)
{
	struct cmabuf_stats *st = NULL;
	uint64_t v = 0;
	size_t i;

	ck_assert_int_eq(cmabuf_stats_read(ctx, CMABUF_STATS_ALL, &st), 0);
	ck_assert_int_eq(cmabuf_stats_find_area(st, "linux,cma", &i), 0);
	ck_assert_uint_eq(area_bytes(st, i, CMABUF_AREA_SPACE_TOTAL),
			  128 * MIB);
	ck_assert_uint_eq(area_bytes(st, i, CMABUF_AREA_SPACE_USED), 16 * MIB);
	ck_assert_int_eq(cmabuf_stats_get(st, CMABUF_STAT_NR_FREE_CMA, &v), 0);
	ck_assert_uint_eq(v, 176 * MIB);
	cmabuf_stats_unref(st);
}

/*
 * /sys/kernel/dmabuf/buffers lists every buffer: one a descriptor shows
 * keeps fdinfo's size and exporter (its sysfs files are not read: here
 * they disagree, which no kernel does), one no process holds (a driver's
 * queue) comes from sysfs alone.
 */
START_TEST(test_sysfs_buffers_merge)
{
	static const char *const files[] = {
		"proc/88/fdinfo/5", "proc/88/comm",
		"sys/kernel/dmabuf/buffers/100/size",
		"sys/kernel/dmabuf/buffers/100/exporter_name",
		"sys/kernel/dmabuf/buffers/200/size",
		"sys/kernel/dmabuf/buffers/200/exporter_name", NULL,
	};
	struct cmabuf_ctx *ctx = tu_ctx_new();
	struct cmabuf_stats *st = NULL;
	char *tree = tu_make_tree(files);
	const int *pids;

	write_text(tree, "proc/88/fdinfo/5", "pos:\t0\nflags:\t02000002\n"
		   "mnt_id:\t15\nino:\t100\nsize:\t1048576\ncount:\t1\n"
		   "exp_name:\treserved\nname:\tframe\n");
	write_text(tree, "proc/88/comm", "player\n");
	write_text(tree, "sys/kernel/dmabuf/buffers/100/size", "2097152\n");
	write_text(tree, "sys/kernel/dmabuf/buffers/100/exporter_name",
		   "system\n");
	write_text(tree, "sys/kernel/dmabuf/buffers/200/size", "8192\n");
	write_text(tree, "sys/kernel/dmabuf/buffers/200/exporter_name",
		   "vb2_dc\n");
	ck_assert_int_eq(cmabuf_ctx_set_sysroot(ctx, tree), 0);

	ck_assert_int_eq(cmabuf_stats_read(ctx, CMABUF_STATS_BUFFERS, &st), 0);
	ck_assert_uint_eq(cmabuf_stats_get_buffer_count(st), 2);
	ck_assert_uint_eq(cmabuf_stats_buffer_get_inode(st, 0), 100);
	ck_assert_uint_eq(cmabuf_stats_buffer_get_size(st, 0), MIB);
	ck_assert_str_eq(cmabuf_stats_buffer_get_exporter(st, 0), "reserved");
	ck_assert_uint_eq(cmabuf_stats_buffer_get_holders(st, 0, &pids), 1);
	ck_assert_int_eq(pids[0], 88);
	ck_assert_uint_eq(cmabuf_stats_buffer_get_inode(st, 1), 200);
	ck_assert_uint_eq(cmabuf_stats_buffer_get_size(st, 1), 8192);
	ck_assert_str_eq(cmabuf_stats_buffer_get_exporter(st, 1), "vb2_dc");
	ck_assert_uint_eq(cmabuf_stats_buffer_get_holders(st, 1, &pids), 0);
	cmabuf_stats_unref(st);
	cmabuf_ctx_unref(ctx);
	tu_remove_tree(tree);
}
END_TEST

/* a 16K-page board's tree reads the same on any host: recorded */
START_TEST(test_page_size_recorded)
{
	struct cmabuf_ctx *ctx = tu_ctx_new();
	char root[4096];

	snprintf(root, sizeof(root), "%s/tests/data-hand/6.12-16k",
		 getenv("abs_top_srcdir") ? getenv("abs_top_srcdir") : ".");
	ck_assert_int_eq(cmabuf_ctx_set_sysroot(ctx, root), 0);
	check_16k_area(ctx);
	cmabuf_ctx_unref(ctx);
}
END_TEST

/* ... and derived from CmaTotal (kB) when no pagesize file says it */
START_TEST(test_page_size_derived)
{
	static const char *const files[] = {
		"proc/vmstat", "proc/meminfo",
		"sys/kernel/debug/cma/linux,cma/count",
		"sys/kernel/debug/cma/linux,cma/used",
		"sys/kernel/debug/cma/pool/count", NULL,
	};
	struct cmabuf_ctx *ctx = tu_ctx_new();
	char *tree = tu_make_tree(files);

	write_text(tree, "proc/meminfo", "CmaTotal:   196608 kB\n");
	write_text(tree, "proc/vmstat", "nr_free_cma 11264\n");
	write_text(tree, "sys/kernel/debug/cma/linux,cma/count", "8192\n");
	write_text(tree, "sys/kernel/debug/cma/linux,cma/used", "1024\n");
	write_text(tree, "sys/kernel/debug/cma/pool/count", "4096\n");
	ck_assert_int_eq(cmabuf_ctx_set_sysroot(ctx, tree), 0);
	check_16k_area(ctx);
	cmabuf_ctx_unref(ctx);
	tu_remove_tree(tree);
}
END_TEST

/*
 * The arm64 guests' trees (device-tree pools, no cma=): two CMA areas,
 * linux,cma (128 MiB, holding the 4 MiB buffer and what the kernel took
 * at boot) and camera-pool@60000000 (64 MiB, no heap of its own on 6.12),
 * counted in the tree's own page size (tests/data/<K>/pagesize).
 */
static const struct dt_tree {
	const char *dir;
	uint64_t page_size;
	uint64_t cma_used_pages;	/* linux,cma debugfs used */
	size_t heaps;			/* nodes in dev/dma_heap */
} dt_trees[] = {
	{ "arm64-6.12", 4096, 1056, 2 },
	{ "arm64-7.2", 16384, 264, 4 },	/* 16K pages */
};

START_TEST(test_device_tree_pools)
{
	const struct dt_tree *t = &dt_trees[_i];
	struct kernel_tree kt = { .dir = t->dir };
	struct cmabuf_ctx *ctx;
	struct cmabuf_stats *st = read_tree(&kt, &ctx);
	uint64_t raw = 0, bytes = 0, v = 0;
	size_t cma = 99, pool = 99, i;

	ck_assert_int_eq(cmabuf_stats_get(st, CMABUF_STAT_CMA_TOTAL, &v), 0);
	ck_assert_uint_eq(v, 192 * MIB);	/* both pools */
	ck_assert_uint_eq(cmabuf_stats_get_area_count(st), 2);
	ck_assert_int_eq(cmabuf_stats_find_area(st, "linux,cma", &cma), 0);
	ck_assert_int_eq(cmabuf_stats_find_area(st, "camera-pool@60000000",
						&pool), 0);
	ck_assert_int_eq(cmabuf_stats_area_get(st, cma, CMABUF_AREA_COUNT,
					       &raw, &bytes), 0);
	ck_assert_uint_eq(raw, 128 * MIB / t->page_size);
	ck_assert_uint_eq(bytes, 128 * MIB);
	ck_assert_int_eq(cmabuf_stats_area_get(st, cma, CMABUF_AREA_USED,
					       &raw, &bytes), 0);
	ck_assert_uint_eq(raw, t->cma_used_pages);
	ck_assert_uint_eq(bytes, t->cma_used_pages * t->page_size);
	ck_assert_uint_eq(area_bytes(st, pool, CMABUF_AREA_COUNT), 64 * MIB);
	ck_assert_uint_eq(area_bytes(st, pool, CMABUF_AREA_USED), 0);
	ck_assert_uint_eq(area_bytes(st, pool, CMABUF_AREA_MAXCHUNK), 64 * MIB);

	/* 6.12: a heap for linux,cma only; 7.x: default_cma_region and its
	 * legacy alias linux,cma, and camera-pool@60000000 of its own */
	ck_assert_uint_eq(cmabuf_stats_get_heap_count(st), t->heaps);
	for (i = 0; i < t->heaps; i++) {
		const char *name = cmabuf_stats_heap_get_name(st, i);

		if (strcmp(name, "system") == 0)
			ck_assert_ptr_null(cmabuf_stats_heap_get_area(st, i));
		else if (strcmp(name, "camera-pool@60000000") == 0)
			ck_assert_str_eq(cmabuf_stats_heap_get_area(st, i), name);
		else
			ck_assert_str_eq(cmabuf_stats_heap_get_area(st, i),
					 "linux,cma");
	}
	for (i = 0; i < cmabuf_stats_get_buffer_count(st); i++)
		if (strcmp(cmabuf_stats_buffer_get_exporter(st, i),
			   "linux,cma") == 0)
			ck_assert_uint_eq(cmabuf_stats_buffer_get_size(st, i),
					  4 * MIB);
	ck_assert_uint_eq(cmabuf_stats_process_get_bytes(st, 0), 5 * MIB);
	cmabuf_stats_unref(st);
	cmabuf_ctx_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("stats-fixtures");
	TCase *tc = tcase_create("kernels");
	int n = (int)(sizeof(trees) / sizeof(trees[0]));

	tcase_add_loop_test(tc, test_system_counters, 0, n);
	tcase_add_loop_test(tc, test_cma_area, 0, n);
	tcase_add_loop_test(tc, test_heaps_and_buffers, 0, n);
	tcase_add_test(tc, test_large_maps_file);
	tcase_add_test(tc, test_fake_mapping_ignored);
	tcase_add_test(tc, test_sysfs_buffers_merge);
	tcase_add_test(tc, test_page_size_recorded);
	tcase_add_test(tc, test_page_size_derived);
	tcase_add_loop_test(tc, test_device_tree_pools, 0,
			    (int)(sizeof(dt_trees) / sizeof(dt_trees[0])));
	suite_add_tcase(s, tc);
	return tu_run(s);
}
