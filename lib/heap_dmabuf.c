// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Heap discovery and the allocation backends: dma-heap character devices
 * (CMA, system, any other) and udmabuf as an explicit fallback.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include <libudev.h>
#include <linux/dma-heap.h>
#include <linux/udmabuf.h>

#include "libcmabuf-private.h"

/*
 * Names the default CMA area's heap has had: "default_cma_region" since
 * 6.17; before, the area's name: the device-tree node ("linux,cma") or
 * "reserved" when sized by cma= or Kconfig (drivers/dma-buf/heaps/
 * cma_heap.c). With CONFIG_DMABUF_HEAPS_CMA_LEGACY, 6.17+ keeps the old
 * name as a second node for the same memory.
 */
static const char *const cma_default_names[] = {
	"default_cma_region",
	"linux,cma",
	"reserved",
};

#define DEFAULT_CMA_HEAP "default_cma_region"

bool heap_name_is_cma(const struct cmabuf_ctx *ctx, const char *name)
{
	struct stat st;
	char *path;
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(cma_default_names); i++)
		if (strcmp(name, cma_default_names[i]) == 0)
			return true;
	/* per-region heaps (6.19+) carry the name of their CMA area */
	if (asprintf(&path, "%s/sys/kernel/mm/cma/%s", ctx->sysroot,
		     name) < 0)
		return false;
	ret = stat(path, &st);
	free(path);
	return ret == 0 && S_ISDIR(st.st_mode);
}

static bool heap_name_valid(const char *name)
{
	return name[0] != '\0' && !strchr(name, '/') &&
	       strcmp(name, ".") != 0 && strcmp(name, "..") != 0 &&
	       strlen(name) < NAME_MAX;
}

/* a heap node: anything but a directory (fixture trees use plain files) */
static bool dir_has_entry(const char *dir, const char *name)
{
	struct stat st;
	char *path;
	int ret;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return false;
	ret = stat(path, &st);
	free(path);
	return ret == 0 && !S_ISDIR(st.st_mode);
}

/*
 * A legacy alias is the old-style name of the default area, listed next
 * to "default_cma_region" (6.17+ with CONFIG_DMABUF_HEAPS_CMA_LEGACY).
 */
static bool heap_is_legacy_alias(const struct cmabuf_ctx *ctx,
				 const char *name)
{
	if (strcmp(name, "reserved") != 0 && strcmp(name, "linux,cma") != 0)
		return false;
	return dir_has_entry(cmabuf_ctx_heap_dir(ctx), DEFAULT_CMA_HEAP);
}

static int heap_new(struct cmabuf_ctx *ctx, const char *name,
		    const char *path, enum cmabuf_heap_kind kind,
		    struct cmabuf_heap **out)
{
	struct cmabuf_heap *heap;

	heap = calloc(1, sizeof(*heap));
	if (!heap)
		return -ENOMEM;
	heap->refcount = 1;
	heap->fd = -1;
	heap->kind = kind;
	heap->name = strdup(name);
	heap->path = strdup(path);
	if (!heap->name || !heap->path) {
		free(heap->name);
		free(heap->path);
		free(heap);
		return -ENOMEM;
	}
	switch (kind) {
	case CMABUF_HEAP_KIND_CMA:
		heap->flags = CMABUF_HEAP_CONTIGUOUS | CMABUF_HEAP_CACHED;
		if (heap_is_legacy_alias(ctx, name))
			heap->flags |= CMABUF_HEAP_ALIAS;
		break;
	case CMABUF_HEAP_KIND_SYSTEM:
	case CMABUF_HEAP_KIND_UDMABUF:
		heap->flags = CMABUF_HEAP_CACHED;
		break;
	case CMABUF_HEAP_KIND_OTHER:
		break;
	}
	pthread_mutex_init(&heap->lock, NULL);
	heap->ctx = cmabuf_ctx_ref(ctx);
	*out = heap;
	return 0;
}

static enum cmabuf_heap_kind heap_kind_of(const struct cmabuf_ctx *ctx,
					  const char *name)
{
	if (strcmp(name, "system") == 0)
		return CMABUF_HEAP_KIND_SYSTEM;
	if (heap_name_is_cma(ctx, name))
		return CMABUF_HEAP_KIND_CMA;
	return CMABUF_HEAP_KIND_OTHER;
}

/* a dma-heap node in the heap directory, not opened yet */
static int heap_new_named(struct cmabuf_ctx *ctx, const char *name,
			  struct cmabuf_heap **out)
{
	char *path;
	int ret;

	if (asprintf(&path, "%s/%s", cmabuf_ctx_heap_dir(ctx), name) < 0)
		return -ENOMEM;
	ret = heap_new(ctx, name, path, heap_kind_of(ctx, name), out);
	free(path);
	return ret;
}

