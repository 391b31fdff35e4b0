/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * GstCmaBufBufferPool: video frames in GstCmaBufAllocator memory, laid out
 * by cmabuf_layout_init() when the user asks for GstVideoMeta, else in
 * GStreamer's default layout; every buffer carries a GstVideoMeta.
 */
#ifndef GST_CMABUF_BUFFER_POOL_H
#define GST_CMABUF_BUFFER_POOL_H

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/cmabuf/cmabuf-prelude.h>

G_BEGIN_DECLS

#define GST_TYPE_CMABUF_BUFFER_POOL (gst_cmabuf_buffer_pool_get_type())
GST_CMABUF_API
G_DECLARE_FINAL_TYPE(GstCmaBufBufferPool, gst_cmabuf_buffer_pool, GST,
		     CMABUF_BUFFER_POOL, GstBufferPool)

GST_CMABUF_API
GstBufferPool *gst_cmabuf_buffer_pool_new(GstAllocator *allocator);
GST_CMABUF_API
gsize gst_cmabuf_buffer_pool_get_frame_size(GstCaps *caps);

G_END_DECLS

#endif
