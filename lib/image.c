// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Images: plane layouts by DRM fourcc, the V4L2 pixel formats of the same
 * memory layout, and images made of one buffer or one buffer per plane.
 *
 * The planes of a single-buffer image follow each other without padding
 * and the chroma strides derive from the luma stride, as V4L2 defines its
 * single-buffer multi-plane formats (NV12: chroma stride = luma stride,
 * YUV420: half of it), so one image can be queued to a V4L2 driver and
 * shown by DRM without copying.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <drm_fourcc.h>
#include <linux/videodev2.h>

#include "libcmabuf-private.h"

struct format_info {
	uint32_t drm;
	uint32_t v4l2;		/* planes in one buffer */
	uint32_t v4l2_m;	/* one buffer per plane; 0: same as v4l2 */
	uint8_t num_planes;
	uint8_t cpp[3];		/* bytes per horizontal sample of a plane */
	uint8_t hsub;		/* horizontal subsampling of the chroma */
	uint8_t vsub;		/* vertical subsampling of the chroma */
};

/*
 * DRM fourccs name the bits of a little-endian word, V4L2 names bytes in
 * memory order: DRM RGB888 (B, G, R in memory) is V4L2 BGR24, DRM
 * XRGB8888 (B, G, R, X) is V4L2 XBGR32, and so on.
 */
static const struct format_info formats[] = {
	{ DRM_FORMAT_NV12, V4L2_PIX_FMT_NV12, V4L2_PIX_FMT_NV12M, 2,
	  { 1, 2 }, 2, 2 },
	{ DRM_FORMAT_NV21, V4L2_PIX_FMT_NV21, V4L2_PIX_FMT_NV21M, 2,
	  { 1, 2 }, 2, 2 },
	{ DRM_FORMAT_NV16, V4L2_PIX_FMT_NV16, V4L2_PIX_FMT_NV16M, 2,
	  { 1, 2 }, 2, 1 },
	{ DRM_FORMAT_NV61, V4L2_PIX_FMT_NV61, V4L2_PIX_FMT_NV61M, 2,
	  { 1, 2 }, 2, 1 },
	{ DRM_FORMAT_YUV420, V4L2_PIX_FMT_YUV420, V4L2_PIX_FMT_YUV420M, 3,
	  { 1, 1, 1 }, 2, 2 },
	{ DRM_FORMAT_YVU420, V4L2_PIX_FMT_YVU420, V4L2_PIX_FMT_YVU420M, 3,
	  { 1, 1, 1 }, 2, 2 },
	/* V4L2 has no P010 with a buffer per plane */
	{ DRM_FORMAT_P010, V4L2_PIX_FMT_P010, 0, 2, { 2, 4 }, 2, 2 },
	/* packed 4:2:2: a pixel pair is one 4-byte unit */
	{ DRM_FORMAT_YUYV, V4L2_PIX_FMT_YUYV, 0, 1, { 2 }, 2, 1 },
	{ DRM_FORMAT_UYVY, V4L2_PIX_FMT_UYVY, 0, 1, { 2 }, 2, 1 },
	{ DRM_FORMAT_RGB565, V4L2_PIX_FMT_RGB565, 0, 1, { 2 }, 1, 1 },
	{ DRM_FORMAT_RGB888, V4L2_PIX_FMT_BGR24, 0, 1, { 3 }, 1, 1 },
	{ DRM_FORMAT_BGR888, V4L2_PIX_FMT_RGB24, 0, 1, { 3 }, 1, 1 },
	{ DRM_FORMAT_XRGB8888, V4L2_PIX_FMT_XBGR32, 0, 1, { 4 }, 1, 1 },
	{ DRM_FORMAT_ARGB8888, V4L2_PIX_FMT_ABGR32, 0, 1, { 4 }, 1, 1 },
	{ DRM_FORMAT_XBGR8888, V4L2_PIX_FMT_RGBX32, 0, 1, { 4 }, 1, 1 },
	{ DRM_FORMAT_ABGR8888, V4L2_PIX_FMT_RGBA32, 0, 1, { 4 }, 1, 1 },
};

static const struct format_info *format_by_drm(uint32_t fourcc)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(formats); i++)
		if (formats[i].drm == fourcc)
			return &formats[i];
	return NULL;
}

static uint64_t round_up(uint64_t v, uint64_t align)
{
	return (v + align - 1) / align * align;
}

