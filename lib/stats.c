// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Statistics snapshots: /proc/meminfo and /proc/vmstat counters, CMA
 * areas (stats-cma.c), dma-heap nodes and dma-bufs (stats-dmabuf.c),
 * with getters that tell "absent on this kernel" from zero.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "stats-private.h"

enum stat_unit { UNIT_COUNT, UNIT_KB, UNIT_PAGES, UNIT_BYTES };

struct stat_desc {
	const char *name;
	unsigned int source;
	enum stat_unit unit;
};

static const struct stat_desc stat_descs[] = {
	[CMABUF_STAT_CMA_TOTAL] = { "CmaTotal", CMABUF_STATS_MEMINFO, UNIT_KB },
	[CMABUF_STAT_CMA_FREE] = { "CmaFree", CMABUF_STATS_MEMINFO, UNIT_KB },
	[CMABUF_STAT_NR_FREE_CMA] = { "nr_free_cma", CMABUF_STATS_VMSTAT,
				      UNIT_PAGES },
	[CMABUF_STAT_CMA_ALLOC_SUCCESS] = { "cma_alloc_success",
					    CMABUF_STATS_VMSTAT, UNIT_COUNT },
	[CMABUF_STAT_CMA_ALLOC_FAIL] = { "cma_alloc_fail",
					 CMABUF_STATS_VMSTAT, UNIT_COUNT },
	[CMABUF_STAT_PGMIGRATE_SUCCESS] = { "pgmigrate_success",
					    CMABUF_STATS_VMSTAT, UNIT_COUNT },
	[CMABUF_STAT_PGMIGRATE_FAIL] = { "pgmigrate_fail",
					 CMABUF_STATS_VMSTAT, UNIT_COUNT },
	[CMABUF_STAT_COMPACT_MIGRATE_SCANNED] = { "compact_migrate_scanned",
						  CMABUF_STATS_VMSTAT,
						  UNIT_COUNT },
	[CMABUF_STAT_COMPACT_FREE_SCANNED] = { "compact_free_scanned",
					       CMABUF_STATS_VMSTAT,
					       UNIT_COUNT },
	[CMABUF_STAT_COMPACT_ISOLATED] = { "compact_isolated",
					   CMABUF_STATS_VMSTAT, UNIT_COUNT },
	[CMABUF_STAT_COMPACT_STALL] = { "compact_stall", CMABUF_STATS_VMSTAT,
					UNIT_COUNT },
	[CMABUF_STAT_COMPACT_FAIL] = { "compact_fail", CMABUF_STATS_VMSTAT,
				       UNIT_COUNT },
	[CMABUF_STAT_COMPACT_SUCCESS] = { "compact_success",
					  CMABUF_STATS_VMSTAT, UNIT_COUNT },
	[CMABUF_STAT_COMPACT_DAEMON_WAKE] = { "compact_daemon_wake",
					      CMABUF_STATS_VMSTAT,
					      UNIT_COUNT },
	[CMABUF_STAT_DMABUF_COUNT] = { "dmabuf_count", CMABUF_STATS_BUFFERS,
				       UNIT_COUNT },
	[CMABUF_STAT_DMABUF_BYTES] = { "dmabuf_bytes", CMABUF_STATS_BUFFERS,
				       UNIT_BYTES },
	[CMABUF_STAT_PROCS_SCANNED] = { "procs_scanned", CMABUF_STATS_BUFFERS,
					UNIT_COUNT },
	[CMABUF_STAT_PROCS_DENIED] = { "procs_denied", CMABUF_STATS_BUFFERS,
				       UNIT_COUNT },
};

static const char *const area_names[] = {
	[CMABUF_AREA_ALLOC_PAGES_SUCCESS] = "alloc_pages_success",
	[CMABUF_AREA_ALLOC_PAGES_FAIL] = "alloc_pages_fail",
	[CMABUF_AREA_RELEASE_PAGES_SUCCESS] = "release_pages_success",
	[CMABUF_AREA_TOTAL_PAGES] = "total_pages",
	[CMABUF_AREA_AVAILABLE_PAGES] = "available_pages",
	[CMABUF_AREA_BASE_PFN] = "base_pfn",
	[CMABUF_AREA_COUNT] = "count",
	[CMABUF_AREA_USED] = "used",
	[CMABUF_AREA_MAXCHUNK] = "maxchunk",
	[CMABUF_AREA_ORDER_PER_BIT] = "order_per_bit",
	[CMABUF_AREA_NR_RANGES] = "nr_ranges",
	[CMABUF_AREA_SPACE_TOTAL] = "total",
	[CMABUF_AREA_SPACE_USED] = "used_total",
	[CMABUF_AREA_SPACE_FREE] = "free",
	[CMABUF_AREA_SPACE_LARGEST_FREE] = "largest_free",
};

