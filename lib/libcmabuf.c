// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Buffer objects (allocated, imported) and their CPU mappings. The
 * context lives in context.c, the heaps in heap_dmabuf.c and the
 * allocation that joins the two in alloc.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include "libcmabuf-private.h"

/* ------------------------------------------------------------------ */
/* buffer objects                                                      */
/* ------------------------------------------------------------------ */

int cmabuf_new_from_fd(struct cmabuf_ctx *ctx, struct cmabuf_heap *heap,
		       int fd, size_t size, struct cmabuf **out)
{
	struct cmabuf *buf;

	buf = calloc(1, sizeof(*buf));
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	buf->refcount = 1;
	buf->ctx = cmabuf_ctx_ref(ctx);
	buf->heap = cmabuf_heap_ref(heap);
	buf->fd = fd;
	buf->size = size;
	pthread_mutex_init(&buf->lock, NULL);
	*out = buf;
	return 0;
}

char *dmabuf_fdinfo_exporter(const struct cmabuf_ctx *ctx, int fd)
{
	char path[64], info[1024], *line, *end;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	if (read_file_at(path, info, sizeof(info)) < 0) {
		dbg(ctx, "cannot read %s\n", path);
		return NULL;
	}
	for (line = info; line && *line; line = end ? end + 1 : NULL) {
		end = strchr(line, '\n');
		if (end)
			*end = '\0';
		if (strncmp(line, "exp_name:", 9) == 0) {
			line += 9;
			line += strspn(line, " \t");
			return strdup(line);
		}
	}
	return NULL;
}

CMABUF_EXPORT int cmabuf_import(struct cmabuf_ctx *ctx, int fd,
				struct cmabuf **out)
{
	struct cmabuf *buf;
	off_t size;
	int ret, nfd;

	if (!ctx || !out)
		return -EINVAL;
	if (fd < 0) {
		log_bug_client(ctx, "import of invalid fd %d\n", fd);
		return -EBADF;
	}
	ret = fd_is_dmabuf(fd);
	if (ret < 0) {
		err(ctx, "fd %d: %s\n", fd, strerror(-ret));
		return ret;
	}
	if (ret == 0) {
		err(ctx, "fd %d is not a dma-buf\n", fd);
		return -EINVAL;
	}
	size = lseek(fd, 0, SEEK_END);
	if (size <= 0) {
		ret = size < 0 ? -errno : -EINVAL;
		err(ctx, "fd %d: cannot get dma-buf size: %s\n", fd,
		    strerror(-ret));
		return ret;
	}
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (nfd < 0) {
		ret = -errno;
		err(ctx, "dup of fd %d: %m\n", fd);
		return ret;
	}
	ret = cmabuf_new_from_fd(ctx, NULL, nfd, (size_t)size, &buf);
	if (ret < 0)
		return ret;
	buf->exporter = dmabuf_fdinfo_exporter(ctx, nfd);
	buf->contiguous = buf->exporter &&
			  heap_name_is_cma(ctx, buf->exporter);
	dbg(ctx, "imported fd %d as %d: %zu bytes from %s\n", fd, nfd,
	    buf->size, buf->exporter ? buf->exporter : "unknown exporter");
	*out = buf;
	return 0;
}

CMABUF_EXPORT struct cmabuf *cmabuf_ref(struct cmabuf *buf)
{
	if (buf)
		refcount_inc(&buf->refcount);
	return buf;
}

CMABUF_EXPORT struct cmabuf *cmabuf_unref(struct cmabuf *buf)
{
	if (!buf || !refcount_dec(&buf->refcount))
		return NULL;
	if (__atomic_load_n(&buf->sync_open, __ATOMIC_RELAXED))
		log_bug_client(buf->ctx,
			       "buffer freed inside a CPU access bracket\n");
	if (buf->map_addr)
		munmap(buf->map_addr, buf->size);
	close(buf->fd);
	pthread_mutex_destroy(&buf->lock);
	free(buf->exporter);
	cmabuf_heap_unref(buf->heap);
	cmabuf_ctx_unref(buf->ctx);
	free(buf);
	return NULL;
}

CMABUF_EXPORT int cmabuf_get_fd(const struct cmabuf *buf)
{
	return buf ? buf->fd : -EINVAL;
}

