/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * GstCmaBufAllocator: GstDmaBufAllocator memory from a libcmabuf heap.
 * Mapping and the DMA_BUF_IOCTL_SYNC brackets are GstDmaBufAllocator's.
 */
#ifndef GST_CMABUF_ALLOCATOR_H
#define GST_CMABUF_ALLOCATOR_H

#include <gst/allocators/allocators.h>

G_BEGIN_DECLS

/* opt-in fallbacks when no CMA heap exists: CMABUF_OPEN_FALLBACK_* */
typedef enum {
	GST_CMABUF_FALLBACK_SYSTEM = (1 << 0),
	GST_CMABUF_FALLBACK_UDMABUF = (1 << 1),
} GstCmaBufFallback;

GType gst_cmabuf_fallback_get_type(void);
#define GST_TYPE_CMABUF_FALLBACK (gst_cmabuf_fallback_get_type())

#define GST_TYPE_CMABUF_ALLOCATOR (gst_cmabuf_allocator_get_type())
G_DECLARE_FINAL_TYPE(GstCmaBufAllocator, gst_cmabuf_allocator, GST,
		     CMABUF_ALLOCATOR, GstDmaBufAllocator)

/*
 * Open `heap` (NULL: the CMA heap libcmabuf finds) with the fallbacks
 * given; NULL and *error set when the heap cannot be opened.
 */
GstAllocator *gst_cmabuf_allocator_new(const char *heap,
				       GstCmaBufFallback fallback,
				       GError **error);
/* the heap actually opened ("reserved", "system", "udmabuf"...) */
const char *gst_cmabuf_allocator_get_heap_name(GstCmaBufAllocator *self);
/* TRUE when the heap's buffers are one physical run each */
gboolean gst_cmabuf_allocator_is_contiguous(GstCmaBufAllocator *self);
/* TRUE when a fallback (non-CMA) heap was opened */
gboolean gst_cmabuf_allocator_is_fallback(GstCmaBufAllocator *self);
/* buffers allocated from the heap so far */
guint64 gst_cmabuf_allocator_get_allocations(GstCmaBufAllocator *self);

G_END_DECLS

#endif
