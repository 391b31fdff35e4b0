// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The CMA area map: for each page frame of an area, whether cma_alloc()
 * took it (debugfs cma/<area>/bitmap, or ranges/N/bitmap from 6.15), and
 * otherwise what the buddy allocator did with it (/proc/kpageflags, one
 * u64 per pfn, CONFIG_PROC_PAGE_MONITOR). Both are root only and both
 * are read below the context's sysroot, so captured trees serve the host
 * tests. The classes are defined in stats-map-parse.c.
 *
 * Cost: kpageflags is read with pread() in chunks of 64 Ki entries
 * (512 KiB), the bitmap text at once; a 768 MiB area of 4 KiB pages is
 * 1.5 MiB of kpageflags and one byte of class per page in memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stats-map.h"
#include "stats-private.h"

#define DEBUGFS_CMA "/sys/kernel/debug/cma"
#define KPF_CHUNK 65536
#define MAX_RANGES 64

static const char *const class_names[] = {
	[CMABUF_PAGE_ALLOCATED] = "allocated",
	[CMABUF_PAGE_FREE] = "free",
	[CMABUF_PAGE_MOVABLE] = "movable",
	[CMABUF_PAGE_OTHER] = "other",
};

CMABUF_EXPORT const char *cmabuf_page_class_name(enum cmabuf_page_class c)
{
	if ((unsigned int)c >= ARRAY_SIZE(class_names))
		return NULL;
	return class_names[c];
}

/* a missing file is a kernel without the feature; others pass through */
static int file_error(int e)
{
	if (e == -ENOENT || e == -ENOTDIR)
		return -ENODATA;
	if (e == -EPERM)
		return -EACCES;
	if (e == -EACCES || e == -ENOMEM)
		return e;
	return -EIO;
}

static int read_u64_at(struct cmabuf_ctx *ctx, const char *path,
		       uint64_t *v)
{
	char text[64];
	ssize_t n = read_file_at(path, text, sizeof(text));

	if (n < 0)
		return file_error((int)n);
	if (parse_u64_value(text, (size_t)n, v) < 0) {
		err(ctx, "%s: not a number\n", path);
		return -EIO;
	}
	return 0;
}

/* the bitmap words of one range */
static int read_bitmap(struct cmabuf_ctx *ctx, const char *path,
		       size_t maxwords, uint32_t **words, size_t *nwords)
{
	size_t bufsz = maxwords * 11 + 2;
	char *text;
	ssize_t n;
	int ret;

	text = malloc(bufsz);
	*words = malloc((maxwords ? maxwords : 1) * sizeof(uint32_t));
	if (!text || !*words) {
		ret = -ENOMEM;
		goto out;
	}
	n = read_file_at(path, text, bufsz);
	if (n < 0) {
		ret = file_error((int)n);
		if (n == -EFBIG)
			err(ctx, "%s: longer than the area\n", path);
		goto out;
	}
	ret = parse_cma_bitmap(text, (size_t)n, *words, maxwords, nwords);
	if (ret < 0) {
		err(ctx, "%s: not a CMA bitmap\n", path);
		ret = -EIO;
	}
out:
	free(text);
	if (ret < 0) {
		free(*words);
		*words = NULL;
	}
	return ret;
}

/* n kpageflags words from pfn, in large preads */
static int read_kpf(struct cmabuf_ctx *ctx, int fd, uint64_t pfn,
		    uint64_t *kpf, size_t n)
{
	size_t done = 0;

	while (done < n) {
		size_t want = n - done > KPF_CHUNK ? KPF_CHUNK : n - done;
		ssize_t got;

		got = pread(fd, kpf + done, want * 8,
			    (off_t)((pfn + done) * 8));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return file_error(-errno);
		if (got == 0 || got % 8) {
			err(ctx, "kpageflags ends at pfn %llu\n",
			    (unsigned long long)(pfn + done));
			return -EIO;
		}
		done += (size_t)got / 8;
	}
	return 0;
}

