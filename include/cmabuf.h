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
#define CMABUF_HEAP_ALIAS	(1u << 2) /* another name of a listed heap */
#define CMABUF_HEAP_FALLBACK	(1u << 3) /* opened as a non-CMA fallback */
#define CMABUF_HEAP_DMA32	(1u << 4) /* buffers lie below 4 GiB (since 0.1.0) */

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
/* the heap an alias (CMABUF_HEAP_ALIAS) stands for, else NULL
 * (since 0.1.0, symbol node LIBCMABUF_0.2) */
const char *cmabuf_heap_get_alias_of(const struct cmabuf_heap *heap);

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

struct cmabuf_image;

#define CMABUF_MAX_PLANES 4

/* flags of cmabuf_layout_init() and cmabuf_image_alloc() */
#define CMABUF_IMAGE_PER_PLANE	(1u << 0) /* one dma-buf per plane */

/* the stride alignment used when 0 is given (bytes) */
#define CMABUF_STRIDE_ALIGN_DEFAULT 64

/*
 * Where the planes of an image lie. Offsets are from the start of the
 * buffer holding the plane: with CMABUF_IMAGE_PER_PLANE every plane has
 * its own buffer and offset 0, otherwise the planes follow each other in
 * one buffer of `size` bytes, as V4L2's single-buffer formats (NV12,
 * YUV420...) lay them out.
 */
struct cmabuf_plane_layout {
	uint32_t offset;	/* bytes from the start of its buffer */
	uint32_t stride;	/* bytes per row (DRM pitch, V4L2 bytesperline) */
	uint32_t height;	/* rows */
	uint32_t size;		/* bytes of the plane */
};

/*
 * The caller allocates it: start from cmabuf_layout_init() (or zero it)
 * and keep the reserved fields zero, so that a later version can give
 * them a meaning. The fields are laid out without implicit padding: the
 * struct is 160 bytes on every ABI.
 */
struct cmabuf_layout {
	uint32_t fourcc;	/* DRM_FORMAT_* from drm_fourcc.h */
	uint32_t width;		/* pixels */
	uint32_t height;	/* pixels */
	unsigned int flags;	/* CMABUF_IMAGE_PER_PLANE or 0 */
	unsigned int num_planes;
	struct cmabuf_plane_layout planes[CMABUF_MAX_PLANES];
	uint32_t reserved0;	/* zero */
	uint64_t size;		/* sum of the plane sizes */
	/*
	 * DRM_FORMAT_MOD_* (drm_fourcc.h): DRM_FORMAT_MOD_LINEAR (0) from
	 * cmabuf_layout_init(). A tiled or compressed layout (a decoder's
	 * SAND, AFBC...) is described by its modifier and taken as given.
	 */
	uint64_t modifier;
	uint64_t reserved[7];	/* zero */
};

int cmabuf_layout_init(struct cmabuf_layout *layout, uint32_t drm_fourcc,
		       uint32_t width, uint32_t height, uint32_t stride_align,
		       unsigned int flags);

/* flags of cmabuf_fourcc_to_v4l2() */
#define CMABUF_V4L2_MPLANE	(1u << 0) /* the variant with a buffer per plane */

/* V4L2_PIX_FMT_* for a DRM fourcc and back; 0 when there is none */
uint32_t cmabuf_fourcc_to_v4l2(uint32_t drm_fourcc, unsigned int flags);
/* *flags (may be NULL) receives CMABUF_IMAGE_PER_PLANE for NV12M & co */
uint32_t cmabuf_fourcc_from_v4l2(uint32_t v4l2_pixfmt, unsigned int *flags);

/* a new image of `heap`: the layout of cmabuf_layout_init() */
int cmabuf_image_alloc(struct cmabuf_heap *heap, uint32_t drm_fourcc,
		       uint32_t width, uint32_t height, uint32_t stride_align,
		       unsigned int flags, struct cmabuf_image **out);
