// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The cmabufpool element. Passthrough: it touches no buffer. Its work is
 * the ALLOCATION query: it forwards the query downstream (to learn the
 * metas the consumer supports), replaces whatever pools downstream
 * offered by a GstCmaBufBufferPool (libgstcmabuf-1.0), and offers
 * GstVideoMeta. The producer (videotestsrc, a decoder, v4l2src
 * io-mode=dmabuf-import) then fills CMA frames, and the consumer (kmssink,
 * an encoder) imports them as dma-bufs. A producer that asks for the meta
 * gets libcmabuf's layout, one that does not GStreamer's default layout
 * (gst/cmabuf/gstcmabufbufferpool.c).
 *
 * Errors name their cause: the heap is opened in start() (READY to
 * PAUSED), min/max are checked there, and an unknown format reaches
 * set_caps() because the pad templates also accept any video/x-raw after
 * the known formats (listed first, so that negotiation prefers them);
 * without that, a format outside the table would end as an anonymous
 * not-negotiated.
 */
#include <gst/cmabuf/cmabuf.h>

#include "gstcmabufpool.h"

GST_DEBUG_CATEGORY_STATIC(gst_cmabuf_pool_debug);
#define GST_CAT_DEFAULT gst_cmabuf_pool_debug

#define DEFAULT_MIN_BUFFERS 4
#define DEFAULT_MAX_BUFFERS 0

enum {
	PROP_0,
	PROP_HEAP,
	PROP_FALLBACK,
	PROP_MIN_BUFFERS,
	PROP_MAX_BUFFERS,
	PROP_HEAP_NAME,
	PROP_ALLOCATIONS,
};

struct _GstCmaBufPool {
	GstBaseTransform parent;
	/* properties, under the object lock */
	gchar *heap;
	GstCmaBufFallback fallback;
	guint min_buffers;
	guint max_buffers;
	/* from start() to stop() */
	GstAllocator *allocator;
	GstBufferPool *pool;
	GstCaps *pool_caps;
};

G_DEFINE_TYPE(GstCmaBufPool, gst_cmabuf_pool, GST_TYPE_BASE_TRANSFORM)
GST_ELEMENT_REGISTER_DEFINE(cmabufpool, "cmabufpool", GST_RANK_NONE,
			    GST_TYPE_CMABUF_POOL)

static GstCaps *template_caps(void)
{
	GstCaps *caps = gst_cmabuf_format_get_caps();

	gst_caps_append(caps, gst_caps_new_empty_simple("video/x-raw"));
	return caps;
}

static gboolean cmabuf_pool_start(GstBaseTransform *trans)
{
	GstCmaBufPool *self = GST_CMABUF_POOL(trans);
	GstAllocator *allocator;
	GError *error = NULL;
	gchar *heap;
	guint min, max;
	GstCmaBufFallback fallback;

	GST_OBJECT_LOCK(self);
	heap = g_strdup(self->heap);
	fallback = self->fallback;
	min = self->min_buffers;
	max = self->max_buffers;
	GST_OBJECT_UNLOCK(self);
	if (max && max < min) {
		GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS,
			("max-buffers (%u) is less than min-buffers (%u)", max,
			 min), ("max-buffers 0 means no limit"));
		g_free(heap);
		return FALSE;
	}
	allocator = gst_cmabuf_allocator_new(heap, fallback, &error);
	if (!allocator) {
		if (g_error_matches(error, GST_RESOURCE_ERROR,
				    GST_RESOURCE_ERROR_OPEN_READ_WRITE))
			GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ_WRITE,
				("permission denied on the dma-heap: %s",
				 error->message), (NULL));
		else
			GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND,
				("%s", error->message), (NULL));
		g_error_free(error);
		g_free(heap);
		return FALSE;
	}
	g_free(heap);
	/* under the lock: get_property reads it from any thread */
	GST_OBJECT_LOCK(self);
	self->allocator = allocator;
	GST_OBJECT_UNLOCK(self);
	if (gst_cmabuf_allocator_is_fallback(
			GST_CMABUF_ALLOCATOR(self->allocator)))
		GST_ELEMENT_WARNING(self, RESOURCE, SETTINGS,
			("no CMA heap: falling back to heap %s, buffers are NOT "
			 "physically contiguous",
			 gst_cmabuf_allocator_get_heap_name(
				GST_CMABUF_ALLOCATOR(self->allocator))),
			("devices without an IOMMU will refuse them"));
	else if (!gst_cmabuf_allocator_is_contiguous(
			GST_CMABUF_ALLOCATOR(self->allocator)))
		GST_ELEMENT_WARNING(self, RESOURCE, SETTINGS,
			("heap %s is not physically contiguous",
			 gst_cmabuf_allocator_get_heap_name(
				GST_CMABUF_ALLOCATOR(self->allocator))),
			("devices without an IOMMU will refuse its buffers"));
	return TRUE;
}

