// SPDX-License-Identifier: LGPL-2.1-or-later
/* The "cmabuf" GStreamer plugin: the cmabufpool element. */
#include <gst/gst.h>

#include <gst/cmabuf/cmabuf.h>
#include "gstcmabufpool.h"

static gboolean plugin_init(GstPlugin *plugin)
{
	/* class_init sets up the pool's debug category before any use */
	g_type_class_unref(g_type_class_ref(GST_TYPE_CMABUF_BUFFER_POOL));
	return GST_ELEMENT_REGISTER(cmabufpool, plugin);
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, cmabuf,
		  "CMA (physically contiguous) dma-buf pools from libcmabuf",
		  plugin_init, PACKAGE_VERSION, "LGPL", PACKAGE_NAME,
		  "https://example.invalid/libcmabuf")
