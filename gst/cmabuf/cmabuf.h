/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libgstcmabuf-1.0: physically contiguous (CMA) dma-buf memory for
 * GStreamer applications and elements, from libcmabuf.
 *
 *   #include <gst/cmabuf/cmabuf.h>
 *   pkg-config --cflags --libs gstreamer-cmabuf-1.0
 */
#ifndef GST_CMABUF_H
#define GST_CMABUF_H

#include <gst/cmabuf/cmabuf-prelude.h>
#include <gst/cmabuf/gstcmabufallocator.h>
#include <gst/cmabuf/gstcmabufbufferpool.h>
#include <gst/cmabuf/gstcmabufformat.h>

#endif
