// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * V4L2 on a real kernel (run in the test VM): vivid captures into CMA
 * images queued as V4L2_MEMORY_DMABUF (instance 0: single-planar,
 * vmalloc; instance 1: multi-planar, dma-contig), vim2m mirrors a CMA
 * image into another, a vivid EXPBUF buffer goes into vgem, and a
 * scattered system-heap buffer is refused by the dma-contig instance,
 * and an image pool keeps one dma-buf per V4L2 index over 300 frames.
 * Devices are found by driver name, never by /dev number.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <linux/videodev2.h>
#include <xf86drm.h>

#include "testutil.h"

static struct cmabuf_ctx *ctx;
static struct cmabuf_heap *cma;
static int fds_at_start;

static void setup(void)
{
	tu_fixture_open(&ctx, &cma, NULL, &fds_at_start);
}

static void teardown(void)
{
	tu_fixture_close(&ctx, &cma, NULL, fds_at_start);
}

static void set_ctrl(int fd, uint32_t id, int32_t value)
{
	struct v4l2_ext_control c = { .id = id, .value = value };
	struct v4l2_ext_controls cs = {
		.which = V4L2_CTRL_WHICH_CUR_VAL, .count = 1, .controls = &c,
	};

	ck_assert_msg(ioctl(fd, VIDIOC_S_EXT_CTRLS, &cs) == 0,
		      "S_EXT_CTRLS %#x = %d: %s", id, value, strerror(errno));
}

/* vivid's own controls have private ids: look them up by name */
static uint32_t find_ctrl(int fd, const char *name)
{
	struct v4l2_queryctrl q = { .id = V4L2_CTRL_FLAG_NEXT_CTRL };

	while (ioctl(fd, VIDIOC_QUERYCTRL, &q) == 0) {
		if (strcmp((const char *)q.name, name) == 0)
			return q.id;
		q.id |= V4L2_CTRL_FLAG_NEXT_CTRL;
	}
	ck_abort_msg("no control \"%s\"", name);
	return 0;
}

static void stream(int fd, uint32_t type, bool on)
{
	ck_assert_msg(ioctl(fd, on ? VIDIOC_STREAMON : VIDIOC_STREAMOFF,
			    &type) == 0, "STREAM%s: %s", on ? "ON" : "OFF",
		      strerror(errno));
}

/* vivid's test pattern menu (drivers/media/common/v4l2-tpg) */
#define TPG_100_WHITE 6
#define TPG_100_RED 7
/* vivid's "OSD Text Mode" menu: All, Counters Only, None */
#define OSD_NONE 2

struct capture_case {
	uint32_t caps;		/* picks the vivid instance */
	uint32_t type;
	uint32_t fourcc;
	unsigned int flags;
	int pattern;
};

static const struct capture_case captures[] = {
	/* instance 0: single-planar, vmalloc */
	{ V4L2_CAP_VIDEO_CAPTURE, V4L2_BUF_TYPE_VIDEO_CAPTURE,
	  DRM_FORMAT_XRGB8888, 0, TPG_100_RED },
	{ V4L2_CAP_VIDEO_CAPTURE, V4L2_BUF_TYPE_VIDEO_CAPTURE,
	  DRM_FORMAT_NV12, 0, TPG_100_WHITE },
	/* instance 1: multi-planar, dma-contig */
	{ V4L2_CAP_VIDEO_CAPTURE_MPLANE, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE,
	  DRM_FORMAT_NV12, CMABUF_IMAGE_PER_PLANE, TPG_100_WHITE },
	{ V4L2_CAP_VIDEO_CAPTURE_MPLANE, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE,
	  DRM_FORMAT_YUV420, 0, TPG_100_WHITE },
	{ V4L2_CAP_VIDEO_CAPTURE_MPLANE, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE,
	  DRM_FORMAT_XRGB8888, 0, TPG_100_RED },
};

/*
 * Expected bytes of a solid pattern: 100% red is B=0 G=0 R=255 in
 * XRGB8888 memory order (sRGB, full range), 100% white is Y 235 and
 * Cb = Cr = 128 (limited range, the default for Y'CbCr). With the OSD
 * text off every row must hold the pattern. One code value of slack:
 * v4l2-tpg converts in 12-bit fixed point and its white comes out as
 * Y 234 (measured on 6.1); an unwritten (zeroed) buffer fails anyway.
 */
