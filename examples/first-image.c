// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A first libcmabuf program: NV12 frames from a pool of CMA images,
 * filled by the CPU. Each frame would then go to a V4L2 output queue at
 * cmabuf_image_get_index(img), or to DRM with cmabuf_drm_add_fb().
 */
#include <stdio.h>
#include <string.h>

#include <cmabuf.h>
#include <drm_fourcc.h>

int main(void)
{
	struct cmabuf_ctx *ctx = NULL;
	struct cmabuf_heap *heap = NULL;
	struct cmabuf_image_pool *pool = NULL;
	struct cmabuf_layout layout;
	int frame, ret;

	ret = cmabuf_ctx_new(&ctx);
	if (ret == 0)	/* the system's CMA heap, whatever its name */
		ret = cmabuf_heap_open(ctx, NULL, 0, &heap);
	if (ret == 0)
		ret = cmabuf_layout_init(&layout, DRM_FORMAT_NV12, 1280, 720,
					 0, 0);
	if (ret == 0)	/* 4 images allocated now, recycled afterwards */
		ret = cmabuf_image_pool_new(heap, &layout, 4, 4, 0, &pool);
	for (frame = 0; ret == 0 && frame < 8; frame++) {
		struct cmabuf_image *img;
		void *planes[CMABUF_MAX_PLANES];

		ret = cmabuf_image_pool_acquire(pool, &img);
		if (ret < 0)
			break;
		/* every plane mapped, offsets applied; one cache bracket */
		ret = cmabuf_image_map(img, CMABUF_MAP_WRITE, planes);
		if (ret == 0) {
			ret = cmabuf_image_sync_begin(img, CMABUF_SYNC_WRITE);
			if (ret == 0) {
				memset(planes[0], 16 + 8 * frame,
				       layout.planes[0].size);	/* Y */
				memset(planes[1], 128,
				       layout.planes[1].size);	/* CbCr */
				ret = cmabuf_image_sync_end(img,
							    CMABUF_SYNC_WRITE);
			}
			cmabuf_image_unmap(img);
		}
		printf("frame %d: image %d, dma-buf fd %d\n", frame,
		       cmabuf_image_get_index(img),
		       cmabuf_get_fd(cmabuf_image_get_buffer(img, 0)));
		/* -1: no fence; a display's out-fence would go here */
		cmabuf_image_pool_release(pool, img, -1);
	}
	if (ret < 0)
		fprintf(stderr, "first-image: %s\n", strerror(-ret));
	cmabuf_image_pool_unref(pool);
	cmabuf_heap_unref(heap);
	cmabuf_ctx_unref(ctx);
	return ret < 0;
}
