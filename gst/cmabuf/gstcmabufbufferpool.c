// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A GstBufferPool of video frames in CMA memory. GstBufferPool itself
 * preallocates min buffers on activation, grows to max and recycles
 * released buffers without touching the allocator; this subclass only
 * decides the layout and allocates.
 *
 * Layout: with GST_BUFFER_POOL_OPTION_VIDEO_META in the configuration,
 * cmabuf_layout_init() (lib/image.c), the same strides and plane offsets
 * libcmabuf uses for V4L2 and DRM (luma stride rounded to 64 bytes). A
 * user that did not ask for the meta may write GStreamer's default layout
 * without reading any meta (gst_video_info_from_caps()): the pool then
 * lays its frames out that way, as GstVideoBufferPool does, or the frames
 * would come out sheared. Every buffer carries a GstVideoMeta of the
 * layout chosen, so consumers (kmssink) read the right strides either way.
 */

/**
 * SECTION:gstcmabufbufferpool
 * @title: GstCmaBufBufferPool
 * @short_description: a pool of video frames in CMA memory
 * @see_also: #GstCmaBufAllocator, #GstVideoBufferPool
 *
 * A #GstBufferPool whose buffers are single dma-buf memories of a
 * #GstCmaBufAllocator, one video frame each, with a #GstVideoMeta. Give it
 * video caps with gst_buffer_pool_config_set_params(); a size smaller than
 * a frame is raised to the frame's. The layout depends on the
 * configuration, as with #GstVideoBufferPool:
 *
 * - with %GST_BUFFER_POOL_OPTION_VIDEO_META (gst_buffer_pool_config_add_option()):
 *   libcmabuf's layout, the one its V4L2 and DRM calls use (luma stride
 *   rounded up to 64 bytes, what display and camera hardware asks for).
 *   Write the frames through gst_video_frame_map(), which reads the meta.
 * - without it: GStreamer's default layout for the caps (the strides and
 *   offsets of gst_video_info_from_caps()), for producers that write
 *   frames without reading a meta.
 *
 * The configuration's allocator is always the pool's own.
 */
#include <string.h>

#include <cmabuf.h>

#include "gstcmabufallocator.h"
#include "gstcmabufbufferpool.h"
#include "gstcmabufformat.h"

GST_DEBUG_CATEGORY_STATIC(gst_cmabuf_buffer_pool_debug);
#define GST_CAT_DEFAULT gst_cmabuf_buffer_pool_debug

struct _GstCmaBufBufferPool {
	GstBufferPool parent;
	GstAllocator *allocator;
	GstVideoInfo info;		/* offsets and strides of the layout */
	gsize size;			/* bytes of one buffer */
};

G_DEFINE_TYPE(GstCmaBufBufferPool, gst_cmabuf_buffer_pool,
	      GST_TYPE_BUFFER_POOL)

/* info's format laid out by libcmabuf into info; FALSE when it cannot be */
static gboolean layout_info(GstVideoInfo *info, GstObject *log_obj)
{
	GstVideoFormat fmt = GST_VIDEO_INFO_FORMAT(info);
	uint32_t fourcc = gst_cmabuf_format_to_drm(fmt);
	struct cmabuf_layout l;
	unsigned int i;
	int ret;

	if (!fourcc) {
		GST_WARNING_OBJECT(log_obj, "libcmabuf has no layout for %s",
				   gst_video_format_to_string(fmt));
		return FALSE;
	}
	ret = cmabuf_layout_init(&l, fourcc, (uint32_t)GST_VIDEO_INFO_WIDTH(info),
				 (uint32_t)GST_VIDEO_INFO_HEIGHT(info), 0, 0);
	if (ret < 0 || l.num_planes != GST_VIDEO_INFO_N_PLANES(info)) {
		GST_WARNING_OBJECT(log_obj, "no layout for %s %dx%d: %s",
				   gst_video_format_to_string(fmt),
				   GST_VIDEO_INFO_WIDTH(info),
				   GST_VIDEO_INFO_HEIGHT(info),
				   ret < 0 ? g_strerror(-ret) : "plane count");
		return FALSE;
	}
	for (i = 0; i < l.num_planes; i++) {
		info->offset[i] = l.planes[i].offset;
		info->stride[i] = (gint)l.planes[i].stride;
	}
	info->size = (gsize)l.size;
	return TRUE;
}

/**
 * gst_cmabuf_buffer_pool_get_frame_size:
 * @caps: (nullable): raw video caps
 *
 * The bytes of one frame of @caps in libcmabuf's layout (the layout of a
 * pool configured with %GST_BUFFER_POOL_OPTION_VIDEO_META), for the size of
 * an ALLOCATION query's pool.
 *
 * Returns: the size, or 0 when @caps are not raw video caps libcmabuf can
 * lay out (see gst_cmabuf_format_get_caps()).
 */
gsize gst_cmabuf_buffer_pool_get_frame_size(GstCaps *caps)
{
	GstVideoInfo info;

	if (!caps || !gst_video_info_from_caps(&info, caps) ||
	    !layout_info(&info, NULL))
		return 0;
	return info.size;
}

static const gchar **cmabuf_pool_get_options(GstBufferPool *pool)
{
	static const gchar *options[] = { GST_BUFFER_POOL_OPTION_VIDEO_META,
					  NULL };
	return options;
}