static void check_plane(const uint8_t *p, const struct cmabuf_layout *l,
			unsigned int i, int pattern)
{
	const struct cmabuf_plane_layout *pl = &l->planes[i];
	uint32_t row_bytes = pl->stride, x, y;

	if (l->fourcc == DRM_FORMAT_XRGB8888)
		row_bytes = l->width * 4;
	else if (i > 0 && l->fourcc == DRM_FORMAT_YUV420)
		row_bytes = l->width / 2;
	else
		row_bytes = l->width;
	for (y = 0; y < pl->height; y++) {
		const uint8_t *row = p + pl->offset + (size_t)y * pl->stride;

		for (x = 0; x < row_bytes; x++) {
			int expect;

			if (pattern == TPG_100_RED)
				expect = (x % 4) == 2 ? 255 :
					 (x % 4) == 3 ? -1 : 0;
			else
				expect = i == 0 ? 235 : 128;
			if (expect < 0)
				continue;
			/* per pixel: only a failure may reach Check, which
			 * records every passing assertion */
			if (!(row[x] >= expect - 1 && row[x] <= expect + 1))
				ck_abort_msg("plane %u (%u,%u): %u, expected "
					     "%d", i, x, y, row[x], expect);
		}
	}
}

START_TEST(test_vivid_capture)
{
	const struct capture_case *c = &captures[_i];
	struct cmabuf_image *img[2] = { NULL, NULL };
	struct v4l2_plane planes[VIDEO_MAX_PLANES];
	const struct cmabuf_layout *il;
	struct cmabuf_layout l;
	struct v4l2_buffer vb;
	uint32_t count = 2;
	unsigned int i, b;
	int fd = tu_open_video("vivid", c->caps);

	set_ctrl(fd, find_ctrl(fd, "Test Pattern"), c->pattern);
	set_ctrl(fd, find_ctrl(fd, "OSD Text Mode"), OSD_NONE);
	ck_assert_int_eq(cmabuf_v4l2_set_format(ctx, fd, c->type, c->fourcc,
						640, 480, c->flags, &l), 0);
	ck_assert_uint_eq(l.width, 640);
	ck_assert_uint_eq(l.height, 480);
	ck_assert_uint_eq(l.flags, c->flags);
	/* vivid's strides for 640 pixels are the library's own */
	ck_assert_uint_eq(l.planes[0].stride,
			  c->fourcc == DRM_FORMAT_XRGB8888 ? 2560 : 640);
	ck_assert_int_eq(cmabuf_v4l2_request_buffers(ctx, fd, c->type,
						     &count), 0);
	ck_assert_uint_eq(count, 2);
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(cmabuf_image_alloc_layout(cma, &l, &img[i]),
				 0);
		ck_assert_int_eq(cmabuf_v4l2_queue(img[i], fd, c->type, i), 0);
	}
	stream(fd, c->type, true);
	ck_assert_int_eq(cmabuf_v4l2_dequeue(ctx, fd, c->type, &vb, planes,
					     VIDEO_MAX_PLANES), 0);
	ck_assert_uint_lt(vb.index, 2);
	ck_assert_uint_eq(vb.memory, V4L2_MEMORY_DMABUF);
	ck_assert(!(vb.flags & V4L2_BUF_FLAG_ERROR));
	if (c->type == V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE) {
		ck_assert_uint_eq(vb.length,
				  cmabuf_image_get_num_buffers(img[vb.index]));
		ck_assert_int_eq(planes[0].m.fd, cmabuf_get_fd(
				 cmabuf_image_get_buffer(img[vb.index], 0)));
	} else {
		ck_assert_int_eq(vb.m.fd, cmabuf_get_fd(
				 cmabuf_image_get_buffer(img[vb.index], 0)));
		ck_assert_uint_ge(vb.bytesused, l.size);
	}

	il = cmabuf_image_get_layout(img[vb.index]);
	for (b = 0; b < cmabuf_image_get_num_buffers(img[vb.index]); b++) {
		struct cmabuf *buf = cmabuf_image_get_buffer(img[vb.index], b);
		uint8_t *p = NULL;

		ck_assert_int_eq(cmabuf_map(buf, CMABUF_MAP_READ, (void **)&p),
				 0);
		ck_assert_int_eq(cmabuf_sync_begin(buf, CMABUF_SYNC_READ), 0);
		for (i = 0; i < il->num_planes; i++)
			if (cmabuf_image_get_buffer(img[vb.index], i) == buf)
				check_plane(p, il, i, c->pattern);
		ck_assert_int_eq(cmabuf_sync_end(buf, CMABUF_SYNC_READ), 0);
		ck_assert_int_eq(cmabuf_unmap(buf), 0);
	}
	stream(fd, c->type, false);
	count = 0;
	ck_assert_int_eq(cmabuf_v4l2_request_buffers(ctx, fd, c->type,
						     &count), 0);
	for (i = 0; i < 2; i++)
		ck_assert_ptr_null(cmabuf_image_unref(img[i]));
	close(fd);
}
END_TEST

