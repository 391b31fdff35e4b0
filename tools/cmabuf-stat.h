/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmabuf-stat's parts: the main program (cmabuf-stat.c: options, sources,
 * the loop) calls one view per file (view-*.c); they share the getters
 * and cells of stat-common.c and the escaping of escape.c. Every string
 * another process can set goes through escape.h on its way out.
 */
#ifndef CMABUF_STAT_H
#define CMABUF_STAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmabuf.h"

/* the sysroot, stripped from printed paths ("" for the live system) */
extern const char *stat_root_prefix;
/* the view asked for CMABUF_STATS_MAPPINGS (the snapshot may lack it) */
extern bool stat_mappings_asked;
/* asked, and the maps lines could be checked (lib/stats-dmabuf-dev.c) */
bool mappings_known(const struct cmabuf_stats *st);

/* stat-common.c */
const char *human(uint64_t bytes, char *buf, size_t size);
const char *shown_path(const char *path);
/* s escaped for the terminal into buf (escape.h), "-" for NULL */
const char *term(const char *s, char *buf, size_t size);
bool sys_get(const struct cmabuf_stats *st, enum cmabuf_stat k, uint64_t *v);
bool area_bytes(const struct cmabuf_stats *st, size_t i,
		enum cmabuf_area_stat k, uint64_t *v);
bool area_raw(const struct cmabuf_stats *st, size_t i,
	      enum cmabuf_area_stat k, uint64_t *v);
void cell_size(bool ok, uint64_t v, int width);
void cell_u64(bool ok, uint64_t v, int width);
void notes(const struct cmabuf_stats *st);

/* bytes of a process's buffers from one exporter */
struct exp_sum {
	const char *exporter;
	uint64_t bytes;
};

size_t process_exporters(const struct cmabuf_stats *st, int pid,
			 struct exp_sum *sums, size_t max);

/* the names of the per-area page counters, in the table and in --watch */
#define COL_PAGES_OK "PAGES_OK"
#define COL_PAGES_FAIL "PAGES_FAIL"

/* the views */
void view_table(const struct cmabuf_stats *st);
void view_buffers(const struct cmabuf_stats *st);
void view_processes(const struct cmabuf_stats *st);
void view_json(const struct cmabuf_stats *st);
void view_prometheus(const struct cmabuf_stats *st);

#define WATCH_SOURCES (CMABUF_STATS_MEMINFO | CMABUF_STATS_VMSTAT | \
		       CMABUF_STATS_CMA)
/* one line of rates per interval, count lines (0: forever); exit status */
int view_watch(struct cmabuf_ctx *ctx, unsigned long interval,
	       unsigned long count);

#endif /* CMABUF_STAT_H */
