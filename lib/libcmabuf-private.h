/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef LIBCMABUF_PRIVATE_H
#define LIBCMABUF_PRIVATE_H

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <syslog.h>

#include "cmabuf.h"

#define CMABUF_EXPORT __attribute__((visibility("default")))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _cleanup_(f) __attribute__((cleanup(f)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#ifndef DMA_BUF_MAGIC
#define DMA_BUF_MAGIC 0x444d4142 /* linux/magic.h, not in older headers */
#endif

/* ---- context and logging (context.c) ---- */

struct cmabuf_ctx {
	int refcount;
	cmabuf_log_fn log_fn;
	void *log_data;
	int log_priority;
	char *sysroot;
	char *heap_dir;		/* <sysroot>/dev/dma_heap unless set */
	bool heap_dir_set;
	struct alloc_telemetry *telemetry;	/* telemetry.c; NULL: off */
};

void cmabuf_log(const struct cmabuf_ctx *ctx, int priority, const char *file,
		int line, const char *fn, const char *format, ...)
	_printf_(6, 7);

static inline bool cmabuf_log_enabled(const struct cmabuf_ctx *ctx, int prio)
{
	return ctx && prio <= ctx->log_priority;
}

#define cmabuf_log_cond(ctx, prio, ...)					\
	do {								\
		if (cmabuf_log_enabled(ctx, prio))			\
			cmabuf_log(ctx, prio, __FILE__, __LINE__,	\
				   __func__, __VA_ARGS__);		\
	} while (0)

#define dbg(ctx, ...) cmabuf_log_cond(ctx, LOG_DEBUG, __VA_ARGS__)
#define info(ctx, ...) cmabuf_log_cond(ctx, LOG_INFO, __VA_ARGS__)
#define warn(ctx, ...) cmabuf_log_cond(ctx, LOG_WARNING, __VA_ARGS__)
#define err(ctx, ...) cmabuf_log_cond(ctx, LOG_ERR, __VA_ARGS__)
/* the caller broke the API contract (libinput's log_bug_client) */
#define log_bug_client(ctx, ...) \
	cmabuf_log_cond(ctx, LOG_ERR, "client bug: " __VA_ARGS__)

/*
 * Build "<sysroot><path>" (path starts with '/') into a new string, or
 * NULL on allocation failure. The caller frees it.
 */
char *cmabuf_ctx_path(const struct cmabuf_ctx *ctx, const char *path);
/* the effective heap directory (never NULL while ctx lives) */
const char *cmabuf_ctx_heap_dir(const struct cmabuf_ctx *ctx);

/* atomic reference counting shared by every object */
static inline void refcount_inc(int *ref)
{
	__atomic_add_fetch(ref, 1, __ATOMIC_RELAXED);
}

/* true when the count reached zero and the object must be freed */
static inline bool refcount_dec(int *ref)
{
	return __atomic_sub_fetch(ref, 1, __ATOMIC_ACQ_REL) == 0;
}

/* ---- small file helpers (util.c) ---- */

/*
 * Read a whole small file (proc, sysfs) into buf, NUL-terminated.
 * Returns the length or a negative errno. -EFBIG when it does not fit.
 */
ssize_t read_file_at(const char *path, char *buf, size_t bufsz);
/* parse one unsigned decimal value from a sysfs-style file */
int read_u64_file(const char *path, uint64_t *val);
/*
 * ioctl() restarted as the dma-buf and dma-heap documentation asks: on
 * EINTR (a signal interrupted a wait: the wait resumes, without bound,
 * as each one is a signal delivered) and on EAGAIN, at most
 * IOCTL_EAGAIN_MAX times in a row, yielding the CPU in between, so that
 * an exporter that keeps answering EAGAIN cannot spin the caller forever:
 * then -EAGAIN is returned. Returns 0 or -errno. Inline: it is the hot
 * path of cmabuf_sync_begin/end.
 */
#define IOCTL_EAGAIN_MAX 64

static inline int ioctl_restart(int fd, unsigned long request, void *arg)
{
	unsigned int again = 0;

	for (;;) {
		if (ioctl(fd, request, arg) == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN || again++ == IOCTL_EAGAIN_MAX)
			return -errno;
		sched_yield();
	}
}
/* true if fd refers to a dma-buf (fstatfs f_type == DMA_BUF_MAGIC) */
int fd_is_dmabuf(int fd);
/* CLOCK_MONOTONIC in nanoseconds: the one clock of the library */
uint64_t monotonic_ns(void);
/*
 * The running kernel's page size (sysconf), never a constant: dma-heaps
 * and udmabuf hand out whole pages of it (4, 16 or 64 KiB on arm64).
 */
size_t page_size(void);
/* size rounded up to whole pages into *out; false when it overflows */
bool page_round(size_t size, size_t page, size_t *out);

/* ---- heaps (heap_dmabuf.c, heap-class.c; allocation in alloc.c) ---- */

struct cmabuf_heap {
	int refcount;
	struct cmabuf_ctx *ctx;
	char *name;
	char *path;
	enum cmabuf_heap_kind kind;
	unsigned int flags;
	char *alias_of;		/* the heap this one is an alias of, or NULL */
	int fd;			/* -1 until opened */
	pthread_mutex_t lock;	/* guards lazy opening of fd */
};

