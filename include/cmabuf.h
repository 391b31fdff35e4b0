/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libcmabuf - physically-contiguous dma-buf buffers for Linux userspace
 *
 * Conventions (every function follows them unless its man page says
 * otherwise):
 *  - functions that can fail return 0 or a negative errno; the exact set
 *    of errno values each one returns is listed in its man page;
 *  - objects come back through an out-parameter and are reference
 *    counted: a new object has a reference count of 1, _ref() returns
 *    the object, _unref() returns NULL and frees on the last reference;
 *  - file descriptors are borrowed unless the function name or its man
 *    page says the caller receives ("dup") or the library takes them;
 *    every descriptor the library creates is O_CLOEXEC.
 */
#ifndef CMABUF_H
#define CMABUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct cmabuf_ctx;
struct cmabuf_heap;
struct cmabuf;

/* ------------------------------------------------------------------ */
/* Library context and logging                                         */
/* ------------------------------------------------------------------ */

typedef void (*cmabuf_log_fn)(void *userdata, int priority,
			      const char *file, int line, const char *fn,
			      const char *format, va_list args);

int cmabuf_ctx_new(struct cmabuf_ctx **out);
struct cmabuf_ctx *cmabuf_ctx_ref(struct cmabuf_ctx *ctx);
struct cmabuf_ctx *cmabuf_ctx_unref(struct cmabuf_ctx *ctx);

void cmabuf_set_log_fn(struct cmabuf_ctx *ctx, cmabuf_log_fn fn,
		       void *userdata);
/* syslog priorities: LOG_ERR (3) is the default, LOG_DEBUG (7) the most */
void cmabuf_set_log_priority(struct cmabuf_ctx *ctx, int priority);
int cmabuf_get_log_priority(const struct cmabuf_ctx *ctx);

/*
 * Where the kernel's files are read from. The sysroot ("/" by default)
 * prefixes /proc, /sys and debugfs paths; the heap directory defaults to
 * <sysroot>/dev/dma_heap. Both exist so that tests and captured trees can
 * stand in for a live system. Set them before sharing the context.
 */
int cmabuf_ctx_set_sysroot(struct cmabuf_ctx *ctx, const char *path);
const char *cmabuf_ctx_get_sysroot(const struct cmabuf_ctx *ctx);
int cmabuf_ctx_set_heap_dir(struct cmabuf_ctx *ctx, const char *path);
const char *cmabuf_ctx_get_heap_dir(const struct cmabuf_ctx *ctx);

/* ------------------------------------------------------------------ */
/* Heaps                                                               */
/* ------------------------------------------------------------------ */

enum cmabuf_heap_kind {
	CMABUF_HEAP_KIND_OTHER = 0,	/* a dma-heap libcmabuf does not know */
	CMABUF_HEAP_KIND_CMA = 1,	/* a CMA area: physically contiguous */
	CMABUF_HEAP_KIND_SYSTEM = 2,	/* the "system" heap: scattered pages */
	CMABUF_HEAP_KIND_UDMABUF = 3,	/* memfd pages wrapped by /dev/udmabuf */
};

/* properties of a heap, from cmabuf_heap_get_flags() */
#define CMABUF_HEAP_CONTIGUOUS	(1u << 0) /* buffers are one physical run */
#define CMABUF_HEAP_CACHED	(1u << 1) /* CPU mappings are cached */
#define CMABUF_HEAP_ALIAS	(1u << 2) /* another name of a listed area */
#define CMABUF_HEAP_FALLBACK	(1u << 3) /* opened as a non-CMA fallback */

/* flags of cmabuf_heap_open() */
#define CMABUF_OPEN_FALLBACK_SYSTEM	(1u << 0)
#define CMABUF_OPEN_FALLBACK_UDMABUF	(1u << 1)

/* flags of cmabuf_heap_enumerate() */
#define CMABUF_ENUM_ALIASES	(1u << 0)

/*
 * Open a heap by its exact name, or the default CMA heap when name is
 * NULL (the CMABUF_HEAP environment variable may name it). Without a
 * CMA heap, falls back to the system heap and then to udmabuf only when
 * the matching CMABUF_OPEN_FALLBACK_* flag is given; such a heap has
 * CMABUF_HEAP_FALLBACK set and CMABUF_HEAP_CONTIGUOUS clear.
 */
int cmabuf_heap_open(struct cmabuf_ctx *ctx, const char *name,
		     unsigned int flags, struct cmabuf_heap **out);
/*
 * List the dma-heaps of the system (libudev, or the heap directory). The
 * first min(count, max) heaps are stored in heaps[] with one reference
 * each (not yet opened: opening happens on first allocation); *count
 * receives the number found.
 */
int cmabuf_heap_enumerate(struct cmabuf_ctx *ctx, unsigned int flags,
			  struct cmabuf_heap **heaps, size_t max,
			  size_t *count);
