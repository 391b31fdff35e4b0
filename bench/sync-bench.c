// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * sync-bench: what a cmabuf_sync_begin/end pair costs on a CMA buffer that
 * no device has mapped, and on one a device has mapped, next to the raw
 * DMA_BUF_IOCTL_SYNC pair, for 64 KiB, 1 MiB and 8 MiB, in one run.
 *
 * The CMA heap syncs only mapped attachments (cmabuf_sync_begin(3)): the
 * pair on an unmapped buffer is two syscalls; on a mapped one each call
 * adds dma_sync_sgtable_for_cpu/_for_device for the device, which on a
 * non-coherent CPU cleans or invalidates the buffer's cache lines (cost
 * grows with the size) and on x86 does nothing, unless the kernel has
 * CONFIG_DMA_API_DEBUG (the test kernels do), which then checks the sync
 * against the device's mapping on every call.
 *
 * The device is vivid's dma-contig instance (vivid.allocators=0,1 in the
 * test VM): a capture queue maps a DMABUF at VIDIOC_QBUF (FROM_DEVICE)
 * and keeps it mapped; brackets are READ, the direction that mapping
 * allows. Meant for the test VM (make bench): compare the ratios.
 *
 *   sync-bench [--quick]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/videodev2.h>

#include "bench-util.h"
#include "devices.h"
#include "cmabuf.h"

#define KIB ((size_t)1024)
#define MIB ((size_t)1024 * 1024)
#define NSIZES 3
#define PAIRS_PER_BATCH 50

static const size_t sizes[NSIZES] = { 64 * KIB, MIB, 8 * MIB };
static uint64_t budget_ns = 3ull * 1000 * 1000 * 1000;

static void die(const char *what, int err)
{
	fprintf(stderr, "sync-bench: %s: %s\n", what, strerror(err));
	exit(1);
}

/* ---- the device: vivid's dma-contig capture queue ---- */

struct device {
	int fd;
	char name[64];
};

static void device_name(int fd, char *name, size_t size)
{
	char path[64], link[PATH_MAX];
	struct stat st;
	ssize_t n;

	snprintf(name, size, "?");
	if (fstat(fd, &st) < 0)
		return;
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/device",
		 major(st.st_rdev), minor(st.st_rdev));
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return;
	link[n] = '\0';
	snprintf(name, size, "%s", basename(link));
}

/* the smallest frame: 8-bit grey, so that 64 KiB holds one */
static void device_open(struct device *d)
{
	struct v4l2_format f = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE };
	struct v4l2_requestbuffers rb = {
		.count = NSIZES, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE,
		.memory = V4L2_MEMORY_DMABUF,
	};

	d->fd = dev_open_video("vivid", V4L2_CAP_VIDEO_CAPTURE_MPLANE);
	if (d->fd < 0) {
		fprintf(stderr, "sync-bench: no vivid multi-planar capture "
			"node (the test VM boots vivid.multiplanar=1,2 "
			"vivid.allocators=0,1)\n");
		exit(77);
	}
	device_name(d->fd, d->name, sizeof(d->name));
	f.fmt.pix_mp.width = 320;
	f.fmt.pix_mp.height = 180;
	f.fmt.pix_mp.pixelformat = V4L2_PIX_FMT_GREY;
	f.fmt.pix_mp.num_planes = 1;
	if (ioctl(d->fd, VIDIOC_S_FMT, &f) < 0)
		die("VIDIOC_S_FMT", errno);
	if (f.fmt.pix_mp.plane_fmt[0].sizeimage > sizes[0])
		die("vivid's smallest frame does not fit 64 KiB", EINVAL);
	if (ioctl(d->fd, VIDIOC_REQBUFS, &rb) < 0 || rb.count < NSIZES)
		die("VIDIOC_REQBUFS", errno);
}

/* QBUF maps the dma-buf for the device and keeps it mapped */
static void device_map(struct device *d, unsigned int index,
		       struct cmabuf *buf)
{
	struct v4l2_plane plane = {
		.m.fd = cmabuf_get_fd(buf),
		.length = (uint32_t)cmabuf_get_size(buf),
	};
	struct v4l2_buffer vb = {
		.index = index, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE,
		.memory = V4L2_MEMORY_DMABUF, .m.planes = &plane, .length = 1,
	};

	if (ioctl(d->fd, VIDIOC_QBUF, &vb) < 0)
		die("VIDIOC_QBUF", errno);
}

static void device_close(struct device *d)
{
	struct v4l2_requestbuffers rb = {
		.count = 0, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE,
		.memory = V4L2_MEMORY_DMABUF,
	};

	ioctl(d->fd, VIDIOC_REQBUFS, &rb);
	close(d->fd);
}

/* ---- the batches ---- */

struct pair_arg {
	struct cmabuf *base_buf, *cand_buf;
	bool base_lib, cand_lib;
};

static void raw_pair(int fd)
{
	struct dma_buf_sync s = { DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ };

	if (ioctl(fd, DMA_BUF_IOCTL_SYNC, &s) < 0)
		die("DMA_BUF_IOCTL_SYNC", errno);
	s.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ;
	if (ioctl(fd, DMA_BUF_IOCTL_SYNC, &s) < 0)
		die("DMA_BUF_IOCTL_SYNC", errno);
}

static void lib_pair(struct cmabuf *buf)
{
	if (cmabuf_sync_begin(buf, CMABUF_SYNC_READ) < 0 ||
	    cmabuf_sync_end(buf, CMABUF_SYNC_READ) < 0)
		die("cmabuf_sync_begin/end", EIO);
}

