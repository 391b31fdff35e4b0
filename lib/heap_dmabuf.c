// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Heaps: opening (by name, the default CMA heap, the explicit fallbacks),
 * enumeration (libudev plus the heap directory). What a heap is (kind,
 * flags, alias) is decided in heap-class.c; allocating from an opened
 * heap is alloc.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include <libudev.h>

#include "heap-names.h"
#include "libcmabuf-private.h"

static int heap_new(struct cmabuf_ctx *ctx, const char *name,
		    const char *path, const struct heap_class *c,
		    struct cmabuf_heap **out)
{
	struct cmabuf_heap *heap;

	heap = calloc(1, sizeof(*heap));
	if (!heap)
		return -ENOMEM;
	heap->refcount = 1;
	heap->fd = -1;
	heap->kind = c->kind;
	heap->flags = c->flags;
	heap->name = strdup(name);
	heap->path = strdup(path);
	heap->alias_of = c->alias_of[0] ? strdup(c->alias_of) : NULL;
	if (!heap->name || !heap->path || (c->alias_of[0] && !heap->alias_of)) {
		free(heap->name);
		free(heap->path);
		free(heap->alias_of);
		free(heap);
		return -ENOMEM;
	}
	pthread_mutex_init(&heap->lock, NULL);
	heap->ctx = cmabuf_ctx_ref(ctx);
	*out = heap;
	return 0;
}

/* a dma-heap node in the heap directory, not opened yet */
static int heap_new_named(struct cmabuf_ctx *ctx, const char *name,
			  struct cmabuf_heap **out)
{
	struct heap_class c;
	char *path;
	int ret;

	if (asprintf(&path, "%s/%s", cmabuf_ctx_heap_dir(ctx), name) < 0)
		return -ENOMEM;
	heap_classify(ctx, name, &c);
	ret = heap_new(ctx, name, path, &c, out);
	free(path);
	return ret;
}

static void log_access_hint(struct cmabuf_ctx *ctx, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return;
	err(ctx, "%s is owned by %u:%u with mode %04o; grant this user read "
	    "access (a udev rule setting GROUP and MODE, e.g. "
	    "SUBSYSTEM==\"dma_heap\", GROUP=\"video\", MODE=\"0640\")\n",
	    path, (unsigned int)st.st_uid, (unsigned int)st.st_gid,
	    (unsigned int)(st.st_mode & 07777));
}

/*
 * Read access is enough: neither dma_heap_ioctl()
 * (drivers/dma-buf/dma-heap.c, checked in 6.1, 6.12 and 7.2) nor
 * udmabuf_ioctl() (drivers/dma-buf/udmabuf.c) looks at the file's mode,
 * and Android makes the heap nodes 0444. No kernel needs O_RDWR, so there
 * is no read-write fallback.
 */
int heap_ensure_open(struct cmabuf_heap *heap)
{
	int fd, ret = 0;

	pthread_mutex_lock(&heap->lock);
	if (heap->fd >= 0)
		goto out;
	fd = open(heap->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		if (ret == -EPERM)
			ret = -EACCES;
		if (ret == -ENXIO || ret == -ENODEV || ret == -EISDIR)
			ret = -ENOENT;
		goto out;
	}
	heap->fd = fd;
out:
	pthread_mutex_unlock(&heap->lock);
	if (ret < 0) {
		err(heap->ctx, "cannot open heap %s (%s): %s\n", heap->name,
		    heap->path, strerror(-ret));
		if (ret == -EACCES)
			log_access_hint(heap->ctx, heap->path);
	}
	return ret;
}

static int heap_open_new(struct cmabuf_heap *heap, struct cmabuf_heap **out)
{
	int ret = heap_ensure_open(heap);

	if (ret < 0) {
		cmabuf_heap_unref(heap);
		return ret;
	}
	*out = heap;
	return 0;
}

static int heap_open_named(struct cmabuf_ctx *ctx, const char *name,
			   struct cmabuf_heap **out)
{
	const char *dir = cmabuf_ctx_heap_dir(ctx);
	struct cmabuf_heap *heap;
	int ret;

	if (!heap_node_exists(ctx, name)) {
		info(ctx, "no heap %s in %s\n", name, dir);
		return -ENOENT;
	}
	ret = heap_new_named(ctx, name, &heap);
	return ret < 0 ? ret : heap_open_new(heap, out);
}

