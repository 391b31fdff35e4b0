// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What the next allocation from a CMA heap would do now: the area map
 * (stats-map.c) read, and the kernel's search replayed on it
 * (stats-map-fit.c, where the rule of each kernel version is told).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stats-map.h"
#include "stats-private.h"

CMABUF_EXPORT int cmabuf_area_map_forecast(const struct cmabuf_area_map *map,
					   size_t idx, size_t size,
					   struct cmabuf_forecast *out)
{
	const struct map_area *a;
	uint64_t pages;
	int ret;

	if (!map || !out || idx >= map->n || size == 0)
		return -EINVAL;
	a = &map->areas[idx];
	pages = size / map->page_size + (size % map->page_size != 0);
	memset(out, 0, sizeof(*out));
	snprintf(out->area, sizeof(out->area), "%s", a->name);
	ret = map_forecast(a->ranges, a->nranges, pages,
			   heap_align_order(pages, map->align_max), out);
	if (ret < 0)
		return ret;
	out->largest_without_migration_bytes = map->page_size *
		map_largest_alloc(a->ranges, a->nranges, map->align_max,
				  MAP_FREE);
	out->largest_bytes = map->page_size *
		map_largest_alloc(a->ranges, a->nranges, map->align_max,
				  MAP_MOVABLE);
	out->largest_unallocated_bytes = map->page_size *
		map_largest_alloc(a->ranges, a->nranges, map->align_max,
				  MAP_UNALLOCATED);
	return 0;
}

CMABUF_EXPORT int cmabuf_heap_forecast(struct cmabuf_heap *heap, size_t size,
				       unsigned int flags,
				       struct cmabuf_forecast *out)
{
	struct cmabuf_area_map *map = NULL;
	struct stats_area *areas = NULL;
	char area[64];
	size_t n = 0;
	bool debugfs;
	int idx, ret;

	if (!heap || !out || size == 0)
		return -EINVAL;
	if (flags) {
		log_bug_client(heap->ctx, "forecast flags %#x\n", flags);
		return -EINVAL;
	}
	if (heap->kind != CMABUF_HEAP_KIND_CMA) {
		dbg(heap->ctx, "heap %s is not a CMA heap\n", heap->name);
		return -EOPNOTSUPP;
	}
	ret = cma_areas_read(heap->ctx, &areas, &n, &debugfs);
	if (ret < 0)
		return ret;
	idx = cma_area_for_heap(areas, n, heap->name);
	if (idx >= 0)
		snprintf(area, sizeof(area), "%s", areas[idx].name);
	free(areas);
	if (idx < 0) {
		dbg(heap->ctx, "no CMA area behind heap %s\n", heap->name);
		return -ENOENT;
	}
	ret = cmabuf_area_map_read(heap->ctx, area, 0, &map);
	if (ret < 0)
		return ret;
	ret = cmabuf_area_map_forecast(map, 0, size, out);
	cmabuf_area_map_unref(map);
	return ret;
}
