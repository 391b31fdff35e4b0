// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * V4L2 queues on cmabuf images: formats into layouts, V4L2_MEMORY_DMABUF
 * queueing, and driver buffers exported with VIDIOC_EXPBUF.
 *
 * One V4L2 plane per buffer of the image: a single-buffer image goes with
 * the single-buffer pixel formats (NV12), an image with a buffer per plane
 * with the M formats (NV12M) on an _MPLANE queue.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include "libcmabuf-private.h"

static bool type_is_mplane(uint32_t type)
{
	return type == V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE ||
	       type == V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
}

static bool type_is_output(uint32_t type)
{
	return type == V4L2_BUF_TYPE_VIDEO_OUTPUT ||
	       type == V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
}

static bool type_valid(uint32_t type)
{
	return type_is_mplane(type) || type == V4L2_BUF_TYPE_VIDEO_CAPTURE ||
	       type == V4L2_BUF_TYPE_VIDEO_OUTPUT;
}

/*
 * ioctl() restarted on EINTR only: a non-blocking DQBUF answers EAGAIN
 * and that must reach the caller.
 */
static int xioctl(int fd, unsigned long request, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, request, arg);
	} while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : 0;
}

static int check_args(struct cmabuf_ctx *ctx, int video_fd, uint32_t type)
{
	if (video_fd < 0) {
		log_bug_client(ctx, "invalid video fd %d\n", video_fd);
		return -EBADF;
	}
	if (!type_valid(type)) {
		log_bug_client(ctx, "buffer type %u is not a video capture "
			       "or output type\n", type);
		return -EINVAL;
	}
	return 0;
}

/* the driver's plane sizes may exceed stride * rows: keep the larger */
static void plane_adjust(struct cmabuf_plane_layout *p, uint32_t stride,
			 uint64_t sizeimage)
{
	uint64_t size;

	if (stride) {
		p->stride = stride;
		size = (uint64_t)stride * p->height;
		if (size > p->size && size <= UINT32_MAX)
			p->size = (uint32_t)size;
	}
	if (sizeimage > p->size)
		p->size = (uint32_t)sizeimage;
}

/*
 * Planes in one buffer: the driver gives the luma stride and the image
 * size; the rest follows from the format.
 */
static int layout_from_single(struct cmabuf_layout *l, uint32_t fourcc,
			      uint32_t w, uint32_t h, uint32_t stride,
			      uint32_t sizeimage)
{
	struct cmabuf_plane_layout *last;
	int ret;

	ret = layout_from_stride(l, fourcc, w, h, stride, 0);
	if (ret < 0)
		return ret;
	last = &l->planes[l->num_planes - 1];
	if (sizeimage > l->size) {
		last->size += (uint32_t)(sizeimage - l->size);
		l->size = sizeimage;
	}
	return 0;
}

static void log_fmt(struct cmabuf_ctx *ctx, const char *what,
		    uint32_t pixfmt)
{
	err(ctx, "%s pixel format %.4s (%#010x)\n", what,
	    (const char *)&pixfmt, pixfmt);
}

CMABUF_EXPORT int cmabuf_v4l2_set_format(struct cmabuf_ctx *ctx,
					 int video_fd, uint32_t type,
					 uint32_t drm_fourcc, uint32_t width,
					 uint32_t height, unsigned int flags,
					 struct cmabuf_layout *layout)
{
	bool per_plane = flags & CMABUF_IMAGE_PER_PLANE;
	struct v4l2_format fmt = { .type = type };
	uint32_t pixfmt;
	unsigned int i;
	int ret;