static double pair_batch(void *arg, bool candidate)
{
	const struct pair_arg *a = arg;
	struct cmabuf *buf = candidate ? a->cand_buf : a->base_buf;
	bool lib = candidate ? a->cand_lib : a->base_lib;
	int fd = cmabuf_get_fd(buf);
	uint64_t t0 = bench_now_ns();
	unsigned int i;

	for (i = 0; i < PAIRS_PER_BATCH; i++) {
		if (lib)
			lib_pair(buf);
		else
			raw_pair(fd);
	}
	return (double)(bench_now_ns() - t0) / PAIRS_PER_BATCH;
}

static struct bench_cmp run(struct cmabuf *base, bool base_lib,
			    struct cmabuf *cand, bool cand_lib)
{
	struct pair_arg a = { base, cand, base_lib, cand_lib };

	return bench_compare(pair_batch, &a, budget_ns);
}

/* ---- main ---- */

static struct cmabuf *alloc_mapped(struct cmabuf_heap *heap, size_t size)
{
	struct cmabuf *buf = NULL;
	void *p;
	int ret = cmabuf_alloc(heap, size, 0, &buf);

	if (ret < 0)
		die("cmabuf_alloc", -ret);
	/* CPU-mapped like a real user's, so both cases differ only in the
	 * device attachment */
	ret = cmabuf_map(buf, CMABUF_MAP_READ, &p);
	if (ret < 0)
		die("cmabuf_map", -ret);
	return buf;
}

static void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [--quick]\n", argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	struct cmabuf *free_buf[NSIZES], *dev_buf[NSIZES];
	struct cmabuf_heap *heap = NULL;
	struct cmabuf_ctx *ctx = NULL;
	struct utsname u;
	struct device d;
	char json[2048];
	size_t i, jl = 0;
	int c, ret;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'q')
			usage(argv[0]);
		budget_ns /= 3;
	}
	if (optind != argc)
		usage(argv[0]);
	ret = cmabuf_ctx_new(&ctx);
	if (ret < 0)
		die("cmabuf_ctx_new", -ret);
	ret = cmabuf_heap_open(ctx, NULL, 0, &heap);
	if (ret < 0) {
		fprintf(stderr, "sync-bench: no CMA heap (run it in the test "
			"VM: make bench)\n");
		return 77;
	}
	bench_clock_init();
	device_open(&d);
	for (i = 0; i < NSIZES; i++) {
		free_buf[i] = alloc_mapped(heap, sizes[i]);
		dev_buf[i] = alloc_mapped(heap, sizes[i]);
		device_map(&d, (unsigned int)i, dev_buf[i]);
	}
	uname(&u);
	printf("sync-bench: kernel %s (%s), CMA heap %s, device %s (vivid "
	       "dma-contig capture, mapped FROM_DEVICE), READ brackets, "
	       "clock %s\n", u.release, u.machine, cmabuf_heap_get_name(heap),
	       d.name, bench_clock_name());
	printf("ns per begin+end pair, medians of alternating batches; the "
	       "ratios are the result\n\n");
	printf("%-6s %10s %10s %7s | %10s %10s %7s | %10s %7s\n", "size",
	       "raw", "lib", "lib/raw", "raw+dev", "lib+dev", "lib/raw",
	       "dev cost", "x");
	printf("%-6s %10s %10s %7s | %10s %10s %7s | %10s %7s\n", "",
	       "no device", "no device", "", "mapped", "mapped", "",
	       "ns/pair", "nodev");
	jl += (size_t)snprintf(json, sizeof(json), "{\"kernel\":\"%s\","
			       "\"machine\":\"%s\",\"device\":\"%s\","
			       "\"sync_pair\":[", u.release, u.machine,
			       d.name);
	for (i = 0; i < NSIZES; i++) {
		/* library vs raw without a device, with one, and the
		 * device's share: the same raw pair with vs without it */
		struct bench_cmp lib = run(free_buf[i], false, free_buf[i],
					   true);
		struct bench_cmp dev = run(free_buf[i], false, dev_buf[i],
					   false);
		struct bench_cmp libdev = run(dev_buf[i], false, dev_buf[i],
					      true);

		printf("%-6s %10.0f %10.0f %6.3fx | %10.0f %10.0f %6.3fx | "
		       "%10.0f %6.2fx\n", sizes[i] >= MIB ? (i == 1 ? "1M" :
		       "8M") : "64K", lib.base, lib.cand, lib.ratio,
		       libdev.base, libdev.cand, libdev.ratio,
		       dev.cand - dev.base, dev.ratio);
		if (jl < sizeof(json))
			jl += (size_t)snprintf(json + jl, sizeof(json) - jl,
				"%s{\"size\":%zu,\"raw_ns\":%.0f,\"lib_ns\":"
				"%.0f,\"lib_ratio\":%.4f,\"raw_dev_ns\":%.0f,"
				"\"lib_dev_ns\":%.0f,\"lib_dev_ratio\":%.4f,"
				"\"dev_ratio\":%.4f}", i ? "," : "", sizes[i],
				lib.base, lib.cand, lib.ratio, libdev.base,
				libdev.cand, libdev.ratio, dev.ratio);
	}
	if (jl < sizeof(json))
		snprintf(json + jl, sizeof(json) - jl, "]}");
	printf("\nJSON: %s\n", json);
	device_close(&d);
	for (i = 0; i < NSIZES; i++) {
		cmabuf_unref(free_buf[i]);
		cmabuf_unref(dev_buf[i]);
	}
	cmabuf_heap_unref(heap);
	cmabuf_ctx_unref(ctx);
	return 0;
}