/* a new image of `heap` with a given layout (e.g. a driver's strides) */
int cmabuf_image_alloc_layout(struct cmabuf_heap *heap,
			      const struct cmabuf_layout *layout,
			      struct cmabuf_image **out);
/*
 * An image over existing buffers: bufs[0] alone holds every plane, or
 * bufs[i] holds plane i (CMABUF_IMAGE_PER_PLANE). Takes a reference on
 * each buffer.
 */
int cmabuf_image_new(const struct cmabuf_layout *layout,
		     struct cmabuf *const *bufs, unsigned int num_bufs,
		     struct cmabuf_image **out);
struct cmabuf_image *cmabuf_image_ref(struct cmabuf_image *img);
struct cmabuf_image *cmabuf_image_unref(struct cmabuf_image *img);
const struct cmabuf_layout *
cmabuf_image_get_layout(const struct cmabuf_image *img);
/* 1, or the number of planes with CMABUF_IMAGE_PER_PLANE */
unsigned int cmabuf_image_get_num_buffers(const struct cmabuf_image *img);
/* borrowed: the buffer holding plane `plane`, NULL if out of range */
struct cmabuf *cmabuf_image_get_buffer(const struct cmabuf_image *img,
				       unsigned int plane);
/* the image's index in its image pool (0..max-1), -ENOENT if not pooled */
int cmabuf_image_get_index(const struct cmabuf_image *img);

/*
 * CPU access to every plane: planes[i] is the address of plane i (its
 * offset applied), NULL past the last plane. Each distinct buffer is
 * mapped once, counted as cmabuf_map() counts: one cmabuf_image_unmap()
 * per successful cmabuf_image_map(). CMABUF_MAP_* flags.
 */
int cmabuf_image_map(struct cmabuf_image *img, unsigned int flags,
		     void *planes[CMABUF_MAX_PLANES]);
int cmabuf_image_unmap(struct cmabuf_image *img);
/*
 * cmabuf_sync_begin()/end() on each distinct buffer of the image
 * (CMABUF_SYNC_* flags). All or nothing: when a begin fails, the
 * brackets already opened are closed again before the error returns.
 */
int cmabuf_image_sync_begin(struct cmabuf_image *img, unsigned int flags);
int cmabuf_image_sync_end(struct cmabuf_image *img, unsigned int flags);

/* ------------------------------------------------------------------ */
/* V4L2 sharing (lib/v4l2.c)                                           */
/* ------------------------------------------------------------------ */

struct v4l2_buffer;
struct v4l2_plane;

/*
 * VIDIOC_S_FMT with the V4L2 pixel format of drm_fourcc (the M variant
 * for _MPLANE queues when CMABUF_IMAGE_PER_PLANE is in flags), then the
 * layout the driver chose (its strides and sizes) into *layout, ready for
 * cmabuf_image_alloc_layout(). video_fd is borrowed.
 */
int cmabuf_v4l2_set_format(struct cmabuf_ctx *ctx, int video_fd,
			   uint32_t type, uint32_t drm_fourcc,
			   uint32_t width, uint32_t height, unsigned int flags,
			   struct cmabuf_layout *layout);
/* VIDIOC_REQBUFS with V4L2_MEMORY_DMABUF; *count in: wanted, out: got */
int cmabuf_v4l2_request_buffers(struct cmabuf_ctx *ctx, int video_fd,
				uint32_t type, uint32_t *count);
/*
 * Fill *vb (and planes[], num_planes entries, for _MPLANE types) to queue
 * img as buffer `index` with V4L2_MEMORY_DMABUF: one V4L2 plane per
 * buffer of the image. The fds are borrowed from the image.
 */
int cmabuf_v4l2_fill_buffer(const struct cmabuf_image *img, uint32_t type,
			    uint32_t index, struct v4l2_buffer *vb,
			    struct v4l2_plane *planes,
			    unsigned int num_planes);