static int open_udmabuf(struct cmabuf_ctx *ctx, struct cmabuf_heap **out)
{
	static const struct heap_class udmabuf = {
		.kind = CMABUF_HEAP_KIND_UDMABUF,
		.flags = CMABUF_HEAP_CACHED,
	};
	struct cmabuf_heap *heap;
	char *path;
	int ret;

	path = cmabuf_ctx_path(ctx, "/dev/udmabuf");
	if (!path)
		return -ENOMEM;
	ret = heap_new(ctx, "udmabuf", path, &udmabuf, &heap);
	free(path);
	return ret < 0 ? ret : heap_open_new(heap, out);
}

static int open_fallback(struct cmabuf_ctx *ctx, unsigned int flags,
			 struct cmabuf_heap **out)
{
	int ret = -ENOENT;

	if (flags & CMABUF_OPEN_FALLBACK_SYSTEM) {
		ret = heap_open_named(ctx, "system", out);
		if (ret == 0) {
			warn(ctx, "CMA heap unavailable: falling back to the "
			     "system heap, buffers are NOT physically "
			     "contiguous\n");
			goto found;
		}
	}
	if (flags & CMABUF_OPEN_FALLBACK_UDMABUF) {
		ret = open_udmabuf(ctx, out);
		if (ret == 0) {
			warn(ctx, "CMA heap unavailable: falling back to "
			     "udmabuf, buffers are NOT physically "
			     "contiguous\n");
			goto found;
		}
	}
	return ret;
found:
	(*out)->flags |= CMABUF_HEAP_FALLBACK;
	return 0;
}

static int open_default(struct cmabuf_ctx *ctx, unsigned int flags,
			struct cmabuf_heap **out)
{
	struct cmabuf_heap *heap;
	int ret, fret;

	ret = heap_find_default_cma(ctx, &heap);
	if (ret == 0) {
		ret = heap_open_new(heap, out);
		if (ret == 0)
			return 0;
	} else if (ret == -ENOENT) {
		info(ctx, "no CMA heap in %s\n", cmabuf_ctx_heap_dir(ctx));
	}
	if (!(flags & (CMABUF_OPEN_FALLBACK_SYSTEM |
		       CMABUF_OPEN_FALLBACK_UDMABUF))) {
		if (ret == -ENOENT)
			err(ctx, "no CMA heap found in %s (kernel needs "
			    "CONFIG_DMABUF_HEAPS_CMA and a CMA area)\n",
			    cmabuf_ctx_heap_dir(ctx));
		return ret;
	}
	fret = open_fallback(ctx, flags, out);
	/* a CMA heap we may not open says more than a missing fallback */
	return fret == 0 ? 0 : (ret == -EACCES ? ret : fret);
}

CMABUF_EXPORT int cmabuf_heap_open(struct cmabuf_ctx *ctx, const char *name,
				   unsigned int flags,
				   struct cmabuf_heap **out)
{
	if (!ctx || !out)
		return -EINVAL;
	if (flags & ~(CMABUF_OPEN_FALLBACK_SYSTEM |
		      CMABUF_OPEN_FALLBACK_UDMABUF)) {
		log_bug_client(ctx, "unknown heap open flags %#x\n", flags);
		return -EINVAL;
	}
	if (!name) {
		name = secure_getenv("CMABUF_HEAP");
		if (name && name[0] == '\0')
			name = NULL;
		if (name)
			info(ctx, "heap %s chosen by CMABUF_HEAP\n", name);
	}
	if (!name)
		return open_default(ctx, flags, out);
	if (!heap_name_valid(name)) {
		log_bug_client(ctx, "invalid heap name \"%s\"\n", name);
		return -EINVAL;
	}
	return heap_open_named(ctx, name, out);
}

CMABUF_EXPORT struct cmabuf_heap *cmabuf_heap_ref(struct cmabuf_heap *heap)
{
	if (heap)
		refcount_inc(&heap->refcount);
	return heap;
}

CMABUF_EXPORT struct cmabuf_heap *cmabuf_heap_unref(struct cmabuf_heap *heap)
{
	if (!heap || !refcount_dec(&heap->refcount))
		return NULL;
	if (heap->fd >= 0)
		close(heap->fd);
	pthread_mutex_destroy(&heap->lock);
	cmabuf_ctx_unref(heap->ctx);
	free(heap->name);
	free(heap->path);
	free(heap->alias_of);
	free(heap);
	return NULL;
}

