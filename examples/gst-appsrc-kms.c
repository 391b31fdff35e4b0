// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * gst-appsrc-kms: an application draws frames with the CPU straight into
 * CMA dma-bufs and kmssink shows those very buffers, with no copy.
 *
 * The frames come from a GstCmaBufBufferPool (libgstcmabuf-1.0): each is
 * one physically contiguous dma-buf of the CMA heap. The application maps
 * a frame with gst_video_frame_map() (which brackets the CPU writes with
 * DMA_BUF_IOCTL_SYNC), draws, and pushes it into appsrc; kmssink imports
 * the dma-buf as a DRM framebuffer (PRIME) and scans it out. When the
 * display is done with a frame, the buffer returns to the pool and is
 * drawn again: after the first NUM_BUFS frames nothing is allocated.
 *
 *   gst-appsrc-kms [-n FRAMES] [-d DRIVER]
 *
 * DRIVER is kmssink's driver-name (e.g. vkms, the kernel's virtual
 * display); without it kmssink takes the first display it finds. Needs DRM
 * master (no other display server on the card) and access to the CMA heap.
 *
 * Build: cc gst-appsrc-kms.c \
 *            $(pkg-config --cflags --libs gstreamer-cmabuf-1.0 gstreamer-app-1.0)
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <gst/app/gstappsrc.h>
#include <gst/cmabuf/cmabuf.h>
#include <gst/video/video.h>

#define WIDTH 640
#define HEIGHT 480
#define FPS 30
/* one on screen, one queued for the next flip, two being drawn/pushed */
#define NUM_BUFS 4

/* a white bar moving over a blue background, in BGRx */
static void draw(GstVideoFrame *frame, int n)
{
	guint8 *pixels = GST_VIDEO_FRAME_PLANE_DATA(frame, 0);
	gint stride = GST_VIDEO_FRAME_PLANE_STRIDE(frame, 0);
	int bar = (n * 8) % WIDTH, x, y;

	for (y = 0; y < HEIGHT; y++) {
		guint32 *row = (guint32 *)(pixels + (gsize)y * (gsize)stride);

		for (x = 0; x < WIDTH; x++)
			row[x] = x >= bar && x < bar + 32 ?
				 0x00ffffff : 0x00203080;
	}
}

/* a started pool of NUM_BUFS frames of caps from allocator, or NULL */
static GstBufferPool *cma_pool(GstAllocator *allocator, GstCaps *caps)
{
	GstBufferPool *pool = gst_cmabuf_buffer_pool_new(allocator);
	GstStructure *config;

	config = gst_buffer_pool_get_config(pool);
	gst_buffer_pool_config_set_params(config, caps, 0, NUM_BUFS, NUM_BUFS);
	/* we draw through gst_video_frame_map(): libcmabuf's layout is fine */
	gst_buffer_pool_config_add_option(config,
					  GST_BUFFER_POOL_OPTION_VIDEO_META);
	if (!gst_buffer_pool_set_config(pool, config) ||
	    !gst_buffer_pool_set_active(pool, TRUE)) {
		fprintf(stderr, "cannot start the CMA pool\n");
		gst_object_unref(pool);
		return NULL;
	}
	return pool;
}

/* draw frame n into a pool buffer and push it; FALSE on error */
static gboolean push_frame(GstBufferPool *pool, GstVideoInfo *info,
			   GstAppSrc *src, int n)
{
	GstVideoFrame frame;
	GstBuffer *buf;

	/* blocks while every buffer is on screen or queued */
	if (gst_buffer_pool_acquire_buffer(pool, &buf, NULL) != GST_FLOW_OK)
		return FALSE;
	if (!gst_video_frame_map(&frame, info, buf, GST_MAP_WRITE)) {
		gst_buffer_unref(buf);
		return FALSE;
	}
	draw(&frame, n);
	gst_video_frame_unmap(&frame);
	GST_BUFFER_PTS(buf) = gst_util_uint64_scale(n, GST_SECOND, FPS);
	GST_BUFFER_DURATION(buf) = GST_SECOND / FPS;
	/* appsrc takes the buffer; kmssink's release returns it to the pool */
	return gst_app_src_push_buffer(src, buf) == GST_FLOW_OK;
}