static void log_access_hint(struct cmabuf_ctx *ctx, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return;
	err(ctx, "%s is owned by %u:%u with mode %04o; grant this user "
	    "access (a udev rule setting GROUP and MODE, e.g. group video "
	    "and 0660)\n", path, (unsigned int)st.st_uid,
	    (unsigned int)st.st_gid, (unsigned int)(st.st_mode & 07777));
}

int heap_ensure_open(struct cmabuf_heap *heap)
{
	int fd, ret = 0;

	pthread_mutex_lock(&heap->lock);
	if (heap->fd >= 0)
		goto out;
	fd = open(heap->path, O_RDWR | O_CLOEXEC);
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

static int heap_open_path(struct cmabuf_ctx *ctx, const char *name,
			  const char *path, enum cmabuf_heap_kind kind,
			  struct cmabuf_heap **out)
{
	struct cmabuf_heap *heap;
	int ret;

	ret = heap_new(ctx, name, path, kind, &heap);
	if (ret < 0)
		return ret;
	ret = heap_ensure_open(heap);
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
	char *path;
	int ret;

	if (!dir_has_entry(dir, name)) {
		info(ctx, "no heap %s in %s\n", name, dir);
		return -ENOENT;
	}
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	ret = heap_open_path(ctx, name, path, heap_kind_of(ctx, name), out);
	free(path);
	return ret;
}

/* the first CMA heap by preference; aliases never come before their area */
static int find_cma_heap_name(struct cmabuf_ctx *ctx, char *name,
			      size_t size)
{
	struct cmabuf_heap *heaps[64];
	size_t i, n = 0;
	int ret;

	for (i = 0; i < ARRAY_SIZE(cma_default_names); i++) {
		if (dir_has_entry(cmabuf_ctx_heap_dir(ctx),
				  cma_default_names[i])) {
			snprintf(name, size, "%s", cma_default_names[i]);
			return 0;
		}
	}
	ret = cmabuf_heap_enumerate(ctx, 0, heaps, ARRAY_SIZE(heaps), &n);
	if (ret < 0)
		return ret;
	ret = -ENOENT;
	for (i = 0; i < n && i < ARRAY_SIZE(heaps); i++) {
		if (ret < 0 && heaps[i]->kind == CMABUF_HEAP_KIND_CMA) {
			snprintf(name, size, "%s", heaps[i]->name);
			ret = 0;
		}
		cmabuf_heap_unref(heaps[i]);
	}
	return ret;
}

static int open_fallback(struct cmabuf_ctx *ctx, unsigned int flags,
			 struct cmabuf_heap **out)
{
	int ret = -ENOENT;
	char *path;

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
		path = cmabuf_ctx_path(ctx, "/dev/udmabuf");
		if (!path)
			return -ENOMEM;
		ret = heap_open_path(ctx, "udmabuf", path,
				     CMABUF_HEAP_KIND_UDMABUF, out);
		free(path);
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

CMABUF_EXPORT int cmabuf_heap_open(struct cmabuf_ctx *ctx, const char *name,
				   unsigned int flags,
				   struct cmabuf_heap **out)
{
	char found[NAME_MAX + 1];
	int ret, fret;

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
	if (name) {
		if (!heap_name_valid(name)) {
			log_bug_client(ctx, "invalid heap name \"%s\"\n",
				       name);
			return -EINVAL;
		}
		return heap_open_named(ctx, name, out);
	}

	ret = find_cma_heap_name(ctx, found, sizeof(found));
	if (ret == 0) {
		ret = heap_open_named(ctx, found, out);
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
		if (de->d_name[0] == '.' || !dir_has_entry(dir, de->d_name))
			continue;
		ret = heap_list_add(l, de->d_name);
		if (ret < 0)
			break;
	}
	closedir(d);
	return ret;
}

CMABUF_EXPORT int cmabuf_heap_enumerate(struct cmabuf_ctx *ctx,
					unsigned int flags,
					struct cmabuf_heap **heaps,
					size_t max, size_t *count)
{
	struct heap_list l = { 0 };
	size_t i, n = 0;
	int ret;

	if (!ctx || !count || (max > 0 && !heaps))
		return -EINVAL;
	if (flags & ~CMABUF_ENUM_ALIASES) {
		log_bug_client(ctx, "unknown enumerate flags %#x\n", flags);
		return -EINVAL;
	}
	/* udev knows the live system only; a sysroot is read as files */
	ret = -ENODEV;
	if (!ctx->heap_dir_set && ctx->sysroot[0] == '\0')
		ret = list_heaps_udev(ctx, &l);
	if (ret < 0 || l.n == 0)
		ret = list_heaps_dir(ctx, &l);
	if (ret < 0)
		goto out;
	if (l.n > 1)
		qsort(l.names, l.n, sizeof(*l.names), cmp_names);
	for (i = 0; i < l.n; i++) {
		struct cmabuf_heap *heap;

		ret = heap_new_named(ctx, l.names[i], &heap);
		if (ret < 0)
			goto out;
		if ((heap->flags & CMABUF_HEAP_ALIAS) &&
		    !(flags & CMABUF_ENUM_ALIASES)) {
			cmabuf_heap_unref(heap);
			continue;
		}
		if (n < max)
			heaps[n] = heap;
		else
			cmabuf_heap_unref(heap);
		n++;
	}
	*count = n;
	ret = 0;
out:
	if (ret < 0)
		for (i = 0; i < n && i < max; i++)
			heaps[i] = cmabuf_heap_unref(heaps[i]);
	heap_list_free(&l);
	return ret;
}

/* ------------------------------------------------------------------ */
/* allocation                                                          */
/* ------------------------------------------------------------------ */

static int alloc_dma_heap(struct cmabuf_heap *heap, size_t size, int *fd)
{
	struct dma_heap_allocation_data data = {
		.len = size,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};
	int ret;

	ret = ioctl_restart(heap->fd, DMA_HEAP_IOCTL_ALLOC, &data);
	if (ret < 0)
		return ret;
	*fd = (int)data.fd;
	return 0;
}

/* udmabuf refuses buffers above its size_limit_mb parameter (64 MiB) */
static bool udmabuf_over_limit(struct cmabuf_heap *heap, size_t size)
{
	uint64_t limit_mb = 64;
	char *path;

	path = cmabuf_ctx_path(heap->ctx,
			       "/sys/module/udmabuf/parameters/size_limit_mb");
	if (path && read_u64_file(path, &limit_mb) < 0)
		limit_mb = 64;
	free(path);
	if (size <= limit_mb << 20)
		return false;
	err(heap->ctx, "udmabuf: %zu bytes exceed size_limit_mb=%llu\n", size,
	    (unsigned long long)limit_mb);
	return true;
}

static int alloc_udmabuf(struct cmabuf_heap *heap, size_t size, int *fd)
{
	struct udmabuf_create create = {
		.flags = UDMABUF_FLAGS_CLOEXEC,
		.offset = 0,
		.size = size,
	};
	int memfd, ret;

	memfd = memfd_create("cmabuf-udmabuf", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (memfd < 0)
		return -errno;
	/* udmabuf requires F_SEAL_SHRINK and refuses F_SEAL_WRITE */
	if (ftruncate(memfd, (off_t)size) < 0 ||
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK) < 0) {
		ret = -errno;
		goto out;
	}
	create.memfd = (uint32_t)memfd;
	ret = ioctl(heap->fd, UDMABUF_CREATE, &create);
	if (ret < 0) {
		ret = -errno;
		if (ret == -EINVAL && udmabuf_over_limit(heap, size))
			ret = -E2BIG;
		goto out;
	}
	*fd = ret;
	ret = 0;
out:
	close(memfd);
	return ret;
}

CMABUF_EXPORT int cmabuf_alloc(struct cmabuf_heap *heap, size_t size,
			       unsigned int flags, struct cmabuf **out)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct cmabuf *buf;
	int ret, fd = -1;
	uint64_t t0;

	if (!heap || !out)
		return -EINVAL;
	if (flags) {
		log_bug_client(heap->ctx, "unknown alloc flags %#x\n", flags);
		return -EINVAL;
	}
	if (size == 0) {
		log_bug_client(heap->ctx, "allocation of 0 bytes\n");
		return -EINVAL;
	}
	if (size > SIZE_MAX - (page - 1) || size > (size_t)INT64_MAX) {
		err(heap->ctx, "allocation of %zu bytes: size overflows\n",
		    size);
		return -EOVERFLOW;
	}
	size = (size + page - 1) & ~(page - 1);
	ret = heap_ensure_open(heap);
	if (ret < 0)
		return ret;
	t0 = telemetry_begin(heap->ctx);
	if (heap->kind == CMABUF_HEAP_KIND_UDMABUF)
		ret = alloc_udmabuf(heap, size, &fd);
	else
		ret = alloc_dma_heap(heap, size, &fd);
	telemetry_end(heap->ctx, t0, ret);
	if (ret < 0) {
		if (ret == -ENOMEM && heap->kind == CMABUF_HEAP_KIND_CMA)
			err(heap->ctx, "CMA heap %s: cannot allocate %zu bytes: "
			    "area exhausted or fragmented (see cmabuf-stat)\n",
			    heap->name, size);
		else
			err(heap->ctx, "heap %s: allocation of %zu bytes "
			    "failed: %s\n", heap->name, size, strerror(-ret));
		return ret;
	}
	ret = cmabuf_new_from_fd(heap->ctx, heap, fd, size, &buf);
	if (ret < 0)
		return ret;
	buf->contiguous = heap->flags & CMABUF_HEAP_CONTIGUOUS;
	dbg(heap->ctx, "heap %s: %zu bytes as fd %d\n", heap->name, size, fd);
	*out = buf;
	return 0;
}
