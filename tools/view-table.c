// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The text views: the summary table (areas, counters, heaps, totals), one
 * line per dma-buf (-b) and per process (-p). Names come from other
 * processes: each goes through term() before it reaches the terminal.
 */
#include <inttypes.h>
#include <stdio.h>

#include "cmabuf-stat.h"

/* room for a 63-byte name escaped byte by byte (\xNN) */
#define NAME_BUF 256

static void print_areas(const struct cmabuf_stats *st)
{
	size_t i, n = cmabuf_stats_get_area_count(st);
	uint64_t v, w;

	printf("%-16s %10s %10s %10s %10s %6s %10s %10s\n", "CMA AREA",
	       "TOTAL", "USED", "FREE", "LARGEST", "FRAG", COL_PAGES_OK,
	       COL_PAGES_FAIL);
	for (i = 0; i < n; i++) {
		char nb[NAME_BUF];
		double frac;
		bool ok;

		printf("%-16s", term(cmabuf_stats_area_get_name(st, i), nb,
				     sizeof(nb)));
		ok = area_bytes(st, i, CMABUF_AREA_SPACE_TOTAL, &v);
		cell_size(ok, v, 10);
		ok = area_bytes(st, i, CMABUF_AREA_SPACE_USED, &v);
		cell_size(ok, v, 10);
		ok = area_bytes(st, i, CMABUF_AREA_SPACE_FREE, &v);
		cell_size(ok, v, 10);
		ok = area_bytes(st, i, CMABUF_AREA_SPACE_LARGEST_FREE, &v);
		cell_size(ok, v, 10);
		if (cmabuf_stats_area_get_fragmentation(st, i, &frac) == 0)
			printf(" %5.1f%%", frac * 100);
		else
			printf(" %6s", "-");
		ok = area_raw(st, i, CMABUF_AREA_ALLOC_PAGES_SUCCESS, &v);
		cell_u64(ok, v, 10);
		ok = area_raw(st, i, CMABUF_AREA_ALLOC_PAGES_FAIL, &w);
		cell_u64(ok, w, 10);
		printf("\n");
	}
	if (n == 0)
		printf("%-16s (no per-area files: sysfs and debugfs cma "
		       "absent)\n", "-");
}

static void print_system(const struct cmabuf_stats *st)
{
	uint64_t v, w;
	char b1[32], b2[32];

	if (sys_get(st, CMABUF_STAT_CMA_TOTAL, &v) &&
	    sys_get(st, CMABUF_STAT_CMA_FREE, &w))
		printf("all areas: CmaTotal %s, CmaFree %s\n",
		       human(v, b1, sizeof(b1)), human(w, b2, sizeof(b2)));
	printf("allocations (calls):");
	if (sys_get(st, CMABUF_STAT_CMA_ALLOC_SUCCESS, &v) &&
	    sys_get(st, CMABUF_STAT_CMA_ALLOC_FAIL, &w))
		printf(" %" PRIu64 " ok, %" PRIu64 " failed", v, w);
	else
		printf(" - (not counted: Linux < 5.12 or no CONFIG_CMA)");
	printf("; pages migrated:");
	if (sys_get(st, CMABUF_STAT_PGMIGRATE_SUCCESS, &v))
		printf(" %" PRIu64, v);
	else
		printf(" -");
	if (sys_get(st, CMABUF_STAT_PGMIGRATE_FAIL, &v))
		printf(" (%" PRIu64 " failed)", v);
	if (sys_get(st, CMABUF_STAT_COMPACT_ISOLATED, &v))
		printf("; compact_isolated %" PRIu64, v);
	printf("\n");
}

