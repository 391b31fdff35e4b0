// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * CMA areas: /sys/kernel/mm/cma/<area>/ (CONFIG_CMA_SYSFS, 5.13+) and
 * debugfs cma/<area>/ (CONFIG_CMA_DEBUGFS, root only) and the mapping from
 * heap names to areas. The free-space query built on them, which needs
 * the page size too, is in stats-space.c: the page size is derived from
 * the areas (stats-pagesize.c), so this file must not ask for it.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "heap-names.h"
#include "stats-private.h"

#define SYSFS_CMA "/sys/kernel/mm/cma"
#define DEBUGFS_CMA "/sys/kernel/debug/cma"

struct area_file {
	const char *name;
	enum cmabuf_area_stat key;
};

static const struct area_file sysfs_files[] = {
	{ "alloc_pages_success", CMABUF_AREA_ALLOC_PAGES_SUCCESS },
	{ "alloc_pages_fail", CMABUF_AREA_ALLOC_PAGES_FAIL },
	{ "release_pages_success", CMABUF_AREA_RELEASE_PAGES_SUCCESS },
	{ "total_pages", CMABUF_AREA_TOTAL_PAGES },
	{ "available_pages", CMABUF_AREA_AVAILABLE_PAGES },
};

static const struct area_file debugfs_files[] = {
	{ "base_pfn", CMABUF_AREA_BASE_PFN },
	{ "count", CMABUF_AREA_COUNT },
	{ "used", CMABUF_AREA_USED },
	{ "maxchunk", CMABUF_AREA_MAXCHUNK },
	{ "order_per_bit", CMABUF_AREA_ORDER_PER_BIT },
};


static void area_set(struct stats_area *a, enum cmabuf_area_stat key,
		     uint64_t val)
{
	a->val[key] = val;
	a->present |= UINT64_C(1) << key;
}

static bool area_has(const struct stats_area *a, enum cmabuf_area_stat key)
{
	return a->present & (UINT64_C(1) << key);
}

static void read_area_files(const char *dir, const struct area_file *files,
			    size_t nfiles, struct stats_area *a)
{
	char *path, text[64];
	uint64_t v;
	size_t i;

	for (i = 0; i < nfiles; i++) {
		ssize_t n;

		if (asprintf(&path, "%s/%s", dir, files[i].name) < 0)
			return;
		n = read_file_at(path, text, sizeof(text));
		free(path);
		if (n < 0 || parse_u64_value(text, (size_t)n, &v) < 0)
			continue;	/* absent, unreadable or garbled */
		area_set(a, files[i].key, v);
	}
}

static void count_ranges(const char *dir, struct stats_area *a)
{
	struct dirent *de;
	uint64_t n = 0;
	char *path;
	DIR *d;

	if (asprintf(&path, "%s/ranges", dir) < 0)
		return;
	d = opendir(path);
	free(path);
	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] >= '0' && de->d_name[0] <= '9')
			n++;
	closedir(d);
	area_set(a, CMABUF_AREA_NR_RANGES, n);
}

void cma_area_derive(struct stats_area *a)
{
	uint64_t total, free;
	bool has_total = true, has_free = true;

	if (area_has(a, CMABUF_AREA_TOTAL_PAGES))
		total = a->val[CMABUF_AREA_TOTAL_PAGES];
	else if (area_has(a, CMABUF_AREA_COUNT))
		total = a->val[CMABUF_AREA_COUNT];
	else
		has_total = false;
	if (area_has(a, CMABUF_AREA_AVAILABLE_PAGES))
		free = a->val[CMABUF_AREA_AVAILABLE_PAGES];
	else if (area_has(a, CMABUF_AREA_COUNT) &&
		 area_has(a, CMABUF_AREA_USED) &&
		 a->val[CMABUF_AREA_USED] <= a->val[CMABUF_AREA_COUNT])
		free = a->val[CMABUF_AREA_COUNT] - a->val[CMABUF_AREA_USED];
	else
		has_free = false;
	if (has_total)
		area_set(a, CMABUF_AREA_SPACE_TOTAL, total);
	if (has_free)
		area_set(a, CMABUF_AREA_SPACE_FREE, free);
	if (has_total && has_free && free <= total)
		area_set(a, CMABUF_AREA_SPACE_USED, total - free);
	if (area_has(a, CMABUF_AREA_MAXCHUNK))
		area_set(a, CMABUF_AREA_SPACE_LARGEST_FREE,
			 a->val[CMABUF_AREA_MAXCHUNK]);
}

static int add_area_name(struct stats_area **areas, size_t *n,
			 const char *name)
{
	struct stats_area *na;
	size_t i;

	if (name[0] == '.' || strlen(name) >= sizeof(na->name))
		return 0;
	for (i = 0; i < *n; i++)
		if (strcmp((*areas)[i].name, name) == 0)
			return 0;
	na = realloc(*areas, (*n + 1) * sizeof(*na));
	if (!na)
		return -ENOMEM;
	*areas = na;
	memset(&na[*n], 0, sizeof(na[*n]));
	snprintf(na[*n].name, sizeof(na[*n].name), "%s", name);
	(*n)++;
	return 0;
}