static uint64_t div_round_up(uint64_t v, uint64_t d)
{
	return (v + d - 1) / d;
}

/* bytes of one luma row: whole chroma sample groups, so YUYV pairs */
static uint64_t min_stride0(const struct format_info *f, uint32_t width)
{
	return round_up(width, f->hsub) * f->cpp[0];
}

/* stride of plane i derived from the luma stride, as V4L2 does */
static uint64_t plane_stride(const struct format_info *f, unsigned int i,
			     uint64_t stride0)
{
	if (i == 0)
		return stride0;
	return stride0 * f->cpp[i] / ((uint64_t)f->hsub * f->cpp[0]);
}

/*
 * Fill l from a luma stride. stride0 must hold a whole row of luma
 * (rounded to the chroma subsampling) and be a multiple of hsub * cpp[0]
 * / cpp[i], which the callers guarantee. -EINVAL when a value does not
 * fit the 32-bit fields DRM and V4L2 use.
 */
int layout_from_stride(struct cmabuf_layout *l, uint32_t fourcc,
		       uint32_t width, uint32_t height, uint64_t stride0,
		       unsigned int flags)
{
	const struct format_info *f = format_by_drm(fourcc);
	uint64_t offset = 0, total = 0;
	unsigned int i;

	/* stride0 0: a driver that gave no bytesperline */
	if (!f || width == 0 || height == 0 || stride0 == 0 ||
	    stride0 < min_stride0(f, width) ||
	    (flags & ~CMABUF_IMAGE_PER_PLANE))
		return -EINVAL;
	memset(l, 0, sizeof(*l));
	l->modifier = DRM_FORMAT_MOD_LINEAR;
	l->fourcc = fourcc;
	l->width = width;
	l->height = height;
	l->flags = flags;
	l->num_planes = f->num_planes;
	for (i = 0; i < f->num_planes; i++) {
		struct cmabuf_plane_layout *p = &l->planes[i];
		uint64_t stride = plane_stride(f, i, stride0);
		uint64_t rows = i ? div_round_up(height, f->vsub) : height;
		uint64_t size = stride * rows;

		if (stride > UINT32_MAX || size > UINT32_MAX ||
		    offset > UINT32_MAX)
			return -EINVAL;
		p->offset = (uint32_t)offset;
		p->stride = (uint32_t)stride;
		p->height = (uint32_t)rows;
		p->size = (uint32_t)size;
		total += size;
		if (!(flags & CMABUF_IMAGE_PER_PLANE))
			offset += size;
	}
	/* one buffer: its length must fit V4L2's 32-bit length too */
	if (!(flags & CMABUF_IMAGE_PER_PLANE) && total > UINT32_MAX)
		return -EINVAL;
	l->size = total;
	return 0;
}

CMABUF_EXPORT int cmabuf_layout_init(struct cmabuf_layout *layout,
				     uint32_t drm_fourcc, uint32_t width,
				     uint32_t height, uint32_t stride_align,
				     unsigned int flags)
{
	const struct format_info *f = format_by_drm(drm_fourcc);
	uint64_t align = stride_align ? stride_align :
			 CMABUF_STRIDE_ALIGN_DEFAULT;

	if (!layout || !f || width == 0 || height == 0 ||
	    (flags & ~CMABUF_IMAGE_PER_PLANE) || (align & (align - 1)))
		return -EINVAL;
	/* the chroma strides (half the luma one for YUV420) stay whole */
	if (f->num_planes == 3 && align < f->hsub)
		align = f->hsub;
	return layout_from_stride(layout, drm_fourcc, width, height,
				  round_up(min_stride0(f, width), align),
				  flags);
}

CMABUF_EXPORT uint32_t cmabuf_fourcc_to_v4l2(uint32_t drm_fourcc,
					     unsigned int flags)
{
	const struct format_info *f = format_by_drm(drm_fourcc);

	if (!f || (flags & ~CMABUF_V4L2_MPLANE))
		return 0;
	if ((flags & CMABUF_V4L2_MPLANE) && f->num_planes > 1)
		return f->v4l2_m;
	return f->v4l2;
}