struct cmabuf_heap *cmabuf_heap_ref(struct cmabuf_heap *heap);
struct cmabuf_heap *cmabuf_heap_unref(struct cmabuf_heap *heap);
const char *cmabuf_heap_get_name(const struct cmabuf_heap *heap);
const char *cmabuf_heap_get_path(const struct cmabuf_heap *heap);
enum cmabuf_heap_kind cmabuf_heap_get_kind(const struct cmabuf_heap *heap);
unsigned int cmabuf_heap_get_flags(const struct cmabuf_heap *heap);
struct cmabuf_ctx *cmabuf_heap_get_ctx(const struct cmabuf_heap *heap);

/* ------------------------------------------------------------------ */
/* Buffers                                                             */
/* ------------------------------------------------------------------ */

/* longest name DMA_BUF_SET_NAME keeps, without the terminating NUL */
#define CMABUF_NAME_MAX 31

int cmabuf_alloc(struct cmabuf_heap *heap, size_t size, unsigned int flags,
		 struct cmabuf **out);
/* dup()s fd: the caller keeps its own descriptor */
int cmabuf_import(struct cmabuf_ctx *ctx, int fd, struct cmabuf **out);
struct cmabuf *cmabuf_ref(struct cmabuf *buf);
struct cmabuf *cmabuf_unref(struct cmabuf *buf);

/* borrowed: valid until the last unref, do not close it */
int cmabuf_get_fd(const struct cmabuf *buf);
/* a new O_CLOEXEC descriptor the caller owns, or a negative errno */
int cmabuf_dup_fd(const struct cmabuf *buf);
size_t cmabuf_get_size(const struct cmabuf *buf);
/* the exporting heap (or exporter name for imports); may be NULL */
const char *cmabuf_get_heap_name(const struct cmabuf *buf);
/* 1 if known to be physically contiguous, 0 otherwise */
int cmabuf_is_contiguous(const struct cmabuf *buf);
int cmabuf_set_name(struct cmabuf *buf, const char *name);
struct cmabuf_ctx *cmabuf_get_ctx(const struct cmabuf *buf);

/* ------------------------------------------------------------------ */
/* CPU mapping and cache synchronisation                               */
/* ------------------------------------------------------------------ */

#define CMABUF_MAP_READ		(1u << 0)
#define CMABUF_MAP_WRITE	(1u << 1)
#define CMABUF_MAP_RW		(CMABUF_MAP_READ | CMABUF_MAP_WRITE)

/*
 * Mappings are counted: mapping a mapped buffer returns the same address
 * and each cmabuf_map() needs one cmabuf_unmap(). The last unref unmaps.
 */
int cmabuf_map(struct cmabuf *buf, unsigned int flags, void **addr);
int cmabuf_unmap(struct cmabuf *buf);

#define CMABUF_SYNC_READ	(1u << 0)
#define CMABUF_SYNC_WRITE	(1u << 1)
#define CMABUF_SYNC_RW		(CMABUF_SYNC_READ | CMABUF_SYNC_WRITE)

/* bracket CPU access; begin and end must pair with the same flags */
int cmabuf_sync_begin(struct cmabuf *buf, unsigned int flags);
int cmabuf_sync_end(struct cmabuf *buf, unsigned int flags);

/* implicit fences as sync_file descriptors (kernel 6.0+) */
int cmabuf_export_sync_file(struct cmabuf *buf, unsigned int flags,
			    int *sync_fd);
int cmabuf_import_sync_file(struct cmabuf *buf, unsigned int flags,
			    int sync_fd);

/* ------------------------------------------------------------------ */
/* Images: multi-plane layouts by DRM fourcc (lib/image.c)             */
/* ------------------------------------------------------------------ */

/* ------------------------------------------------------------------ */
/* V4L2 sharing (lib/v4l2.c)                                           */
/* ------------------------------------------------------------------ */

/* ------------------------------------------------------------------ */
/* DRM sharing through libdrm (lib/drm.c)                              */
/* ------------------------------------------------------------------ */

/* ------------------------------------------------------------------ */
/* Statistics: CMA areas, counters, dma-buf usage (lib/stats.c)        */
/* ------------------------------------------------------------------ */

/* ------------------------------------------------------------------ */
/* Pools of recycled buffers (lib/pool.c)                              */
/* ------------------------------------------------------------------ */

/*
 * A pool of same-size buffers from one heap, recycled instead of
 * allocated in the hot path: a fresh CMA allocation migrates movable
 * pages out of the area; a pooled one costs a list walk. The pool
 * preallocates min buffers and grows to max. Thread-safe.
 */
struct cmabuf_pool;

/* flags of cmabuf_pool_new() */
/* wait for the buffer's implicit (reservation) fences before reuse */
#define CMABUF_POOL_IMPLICIT_FENCES	(1u << 0)

int cmabuf_pool_new(struct cmabuf_heap *heap, size_t size, unsigned int min,
		    unsigned int max, unsigned int flags,
		    struct cmabuf_pool **out);
/* buffers acquired and not yet released stay valid after the last unref */
struct cmabuf_pool *cmabuf_pool_ref(struct cmabuf_pool *pool);
struct cmabuf_pool *cmabuf_pool_unref(struct cmabuf_pool *pool);
/* -EAGAIN when max buffers are out or fenced; never waits */
int cmabuf_pool_acquire(struct cmabuf_pool *pool, struct cmabuf **out);
/* waits up to timeout_ms (-1: forever) and returns -ETIMEDOUT */
int cmabuf_pool_acquire_timeout(struct cmabuf_pool *pool, int timeout_ms,
				struct cmabuf **out);
