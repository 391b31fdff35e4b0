// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A GstBufferPool of video frames in CMA memory. GstBufferPool itself
 * preallocates min buffers on activation, grows to max and recycles
 * released buffers without touching the allocator; this subclass only
 * decides the layout and allocates.
 *
 * Layout: cmabuf_layout_init() (lib/image.c), the same strides and plane
 * offsets libcmabuf uses for V4L2 and DRM (luma stride rounded to 64
 * bytes), told to producers and consumers through a GstVideoMeta on every
 * buffer. A producer writing through gst_video_frame_map() honours it.
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

gsize gst_cmabuf_buffer_pool_frame_size(GstCaps *caps)
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
	GstVideoInfo info, plain;
	guint size, min, max;
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
	plain = info;
	if (!layout_info(&info, GST_OBJECT(self)))
		return FALSE;
	if (!gst_buffer_pool_config_has_option(config,
			GST_BUFFER_POOL_OPTION_VIDEO_META) &&
	    memcmp(plain.stride, info.stride, sizeof(info.stride)))
		GST_WARNING_OBJECT(self, "the producer did not ask for video "
				   "meta and the layout's strides are not "
				   "GStreamer's defaults");
	self->info = info;
	/* a producer may need more (a V4L2 driver's sizeimage) */
	self->size = MAX((gsize)size, info.size);
	gst_buffer_pool_config_set_params(config, caps, (guint)self->size, min,
					  max);
	gst_buffer_pool_config_set_allocator(config, self->allocator, NULL);
	GST_DEBUG_OBJECT(self, "%s %dx%d, %" G_GSIZE_FORMAT " bytes, %u..%u "
			 "buffers", gst_video_format_to_string(
			 GST_VIDEO_INFO_FORMAT(&info)),
			 GST_VIDEO_INFO_WIDTH(&info),
			 GST_VIDEO_INFO_HEIGHT(&info), self->size, min, max);
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
