// SPDX-License-Identifier: MIT
/*
 * Example code under the MIT license (examples/COPYING): copy it into a
 * program under any license. The library it links is LGPL-2.1-or-later.
 *
 * capture-display: zero-copy V4L2 capture to a DRM display with libcmabuf.
 *
 * A capture device writes frames into CMA images (V4L2_MEMORY_DMABUF),
 * and the very same buffers are scanned out as DRM framebuffers: no
 * frame is ever copied by the CPU. Each captured frame is page-flipped
 * onto the CRTC, and the buffer it replaces goes back to the capture
 * queue.
 *
 *   capture-display [-n FRAMES] [-v /dev/videoN] [-d /dev/dri/cardN]
 *
 * Without -v/-d it looks for vivid (single-planar capture) and vkms, the
 * kernel's virtual camera and display, by driver name. Needs DRM master
 * (no other display server on the card) and access to the CMA heap.
 *
 * Build: cc capture-display.c $(pkg-config --cflags --libs libcmabuf libdrm)
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <linux/videodev2.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include <cmabuf.h>

#define NUM_BUFS 3

struct display {
	int fd;
	uint32_t crtc, connector;
	drmModeModeInfo *modes;
	int num_modes;
	bool flip_pending;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int open_video(const char *path)
{
	int i;

	if (path)
		return open(path, O_RDWR | O_CLOEXEC);
	for (i = 0; i < 64; i++) {
		struct v4l2_capability cap = { 0 };
		char p[32];
		int fd;

		snprintf(p, sizeof(p), "/dev/video%d", i);
		fd = open(p, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (ioctl(fd, VIDIOC_QUERYCAP, &cap) == 0 &&
		    strcmp((const char *)cap.driver, "vivid") == 0 &&
		    (cap.device_caps & V4L2_CAP_VIDEO_CAPTURE) &&
		    (cap.device_caps & V4L2_CAP_STREAMING))
			return fd;
		close(fd);
	}
	errno = ENODEV;
	return -1;
}

static int open_card(const char *path)
{
	int i;

	if (path)
		return open(path, O_RDWR | O_CLOEXEC);
	for (i = 0; i < 64; i++) {
		drmVersionPtr v;
		char p[32];
		int fd;

		snprintf(p, sizeof(p), "/dev/dri/card%d", i);
		fd = open(p, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		v = drmGetVersion(fd);
		if (v && strcmp(v->name, "vkms") == 0) {
			drmFreeVersion(v);
			return fd;
		}
		drmFreeVersion(v);
		close(fd);
	}
	errno = ENODEV;
	return -1;
}

/* the first connected connector, its modes and a CRTC for it */
static int find_output(struct display *d)
{
	drmModeResPtr res = drmModeGetResources(d->fd);
	int i;

	if (!res)
		return -errno;
	for (i = 0; i < res->count_connectors && !d->connector; i++) {
		drmModeConnectorPtr c = drmModeGetConnector(d->fd,
							    res->connectors[i]);

		if (c && c->connection == DRM_MODE_CONNECTED &&
		    c->count_modes > 0) {
			d->connector = c->connector_id;
			d->num_modes = c->count_modes;
			d->modes = malloc(sizeof(*d->modes) * c->count_modes);
			if (d->modes)
				memcpy(d->modes, c->modes,
				       sizeof(*d->modes) * c->count_modes);
		}
		drmModeFreeConnector(c);
	}
	if (res->count_crtcs > 0)
		d->crtc = res->crtcs[0];
	drmModeFreeResources(res);
	return d->connector && d->crtc && d->modes ? 0 : -ENODEV;
}

/*
 * A display mode whose size the camera delivers exactly: the primary
 * plane must cover the whole CRTC, so the frame must be mode-sized.
 */
static drmModeModeInfo *pick_mode(struct cmabuf_ctx *ctx, int video,
				  struct display *d,
				  struct cmabuf_layout *layout)
{
	int i;

	for (i = 0; i < d->num_modes; i++) {
		drmModeModeInfo *m = &d->modes[i];

		if (cmabuf_v4l2_set_format(ctx, video,
				V4L2_BUF_TYPE_VIDEO_CAPTURE,
				DRM_FORMAT_XRGB8888, m->hdisplay, m->vdisplay,
				0, layout) == 0 &&
		    layout->width == m->hdisplay &&
		    layout->height == m->vdisplay)
			return m;
	}
	return NULL;
}

static void flip_done(int fd, unsigned int seq, unsigned int sec,
		      unsigned int usec, void *data)
{
	struct display *d = data;

	(void)fd; (void)seq; (void)sec; (void)usec;
	d->flip_pending = false;
}

