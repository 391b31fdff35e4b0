// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * --json: schema_version 1, documented in cmabuf-stat(1). Strings are
 * escaped by escape.h: valid UTF-8 passes as is, invalid bytes become
 * U+FFFD, control characters \u00XX; the document is always valid JSON.
 */
#include <inttypes.h>
#include <stdio.h>

#include "cmabuf-stat.h"
#include "escape.h"

static void json_str(const char *s)
{
	if (!s) {
		fputs("null", stdout);
		return;
	}
	putchar('"');
	escape_fputs(ESCAPE_JSON, s, stdout);
	putchar('"');
}

static void json_u64(bool ok, uint64_t v)
{
	if (ok)
		printf("%" PRIu64, v);
	else
		printf("null");
}

/* a separate call: "f(get(&v), v)" would read v before get() ran */
static void json_sys(const struct cmabuf_stats *st, enum cmabuf_stat k)
{
	uint64_t v = 0;
	bool ok = sys_get(st, k, &v);

	json_u64(ok, v);
}

static void json_double(int ret, double v)
{
	if (ret == 0)
		printf("%.6f", v);
	else
		printf("null");
}

static const struct {
	const char *key;
	enum cmabuf_stat stat;
} json_system[] = {
	{ "cma_total_bytes", CMABUF_STAT_CMA_TOTAL },
	{ "cma_free_bytes", CMABUF_STAT_CMA_FREE },
	{ "nr_free_cma_bytes", CMABUF_STAT_NR_FREE_CMA },
	{ "cma_alloc_success", CMABUF_STAT_CMA_ALLOC_SUCCESS },
	{ "cma_alloc_fail", CMABUF_STAT_CMA_ALLOC_FAIL },
	{ "pgmigrate_success", CMABUF_STAT_PGMIGRATE_SUCCESS },
	{ "pgmigrate_fail", CMABUF_STAT_PGMIGRATE_FAIL },
	{ "compact_migrate_scanned", CMABUF_STAT_COMPACT_MIGRATE_SCANNED },
	{ "compact_free_scanned", CMABUF_STAT_COMPACT_FREE_SCANNED },
	{ "compact_isolated", CMABUF_STAT_COMPACT_ISOLATED },
	{ "compact_stall", CMABUF_STAT_COMPACT_STALL },
	{ "compact_fail", CMABUF_STAT_COMPACT_FAIL },
	{ "compact_success", CMABUF_STAT_COMPACT_SUCCESS },
	{ "compact_daemon_wake", CMABUF_STAT_COMPACT_DAEMON_WAKE },
};

static void json_area(const struct cmabuf_stats *st, size_t i)
{
	static const struct {
		const char *key;
		enum cmabuf_area_stat stat;
	} space[] = {
		{ "total_bytes", CMABUF_AREA_SPACE_TOTAL },
		{ "used_bytes", CMABUF_AREA_SPACE_USED },
		{ "free_bytes", CMABUF_AREA_SPACE_FREE },
		{ "largest_free_bytes", CMABUF_AREA_SPACE_LARGEST_FREE },
	};
	uint64_t v;
	double d;
	size_t k;
	bool ok;
	int ret;

	printf("    {\"name\": ");
	json_str(cmabuf_stats_area_get_name(st, i));
	for (k = 0; k < sizeof(space) / sizeof(space[0]); k++) {
		printf(", \"%s\": ", space[k].key);
		ok = area_bytes(st, i, space[k].stat, &v);
		json_u64(ok, v);
	}
	ret = cmabuf_stats_area_get_fragmentation(st, i, &d);
	printf(", \"fragmentation\": ");
	json_double(ret, d);
	ret = cmabuf_stats_area_get_failure_ratio(st, i, &d);
	printf(", \"failure_ratio\": ");
	json_double(ret, d);
	printf(",\n     \"raw\": {");
	for (k = 0; k <= CMABUF_AREA_NR_RANGES; k++) {
		bool has = area_raw(st, i, (enum cmabuf_area_stat)k, &v);

		printf("%s\"%s\": ", k ? ", " : "",
		       cmabuf_area_stat_name((enum cmabuf_area_stat)k));
		json_u64(has, v);
	}
	printf("}}");
}

