// SPDX-License-Identifier: LGPL-2.1-or-later
/* Test devices by driver name (tests/devices.h). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/videodev2.h>
#include <xf86drm.h>

#include "devices.h"

#define MAX_NODES 64

/* the first node of driver with caps, opened; its path in path[32] */
static int find_video(const char *driver, uint32_t caps, char *path)
{
	int i;

	for (i = 0; i < MAX_NODES; i++) {
		struct v4l2_capability cap = { 0 };
		int fd;

		snprintf(path, 32, "/dev/video%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (ioctl(fd, VIDIOC_QUERYCAP, &cap) == 0 &&
		    strcmp((const char *)cap.driver, driver) == 0 &&
		    (cap.device_caps & caps) == caps)
			return fd;
		close(fd);
	}
	return -1;
}

const char *dev_video_path(const char *driver, uint32_t caps)
{
	static char path[32];
	int fd = find_video(driver, caps, path);

	if (fd < 0)
		return NULL;
	close(fd);
	return path;
}

int dev_open_video(const char *driver, uint32_t caps)
{
	char path[32];

	return find_video(driver, caps, path);
}

int dev_open_drm(const char *driver, bool render)
{
	int i;

	for (i = 0; i < MAX_NODES; i++) {
		char path[32];
		drmVersionPtr v;
		int fd;

		snprintf(path, sizeof(path), render ? "/dev/dri/renderD%d" :
			 "/dev/dri/card%d", render ? 128 + i : i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		v = drmGetVersion(fd);
		if (v && strcmp(v->name, driver) == 0) {
			drmFreeVersion(v);
			return fd;
		}
		drmFreeVersion(v);
		close(fd);
	}
	return -1;
}
