/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GstVideoFormat <-> DRM fourcc, for the formats libcmabuf lays out. */
#ifndef GST_CMABUF_FORMAT_H
#define GST_CMABUF_FORMAT_H

#include <gst/video/video.h>
#include <gst/cmabuf/cmabuf-prelude.h>

G_BEGIN_DECLS

GST_CMABUF_API
guint32 gst_cmabuf_format_to_drm(GstVideoFormat format);
GST_CMABUF_API
GstVideoFormat gst_cmabuf_format_from_drm(guint32 fourcc);
GST_CMABUF_API
GstCaps *gst_cmabuf_format_get_caps(void);

G_END_DECLS

#endif
