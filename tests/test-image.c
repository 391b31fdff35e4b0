// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Image layouts and format mapping, and the argument checks of the image,
 * V4L2 and DRM calls: no kernel feature needed. Expected values are
 * worked out by hand from the format definitions (drm_fourcc.h, the V4L2
 * pixel format pages), not with the library's own formulas.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include <drm_fourcc.h>
#include <linux/videodev2.h>

#include "testutil.h"

struct plane_expect {
	uint32_t offset, stride, height, size;
};

static void check_layout(uint32_t fourcc, uint32_t w, uint32_t h,
			 uint32_t align, unsigned int flags,
			 unsigned int nplanes, const struct plane_expect *e,
			 uint64_t total)
{
	struct cmabuf_layout l;
	unsigned int i;

	ck_assert_int_eq(cmabuf_layout_init(&l, fourcc, w, h, align, flags),
			 0);
	ck_assert_uint_eq(l.fourcc, fourcc);
	ck_assert_uint_eq(l.width, w);
	ck_assert_uint_eq(l.height, h);
	ck_assert_uint_eq(l.flags, flags);
	ck_assert_uint_eq(l.num_planes, nplanes);
	for (i = 0; i < nplanes; i++) {
		ck_assert_uint_eq(l.planes[i].offset, e[i].offset);
		ck_assert_uint_eq(l.planes[i].stride, e[i].stride);
		ck_assert_uint_eq(l.planes[i].height, e[i].height);
		ck_assert_uint_eq(l.planes[i].size, e[i].size);
	}
	ck_assert_uint_eq(l.size, total);
}

START_TEST(test_nv12_1080p)
{
	/* the example: Y 2073600 bytes at 0, UV 1036800 after it */
	static const struct plane_expect e[] = {
		{ 0, 1920, 1080, 2073600 }, { 2073600, 1920, 540, 1036800 },
	};
	static const struct plane_expect pp[] = {
		{ 0, 1920, 1080, 2073600 }, { 0, 1920, 540, 1036800 },
	};

	check_layout(DRM_FORMAT_NV12, 1920, 1080, 0, 0, 2, e, 3110400);
	check_layout(DRM_FORMAT_NV12, 1920, 1080, 64, 0, 2, e, 3110400);
	check_layout(DRM_FORMAT_NV12, 1920, 1080, 0, CMABUF_IMAGE_PER_PLANE,
		     2, pp, 3110400);
}
END_TEST

START_TEST(test_odd_sizes)
{
	/* 641 luma bytes -> 642 (whole chroma pairs) -> 704 with 64 */
	static const struct plane_expect nv12[] = {
		{ 0, 704, 481, 338624 }, { 338624, 704, 241, 169664 },
	};
	/* chroma stride is half the luma one, rows rounded up */
	static const struct plane_expect yuv[] = {
		{ 0, 704, 481, 338624 }, { 338624, 352, 241, 84832 },
		{ 423456, 352, 241, 84832 },
	};
	/* no alignment: 5 -> 6 luma bytes, 3 chroma, 2 chroma rows */
	static const struct plane_expect yuv5[] = {
		{ 0, 6, 3, 18 }, { 18, 3, 2, 6 }, { 24, 3, 2, 6 },
	};
	/* a YUYV row holds whole pixel pairs: 3 px -> 4 px -> 8 bytes */
	static const struct plane_expect yuyv[] = { { 0, 8, 2, 16 } };
	static const struct plane_expect rgb[] = { { 0, 30, 10, 300 } };
	static const struct plane_expect nv16[] = {
		{ 0, 8, 7, 56 }, { 56, 8, 7, 56 },
	};

	check_layout(DRM_FORMAT_NV12, 641, 481, 64, 0, 2, nv12, 508288);
	check_layout(DRM_FORMAT_YUV420, 641, 481, 64, 0, 3, yuv, 508288);
	check_layout(DRM_FORMAT_YVU420, 641, 481, 64, 0, 3, yuv, 508288);
	check_layout(DRM_FORMAT_YUV420, 5, 3, 1, 0, 3, yuv5, 30);
	check_layout(DRM_FORMAT_YUYV, 3, 2, 1, 0, 1, yuyv, 16);
	check_layout(DRM_FORMAT_UYVY, 3, 2, 1, 0, 1, yuyv, 16);
	check_layout(DRM_FORMAT_RGB888, 10, 10, 1, 0, 1, rgb, 300);
	check_layout(DRM_FORMAT_NV16, 7, 7, 8, 0, 2, nv16, 112);
}
END_TEST

