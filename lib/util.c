// SPDX-License-Identifier: LGPL-2.1-or-later
/* Small helpers for reading kernel files and calling ioctls. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "libcmabuf-private.h"

ssize_t read_file_at(const char *path, char *buf, size_t bufsz)
{
	size_t len = 0;
	int fd, ret = 0;

	if (bufsz == 0)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		if (len == bufsz - 1) {
			char extra;

			/* full: a further byte means the file did not fit */
			n = read(fd, &extra, 1);
			if (n > 0)
				ret = -EFBIG;
			else if (n < 0 && errno == EINTR)
				continue;
			else if (n < 0)
				ret = -errno;
			break;
		}
		n = read(fd, buf + len, bufsz - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return ret < 0 ? ret : (ssize_t)len;
}

int read_u64_file(const char *path, uint64_t *val)
{
	char buf[64], *end;
	unsigned long long v;
	ssize_t n;

	n = read_file_at(path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	if (buf[0] < '0' || buf[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (errno)
		return -errno;
	if (*end != '\0' && *end != '\n')
		return -EINVAL;
	*val = v;
	return 0;
}

int fd_is_dmabuf(int fd)
{
	struct statfs sfs;

	if (fstatfs(fd, &sfs) < 0)
		return -errno;
	return (unsigned long)sfs.f_type == DMA_BUF_MAGIC;
}

uint64_t monotonic_ns(void)
{
	struct timespec ts;

	/* cannot fail with a valid clock id and pointer */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
