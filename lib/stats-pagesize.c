// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The page size of the tree being read. sysfs and debugfs cma count
 * pages, and /proc/vmstat's nr_free_cma too: on the live system they are
 * pages of this kernel (sysconf), but a tree captured on a 16K-page
 * arm64 board read on a 4K-page PC would come out 4x too large. A
 * captured tree records it (tests/vm/capture-fixtures writes "pagesize"
 * at its root); an older capture has it derived from CmaTotal, which the
 * kernel prints in kB, against the areas' page counts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stats-private.h"

static bool page_size_valid(uint64_t v)
{
	/* 4K to 256K (hexagon), a power of two */
	return v >= 4096 && v <= 262144 && (v & (v - 1)) == 0;
}

/* <root>/pagesize, as written when the tree was captured */
static uint64_t recorded_page_size(struct cmabuf_ctx *ctx)
{
	uint64_t v = 0;
	char *path = cmabuf_ctx_path(ctx, "/pagesize");

	if (!path)
		return 0;
	if (read_u64_file(path, &v) < 0 || !page_size_valid(v))
		v = 0;
	free(path);
	return v;
}

/* pages of all areas (total_pages, else debugfs count), 0 if unknown */
static uint64_t areas_pages(const struct stats_area *areas, size_t n)
{
	uint64_t sum = 0, bit_total = UINT64_C(1) << CMABUF_AREA_TOTAL_PAGES,
		 bit_count = UINT64_C(1) << CMABUF_AREA_COUNT;
	size_t i;

	for (i = 0; i < n; i++) {
		if (areas[i].present & bit_total)
			sum += areas[i].val[CMABUF_AREA_TOTAL_PAGES];
		else if (areas[i].present & bit_count)
			sum += areas[i].val[CMABUF_AREA_COUNT];
		else
			return 0;	/* one area unknown: the sum says nothing */
	}
	return sum;
}

static uint64_t derived_page_size(struct cmabuf_ctx *ctx)
{
	static const char *const keys[] = { "CmaTotal" };
	uint64_t kb = 0, present = 0, pages = 0, page;
	struct stats_area *areas = NULL;
	char text[8192], *path;
	bool debugfs;
	size_t n = 0;
	ssize_t len;

	if (cma_areas_read(ctx, &areas, &n, &debugfs) == 0)
		pages = areas_pages(areas, n);
	free(areas);
	if (pages == 0)
		return 0;
	path = cmabuf_ctx_path(ctx, "/proc/meminfo");
	if (!path)
		return 0;
	len = read_file_at(path, text, sizeof(text));
	free(path);
	if (len == -EFBIG)
		len = (ssize_t)strlen(text);
	if (len < 0)
		return 0;
	parse_keyed_lines(text, (size_t)len, keys, 1, &kb, &present);
	if (!present || kb > UINT64_MAX / 1024 || kb * 1024 % pages)
		return 0;
	page = kb * 1024 / pages;
	return page_size_valid(page) ? page : 0;
}

uint64_t stats_page_size(struct cmabuf_ctx *ctx)
{
	uint64_t page;

	if (!ctx->sysroot[0])	/* the live system */
		return (uint64_t)sysconf(_SC_PAGESIZE);
	page = recorded_page_size(ctx);
	if (!page)
		page = derived_page_size(ctx);
	if (!page) {
		page = (uint64_t)sysconf(_SC_PAGESIZE);
		info(ctx, "page size of %s unknown (no pagesize file, no "
		     "CMA page counts to derive it): assuming %llu\n",
		     ctx->sysroot, (unsigned long long)page);
	}
	return page;
}