START_TEST(test_alignment_rounding)
{
	static const struct plane_expect xrgb[] = { { 0, 5504, 768, 4227072 } };
	static const struct plane_expect rgb565[] = { { 0, 256, 100, 25600 } };
	static const struct plane_expect rgb888[] = { { 0, 64, 10, 640 } };
	static const struct plane_expect p010[] = {
		{ 0, 3840, 1080, 4147200 }, { 4147200, 3840, 540, 2073600 },
	};
	static const struct plane_expect big[] = {
		{ 0, 4096, 2, 8192 }, { 8192, 4096, 1, 4096 },
	};

	/* 1366 * 4 = 5464 bytes, next multiple of 64 */
	check_layout(DRM_FORMAT_XRGB8888, 1366, 768, 0, 0, 1, xrgb, 4227072);
	check_layout(DRM_FORMAT_RGB565, 100, 100, 256, 0, 1, rgb565, 25600);
	check_layout(DRM_FORMAT_RGB888, 10, 10, 64, 0, 1, rgb888, 640);
	check_layout(DRM_FORMAT_P010, 1920, 1080, 64, 0, 2, p010, 6220800);
	check_layout(DRM_FORMAT_NV12, 2, 2, 4096, 0, 2, big, 12288);
}
END_TEST

/* every format at 64x64 without padding: bytes per plane by hand */
static const struct {
	uint32_t fourcc;
	unsigned int planes;
	uint32_t stride0;
	uint64_t total;
} all_formats[] = {
	{ DRM_FORMAT_NV12, 2, 64, 4096 + 2048 },
	{ DRM_FORMAT_NV21, 2, 64, 4096 + 2048 },
	{ DRM_FORMAT_NV16, 2, 64, 4096 + 4096 },
	{ DRM_FORMAT_NV61, 2, 64, 4096 + 4096 },
	{ DRM_FORMAT_YUV420, 3, 64, 4096 + 1024 + 1024 },
	{ DRM_FORMAT_YVU420, 3, 64, 4096 + 1024 + 1024 },
	{ DRM_FORMAT_YUYV, 1, 128, 8192 },
	{ DRM_FORMAT_UYVY, 1, 128, 8192 },
	{ DRM_FORMAT_P010, 2, 128, 8192 + 4096 },
	{ DRM_FORMAT_RGB565, 1, 128, 8192 },
	{ DRM_FORMAT_RGB888, 1, 192, 12288 },
	{ DRM_FORMAT_BGR888, 1, 192, 12288 },
	{ DRM_FORMAT_XRGB8888, 1, 256, 16384 },
	{ DRM_FORMAT_ARGB8888, 1, 256, 16384 },
	{ DRM_FORMAT_XBGR8888, 1, 256, 16384 },
	{ DRM_FORMAT_ABGR8888, 1, 256, 16384 },
};

START_TEST(test_every_format)
{
	struct cmabuf_layout l;
	uint64_t end;
	unsigned int i;

	ck_assert_int_eq(cmabuf_layout_init(&l, all_formats[_i].fourcc, 64,
					    64, 1, 0), 0);
	ck_assert_uint_eq(l.num_planes, all_formats[_i].planes);
	ck_assert_uint_eq(l.planes[0].stride, all_formats[_i].stride0);
	ck_assert_uint_eq(l.size, all_formats[_i].total);
	/* one buffer: planes back to back, the last one ends the image */
	for (i = 0, end = 0; i < l.num_planes; i++) {
		ck_assert_uint_eq(l.planes[i].offset, end);
		end += l.planes[i].size;
	}
	ck_assert_uint_eq(end, l.size);

	ck_assert_int_eq(cmabuf_layout_init(&l, all_formats[_i].fourcc, 64,
					    64, 1, CMABUF_IMAGE_PER_PLANE), 0);
	for (i = 0; i < l.num_planes; i++)
		ck_assert_uint_eq(l.planes[i].offset, 0);
	ck_assert_uint_eq(l.size, all_formats[_i].total);
}
END_TEST

