// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * GstCmaBufAllocator allocates with cmabuf_alloc() and wraps a duplicate
 * of the buffer's descriptor as GstDmaBufAllocator memory, which owns it
 * from then on: GStreamer maps it, brackets CPU access with
 * DMA_BUF_IOCTL_SYNC and closes it when the memory is freed. The
 * struct cmabuf is dropped right away; the dma-buf lives as long as the
 * memory's descriptor. KEEP_MAPPED: a pooled frame is mapped once, not
 * once per frame (mmap and munmap of a few MiB cost more than a copy).
 *
 * libcmabuf's log lines go to the "cmabuf" debug category; the errors of
 * opening the heap also go into the GError, so the element's error
 * message names the cause (no such heap, permission, no CMA heap).
 */

/**
 * SECTION:gstcmabufallocator
 * @title: GstCmaBufAllocator
 * @short_description: dma-buf memory from a CMA dma-heap
 * @see_also: #GstDmaBufAllocator, #GstCmaBufBufferPool
 *
 * A #GstDmaBufAllocator whose gst_allocator_alloc() takes a buffer from a
 * dma-heap through libcmabuf (the CMA heap libcmabuf finds, or one named).
 * Its memory is ordinary GStreamer dma-buf memory: gst_memory_map()
 * brackets CPU access with DMA_BUF_IOCTL_SYNC, gst_dmabuf_memory_get_fd()
 * gives the descriptor, which the memory owns and closes when freed; any
 * element importing dma-bufs (kmssink, v4l2 in dmabuf-import mode, an
 * encoder) takes it without a copy.
 *
 * The allocator keeps each buffer mapped once mapped
 * (GST_FD_MEMORY_FLAG_KEEP_MAPPED): a pooled frame is mapped once, not
 * once per frame. libcmabuf's log lines go to the "cmabuf" debug category.
 */
#include <errno.h>
#include <string.h>
#include <syslog.h>

#include <cmabuf.h>

#include "gstcmabufallocator.h"

GST_DEBUG_CATEGORY_STATIC(gst_cmabuf_allocator_debug);
#define GST_CAT_DEFAULT gst_cmabuf_allocator_debug

struct _GstCmaBufAllocator {
	GstDmaBufAllocator parent;
	struct cmabuf_ctx *ctx;
	struct cmabuf_heap *heap;
	GString *open_log;	/* error lines while opening, else NULL */
	gint allocations;	/* atomic */
};

G_DEFINE_TYPE(GstCmaBufAllocator, gst_cmabuf_allocator,
	      GST_TYPE_DMABUF_ALLOCATOR)

enum {
	PROP_0,
	PROP_HEAP,
	PROP_CONTIGUOUS,
	PROP_ALLOCATIONS,
};

GType gst_cmabuf_fallback_get_type(void)
{
	static const GFlagsValue values[] = {
		{ GST_CMABUF_FALLBACK_SYSTEM,
		  "the system heap (scattered pages)", "system" },
		{ GST_CMABUF_FALLBACK_UDMABUF,
		  "memfd pages through /dev/udmabuf", "udmabuf" },
		{ 0, NULL, NULL },
	};
	static gsize type;

	if (g_once_init_enter(&type))
		g_once_init_leave(&type, g_flags_register_static(
			"GstCmaBufFallback", values));
	return type;
}

static GstDebugLevel level_of(int priority)
{
	if (priority <= LOG_ERR)
		return GST_LEVEL_ERROR;
	if (priority == LOG_WARNING)
		return GST_LEVEL_WARNING;
	if (priority <= LOG_INFO)
		return GST_LEVEL_INFO;
	return GST_LEVEL_DEBUG;
}

static void log_to_gst(void *userdata, int priority, const char *file,
		       int line, const char *fn, const char *format,
		       va_list args)
{
	GstCmaBufAllocator *self = userdata;
	char *text = g_strdup_vprintf(format, args);

	g_strchomp(text);
	gst_debug_log(GST_CAT_DEFAULT, level_of(priority), file, fn, line,
		      G_OBJECT(self), "libcmabuf: %s", text);
	if (self->open_log && priority <= LOG_WARNING)
		g_string_append_printf(self->open_log, "%s%s",
				       self->open_log->len ? "; " : "", text);
	g_free(text);
}

