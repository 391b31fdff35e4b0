/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * GstCmaBufAllocator: GstDmaBufAllocator memory from a libcmabuf heap.
 * Mapping and the DMA_BUF_IOCTL_SYNC brackets are GstDmaBufAllocator's.
 */
#ifndef GST_CMABUF_ALLOCATOR_H
#define GST_CMABUF_ALLOCATOR_H

#include <gst/allocators/allocators.h>
#include <gst/cmabuf/cmabuf-prelude.h>

G_BEGIN_DECLS

/**
 * GstCmaBufFallback:
 * @GST_CMABUF_FALLBACK_SYSTEM: the system heap (scattered pages)
 * @GST_CMABUF_FALLBACK_UDMABUF: memfd pages through /dev/udmabuf
 *
 * Opt-in heaps to open when the machine has no CMA heap
 * (libcmabuf's CMABUF_OPEN_FALLBACK_*). Their buffers are not physically
 * contiguous.
 */
typedef enum {
	GST_CMABUF_FALLBACK_SYSTEM = (1 << 0),
	GST_CMABUF_FALLBACK_UDMABUF = (1 << 1),
} GstCmaBufFallback;

GST_CMABUF_API
GType gst_cmabuf_fallback_get_type(void);
#define GST_TYPE_CMABUF_FALLBACK (gst_cmabuf_fallback_get_type())

#define GST_TYPE_CMABUF_ALLOCATOR (gst_cmabuf_allocator_get_type())
GST_CMABUF_API
G_DECLARE_FINAL_TYPE(GstCmaBufAllocator, gst_cmabuf_allocator, GST,
		     CMABUF_ALLOCATOR, GstDmaBufAllocator)

GST_CMABUF_API
GstAllocator *gst_cmabuf_allocator_new(const gchar *heap,
				       GstCmaBufFallback fallback,
				       GError **error);
GST_CMABUF_API
const gchar *gst_cmabuf_allocator_get_heap_name(GstCmaBufAllocator *self);
GST_CMABUF_API
gboolean gst_cmabuf_allocator_is_contiguous(GstCmaBufAllocator *self);
GST_CMABUF_API
gboolean gst_cmabuf_allocator_is_fallback(GstCmaBufAllocator *self);
GST_CMABUF_API
guint64 gst_cmabuf_allocator_get_allocations(GstCmaBufAllocator *self);
GST_CMABUF_API
gboolean gst_is_cmabuf_memory(GstMemory *mem);

G_END_DECLS

#endif