/* fill and VIDIOC_QBUF; output queues get bytesused = the image */
int cmabuf_v4l2_queue(struct cmabuf_image *img, int video_fd, uint32_t type,
		      uint32_t index);
/*
 * VIDIOC_DQBUF of a V4L2_MEMORY_DMABUF queue into *vb (planes[] for
 * _MPLANE types); the index says which image came back. -EAGAIN when the
 * fd is non-blocking and no buffer is ready.
 */
int cmabuf_v4l2_dequeue(struct cmabuf_ctx *ctx, int video_fd, uint32_t type,
			struct v4l2_buffer *vb, struct v4l2_plane *planes,
			unsigned int num_planes);
/* VIDIOC_EXPBUF of an MMAP buffer's plane, wrapped as a new cmabuf */
int cmabuf_v4l2_export(struct cmabuf_ctx *ctx, int video_fd, uint32_t type,
		       uint32_t index, uint32_t plane, struct cmabuf **out);

/* ------------------------------------------------------------------ */
/* DRM sharing through libdrm (lib/drm.c)                              */
/* ------------------------------------------------------------------ */

/*
 * PRIME import into the DRM device drm_fd (borrowed). The kernel gives
 * the same GEM handle each time one dma-buf is imported into one DRM
 * file, so the library counts its imports per (DRM file, handle), the
 * file known by identity (kcmp), not by descriptor number: call
 * cmabuf_drm_close_handle() once per successful import; the handle is
 * closed with the last one, also for anyone else who imported the same
 * dma-buf into that file outside libcmabuf (see cmabuf_drm_import(3)).
 */
int cmabuf_drm_import(struct cmabuf *buf, int drm_fd, uint32_t *handle);
int cmabuf_drm_close_handle(struct cmabuf_ctx *ctx, int drm_fd,
			    uint32_t handle);
/* PRIME export of a GEM handle (still the caller's) as a new cmabuf */
int cmabuf_drm_export(struct cmabuf_ctx *ctx, int drm_fd, uint32_t handle,
		      struct cmabuf **out);
/*
 * A framebuffer showing img on the device of drm_fd, with the layout's
 * modifier (AddFB2WithModifiers; -EOPNOTSUPP for a non-linear one where
 * the driver has no modifier support). It is made on a DRM file of the
 * library's own, so the caller's GEM handles are never touched; its id
 * works on any descriptor of the device. The framebuffer holds the
 * buffers, no GEM handle stays open. Remove it with
 * cmabuf_drm_remove_fb() (drmModeRmFB() on drm_fd cannot).
 */
int cmabuf_drm_add_fb(struct cmabuf_image *img, int drm_fd,
		      uint32_t *fb_id);
/* removes a framebuffer of cmabuf_drm_add_fb(img, drm_fd, &fb_id) */
int cmabuf_drm_remove_fb(struct cmabuf_image *img, int drm_fd,
			 uint32_t fb_id);
/*
 * The arrays drmModeAddFB2WithModifiers() takes, for applications calling
 * libdrm themselves: pitches[], offsets[] and (unless NULL) modifiers[]
 * of the layout's planes, zero past them. Returns the number of planes.
 */
int cmabuf_layout_to_drm(const struct cmabuf_layout *layout,
			 uint32_t pitches[4], uint32_t offsets[4],
			 uint64_t modifiers[4]);

/* ------------------------------------------------------------------ */
/* Statistics: CMA areas, counters, dma-buf usage (lib/stats.c)        */
/* ------------------------------------------------------------------ */

struct cmabuf_stats;

