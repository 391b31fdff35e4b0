// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Pools of same-layout images: lib/pool.c's slots, fences and waiting
 * with images as the recycled objects (a pool kind), so that the two
 * pools cannot drift apart in how they wait, fence and count.
 *
 * The image of slot i is made for that slot and keeps its buffers until
 * it is trimmed or the pool ends: its index (cmabuf_image_get_index()) is
 * i for its whole life. V4L2 binds the dma-buf of a queued buffer to its
 * index (a different dma-buf at an index means a new attachment and
 * mapping in the driver), so queuing each image at its own index keeps
 * one dma-buf per index, whatever order acquire hands images out in.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "libcmabuf-private.h"
#include "pool-private.h"

struct cmabuf_image_pool {
	struct cmabuf_pool *pool;	/* owns this struct (kind data) */
	struct cmabuf_layout layout;
};

static int image_alloc(struct cmabuf_heap *heap, size_t size, void *data,
		       unsigned int index, void **obj)
{
	struct cmabuf_image_pool *ip = data;
	struct cmabuf_image *img = NULL;
	int ret;

	(void)size;
	ret = cmabuf_image_alloc_layout(heap, &ip->layout, &img);
	if (ret < 0)
		return ret;
	img->pool_index = (int)index;
	*obj = img;
	return 0;
}

static void image_unref(void *obj)
{
	cmabuf_image_unref(obj);
}

static void *image_ref(void *obj)
{
	return cmabuf_image_ref(obj);
}

static struct cmabuf *image_buffer(void *obj, unsigned int i)
{
	struct cmabuf_image *img = obj;

	return i < img->num_bufs ? img->bufs[i] : NULL;
}

static void image_pool_destroy(void *data)
{
	free(data);
}

static const struct pool_kind image_kind = {
	.what = "image",
	.alloc = image_alloc,
	.unref = image_unref,
	.ref = image_ref,
	.buffer = image_buffer,
	.destroy = image_pool_destroy,
};

CMABUF_EXPORT int cmabuf_image_pool_new(struct cmabuf_heap *heap,
					const struct cmabuf_layout *layout,
					unsigned int min, unsigned int max,
					unsigned int flags,
					struct cmabuf_image_pool **out)
{
	struct cmabuf_image_pool *ip;
	int ret;

	if (!heap || !layout || !out)
		return -EINVAL;
	if (!image_layout_valid(layout)) {
		image_log_format(heap->ctx, layout);
		return -EINVAL;
	}
	/* the pool counts its objects in size_t: 32-bit ABIs */
	if (layout->size > SIZE_MAX) {
		err(heap->ctx, "image pool: %llu-byte images do not fit\n",
		    (unsigned long long)layout->size);
		return -EOVERFLOW;
	}
	ip = calloc(1, sizeof(*ip));
	if (!ip)
		return -ENOMEM;
	ip->layout = *layout;
	ret = pool_create(heap, &image_kind, ip, (size_t)layout->size, min,
			  max, flags, &ip->pool);
	if (ret < 0) {
		free(ip);
		return ret;
	}
	*out = ip;
	return 0;
}

CMABUF_EXPORT struct cmabuf_image_pool *
cmabuf_image_pool_ref(struct cmabuf_image_pool *ip)
{
	if (ip)
		cmabuf_pool_ref(ip->pool);
	return ip;
}

CMABUF_EXPORT struct cmabuf_image_pool *
cmabuf_image_pool_unref(struct cmabuf_image_pool *ip)
{
	/* the pool's last reference frees ip too (image_pool_destroy) */
	if (ip)
		cmabuf_pool_unref(ip->pool);
	return NULL;
}

CMABUF_EXPORT int cmabuf_image_pool_acquire(struct cmabuf_image_pool *ip,
					    struct cmabuf_image **out)
{
	if (!ip || !out)
		return -EINVAL;
	return pool_acquire(ip->pool, 0, (void **)out);
}

CMABUF_EXPORT int
cmabuf_image_pool_acquire_timeout(struct cmabuf_image_pool *ip,
				  int timeout_ms, struct cmabuf_image **out)
{
	if (!ip || !out)
		return -EINVAL;
	return pool_acquire_timeout(ip->pool, timeout_ms, (void **)out);
}

CMABUF_EXPORT int cmabuf_image_pool_release(struct cmabuf_image_pool *ip,
					    struct cmabuf_image *img,
					    int fence_fd)
{
	if (!ip || !img) {
		/* taken in every case: the caller never closes it */
		if (fence_fd >= 0)
			close(fence_fd);
		return -EINVAL;
	}
	return pool_release(ip->pool, img, fence_fd);
}

CMABUF_EXPORT int cmabuf_image_pool_trim(struct cmabuf_image_pool *ip,
					 unsigned int idle_ms)
{
	return ip ? cmabuf_pool_trim(ip->pool, idle_ms) : -EINVAL;
}

CMABUF_EXPORT int
cmabuf_image_pool_get_stats(struct cmabuf_image_pool *ip,
			    struct cmabuf_pool_stats *stats)
{
	return ip ? cmabuf_pool_get_stats(ip->pool, stats) : -EINVAL;
}

CMABUF_EXPORT const struct cmabuf_layout *
cmabuf_image_pool_get_layout(const struct cmabuf_image_pool *ip)
{
	return ip ? &ip->layout : NULL;
}
