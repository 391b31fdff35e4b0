// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The one table between GStreamer's video formats and the DRM fourccs of
 * libcmabuf's layout code (lib/image.c). GStreamer names the bytes in
 * memory order, DRM the bits of a little-endian word: GStreamer BGRx is
 * DRM XRGB8888, GStreamer BGR is DRM RGB888. GStreamer 1.22 has no such
 * table of its own (gst_video_dma_drm_fourcc_from_format() came in 1.24).
 */
/**
 * SECTION:gstcmabufformat
 * @title: Formats
 * @short_description: GStreamer video formats and DRM fourccs
 *
 * The video formats libcmabuf can lay out (cmabuf_layout_init()), and
 * their DRM fourccs, for applications that hand frames to DRM or V4L2
 * themselves.
 */
#include <drm_fourcc.h>

#include "gstcmabufformat.h"

static const struct {
	GstVideoFormat gst;
	guint32 drm;
} formats[] = {
	{ GST_VIDEO_FORMAT_NV12, DRM_FORMAT_NV12 },
	{ GST_VIDEO_FORMAT_NV21, DRM_FORMAT_NV21 },
	{ GST_VIDEO_FORMAT_NV16, DRM_FORMAT_NV16 },
	{ GST_VIDEO_FORMAT_NV61, DRM_FORMAT_NV61 },
	{ GST_VIDEO_FORMAT_I420, DRM_FORMAT_YUV420 },
	{ GST_VIDEO_FORMAT_YV12, DRM_FORMAT_YVU420 },
	{ GST_VIDEO_FORMAT_P010_10LE, DRM_FORMAT_P010 },
	{ GST_VIDEO_FORMAT_YUY2, DRM_FORMAT_YUYV },
	{ GST_VIDEO_FORMAT_UYVY, DRM_FORMAT_UYVY },
	{ GST_VIDEO_FORMAT_RGB16, DRM_FORMAT_RGB565 },
	{ GST_VIDEO_FORMAT_BGR, DRM_FORMAT_RGB888 },
	{ GST_VIDEO_FORMAT_RGB, DRM_FORMAT_BGR888 },
	{ GST_VIDEO_FORMAT_BGRx, DRM_FORMAT_XRGB8888 },
	{ GST_VIDEO_FORMAT_BGRA, DRM_FORMAT_ARGB8888 },
	{ GST_VIDEO_FORMAT_RGBx, DRM_FORMAT_XBGR8888 },
	{ GST_VIDEO_FORMAT_RGBA, DRM_FORMAT_ABGR8888 },
};

/**
 * gst_cmabuf_format_to_drm:
 * @format: a #GstVideoFormat
 *
 * Returns: the DRM fourcc (DRM_FORMAT_*) of @format, or 0 when libcmabuf
 * has no layout for it.
 */
guint32 gst_cmabuf_format_to_drm(GstVideoFormat format)
{
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(formats); i++)
		if (formats[i].gst == format)
			return formats[i].drm;
	return 0;
}

/**
 * gst_cmabuf_format_from_drm:
 * @fourcc: a DRM fourcc (DRM_FORMAT_*)
 *
 * Returns: the #GstVideoFormat of @fourcc, or %GST_VIDEO_FORMAT_UNKNOWN
 * when libcmabuf has no layout for it.
 */
GstVideoFormat gst_cmabuf_format_from_drm(guint32 fourcc)
{
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(formats); i++)
		if (formats[i].drm == fourcc)
			return formats[i].gst;
	return GST_VIDEO_FORMAT_UNKNOWN;
}

/**
 * gst_cmabuf_format_get_caps:
 *
 * Returns: (transfer full): "video/x-raw, format={ NV12, ... }" with
 * every format libcmabuf lays out, in the order a negotiation should
 * prefer them.
 */
GstCaps *gst_cmabuf_format_get_caps(void)
{
	GValue list = G_VALUE_INIT, v = G_VALUE_INIT;
	GstCaps *caps = gst_caps_new_empty_simple("video/x-raw");
	gsize i;

	g_value_init(&list, GST_TYPE_LIST);
	g_value_init(&v, G_TYPE_STRING);
	for (i = 0; i < G_N_ELEMENTS(formats); i++) {
		g_value_set_static_string(&v,
			gst_video_format_to_string(formats[i].gst));
		gst_value_list_append_value(&list, &v);
	}
	gst_caps_set_value(caps, "format", &list);
	g_value_unset(&v);
	g_value_unset(&list);
	return caps;
}