static int wait_flip(struct display *d)
{
	drmEventContext ev = {
		.version = 2, .page_flip_handler = flip_done,
	};
	struct pollfd pfd = { .fd = d->fd, .events = POLLIN };

	while (d->flip_pending) {
		if (poll(&pfd, 1, 5000) <= 0)
			return -ETIMEDOUT;
		if (drmHandleEvent(d->fd, &ev) != 0)
			return -EIO;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *video_path = NULL, *card_path = NULL;
	uint32_t type = V4L2_BUF_TYPE_VIDEO_CAPTURE, count = NUM_BUFS;
	struct cmabuf_image *img[NUM_BUFS] = { NULL };
	uint32_t fb[NUM_BUFS] = { 0 };
	struct display d = { .fd = -1 };
	struct cmabuf_ctx *ctx = NULL;
	struct cmabuf_heap *heap = NULL;
	struct cmabuf_layout layout;
	drmModeModeInfo *mode;
	int frames = 30, video = -1, ret = 1, shown = -1, opt, i, n;
	double t0, prev, start = 0;

	while ((opt = getopt(argc, argv, "n:v:d:")) != -1) {
		switch (opt) {
		case 'n': frames = atoi(optarg); break;
		case 'v': video_path = optarg; break;
		case 'd': card_path = optarg; break;
		default:
			fprintf(stderr, "usage: %s [-n FRAMES] [-v VIDEO] "
				"[-d CARD]\n", argv[0]);
			return 2;
		}
	}
	if (frames < 1)
		frames = 1;
	if (cmabuf_ctx_new(&ctx) < 0 ||
	    cmabuf_heap_open(ctx, NULL, 0, &heap) < 0) {
		fprintf(stderr, "no CMA heap\n");
		goto out;
	}
	video = open_video(video_path);
	d.fd = open_card(card_path);
	if (video < 0 || d.fd < 0) {
		fprintf(stderr, "no %s: %m\n", video < 0 ? "capture device" :
			"display");
		goto out;
	}
	if (find_output(&d) < 0) {
		fprintf(stderr, "no connected display output\n");
		goto out;
	}
	mode = pick_mode(ctx, video, &d, &layout);
	if (!mode) {
		fprintf(stderr, "no display mode the camera can fill\n");
		goto out;
	}
	printf("capture %ux%u XRGB8888, stride %u, %u buffers from heap %s\n",
	       layout.width, layout.height, layout.planes[0].stride, NUM_BUFS,
	       cmabuf_heap_get_name(heap));

	/* one set of buffers, both devices */
	if (cmabuf_v4l2_request_buffers(ctx, video, type, &count) < 0 ||
	    count < NUM_BUFS)
		goto out;
	for (i = 0; i < NUM_BUFS; i++) {
		if (cmabuf_image_alloc_layout(heap, &layout, &img[i]) < 0 ||
		    cmabuf_drm_add_fb(img[i], d.fd, &fb[i]) < 0 ||
		    cmabuf_v4l2_queue(img[i], video, type, i) < 0)
			goto out;
	}
	if (ioctl(video, VIDIOC_STREAMON, &type) < 0) {
		perror("VIDIOC_STREAMON");
		goto out;
	}

	prev = now_ms();
	for (n = 0; n < frames; n++) {
		struct v4l2_buffer vb;

		if (cmabuf_v4l2_dequeue(ctx, video, type, &vb, NULL, 0) < 0)
			goto out_stream;
		t0 = now_ms();
		if (n == 0) {
			start = t0;
			/* the first frame sets the mode */
			if (drmModeSetCrtc(d.fd, d.crtc, fb[vb.index], 0, 0,
					   &d.connector, 1, mode) != 0) {
				perror("drmModeSetCrtc");
				goto out_stream;
			}
		} else {
			d.flip_pending = true;
			if (drmModePageFlip(d.fd, d.crtc, fb[vb.index],
					    DRM_MODE_PAGE_FLIP_EVENT, &d) != 0 ||
			    wait_flip(&d) < 0) {
				perror("page flip");
				goto out_stream;
			}
		}
		/* the frame no longer on screen can be filled again */
		if (shown >= 0 &&
		    cmabuf_v4l2_queue(img[shown], video, type, shown) < 0)
			goto out_stream;
		shown = (int)vb.index;
		printf("frame %d: buffer %u, sequence %u, %.1f ms since the "
		       "last frame, shown after %.1f ms\n", n, vb.index,
		       vb.sequence, t0 - prev, now_ms() - t0);
		prev = t0;
	}
	if (frames > 1)
		printf("%d frames in %.1f ms: %.2f frames/s\n", frames,
		       prev - start, (frames - 1) * 1e3 / (prev - start));
	else
		printf("1 frame: 0 frames/s measurable\n");
	ret = 0;
out_stream:
	ioctl(video, VIDIOC_STREAMOFF, &type);
	drmModeSetCrtc(d.fd, d.crtc, 0, 0, 0, NULL, 0, NULL);
out:
	for (i = 0; i < NUM_BUFS; i++) {
		if (fb[i])
			cmabuf_drm_remove_fb(img[i], d.fd, fb[i]);
		cmabuf_image_unref(img[i]);
	}
	count = 0;
	if (video >= 0) {
		cmabuf_v4l2_request_buffers(ctx, video, type, &count);
		close(video);
	}
	if (d.fd >= 0)
		close(d.fd);
	free(d.modes);
	cmabuf_heap_unref(heap);
	cmabuf_ctx_unref(ctx);
	return ret;
}