static gboolean cmabuf_pool_stop(GstBaseTransform *trans)
{
	GstCmaBufPool *self = GST_CMABUF_POOL(trans);

	GstAllocator *allocator;

	gst_clear_object(&self->pool);
	gst_clear_caps(&self->pool_caps);
	GST_OBJECT_LOCK(self);
	allocator = self->allocator;
	self->allocator = NULL;
	GST_OBJECT_UNLOCK(self);
	gst_clear_object(&allocator);
	return TRUE;
}

static gboolean cmabuf_pool_set_caps(GstBaseTransform *trans,
				     GstCaps *incaps, GstCaps *outcaps)
{
	GstVideoInfo info;

	if (!gst_video_info_from_caps(&info, incaps)) {
		GST_ELEMENT_ERROR(trans, STREAM, FORMAT,
			("not raw video caps: %" GST_PTR_FORMAT, incaps), (NULL));
		return FALSE;
	}
	if (!gst_cmabuf_format_to_drm(GST_VIDEO_INFO_FORMAT(&info))) {
		GstCaps *known = gst_cmabuf_format_get_caps();

		GST_ELEMENT_ERROR(trans, STREAM, FORMAT,
			("libcmabuf has no layout for video format %s",
			 gst_video_format_to_string(
				GST_VIDEO_INFO_FORMAT(&info))),
			("formats with a layout: %" GST_PTR_FORMAT, known));
		gst_caps_unref(known);
		return FALSE;
	}
	if (!gst_cmabuf_buffer_pool_get_frame_size(incaps)) {
		GST_ELEMENT_ERROR(trans, STREAM, FORMAT,
			("libcmabuf cannot lay out %s %dx%d",
			 gst_video_format_to_string(
				GST_VIDEO_INFO_FORMAT(&info)),
			 GST_VIDEO_INFO_WIDTH(&info),
			 GST_VIDEO_INFO_HEIGHT(&info)), (NULL));
		return FALSE;
	}
	return TRUE;
}

/* the pool for caps: the idle one of the same caps, or a new one */
static GstBufferPool *pool_for(GstCmaBufPool *self, GstCaps *caps, gsize size,
			       guint min, guint max)
{
	GstStructure *config;

	if (self->pool && self->pool_caps &&
	    gst_caps_is_equal(caps, self->pool_caps) &&
	    !gst_buffer_pool_is_active(self->pool))
		return gst_object_ref(self->pool);
	gst_clear_object(&self->pool);
	gst_clear_caps(&self->pool_caps);
	self->pool = gst_cmabuf_buffer_pool_new(self->allocator);
	/*
	 * No VIDEO_META option here: the producer adds it when it reads the
	 * meta (videotestsrc, decoders, v4l2src do, seeing it in the query);
	 * one that does not gets GStreamer's default layout.
	 */
	config = gst_buffer_pool_get_config(self->pool);
	gst_buffer_pool_config_set_params(config, caps, (guint)size, min, max);
	if (!gst_buffer_pool_set_config(self->pool, config)) {
		gst_clear_object(&self->pool);
		return NULL;
	}
	self->pool_caps = gst_caps_ref(caps);
	return gst_object_ref(self->pool);
}

static void drop_pools_and_params(GstQuery *query)
{
	while (gst_query_get_n_allocation_pools(query) > 0)
		gst_query_remove_nth_allocation_pool(query, 0);
	while (gst_query_get_n_allocation_params(query) > 0)
		gst_query_remove_nth_allocation_param(query, 0);
}

