// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * --prometheus: the text exposition format (0.0.4). Label values go
 * through escape.h (\\ \" \n, valid UTF-8 only). This view reads no
 * process's mappings unless --with-mappings asks for them: a scrape runs
 * every few seconds, and each maps file takes its process's mmap lock.
 */
#include <inttypes.h>
#include <stdio.h>

#include "cmabuf-stat.h"
#include "escape.h"

static void prom_family(const char *name, const char *type, const char *help)
{
	printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void prom_label(const char *v)
{
	putchar('"');
	escape_fputs(ESCAPE_PROMETHEUS, v, stdout);
	putchar('"');
}

static const struct {
	const char *name;
	const char *type;
	enum cmabuf_stat stat;
	const char *help;
} prom_system[] = {
	{ "cmabuf_cma_total_bytes", "gauge", CMABUF_STAT_CMA_TOTAL,
	  "Size of all CMA areas (/proc/meminfo CmaTotal)." },
	{ "cmabuf_cma_free_bytes", "gauge", CMABUF_STAT_CMA_FREE,
	  "Free buddy pages in CMA areas (/proc/meminfo CmaFree)." },
	{ "cmabuf_cma_alloc_success_total", "counter",
	  CMABUF_STAT_CMA_ALLOC_SUCCESS,
	  "Successful cma_alloc() calls (/proc/vmstat)." },
	{ "cmabuf_cma_alloc_fail_total", "counter", CMABUF_STAT_CMA_ALLOC_FAIL,
	  "Failed cma_alloc() calls (/proc/vmstat)." },
	{ "cmabuf_pgmigrate_success_pages_total", "counter",
	  CMABUF_STAT_PGMIGRATE_SUCCESS,
	  "Pages migrated, all reasons (/proc/vmstat pgmigrate_success)." },
	{ "cmabuf_pgmigrate_fail_pages_total", "counter",
	  CMABUF_STAT_PGMIGRATE_FAIL,
	  "Pages that failed to migrate (/proc/vmstat pgmigrate_fail)." },
	{ "cmabuf_compact_isolated_pages_total", "counter",
	  CMABUF_STAT_COMPACT_ISOLATED,
	  "Pages isolated for compaction (/proc/vmstat compact_isolated)." },
	{ "cmabuf_compact_stall_total", "counter", CMABUF_STAT_COMPACT_STALL,
	  "Direct compaction stalls (/proc/vmstat compact_stall)." },
	{ "cmabuf_dmabuf_buffers", "gauge", CMABUF_STAT_DMABUF_COUNT,
	  "Distinct dma-bufs held by readable processes or listed in sysfs." },
	{ "cmabuf_dmabuf_size_bytes", "gauge", CMABUF_STAT_DMABUF_BYTES,
	  "Total size of those dma-bufs." },
	{ "cmabuf_processes_denied", "gauge", CMABUF_STAT_PROCS_DENIED,
	  "Processes whose descriptors could not be read (EACCES)." },
};

static const struct {
	const char *name;
	const char *type;
	enum cmabuf_area_stat stat;
	bool bytes;
	const char *help;
} prom_area[] = {
	{ "cmabuf_area_total_bytes", "gauge", CMABUF_AREA_SPACE_TOTAL, true,
	  "Size of the CMA area." },
	{ "cmabuf_area_used_bytes", "gauge", CMABUF_AREA_SPACE_USED, true,
	  "Bytes of the CMA area allocated by cma_alloc()." },
	{ "cmabuf_area_free_bytes", "gauge", CMABUF_AREA_SPACE_FREE, true,
	  "Bytes of the CMA area not allocated by cma_alloc()." },
	{ "cmabuf_area_largest_free_bytes", "gauge",
	  CMABUF_AREA_SPACE_LARGEST_FREE, true,
	  "Largest free contiguous run of the CMA area (debugfs maxchunk)." },
	{ "cmabuf_area_alloc_success_pages_total", "counter",
	  CMABUF_AREA_ALLOC_PAGES_SUCCESS, false,
	  "Pages allocated from the CMA area (sysfs alloc_pages_success)." },
	{ "cmabuf_area_alloc_fail_pages_total", "counter",
	  CMABUF_AREA_ALLOC_PAGES_FAIL, false,
	  "Pages that could not be allocated (sysfs alloc_pages_fail)." },
	{ "cmabuf_area_release_pages_total", "counter",
	  CMABUF_AREA_RELEASE_PAGES_SUCCESS, false,
	  "Pages released to the CMA area (sysfs release_pages_success)." },
};

static void prom_areas(const struct cmabuf_stats *st)
{
	size_t i, k, n = cmabuf_stats_get_area_count(st);
	uint64_t v;
	double d;
	bool any;

	for (k = 0; k < sizeof(prom_area) / sizeof(prom_area[0]); k++) {
		for (i = 0, any = false; i < n && !any; i++)
			any = area_raw(st, i, prom_area[k].stat, &v);
		if (!any)
			continue;
		prom_family(prom_area[k].name, prom_area[k].type,
			    prom_area[k].help);
		for (i = 0; i < n; i++) {
			bool ok = prom_area[k].bytes ?
				  area_bytes(st, i, prom_area[k].stat, &v) :
				  area_raw(st, i, prom_area[k].stat, &v);

			if (!ok)
				continue;
			printf("%s{area=", prom_area[k].name);
			prom_label(cmabuf_stats_area_get_name(st, i));
			printf("} %" PRIu64 "\n", v);
		}
	}
	for (i = 0, any = false; i < n && !any; i++)
		any = cmabuf_stats_area_get_fragmentation(st, i, &d) == 0;
	if (!any)
		return;
	prom_family("cmabuf_area_fragmentation_ratio", "gauge",
		    "1 - largest free chunk / free bytes of the CMA area.");
	for (i = 0; i < n; i++) {
		if (cmabuf_stats_area_get_fragmentation(st, i, &d) < 0)
			continue;
		printf("cmabuf_area_fragmentation_ratio{area=");
		prom_label(cmabuf_stats_area_get_name(st, i));
		printf("} %.6f\n", d);
	}
}

static void prom_heaps(const struct cmabuf_stats *st)
{
	size_t i, n = cmabuf_stats_get_heap_count(st);

	if (n == 0)
		return;
	prom_family("cmabuf_heap_info", "gauge",
		    "A dma-heap node; its CMA area and access as labels.");
	for (i = 0; i < n; i++) {
		const char *area = cmabuf_stats_heap_get_area(st, i);
		uint32_t mode, uid, gid;
		char m[32];

		printf("cmabuf_heap_info{heap=");
		prom_label(cmabuf_stats_heap_get_name(st, i));
		printf(",area=");
		prom_label(area ? area : "");
		if (cmabuf_stats_heap_get_access(st, i, &mode, &uid, &gid) == 0) {
			snprintf(m, sizeof(m), "%04o", mode);
			printf(",mode=\"%s\",uid=\"%u\",gid=\"%u\"", m, uid,
			       gid);
		}
		printf("} 1\n");
	}
}

void view_prometheus(const struct cmabuf_stats *st)
{
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(prom_system) / sizeof(prom_system[0]); i++) {
		if (!sys_get(st, prom_system[i].stat, &v))
			continue;
		prom_family(prom_system[i].name, prom_system[i].type,
			    prom_system[i].help);
		printf("%s %" PRIu64 "\n", prom_system[i].name, v);
	}
	if (stat_mappings_asked) {
		prom_family("cmabuf_dmabuf_mappings_known", "gauge",
			    "1: mappings were read, each checked against the "
			    "dma-buf filesystem's device; 0: unknown, none "
			    "counted.");
		printf("cmabuf_dmabuf_mappings_known %d\n",
		       mappings_known(st) ? 1 : 0);
	}
	prom_areas(st);
	prom_heaps(st);
}