START_TEST(test_dequeue_nonblocking_empty)
{
	struct v4l2_buffer vb;
	uint32_t count = 1, type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	int fd = tu_open_video("vivid", V4L2_CAP_VIDEO_CAPTURE);

	ck_assert_int_eq(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	ck_assert_int_eq(cmabuf_v4l2_request_buffers(ctx, fd, type, &count),
			 0);
	stream(fd, type, true);
	/* streaming, nothing queued: EAGAIN at once, not a busy loop */
	ck_assert_int_eq(cmabuf_v4l2_dequeue(ctx, fd, type, &vb, NULL, 0),
			 -EAGAIN);
	stream(fd, type, false);
	count = 0;
	ck_assert_int_eq(cmabuf_v4l2_request_buffers(ctx, fd, type, &count),
			 0);
	close(fd);
}
END_TEST

START_TEST(test_wrong_queue_shape)
{
	struct cmabuf_image *img = NULL;
	struct v4l2_buffer vb;
	uint32_t count = 1;
	int fd = tu_open_video("vivid", V4L2_CAP_VIDEO_CAPTURE);

	/* a buffer per plane cannot go to a single-planar queue */
	ck_assert_int_eq(cmabuf_image_alloc(cma, DRM_FORMAT_NV12, 640, 480, 0,
					    CMABUF_IMAGE_PER_PLANE, &img), 0);
	ck_assert_int_eq(cmabuf_v4l2_fill_buffer(img,
			V4L2_BUF_TYPE_VIDEO_CAPTURE, 0, &vb, NULL, 0), -EINVAL);
	ck_assert(tu_log_contains("needs an _MPLANE queue"));
	/* the multi-planar type on a single-planar driver: kernel says no */
	ck_assert_int_eq(cmabuf_v4l2_request_buffers(ctx, fd,
			V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, &count), -EINVAL);
	ck_assert(tu_log_contains("VIDIOC_REQBUFS"));
	cmabuf_image_unref(img);
	close(fd);
}
END_TEST

START_TEST(test_system_heap_rejected_by_dma_contig)
{
	uint32_t type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, count = 1;
	struct cmabuf_heap *sys = NULL;
	struct cmabuf_image *img = NULL;
	struct cmabuf_layout l;
	int fd = tu_open_video("vivid", V4L2_CAP_VIDEO_CAPTURE_MPLANE);
	int ret;

	ck_assert_int_eq(cmabuf_heap_open(ctx, "system", 0, &sys), 0);
	ck_assert_int_eq(cmabuf_v4l2_set_format(ctx, fd, type,
			DRM_FORMAT_XRGB8888, 640, 480, 0, &l), 0);
	ck_assert_int_eq(cmabuf_v4l2_request_buffers(ctx, fd, type, &count),
			 0);
	/* 1.2 MB from the system heap: 1 MiB + 64 KiB + 4 KiB chunks */
	ck_assert_int_eq(cmabuf_image_alloc_layout(sys, &l, &img), 0);
	ck_assert_int_eq(cmabuf_is_contiguous(cmabuf_image_get_buffer(img, 0)),
			 0);
	tu_log_reset();
	ret = cmabuf_v4l2_queue(img, fd, type, 0);
	/* vb2_dc_map_dmabuf: "DMA buffer is not contiguous" */
	ck_assert_int_eq(ret, -EFAULT);
	ck_assert(tu_log_contains("VIDIOC_QBUF of DMABUF buffer 0"));
	count = 0;
	ck_assert_int_eq(cmabuf_v4l2_request_buffers(ctx, fd, type, &count),
			 0);
	cmabuf_image_unref(img);
	cmabuf_heap_unref(sys);
	close(fd);
}
END_TEST

static void fill_rgb(struct cmabuf_image *img)
{
	const struct cmabuf_layout *l = cmabuf_image_get_layout(img);
	struct cmabuf *buf = cmabuf_image_get_buffer(img, 0);
	uint8_t *p = NULL;
	uint32_t x, y;

	ck_assert_int_eq(cmabuf_map(buf, CMABUF_MAP_RW, (void **)&p), 0);
	ck_assert_int_eq(cmabuf_sync_begin(buf, CMABUF_SYNC_WRITE), 0);
	for (y = 0; y < l->height; y++) {
		uint8_t *row = p + (size_t)y * l->planes[0].stride;

		for (x = 0; x < l->width; x++) {
			row[3 * x] = (uint8_t)x;
			row[3 * x + 1] = (uint8_t)y;
			row[3 * x + 2] = (uint8_t)(0x40 + (x >> 8));
		}
	}
	ck_assert_int_eq(cmabuf_sync_end(buf, CMABUF_SYNC_WRITE), 0);
	ck_assert_int_eq(cmabuf_unmap(buf), 0);
}

/*
 * vim2m with the same format and size on both queues and V4L2_CID_HFLIP
 * copies each line mirrored (vim2m.c, device_process, copy_line):
 * output pixel x = input pixel width - 1 - x.
 */
START_TEST(test_vim2m_hflip)
{
	uint32_t out = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	uint32_t cap = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	struct cmabuf_image *in = NULL, *res = NULL;
	struct cmabuf_layout lin, lout;
	struct v4l2_buffer vb;
	uint32_t count = 1, x, y;
	struct cmabuf *buf;
	uint8_t *p = NULL;
	int fd = tu_open_video("vim2m", V4L2_CAP_VIDEO_M2M);

	set_ctrl(fd, V4L2_CID_HFLIP, 1);
	ck_assert_int_eq(cmabuf_v4l2_set_format(ctx, fd, out,
			DRM_FORMAT_BGR888, 640, 480, 0, &lin), 0);
	ck_assert_int_eq(cmabuf_v4l2_set_format(ctx, fd, cap,
			DRM_FORMAT_BGR888, 640, 480, 0, &lout), 0);
	ck_assert_uint_eq(lin.planes[0].stride, 1920);
	ck_assert_uint_eq(lout.planes[0].stride, 1920);
	ck_assert_int_eq(cmabuf_v4l2_request_buffers(ctx, fd, out, &count), 0);
	count = 1;
	ck_assert_int_eq(cmabuf_v4l2_request_buffers(ctx, fd, cap, &count), 0);
	ck_assert_int_eq(cmabuf_image_alloc_layout(cma, &lin, &in), 0);
	ck_assert_int_eq(cmabuf_image_alloc_layout(cma, &lout, &res), 0);
	fill_rgb(in);
	ck_assert_int_eq(cmabuf_v4l2_queue(in, fd, out, 0), 0);
	ck_assert_int_eq(cmabuf_v4l2_queue(res, fd, cap, 0), 0);
	stream(fd, out, true);
	stream(fd, cap, true);
	ck_assert_int_eq(cmabuf_v4l2_dequeue(ctx, fd, cap, &vb, NULL, 0), 0);
	ck_assert_uint_eq(vb.index, 0);
	ck_assert(!(vb.flags & V4L2_BUF_FLAG_ERROR));
	ck_assert_int_eq(cmabuf_v4l2_dequeue(ctx, fd, out, &vb, NULL, 0), 0);

	buf = cmabuf_image_get_buffer(res, 0);
	ck_assert_int_eq(cmabuf_map(buf, CMABUF_MAP_READ, (void **)&p), 0);
	ck_assert_int_eq(cmabuf_sync_begin(buf, CMABUF_SYNC_READ), 0);
	for (y = 0; y < 480; y++) {
		const uint8_t *row = p + (size_t)y * 1920;

		for (x = 0; x < 640; x++) {
			uint32_t sx = 639 - x;

			if (row[3 * x] != (uint8_t)sx ||
			    row[3 * x + 1] != (uint8_t)y ||
			    row[3 * x + 2] != (uint8_t)(0x40 + (sx >> 8)))
				ck_abort_msg("(%u,%u) = %02x %02x %02x, not the "
					     "mirror of input pixel %u", x, y,
					     row[3 * x], row[3 * x + 1],
					     row[3 * x + 2], sx);
		}
	}
	ck_assert_int_eq(cmabuf_sync_end(buf, CMABUF_SYNC_READ), 0);
	ck_assert_int_eq(cmabuf_unmap(buf), 0);
	stream(fd, cap, false);
	stream(fd, out, false);
	cmabuf_image_unref(in);
	cmabuf_image_unref(res);
	close(fd);
}
END_TEST

/* a driver's own (MMAP) buffer as a cmabuf, handed on to vgem */
START_TEST(test_vivid_expbuf_into_vgem)
{
	struct v4l2_requestbuffers req = {
		.count = 1, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_MMAP,
	};
	struct cmabuf_layout l;
	struct cmabuf *buf = NULL;
	uint32_t handle = 0, count = 1;
	uint8_t *p = NULL;
	int fd = tu_open_video("vivid", V4L2_CAP_VIDEO_CAPTURE);
	int vgem = tu_open_drm("vgem", true);

	ck_assert_int_eq(cmabuf_v4l2_set_format(ctx, fd, req.type,
			DRM_FORMAT_XRGB8888, 640, 480, 0, &l), 0);
	ck_assert_int_eq(ioctl(fd, VIDIOC_REQBUFS, &req), 0);
	ck_assert_uint_ge(req.count, 1);
	ck_assert_int_eq(cmabuf_v4l2_export(ctx, fd, req.type, 0, 0, &buf), 0);
	ck_assert_uint_ge(cmabuf_get_size(buf), l.size);
	ck_assert_ptr_nonnull(cmabuf_get_heap_name(buf));
	ck_assert_int_eq(fcntl(cmabuf_get_fd(buf), F_GETFD), FD_CLOEXEC);
	ck_assert_int_eq(cmabuf_map(buf, CMABUF_MAP_RW, (void **)&p), 0);
	ck_assert_int_eq(cmabuf_unmap(buf), 0);
	ck_assert_int_eq(cmabuf_drm_import(buf, vgem, &handle), 0);
	ck_assert_uint_ne(handle, 0);
	ck_assert_int_eq(cmabuf_drm_close_handle(ctx, vgem, handle), 0);

	/* no such buffer index */
	ck_assert_int_eq(cmabuf_v4l2_export(ctx, fd, req.type, 7, 0, NULL),
			 -EINVAL);
	cmabuf_unref(buf);
	buf = NULL;
	ck_assert_int_eq(cmabuf_v4l2_export(ctx, fd, req.type, 7, 0, &buf),
			 -EINVAL);
	ck_assert(tu_log_contains("VIDIOC_EXPBUF of buffer 7"));
	req.count = 0;
	ck_assert_int_eq(ioctl(fd, VIDIOC_REQBUFS, &req), 0);
	/* a DMABUF queue has nothing to export */
	ck_assert_int_eq(cmabuf_v4l2_request_buffers(ctx, fd, req.type,
						     &count), 0);
	ck_assert_int_eq(cmabuf_v4l2_export(ctx, fd, req.type, 0, 0, &buf),
			 -EINVAL);
	ck_assert_ptr_null(buf);
	count = 0;
	ck_assert_int_eq(cmabuf_v4l2_request_buffers(ctx, fd, req.type,
						     &count), 0);
	close(vgem);
	close(fd);
}
END_TEST

/*
 * 300 frames through an image pool of 4 on vivid's dma-contig instance.
 * The dequeued image is held for one more frame (as on a screen), so the
 * pool hands back another image than the one just dequeued and the queue
 * order rotates through the indices: the binding must come from
 * cmabuf_image_get_index(), not from the order. Each V4L2 index must
 * only ever carry one dma-buf (inode), as the kernel reports it back.
 */
#define POOL_FRAMES 300
#define POOL_IMAGES 4

static ino_t fd_inode(int fd)
{
	struct stat st;

	ck_assert_int_eq(fstat(fd, &st), 0);
	return st.st_ino;
}

static unsigned int queue_pooled(struct cmabuf_image_pool *pool, int fd,
				 struct cmabuf_image **at)
{
	struct cmabuf_image *img = NULL;
	int index;

	ck_assert_int_eq(cmabuf_image_pool_acquire(pool, &img), 0);
	index = cmabuf_image_get_index(img);
	ck_assert_int_ge(index, 0);
	ck_assert_int_lt(index, POOL_IMAGES);
	ck_assert_ptr_null(at[index]);	/* not queued twice */
	at[index] = img;
	ck_assert_int_eq(cmabuf_v4l2_queue(img, fd,
			 V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, (uint32_t)index),
			 0);
	return (unsigned int)index;
}

START_TEST(test_image_pool_binds_one_dmabuf_per_index)
{
	const uint32_t type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	struct cmabuf_image *at[POOL_IMAGES] = { NULL }, *shown = NULL;
	struct v4l2_plane planes[VIDEO_MAX_PLANES];
	ino_t seen[POOL_IMAGES] = { 0 };
	unsigned int frame, i, queued_at_other = 0;
	struct cmabuf_image_pool *pool = NULL;
	struct cmabuf_pool_stats st;
	struct cmabuf_layout l;
	struct v4l2_buffer vb;
	uint32_t count = POOL_IMAGES;
	int fd = tu_open_video("vivid", V4L2_CAP_VIDEO_CAPTURE_MPLANE);

	ck_assert_int_eq(cmabuf_v4l2_set_format(ctx, fd, type,
			 DRM_FORMAT_NV12, 320, 240, 0, &l), 0);
	ck_assert_int_eq(cmabuf_v4l2_request_buffers(ctx, fd, type, &count),
			 0);
	ck_assert_uint_eq(count, POOL_IMAGES);
	ck_assert_int_eq(cmabuf_image_pool_new(cma, &l, 0, POOL_IMAGES, 0,
					       &pool), 0);
	for (i = 0; i + 1 < POOL_IMAGES; i++)
		queue_pooled(pool, fd, at);
	stream(fd, type, true);
	for (frame = 0; frame < POOL_FRAMES; frame++) {
		struct cmabuf_image *img;
		ino_t ino;

		ck_assert_int_eq(cmabuf_v4l2_dequeue(ctx, fd, type, &vb,
				 planes, VIDEO_MAX_PLANES), 0);
		ck_assert_uint_lt(vb.index, POOL_IMAGES);
		img = at[vb.index];
		ck_assert_ptr_nonnull(img);
		at[vb.index] = NULL;
		ck_assert_int_eq(cmabuf_image_get_index(img), (int)vb.index);
		/* the kernel's fd for this index is the image's dma-buf */
		ino = fd_inode(planes[0].m.fd);
		ck_assert_msg(seen[vb.index] == 0 || seen[vb.index] == ino,
			      "frame %u: index %u carried inode %lu, then "
			      "%lu", frame, vb.index,
			      (unsigned long)seen[vb.index],
			      (unsigned long)ino);
		seen[vb.index] = ino;
		ck_assert_uint_eq(ino, fd_inode(cmabuf_get_fd(
				  cmabuf_image_get_buffer(img, 0))));
		/* the frame shown before goes back, this one is shown */
		if (shown)
			ck_assert_int_eq(cmabuf_image_pool_release(pool, shown,
								   -1), 0);
		shown = img;
		queued_at_other += queue_pooled(pool, fd, at) != vb.index;
	}
	/* the pool's order was not V4L2's: the index did the binding */
	ck_assert_uint_gt(queued_at_other, POOL_FRAMES / 2);
	printf("image pool: %u frames, %u queued at another index than the "
	       "dequeued one, one inode per index\n", POOL_FRAMES,
	       queued_at_other);
	stream(fd, type, false);
	for (i = 0; i < POOL_IMAGES; i++) {
		ck_assert_uint_ne(seen[i], 0);	/* every index was used */
		if (at[i])
			ck_assert_int_eq(cmabuf_image_pool_release(pool, at[i],
								   -1), 0);
	}
	ck_assert_int_eq(cmabuf_image_pool_release(pool, shown, -1), 0);
	ck_assert_int_eq(cmabuf_image_pool_get_stats(pool, &st), 0);
	/* four images for 300 frames: the pool recycled, never grew */
	ck_assert_uint_eq(st.allocations, POOL_IMAGES);
	ck_assert_uint_eq(st.in_use, 0);
	count = 0;
	ck_assert_int_eq(cmabuf_v4l2_request_buffers(ctx, fd, type, &count),
			 0);
	ck_assert_ptr_null(cmabuf_image_pool_unref(pool));
	close(fd);
}
END_TEST

static Suite *v4l2_suite(void)
{
	Suite *s = suite_create("vm-v4l2");
	TCase *tc = tcase_create("v4l2");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_vivid_capture, 0,
			    sizeof(captures) / sizeof(captures[0]));
	tcase_add_test(tc, test_dequeue_nonblocking_empty);
	tcase_add_test(tc, test_wrong_queue_shape);
	tcase_add_test(tc, test_system_heap_rejected_by_dma_contig);
	tcase_add_test(tc, test_vim2m_hflip);
	tcase_add_test(tc, test_vivid_expbuf_into_vgem);
	tcase_add_test(tc, test_image_pool_binds_one_dmabuf_per_index);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	if (tu_missing_cma())
		return tu_cannot_run(tu_missing_cma());
	if (access("/dev/video0", F_OK) != 0)
		return tu_cannot_run("no /dev/video0 (vivid, vim2m)");
	return tu_run(v4l2_suite());
}
