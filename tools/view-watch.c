// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * --watch: one line of rates per interval from two snapshots. It runs
 * until its count or until its output fails: a closed pipe (SIGPIPE is
 * ignored by main, so the write returns EPIPE) or a full disk ends it with
 * exit status 1, not a loop writing into nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmabuf-stat.h"

static void watch_rate(const struct cmabuf_stats *a,
		       const struct cmabuf_stats *b, enum cmabuf_stat k)
{
	double r;

	if (cmabuf_stats_diff(a, b, k, NULL, &r) == 0)
		printf(" %9.1f", r);
	else
		printf(" %9s", "-");
}

/* sum of one area field over all areas, as a rate */
static void watch_area_rate(const struct cmabuf_stats *a,
			    const struct cmabuf_stats *b,
			    enum cmabuf_area_stat k)
{
	size_t i, n = cmabuf_stats_get_area_count(b);
	double sum = 0, r;
	bool any = false;

	for (i = 0; i < n; i++) {
		if (cmabuf_stats_area_diff(a, b, i, k, NULL, &r) == 0) {
			sum += r;
			any = true;
		}
	}
	if (any)
		printf(" %12.1f", sum);
	else
		printf(" %12s", "-");
}

static void watch_line(const struct cmabuf_stats *a,
		       const struct cmabuf_stats *b)
{
	size_t i, n = cmabuf_stats_get_area_count(b);
	uint64_t free = 0, largest = 0, v;
	bool has_free = false, has_largest = false;

	for (i = 0; i < n; i++) {
		if (area_bytes(b, i, CMABUF_AREA_SPACE_FREE, &v)) {
			free += v;
			has_free = true;
		}
		if (area_bytes(b, i, CMABUF_AREA_SPACE_LARGEST_FREE, &v)) {
			largest = v > largest ? v : largest;
			has_largest = true;
		}
	}
	if (!has_free)
		has_free = sys_get(b, CMABUF_STAT_CMA_FREE, &free);
	cell_size(has_free, free, 10);
	cell_size(has_largest, largest, 10);
	watch_rate(a, b, CMABUF_STAT_CMA_ALLOC_SUCCESS);
	watch_rate(a, b, CMABUF_STAT_CMA_ALLOC_FAIL);
	watch_area_rate(a, b, CMABUF_AREA_ALLOC_PAGES_SUCCESS);
	watch_area_rate(a, b, CMABUF_AREA_ALLOC_PAGES_FAIL);
	watch_rate(a, b, CMABUF_STAT_PGMIGRATE_SUCCESS);
	printf("\n");
}

/* stdout took everything so far: false on EPIPE, ENOSPC, EIO ... */
static bool output_ok(void)
{
	return fflush(stdout) == 0 && !ferror(stdout);
}

static void sleep_seconds(unsigned long s)
{
	struct timespec ts = { .tv_sec = (time_t)s };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int watch_failed(struct cmabuf_stats *prev, const char *what, int err)
{
	cmabuf_stats_unref(prev);
	fprintf(stderr, "cmabuf-stat: %s: %s\n", what, strerror(err));
	return EXIT_FAILURE;
}

int view_watch(struct cmabuf_ctx *ctx, unsigned long interval,
	       unsigned long count)
{
	struct cmabuf_stats *prev = NULL, *cur = NULL;
	unsigned long i;
	int ret;

	ret = cmabuf_stats_read(ctx, WATCH_SOURCES, &prev);
	if (ret < 0)
		return watch_failed(prev, "cannot read statistics", -ret);
	notes(prev);
	printf("%10s %10s %9s %9s %12s %12s %9s\n", "FREE", "LARGEST",
	       "ALLOC/s", "FAIL/s", COL_PAGES_OK "/s", COL_PAGES_FAIL "/s",
	       "MIGR/s");
	if (!output_ok())
		return watch_failed(prev, "write error", errno);
	for (i = 0; count == 0 || i < count; i++) {
		sleep_seconds(interval);
		ret = cmabuf_stats_read(ctx, WATCH_SOURCES, &cur);
		if (ret < 0)
			return watch_failed(prev, "cannot read statistics",
					    -ret);
		watch_line(prev, cur);
		cmabuf_stats_unref(prev);
		prev = cur;
		cur = NULL;
		if (!output_ok())
			return watch_failed(prev, "write error", errno);
	}
	cmabuf_stats_unref(prev);
	return EXIT_SUCCESS;
}