/* wait for a message of types or an error: TRUE for the former */
static gboolean wait_for(GstElement *pipe, GstMessageType types)
{
	GstBus *bus = gst_element_get_bus(pipe);
	GstMessage *msg = gst_bus_timed_pop_filtered(bus, GST_CLOCK_TIME_NONE,
		types | GST_MESSAGE_ERROR);
	gboolean ok = GST_MESSAGE_TYPE(msg) != GST_MESSAGE_ERROR;

	if (!ok) {
		GError *error = NULL;

		gst_message_parse_error(msg, &error, NULL);
		fprintf(stderr, "%s: %s\n", GST_OBJECT_NAME(msg->src),
			error->message);
		g_error_free(error);
	}
	gst_message_unref(msg);
	gst_object_unref(bus);
	return ok;
}

static GstElement *display_pipeline(const char *driver, GstCaps *caps)
{
	char *desc = g_strdup_printf("appsrc name=src format=time ! "
				     "kmssink force-modesetting=true%s%s",
				     driver ? " driver-name=" : "",
				     driver ? driver : "");
	GError *error = NULL;
	GstElement *pipe = gst_parse_launch(desc, &error), *src;

	g_free(desc);
	if (!pipe) {
		fprintf(stderr, "%s\n", error->message);
		g_error_free(error);
		return NULL;
	}
	src = gst_bin_get_by_name(GST_BIN(pipe), "src");
	gst_app_src_set_caps(GST_APP_SRC(src), caps);
	gst_object_unref(src);
	return pipe;
}

static int run(GstCmaBufAllocator *allocator, GstBufferPool *pool,
	       GstCaps *caps, const char *driver, int frames)
{
	GstElement *pipe = display_pipeline(driver, caps), *src;
	GstVideoInfo info;
	int n, ret = 1;

	if (!pipe)
		return 1;
	gst_video_info_from_caps(&info, caps);
	src = gst_bin_get_by_name(GST_BIN(pipe), "src");
	gst_element_set_state(pipe, GST_STATE_PLAYING);
	for (n = 0; n < frames; n++) {
		if (!push_frame(pool, &info, GST_APP_SRC(src), n))
			break;
		/* the first frame is on screen once the pipeline prerolled */
		if (n == 0) {
			if (!wait_for(pipe, GST_MESSAGE_ASYNC_DONE))
				break;
			printf("playing %dx%d BGRx on kmssink\n", WIDTH, HEIGHT);
		}
		fflush(stdout);
	}
	if (n == frames) {
		gst_app_src_end_of_stream(GST_APP_SRC(src));
		if (wait_for(pipe, GST_MESSAGE_EOS))
			ret = 0;
	}
	gst_element_set_state(pipe, GST_STATE_NULL);
	printf("%d frames drawn into %" G_GUINT64_FORMAT " CMA buffers of "
	       "heap %s\n", n, gst_cmabuf_allocator_get_allocations(allocator),
	       gst_cmabuf_allocator_get_heap_name(allocator));
	gst_object_unref(src);
	gst_object_unref(pipe);
	return ret;
}

int main(int argc, char **argv)
{
	const char *driver = NULL;
	int frames = 90, opt, ret = 1;
	GstAllocator *allocator;
	GError *error = NULL;
	GstBufferPool *pool;
	GstCaps *caps;

	gst_init(&argc, &argv);
	while ((opt = getopt(argc, argv, "n:d:")) != -1) {
		switch (opt) {
		case 'n':
			frames = atoi(optarg);
			break;
		case 'd':
			driver = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s [-n FRAMES] [-d DRIVER]\n",
				argv[0]);
			return 2;
		}
	}
	caps = gst_caps_new_simple("video/x-raw",
				   "format", G_TYPE_STRING, "BGRx",
				   "width", G_TYPE_INT, WIDTH,
				   "height", G_TYPE_INT, HEIGHT,
				   "framerate", GST_TYPE_FRACTION, FPS, 1, NULL);
	/* the CMA heap libcmabuf finds on this machine, no fallback */
	allocator = gst_cmabuf_allocator_new(NULL, 0, &error);
	if (!allocator) {
		fprintf(stderr, "no CMA heap: %s\n", error->message);
		g_error_free(error);
		gst_caps_unref(caps);
		return 1;
	}
	pool = cma_pool(allocator, caps);
	if (pool) {
		ret = run(GST_CMABUF_ALLOCATOR(allocator), pool, caps, driver,
			  frames > 0 ? frames : 1);
		gst_buffer_pool_set_active(pool, FALSE);
		gst_object_unref(pool);
	}
	gst_object_unref(allocator);
	gst_caps_unref(caps);
	return ret;
}
