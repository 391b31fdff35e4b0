// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Why did an allocation fail.
 *
 * The CMA heap turns every cma_alloc() failure into ENOMEM
 * (drivers/dma-buf/heaps/cma_heap.c), so the errno alone cannot tell an
 * exhausted area from a fragmented one. The kernel's CMA statistics can:
 * free space below the request means exhausted; enough free space but no
 * free run as long as the request (debugfs maxchunk) means fragmented.
 *
 * A diagnosis is an object the caller owns: no hidden last-error state,
 * so threads never see each other's answers.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libcmabuf-private.h"

struct cmabuf_diagnosis {
	int refcount;
	enum cmabuf_diag_reason reason;
	int64_t total, free, maxchunk;
	char message[512];
};

static const char *const reason_names[] = {
	[CMABUF_DIAG_UNKNOWN] = "unknown",
	[CMABUF_DIAG_EXHAUSTED] = "exhausted",
	[CMABUF_DIAG_FRAGMENTED] = "fragmented",
	[CMABUF_DIAG_NO_PERMISSION] = "no-permission",
	[CMABUF_DIAG_NO_CMA_HEAP] = "no-cma-heap",
	[CMABUF_DIAG_BLOCKED] = "blocked",
};

CMABUF_EXPORT const char *cmabuf_diag_reason_name(enum cmabuf_diag_reason r)
{
	if ((unsigned int)r >= ARRAY_SIZE(reason_names))
		return NULL;
	return reason_names[r];
}

static void freep(char **p)
{
	free(*p);
}

#define MIB(x) ((double)(x) / (1024.0 * 1024.0))

static void set_message(struct cmabuf_diagnosis *d, const char *fmt, ...)
	_printf_(2, 3);

static void set_message(struct cmabuf_diagnosis *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->message, sizeof(d->message), fmt, ap);
	va_end(ap);
}

/* the node of the default CMA heap, when cmabuf_heap_open() failed */
static char *cma_node_path(struct cmabuf_ctx *ctx)
{
	struct cmabuf_heap *heap;
	char *path;

	if (heap_find_default_cma(ctx, &heap) < 0)
		return NULL;
	path = strdup(heap->path);
	cmabuf_heap_unref(heap);
	return path;
}

static void diagnose_permission(struct cmabuf_diagnosis *d,
				const char *heap_path, struct cmabuf_ctx *ctx)
{
	_cleanup_(freep) char *found = NULL;
	const char *path = heap_path;
	struct stat st;

	d->reason = CMABUF_DIAG_NO_PERMISSION;
	if (!path)
		path = found = cma_node_path(ctx);
	if (!path || stat(path, &st) < 0) {
		set_message(d, "permission denied on the heap node; this "
			    "process runs as uid %u gid %u",
			    (unsigned int)geteuid(), (unsigned int)getegid());
		return;
	}
	set_message(d, "%s is owned by %u:%u with mode %04o and this "
		    "process runs as uid %u gid %u: grant read access with a "
		    "udev rule (GROUP and MODE, e.g. video and 0640)", path,
		    (unsigned int)st.st_uid, (unsigned int)st.st_gid,
		    (unsigned int)(st.st_mode & 07777),
		    (unsigned int)geteuid(), (unsigned int)getegid());
}

/*
 * With the area map (root: debugfs and kpageflags), the kernel's own
 * search replayed (cmabuf_heap_forecast()) tells the two causes of a
 * failure with enough free space apart: no range at the heap's alignment
 * is long enough even counting movable pages (fragmented), or ranges are
 * long enough but each holds a page that cannot move (blocked). Returns
 * true when it decided.
 */
static bool diagnose_from_map(struct cmabuf_diagnosis *d,
			      struct cmabuf_heap *heap, size_t size,
			      const struct cma_area_space *space)
{
	struct cmabuf_forecast fc;

	if (cmabuf_heap_forecast(heap, size, 0, &fc) < 0)
		return false;
	if (space->free >= 0 && space->free < (int64_t)size)
		return false;		/* exhausted: said by the counters */
	if (fc.would_succeed)
		return false;	/* it would fit now: the area changed since */
	if (fc.largest_unallocated_bytes >= size) {
		d->reason = CMABUF_DIAG_BLOCKED;
		set_message(d, "CMA area %s blocked: %.1f MiB requested and "
			    "the bitmap has free runs of up to %" PRIu64
			    " bytes at the heap's alignment, but every "
			    "fitting range holds pages that cannot move (%"
			    PRIu64 " in the first, at pfn %" PRIu64 "); the "
			    "largest allocation possible is %" PRIu64 " bytes",
			    fc.area, MIB(size), fc.largest_unallocated_bytes,
			    fc.pages_blocking, fc.blocked_pfn,
			    fc.largest_bytes);
		return true;
	}
	d->reason = CMABUF_DIAG_FRAGMENTED;
	set_message(d, "CMA area %s fragmented: %.1f MiB requested, %.1f MiB "
		    "free but the largest run at the heap's alignment (order "
		    "%u) is %" PRIu64 " bytes (%.1f MiB) with migration, %"
		    PRIu64 " bytes without", fc.area, MIB(size),
		    MIB(space->free), fc.align_order, fc.largest_bytes,
		    MIB(fc.largest_bytes),
		    fc.largest_without_migration_bytes);
	return true;
}