CMABUF_EXPORT int cmabuf_dup_fd(const struct cmabuf *buf)
{
	int fd;

	if (!buf)
		return -EINVAL;
	fd = fcntl(buf->fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0) {
		fd = -errno;
		err(buf->ctx, "dup of buffer fd %d: %m\n", buf->fd);
	}
	return fd;
}

CMABUF_EXPORT size_t cmabuf_get_size(const struct cmabuf *buf)
{
	return buf ? buf->size : 0;
}

CMABUF_EXPORT const char *cmabuf_get_heap_name(const struct cmabuf *buf)
{
	if (!buf)
		return NULL;
	return buf->heap ? buf->heap->name : buf->exporter;
}

CMABUF_EXPORT int cmabuf_is_contiguous(const struct cmabuf *buf)
{
	return buf && buf->contiguous;
}

CMABUF_EXPORT struct cmabuf_ctx *cmabuf_get_ctx(const struct cmabuf *buf)
{
	return buf ? buf->ctx : NULL;
}

CMABUF_EXPORT int cmabuf_set_name(struct cmabuf *buf, const char *name)
{
	char kname[CMABUF_NAME_MAX + 1];
	size_t len;

	if (!buf)
		return -EINVAL;
	if (!name) {
		log_bug_client(buf->ctx, "NULL buffer name\n");
		return -EINVAL;
	}
	len = strlen(name);
	if (len > CMABUF_NAME_MAX)
		info(buf->ctx, "buffer name \"%s\" truncated to %d bytes\n",
		     name, CMABUF_NAME_MAX);
	snprintf(kname, sizeof(kname), "%s", name);
	if (ioctl(buf->fd, DMA_BUF_SET_NAME, kname) < 0) {
		int ret = -errno;

		/* kernels before DMA_BUF_SET_NAME (5.3) do not know it */
		if (ret == -ENOTTY)
			ret = -EOPNOTSUPP;
		err(buf->ctx, "DMA_BUF_SET_NAME on fd %d: %s\n", buf->fd,
		    strerror(-ret));
		return ret;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* CPU mappings                                                        */
/* ------------------------------------------------------------------ */

CMABUF_EXPORT int cmabuf_map(struct cmabuf *buf, unsigned int flags,
			     void **addr)
{
	int prot = 0, ret = 0;
	void *p;

	if (!buf)
		return -EINVAL;
	if (!addr || (flags & ~CMABUF_MAP_RW) || !(flags & CMABUF_MAP_RW)) {
		log_bug_client(buf->ctx, "bad map flags %#x\n", flags);
		return -EINVAL;
	}
	pthread_mutex_lock(&buf->lock);
	if (buf->map_addr) {
		if (flags & ~buf->map_flags) {
			unsigned int have = buf->map_flags;

			pthread_mutex_unlock(&buf->lock);
			err(buf->ctx, "buffer already mapped with flags %#x, "
			    "cannot widen to %#x\n", have, flags);
			return -EBUSY;
		}
		buf->map_count++;
		*addr = buf->map_addr;
		goto out;
	}
	if (flags & CMABUF_MAP_READ)
		prot |= PROT_READ;
	if (flags & CMABUF_MAP_WRITE)
		prot |= PROT_WRITE | PROT_READ;
	/* dma-buf mmap is MAP_SHARED only */
	p = mmap(NULL, buf->size, prot, MAP_SHARED, buf->fd, 0);
	if (p == MAP_FAILED) {
		ret = -errno;
		pthread_mutex_unlock(&buf->lock);
		err(buf->ctx, "mmap of %zu bytes of fd %d: %s\n", buf->size,
		    buf->fd, strerror(-ret));
		return ret;
	}
	buf->map_addr = p;
	buf->map_flags = flags;
	buf->map_count = 1;
	*addr = p;
out:
	pthread_mutex_unlock(&buf->lock);
	return ret;
}

CMABUF_EXPORT int cmabuf_unmap(struct cmabuf *buf)
{
	int ret = 0;

	if (!buf)
		return -EINVAL;
	pthread_mutex_lock(&buf->lock);
	if (buf->map_count == 0) {
		ret = -EINVAL;
	} else if (--buf->map_count == 0) {
		munmap(buf->map_addr, buf->size);
		buf->map_addr = NULL;
		buf->map_flags = 0;
	}
	pthread_mutex_unlock(&buf->lock);
	if (ret < 0)
		log_bug_client(buf->ctx, "unmap of a buffer not mapped\n");
	return ret;
}