CMABUF_EXPORT uint32_t cmabuf_fourcc_from_v4l2(uint32_t v4l2_pixfmt,
					       unsigned int *flags)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(formats); i++) {
		const struct format_info *f = &formats[i];

		if (f->v4l2 == v4l2_pixfmt || f->v4l2_m == v4l2_pixfmt) {
			if (flags)
				*flags = f->v4l2_m == v4l2_pixfmt ?
					 CMABUF_IMAGE_PER_PLANE : 0;
			return f->drm;
		}
	}
	if (flags)
		*flags = 0;
	return 0;
}

/* ------------------------------------------------------------------ */
/* image objects                                                       */
/* ------------------------------------------------------------------ */

unsigned int layout_num_buffers(const struct cmabuf_layout *l)
{
	return (l->flags & CMABUF_IMAGE_PER_PLANE) ? l->num_planes : 1;
}

/* bytes buffer b must hold for the planes it carries */
static uint64_t layout_buffer_size(const struct cmabuf_layout *l,
				   unsigned int b)
{
	uint64_t end = 0;
	unsigned int i;

	for (i = 0; i < l->num_planes; i++) {
		uint64_t e = (uint64_t)l->planes[i].offset +
			     l->planes[i].size;

		if ((l->flags & CMABUF_IMAGE_PER_PLANE) && i != b)
			continue;
		if (e > end)
			end = e;
	}
	return end;
}

static bool reserved_zero(const struct cmabuf_layout *l)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(l->reserved); i++)
		if (l->reserved[i])
			return false;
	return l->reserved0 == 0;
}

/* planes of a linear layout are computed: they must match the format */
static bool linear_planes_valid(const struct cmabuf_layout *l)
{
	const struct format_info *f = format_by_drm(l->fourcc);
	unsigned int i;

	if (!f || l->num_planes != f->num_planes)
		return false;
	for (i = 0; i < l->num_planes; i++) {
		const struct cmabuf_plane_layout *p = &l->planes[i];

		if (p->stride == 0 || p->height == 0 ||
		    (uint64_t)p->stride * p->height > p->size)
			return false;
	}
	return true;
}

/*
 * A tiled or compressed layout (its modifier says which) has planes only
 * the producer can compute, auxiliary planes included: take them as given,
 * as long as each has bytes.
 */
static bool opaque_planes_valid(const struct cmabuf_layout *l)
{
	unsigned int i;

	if (l->fourcc == 0 || l->num_planes == 0 ||
	    l->num_planes > CMABUF_MAX_PLANES ||
	    l->modifier == DRM_FORMAT_MOD_INVALID)
		return false;
	for (i = 0; i < l->num_planes; i++)
		if (l->planes[i].size == 0)
			return false;
	return true;
}

/* a layout a caller built or changed by hand must still make sense */
bool image_layout_valid(const struct cmabuf_layout *l)
{
	if (l->width == 0 || l->height == 0 ||
	    (l->flags & ~CMABUF_IMAGE_PER_PLANE) || !reserved_zero(l))
		return false;
	if (l->modifier == DRM_FORMAT_MOD_LINEAR)
		return linear_planes_valid(l);
	return opaque_planes_valid(l);
}

static int image_new(struct cmabuf_ctx *ctx, const struct cmabuf_layout *l,
		     struct cmabuf_image **out)
{
	struct cmabuf_image *img = calloc(1, sizeof(*img));

	if (!img)
		return -ENOMEM;
	img->refcount = 1;
	img->pool_index = -1;
	img->ctx = cmabuf_ctx_ref(ctx);
	img->layout = *l;
	*out = img;
	return 0;
}

void image_log_format(struct cmabuf_ctx *ctx, const struct cmabuf_layout *l)
{
	log_bug_client(ctx, "unsupported format %.4s (%#010x), modifier "
		       "%#018llx, or bad image arguments (reserved fields "
		       "must be zero)\n", (const char *)&l->fourcc, l->fourcc,
		       (unsigned long long)l->modifier);
}

CMABUF_EXPORT int cmabuf_image_alloc_layout(struct cmabuf_heap *heap,
					    const struct cmabuf_layout *layout,
					    struct cmabuf_image **out)
{
	struct cmabuf_image *img;
	unsigned int b;
	int ret;

