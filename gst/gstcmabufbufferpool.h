/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * GstCmaBufBufferPool: video frames in GstCmaBufAllocator memory, laid out
 * by cmabuf_layout_init() and described by a GstVideoMeta.
 */
#ifndef GST_CMABUF_BUFFER_POOL_H
#define GST_CMABUF_BUFFER_POOL_H

#include <gst/gst.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

#define GST_TYPE_CMABUF_BUFFER_POOL (gst_cmabuf_buffer_pool_get_type())
G_DECLARE_FINAL_TYPE(GstCmaBufBufferPool, gst_cmabuf_buffer_pool, GST,
		     CMABUF_BUFFER_POOL, GstBufferPool)

/* a pool whose buffers come from allocator (a GstCmaBufAllocator) */
GstBufferPool *gst_cmabuf_buffer_pool_new(GstAllocator *allocator);
/* the size of one frame of caps in libcmabuf's layout; 0 when none */
gsize gst_cmabuf_buffer_pool_frame_size(GstCaps *caps);

G_END_DECLS

#endif