/*
 * Give back a buffer of cmabuf_pool_acquire*(), dropping the reference
 * acquire gave. fence_fd (a sync_file, or -1) is TAKEN by the pool in
 * every case, errors included: the buffer is not handed out again until
 * it signals, and the pool closes it.
 */
int cmabuf_pool_release(struct cmabuf_pool *pool, struct cmabuf *buf,
			int fence_fd);
/* free idle buffers unused for idle_ms or more, keeping min; returns count */
int cmabuf_pool_trim(struct cmabuf_pool *pool, unsigned int idle_ms);
size_t cmabuf_pool_get_size(const struct cmabuf_pool *pool);

struct cmabuf_pool_stats {
	uint64_t hits;		/* acquires served by an idle buffer */
	uint64_t misses;	/* acquires that had to allocate */
	uint64_t allocations;	/* buffers allocated, preallocation included */
	uint64_t frees;		/* buffers freed by trimming */
	uint64_t waits;		/* acquires that had to wait or got -EAGAIN */
	uint64_t fence_waits;	/* idle buffers skipped: fence pending */
	unsigned int high_water;	/* most buffers out at once */
	unsigned int total;	/* buffers the pool owns now */
	unsigned int in_use;	/* acquired and not released */
	unsigned int fenced;	/* released, fence not yet signalled */
	uint64_t reserved[8];	/* zero; room for new counters */
};

int cmabuf_pool_get_stats(struct cmabuf_pool *pool,
			  struct cmabuf_pool_stats *stats);

/* ------------------------------------------------------------------ */
/* Allocation diagnostics and telemetry (lib/diagnose.c)               */
/* ------------------------------------------------------------------ */

/* why an allocation failed, from cmabuf_alloc_diagnose() */
enum cmabuf_diag_reason {
	CMABUF_DIAG_UNKNOWN = 0,	/* none of the causes below */
	CMABUF_DIAG_EXHAUSTED = 1,	/* free CMA space < request */
	CMABUF_DIAG_FRAGMENTED = 2,	/* enough free, no run long enough */
	CMABUF_DIAG_NO_PERMISSION = 3,	/* the heap node refuses this user */
	CMABUF_DIAG_NO_CMA_HEAP = 4,	/* no CMA heap on this system */
};

struct cmabuf_diagnosis;

/*
 * Explain a failed cmabuf_alloc(heap, size, ...) that returned error
 * (negative errno). heap may be NULL (no heap could be opened) when ctx
 * is given; the result is a new object the caller unrefs.
 */
int cmabuf_alloc_diagnose(struct cmabuf_ctx *ctx, struct cmabuf_heap *heap,
			  size_t size, int error,
			  struct cmabuf_diagnosis **out);
struct cmabuf_diagnosis *cmabuf_diagnosis_ref(struct cmabuf_diagnosis *d);
struct cmabuf_diagnosis *cmabuf_diagnosis_unref(struct cmabuf_diagnosis *d);
enum cmabuf_diag_reason
cmabuf_diagnosis_get_reason(const struct cmabuf_diagnosis *d);
/* one English sentence; valid until the last unref */
const char *cmabuf_diagnosis_get_message(const struct cmabuf_diagnosis *d);
/* bytes the kernel reported; -1 when it did not tell */
int cmabuf_diagnosis_get_space(const struct cmabuf_diagnosis *d,
			       int64_t *total, int64_t *free,
			       int64_t *maxchunk);
/* "exhausted", "fragmented", "no-permission", "no-cma-heap", "unknown" */
const char *cmabuf_diag_reason_name(enum cmabuf_diag_reason reason);

/*
 * Per-context allocation telemetry: counts and a latency histogram of
 * cmabuf_alloc(). Off by default; bucket i counts allocations that took
 * [2^i, 2^(i+1)) microseconds (bucket 0 also < 1 us, the last also more).
 */
#define CMABUF_TELEMETRY_BUCKETS 24

struct cmabuf_telemetry {
	uint64_t allocations;	/* cmabuf_alloc() calls that succeeded */
	uint64_t failures;	/* calls the kernel refused */
	uint64_t total_ns;	/* time spent in the allocation ioctl */
	uint64_t max_ns;
	uint64_t histogram[CMABUF_TELEMETRY_BUCKETS];
};

int cmabuf_ctx_set_telemetry(struct cmabuf_ctx *ctx, int enable);
/* a snapshot; -ENODATA when telemetry is off */
int cmabuf_ctx_get_telemetry(struct cmabuf_ctx *ctx,
			     struct cmabuf_telemetry *out);
/* latency (ns) at or below which fraction q (0..1) of allocations fall */
uint64_t cmabuf_telemetry_quantile_ns(const struct cmabuf_telemetry *t,
				      double q);

#ifdef __cplusplus
}
#endif

#endif /* CMABUF_H */