/* sources of cmabuf_stats_read(): read only what a view needs */
#define CMABUF_STATS_MEMINFO	(1u << 0) /* /proc/meminfo CmaTotal, CmaFree */
#define CMABUF_STATS_VMSTAT	(1u << 1) /* /proc/vmstat cma, migration */
#define CMABUF_STATS_CMA	(1u << 2) /* sysfs + debugfs CMA areas */
#define CMABUF_STATS_HEAPS	(1u << 3) /* dma-heap nodes */
#define CMABUF_STATS_BUFFERS	(1u << 4) /* every process's dma-buf fds */
#define CMABUF_STATS_MAPPINGS	(1u << 5) /* + their mappings: costliest */
#define CMABUF_STATS_ALL	0x3fu

/*
 * System-wide values. cmabuf_stats_get() gives bytes for sizes (kB and
 * pages converted) and plain numbers for counters; cmabuf_stats_get_raw()
 * the number as the kernel wrote it.
 */
enum cmabuf_stat {
	CMABUF_STAT_CMA_TOTAL = 0,		/* meminfo CmaTotal, kB */
	CMABUF_STAT_CMA_FREE,			/* meminfo CmaFree, kB */
	CMABUF_STAT_NR_FREE_CMA,		/* vmstat, pages */
	CMABUF_STAT_CMA_ALLOC_SUCCESS,		/* vmstat, calls (5.12+) */
	CMABUF_STAT_CMA_ALLOC_FAIL,		/* vmstat, calls (5.12+) */
	CMABUF_STAT_PGMIGRATE_SUCCESS,		/* vmstat, pages */
	CMABUF_STAT_PGMIGRATE_FAIL,		/* vmstat, pages */
	CMABUF_STAT_COMPACT_MIGRATE_SCANNED,	/* vmstat, pages */
	CMABUF_STAT_COMPACT_FREE_SCANNED,	/* vmstat, pages */
	CMABUF_STAT_COMPACT_ISOLATED,		/* vmstat, pages */
	CMABUF_STAT_COMPACT_STALL,		/* vmstat, events */
	CMABUF_STAT_COMPACT_FAIL,		/* vmstat, events */
	CMABUF_STAT_COMPACT_SUCCESS,		/* vmstat, events */
	CMABUF_STAT_COMPACT_DAEMON_WAKE,	/* vmstat, events */
	CMABUF_STAT_DMABUF_COUNT,	/* distinct dma-bufs found (BUFFERS) */
	CMABUF_STAT_DMABUF_BYTES,	/* their total size, bytes */
	CMABUF_STAT_PROCS_SCANNED,	/* processes whose fds were read */
	CMABUF_STAT_PROCS_DENIED,	/* processes not readable (EACCES) */
	/*
	 * New keys are appended here. There is no "number of keys" value:
	 * it would change with every key added; cmabuf_stat_name() returns
	 * NULL past the last key this library knows.
	 */
};

/* fields of one CMA area (pages unless noted) */
enum cmabuf_area_stat {
	CMABUF_AREA_ALLOC_PAGES_SUCCESS = 0,	/* sysfs (5.13+) */
	CMABUF_AREA_ALLOC_PAGES_FAIL,		/* sysfs (5.13+) */
	CMABUF_AREA_RELEASE_PAGES_SUCCESS,	/* sysfs (6.9+) */
	CMABUF_AREA_TOTAL_PAGES,		/* sysfs (6.15+) */
	CMABUF_AREA_AVAILABLE_PAGES,		/* sysfs (6.15+) */
	CMABUF_AREA_BASE_PFN,			/* debugfs, a frame number */
	CMABUF_AREA_COUNT,			/* debugfs: area size */
	CMABUF_AREA_USED,			/* debugfs: allocated */
	CMABUF_AREA_MAXCHUNK,			/* debugfs: largest free run */
	CMABUF_AREA_ORDER_PER_BIT,		/* debugfs, an order */
	CMABUF_AREA_NR_RANGES,			/* debugfs ranges/ (6.15+) */
	/* derived from the best source present, in pages */
	CMABUF_AREA_SPACE_TOTAL,
	CMABUF_AREA_SPACE_USED,
	CMABUF_AREA_SPACE_FREE,
	CMABUF_AREA_SPACE_LARGEST_FREE,
	/* new keys are appended; cmabuf_area_stat_name() NULL past the last */
};