int heap_ensure_open(struct cmabuf_heap *heap);

/* ---- what a heap is, before opening it (heap-class.c) ---- */

struct heap_class {
	enum cmabuf_heap_kind kind;
	unsigned int flags;
	char alias_of[NAME_MAX + 1];	/* "" unless CMABUF_HEAP_ALIAS */
};

/* one path component, not "." or "..", shorter than NAME_MAX */
bool heap_name_valid(const char *name);
/* name is a heap node of the ctx's heap directory (see heap-class.c) */
bool heap_node_exists(const struct cmabuf_ctx *ctx, const char *name);
/* kind, flags and alias target of the heap directory's entry name */
void heap_classify(const struct cmabuf_ctx *ctx, const char *name,
		   struct heap_class *c);
/* the heap (an exporter name, say) is a CMA heap on this system */
bool heap_name_is_cma(const struct cmabuf_ctx *ctx, const char *name);
/* name is the device tree's default CMA pool (linux,cma-default) */
bool heap_is_dt_default_pool(const struct cmabuf_ctx *ctx, const char *name);
/*
 * The heap cmabuf_heap_open(ctx, NULL, ...) would open, not opened yet,
 * with one reference: 0, -ENOENT (no CMA heap), -ENOMEM.
 */
int heap_find_default_cma(struct cmabuf_ctx *ctx, struct cmabuf_heap **out);

/* ---- buffers (libcmabuf.c, cache_sync.c) ---- */

struct cmabuf {
	int refcount;
	struct cmabuf_ctx *ctx;
	struct cmabuf_heap *heap;	/* NULL for imported buffers */
	int fd;
	size_t size;
	char *exporter;			/* heap name or exp_name */
	bool contiguous;

	pthread_mutex_t lock;		/* guards the mapping fields */
	void *map_addr;
	unsigned int map_flags;
	unsigned int map_count;
	unsigned int sync_open;		/* open brackets (atomic, cache_sync.c) */
};

/* wrap an fd the library owns from now on; closes fd on failure */
int cmabuf_new_from_fd(struct cmabuf_ctx *ctx, struct cmabuf_heap *heap,
		       int fd, size_t size, struct cmabuf **out);
/* the kernel's view of a dma-buf fd: /proc/self/fdinfo exp_name */
char *dmabuf_fdinfo_exporter(const struct cmabuf_ctx *ctx, int fd);

/* ---- images, V4L2 and DRM sharing (image.c, v4l2.c, drm*.c) ---- */

struct cmabuf_image {
	int refcount;
	struct cmabuf_ctx *ctx;
	struct cmabuf_layout layout;
	unsigned int num_bufs;		/* 1, or one per plane */
	struct cmabuf *bufs[CMABUF_MAX_PLANES];
	int pool_index;			/* slot of an image pool, or -1 */
	unsigned int map_count;		/* cmabuf_image_map()s not unmapped */
};

/* the layout is one cmabuf_image_alloc_layout() accepts */
bool image_layout_valid(const struct cmabuf_layout *l);
/* log a layout image_layout_valid() refused */
void image_log_format(struct cmabuf_ctx *ctx, const struct cmabuf_layout *l);
/* 1, or one per plane with CMABUF_IMAGE_PER_PLANE */
unsigned int layout_num_buffers(const struct cmabuf_layout *l);

/* libdrm's error as a negative errno (-EIO when it set none) */
int drm_errno(void);
/* DRM_IOCTL_GEM_CLOSE; 0 or -errno */
int drm_gem_close(int drm_fd, uint32_t handle);

/*
 * Fill a layout from the luma stride (bytes), deriving the chroma strides
 * as V4L2 does. 0 or -EINVAL (unknown format, zero or too big values).
 */
int layout_from_stride(struct cmabuf_layout *l, uint32_t fourcc,
		       uint32_t width, uint32_t height, uint64_t stride0,
		       unsigned int flags);

/* ---- allocation telemetry (telemetry.c) ---- */

/* a start time, or 0 when telemetry is off */
uint64_t telemetry_begin(const struct cmabuf_ctx *ctx);
/* account one allocation that returned ret */
void telemetry_end(struct cmabuf_ctx *ctx, uint64_t start, int ret);
void telemetry_free(struct alloc_telemetry *t);

/* ---- CMA area space, for diagnostics (implemented in stats.c) ---- */

/*
 * What the kernel says about the free space of the CMA area behind a heap.
 * Values are bytes; -1 means the kernel did not tell (file absent or not
 * readable, e.g. debugfs needs root).
 */
struct cma_area_space {
	char area[64];		/* sysfs/debugfs area name, "" if unknown */
	int64_t total;		/* sysfs total_pages, debugfs count, CmaTotal */
	int64_t free;		/* sysfs available_pages, count - used, CmaFree */
	int64_t maxchunk;	/* debugfs maxchunk: largest free run */
};

/*
 * Fill *space for the CMA area serving heap_name (e.g. "default_cma_region"
 * and "reserved" both map to area "reserved"), reading the ctx sysroot.
 * Returns 0 (fields possibly -1) or a negative errno.
 */
int stats_cma_area_space(struct cmabuf_ctx *ctx, const char *heap_name,
			 struct cma_area_space *space);

#endif /* LIBCMABUF_PRIVATE_H */
