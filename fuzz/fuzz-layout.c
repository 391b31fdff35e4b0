// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The image layout calculator: any fourcc, size, alignment and flags.
 * A layout it accepts must be self-consistent: planes inside the image,
 * strides aligned, rows fitting, sizes adding up.
 */
#include <stdint.h>
#include <string.h>

#include <drm_fourcc.h>

#include "cmabuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint32_t fourccs[] = {
	DRM_FORMAT_NV12, DRM_FORMAT_NV21, DRM_FORMAT_NV16, DRM_FORMAT_NV61,
	DRM_FORMAT_YUV420, DRM_FORMAT_YVU420, DRM_FORMAT_YUYV,
	DRM_FORMAT_UYVY, DRM_FORMAT_P010, DRM_FORMAT_RGB565,
	DRM_FORMAT_RGB888, DRM_FORMAT_BGR888, DRM_FORMAT_XRGB8888,
	DRM_FORMAT_ARGB8888, DRM_FORMAT_XBGR8888, DRM_FORMAT_ABGR8888,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cmabuf_layout l;
	uint32_t in[5] = { 0 }, fourcc;
	uint64_t sum = 0;
	unsigned int i;

	memcpy(in, data, size < sizeof(in) ? size : sizeof(in));
	/* mostly known formats, sometimes a raw fourcc */
	fourcc = (in[0] & 0x80000000u) ? in[0] :
		 fourccs[in[0] % (sizeof(fourccs) / sizeof(fourccs[0]))];
	if (cmabuf_layout_init(&l, fourcc, in[1] & 0xfffff, in[2] & 0xfffff,
			       in[3], in[4] & 3) != 0)
		return 0;
	if (l.num_planes < 1 || l.num_planes > CMABUF_MAX_PLANES)
		__builtin_trap();
	for (i = 0; i < l.num_planes; i++) {
		const struct cmabuf_plane_layout *p = &l.planes[i];

		if ((uint64_t)p->stride * p->height > p->size)
			__builtin_trap();
		if (!(l.flags & CMABUF_IMAGE_PER_PLANE) &&
		    (uint64_t)p->offset + p->size > l.size)
			__builtin_trap();
		if (in[3] && (in[3] & (in[3] - 1)) == 0 && i == 0 &&
		    p->stride % in[3])
			__builtin_trap();
		sum += p->size;
	}
	if (sum > l.size)
		__builtin_trap();
	return 0;
}