static gboolean cmabuf_pool_set_config(GstBufferPool *pool,
				       GstStructure *config)
{
	GstCmaBufBufferPool *self = GST_CMABUF_BUFFER_POOL(pool);
	gboolean with_meta;
	guint size, min, max;
	GstVideoInfo info;
	GstCaps *caps;

	if (!gst_buffer_pool_config_get_params(config, &caps, &size, &min,
					       &max) || !caps ||
	    !gst_video_info_from_caps(&info, caps)) {
		GST_ERROR_OBJECT(self, "no video caps in the configuration");
		return FALSE;
	}
	if (max && min > max) {
		GST_ERROR_OBJECT(self, "min %u buffers > max %u", min, max);
		return FALSE;
	}
	/* the format must be one libcmabuf knows, whichever layout is used */
	with_meta = gst_buffer_pool_config_has_option(config,
				GST_BUFFER_POOL_OPTION_VIDEO_META);
	if (with_meta) {
		if (!layout_info(&info, GST_OBJECT(self)))
			return FALSE;
	} else if (!gst_cmabuf_buffer_pool_get_frame_size(caps)) {
		GST_WARNING_OBJECT(self, "libcmabuf has no layout for %"
				   GST_PTR_FORMAT, caps);
		return FALSE;
	}
	self->info = info;
	/* a producer may need more (a V4L2 driver's sizeimage) */
	self->size = MAX((gsize)size, info.size);
	gst_buffer_pool_config_set_params(config, caps, (guint)self->size, min,
					  max);
	gst_buffer_pool_config_set_allocator(config, self->allocator, NULL);
	GST_DEBUG_OBJECT(self, "%s %dx%d in %s layout (luma stride %d), %"
			 G_GSIZE_FORMAT " bytes, %u..%u buffers",
			 gst_video_format_to_string(GST_VIDEO_INFO_FORMAT(&info)),
			 GST_VIDEO_INFO_WIDTH(&info),
			 GST_VIDEO_INFO_HEIGHT(&info),
			 with_meta ? "libcmabuf's" : "GStreamer's default",
			 GST_VIDEO_INFO_PLANE_STRIDE(&info, 0), self->size, min,
			 max);
	return GST_BUFFER_POOL_CLASS(gst_cmabuf_buffer_pool_parent_class)
		->set_config(pool, config);
}

static GstFlowReturn cmabuf_pool_alloc_buffer(GstBufferPool *pool,
					      GstBuffer **out,
					      GstBufferPoolAcquireParams *p)
{
	GstCmaBufBufferPool *self = GST_CMABUF_BUFFER_POOL(pool);
	GstVideoInfo *info = &self->info;
	GstMemory *mem;
	GstBuffer *buf;

	mem = gst_allocator_alloc(self->allocator, self->size, NULL);
	if (!mem) {
		GST_ERROR_OBJECT(self, "no %" G_GSIZE_FORMAT " byte buffer from "
				 "heap %s", self->size,
				 gst_cmabuf_allocator_get_heap_name(
					GST_CMABUF_ALLOCATOR(self->allocator)));
		return GST_FLOW_ERROR;
	}
	buf = gst_buffer_new();
	gst_buffer_append_memory(buf, mem);
	gst_buffer_add_video_meta_full(buf, GST_VIDEO_FRAME_FLAG_NONE,
				       GST_VIDEO_INFO_FORMAT(info),
				       GST_VIDEO_INFO_WIDTH(info),
				       GST_VIDEO_INFO_HEIGHT(info),
				       GST_VIDEO_INFO_N_PLANES(info),
				       info->offset, info->stride);
	*out = buf;
	return GST_FLOW_OK;
}

/**
 * gst_cmabuf_buffer_pool_new:
 * @allocator: a #GstCmaBufAllocator (the pool takes a reference)
 *
 * A pool whose buffers come from @allocator. Configure it
 * (gst_buffer_pool_get_config(), gst_buffer_pool_config_set_params(),
 * gst_buffer_pool_set_config()) and activate it before acquiring buffers.
 * gst_buffer_pool_set_config() returns %FALSE for caps that are not raw
 * video, a format libcmabuf cannot lay out, or min > max (when max is not 0).
 *
 * Returns: (transfer full): a new #GstCmaBufBufferPool, or %NULL when
 * @allocator is not a #GstCmaBufAllocator.
 */
GstBufferPool *gst_cmabuf_buffer_pool_new(GstAllocator *allocator)
{
	GstCmaBufBufferPool *self;

	g_return_val_if_fail(GST_IS_CMABUF_ALLOCATOR(allocator), NULL);
	self = g_object_new(GST_TYPE_CMABUF_BUFFER_POOL, NULL);
	gst_object_ref_sink(self);
	self->allocator = gst_object_ref(allocator);
	return GST_BUFFER_POOL(self);
}

static void gst_cmabuf_buffer_pool_finalize(GObject *obj)
{
	GstCmaBufBufferPool *self = GST_CMABUF_BUFFER_POOL(obj);

	gst_clear_object(&self->allocator);
	G_OBJECT_CLASS(gst_cmabuf_buffer_pool_parent_class)->finalize(obj);
}

static void gst_cmabuf_buffer_pool_class_init(GstCmaBufBufferPoolClass *klass)
{
	GstBufferPoolClass *pool_class = GST_BUFFER_POOL_CLASS(klass);

	G_OBJECT_CLASS(klass)->finalize = gst_cmabuf_buffer_pool_finalize;
	pool_class->get_options = cmabuf_pool_get_options;
	pool_class->set_config = cmabuf_pool_set_config;
	pool_class->alloc_buffer = cmabuf_pool_alloc_buffer;
	GST_DEBUG_CATEGORY_INIT(gst_cmabuf_buffer_pool_debug, "cmabufbufferpool",
				0, "CMA buffer pool");
}

static void gst_cmabuf_buffer_pool_init(GstCmaBufBufferPool *self)
{
}