static gboolean cmabuf_pool_propose_allocation(GstBaseTransform *trans,
					       GstQuery *decide_query,
					       GstQuery *query)
{
	GstCmaBufPool *self = GST_CMABUF_POOL(trans);
	GstBufferPool *pool;
	gboolean need_pool;
	GstCaps *caps;
	guint min, max;
	gsize size;

	gst_query_parse_allocation(query, &caps, &need_pool);
	size = gst_cmabuf_buffer_pool_get_frame_size(caps);
	if (!size || !self->allocator) {
		GST_DEBUG_OBJECT(self, "no CMA pool for %" GST_PTR_FORMAT, caps);
		return FALSE;
	}
	/* downstream's metas (crop, overlay...) stay; its pools go */
	if (!gst_pad_peer_query(GST_BASE_TRANSFORM_SRC_PAD(trans), query))
		GST_DEBUG_OBJECT(self, "downstream did not answer ALLOCATION");
	drop_pools_and_params(query);
	GST_OBJECT_LOCK(self);
	min = self->min_buffers;
	max = self->max_buffers;
	GST_OBJECT_UNLOCK(self);
	pool = pool_for(self, caps, size, min, max);
	if (!pool)
		return FALSE;
	gst_query_add_allocation_pool(query, pool, (guint)size, min, max);
	gst_query_add_allocation_param(query, self->allocator, NULL);
	if (!gst_query_find_allocation_meta(query, GST_VIDEO_META_API_TYPE,
					    NULL))
		gst_query_add_allocation_meta(query, GST_VIDEO_META_API_TYPE,
					      NULL);
	GST_INFO_OBJECT(self, "proposed a pool of %u..%u CMA buffers of %"
			G_GSIZE_FORMAT " bytes from heap %s", min, max, size,
			gst_cmabuf_allocator_get_heap_name(
				GST_CMABUF_ALLOCATOR(self->allocator)));
	gst_object_unref(pool);
	return TRUE;
}

static void gst_cmabuf_pool_set_property(GObject *obj, guint id,
					 const GValue *value, GParamSpec *pspec)
{
	GstCmaBufPool *self = GST_CMABUF_POOL(obj);

	GST_OBJECT_LOCK(self);
	switch (id) {
	case PROP_HEAP:
		g_free(self->heap);
		self->heap = g_value_dup_string(value);
		break;
	case PROP_FALLBACK:
		self->fallback = g_value_get_flags(value);
		break;
	case PROP_MIN_BUFFERS:
		self->min_buffers = g_value_get_uint(value);
		break;
	case PROP_MAX_BUFFERS:
		self->max_buffers = g_value_get_uint(value);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(obj, id, pspec);
		break;
	}
	GST_OBJECT_UNLOCK(self);
}

static void gst_cmabuf_pool_get_property(GObject *obj, guint id,
					 GValue *value, GParamSpec *pspec)
{
	GstCmaBufPool *self = GST_CMABUF_POOL(obj);
	GstCmaBufAllocator *a;

	GST_OBJECT_LOCK(self);
	a = self->allocator ? GST_CMABUF_ALLOCATOR(self->allocator) : NULL;
	switch (id) {
	case PROP_HEAP:
		g_value_set_string(value, self->heap);
		break;
	case PROP_FALLBACK:
		g_value_set_flags(value, self->fallback);
		break;
	case PROP_MIN_BUFFERS:
		g_value_set_uint(value, self->min_buffers);
		break;
	case PROP_MAX_BUFFERS:
		g_value_set_uint(value, self->max_buffers);
		break;
	case PROP_HEAP_NAME:
		g_value_set_string(value,
			a ? gst_cmabuf_allocator_get_heap_name(a) : NULL);
		break;
	case PROP_ALLOCATIONS:
		g_value_set_uint64(value,
			a ? gst_cmabuf_allocator_get_allocations(a) : 0);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(obj, id, pspec);
		break;
	}
	GST_OBJECT_UNLOCK(self);
}

static void gst_cmabuf_pool_finalize(GObject *obj)
{
	GstCmaBufPool *self = GST_CMABUF_POOL(obj);

	g_free(self->heap);
	G_OBJECT_CLASS(gst_cmabuf_pool_parent_class)->finalize(obj);
}