	if (!heap || !layout || !out)
		return -EINVAL;
	if (!image_layout_valid(layout)) {
		image_log_format(heap->ctx, layout);
		return -EINVAL;
	}
	ret = image_new(heap->ctx, layout, &img);
	if (ret < 0)
		return ret;
	for (b = 0; b < layout_num_buffers(layout); b++) {
		ret = cmabuf_alloc(heap, layout_buffer_size(layout, b), 0,
				   &img->bufs[b]);
		if (ret < 0) {
			cmabuf_image_unref(img);
			return ret;
		}
		img->num_bufs++;
	}
	dbg(heap->ctx, "image %.4s %ux%u: %u planes in %u buffers\n",
	    (const char *)&layout->fourcc, layout->width, layout->height,
	    layout->num_planes, img->num_bufs);
	*out = img;
	return 0;
}

CMABUF_EXPORT int cmabuf_image_alloc(struct cmabuf_heap *heap,
				     uint32_t drm_fourcc, uint32_t width,
				     uint32_t height, uint32_t stride_align,
				     unsigned int flags,
				     struct cmabuf_image **out)
{
	struct cmabuf_layout layout;
	int ret;

	if (!heap || !out)
		return -EINVAL;
	ret = cmabuf_layout_init(&layout, drm_fourcc, width, height,
				 stride_align, flags);
	if (ret < 0) {
		log_bug_client(heap->ctx, "no layout for %.4s (%#010x) "
			       "%ux%u, stride alignment %u, flags %#x\n",
			       (const char *)&drm_fourcc, drm_fourcc, width,
			       height, stride_align, flags);
		return ret;
	}
	return cmabuf_image_alloc_layout(heap, &layout, out);
}

CMABUF_EXPORT int cmabuf_image_new(const struct cmabuf_layout *layout,
				   struct cmabuf *const *bufs,
				   unsigned int num_bufs,
				   struct cmabuf_image **out)
{
	struct cmabuf_image *img;
	struct cmabuf_ctx *ctx;
	unsigned int b;
	int ret;

	if (!layout || !bufs || !bufs[0] || !out)
		return -EINVAL;
	ctx = bufs[0]->ctx;
	if (!image_layout_valid(layout)) {
		image_log_format(ctx, layout);
		return -EINVAL;
	}
	if (num_bufs != layout_num_buffers(layout)) {
		log_bug_client(ctx, "image of %u buffers given %u\n",
			       layout_num_buffers(layout), num_bufs);
		return -EINVAL;
	}
	for (b = 0; b < num_bufs; b++) {
		if (!bufs[b])
			return -EINVAL;
		if (bufs[b]->size < layout_buffer_size(layout, b)) {
			err(ctx, "buffer %u has %zu bytes, its planes need "
			    "%llu\n", b, bufs[b]->size, (unsigned long long)
			    layout_buffer_size(layout, b));
			return -EINVAL;
		}
	}
	ret = image_new(ctx, layout, &img);
	if (ret < 0)
		return ret;
	for (b = 0; b < num_bufs; b++)
		img->bufs[b] = cmabuf_ref(bufs[b]);
	img->num_bufs = num_bufs;
	*out = img;
	return 0;
}

CMABUF_EXPORT struct cmabuf_image *cmabuf_image_ref(struct cmabuf_image *img)
{
	if (img)
		refcount_inc(&img->refcount);
	return img;
}

CMABUF_EXPORT struct cmabuf_image *
cmabuf_image_unref(struct cmabuf_image *img)
{
	unsigned int b;

	if (!img || !refcount_dec(&img->refcount))
		return NULL;
	for (b = 0; b < img->num_bufs; b++)
		cmabuf_unref(img->bufs[b]);
	cmabuf_ctx_unref(img->ctx);
	free(img);
	return NULL;
}

CMABUF_EXPORT const struct cmabuf_layout *
cmabuf_image_get_layout(const struct cmabuf_image *img)
{
	return img ? &img->layout : NULL;
}

CMABUF_EXPORT unsigned int
cmabuf_image_get_num_buffers(const struct cmabuf_image *img)
{
	return img ? img->num_bufs : 0;
}

CMABUF_EXPORT struct cmabuf *
cmabuf_image_get_buffer(const struct cmabuf_image *img, unsigned int plane)
{
	if (!img || plane >= img->layout.num_planes)
		return NULL;
	return img->bufs[img->num_bufs > 1 ? plane : 0];
}

CMABUF_EXPORT int cmabuf_image_get_index(const struct cmabuf_image *img)
{
	if (!img)
		return -EINVAL;
	return img->pool_index >= 0 ? img->pool_index : -ENOENT;
}