static void set_open_error(GstCmaBufAllocator *self, const char *heap,
			   int ret, GError **error)
{
	const char *what = heap ? heap : "the CMA heap";
	gint code = ret == -EACCES ? GST_RESOURCE_ERROR_OPEN_READ_WRITE :
		    ret == -ENOENT ? GST_RESOURCE_ERROR_NOT_FOUND :
		    GST_RESOURCE_ERROR_FAILED;

	if (ret == -ENOENT && heap)
		g_set_error(error, GST_RESOURCE_ERROR, code,
			    "no dma-heap named \"%s\" (%s)", heap,
			    self->open_log->len ? self->open_log->str :
			    "not in /dev/dma_heap");
	else
		g_set_error(error, GST_RESOURCE_ERROR, code,
			    "cannot open %s: %s (%s)", what, g_strerror(-ret),
			    self->open_log->len ? self->open_log->str :
			    "no detail from libcmabuf");
}

static unsigned int open_flags(GstCmaBufFallback fallback)
{
	return ((fallback & GST_CMABUF_FALLBACK_SYSTEM) ?
		CMABUF_OPEN_FALLBACK_SYSTEM : 0) |
	       ((fallback & GST_CMABUF_FALLBACK_UDMABUF) ?
		CMABUF_OPEN_FALLBACK_UDMABUF : 0);
}

/**
 * gst_cmabuf_allocator_new:
 * @heap: (nullable): a heap's name in /dev/dma_heap ("linux,cma",
 *   "reserved"...), or %NULL (or "") for the CMA heap libcmabuf finds on
 *   this kernel ($CMABUF_HEAP first)
 * @fallback: heaps to open instead when there is no CMA heap (0: none)
 * @error: (nullable): where the reason goes when the heap cannot be opened
 *
 * Opens the heap; the allocator keeps it open until its last reference
 * goes. @error is in the %GST_RESOURCE_ERROR domain:
 * %GST_RESOURCE_ERROR_NOT_FOUND (no such heap, no CMA heap),
 * %GST_RESOURCE_ERROR_OPEN_READ_WRITE (permission denied on the heap),
 * %GST_RESOURCE_ERROR_FAILED (anything else); its message names the cause.
 *
 * Returns: (transfer full) (nullable): a new #GstCmaBufAllocator, or %NULL
 * with @error set.
 */
GstAllocator *gst_cmabuf_allocator_new(const gchar *heap,
				       GstCmaBufFallback fallback,
				       GError **error)
{
	GstCmaBufAllocator *self = g_object_new(GST_TYPE_CMABUF_ALLOCATOR,
						NULL);
	int ret;

	gst_object_ref_sink(self);
	ret = cmabuf_ctx_new(&self->ctx);
	if (ret < 0) {
		g_set_error(error, GST_RESOURCE_ERROR,
			    GST_RESOURCE_ERROR_FAILED, "libcmabuf: %s", g_strerror(-ret));
		gst_object_unref(self);
		return NULL;
	}
	cmabuf_set_log_fn(self->ctx, log_to_gst, self);
	cmabuf_set_log_priority(self->ctx,
		gst_debug_category_get_threshold(GST_CAT_DEFAULT) >=
		GST_LEVEL_DEBUG ? LOG_DEBUG : LOG_INFO);
	self->open_log = g_string_new(NULL);
	ret = cmabuf_heap_open(self->ctx, heap && *heap ? heap : NULL,
			       open_flags(fallback), &self->heap);
	if (ret < 0)
		set_open_error(self, heap && *heap ? heap : NULL, ret, error);
	g_string_free(self->open_log, TRUE);
	self->open_log = NULL;
	if (ret < 0) {
		gst_object_unref(self);
		return NULL;
	}
	GST_INFO_OBJECT(self, "heap %s (%s)%s",
			cmabuf_heap_get_name(self->heap),
			cmabuf_heap_get_path(self->heap),
			gst_cmabuf_allocator_is_contiguous(self) ? "" :
			": NOT physically contiguous");
	return GST_ALLOCATOR(self);
}