static int kpf_open(struct cmabuf_ctx *ctx, int *fd)
{
	char *path = cmabuf_ctx_path(ctx, "/proc/kpageflags");

	if (!path)
		return -ENOMEM;
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (*fd < 0) {
		int ret = file_error(-errno);

		dbg(ctx, "/proc/kpageflags: %s\n", strerror(-ret));
		return ret;
	}
	return 0;
}

/* why an area's debugfs files are missing: not root (debugfs is 0700),
 * or not there (not mounted, no CONFIG_CMA_DEBUGFS) */
static int debugfs_error(struct cmabuf_ctx *ctx, const char *area)
{
	char *rel, *path;
	int ret = -ENODATA;

	if (asprintf(&rel, "%s/%s/base_pfn", DEBUGFS_CMA, area) < 0)
		return -ENOMEM;
	path = cmabuf_ctx_path(ctx, rel);
	free(rel);
	if (!path)
		return -ENOMEM;
	if (access(path, R_OK) < 0 && (errno == EACCES || errno == EPERM))
		ret = -EACCES;
	free(path);
	return ret;
}

static bool has(const struct stats_area *s, enum cmabuf_area_stat k)
{
	return s->present & (UINT64_C(1) << k);
}

/* one range: its base and pages, its bitmap, then its page classes */
static int read_range(struct cmabuf_ctx *ctx, const char *dir, int kfd,
		      struct map_area *a, size_t r, uint64_t base,
		      uint64_t left, uint8_t *cls)
{
	struct map_range *mr = &a->ranges[r];
	char *path = NULL;
	uint32_t *words = NULL;
	uint64_t *kpf = NULL;
	size_t nwords, maxwords;
	int ret;

	if (a->nranges > 1) {
		if (asprintf(&path, "%s/ranges/%zu/base_pfn", dir, r) < 0)
			return -ENOMEM;
		ret = read_u64_at(ctx, path, &base);
		free(path);
		if (ret < 0)
			return ret;
		ret = asprintf(&path, "%s/ranges/%zu/bitmap", dir, r);
	} else {
		ret = asprintf(&path, "%s/bitmap", dir);
	}
	if (ret < 0)
		return -ENOMEM;
	maxwords = (size_t)(((left >> a->opb) + 63) / 32);
	ret = read_bitmap(ctx, path, maxwords, &words, &nwords);
	free(path);
	if (ret < 0)
		return ret;
	mr->base_pfn = base;
	mr->opb = a->opb;
	mr->pages = left;
	/* every range but the last: what its bitmap covers (debugfs shows
	 * no per-range count; ranges are pageblock multiples) */
	if (r + 1 < a->nranges && ((uint64_t)nwords * 32 << a->opb) < left)
		mr->pages = (uint64_t)nwords * 32 << a->opb;
	ret = -EIO;
	if ((uint64_t)nwords * 32 < (mr->pages >> a->opb)) {
		err(ctx, "area %s: range %zu: bitmap shorter than its pages\n",
		    a->name, r);
		goto out;
	}
	ret = -EFBIG;
	if (base > UINT64_MAX / 8 - mr->pages)
		goto out;
	ret = -ENOMEM;
	kpf = malloc((mr->pages ? mr->pages : 1) * sizeof(*kpf));
	if (!kpf)
		goto out;
	ret = read_kpf(ctx, kfd, base, kpf, (size_t)mr->pages);
	if (ret < 0)
		goto out;
	map_classify(kpf, (size_t)mr->pages, words, nwords, a->opb, cls);
	a->buddy += map_buddy_pages(kpf, (size_t)mr->pages, base);
	mr->cls = cls;
out:
	free(kpf);
	free(words);
	return ret;
}