START_TEST(test_layout_errors)
{
	struct cmabuf_layout l;

	ck_assert_int_eq(cmabuf_layout_init(NULL, DRM_FORMAT_NV12, 64, 64, 0,
					    0), -EINVAL);
	ck_assert_int_eq(cmabuf_layout_init(&l, DRM_FORMAT_C8, 64, 64, 0, 0),
			 -EINVAL);
	ck_assert_int_eq(cmabuf_layout_init(&l, 0, 64, 64, 0, 0), -EINVAL);
	ck_assert_int_eq(cmabuf_layout_init(&l, V4L2_PIX_FMT_NV12M, 64, 64, 0,
					    0), -EINVAL);
	ck_assert_int_eq(cmabuf_layout_init(&l, DRM_FORMAT_NV12, 0, 64, 0, 0),
			 -EINVAL);
	ck_assert_int_eq(cmabuf_layout_init(&l, DRM_FORMAT_NV12, 64, 0, 0, 0),
			 -EINVAL);
	ck_assert_int_eq(cmabuf_layout_init(&l, DRM_FORMAT_NV12, 64, 64, 48,
					    0), -EINVAL);
	ck_assert_int_eq(cmabuf_layout_init(&l, DRM_FORMAT_NV12, 64, 64, 3,
					    0), -EINVAL);
	ck_assert_int_eq(cmabuf_layout_init(&l, DRM_FORMAT_NV12, 64, 64, 0,
					    1u << 5), -EINVAL);
}
END_TEST

START_TEST(test_layout_overflow)
{
	struct cmabuf_layout l;

	/* 2^30 pixels * 4 bytes: the stride needs 33 bits */
	ck_assert_int_eq(cmabuf_layout_init(&l, DRM_FORMAT_XRGB8888,
					    1u << 30, 1, 0, 0), -EINVAL);
	ck_assert_int_eq(cmabuf_layout_init(&l, DRM_FORMAT_XRGB8888,
					    UINT32_MAX, UINT32_MAX, 0, 0),
			 -EINVAL);
	/* 65536 * 65536 * 4 = 2^34 bytes */
	ck_assert_int_eq(cmabuf_layout_init(&l, DRM_FORMAT_XRGB8888, 65536,
					    65536, 0, 0), -EINVAL);
	/* a 2^31 stride fits, two rows of it do not */
	ck_assert_int_eq(cmabuf_layout_init(&l, DRM_FORMAT_XRGB8888, 1, 1,
					    1u << 31, 0), 0);
	ck_assert_uint_eq(l.planes[0].stride, 1u << 31);
	ck_assert_int_eq(cmabuf_layout_init(&l, DRM_FORMAT_XRGB8888, 1, 2,
					    1u << 31, 0), -EINVAL);
	/*
	 * NV12 65536x43691: Y 2863333376 + UV 1431699456 bytes is more
	 * than one 32-bit buffer, but each plane alone fits its own.
	 */
	ck_assert_int_eq(cmabuf_layout_init(&l, DRM_FORMAT_NV12, 65536, 43691,
					    0, 0), -EINVAL);
	ck_assert_int_eq(cmabuf_layout_init(&l, DRM_FORMAT_NV12, 65536, 43691,
					    0, CMABUF_IMAGE_PER_PLANE), 0);
	ck_assert_uint_eq(l.planes[0].size, 2863333376u);
	ck_assert_uint_eq(l.planes[1].size, 1431699456u);
	ck_assert_uint_eq(l.size, 4295032832ull);
}
END_TEST

