// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The space of the CMA area behind a heap, in bytes, for the allocation
 * path's diagnosis (diagnose.c) and cmabuf_heap_get_cma_free(). It sits
 * above both the areas (stats-cma.c) and the page size
 * (stats-pagesize.c, which reads the areas to derive it), so that
 * neither of those calls the other back.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heap-names.h"
#include "stats-private.h"

static const char *const meminfo_keys[] = { "CmaTotal", "CmaFree" };

/* CmaTotal/CmaFree in bytes: the sum of all areas, so only for one */
static void space_from_meminfo(struct cmabuf_ctx *ctx,
			       struct cma_area_space *space)
{
	uint64_t vals[2], present = 0;
	char text[8192], *path;
	ssize_t len;

	path = cmabuf_ctx_path(ctx, "/proc/meminfo");
	if (!path)
		return;
	len = read_file_at(path, text, sizeof(text));
	free(path);
	if (len < 0 && len != -EFBIG)
		return;
	if (len < 0)
		len = (ssize_t)strlen(text);
	parse_keyed_lines(text, (size_t)len, meminfo_keys, 2, vals, &present);
	if (space->total < 0 && (present & 1) && vals[0] <= INT64_MAX / 1024)
		space->total = (int64_t)(vals[0] * 1024);
	if (space->free < 0 && (present & 2) && vals[1] <= INT64_MAX / 1024)
		space->free = (int64_t)(vals[1] * 1024);
}

/* an area's page count in bytes, -1 if absent or too large */
static int64_t area_pages_to_bytes(const struct stats_area *a,
				   enum cmabuf_area_stat key, uint64_t page)
{
	if (!(a->present & (UINT64_C(1) << key)) ||
	    a->val[key] > (uint64_t)INT64_MAX / page)
		return -1;
	return (int64_t)(a->val[key] * page);
}

int stats_cma_area_space(struct cmabuf_ctx *ctx, const char *heap_name,
			 struct cma_area_space *space)
{
	struct stats_area *areas = NULL;
	uint64_t page;
	bool debugfs;
	size_t n = 0;
	int idx, ret;

	if (!ctx || !heap_name || !space)
		return -EINVAL;
	memset(space->area, 0, sizeof(space->area));
	space->total = space->free = space->maxchunk = -1;
	ret = cma_areas_read(ctx, &areas, &n, &debugfs);
	if (ret < 0)
		return ret;
	page = stats_page_size(ctx);
	idx = cma_area_for_heap_ctx(ctx, areas, n, heap_name);
	if (idx >= 0) {
		const struct stats_area *a = &areas[idx];

		snprintf(space->area, sizeof(space->area), "%s", a->name);
		space->total = area_pages_to_bytes(a, CMABUF_AREA_SPACE_TOTAL,
						   page);
		space->free = area_pages_to_bytes(a, CMABUF_AREA_SPACE_FREE,
						  page);
		space->maxchunk = area_pages_to_bytes(a,
					CMABUF_AREA_SPACE_LARGEST_FREE, page);
	} else if (n > 0 || !cma_default_heap(ctx, heap_name)) {
		dbg(ctx, "no CMA area behind heap %s\n", heap_name);
		free(areas);
		return -ENOENT;
	}
	/* meminfo sums every area: it speaks for this one only if alone */
	if (n <= 1)
		space_from_meminfo(ctx, space);
	free(areas);
	return 0;
}