static void print_heaps(const struct cmabuf_stats *st)
{
	size_t i, n = cmabuf_stats_get_heap_count(st);

	printf("\n%-20s %-5s %5s %5s %-16s %s\n", "HEAP", "MODE", "UID",
	       "GID", "CMA AREA", "PATH");
	for (i = 0; i < n; i++) {
		uint32_t mode, uid, gid;
		const char *area = cmabuf_stats_heap_get_area(st, i);
		char nb[NAME_BUF], ab[NAME_BUF], pb[4096];

		printf("%-20s", term(cmabuf_stats_heap_get_name(st, i), nb,
				     sizeof(nb)));
		if (cmabuf_stats_heap_get_access(st, i, &mode, &uid, &gid) == 0)
			printf(" %04o  %5u %5u", mode, uid, gid);
		else
			printf(" %-5s %5s %5s", "-", "-", "-");
		printf(" %-16s %s\n", term(area, ab, sizeof(ab)),
		       term(shown_path(cmabuf_stats_heap_get_path(st, i)), pb,
			    sizeof(pb)));
	}
	if (n == 0)
		printf("(no dma-heaps)\n");
}

static void print_dmabuf_totals(const struct cmabuf_stats *st)
{
	uint64_t count = 0, bytes = 0;
	char b[32];

	sys_get(st, CMABUF_STAT_DMABUF_COUNT, &count);
	sys_get(st, CMABUF_STAT_DMABUF_BYTES, &bytes);
	printf("\ndma-bufs: %" PRIu64 " buffers, %s, held by %zu processes\n",
	       count, human(bytes, b, sizeof(b)),
	       cmabuf_stats_get_process_count(st));
}

void view_table(const struct cmabuf_stats *st)
{
	print_areas(st);
	print_system(st);
	print_heaps(st);
	print_dmabuf_totals(st);
}

void view_buffers(const struct cmabuf_stats *st)
{
	size_t i, k, n = cmabuf_stats_get_buffer_count(st);
	char b[32];

	printf("%-10s %10s %-20s %-20s %s\n", "INODE", "SIZE", "EXPORTER",
	       "NAME", "PIDS");
	for (i = 0; i < n; i++) {
		const char *exp = cmabuf_stats_buffer_get_exporter(st, i);
		const char *name = cmabuf_stats_buffer_get_name(st, i);
		const int *pids;
		size_t np = cmabuf_stats_buffer_get_holders(st, i, &pids);
		char eb[NAME_BUF], nb[NAME_BUF];

		printf("%-10" PRIu64 " %10s %-20s %-20s",
		       cmabuf_stats_buffer_get_inode(st, i),
		       human(cmabuf_stats_buffer_get_size(st, i), b,
			     sizeof(b)),
		       term(exp, eb, sizeof(eb)), term(name, nb, sizeof(nb)));
		for (k = 0; k < np; k++)
			printf("%s%d", k ? "," : " ", pids[k]);
		printf("%s\n", np ? "" : " -");
	}
}

void view_processes(const struct cmabuf_stats *st)
{
	size_t i, j, n = cmabuf_stats_get_process_count(st);
	struct exp_sum sums[16];
	char b[32], cb[NAME_BUF], eb[NAME_BUF];

	printf("%7s %-16s %5s %10s %s\n", "PID", "COMMAND", "BUFS", "SIZE",
	       "BY EXPORTER");
	for (i = 0; i < n; i++) {
		int pid = cmabuf_stats_process_get_pid(st, i);
		size_t ns = process_exporters(st, pid, sums, 16);

		printf("%7d %-16s %5zu %10s", pid,
		       term(cmabuf_stats_process_get_comm(st, i), cb,
			    sizeof(cb)),
		       cmabuf_stats_process_get_buffer_count(st, i),
		       human(cmabuf_stats_process_get_bytes(st, i), b,
			     sizeof(b)));
		for (j = 0; j < ns; j++)
			printf("%s%s=%s", j ? ", " : " ",
			       term(sums[j].exporter, eb, sizeof(eb)),
			       human(sums[j].bytes, b, sizeof(b)));
		printf("\n");
	}
}