START_TEST(test_v4l2_formats)
{
	static const struct {
		uint32_t drm, v4l2, v4l2_m;
	} map[] = {
		{ DRM_FORMAT_NV12, V4L2_PIX_FMT_NV12, V4L2_PIX_FMT_NV12M },
		{ DRM_FORMAT_NV21, V4L2_PIX_FMT_NV21, V4L2_PIX_FMT_NV21M },
		{ DRM_FORMAT_NV16, V4L2_PIX_FMT_NV16, V4L2_PIX_FMT_NV16M },
		{ DRM_FORMAT_NV61, V4L2_PIX_FMT_NV61, V4L2_PIX_FMT_NV61M },
		{ DRM_FORMAT_YUV420, V4L2_PIX_FMT_YUV420,
		  V4L2_PIX_FMT_YUV420M },
		{ DRM_FORMAT_YVU420, V4L2_PIX_FMT_YVU420,
		  V4L2_PIX_FMT_YVU420M },
		{ DRM_FORMAT_P010, V4L2_PIX_FMT_P010, 0 },
		{ DRM_FORMAT_YUYV, V4L2_PIX_FMT_YUYV, V4L2_PIX_FMT_YUYV },
		{ DRM_FORMAT_UYVY, V4L2_PIX_FMT_UYVY, V4L2_PIX_FMT_UYVY },
		{ DRM_FORMAT_RGB565, V4L2_PIX_FMT_RGB565,
		  V4L2_PIX_FMT_RGB565 },
		/* DRM names a little-endian word, V4L2 the bytes */
		{ DRM_FORMAT_RGB888, V4L2_PIX_FMT_BGR24, V4L2_PIX_FMT_BGR24 },
		{ DRM_FORMAT_BGR888, V4L2_PIX_FMT_RGB24, V4L2_PIX_FMT_RGB24 },
		{ DRM_FORMAT_XRGB8888, V4L2_PIX_FMT_XBGR32,
		  V4L2_PIX_FMT_XBGR32 },
		{ DRM_FORMAT_ARGB8888, V4L2_PIX_FMT_ABGR32,
		  V4L2_PIX_FMT_ABGR32 },
		{ DRM_FORMAT_XBGR8888, V4L2_PIX_FMT_RGBX32,
		  V4L2_PIX_FMT_RGBX32 },
		{ DRM_FORMAT_ABGR8888, V4L2_PIX_FMT_RGBA32,
		  V4L2_PIX_FMT_RGBA32 },
	};
	unsigned int flags;
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		ck_assert_uint_eq(cmabuf_fourcc_to_v4l2(map[i].drm, 0),
				  map[i].v4l2);
		ck_assert_uint_eq(cmabuf_fourcc_to_v4l2(map[i].drm,
							CMABUF_V4L2_MPLANE),
				  map[i].v4l2_m);
		flags = 99;
		ck_assert_uint_eq(cmabuf_fourcc_from_v4l2(map[i].v4l2, &flags),
				  map[i].drm);
		ck_assert_uint_eq(flags, 0);
		if (map[i].v4l2_m && map[i].v4l2_m != map[i].v4l2) {
			ck_assert_uint_eq(cmabuf_fourcc_from_v4l2(
					map[i].v4l2_m, &flags), map[i].drm);
			ck_assert_uint_eq(flags, CMABUF_IMAGE_PER_PLANE);
		}
		ck_assert_uint_eq(cmabuf_fourcc_from_v4l2(map[i].v4l2, NULL),
				  map[i].drm);
	}
	ck_assert_uint_eq(cmabuf_fourcc_to_v4l2(DRM_FORMAT_C8, 0), 0);
	ck_assert_uint_eq(cmabuf_fourcc_to_v4l2(DRM_FORMAT_NV12, 1u << 4), 0);
	flags = 99;
	ck_assert_uint_eq(cmabuf_fourcc_from_v4l2(V4L2_PIX_FMT_MJPEG, &flags),
			  0);
	ck_assert_uint_eq(flags, 0);
}
END_TEST

/* ---- argument checks that need no kernel buffer ---- */

static struct cmabuf_ctx *ctx;
static struct cmabuf_heap *heap;
static char *tree;
static int fds_at_start;

static void setup(void)
{
	tu_fixture_open(&ctx, &heap, &tree, &fds_at_start);
}

static void teardown(void)
{
	tu_fixture_close(&ctx, &heap, &tree, fds_at_start);
}