/* add the subdirectories of dir; false when dir cannot be listed */
static int list_area_dir(const char *dir, struct stats_area **areas,
			 size_t *n, bool *listed)
{
	struct dirent *de;
	DIR *d;
	int ret = 0;

	*listed = false;
	d = opendir(dir);
	if (!d)
		return 0;
	*listed = true;
	while (ret == 0 && (de = readdir(d)))
		if (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN ||
		    de->d_type == DT_LNK)
			ret = add_area_name(areas, n, de->d_name);
	closedir(d);
	return ret;
}

static int cmp_area(const void *a, const void *b)
{
	return strcmp(((const struct stats_area *)a)->name,
		      ((const struct stats_area *)b)->name);
}

int cma_areas_read(struct cmabuf_ctx *ctx, struct stats_area **out,
		   size_t *nout, bool *debugfs)
{
	char *sysfs, *dbg_dir, *path;
	struct stats_area *areas = NULL;
	bool has_sysfs, has_debugfs;
	size_t i, n = 0;
	int ret;

	sysfs = cmabuf_ctx_path(ctx, SYSFS_CMA);
	dbg_dir = cmabuf_ctx_path(ctx, DEBUGFS_CMA);
	ret = -ENOMEM;
	if (!sysfs || !dbg_dir)
		goto out;
	ret = list_area_dir(sysfs, &areas, &n, &has_sysfs);
	if (ret == 0)
		ret = list_area_dir(dbg_dir, &areas, &n, &has_debugfs);
	if (ret < 0)
		goto out;
	for (i = 0; i < n && ret == 0; i++) {
		if (asprintf(&path, "%s/%s", sysfs, areas[i].name) < 0) {
			ret = -ENOMEM;
			break;
		}
		read_area_files(path, sysfs_files, ARRAY_SIZE(sysfs_files),
				&areas[i]);
		free(path);
		if (asprintf(&path, "%s/%s", dbg_dir, areas[i].name) < 0) {
			ret = -ENOMEM;
			break;
		}
		read_area_files(path, debugfs_files, ARRAY_SIZE(debugfs_files),
				&areas[i]);
		count_ranges(path, &areas[i]);
		free(path);
		cma_area_derive(&areas[i]);
	}
	if (ret < 0)
		goto out;
	if (n > 1)
		qsort(areas, n, sizeof(*areas), cmp_area);
	dbg(ctx, "%zu CMA areas (sysfs %s, debugfs %s)\n", n,
	    has_sysfs ? "yes" : "no", has_debugfs ? "yes" : "no");
	*debugfs = has_debugfs;
	*out = areas;
	*nout = n;
	areas = NULL;
out:
	free(areas);
	free(sysfs);
	free(dbg_dir);
	return ret;
}

int cma_area_for_heap(const struct stats_area *areas, size_t n,
		      const char *heap_name)
{
	size_t i, j;

	/* per-area heaps (≤6.16 default heap, 6.19+ regions) */
	for (i = 0; i < n; i++)
		if (strcmp(areas[i].name, heap_name) == 0)
			return (int)i;
	if (!heap_name_in(heap_name, heap_names_default_cma))
		return -ENOENT;
	/* "default_cma_region" (6.17+) serves the area of the old name */
	for (j = 0; heap_names_default_area[j]; j++)
		for (i = 0; i < n; i++)
			if (strcmp(areas[i].name,
				   heap_names_default_area[j]) == 0)
				return (int)i;
	return n == 1 ? 0 : -ENOENT;
}

/*
 * The heap whose CMA area heap_name uses, when that is another name: the
 * target of an alias (Raspberry Pi OS's vidbuf_cached → linux,cma), then
 * the base of a vendor variant (i.MX's linux,cma-uncached is the memory
 * of linux,cma with write-combined mappings; -dma32 likewise). false when
 * heap_name stands for itself.
 */
static bool area_heap_name(const struct cmabuf_ctx *ctx, const char *heap_name,
			   char *out, size_t size)
{
	bool uncached, dma32;
	struct heap_class c;
	const char *src = heap_name;
	size_t len;

	if (!heap_name_valid(heap_name))
		return false;
	heap_classify(ctx, heap_name, &c);
	if ((c.flags & CMABUF_HEAP_ALIAS) && c.alias_of[0])
		src = c.alias_of;
	len = heap_name_variant(src, &uncached, &dma32);
	if (len == 0 || len >= size)
		len = strlen(src);
	if (len >= size)
		return false;
	memcpy(out, src, len);
	out[len] = '\0';
	return strcmp(out, heap_name) != 0;
}

int cma_area_for_heap_ctx(const struct cmabuf_ctx *ctx,
			  const struct stats_area *areas, size_t n,
			  const char *heap_name)
{
	char base[NAME_MAX + 1];
	int idx = cma_area_for_heap(areas, n, heap_name);

	/* its own name first: 6.19's per-area heaps are areas' names */
	if (idx >= 0 || !area_heap_name(ctx, heap_name, base, sizeof(base)))
		return idx;
	return cma_area_for_heap(areas, n, base);
}

bool cma_default_heap(const struct cmabuf_ctx *ctx,
			     const char *heap_name)
{
	char base[NAME_MAX + 1];

	if (heap_name_in(heap_name, heap_names_default_cma))
		return true;
	return area_heap_name(ctx, heap_name, base, sizeof(base)) &&
	       heap_name_in(base, heap_names_default_cma);
}