	if (!ctx || !layout)
		return -EINVAL;
	ret = check_args(ctx, video_fd, type);
	if (ret < 0)
		return ret;
	if ((flags & ~CMABUF_IMAGE_PER_PLANE) ||
	    (per_plane && !type_is_mplane(type))) {
		log_bug_client(ctx, "bad flags %#x for buffer type %u\n",
			       flags, type);
		return -EINVAL;
	}
	pixfmt = cmabuf_fourcc_to_v4l2(drm_fourcc,
				       per_plane ? CMABUF_V4L2_MPLANE : 0);
	if (!pixfmt || width == 0 || height == 0) {
		log_bug_client(ctx, "no V4L2 format for %.4s %ux%u\n",
			       (const char *)&drm_fourcc, width, height);
		return -EINVAL;
	}
	if (type_is_mplane(type)) {
		fmt.fmt.pix_mp.pixelformat = pixfmt;
		fmt.fmt.pix_mp.width = width;
		fmt.fmt.pix_mp.height = height;
		fmt.fmt.pix_mp.field = V4L2_FIELD_NONE;
	} else {
		fmt.fmt.pix.pixelformat = pixfmt;
		fmt.fmt.pix.width = width;
		fmt.fmt.pix.height = height;
		fmt.fmt.pix.field = V4L2_FIELD_NONE;
	}
	ret = xioctl(video_fd, VIDIOC_S_FMT, &fmt);
	if (ret < 0) {
		err(ctx, "VIDIOC_S_FMT on fd %d: %s\n", video_fd,
		    strerror(-ret));
		return ret;
	}
	if (!type_is_mplane(type)) {
		struct v4l2_pix_format *pix = &fmt.fmt.pix;

		if (pix->pixelformat != pixfmt) {
			log_fmt(ctx, "driver does not take", pixfmt);
			return -EINVAL;
		}
		ret = layout_from_single(layout, drm_fourcc, pix->width,
					 pix->height, pix->bytesperline,
					 pix->sizeimage);
		goto out;
	}
	if (fmt.fmt.pix_mp.pixelformat != pixfmt) {
		log_fmt(ctx, "driver does not take", pixfmt);
		return -EINVAL;
	}
	if (!per_plane) {
		struct v4l2_plane_pix_format *pf = &fmt.fmt.pix_mp.plane_fmt[0];

		ret = layout_from_single(layout, drm_fourcc,
					 fmt.fmt.pix_mp.width,
					 fmt.fmt.pix_mp.height,
					 pf->bytesperline, pf->sizeimage);
		goto out;
	}
	ret = layout_from_stride(layout, drm_fourcc, fmt.fmt.pix_mp.width,
				 fmt.fmt.pix_mp.height,
				 fmt.fmt.pix_mp.plane_fmt[0].bytesperline,
				 CMABUF_IMAGE_PER_PLANE);
	if (ret == 0 && fmt.fmt.pix_mp.num_planes != layout->num_planes)
		ret = -EINVAL;
	for (i = 0; ret == 0 && i < layout->num_planes; i++) {
		struct v4l2_plane_pix_format *pf = &fmt.fmt.pix_mp.plane_fmt[i];

		plane_adjust(&layout->planes[i], pf->bytesperline,
			     pf->sizeimage);
	}
	if (ret == 0) {
		layout->size = 0;
		for (i = 0; i < layout->num_planes; i++)
			layout->size += layout->planes[i].size;
	}
out:
	if (ret < 0)
		err(ctx, "driver format %.4s does not give a usable layout\n",
		    (const char *)&pixfmt);
	return ret;
}

CMABUF_EXPORT int cmabuf_v4l2_request_buffers(struct cmabuf_ctx *ctx,
					      int video_fd, uint32_t type,
					      uint32_t *count)
{
	struct v4l2_requestbuffers req = { 0 };
	int ret;

	if (!ctx || !count)
		return -EINVAL;
	ret = check_args(ctx, video_fd, type);
	if (ret < 0)
		return ret;
	req.count = *count;
	req.type = type;
	req.memory = V4L2_MEMORY_DMABUF;
	ret = xioctl(video_fd, VIDIOC_REQBUFS, &req);
	if (ret < 0) {
		err(ctx, "VIDIOC_REQBUFS (%u DMABUF buffers) on fd %d: %s\n",
		    *count, video_fd, strerror(-ret));
		return ret;
	}
	dbg(ctx, "fd %d: %u DMABUF buffers requested, %u granted\n",
	    video_fd, *count, req.count);
	*count = req.count;
	return 0;
}

static uint32_t image_buffer_bytes(const struct cmabuf_image *img,
				   unsigned int b)
{
	const struct cmabuf_layout *l = &img->layout;
	uint64_t end = 0;
	unsigned int i;

	if (img->num_bufs > 1)
		return l->planes[b].offset + l->planes[b].size;
	for (i = 0; i < l->num_planes; i++)
		if (l->planes[i].offset + (uint64_t)l->planes[i].size > end)
			end = l->planes[i].offset + (uint64_t)l->planes[i].size;
	return (uint32_t)end;
}