static void log_alloc_failure(GstCmaBufAllocator *self, gsize size, int ret)
{
	struct cmabuf_diagnosis *d;

	if (cmabuf_alloc_diagnose(NULL, self->heap, size, ret, &d) == 0) {
		GST_ERROR_OBJECT(self, "%s", cmabuf_diagnosis_get_message(d));
		cmabuf_diagnosis_unref(d);
		return;
	}
	GST_ERROR_OBJECT(self, "allocating %" G_GSIZE_FORMAT " bytes from %s: "
			 "%s", size, cmabuf_heap_get_name(self->heap),
			 g_strerror(-ret));
}

static GstMemory *cmabuf_allocator_alloc(GstAllocator *base, gsize size,
					 GstAllocationParams *params)
{
	GstCmaBufAllocator *self = GST_CMABUF_ALLOCATOR(base);
	gsize prefix = params ? params->prefix : 0;
	gsize total = prefix + size + (params ? params->padding : 0);
	struct cmabuf *buf;
	GstMemory *mem;
	int ret, fd;

	/* dma-buf mappings are page aligned: any params->align is met */
	ret = cmabuf_alloc(self->heap, total, 0, &buf);
	if (ret < 0) {
		log_alloc_failure(self, total, ret);
		return NULL;
	}
	fd = cmabuf_dup_fd(buf);
	cmabuf_unref(buf);
	if (fd < 0) {
		GST_ERROR_OBJECT(self, "dup of a dma-buf: %s", g_strerror(-fd));
		return NULL;
	}
	mem = gst_dmabuf_allocator_alloc_with_flags(base, fd, total,
		GST_FD_MEMORY_FLAG_KEEP_MAPPED);
	if (!mem)
		return NULL;	/* GstFdAllocator closed fd */
	if (prefix || total != size)
		gst_memory_resize(mem, (gssize)prefix, size);
	g_atomic_int_inc(&self->allocations);
	GST_DEBUG_OBJECT(self, "dma-buf fd %d, %" G_GSIZE_FORMAT " bytes", fd,
			 total);
	return mem;
}

static void gst_cmabuf_allocator_finalize(GObject *obj)
{
	GstCmaBufAllocator *self = GST_CMABUF_ALLOCATOR(obj);

	cmabuf_heap_unref(self->heap);
	cmabuf_ctx_unref(self->ctx);
	G_OBJECT_CLASS(gst_cmabuf_allocator_parent_class)->finalize(obj);
}

static void gst_cmabuf_allocator_get_property(GObject *obj, guint id,
					      GValue *value, GParamSpec *pspec)
{
	GstCmaBufAllocator *self = GST_CMABUF_ALLOCATOR(obj);

	switch (id) {
	case PROP_HEAP:
		g_value_set_string(value, self->heap ?
			gst_cmabuf_allocator_get_heap_name(self) : NULL);
		break;
	case PROP_CONTIGUOUS:
		g_value_set_boolean(value, self->heap &&
			gst_cmabuf_allocator_is_contiguous(self));
		break;
	case PROP_ALLOCATIONS:
		g_value_set_uint64(value,
				   gst_cmabuf_allocator_get_allocations(self));
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(obj, id, pspec);
		break;
	}
}

static void install_properties(GObjectClass *oc)
{
	const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

	/* the heap is chosen by gst_cmabuf_allocator_new(), which can fail */
	g_object_class_install_property(oc, PROP_HEAP,
		g_param_spec_string("heap", "Heap",
			"name of the dma-heap the buffers come from", NULL, ro));
	g_object_class_install_property(oc, PROP_CONTIGUOUS,
		g_param_spec_boolean("contiguous", "Contiguous",
			"whether each buffer is one physical run (a CMA heap)",
			FALSE, ro));
	g_object_class_install_property(oc, PROP_ALLOCATIONS,
		g_param_spec_uint64("allocations", "Allocations",
			"buffers allocated from the heap so far", 0,
			G_MAXUINT64, 0, ro));
}