CMABUF_EXPORT const char *cmabuf_heap_get_name(const struct cmabuf_heap *heap)
{
	return heap ? heap->name : NULL;
}

CMABUF_EXPORT const char *cmabuf_heap_get_path(const struct cmabuf_heap *heap)
{
	return heap ? heap->path : NULL;
}

CMABUF_EXPORT enum cmabuf_heap_kind
cmabuf_heap_get_kind(const struct cmabuf_heap *heap)
{
	return heap ? heap->kind : CMABUF_HEAP_KIND_OTHER;
}

CMABUF_EXPORT unsigned int cmabuf_heap_get_flags(const struct cmabuf_heap *heap)
{
	return heap ? heap->flags : 0;
}

CMABUF_EXPORT const char *
cmabuf_heap_get_alias_of(const struct cmabuf_heap *heap)
{
	return heap ? heap->alias_of : NULL;
}

CMABUF_EXPORT struct cmabuf_ctx *
cmabuf_heap_get_ctx(const struct cmabuf_heap *heap)
{
	return heap ? heap->ctx : NULL;
}

/* ------------------------------------------------------------------ */
/* enumeration                                                         */
/* ------------------------------------------------------------------ */

struct heap_list {
	char **names;
	size_t n;
};

static int heap_list_add(struct heap_list *l, const char *name)
{
	char **names;
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->names[i], name) == 0)
			return 0;
	names = realloc(l->names, (l->n + 1) * sizeof(*names));
	if (!names)
		return -ENOMEM;
	l->names = names;
	l->names[l->n] = strdup(name);
	if (!l->names[l->n])
		return -ENOMEM;
	l->n++;
	return 0;
}

static void heap_list_free(struct heap_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* the kernel's view: sysfs class dma_heap, through libudev */
static int list_heaps_udev(struct cmabuf_ctx *ctx, struct heap_list *l)
{
	struct udev_list_entry *e;
	struct udev_enumerate *en;
	struct udev *udev;
	int ret = -ENODEV;

	udev = udev_new();
	if (!udev)
		return -ENODEV;
	en = udev_enumerate_new(udev);
	if (!en)
		goto out;
	if (udev_enumerate_add_match_subsystem(en, "dma_heap") < 0 ||
	    udev_enumerate_scan_devices(en) < 0)
		goto out;
	ret = 0;
	udev_list_entry_foreach(e, udev_enumerate_get_list_entry(en)) {
		const char *sysname, *p = udev_list_entry_get_name(e);

		sysname = strrchr(p, '/');
		if (!sysname || !heap_name_valid(++sysname))
			continue;
		ret = heap_list_add(l, sysname);
		if (ret < 0)
			break;
	}
out:
	udev_enumerate_unref(en);
	udev_unref(udev);
	if (ret == 0)
		dbg(ctx, "udev lists %zu dma-heaps\n", l->n);
	return ret;
}

/* the heap directory: its nodes, and udev's symlinks to them */
static int list_heaps_dir(struct cmabuf_ctx *ctx, struct heap_list *l)
{
	const char *dir = cmabuf_ctx_heap_dir(ctx);
	struct dirent *de;
	DIR *d;
	int ret = 0;

	d = opendir(dir);
	if (!d) {
		ret = -errno;
		if (ret == -ENOENT)
			return 0;	/* no heaps: not an error */
		err(ctx, "cannot read heap directory %s: %s\n", dir,
		    strerror(-ret));
		return ret;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !heap_name_valid(de->d_name) ||
		    !heap_node_exists(ctx, de->d_name))
			continue;
		ret = heap_list_add(l, de->d_name);
		if (ret < 0)
			break;
	}
	closedir(d);
	return ret;
}

static void heaps_free(struct cmabuf_heap **heaps, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		cmabuf_heap_unref(heaps[i]);
	free(heaps);
}

/* every heap, sorted by name, aliases only with CMABUF_ENUM_ALIASES */
static int heaps_collect(struct cmabuf_ctx *ctx, unsigned int flags,
			 struct cmabuf_heap ***out, size_t *count)
{
	struct cmabuf_heap **heaps = NULL, *heap;
	struct heap_list l = { 0 };
	size_t i, n = 0;
	int ret = 0;

