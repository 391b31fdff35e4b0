// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Allocation: a buffer from an opened heap, through the dma-heap ioctl or
 * udmabuf. It joins the heap (heap_dmabuf.c) and the buffer object
 * (libcmabuf.c), which therefore need not know each other's creation
 * paths: heaps make no buffers, buffers only hold a reference to theirs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/dma-heap.h>
#include <linux/udmabuf.h>

#include "libcmabuf-private.h"

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
	/* the kernel hands out whole pages: say so in cmabuf_get_size() */
	if (!page_round(size, page_size(), &size) || size > (size_t)INT64_MAX) {
		err(heap->ctx, "allocation of %zu bytes: size overflows\n",
		    size);
		return -EOVERFLOW;
	}
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