static void diagnose_cma_enomem(struct cmabuf_diagnosis *d,
				struct cmabuf_heap *heap, size_t size)
{
	struct cma_area_space space;
	int ret;

	ret = stats_cma_area_space(heap->ctx, heap->name, &space);
	if (ret < 0) {
		set_message(d, "CMA heap %s: cannot allocate %.1f MiB and the "
			    "area's statistics are unreadable: %s", heap->name,
			    MIB(size), strerror(-ret));
		return;
	}
	d->total = space.total;
	d->free = space.free;
	d->maxchunk = space.maxchunk;
	if (diagnose_from_map(d, heap, size, &space))
		return;
	if (space.free >= 0 && space.free < (int64_t)size) {
		d->reason = CMABUF_DIAG_EXHAUSTED;
		set_message(d, "CMA area %s exhausted: %.1f MiB requested, "
			    "%.1f MiB free of %.1f MiB", space.area, MIB(size),
			    MIB(space.free), MIB(space.total));
	} else if (space.maxchunk >= 0 && space.maxchunk < (int64_t)size) {
		d->reason = CMABUF_DIAG_FRAGMENTED;
		set_message(d, "CMA area %s fragmented: %.1f MiB requested, "
			    "%.1f MiB free but the largest free run is %.1f "
			    "MiB", space.area, MIB(size), MIB(space.free),
			    MIB(space.maxchunk));
	} else if (space.free >= 0) {
		/* enough free space, yet no run: fragmented or pinned */
		d->reason = CMABUF_DIAG_FRAGMENTED;
		set_message(d, "CMA area %s: %.1f MiB requested and %.1f MiB "
			    "free, so no free run is long enough (or pinned "
			    "pages could not migrate); the largest run is "
			    "unknown: debugfs cma needs root", space.area,
			    MIB(size), MIB(space.free));
	} else {
		set_message(d, "CMA heap %s: cannot allocate %.1f MiB; the "
			    "kernel shows no free-space figures for its area",
			    heap->name, MIB(size));
	}
}

CMABUF_EXPORT int cmabuf_alloc_diagnose(struct cmabuf_ctx *ctx,
					struct cmabuf_heap *heap, size_t size,
					int error,
					struct cmabuf_diagnosis **out)
{
	struct cmabuf_diagnosis *d;

	if (heap && !ctx)
		ctx = heap->ctx;
	if (!ctx || !out)
		return -EINVAL;
	if (error >= 0) {
		log_bug_client(ctx, "diagnosis of a success (error %d)\n",
			       error);
		return -EINVAL;
	}
	if (heap && heap->ctx != ctx) {
		log_bug_client(ctx, "heap of another context\n");
		return -EINVAL;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->refcount = 1;
	d->total = d->free = d->maxchunk = -1;
	d->reason = CMABUF_DIAG_UNKNOWN;
	set_message(d, "allocation of %zu bytes failed: %s", size,
		    strerror(-error));

	if (error == -EACCES || error == -EPERM) {
		diagnose_permission(d, heap ? heap->path : NULL, ctx);
	} else if (!heap || heap->kind != CMABUF_HEAP_KIND_CMA) {
		if (!heap || (heap->flags & CMABUF_HEAP_FALLBACK) ||
		    error == -ENOENT || error == -ENODEV) {
			d->reason = CMABUF_DIAG_NO_CMA_HEAP;
			set_message(d, "no CMA heap in %s: the kernel needs "
				    "CONFIG_DMABUF_HEAPS_CMA and a CMA area "
				    "(cma= or a reserved-memory region)",
				    cmabuf_ctx_heap_dir(ctx));
		}
	} else if (error == -ENOMEM) {
		diagnose_cma_enomem(d, heap, size);
	}
	dbg(ctx, "diagnosis: %s: %s\n", reason_names[d->reason], d->message);
	*out = d;
	return 0;
}

CMABUF_EXPORT struct cmabuf_diagnosis *
cmabuf_diagnosis_ref(struct cmabuf_diagnosis *d)
{
	if (d)
		refcount_inc(&d->refcount);
	return d;
}

CMABUF_EXPORT struct cmabuf_diagnosis *
cmabuf_diagnosis_unref(struct cmabuf_diagnosis *d)
{
	if (d && refcount_dec(&d->refcount))
		free(d);
	return NULL;
}

CMABUF_EXPORT enum cmabuf_diag_reason
cmabuf_diagnosis_get_reason(const struct cmabuf_diagnosis *d)
{
	return d ? d->reason : CMABUF_DIAG_UNKNOWN;
}

CMABUF_EXPORT const char *
cmabuf_diagnosis_get_message(const struct cmabuf_diagnosis *d)
{
	return d ? d->message : NULL;
}

CMABUF_EXPORT int cmabuf_diagnosis_get_space(const struct cmabuf_diagnosis *d,
					     int64_t *total, int64_t *free,
					     int64_t *maxchunk)
{
	if (!d)
		return -EINVAL;
	if (total)
		*total = d->total;
	if (free)
		*free = d->free;
	if (maxchunk)
		*maxchunk = d->maxchunk;
	return 0;
}
