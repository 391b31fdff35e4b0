// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fixture-holder: helper of tests/vm/capture-fixtures (runs in the test VM).
 *
 *   fixture-holder CMA_HEAP_PATH SYSTEM_HEAP_PATH
 *
 * Allocates a 4 MiB buffer from the CMA heap (named "fixture-cma" with
 * DMA_BUF_SET_NAME) and a 1 MiB buffer from the system heap (unnamed), mmaps
 * and touches both, prints one line
 *   ready pid=<pid> cma_fd=<fd> cma_size=<bytes> system_fd=<fd> system_size=<bytes>
 * on stdout, then waits until it is killed, so that its /proc files can be
 * copied.  Plain C + libc + kernel UAPI headers.
 */
#define _GNU_SOURCE
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

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>

#define CMA_SIZE (4u << 20)
#define SYSTEM_SIZE (1u << 20)

static int alloc_from(const char *heap, size_t len)
{
	struct dma_heap_allocation_data data;
	int fd = open(heap, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "fixture-holder: open %s: %s\n", heap, strerror(errno));
		exit(1);
	}
	memset(&data, 0, sizeof(data));
	data.len = len;
	data.fd_flags = O_RDWR | O_CLOEXEC;
	if (ioctl(fd, DMA_HEAP_IOCTL_ALLOC, &data) < 0) {
		fprintf(stderr, "fixture-holder: allocating %zu bytes from %s: %s\n",
			len, heap, strerror(errno));
		exit(1);
	}
	close(fd);
	return (int)data.fd;
}

static void map_and_touch(int fd, size_t len)
{
	struct dma_buf_sync sync = { .flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE };
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED) {
		fprintf(stderr, "fixture-holder: mmap: %s\n", strerror(errno));
		exit(1);
	}
	ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
	memset(p, 0x5a, len);
	sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE;
	ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
}

int main(int argc, char **argv)
{
	struct stat sb;
	int cma, sys;

	if (argc != 3) {
		fprintf(stderr, "usage: fixture-holder CMA_HEAP_PATH SYSTEM_HEAP_PATH\n");
		return 2;
	}
	cma = alloc_from(argv[1], CMA_SIZE);
	if (ioctl(cma, DMA_BUF_SET_NAME, "fixture-cma") < 0) {
		fprintf(stderr, "fixture-holder: DMA_BUF_SET_NAME: %s\n", strerror(errno));
		return 1;
	}
	sys = alloc_from(argv[2], SYSTEM_SIZE);
	map_and_touch(cma, CMA_SIZE);
	map_and_touch(sys, SYSTEM_SIZE);

	/*
	 * pagesize: a captured tree's page counts are in this kernel's pages;
	 * dmabuf_dev: the device of the dma-buf filesystem, which alone says
	 * which maps lines are dma-bufs (lib/stats-dmabuf-dev.c)
	 */
	if (fstat(cma, &sb) < 0) {
		fprintf(stderr, "fixture-holder: fstat: %s\n", strerror(errno));
		return 1;
	}
	printf("ready pid=%d cma_fd=%d cma_size=%u system_fd=%d system_size=%u "
	       "pagesize=%ld dmabuf_dev=%02x:%02x\n", (int)getpid(), cma,
	       CMA_SIZE, sys, SYSTEM_SIZE, sysconf(_SC_PAGESIZE),
	       major(sb.st_dev), minor(sb.st_dev));
	fflush(stdout);
	for (;;)
		pause();
}
