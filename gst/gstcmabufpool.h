/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmabufpool: a passthrough element that answers the upstream ALLOCATION
 * query with a pool of CMA frames, so that the producer writes straight
 * into physically contiguous dma-bufs and downstream receives them.
 */
#ifndef GST_CMABUF_POOL_H
#define GST_CMABUF_POOL_H

#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

#define GST_TYPE_CMABUF_POOL (gst_cmabuf_pool_get_type())
G_DECLARE_FINAL_TYPE(GstCmaBufPool, gst_cmabuf_pool, GST, CMABUF_POOL,
		     GstBaseTransform)

GST_ELEMENT_REGISTER_DECLARE(cmabufpool);

G_END_DECLS

#endif