START_TEST(test_image_alloc_bad_args)
{
	struct cmabuf_image *img = NULL;
	struct cmabuf_layout l;

	ck_assert_int_eq(cmabuf_image_alloc(heap, DRM_FORMAT_C8, 64, 64, 0, 0,
					    &img), -EINVAL);
	ck_assert(tu_log_contains("client bug: no layout for C8  "));
	ck_assert_int_eq(cmabuf_image_alloc(heap, DRM_FORMAT_NV12, 0, 64, 0,
					    0, &img), -EINVAL);
	ck_assert_int_eq(cmabuf_image_alloc(heap, DRM_FORMAT_NV12, 64, 64, 7,
					    0, &img), -EINVAL);
	ck_assert_int_eq(cmabuf_image_alloc(NULL, DRM_FORMAT_NV12, 64, 64, 0,
					    0, &img), -EINVAL);
	ck_assert_int_eq(cmabuf_image_alloc(heap, DRM_FORMAT_NV12, 64, 64, 0,
					    0, NULL), -EINVAL);

	/* a layout edited into nonsense is refused before allocating */
	ck_assert_int_eq(cmabuf_layout_init(&l, DRM_FORMAT_NV12, 64, 64, 0,
					    0), 0);
	l.num_planes = 3;
	tu_log_reset();
	ck_assert_int_eq(cmabuf_image_alloc_layout(heap, &l, &img), -EINVAL);
	ck_assert(tu_log_contains("client bug: unsupported format NV12"));
	l.num_planes = 2;
	l.planes[1].size = 10;	/* smaller than stride * rows */
	ck_assert_int_eq(cmabuf_image_alloc_layout(heap, &l, &img), -EINVAL);
	ck_assert_int_eq(cmabuf_image_alloc_layout(heap, NULL, &img),
			 -EINVAL);
	ck_assert_int_eq(cmabuf_image_new(&l, NULL, 1, &img), -EINVAL);
	ck_assert_ptr_null(img);

	ck_assert_ptr_null(cmabuf_image_ref(NULL));
	ck_assert_ptr_null(cmabuf_image_unref(NULL));
	ck_assert_ptr_null(cmabuf_image_get_layout(NULL));
	ck_assert_uint_eq(cmabuf_image_get_num_buffers(NULL), 0);
	ck_assert_ptr_null(cmabuf_image_get_buffer(NULL, 0));
}
END_TEST

START_TEST(test_layout_modifier_and_reserved)
{
	struct cmabuf_image *img = NULL;
	struct cmabuf_layout l;
	size_t i;

	/* whatever the caller's memory held, init gives LINEAR and zeros */
	memset(&l, 0xa5, sizeof(l));
	ck_assert_int_eq(cmabuf_layout_init(&l, DRM_FORMAT_NV12, 64, 64, 0,
					    0), 0);
	ck_assert_uint_eq(l.modifier, DRM_FORMAT_MOD_LINEAR);
	ck_assert_uint_eq(l.reserved0, 0);
	for (i = 0; i < sizeof(l.reserved) / sizeof(l.reserved[0]); i++)
		ck_assert_uint_eq(l.reserved[i], 0);

	/* reserved fields set: refused, so they can get a meaning later */
	l.reserved[6] = 1;
	tu_log_reset();
	ck_assert_int_eq(cmabuf_image_alloc_layout(heap, &l, &img), -EINVAL);
	ck_assert(tu_log_contains("reserved fields must be zero"));
	l.reserved[6] = 0;
	l.reserved0 = 1;
	ck_assert_int_eq(cmabuf_image_alloc_layout(heap, &l, &img), -EINVAL);
	l.reserved0 = 0;

	/* DRM_FORMAT_MOD_INVALID describes no layout */
	l.modifier = DRM_FORMAT_MOD_INVALID;
	ck_assert_int_eq(cmabuf_image_alloc_layout(heap, &l, &img), -EINVAL);

	/*
	 * A tiled layout is taken as given: NV12 in one plane of the
	 * producer's size would be refused as LINEAR but passes validation
	 * and reaches the (fixture) heap, which is no dma-heap: ENOTTY.
	 */
	l.modifier = DRM_FORMAT_MOD_BROADCOM_SAND128;
	l.num_planes = 1;
	l.planes[0].size = 8192;
	tu_log_reset();
	ck_assert_int_eq(cmabuf_image_alloc_layout(heap, &l, &img), -ENOTTY);
	ck_assert(!tu_log_contains("client bug"));
	l.modifier = DRM_FORMAT_MOD_LINEAR;
	ck_assert_int_eq(cmabuf_image_alloc_layout(heap, &l, &img), -EINVAL);
	/* even tiled, a plane needs bytes and at most 4 planes exist */
	l.modifier = DRM_FORMAT_MOD_BROADCOM_SAND128;
	l.planes[0].size = 0;
	ck_assert_int_eq(cmabuf_image_alloc_layout(heap, &l, &img), -EINVAL);
	l.planes[0].size = 8192;
	l.num_planes = CMABUF_MAX_PLANES + 1;
	ck_assert_int_eq(cmabuf_image_alloc_layout(heap, &l, &img), -EINVAL);
	ck_assert_ptr_null(img);
}
END_TEST

