// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Which device is the dma-buf filesystem's: the only proof that a line of
 * /proc/<pid>/maps maps a dma-buf.
 *
 * The path of a maps line is text a process chooses: a file "dmabuf:x" on
 * a tmpfs whose mount was then detached (umount2(MNT_DETACH), allowed to
 * anyone in a user + mount namespace) prints as "/dmabuf:x", with any
 * size and, by creating files until one gets it, any inode number. The
 * device field (major:minor) is the kernel's: every dma-buf lives on the
 * one internal dma-buf mount, whose anonymous device no other filesystem
 * can hold while it exists, i.e. for the whole boot. So a maps line is a
 * dma-buf mapping when its device is that one, and its inode is then a
 * real buffer's.
 *
 * The device is learnt from a dma-buf this process holds, confirmed by the
 * kernel (fstatfs() gives DMA_BUF_MAGIC): first one of our own
 * descriptors, else a one-page buffer made and closed at once, from the
 * system heap or else udmabuf on a one-page memfd. Neither touches CMA:
 * a CMA heap is never used for this, an allocation there may migrate
 * pages. Another process's descriptor is never used either: it can swap
 * the descriptor between our reads. A captured tree records the device
 * in <root>/dmabuf-dev ("major:minor" in hex, as maps prints it). Without
 * any of these no maps line can be trusted: the mappings are unknown.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/dma-heap.h>
#include <linux/udmabuf.h>

#include "stats-private.h"

/* fd's device if the kernel says fd is a dma-buf (its fs magic) */
static bool fd_dmabuf_dev(int fd, struct dmabuf_dev *dev)
{
	struct stat sb;

	if (fd_is_dmabuf(fd) != 1 || fstat(fd, &sb) < 0)
		return false;
	dev->major = major(sb.st_dev);
	dev->minor = minor(sb.st_dev);
	return true;
}

/* one of our own descriptors, through a private dup another thread
 * cannot close and reuse under us */
static bool own_dmabuf_dev(struct dmabuf_dev *dev)
{
	struct dirent *de;
	bool found = false;
	DIR *d;

	d = opendir("/proc/self/fd");
	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		char target[32];
		int fd, dup;
		ssize_t n;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		fd = atoi(de->d_name);
		if (fd == dirfd(d))
			continue;
		n = readlinkat(dirfd(d), de->d_name, target,
			       sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		/* a cheap filter only: fdinfo decides */
		if (strncmp(target, "/dmabuf:", 8) != 0 &&
		    strcmp(target, "anon_inode:dmabuf") != 0)
			continue;
		dup = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		if (dup < 0)
			continue;
		found = fd_dmabuf_dev(dup, dev);
		close(dup);
	}
	closedir(d);
	return found;
}

/* a one-page buffer of the system heap (not CMA): made, read, freed */
static bool system_heap_dev(struct cmabuf_ctx *ctx, struct dmabuf_dev *dev)
{
	struct dma_heap_allocation_data data = {
		.len = (uint64_t)sysconf(_SC_PAGESIZE),
		.fd_flags = O_RDWR | O_CLOEXEC,
	};
	char path[PATH_MAX];
	bool found;
	int heap;

	snprintf(path, sizeof(path), "%s/system", cmabuf_ctx_heap_dir(ctx));
	heap = open(path, O_RDONLY | O_CLOEXEC);
	if (heap < 0)
		return false;
	if (ioctl_restart(heap, DMA_HEAP_IOCTL_ALLOC, &data) < 0) {
		close(heap);
		return false;
	}
	close(heap);
	found = fd_dmabuf_dev((int)data.fd, dev);
	close((int)data.fd);
	return found;
}

/* udmabuf over a one-page memfd: no CMA either */
static bool udmabuf_dev(struct cmabuf_ctx *ctx, struct dmabuf_dev *dev)
{
	struct udmabuf_create create = {
		.flags = UDMABUF_FLAGS_CLOEXEC,
		.size = (uint64_t)sysconf(_SC_PAGESIZE),
	};
	bool found = false;
	int udma, memfd, buf;
	char *path;

	path = cmabuf_ctx_path(ctx, "/dev/udmabuf");
	udma = path ? open(path, O_RDWR | O_CLOEXEC) : -1;
	free(path);
	if (udma < 0)
		return false;
	memfd = memfd_create("cmabuf-dmabuf-dev",
			     MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (memfd >= 0 && ftruncate(memfd, (off_t)create.size) == 0 &&
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK) == 0) {
		create.memfd = (uint32_t)memfd;
		buf = ioctl(udma, UDMABUF_CREATE, &create);
		if (buf >= 0) {
			found = fd_dmabuf_dev(buf, dev);
			close(buf);
		}
	}
	if (memfd >= 0)
		close(memfd);
	close(udma);
	return found;
}

/* <root>/dmabuf-dev of a captured tree: "major:minor", hex */
static bool recorded_dev(struct cmabuf_ctx *ctx, struct dmabuf_dev *dev)
{
	char text[64], *path, *p, *e;
	unsigned long maj, min;
	ssize_t n;

	path = cmabuf_ctx_path(ctx, "/dmabuf-dev");
	if (!path)
		return false;
	n = read_file_at(path, text, sizeof(text));
	free(path);
	if (n <= 0)
		return false;
	p = text;
	if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
		return false;
	errno = 0;
	maj = strtoul(p, &e, 16);
	if (errno || e == p || *e != ':' || maj > UINT32_MAX)
		return false;
	p = e + 1;
	if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
		return false;
	min = strtoul(p, &e, 16);
	if (errno || e == p || (*e != '\n' && *e != '\0') ||
	    min > UINT32_MAX)
		return false;
	dev->major = (uint32_t)maj;
	dev->minor = (uint32_t)min;
	return true;
}

int dmabuf_dev_learn(struct cmabuf_ctx *ctx, struct dmabuf_dev *dev)
{
	const char *how;

	if (ctx->sysroot[0]) {	/* a captured tree */
		how = "the tree's dmabuf-dev file";
		if (!recorded_dev(ctx, dev))
			goto unknown;
	} else if (own_dmabuf_dev(dev)) {
		how = "a descriptor of ours";
	} else if (system_heap_dev(ctx, dev)) {
		how = "a page of the system heap";
	} else if (udmabuf_dev(ctx, dev)) {
		how = "a page of udmabuf";
	} else {
		how = NULL;
		goto unknown;
	}
	dbg(ctx, "dma-buf filesystem: device %02x:%02x (from %s)\n",
	    dev->major, dev->minor, how);
	return 0;
unknown:
	info(ctx, "dma-buf mappings unknown: %s\n", how ?
	     "the captured tree records no dmabuf-dev" :
	     "no dma-buf to learn the dma-buf filesystem's device from (no "
	     "system heap, no udmabuf); maps paths alone prove nothing");
	return -ENOENT;
}
