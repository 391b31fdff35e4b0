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

static int open_video_node(int i, const char *driver, uint32_t caps,
			   char *path, size_t size)
{
	struct v4l2_capability cap = { 0 };
	int fd;

	snprintf(path, size, "/dev/video%d", i);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (ioctl(fd, VIDIOC_QUERYCAP, &cap) == 0 &&
	    strcmp((const char *)cap.driver, driver) == 0 &&
	    (cap.device_caps & caps) == caps)
		return fd;
	close(fd);
	return -1;
}

const char *dev_video_path(const char *driver, uint32_t caps)
{
	static char path[32];
	int i, fd;

	for (i = 0; i < MAX_NODES; i++) {
		fd = open_video_node(i, driver, caps, path, sizeof(path));
		if (fd >= 0) {
			close(fd);
			return path;
		}
	}
	return NULL;
}

int dev_open_video(const char *driver, uint32_t caps)
{
	char path[32];
	int i, fd;

	for (i = 0; i < MAX_NODES; i++) {
		fd = open_video_node(i, driver, caps, path, sizeof(path));
		if (fd >= 0)
			return fd;
	}
	return -1;
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