static int area_summarize(struct map_area *a)
{
	size_t r, total = 0, i;
	uint64_t p;

	for (p = 0; p < a->pages; p++)
		a->count[a->cls[p]]++;
	for (r = 0; r < a->nranges; r++)
		total += map_runs(a->ranges[r].cls, (size_t)a->ranges[r].pages,
				  a->ranges[r].base_pfn, NULL, 0);
	a->runs = malloc((total ? total : 1) * sizeof(*a->runs));
	if (!a->runs)
		return -ENOMEM;
	for (r = 0, i = 0; r < a->nranges; r++)
		i += map_runs(a->ranges[r].cls, (size_t)a->ranges[r].pages,
			      a->ranges[r].base_pfn, a->runs + i, total - i);
	a->nruns = total;
	return 0;
}

static int read_area(struct cmabuf_ctx *ctx, const struct stats_area *s,
		     int kfd, struct map_area *a)
{
	uint64_t base, left, nr = 1;
	char *dir;
	size_t r;
	int ret;

	snprintf(a->name, sizeof(a->name), "%s", s->name);
	if (!has(s, CMABUF_AREA_BASE_PFN) || !has(s, CMABUF_AREA_COUNT) ||
	    !has(s, CMABUF_AREA_ORDER_PER_BIT)) {
		dbg(ctx, "area %s: no debugfs cma files\n", s->name);
		return debugfs_error(ctx, s->name);
	}
	base = s->val[CMABUF_AREA_BASE_PFN];
	a->pages = s->val[CMABUF_AREA_COUNT];
	if (has(s, CMABUF_AREA_NR_RANGES) && s->val[CMABUF_AREA_NR_RANGES])
		nr = s->val[CMABUF_AREA_NR_RANGES];
	if (s->val[CMABUF_AREA_ORDER_PER_BIT] > 20 || nr > MAX_RANGES ||
	    a->pages == 0) {
		err(ctx, "area %s: implausible order_per_bit, count or "
		    "ranges\n", s->name);
		return -EIO;
	}
	if (a->pages > MAP_MAX_PAGES)
		return -EFBIG;
	a->opb = (unsigned int)s->val[CMABUF_AREA_ORDER_PER_BIT];
	a->nranges = (size_t)nr;
	a->cls = malloc((size_t)a->pages);
	a->ranges = calloc(a->nranges, sizeof(*a->ranges));
	dir = NULL;
	if (!a->cls || !a->ranges ||
	    asprintf(&dir, "%s/%s", DEBUGFS_CMA, s->name) < 0)
		return -ENOMEM;
	{
		char *full = cmabuf_ctx_path(ctx, dir);

		free(dir);
		if (!full)
			return -ENOMEM;
		dir = full;
	}
	left = a->pages;
	for (r = 0, ret = 0; r < a->nranges && ret == 0; r++) {
		uint8_t *cls = a->cls + (a->pages - left);

		if (left == 0) {
			ret = -EIO;	/* more ranges than pages */
			break;
		}
		ret = read_range(ctx, dir, kfd, a, r, base, left, cls);
		if (ret == 0)
			left -= a->ranges[r].pages;
	}
	free(dir);
	if (ret == 0 && left) {
		err(ctx, "area %s: ranges cover %llu of %llu pages\n",
		    s->name, (unsigned long long)(a->pages - left),
		    (unsigned long long)a->pages);
		ret = -EIO;
	}
	return ret ? ret : area_summarize(a);
}

static void map_free(struct cmabuf_area_map *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->areas[i].cls);
		free(m->areas[i].ranges);
		free(m->areas[i].runs);
	}
	free(m->areas);
	free(m);
}

