/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The export macro of libgstcmabuf-1.0, as gst-plugins-base's libraries
 * have theirs (allocators-prelude.h): the library is built with
 * -fvisibility=hidden and BUILDING_GST_CMABUF, so only the calls marked
 * GST_CMABUF_API leave it.
 */
#ifndef GST_CMABUF_PRELUDE_H
#define GST_CMABUF_PRELUDE_H

#include <gst/gst.h>

#ifdef BUILDING_GST_CMABUF
#define GST_CMABUF_API GST_API_EXPORT
#else
#define GST_CMABUF_API GST_API_IMPORT
#endif

#endif