/* a key appended to the enum needs its table entry and count */
_Static_assert(ARRAY_SIZE(stat_descs) == STATS_NKEYS, "stat_descs");
_Static_assert(ARRAY_SIZE(area_names) == STATS_AREA_NKEYS, "area_names");

/* ------------------------------------------------------------------ */
/* reading                                                             */
/* ------------------------------------------------------------------ */

static void stat_set(struct cmabuf_stats *st, enum cmabuf_stat key,
		     uint64_t val)
{
	st->raw[key] = val;
	st->present |= UINT64_C(1) << key;
}

/* read the keyed file at path into the keys of source */
static void read_keyed(struct cmabuf_ctx *ctx, struct cmabuf_stats *st,
		       const char *file, unsigned int source)
{
	const char *keys[STATS_NKEYS];
	enum cmabuf_stat which[STATS_NKEYS];
	uint64_t vals[STATS_NKEYS], present = 0;
	size_t i, n = 0;
	char *path, *text;
	ssize_t len;

	for (i = 0; i < STATS_NKEYS; i++) {
		if (stat_descs[i].source != source)
			continue;
		keys[n] = stat_descs[i].name;
		which[n++] = (enum cmabuf_stat)i;
	}
	path = cmabuf_ctx_path(ctx, file);
	text = malloc(65536);
	if (!path || !text)
		goto out;
	/* vmstat grows with every kernel: 64 KiB holds ~1500 lines */
	len = read_file_at(path, text, 65536);
	if (len == -EFBIG)
		len = (ssize_t)strlen(text);
	if (len < 0) {
		dbg(ctx, "cannot read %s: %s\n", path, strerror((int)-len));
		goto out;
	}
	parse_keyed_lines(text, (size_t)len, keys, n, vals, &present);
	for (i = 0; i < n; i++)
		if (present & (UINT64_C(1) << i))
			stat_set(st, which[i], vals[i]);
out:
	free(path);
	free(text);
}

static int cmp_heap(const void *a, const void *b)
{
	return strcmp(((const struct stats_heap *)a)->name,
		      ((const struct stats_heap *)b)->name);
}

/*
 * Fixture path, captured trees only (a sysroot is set): a tree cannot hold
 * device nodes and their owners, so its dev/dma_heap.list ("name mode uid
 * gid major:minor") stands in for them. The live system never reads it.
 */
static void fixture_heaps_apply_list(struct cmabuf_ctx *ctx,
				     struct cmabuf_stats *st)
{
	char *path, *text, *p, *nl, name[256];
	uint32_t mode, uid, gid;
	ssize_t len;
	size_t i;

	if (asprintf(&path, "%s.list", cmabuf_ctx_heap_dir(ctx)) < 0)
		return;
	text = malloc(16384);
	len = text ? read_file_at(path, text, 16384) : -ENOMEM;
	free(path);
	if (len < 0) {
		free(text);
		return;
	}
	for (p = text; (nl = strchr(p, '\n')); p = nl + 1) {
		if (parse_heap_list_line(p, (size_t)(nl - p), name,
					 sizeof(name), &mode, &uid, &gid) < 0)
			continue;
		for (i = 0; i < st->nheaps; i++) {
			if (strcmp(st->heaps[i].name, name) != 0)
				continue;
			st->heaps[i].mode = mode;
			st->heaps[i].uid = uid;
			st->heaps[i].gid = gid;
			st->heaps[i].has_access = true;
		}
	}
	free(text);
}

