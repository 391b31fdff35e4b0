/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guest's test devices (vivid, vim2m, vgem, vkms), found by driver
 * name rather than by node number. No Check here: the benchmarks and the
 * GStreamer helpers use it too.
 */
#ifndef TESTS_DEVICES_H
#define TESTS_DEVICES_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The first /dev/videoN of `driver` whose device_caps include all of
 * `caps`: its path (static storage, overwritten by the next call) or NULL.
 */
const char *dev_video_path(const char *driver, uint32_t caps);

/* that node opened O_RDWR | O_CLOEXEC, or -1 */
int dev_open_video(const char *driver, uint32_t caps);

/* the first DRM node of `driver` (render node or primary), or -1 */
int dev_open_drm(const char *driver, bool render);

#endif