START_TEST(test_v4l2_bad_args)
{
	struct v4l2_buffer vb;
	struct v4l2_plane planes[2];
	struct cmabuf_layout l;
	struct cmabuf *buf = NULL;
	uint32_t count = 4;

	ck_assert_int_eq(cmabuf_v4l2_request_buffers(ctx, -1,
			V4L2_BUF_TYPE_VIDEO_CAPTURE, &count), -EBADF);
	ck_assert(tu_log_contains("client bug: invalid video fd -1"));
	ck_assert_int_eq(cmabuf_v4l2_request_buffers(ctx, 0,
			V4L2_BUF_TYPE_VBI_CAPTURE, &count), -EINVAL);
	ck_assert(tu_log_contains("is not a video capture or output type"));
	ck_assert_int_eq(cmabuf_v4l2_request_buffers(NULL, 0,
			V4L2_BUF_TYPE_VIDEO_CAPTURE, &count), -EINVAL);
	ck_assert_int_eq(cmabuf_v4l2_request_buffers(ctx, 0,
			V4L2_BUF_TYPE_VIDEO_CAPTURE, NULL), -EINVAL);
	ck_assert_int_eq(cmabuf_v4l2_set_format(ctx, 0,
			V4L2_BUF_TYPE_VIDEO_CAPTURE, DRM_FORMAT_NV12, 64, 64,
			CMABUF_IMAGE_PER_PLANE, &l), -EINVAL);
	ck_assert(tu_log_contains("client bug: bad flags"));
	ck_assert_int_eq(cmabuf_v4l2_set_format(ctx, 0,
			V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, DRM_FORMAT_P010,
			64, 64, CMABUF_IMAGE_PER_PLANE, &l), -EINVAL);
	ck_assert(tu_log_contains("client bug: no V4L2 format for P010"));
	ck_assert_int_eq(cmabuf_v4l2_set_format(ctx, 0,
			V4L2_BUF_TYPE_VIDEO_CAPTURE, DRM_FORMAT_NV12, 64, 0,
			0, &l), -EINVAL);
	ck_assert_int_eq(cmabuf_v4l2_dequeue(ctx, 0,
			V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, &vb, NULL, 0),
			-EINVAL);
	ck_assert_int_eq(cmabuf_v4l2_dequeue(ctx, -3,
			V4L2_BUF_TYPE_VIDEO_CAPTURE, &vb, planes, 2), -EBADF);
	ck_assert_int_eq(cmabuf_v4l2_export(ctx, -1,
			V4L2_BUF_TYPE_VIDEO_CAPTURE, 0, 0, &buf), -EBADF);
	ck_assert_int_eq(cmabuf_v4l2_export(ctx, 0,
			V4L2_BUF_TYPE_VIDEO_CAPTURE, 0, 0, NULL), -EINVAL);
	ck_assert_int_eq(cmabuf_v4l2_fill_buffer(NULL,
			V4L2_BUF_TYPE_VIDEO_CAPTURE, 0, &vb, NULL, 0),
			-EINVAL);
	ck_assert_int_eq(cmabuf_v4l2_queue(NULL, 0,
			V4L2_BUF_TYPE_VIDEO_CAPTURE, 0), -EINVAL);
	ck_assert_ptr_null(buf);
}
END_TEST

START_TEST(test_drm_bad_args)
{
	struct cmabuf *buf = NULL;
	uint32_t handle = 0, fb = 0;

	ck_assert_int_eq(cmabuf_drm_import(NULL, 0, &handle), -EINVAL);
	ck_assert_int_eq(cmabuf_drm_close_handle(NULL, 0, 1), -EINVAL);
	/* a handle the library never gave out */
	ck_assert_int_eq(cmabuf_drm_close_handle(ctx, 0, 12345), -ENOENT);
	ck_assert(tu_log_contains("client bug: GEM handle 12345"));
	ck_assert_int_eq(cmabuf_drm_export(ctx, -1, 1, &buf), -EBADF);
	ck_assert_int_eq(cmabuf_drm_export(NULL, 0, 1, &buf), -EINVAL);
	ck_assert_int_eq(cmabuf_drm_export(ctx, 0, 1, NULL), -EINVAL);
	ck_assert_int_eq(cmabuf_drm_add_fb(NULL, 0, &fb), -EINVAL);
	/* an image is needed for the rest: tests/test-vm-drm.c */
	ck_assert_int_eq(cmabuf_drm_remove_fb(NULL, 0, 1), -EINVAL);
	ck_assert_ptr_null(buf);
}
END_TEST