static void install_properties(GObjectClass *oc)
{
	const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
			       GST_PARAM_MUTABLE_READY;
	const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

	g_object_class_install_property(oc, PROP_HEAP,
		g_param_spec_string("heap", "Heap",
			"dma-heap to allocate from, by its name in "
			"/dev/dma_heap (e.g. \"reserved\", \"linux,cma\", "
			"\"system\"); unset: the CMA heap libcmabuf finds on "
			"this kernel (or $CMABUF_HEAP)", NULL, rw));
	g_object_class_install_property(oc, PROP_FALLBACK,
		g_param_spec_flags("fallback", "Fallback",
			"what to use when there is no CMA heap (opt-in: the "
			"buffers are then not physically contiguous and a "
			"warning says so)", GST_TYPE_CMABUF_FALLBACK, 0, rw));
	g_object_class_install_property(oc, PROP_MIN_BUFFERS,
		g_param_spec_uint("min-buffers", "Minimum buffers",
			"buffers allocated when the pool starts, before the "
			"first frame", 0, 64, DEFAULT_MIN_BUFFERS, rw));
	g_object_class_install_property(oc, PROP_MAX_BUFFERS,
		g_param_spec_uint("max-buffers", "Maximum buffers",
			"most buffers the pool grows to (0: no limit); must "
			"not be less than min-buffers", 0, 64,
			DEFAULT_MAX_BUFFERS, rw));
	g_object_class_install_property(oc, PROP_HEAP_NAME,
		g_param_spec_string("heap-name", "Heap name",
			"the heap actually opened (in PAUSED and PLAYING)",
			NULL, ro));
	g_object_class_install_property(oc, PROP_ALLOCATIONS,
		g_param_spec_uint64("allocations", "Allocations",
			"buffers allocated from the heap since the element "
			"started (preallocation included; recycled frames "
			"do not count)", 0, G_MAXUINT64, 0, ro));
}

static void gst_cmabuf_pool_class_init(GstCmaBufPoolClass *klass)
{
	GObjectClass *oc = G_OBJECT_CLASS(klass);
	GstElementClass *ec = GST_ELEMENT_CLASS(klass);
	GstBaseTransformClass *tc = GST_BASE_TRANSFORM_CLASS(klass);
	GstCaps *caps = template_caps();

	oc->set_property = gst_cmabuf_pool_set_property;
	oc->get_property = gst_cmabuf_pool_get_property;
	oc->finalize = gst_cmabuf_pool_finalize;
	install_properties(oc);
	gst_type_mark_as_plugin_api(GST_TYPE_CMABUF_FALLBACK, 0);

	gst_element_class_add_pad_template(ec,
		gst_pad_template_new("sink", GST_PAD_SINK, GST_PAD_ALWAYS, caps));
	gst_element_class_add_pad_template(ec,
		gst_pad_template_new("src", GST_PAD_SRC, GST_PAD_ALWAYS, caps));
	gst_caps_unref(caps);
	gst_element_class_set_static_metadata(ec,
		"CMA buffer pool", "Filter/Video",
		"Passthrough that offers upstream a pool of physically "
		"contiguous video frames from a CMA dma-heap (libcmabuf), so "
		"that the producer writes into buffers a display or a camera "
		"without IOMMU can use, and downstream receives them as "
		"dma-buf memory. The formats libcmabuf lays out are listed "
		"first in the pad caps; any other raw format is refused with "
		"an error naming it.",
		"libcmabuf <https://example.invalid/libcmabuf>");

	tc->passthrough_on_same_caps = TRUE;
	tc->start = cmabuf_pool_start;
	tc->stop = cmabuf_pool_stop;
	tc->set_caps = cmabuf_pool_set_caps;
	tc->propose_allocation = cmabuf_pool_propose_allocation;
	GST_DEBUG_CATEGORY_INIT(gst_cmabuf_pool_debug, "cmabufpool", 0,
				"CMA buffer pool element");
}

static void gst_cmabuf_pool_init(GstCmaBufPool *self)
{
	self->min_buffers = DEFAULT_MIN_BUFFERS;
	self->max_buffers = DEFAULT_MAX_BUFFERS;
	gst_base_transform_set_passthrough(GST_BASE_TRANSFORM(self), TRUE);
}