/*
 * Take a snapshot of the sources in what (CMABUF_STATS_*), read below the
 * context's sysroot. Files missing on this kernel leave their fields
 * absent. The snapshot records its CLOCK_MONOTONIC time.
 */
int cmabuf_stats_read(struct cmabuf_ctx *ctx, unsigned int what,
		      struct cmabuf_stats **out);
struct cmabuf_stats *cmabuf_stats_ref(struct cmabuf_stats *st);
struct cmabuf_stats *cmabuf_stats_unref(struct cmabuf_stats *st);
unsigned int cmabuf_stats_get_sources(const struct cmabuf_stats *st);
uint64_t cmabuf_stats_get_time_ns(const struct cmabuf_stats *st);
/* 1 when debugfs cma was readable, 0 when not (root, mount -t debugfs) */
int cmabuf_stats_has_debugfs(const struct cmabuf_stats *st);

/* 0, -ENOENT when absent on this kernel or not read, -EINVAL */
int cmabuf_stats_get(const struct cmabuf_stats *st, enum cmabuf_stat key,
		     uint64_t *val);
int cmabuf_stats_get_raw(const struct cmabuf_stats *st, enum cmabuf_stat key,
			 uint64_t *raw);
/* the kernel's name of a key ("CmaTotal", "nr_free_cma", ...) or NULL */
const char *cmabuf_stat_name(enum cmabuf_stat key);
/* difference b - a of one key, and its rate per second of b's time */
int cmabuf_stats_diff(const struct cmabuf_stats *a,
		      const struct cmabuf_stats *b, enum cmabuf_stat key,
		      int64_t *delta, double *per_sec);

/* CMA areas, by index 0..count-1 (sorted by name) */
size_t cmabuf_stats_get_area_count(const struct cmabuf_stats *st);
const char *cmabuf_stats_area_get_name(const struct cmabuf_stats *st,
				       size_t idx);
int cmabuf_stats_find_area(const struct cmabuf_stats *st, const char *name,
			   size_t *idx);
/* raw: the kernel's number; bytes: raw * page size for page fields */
int cmabuf_stats_area_get(const struct cmabuf_stats *st, size_t idx,
			  enum cmabuf_area_stat key, uint64_t *raw,
			  uint64_t *bytes);
const char *cmabuf_area_stat_name(enum cmabuf_area_stat key);
/* 1 - largest free chunk / free, in [0, 1] (needs debugfs) */
int cmabuf_stats_area_get_fragmentation(const struct cmabuf_stats *st,
					size_t idx, double *frac);
/* failed / (succeeded + failed) page allocations, in [0, 1] */
int cmabuf_stats_area_get_failure_ratio(const struct cmabuf_stats *st,
					size_t idx, double *ratio);
/* the same area (by name) in a and b; idx indexes b */
int cmabuf_stats_area_diff(const struct cmabuf_stats *a,
			   const struct cmabuf_stats *b, size_t idx,
			   enum cmabuf_area_stat key, int64_t *delta,
			   double *per_sec);

/* dma-heap nodes, sorted by name */
size_t cmabuf_stats_get_heap_count(const struct cmabuf_stats *st);
const char *cmabuf_stats_heap_get_name(const struct cmabuf_stats *st,
				       size_t idx);
const char *cmabuf_stats_heap_get_path(const struct cmabuf_stats *st,
				       size_t idx);
int cmabuf_stats_heap_get_access(const struct cmabuf_stats *st, size_t idx,
				 uint32_t *mode, uint32_t *uid, uint32_t *gid);
/* the CMA area behind a CMA heap, or NULL */
const char *cmabuf_stats_heap_get_area(const struct cmabuf_stats *st,
				       size_t idx);