static void json_heaps(const struct cmabuf_stats *st)
{
	size_t i, n = cmabuf_stats_get_heap_count(st);

	printf("  \"heaps\": [");
	for (i = 0; i < n; i++) {
		uint32_t mode, uid, gid;
		bool ok = cmabuf_stats_heap_get_access(st, i, &mode, &uid,
						       &gid) == 0;
		char m[8];

		snprintf(m, sizeof(m), "%04o", ok ? mode : 0);
		printf("%s\n    {\"name\": ", i ? "," : "");
		json_str(cmabuf_stats_heap_get_name(st, i));
		printf(", \"path\": ");
		json_str(shown_path(cmabuf_stats_heap_get_path(st, i)));
		printf(", \"mode\": ");
		json_str(ok ? m : NULL);
		printf(", \"uid\": ");
		json_u64(ok, uid);
		printf(", \"gid\": ");
		json_u64(ok, gid);
		printf(", \"cma_area\": ");
		json_str(cmabuf_stats_heap_get_area(st, i));
		printf("}");
	}
	printf("%s],\n", n ? "\n  " : "");
}

static void json_buffers(const struct cmabuf_stats *st)
{
	size_t i, k, n = cmabuf_stats_get_buffer_count(st);

	printf("  \"buffers\": [");
	for (i = 0; i < n; i++) {
		const int *pids;
		size_t np = cmabuf_stats_buffer_get_holders(st, i, &pids);

		printf("%s\n    {\"inode\": %" PRIu64 ", \"size_bytes\": %"
		       PRIu64 ", \"exporter\": ", i ? "," : "",
		       cmabuf_stats_buffer_get_inode(st, i),
		       cmabuf_stats_buffer_get_size(st, i));
		json_str(cmabuf_stats_buffer_get_exporter(st, i));
		printf(", \"name\": ");
		json_str(cmabuf_stats_buffer_get_name(st, i));
		printf(", \"pids\": [");
		for (k = 0; k < np; k++)
			printf("%s%d", k ? ", " : "", pids[k]);
		printf("]}");
	}
	printf("%s],\n", n ? "\n  " : "");
}

static void json_processes(const struct cmabuf_stats *st)
{
	size_t i, j, n = cmabuf_stats_get_process_count(st);
	struct exp_sum sums[16];

	printf("  \"processes\": [");
	for (i = 0; i < n; i++) {
		int pid = cmabuf_stats_process_get_pid(st, i);
		size_t ns = process_exporters(st, pid, sums, 16);

		printf("%s\n    {\"pid\": %d, \"comm\": ", i ? "," : "", pid);
		json_str(cmabuf_stats_process_get_comm(st, i));
		printf(", \"buffers\": %zu, \"size_bytes\": %" PRIu64
		       ", \"by_exporter\": {",
		       cmabuf_stats_process_get_buffer_count(st, i),
		       cmabuf_stats_process_get_bytes(st, i));
		for (j = 0; j < ns; j++) {
			printf("%s", j ? ", " : "");
			json_str(sums[j].exporter);
			printf(": %" PRIu64, sums[j].bytes);
		}
		printf("}}");
	}
	printf("%s]\n", n ? "\n  " : "");
}

void view_json(const struct cmabuf_stats *st)
{
	size_t i, n;

	printf("{\n  \"schema_version\": 1,\n  \"debugfs\": %s,\n",
	       cmabuf_stats_has_debugfs(st) ? "true" : "false");
	printf("  \"system\": {");
	for (i = 0; i < sizeof(json_system) / sizeof(json_system[0]); i++) {
		printf("%s\n    \"%s\": ", i ? "," : "", json_system[i].key);
		json_sys(st, json_system[i].stat);
	}
	printf("\n  },\n  \"dmabuf\": {");
	printf("\"buffers\": ");
	json_sys(st, CMABUF_STAT_DMABUF_COUNT);
	printf(", \"size_bytes\": ");
	json_sys(st, CMABUF_STAT_DMABUF_BYTES);
	printf(", \"processes_scanned\": ");
	json_sys(st, CMABUF_STAT_PROCS_SCANNED);
	printf(", \"processes_denied\": ");
	json_sys(st, CMABUF_STAT_PROCS_DENIED);
	printf(", \"mappings_known\": %s",
	       mappings_known(st) ? "true" : "false");
	printf("},\n  \"areas\": [");
	n = cmabuf_stats_get_area_count(st);
	for (i = 0; i < n; i++) {
		printf("%s\n", i ? "," : "");
		json_area(st, i);
	}
	printf("%s],\n", n ? "\n  " : "");
	json_heaps(st);
	json_buffers(st);
	json_processes(st);
	printf("}\n");
}
