/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GstVideoFormat <-> DRM fourcc, for the formats libcmabuf lays out. */
#ifndef GST_CMABUF_FORMAT_H
#define GST_CMABUF_FORMAT_H

#include <stdint.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

/* the DRM fourcc of format, 0 when libcmabuf has no layout for it */
uint32_t gst_cmabuf_format_to_drm(GstVideoFormat format);
/* the GstVideoFormat of a DRM fourcc, GST_VIDEO_FORMAT_UNKNOWN if none */
GstVideoFormat gst_cmabuf_format_from_drm(uint32_t fourcc);
/* "video/x-raw, format={ NV12, ... }": every format of the table */
GstCaps *gst_cmabuf_format_caps(void);
/* the table's formats as text, for error messages ("NV12, NV21, ...") */
const char *gst_cmabuf_format_list(void);

G_END_DECLS

#endif