START_TEST(test_layout_to_drm)
{
	uint32_t pitches[4], offsets[4];
	uint64_t mods[4];
	struct cmabuf_layout l;

	ck_assert_int_eq(cmabuf_layout_init(&l, DRM_FORMAT_NV12, 720, 480, 0,
					    0), 0);
	memset(pitches, 0xff, sizeof(pitches));
	memset(offsets, 0xff, sizeof(offsets));
	memset(mods, 0xff, sizeof(mods));
	ck_assert_int_eq(cmabuf_layout_to_drm(&l, pitches, offsets, mods), 2);
	ck_assert_uint_eq(pitches[0], 768);
	ck_assert_uint_eq(pitches[1], 768);
	ck_assert_uint_eq(offsets[0], 0);
	ck_assert_uint_eq(offsets[1], 768 * 480);
	ck_assert_uint_eq(pitches[2], 0);
	ck_assert_uint_eq(offsets[3], 0);
	ck_assert_uint_eq(mods[0], DRM_FORMAT_MOD_LINEAR);
	ck_assert_uint_eq(mods[1], DRM_FORMAT_MOD_LINEAR);
	ck_assert_uint_eq(mods[2], 0);
	/* a tiled layout: its modifier on every plane; modifiers optional */
	l.modifier = DRM_FORMAT_MOD_BROADCOM_SAND128;
	ck_assert_int_eq(cmabuf_layout_to_drm(&l, pitches, offsets, mods), 2);
	ck_assert_uint_eq(mods[1], DRM_FORMAT_MOD_BROADCOM_SAND128);
	ck_assert_int_eq(cmabuf_layout_to_drm(&l, pitches, offsets, NULL), 2);
	/* -EINVAL: missing arrays, a layout that does not make sense */
	ck_assert_int_eq(cmabuf_layout_to_drm(NULL, pitches, offsets, mods),
			 -EINVAL);
	ck_assert_int_eq(cmabuf_layout_to_drm(&l, NULL, offsets, mods),
			 -EINVAL);
	ck_assert_int_eq(cmabuf_layout_to_drm(&l, pitches, NULL, mods),
			 -EINVAL);
	l.reserved0 = 1;
	ck_assert_int_eq(cmabuf_layout_to_drm(&l, pitches, offsets, mods),
			 -EINVAL);
	l.reserved0 = 0;
	l.num_planes = 0;
	ck_assert_int_eq(cmabuf_layout_to_drm(&l, pitches, offsets, mods),
			 -EINVAL);
}
END_TEST

/* the image calls that need no kernel: tests/test-vm-image.c has the rest */
START_TEST(test_image_access_bad_args)
{
	void *planes[CMABUF_MAX_PLANES];

	ck_assert_int_eq(cmabuf_image_get_index(NULL), -EINVAL);
	ck_assert_int_eq(cmabuf_image_map(NULL, CMABUF_MAP_RW, planes),
			 -EINVAL);
	ck_assert_int_eq(cmabuf_image_unmap(NULL), -EINVAL);
	ck_assert_int_eq(cmabuf_image_sync_begin(NULL, CMABUF_SYNC_RW),
			 -EINVAL);
	ck_assert_int_eq(cmabuf_image_sync_end(NULL, CMABUF_SYNC_RW),
			 -EINVAL);
}
END_TEST

static Suite *image_suite(void)
{
	Suite *s = suite_create("image");
	TCase *tc = tcase_create("layouts");
	TCase *args = tcase_create("args");

	tcase_add_test(tc, test_nv12_1080p);
	tcase_add_test(tc, test_odd_sizes);
	tcase_add_test(tc, test_alignment_rounding);
	tcase_add_loop_test(tc, test_every_format, 0,
			    sizeof(all_formats) / sizeof(all_formats[0]));
	tcase_add_test(tc, test_layout_errors);
	tcase_add_test(tc, test_layout_overflow);
	tcase_add_test(tc, test_v4l2_formats);
	tcase_add_test(tc, test_layout_to_drm);
	tcase_add_test(tc, test_image_access_bad_args);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(args, setup, teardown);
	tcase_add_test(args, test_image_alloc_bad_args);
	tcase_add_test(args, test_layout_modifier_and_reserved);
	tcase_add_test(args, test_v4l2_bad_args);
	tcase_add_test(args, test_drm_bad_args);
	suite_add_tcase(s, args);
	return s;
}

int main(void)
{
	return tu_run(image_suite());
}