static int map_fill(struct cmabuf_ctx *ctx, struct cmabuf_area_map *m,
		    const char *area)
{
	struct stats_area *areas = NULL;
	size_t n = 0, i;
	bool debugfs;
	int kfd = -1, ret;

	ret = cma_areas_read(ctx, &areas, &n, &debugfs);
	if (ret < 0)
		return ret;
	ret = -ENOENT;
	for (i = 0; i < n; i++)
		if (!area || strcmp(areas[i].name, area) == 0)
			m->n++;
	if (m->n == 0) {
		dbg(ctx, "no CMA area %s\n", area ? area : "at all");
		goto out;
	}
	ret = -ENOMEM;
	m->areas = calloc(m->n, sizeof(*m->areas));
	if (!m->areas)
		goto out;
	ret = kpf_open(ctx, &kfd);
	m->n = 0;
	for (i = 0; i < n && ret == 0; i++) {
		if (area && strcmp(areas[i].name, area) != 0)
			continue;
		ret = read_area(ctx, &areas[i], kfd, &m->areas[m->n++]);
	}
out:
	if (kfd >= 0)
		close(kfd);
	free(areas);
	return ret;
}

CMABUF_EXPORT int cmabuf_area_map_read(struct cmabuf_ctx *ctx,
				       const char *area, unsigned int flags,
				       struct cmabuf_area_map **out)
{
	struct cmabuf_area_map *m;
	int ret;

	if (!ctx || !out)
		return -EINVAL;
	if (flags) {
		log_bug_client(ctx, "area map flags %#x\n", flags);
		return -EINVAL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->refcount = 1;
	m->align_max = MAP_CMA_ALIGNMENT;
	m->page_size = stats_page_size(ctx);
	ret = map_fill(ctx, m, area);
	if (ret < 0) {
		if (ret != -ENOENT)
			err(ctx, "CMA area map of %s: %s\n", area ? area : "all",
			    strerror(-ret));
		map_free(m);
		return ret;
	}
	*out = m;
	return 0;
}

CMABUF_EXPORT struct cmabuf_area_map *
cmabuf_area_map_ref(struct cmabuf_area_map *map)
{
	if (map)
		refcount_inc(&map->refcount);
	return map;
}

CMABUF_EXPORT struct cmabuf_area_map *
cmabuf_area_map_unref(struct cmabuf_area_map *map)
{
	if (map && refcount_dec(&map->refcount))
		map_free(map);
	return NULL;
}

CMABUF_EXPORT size_t
cmabuf_area_map_get_area_count(const struct cmabuf_area_map *map)
{
	return map ? map->n : 0;
}

CMABUF_EXPORT int cmabuf_area_map_get_info(const struct cmabuf_area_map *map,
					   size_t idx,
					   struct cmabuf_area_map_info *info)
{
	const struct map_area *a;

	if (!map || !info || idx >= map->n)
		return -EINVAL;
	a = &map->areas[idx];
	memset(info, 0, sizeof(*info));
	info->name = a->name;
	info->base_pfn = a->ranges[0].base_pfn;
	info->pages = a->pages;
	info->page_size = map->page_size;
	info->order_per_bit = a->opb;
	info->nr_ranges = (unsigned int)a->nranges;
	info->align_order = map->align_max;
	memcpy(info->class_pages, a->count, sizeof(info->class_pages));
	info->nr_runs = a->nruns;
	info->largest_free_run = map_largest_run(a->ranges, a->nranges, MAP_FREE);
	info->largest_movable_run = map_largest_run(a->ranges, a->nranges,
						    MAP_MOVABLE);
	info->largest_free_alloc = map_largest_alloc(a->ranges, a->nranges,
						     map->align_max, MAP_FREE);
	info->largest_movable_alloc = map_largest_alloc(a->ranges, a->nranges,
							map->align_max,
							MAP_MOVABLE);
	info->buddy_pages = a->buddy;
	return 0;
}

CMABUF_EXPORT int cmabuf_area_map_get_run(const struct cmabuf_area_map *map,
					  size_t idx, uint64_t run,
					  struct cmabuf_map_run *out)
{
	if (!map || !out || idx >= map->n)
		return -EINVAL;
	if (run >= map->areas[idx].nruns)
		return -ERANGE;
	*out = map->areas[idx].runs[run];
	return 0;
}