	/* udev knows the live system only; a sysroot is read as files */
	if (!ctx->heap_dir_set && ctx->sysroot[0] == '\0')
		list_heaps_udev(ctx, &l);
	ret = list_heaps_dir(ctx, &l);
	if (ret == 0 && l.n > 0 && !(heaps = calloc(l.n, sizeof(*heaps))))
		ret = -ENOMEM;
	if (ret < 0)
		goto out;
	if (l.n > 1)
		qsort(l.names, l.n, sizeof(*l.names), cmp_names);
	for (i = 0; i < l.n; i++) {
		ret = heap_new_named(ctx, l.names[i], &heap);
		if (ret < 0)
			goto out;
		if ((heap->flags & CMABUF_HEAP_ALIAS) &&
		    !(flags & CMABUF_ENUM_ALIASES))
			cmabuf_heap_unref(heap);
		else
			heaps[n++] = heap;
	}
	*out = heaps;
	*count = n;
	heaps = NULL;
out:
	if (ret < 0)
		heaps_free(heaps, n);
	heap_list_free(&l);
	return ret;
}

CMABUF_EXPORT int cmabuf_heap_enumerate(struct cmabuf_ctx *ctx,
					unsigned int flags,
					struct cmabuf_heap **heaps,
					size_t max, size_t *count)
{
	struct cmabuf_heap **all;
	size_t i, n;
	int ret;

	if (!ctx || !count || (max > 0 && !heaps))
		return -EINVAL;
	if (flags & ~CMABUF_ENUM_ALIASES) {
		log_bug_client(ctx, "unknown enumerate flags %#x\n", flags);
		return -EINVAL;
	}
	ret = heaps_collect(ctx, flags, &all, &n);
	if (ret < 0)
		return ret;
	for (i = 0; i < n; i++) {
		if (i < max)
			heaps[i] = all[i];
		else
			cmabuf_heap_unref(all[i]);
	}
	free(all);
	*count = n;
	return 0;
}

/* ------------------------------------------------------------------ */
/* the default CMA heap                                                */
/* ------------------------------------------------------------------ */

/* lower is better; a variant only when nothing else is there */
static unsigned int default_rank(const struct cmabuf_ctx *ctx,
				 const struct cmabuf_heap *heap)
{
	const unsigned int plain = CMABUF_HEAP_CONTIGUOUS | CMABUF_HEAP_CACHED;
	unsigned int i;

	if ((heap->flags & (plain | CMABUF_HEAP_DMA32)) != plain)
		return 100;
	for (i = 0; heap_names_default_cma[i]; i++)
		if (strcmp(heap->name, heap_names_default_cma[i]) == 0)
			return i;
	if (heap_is_dt_default_pool(ctx, heap->name))
		return 10;
	return 20;	/* another area's heap (per-region, 6.19+) */
}

/*
 * The heap cmabuf_heap_open(ctx, NULL, ...) takes, not opened yet: the
 * default area's heap by the first name of heap_names_default_cma, then
 * the heap of the device tree's default pool, then another CMA area's
 * heap, by name; an uncached or dma32 variant only when it is the only
 * CMA heap. Aliases never count: each area is considered once.
 */
int heap_find_default_cma(struct cmabuf_ctx *ctx, struct cmabuf_heap **out)
{
	unsigned int rank, best_rank = UINT_MAX;
	struct cmabuf_heap **heaps;
	size_t i, n, best = 0;
	int ret;

	ret = heaps_collect(ctx, 0, &heaps, &n);
	if (ret < 0)
		return ret;
	for (i = 0; i < n; i++) {
		if (heaps[i]->kind != CMABUF_HEAP_KIND_CMA)
			continue;
		rank = default_rank(ctx, heaps[i]);
		if (rank < best_rank) {
			best_rank = rank;
			best = i;
		}
	}
	if (best_rank == UINT_MAX) {
		heaps_free(heaps, n);
		return -ENOENT;
	}
	if (best_rank == 100)
		warn(ctx, "the only CMA heap is %s, an uncached or dma32 "
		     "variant\n", heaps[best]->name);
	*out = cmabuf_heap_ref(heaps[best]);
	heaps_free(heaps, n);
	return 0;
}