/* dma-bufs, deduplicated by inode, sorted by inode */
size_t cmabuf_stats_get_buffer_count(const struct cmabuf_stats *st);
uint64_t cmabuf_stats_buffer_get_inode(const struct cmabuf_stats *st,
				       size_t idx);
uint64_t cmabuf_stats_buffer_get_size(const struct cmabuf_stats *st,
				      size_t idx);
/* NULL when unknown (a buffer seen only through a mapping) */
const char *cmabuf_stats_buffer_get_exporter(const struct cmabuf_stats *st,
					     size_t idx);
/* NULL when the buffer has no name */
const char *cmabuf_stats_buffer_get_name(const struct cmabuf_stats *st,
					 size_t idx);
/* the pids holding a descriptor or a mapping, sorted; *pids is borrowed */
size_t cmabuf_stats_buffer_get_holders(const struct cmabuf_stats *st,
				       size_t idx, const int **pids);

/* processes holding dma-bufs, sorted by pid */
size_t cmabuf_stats_get_process_count(const struct cmabuf_stats *st);
int cmabuf_stats_process_get_pid(const struct cmabuf_stats *st, size_t idx);
const char *cmabuf_stats_process_get_comm(const struct cmabuf_stats *st,
					  size_t idx);
size_t cmabuf_stats_process_get_buffer_count(const struct cmabuf_stats *st,
					     size_t idx);
uint64_t cmabuf_stats_process_get_bytes(const struct cmabuf_stats *st,
					size_t idx);

/*
 * Cheap checks before allocating from heap: the free space and the
 * largest free chunk of its CMA area, in bytes. 0, -ENOENT when the
 * kernel does not tell (largest free chunk needs readable debugfs),
 * -EOPNOTSUPP when the heap is not a CMA heap, -EINVAL.
 */
int cmabuf_heap_get_cma_free(struct cmabuf_heap *heap, uint64_t *bytes);
int cmabuf_heap_get_cma_largest_free(struct cmabuf_heap *heap,
				     uint64_t *bytes);

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

/*
 * A pool of same-layout images, the buffer pool's machinery (fences,
 * waiting, trimming, statistics) with images as what it recycles. Every
 * image has a stable index 0..max-1 (cmabuf_image_get_index()) and keeps
 * its buffers for its life, so queuing it to V4L2 at that index always
 * binds the same dma-buf to the same V4L2 buffer. Thread-safe.
 */
struct cmabuf_image_pool;

/* flags: CMABUF_POOL_IMPLICIT_FENCES (every buffer of the image) */
int cmabuf_image_pool_new(struct cmabuf_heap *heap,
			  const struct cmabuf_layout *layout,
			  unsigned int min, unsigned int max,
			  unsigned int flags, struct cmabuf_image_pool **out);
struct cmabuf_image_pool *
cmabuf_image_pool_ref(struct cmabuf_image_pool *pool);
struct cmabuf_image_pool *
cmabuf_image_pool_unref(struct cmabuf_image_pool *pool);
int cmabuf_image_pool_acquire(struct cmabuf_image_pool *pool,
			      struct cmabuf_image **out);
int cmabuf_image_pool_acquire_timeout(struct cmabuf_image_pool *pool,
				      int timeout_ms,
				      struct cmabuf_image **out);
/* fence_fd (a sync_file, or -1) is TAKEN in every case, as the buffer pool */
int cmabuf_image_pool_release(struct cmabuf_image_pool *pool,
			      struct cmabuf_image *img, int fence_fd);
int cmabuf_image_pool_trim(struct cmabuf_image_pool *pool,
			   unsigned int idle_ms);
int cmabuf_image_pool_get_stats(struct cmabuf_image_pool *pool,
				struct cmabuf_pool_stats *stats);
const struct cmabuf_layout *
cmabuf_image_pool_get_layout(const struct cmabuf_image_pool *pool);

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
	uint64_t reserved[8];	/* zero; room for new counters */
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