CMABUF_EXPORT int cmabuf_v4l2_fill_buffer(const struct cmabuf_image *img,
					  uint32_t type, uint32_t index,
					  struct v4l2_buffer *vb,
					  struct v4l2_plane *planes,
					  unsigned int num_planes)
{
	unsigned int b;

	if (!img || !vb)
		return -EINVAL;
	if (!type_valid(type)) {
		log_bug_client(img->ctx, "buffer type %u is not a video "
			       "capture or output type\n", type);
		return -EINVAL;
	}
	memset(vb, 0, sizeof(*vb));
	vb->type = type;
	vb->index = index;
	vb->memory = V4L2_MEMORY_DMABUF;
	if (type_is_output(type))
		vb->field = V4L2_FIELD_NONE;
	if (!type_is_mplane(type)) {
		if (img->num_bufs != 1) {
			log_bug_client(img->ctx, "an image with a buffer per "
				       "plane needs an _MPLANE queue\n");
			return -EINVAL;
		}
		vb->m.fd = img->bufs[0]->fd;
		vb->length = (uint32_t)img->bufs[0]->size;
		vb->bytesused = image_buffer_bytes(img, 0);
		return 0;
	}
	if (!planes || num_planes < img->num_bufs) {
		log_bug_client(img->ctx, "%u v4l2_plane entries for %u "
			       "buffers\n", planes ? num_planes : 0,
			       img->num_bufs);
		return -EINVAL;
	}
	memset(planes, 0, sizeof(*planes) * img->num_bufs);
	for (b = 0; b < img->num_bufs; b++) {
		planes[b].m.fd = img->bufs[b]->fd;
		planes[b].length = (uint32_t)img->bufs[b]->size;
		planes[b].bytesused = image_buffer_bytes(img, b);
	}
	vb->m.planes = planes;
	vb->length = img->num_bufs;
	return 0;
}

CMABUF_EXPORT int cmabuf_v4l2_queue(struct cmabuf_image *img, int video_fd,
				    uint32_t type, uint32_t index)
{
	struct v4l2_plane planes[VIDEO_MAX_PLANES];
	struct v4l2_buffer vb;
	int ret;

	if (!img)
		return -EINVAL;
	ret = check_args(img->ctx, video_fd, type);
	if (ret < 0)
		return ret;
	ret = cmabuf_v4l2_fill_buffer(img, type, index, &vb, planes,
				      VIDEO_MAX_PLANES);
	if (ret < 0)
		return ret;
	ret = xioctl(video_fd, VIDIOC_QBUF, &vb);
	if (ret < 0)
		err(img->ctx, "VIDIOC_QBUF of DMABUF buffer %u (fd %d) on fd "
		    "%d: %s\n", index, img->bufs[0]->fd, video_fd,
		    strerror(-ret));
	return ret;
}

CMABUF_EXPORT int cmabuf_v4l2_dequeue(struct cmabuf_ctx *ctx, int video_fd,
				      uint32_t type, struct v4l2_buffer *vb,
				      struct v4l2_plane *planes,
				      unsigned int num_planes)
{
	int ret;

	if (!ctx || !vb)
		return -EINVAL;
	ret = check_args(ctx, video_fd, type);
	if (ret < 0)
		return ret;
	if (type_is_mplane(type) && (!planes || num_planes == 0)) {
		log_bug_client(ctx, "_MPLANE dequeue needs v4l2_plane "
			       "entries\n");
		return -EINVAL;
	}
	memset(vb, 0, sizeof(*vb));
	vb->type = type;
	vb->memory = V4L2_MEMORY_DMABUF;
	if (type_is_mplane(type)) {
		memset(planes, 0, sizeof(*planes) * num_planes);
		vb->m.planes = planes;
		vb->length = num_planes;
	}
	ret = xioctl(video_fd, VIDIOC_DQBUF, vb);
	if (ret < 0 && ret != -EAGAIN)
		err(ctx, "VIDIOC_DQBUF on fd %d: %s\n", video_fd,
		    strerror(-ret));
	return ret;
}

CMABUF_EXPORT int cmabuf_v4l2_export(struct cmabuf_ctx *ctx, int video_fd,
				     uint32_t type, uint32_t index,
				     uint32_t plane, struct cmabuf **out)
{
	struct v4l2_exportbuffer exp = { 0 };
	int ret;

	if (!ctx || !out)
		return -EINVAL;
	ret = check_args(ctx, video_fd, type);
	if (ret < 0)
		return ret;
	exp.type = type;
	exp.index = index;
	exp.plane = plane;
	exp.flags = O_CLOEXEC | O_RDWR;
	ret = xioctl(video_fd, VIDIOC_EXPBUF, &exp);
	if (ret < 0) {
		err(ctx, "VIDIOC_EXPBUF of buffer %u plane %u on fd %d: %s "
		    "(MMAP queues only)\n", index, plane, video_fd,
		    strerror(-ret));
		return ret;
	}
	/* import dups the fd: close the kernel's own after wrapping */
	ret = cmabuf_import(ctx, exp.fd, out);
	close(exp.fd);
	return ret;
}