static void gst_cmabuf_allocator_class_init(GstCmaBufAllocatorClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = gst_cmabuf_allocator_finalize;
	G_OBJECT_CLASS(klass)->get_property = gst_cmabuf_allocator_get_property;
	install_properties(G_OBJECT_CLASS(klass));
	GST_ALLOCATOR_CLASS(klass)->alloc = cmabuf_allocator_alloc;
	GST_DEBUG_CATEGORY_INIT(gst_cmabuf_allocator_debug, "cmabuf", 0,
				"libcmabuf heap allocator");
}

static void gst_cmabuf_allocator_init(GstCmaBufAllocator *self)
{
	/*
	 * GstFdAllocator marks itself CUSTOM_ALLOC (no alloc() of its own);
	 * this one has one, so any element may use gst_allocator_alloc().
	 */
	GST_OBJECT_FLAG_UNSET(self, GST_ALLOCATOR_FLAG_CUSTOM_ALLOC);
}

/**
 * gst_cmabuf_allocator_get_heap_name:
 * @self: a #GstCmaBufAllocator
 *
 * Returns: (transfer none): the name of the heap actually opened
 * ("reserved", "linux,cma", or a fallback: "system", "udmabuf"), valid as
 * long as @self.
 */
const gchar *gst_cmabuf_allocator_get_heap_name(GstCmaBufAllocator *self)
{
	g_return_val_if_fail(GST_IS_CMABUF_ALLOCATOR(self), NULL);
	return cmabuf_heap_get_name(self->heap);
}

/**
 * gst_cmabuf_allocator_is_contiguous:
 * @self: a #GstCmaBufAllocator
 *
 * Returns: %TRUE when each buffer of the heap is one physical run (a CMA
 * heap), which devices without an IOMMU need.
 */
gboolean gst_cmabuf_allocator_is_contiguous(GstCmaBufAllocator *self)
{
	g_return_val_if_fail(GST_IS_CMABUF_ALLOCATOR(self), FALSE);
	return !!(cmabuf_heap_get_flags(self->heap) & CMABUF_HEAP_CONTIGUOUS);
}

/**
 * gst_cmabuf_allocator_is_fallback:
 * @self: a #GstCmaBufAllocator
 *
 * Returns: %TRUE when a fallback heap of #GstCmaBufFallback was opened
 * because the machine has no CMA heap.
 */
gboolean gst_cmabuf_allocator_is_fallback(GstCmaBufAllocator *self)
{
	g_return_val_if_fail(GST_IS_CMABUF_ALLOCATOR(self), FALSE);
	return !!(cmabuf_heap_get_flags(self->heap) & CMABUF_HEAP_FALLBACK);
}

/**
 * gst_cmabuf_allocator_get_allocations:
 * @self: a #GstCmaBufAllocator
 *
 * Returns: the buffers allocated from the heap so far (a pool's recycled
 * frames do not count: a steady stream allocates nothing).
 */
guint64 gst_cmabuf_allocator_get_allocations(GstCmaBufAllocator *self)
{
	g_return_val_if_fail(GST_IS_CMABUF_ALLOCATOR(self), 0);
	return (guint64)g_atomic_int_get(&self->allocations);
}

/**
 * gst_is_cmabuf_memory:
 * @mem: a #GstMemory
 *
 * Returns: %TRUE when @mem comes from a #GstCmaBufAllocator (it is then
 * also dma-buf memory: gst_is_dmabuf_memory()).
 */
gboolean gst_is_cmabuf_memory(GstMemory *mem)
{
	g_return_val_if_fail(mem != NULL, FALSE);
	return mem->allocator && GST_IS_CMABUF_ALLOCATOR(mem->allocator);
}