static int heap_add(struct cmabuf_stats *st, const char *dir,
		    const char *name)
{
	struct stats_heap *nh, *h;
	struct stat sb;

	nh = realloc(st->heaps, (st->nheaps + 1) * sizeof(*nh));
	if (!nh)
		return -ENOMEM;
	st->heaps = nh;
	h = &nh[st->nheaps];
	memset(h, 0, sizeof(*h));
	if (asprintf(&h->path, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	h->name = strdup(name);
	if (!h->name) {
		free(h->path);
		return -ENOMEM;
	}
	if (stat(h->path, &sb) == 0 && S_ISCHR(sb.st_mode)) {
		h->mode = sb.st_mode & 07777;
		h->uid = sb.st_uid;
		h->gid = sb.st_gid;
		h->has_access = true;
	}
	st->nheaps++;
	return 0;
}

static int read_heaps(struct cmabuf_ctx *ctx, struct cmabuf_stats *st)
{
	const char *dir = cmabuf_ctx_heap_dir(ctx);
	struct dirent *de;
	int ret = 0;
	size_t i;
	DIR *d;

	d = opendir(dir);
	if (!d) {
		dbg(ctx, "no heap directory %s\n", dir);
		return 0;
	}
	while (ret == 0 && (de = readdir(d)))
		if (de->d_name[0] != '.')
			ret = heap_add(st, dir, de->d_name);
	closedir(d);
	if (ret < 0)
		return ret;
	if (st->nheaps > 1)
		qsort(st->heaps, st->nheaps, sizeof(*st->heaps), cmp_heap);
	if (ctx->sysroot[0])
		fixture_heaps_apply_list(ctx, st);
	for (i = 0; i < st->nheaps; i++) {
		int a = cma_area_for_heap_ctx(ctx, st->areas, st->nareas,
					      st->heaps[i].name);

		if (a < 0)
			continue;
		st->heaps[i].area = strdup(st->areas[a].name);
		if (!st->heaps[i].area)
			return -ENOMEM;
	}
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

CMABUF_EXPORT int cmabuf_stats_read(struct cmabuf_ctx *ctx, unsigned int what,
				    struct cmabuf_stats **out)
{
	struct cmabuf_stats *st;
	int ret = 0;

	if (!ctx || !out)
		return -EINVAL;
	if (what & ~CMABUF_STATS_ALL || what == 0) {
		log_bug_client(ctx, "bad stats sources %#x\n", what);
		return -EINVAL;
	}
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	/* mappings are a part of the buffer scan */
	if (what & CMABUF_STATS_MAPPINGS)
		what |= CMABUF_STATS_BUFFERS;
	st->refcount = 1;
	st->what = what;
	st->page_size = stats_page_size(ctx);
	st->time_ns = now_ns();
	if (what & CMABUF_STATS_MEMINFO)
		read_keyed(ctx, st, "/proc/meminfo", CMABUF_STATS_MEMINFO);
	if (what & CMABUF_STATS_VMSTAT)
		read_keyed(ctx, st, "/proc/vmstat", CMABUF_STATS_VMSTAT);
	/* heaps need the areas to name the one behind each CMA heap */
	if (what & (CMABUF_STATS_CMA | CMABUF_STATS_HEAPS))
		ret = cma_areas_read(ctx, &st->areas, &st->nareas,
				     &st->debugfs);
	if (ret == 0 && (what & CMABUF_STATS_HEAPS))
		ret = read_heaps(ctx, st);
	if (ret == 0 && (what & CMABUF_STATS_BUFFERS))
		ret = dmabuf_scan(ctx, st);
	if (ret < 0) {
		err(ctx, "reading statistics: %s\n", strerror(-ret));
		cmabuf_stats_unref(st);
		return ret;
	}
	if (!(what & CMABUF_STATS_CMA)) {
		/* read for the heaps only: not part of this snapshot */
		free(st->areas);
		st->areas = NULL;
		st->nareas = 0;
	}
	*out = st;
	return 0;
}

CMABUF_EXPORT struct cmabuf_stats *cmabuf_stats_ref(struct cmabuf_stats *st)
{
	if (st)
		refcount_inc(&st->refcount);
	return st;
}

CMABUF_EXPORT struct cmabuf_stats *cmabuf_stats_unref(struct cmabuf_stats *st)
{
	size_t i;

	if (!st || !refcount_dec(&st->refcount))
		return NULL;
	for (i = 0; i < st->nheaps; i++) {
		free(st->heaps[i].name);
		free(st->heaps[i].path);
		free(st->heaps[i].area);
	}
	for (i = 0; i < st->nbuffers; i++) {
		free(st->buffers[i].exporter);
		free(st->buffers[i].name);
		free(st->buffers[i].pids);
	}
	free(st->heaps);
	free(st->buffers);
	free(st->procs);
	free(st->areas);
	free(st);
	return NULL;
}

CMABUF_EXPORT unsigned int cmabuf_stats_get_sources(const struct cmabuf_stats *st)
{
	return st ? st->what : 0;
}

CMABUF_EXPORT uint64_t cmabuf_stats_get_time_ns(const struct cmabuf_stats *st)
{
	return st ? st->time_ns : 0;
}

CMABUF_EXPORT int cmabuf_stats_has_debugfs(const struct cmabuf_stats *st)
{
	if (!st)
		return -EINVAL;
	return st->debugfs;
}

/* ------------------------------------------------------------------ */
/* system-wide values                                                  */
/* ------------------------------------------------------------------ */

static bool stat_key_valid(enum cmabuf_stat key)
{
	return (unsigned int)key < STATS_NKEYS;
}

CMABUF_EXPORT int cmabuf_stats_get_raw(const struct cmabuf_stats *st,
				       enum cmabuf_stat key, uint64_t *raw)
{
	if (!st || !raw || !stat_key_valid(key))
		return -EINVAL;
	if (!(st->present & (UINT64_C(1) << key)))
		return -ENOENT;
	*raw = st->raw[key];
	return 0;
}

static uint64_t scale(uint64_t v, uint64_t by)
{
	return v > UINT64_MAX / by ? UINT64_MAX : v * by;
}

CMABUF_EXPORT int cmabuf_stats_get(const struct cmabuf_stats *st,
				   enum cmabuf_stat key, uint64_t *val)
{
	uint64_t raw;
	int ret;

	if (!val)
		return -EINVAL;
	ret = cmabuf_stats_get_raw(st, key, &raw);
	if (ret < 0)
		return ret;
	switch (stat_descs[key].unit) {
	case UNIT_KB:
		raw = scale(raw, 1024);
		break;
	case UNIT_PAGES:
		raw = scale(raw, st->page_size);
		break;
	case UNIT_COUNT:
	case UNIT_BYTES:
		break;
	}
	*val = raw;
	return 0;
}

CMABUF_EXPORT const char *cmabuf_stat_name(enum cmabuf_stat key)
{
	return stat_key_valid(key) ? stat_descs[key].name : NULL;
}

static int rate_of(const struct cmabuf_stats *a, const struct cmabuf_stats *b,
		   int64_t d, int64_t *delta, double *per_sec)
{
	if (delta)
		*delta = d;
	if (per_sec) {
		if (b->time_ns <= a->time_ns)
			return -EINVAL;
		*per_sec = (double)d * 1e9 / (double)(b->time_ns - a->time_ns);
	}
	return 0;
}

CMABUF_EXPORT int cmabuf_stats_diff(const struct cmabuf_stats *a,
				    const struct cmabuf_stats *b,
				    enum cmabuf_stat key, int64_t *delta,
				    double *per_sec)
{
	uint64_t va, vb;
	int ret;

	if (!a || !b)
		return -EINVAL;
	ret = cmabuf_stats_get_raw(a, key, &va);
	if (ret == 0)
		ret = cmabuf_stats_get_raw(b, key, &vb);
	if (ret < 0)
		return ret;
	return rate_of(a, b, (int64_t)(vb - va), delta, per_sec);
}

/* ------------------------------------------------------------------ */
/* CMA areas                                                           */
/* ------------------------------------------------------------------ */

CMABUF_EXPORT size_t cmabuf_stats_get_area_count(const struct cmabuf_stats *st)
{
	return st ? st->nareas : 0;
}

CMABUF_EXPORT const char *cmabuf_stats_area_get_name(const struct cmabuf_stats *st,
						     size_t idx)
{
	return st && idx < st->nareas ? st->areas[idx].name : NULL;
}

CMABUF_EXPORT int cmabuf_stats_find_area(const struct cmabuf_stats *st,
					 const char *name, size_t *idx)
{
	size_t i;

	if (!st || !name || !idx)
		return -EINVAL;
	for (i = 0; i < st->nareas; i++) {
		if (strcmp(st->areas[i].name, name) == 0) {
			*idx = i;
			return 0;
		}
	}
	return -ENOENT;
}

static bool area_key_in_pages(enum cmabuf_area_stat key)
{
	return key != CMABUF_AREA_BASE_PFN && key != CMABUF_AREA_ORDER_PER_BIT &&
	       key != CMABUF_AREA_NR_RANGES;
}

CMABUF_EXPORT int cmabuf_stats_area_get(const struct cmabuf_stats *st,
					size_t idx, enum cmabuf_area_stat key,
					uint64_t *raw, uint64_t *bytes)
{
	const struct stats_area *a;

	if (!st || idx >= st->nareas || (unsigned int)key >= STATS_AREA_NKEYS)
		return -EINVAL;
	a = &st->areas[idx];
	if (!(a->present & (UINT64_C(1) << key)))
		return -ENOENT;
	if (raw)
		*raw = a->val[key];
	if (bytes) {
		/* a frame number becomes a physical address */
		if (area_key_in_pages(key) || key == CMABUF_AREA_BASE_PFN)
			*bytes = scale(a->val[key], st->page_size);
		else
			*bytes = a->val[key];
	}
	return 0;
}

CMABUF_EXPORT const char *cmabuf_area_stat_name(enum cmabuf_area_stat key)
{
	return (unsigned int)key < STATS_AREA_NKEYS ? area_names[key] : NULL;
}

CMABUF_EXPORT int
cmabuf_stats_area_get_fragmentation(const struct cmabuf_stats *st, size_t idx,
				    double *frac)
{
	uint64_t free, chunk;
	int ret;

	if (!frac)
		return -EINVAL;
	ret = cmabuf_stats_area_get(st, idx, CMABUF_AREA_SPACE_FREE, &free,
				    NULL);
	if (ret == 0)
		ret = cmabuf_stats_area_get(st, idx,
					    CMABUF_AREA_SPACE_LARGEST_FREE,
					    &chunk, NULL);
	if (ret < 0)
		return ret;
	/* nothing free cannot be fragmented; counters read apart may cross */
	if (free == 0 || chunk >= free)
		*frac = 0.0;
	else
		*frac = 1.0 - (double)chunk / (double)free;
	return 0;
}

CMABUF_EXPORT int
cmabuf_stats_area_get_failure_ratio(const struct cmabuf_stats *st, size_t idx,
				    double *ratio)
{
	uint64_t ok, fail;
	int ret;

	if (!ratio)
		return -EINVAL;
	ret = cmabuf_stats_area_get(st, idx, CMABUF_AREA_ALLOC_PAGES_SUCCESS,
				    &ok, NULL);
	if (ret == 0)
		ret = cmabuf_stats_area_get(st, idx,
					    CMABUF_AREA_ALLOC_PAGES_FAIL,
					    &fail, NULL);
	if (ret < 0)
		return ret;
	*ratio = ok + fail ? (double)fail / ((double)ok + (double)fail) : 0.0;
	return 0;
}

CMABUF_EXPORT int cmabuf_stats_area_diff(const struct cmabuf_stats *a,
					 const struct cmabuf_stats *b,
					 size_t idx, enum cmabuf_area_stat key,
					 int64_t *delta, double *per_sec)
{
	uint64_t va, vb;
	size_t ia;
	int ret;

	if (!a || !b || idx >= b->nareas)
		return -EINVAL;
	ret = cmabuf_stats_find_area(a, b->areas[idx].name, &ia);
	if (ret == 0)
		ret = cmabuf_stats_area_get(a, ia, key, &va, NULL);
	if (ret == 0)
		ret = cmabuf_stats_area_get(b, idx, key, &vb, NULL);
	if (ret < 0)
		return ret;
	return rate_of(a, b, (int64_t)(vb - va), delta, per_sec);
}

/* ------------------------------------------------------------------ */
/* heaps                                                               */
/* ------------------------------------------------------------------ */

CMABUF_EXPORT size_t cmabuf_stats_get_heap_count(const struct cmabuf_stats *st)
{
	return st ? st->nheaps : 0;
}

CMABUF_EXPORT const char *cmabuf_stats_heap_get_name(const struct cmabuf_stats *st,
						     size_t idx)
{
	return st && idx < st->nheaps ? st->heaps[idx].name : NULL;
}

CMABUF_EXPORT const char *cmabuf_stats_heap_get_path(const struct cmabuf_stats *st,
						     size_t idx)
{
	return st && idx < st->nheaps ? st->heaps[idx].path : NULL;
}

CMABUF_EXPORT int cmabuf_stats_heap_get_access(const struct cmabuf_stats *st,
					       size_t idx, uint32_t *mode,
					       uint32_t *uid, uint32_t *gid)
{
	const struct stats_heap *h;

	if (!st || idx >= st->nheaps)
		return -EINVAL;
	h = &st->heaps[idx];
	if (!h->has_access)
		return -ENOENT;
	if (mode)
		*mode = h->mode;
	if (uid)
		*uid = h->uid;
	if (gid)
		*gid = h->gid;
	return 0;
}

CMABUF_EXPORT const char *cmabuf_stats_heap_get_area(const struct cmabuf_stats *st,
						     size_t idx)
{
	return st && idx < st->nheaps ? st->heaps[idx].area : NULL;
}

/* ------------------------------------------------------------------ */
/* buffers and processes                                               */
/* ------------------------------------------------------------------ */

CMABUF_EXPORT size_t cmabuf_stats_get_buffer_count(const struct cmabuf_stats *st)
{
	return st ? st->nbuffers : 0;
}

CMABUF_EXPORT uint64_t cmabuf_stats_buffer_get_inode(const struct cmabuf_stats *st,
						     size_t idx)
{
	return st && idx < st->nbuffers ? st->buffers[idx].ino : 0;
}

CMABUF_EXPORT uint64_t cmabuf_stats_buffer_get_size(const struct cmabuf_stats *st,
						    size_t idx)
{
	return st && idx < st->nbuffers ? st->buffers[idx].size : 0;
}

CMABUF_EXPORT const char *
cmabuf_stats_buffer_get_exporter(const struct cmabuf_stats *st, size_t idx)
{
	return st && idx < st->nbuffers ? st->buffers[idx].exporter : NULL;
}

CMABUF_EXPORT const char *cmabuf_stats_buffer_get_name(const struct cmabuf_stats *st,
						       size_t idx)
{
	return st && idx < st->nbuffers ? st->buffers[idx].name : NULL;
}

CMABUF_EXPORT size_t cmabuf_stats_buffer_get_holders(const struct cmabuf_stats *st,
						     size_t idx,
						     const int **pids)
{
	if (!st || idx >= st->nbuffers) {
		if (pids)
			*pids = NULL;
		return 0;
	}
	if (pids)
		*pids = st->buffers[idx].pids;
	return st->buffers[idx].npids;
}

CMABUF_EXPORT size_t cmabuf_stats_get_process_count(const struct cmabuf_stats *st)
{
	return st ? st->nprocs : 0;
}

CMABUF_EXPORT int cmabuf_stats_process_get_pid(const struct cmabuf_stats *st,
					       size_t idx)
{
	return st && idx < st->nprocs ? st->procs[idx].pid : -EINVAL;
}

CMABUF_EXPORT const char *
cmabuf_stats_process_get_comm(const struct cmabuf_stats *st, size_t idx)
{
	return st && idx < st->nprocs ? st->procs[idx].comm : NULL;
}

CMABUF_EXPORT size_t
cmabuf_stats_process_get_buffer_count(const struct cmabuf_stats *st,
				      size_t idx)
{
	return st && idx < st->nprocs ? st->procs[idx].nbuffers : 0;
}

CMABUF_EXPORT uint64_t cmabuf_stats_process_get_bytes(const struct cmabuf_stats *st,
						      size_t idx)
{
	return st && idx < st->nprocs ? st->procs[idx].bytes : 0;
}

/* ------------------------------------------------------------------ */
/* before allocating                                                   */
/* ------------------------------------------------------------------ */

static int heap_space(struct cmabuf_heap *heap, struct cma_area_space *sp)
{
	if (!heap)
		return -EINVAL;
	if (heap->kind != CMABUF_HEAP_KIND_CMA)
		return -EOPNOTSUPP;
	return stats_cma_area_space(heap->ctx, heap->name, sp);
}

CMABUF_EXPORT int cmabuf_heap_get_cma_free(struct cmabuf_heap *heap,
					   uint64_t *bytes)
{
	struct cma_area_space sp;
	int ret;

	if (!bytes)
		return -EINVAL;
	ret = heap_space(heap, &sp);
	if (ret < 0)
		return ret;
	if (sp.free < 0)
		return -ENOENT;
	*bytes = (uint64_t)sp.free;
	return 0;
}

CMABUF_EXPORT int cmabuf_heap_get_cma_largest_free(struct cmabuf_heap *heap,
						   uint64_t *bytes)
{
	struct cma_area_space sp;
	int ret;

	if (!bytes)
		return -EINVAL;
	ret = heap_space(heap, &sp);
	if (ret < 0)
		return ret;
	if (sp.maxchunk < 0)
		return -ENOENT;
	*bytes = (uint64_t)sp.maxchunk;
	return 0;
}
