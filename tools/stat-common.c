// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What the views of cmabuf-stat share: sizes for humans, paths without
 * the sysroot, getters that say "absent", table cells, the notes on
 * stderr, and a process's bytes per exporter.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cmabuf-stat.h"
#include "escape.h"

const char *stat_root_prefix = "";

const char *human(uint64_t bytes, char *buf, size_t size)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%" PRIu64 " B", bytes);
	else
		snprintf(buf, size, "%.1f %s", v, units[u]);
	return buf;
}

const char *shown_path(const char *path)
{
	size_t n = strlen(stat_root_prefix);

	if (n && strncmp(path, stat_root_prefix, n) == 0 && path[n] == '/')
		return path + n;
	return path;
}

const char *term(const char *s, char *buf, size_t size)
{
	if (!s)
		return "-";
	escape_str(ESCAPE_TERMINAL, s, buf, size);
	return buf;
}

bool sys_get(const struct cmabuf_stats *st, enum cmabuf_stat k, uint64_t *v)
{
	return cmabuf_stats_get(st, k, v) == 0;
}

bool area_bytes(const struct cmabuf_stats *st, size_t i,
		enum cmabuf_area_stat k, uint64_t *v)
{
	return cmabuf_stats_area_get(st, i, k, NULL, v) == 0;
}

bool area_raw(const struct cmabuf_stats *st, size_t i,
	      enum cmabuf_area_stat k, uint64_t *v)
{
	return cmabuf_stats_area_get(st, i, k, v, NULL) == 0;
}

/* a right-aligned cell: a size, or "-" when absent */
void cell_size(bool ok, uint64_t v, int width)
{
	char b[32];

	printf(" %*s", width, ok ? human(v, b, sizeof(b)) : "-");
}

void cell_u64(bool ok, uint64_t v, int width)
{
	if (ok)
		printf(" %*" PRIu64, width, v);
	else
		printf(" %*s", width, "-");
}

static bool have_cma(const struct cmabuf_stats *st)
{
	uint64_t total;

	if (cmabuf_stats_get_area_count(st) > 0)
		return true;
	return sys_get(st, CMABUF_STAT_CMA_TOTAL, &total) && total > 0;
}

bool stat_mappings_asked;

bool mappings_known(const struct cmabuf_stats *st)
{
	return stat_mappings_asked &&
	       (cmabuf_stats_get_sources(st) & CMABUF_STATS_MAPPINGS);
}

void notes(const struct cmabuf_stats *st)
{
	unsigned int src = cmabuf_stats_get_sources(st);
	uint64_t denied;

	if ((src & (CMABUF_STATS_MEMINFO | CMABUF_STATS_CMA)) &&
	    !have_cma(st)) {
		fprintf(stderr, "cmabuf-stat: no CMA on this kernel (CmaTotal "
			"absent or 0): the kernel needs CONFIG_CMA and a CMA "
			"area (cma= on the command line)\n");
		return;
	}
	if ((src & CMABUF_STATS_CMA) && cmabuf_stats_get_area_count(st) &&
	    !cmabuf_stats_has_debugfs(st))
		fprintf(stderr, "cmabuf-stat: debugfs cma not readable: largest"
			" free chunk and fragmentation unknown (run as root; "
			"mount -t debugfs none /sys/kernel/debug)\n");
	if (stat_mappings_asked && !mappings_known(st))
		fprintf(stderr, "cmabuf-stat: dma-buf mappings unknown: no "
			"dma-buf to learn the dma-buf filesystem's device from "
			"(no system heap, no udmabuf; or a captured tree without"
			" dmabuf-dev): buffers that are only mapped are left "
			"out\n");
	if (sys_get(st, CMABUF_STAT_PROCS_DENIED, &denied) && denied)
		fprintf(stderr, "cmabuf-stat: %" PRIu64 " process(es) not "
			"readable (EACCES): run as root to see their "
			"dma-bufs\n", denied);
}

/* bytes of pid's buffers from one exporter, by scanning the buffers */
size_t process_exporters(const struct cmabuf_stats *st, int pid,
			 struct exp_sum *sums, size_t max)
{
	size_t i, k, j, n = 0;

	for (i = 0; i < cmabuf_stats_get_buffer_count(st); i++) {
		const char *exp = cmabuf_stats_buffer_get_exporter(st, i);
		const int *pids;
		size_t np = cmabuf_stats_buffer_get_holders(st, i, &pids);

		if (!exp)
			exp = "?";
		for (k = 0; k < np && pids[k] != pid; k++)
			;
		if (k == np)
			continue;
		for (j = 0; j < n && strcmp(sums[j].exporter, exp); j++)
			;
		if (j == n) {
			if (n == max)
				continue;
			sums[n].exporter = exp;
			sums[n++].bytes = 0;
		}
		sums[j].bytes += cmabuf_stats_buffer_get_size(st, i);
	}
	return n;
}
