// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Cache maintenance seen from the kernel (run in the test VM): every
 * cmabuf_sync_begin()/cmabuf_sync_end() of a CMA buffer that a device has
 * mapped must reach that device's DMA sync, with the DMA API's direction,
 * over the range the device mapped. The kernel's trace events
 * dma:dma_sync_sg_for_cpu / _for_device (6.12+) show it; they are read
 * through libtracefs in an instance of our own (tests/dma-trace.c).
 *
 * What the kernel does (drivers/dma-buf/dma-buf.c, heaps/cma_heap.c, the
 * same in 6.1, 6.12 and 7.2):
 * - DMA_BUF_IOCTL_SYNC turns READ into DMA_FROM_DEVICE, WRITE into
 *   DMA_TO_DEVICE, RW into DMA_BIDIRECTIONAL, and the CMA heap passes that
 *   direction (the CPU's, not the one the device mapped with) to
 *   dma_sync_sgtable_for_cpu() at START and _for_device() at END, once
 *   for each attachment that is mapped, and for no other.
 * - DMA_API_DEBUG checks each of those syncs against the device's mapping
 *   and WARNs on a direction the mapping does not allow: a CPU WRITE
 *   bracket on a capture (FROM_DEVICE) mapping is such a mismatch. So
 *   READ is tested on vivid's capture queue, WRITE on its output queue,
 *   RW on a bidirectional (DRM PRIME) mapping where the kernel makes one.
 * - vb2 dma-contig (vivid instance 1) maps a DMABUF at QBUF and keeps it
 *   mapped across DQBUF until REQBUFS(0); vb2 vmalloc (vivid instance 0)
 *   attaches without mapping. DRM PRIME import maps bidirectionally up to
 *   6.x; since drm_gem_shmem_prime_import_no_map (7.x) vgem only attaches.
 *   Which device mapped is read from dma:dma_map_sg, and said.
 *
 * Kernels without the events (6.1): the same scenarios run, and what is
 * checked is what that kernel shows: the ioctls succeed, begin waits for
 * the buffer's fences (so it reached the kernel), and DMA_API_DEBUG,
 * which checks every sync there, counts no error (dma-api/error_count)
 * and logs no WARNING (the VM runner fails on one). That a sync reached a
 * device, and in which direction, is not checked there.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <linux/videodev2.h>
#include <tracefs.h>
#include <xf86drm.h>

#include "dma-trace.h"
#include "testutil.h"

#define DMA_API_ERRORS "/sys/kernel/debug/dma-api/error_count"
#define MAX_EVENTS 256

static struct cmabuf_ctx *ctx;
static struct cmabuf_heap *cma;
static struct dt_session *trace;	/* NULL: kernel without the events */
static struct dt_event ev[MAX_EVENTS];
static int fds_at_start;
static long dma_errors_at_start;
static bool dma_debug;	/* CONFIG_DMA_API_DEBUG: always in the test VM */
static bool events;	/* the kernel has the dma:* events (main() probed) */

static long dma_api_errors(void)
{
	FILE *f;
	long n = -1;

	if (!dma_debug)
		return 0;
	f = fopen(DMA_API_ERRORS, "re");

	ck_assert_msg(f != NULL, "%s: %s (kernel needs CONFIG_DMA_API_DEBUG)",
		      DMA_API_ERRORS, strerror(errno));
	if (fscanf(f, "%ld", &n) != 1)
		n = -1;
	fclose(f);
	ck_assert_int_ge(n, 0);
	return n;
}

static void setup(void)
{
	const char *why = NULL;

	tu_fixture_open(&ctx, &cma, NULL, &fds_at_start);
	dma_errors_at_start = dma_api_errors();
	trace = dt_open(&why);
	/* never fall back to the reduced check silently */
	ck_assert_msg(!events || trace, "tracefs instance: %s", why);
}

static void teardown(void)
{
	dt_close(trace);
	trace = NULL;
	/* every sync of the test was checked by DMA_API_DEBUG */
	ck_assert_int_eq(dma_api_errors(), dma_errors_at_start);
	tu_fixture_close(&ctx, &cma, NULL, fds_at_start);
}

/* ---- devices ---- */

/* dev_name() of the device behind a character device fd, from sysfs */
static void device_of_fd(int fd, char *name, size_t size)
{
	char path[64], link[PATH_MAX];
	struct stat st;
	ssize_t n;

	ck_assert_int_eq(fstat(fd, &st), 0);
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/device",
		 major(st.st_rdev), minor(st.st_rdev));
	n = readlink(path, link, sizeof(link) - 1);
	ck_assert_msg(n > 0, "%s: %s", path, strerror(errno));
	link[n] = '\0';
	snprintf(name, size, "%s", basename(link));
}

static int open_vgem(void)
{
	int i;

	for (i = 0; i < 64; i++) {
		char path[32];
		drmVersionPtr v;
		int fd;

		snprintf(path, sizeof(path), "/dev/dri/renderD%d", 128 + i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		v = drmGetVersion(fd);
		if (v && strcmp(v->name, "vgem") == 0) {
			drmFreeVersion(v);
			return fd;
		}
		drmFreeVersion(v);
		close(fd);
	}
	ck_abort_msg("no vgem render node");
	return -1;
}

/* ---- what the trace must show ---- */

/* the device's mapping of the buffer, from dma:dma_map_sg */
struct mapping {
	char device[64];
	int dir;
	struct dt_event map;
};

static int collect(void)
{
	int n = dt_collect(trace, ev, MAX_EVENTS);

	ck_assert_msg(n >= 0, "reading the trace: %s", strerror(-n));
	return n;
}

static void print_events(const char *when, int n)
{
	int i;

	for (i = 0; i < n; i++)
		fprintf(stderr, "  %s: %s %s %s %" PRIu64 " bytes in %u\n",
			when, dt_kind_name(ev[i].kind), ev[i].device,
			dt_dir_name(ev[i].dir), ev[i].bytes, ev[i].all_segs);
}

/*
 * After an import: did `device` map the buffer? The map event must cover
 * the whole buffer when it did.
 */
static bool find_mapping(int n, const char *device, size_t size,
			 struct mapping *m)
{
	int i, found = 0;

	for (i = 0; i < n; i++) {
		if (ev[i].kind != DT_MAP_SG || strcmp(ev[i].device, device))
			continue;
		found++;
		m->map = ev[i];
	}
	if (!found)
		return false;
	ck_assert_msg(found == 1, "%d dma_map_sg for %s in one import", found,
		      device);
	snprintf(m->device, sizeof(m->device), "%s", device);
	m->dir = m->map.dir;
	ck_assert_msg(m->map.bytes == size, "%s mapped %" PRIu64 " of %zu "
		      "bytes", device, m->map.bytes, size);
	return true;
}

static bool same_range(const struct dt_event *a, const struct dt_event *b)
{
	unsigned int i;

	if (a->all_segs != b->all_segs || a->bytes != b->bytes)
		return false;
	for (i = 0; i < a->nsegs; i++)
		if (a->addr[i] != b->addr[i] || a->len[i] != b->len[i])
			return false;
	return true;
}

static int dir_of(unsigned int flags)
{
	/* DMA_BUF_IOCTL_SYNC's mapping (dma-buf.c), the DMA API's meaning */
	if (flags == CMABUF_SYNC_READ)
		return DT_FROM_DEVICE;
	if (flags == CMABUF_SYNC_WRITE)
		return DT_TO_DEVICE;
	return DT_BIDIRECTIONAL;
}

/*
 * The events of one library call: exactly one sync of `kind` for each
 * mapping in maps[] (none when nmaps is 0), in the bracket's direction,
 * over the range the device mapped; no sync of anything else.
 */
static void expect_syncs(int n, enum dt_kind kind, unsigned int flags,
			 const struct mapping *maps, unsigned int nmaps,
			 const char *call)
{
	unsigned int seen[4] = { 0 }, m, syncs = 0;
	int i;

	for (i = 0; i < n; i++) {
		if (ev[i].kind != DT_SYNC_FOR_CPU &&
		    ev[i].kind != DT_SYNC_FOR_DEVICE)
			continue;
		syncs++;
		for (m = 0; m < nmaps; m++)
			if (strcmp(ev[i].device, maps[m].device) == 0)
				break;
		if (m == nmaps || ev[i].kind != kind) {
			print_events(call, n);
			ck_abort_msg("%s: unexpected %s for %s", call,
				     dt_kind_name(ev[i].kind), ev[i].device);
		}
		ck_assert_msg(ev[i].dir == dir_of(flags), "%s: %s for %s with "
			      "%s, expected %s", call, dt_kind_name(kind),
			      ev[i].device, dt_dir_name(ev[i].dir),
			      dt_dir_name(dir_of(flags)));
		ck_assert_msg(same_range(&ev[i], &maps[m].map), "%s: %s for %s "
			      "covers %" PRIu64 " bytes in %u segments, the "
			      "mapping %" PRIu64 " in %u", call,
			      dt_kind_name(kind), ev[i].device, ev[i].bytes,
			      ev[i].all_segs, maps[m].map.bytes,
			      maps[m].map.all_segs);
		seen[m]++;
	}
	for (m = 0; m < nmaps; m++)
		ck_assert_msg(seen[m] == 1, "%s: %u %s for %s, expected 1", call,
			      seen[m], dt_kind_name(kind), maps[m].device);
	if (nmaps == 0 && syncs) {
		print_events(call, n);
		ck_abort_msg("%s: %u syncs with no mapped device", call, syncs);
	}
}

/*
 * One bracket, checked call by call: begin must give each mapped device
 * its sync for the CPU, end its sync for the device. With no trace the
 * bracket still runs (and DMA_API_DEBUG checks it).
 */
static void bracket(struct cmabuf *buf, unsigned int flags,
		    const struct mapping *maps, unsigned int nmaps)
{
	uint8_t *p = NULL;

	ck_assert_int_eq(cmabuf_map(buf, CMABUF_MAP_RW, (void **)&p), 0);
	if (trace)
		dt_drain(trace);
	ck_assert_int_eq(cmabuf_sync_begin(buf, flags), 0);
	if (trace)
		expect_syncs(collect(), DT_SYNC_FOR_CPU, flags, maps, nmaps,
			     "cmabuf_sync_begin");
	if (flags & CMABUF_SYNC_WRITE)
		memset(p, 0x5a, cmabuf_get_size(buf));
	else
		(void)*(volatile uint8_t *)&p[cmabuf_get_size(buf) - 1];
	ck_assert_int_eq(cmabuf_sync_end(buf, flags), 0);
	if (trace)
		expect_syncs(collect(), DT_SYNC_FOR_DEVICE, flags, maps, nmaps,
			     "cmabuf_sync_end");
	ck_assert_int_eq(cmabuf_unmap(buf), 0);
}

static void brackets_none(struct cmabuf *buf)
{
	bracket(buf, CMABUF_SYNC_READ, NULL, 0);
	bracket(buf, CMABUF_SYNC_WRITE, NULL, 0);
	bracket(buf, CMABUF_SYNC_RW, NULL, 0);
}

/* ---- the tracefs instance ---- */

static char *read_file(const char *path)
{
	static char buf[4][256];
	static int i;
	FILE *f = fopen(path, "re");
	size_t n;

	i = (i + 1) % 4;
	buf[i][0] = '\0';
	if (!f)
		return buf[i];
	n = fread(buf[i], 1, sizeof(buf[i]) - 1, f);
	buf[i][n] = '\0';
	fclose(f);
	return buf[i];
}

START_TEST(test_instance_left_as_found)
{
	const char *dir = tracefs_tracing_dir();
	char top[PATH_MAX], inst[PATH_MAX], before[256];
	struct stat st;

	ck_assert_ptr_nonnull(trace);
	ck_assert_ptr_nonnull(dir);
	snprintf(top, sizeof(top), "%s/events/dma/dma_sync_sg_for_cpu/enable",
		 dir);
	snprintf(inst, sizeof(inst), "%s/instances/%s", dir,
		 dt_instance_name(trace));
	ck_assert_int_eq(stat(inst, &st), 0);
	/* enabled in our instance */
	snprintf(inst + strlen(inst), sizeof(inst) - strlen(inst),
		 "/events/dma/dma_sync_sg_for_cpu/enable");
	ck_assert_int_eq(atoi(read_file(inst)), 1);
	snprintf(before, sizeof(before), "%s", read_file(top));
	dt_close(trace);
	trace = NULL;
	/* the top level as it was, the instance gone */
	ck_assert_str_eq(read_file(top), before);
	snprintf(inst, sizeof(inst), "%s/instances/cmabuf-dma-%d", dir,
		 (int)getpid());
	ck_assert_int_ne(stat(inst, &st), 0);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

/* ---- no device ---- */

START_TEST(test_no_attachment_no_sync)
{
	struct cmabuf *buf = NULL;

	ck_assert_int_eq(cmabuf_alloc(cma, 1 << 20, 0, &buf), 0);
	brackets_none(buf);
	cmabuf_unref(buf);
}
END_TEST

/* ---- V4L2: vivid ---- */

/*
 * Every buffer a device maps here is 64 KiB: vivid and vgem declare no
 * DMA segment limit, so the DMA API's default of 64 KiB applies, and
 * DMA_API_DEBUG WARNs when one maps a longer (contiguous, so one-segment)
 * CMA buffer. That WARN is the drivers' and would use up the one report
 * DMA_API_DEBUG prints per boot (dma-api/num_errors = 1), hiding any sync
 * complaint after it. 8-bit grey 320x180 (57600 bytes) fits.
 */
#define MAPPED_SIZE (64 * 1024)

struct vqueue {
	int fd;
	uint32_t type;
	char device[64];
	uint32_t sizeimage;
};

static bool is_mplane(uint32_t type)
{
	return type == V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE ||
	       type == V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
}

static void vqueue_open(struct vqueue *q, uint32_t caps, uint32_t type)
{
	struct v4l2_format f = { .type = type };
	struct v4l2_requestbuffers rb = {
		.count = 2, .type = type, .memory = V4L2_MEMORY_DMABUF,
	};

	memset(q, 0, sizeof(*q));
	q->fd = tu_open_video("vivid", caps);
	q->type = type;
	device_of_fd(q->fd, q->device, sizeof(q->device));
	if (is_mplane(type)) {
		f.fmt.pix_mp.width = 320;
		f.fmt.pix_mp.height = 180;
		f.fmt.pix_mp.pixelformat = V4L2_PIX_FMT_GREY;
		f.fmt.pix_mp.num_planes = 1;
	} else {
		f.fmt.pix.width = 320;
		f.fmt.pix.height = 180;
		f.fmt.pix.pixelformat = V4L2_PIX_FMT_GREY;
	}
	ck_assert_msg(ioctl(q->fd, VIDIOC_S_FMT, &f) == 0, "S_FMT: %s",
		      strerror(errno));
	q->sizeimage = is_mplane(type) ? f.fmt.pix_mp.plane_fmt[0].sizeimage :
					 f.fmt.pix.sizeimage;
	ck_assert_msg(q->sizeimage > 0 && q->sizeimage <= MAPPED_SIZE,
		      "%s: a frame of %u bytes", q->device, q->sizeimage);
	ck_assert_msg(ioctl(q->fd, VIDIOC_REQBUFS, &rb) == 0, "REQBUFS: %s",
		      strerror(errno));
	ck_assert_uint_ge(rb.count, 2);
}

static void vqueue_buffer(const struct vqueue *q, struct v4l2_buffer *vb,
			  struct v4l2_plane *plane, struct cmabuf *buf)
{
	bool out = q->type == V4L2_BUF_TYPE_VIDEO_OUTPUT ||
		   q->type == V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;

	memset(vb, 0, sizeof(*vb));
	memset(plane, 0, sizeof(*plane));
	vb->type = q->type;
	vb->memory = V4L2_MEMORY_DMABUF;
	if (!buf)
		return;
	if (is_mplane(q->type)) {
		plane->m.fd = cmabuf_get_fd(buf);
		plane->length = (uint32_t)cmabuf_get_size(buf);
		plane->bytesused = out ? q->sizeimage : 0;
		vb->m.planes = plane;
		vb->length = 1;
	} else {
		vb->m.fd = cmabuf_get_fd(buf);
		vb->length = (uint32_t)cmabuf_get_size(buf);
		vb->bytesused = out ? q->sizeimage : 0;
	}
}

/* QBUF buf as buffer `index` */
static void vqueue_qbuf(const struct vqueue *q, struct cmabuf *buf,
			unsigned int index)
{
	struct v4l2_buffer vb;
	struct v4l2_plane plane;

	vqueue_buffer(q, &vb, &plane, buf);
	vb.index = index;
	ck_assert_msg(ioctl(q->fd, VIDIOC_QBUF, &vb) == 0, "QBUF on %s: %s",
		      q->device, strerror(errno));
}

static void vqueue_dqbuf(const struct vqueue *q, unsigned int index)
{
	struct v4l2_buffer vb;
	struct v4l2_plane plane;

	vqueue_buffer(q, &vb, &plane, NULL);
	if (is_mplane(q->type)) {
		vb.m.planes = &plane;
		vb.length = 1;
	}
	ck_assert_msg(ioctl(q->fd, VIDIOC_DQBUF, &vb) == 0, "DQBUF on %s: %s",
		      q->device, strerror(errno));
	ck_assert_uint_eq(vb.index, index);
}

/* QBUF as buffer `index`; *m receives the device's mapping, if any */
static bool vqueue_map(const struct vqueue *q, struct cmabuf *buf,
		       unsigned int index, struct mapping *m)
{
	bool mapped = false;

	if (trace)
		dt_drain(trace);
	vqueue_qbuf(q, buf, index);
	if (trace)
		mapped = find_mapping(collect(), q->device,
				      cmabuf_get_size(buf), m);
	return mapped;
}

static void vqueue_close(struct vqueue *q)
{
	struct v4l2_requestbuffers rb = {
		.count = 0, .type = q->type, .memory = V4L2_MEMORY_DMABUF,
	};

	ck_assert_int_eq(ioctl(q->fd, VIDIOC_REQBUFS, &rb), 0);
	close(q->fd);
}

/*
 * One vivid queue: a bracket before QBUF reaches nothing; after QBUF
 * each bracket reaches the device (dma-contig) or nothing (vmalloc, which
 * attaches but never maps); after REQBUFS(0) nothing again.
 */
static void vivid_case(uint32_t caps, uint32_t type, unsigned int flags,
		       bool expect_mapped, int map_dir)
{
	struct cmabuf *buf = NULL;
	struct mapping m;
	struct vqueue q;
	bool mapped;

	vqueue_open(&q, caps, type);
	ck_assert_int_eq(cmabuf_alloc(cma, MAPPED_SIZE, 0, &buf), 0);
	/* cmabuf_sync_begin(3): before a device maps it, no maintenance */
	bracket(buf, flags, NULL, 0);
	mapped = vqueue_map(&q, buf, 0, &m);
	if (trace) {
		ck_assert_msg(mapped == expect_mapped, "%s, V4L2 type %u: QBUF "
			      "%s the buffer", q.device, type,
			      mapped ? "mapped" : "did not map");
		if (mapped)
			ck_assert_msg(m.dir == map_dir, "%s mapped %s, "
				      "expected %s", q.device,
				      dt_dir_name(m.dir), dt_dir_name(map_dir));
		printf("%s, V4L2 type %u (%s): QBUF %s; %s bracket -> %s\n",
		       q.device, type, is_mplane(type) ? "dma-contig" :
		       "vmalloc", mapped ? "mapped the buffer" :
		       "attached without mapping", flags == CMABUF_SYNC_READ ?
		       "READ" : "WRITE", mapped ? "one sync for the CPU at "
		       "begin, one for the device at end" : "no sync");
	}
	bracket(buf, flags, &m, mapped ? 1 : 0);
	bracket(buf, flags, &m, mapped ? 1 : 0);
	vqueue_close(&q);
	/* the device let go (unmapped, detached): nothing again */
	bracket(buf, flags, NULL, 0);
	cmabuf_unref(buf);
}

START_TEST(test_vivid_dma_contig_capture_read)
{
	vivid_case(V4L2_CAP_VIDEO_CAPTURE_MPLANE,
		   V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, CMABUF_SYNC_READ, true,
		   DT_FROM_DEVICE);
}
END_TEST

START_TEST(test_vivid_dma_contig_output_write)
{
	vivid_case(V4L2_CAP_VIDEO_OUTPUT_MPLANE,
		   V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, CMABUF_SYNC_WRITE, true,
		   DT_TO_DEVICE);
}
END_TEST

START_TEST(test_vivid_vmalloc_attaches_only)
{
	vivid_case(V4L2_CAP_VIDEO_CAPTURE, V4L2_BUF_TYPE_VIDEO_CAPTURE,
		   CMABUF_SYNC_READ, false, DT_NONE);
}
END_TEST

/* ---- DRM PRIME: vgem ---- */

START_TEST(test_vgem_prime_import)
{
	static const unsigned int all[] = {
		CMABUF_SYNC_READ, CMABUF_SYNC_WRITE, CMABUF_SYNC_RW,
	};
	struct cmabuf *buf = NULL;
	struct mapping m;
	bool mapped = false;
	uint32_t h = 0;
	size_t i;
	int vgem = open_vgem(), n;
	char device[64];

	device_of_fd(vgem, device, sizeof(device));
	ck_assert_int_eq(cmabuf_alloc(cma, MAPPED_SIZE, 0, &buf), 0);
	if (trace)
		dt_drain(trace);
	ck_assert_int_eq(cmabuf_drm_import(buf, vgem, &h), 0);
	if (trace) {
		mapped = find_mapping(collect(), device, cmabuf_get_size(buf),
				      &m);
		/* drm_gem_prime_import_dev maps bidirectionally */
		if (mapped)
			ck_assert_int_eq(m.dir, DT_BIDIRECTIONAL);
		printf("%s: PRIME import %s; READ, WRITE, RW brackets -> %s\n",
		       device, mapped ? "mapped the buffer (BIDIRECTIONAL)" :
		       "attached without mapping (drm_gem_shmem_prime_import_"
		       "no_map)", mapped ? "one sync each way per bracket" :
		       "no sync");
	}
	for (i = 0; i < 3; i++)
		bracket(buf, all[i], &m, mapped ? 1 : 0);
	if (trace)
		dt_drain(trace);
	ck_assert_int_eq(cmabuf_drm_close_handle(ctx, vgem, h), 0);
	if (trace && mapped) {
		bool unmapped = false;
		int k;

		n = collect();
		for (k = 0; k < n; k++)
			unmapped |= ev[k].kind == DT_UNMAP_SG &&
				    !strcmp(ev[k].device, device);
		ck_assert_msg(unmapped, "closing the GEM handle did not unmap");
	}
	brackets_none(buf);
	cmabuf_unref(buf);
	close(vgem);
}
END_TEST

/* ---- a pool buffer going round the device and the CPU ---- */

static void stream(struct vqueue *q, bool on)
{
	ck_assert_int_eq(ioctl(q->fd, on ? VIDIOC_STREAMON : VIDIOC_STREAMOFF,
			       &q->type), 0);
}

/*
 * Release with a fence standing for the device's completion: V4L2 has no
 * out-fences, so the test signals a sw_sync fence after DQBUF, the way a
 * V4L2-to-display bridge turns DQBUF into one. The pool must hold the
 * buffer back until it signals.
 */
static void release_fenced(struct cmabuf_pool *pool, struct cmabuf *buf,
			   int tl, unsigned int seqno)
{
	struct cmabuf *none = NULL;

	ck_assert_int_eq(cmabuf_pool_release(pool, buf, tu_sw_sync_fence(tl, seqno)),
			 0);
	ck_assert_int_eq(cmabuf_pool_acquire(pool, &none), -EAGAIN);
	tu_sw_sync_inc(tl, 1);
}

/*
 * Frame buffers going round: acquire, the CPU writes the frame (WRITE
 * bracket), vivid's output reads it (QBUF), DQBUF gives back the frame
 * before (vivid holds the frame on show until the next one is queued),
 * release that one with its completion fence. vb2 keeps each DMABUF
 * mapped across DQBUF, so after the first QBUF every bracket must reach
 * the device, once each way, in order, and never zero times.
 */
#define POOL_BUFS 2

static unsigned int slot_of(struct cmabuf *const *bufs, struct cmabuf *buf)
{
	unsigned int i;

	for (i = 0; i < POOL_BUFS; i++)
		if (bufs[i] == buf)
			return i;
	ck_abort_msg("the pool handed out a buffer it never had");
	return 0;
}

START_TEST(test_pool_recycled_through_device)
{
	struct cmabuf *bufs[POOL_BUFS] = { NULL }, *buf = NULL;
	struct mapping m[POOL_BUFS];
	struct cmabuf_pool *pool = NULL;
	bool mapped[POOL_BUFS];
	unsigned int i, cycle, shown;
	struct vqueue q;
	int tl = tu_sw_sync_timeline();

	vqueue_open(&q, V4L2_CAP_VIDEO_OUTPUT_MPLANE,
		    V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE);
	ck_assert_int_eq(cmabuf_pool_new(cma, MAPPED_SIZE, POOL_BUFS,
					 POOL_BUFS, 0, &pool), 0);
	for (i = 0; i < POOL_BUFS; i++) {
		ck_assert_int_eq(cmabuf_pool_acquire(pool, &bufs[i]), 0);
		/* the first frames: written before the device mapped them */
		bracket(bufs[i], CMABUF_SYNC_WRITE, NULL, 0);
	}
	/* buffer 0 is on show; vivid returns it when buffer 1 arrives */
	mapped[0] = vqueue_map(&q, bufs[0], 0, &m[0]);
	stream(&q, true);
	mapped[1] = vqueue_map(&q, bufs[1], 1, &m[1]);
	for (i = 0; trace && i < POOL_BUFS; i++)
		ck_assert_msg(mapped[i], "%s did not map pool buffer %u",
			      q.device, i);
	shown = 1;
	vqueue_dqbuf(&q, 0);
	release_fenced(pool, bufs[0], tl, 1);
	for (cycle = 2; cycle <= 6; cycle++) {
		ck_assert_int_eq(cmabuf_pool_acquire_timeout(pool, 10000, &buf),
				 0);
		i = slot_of(bufs, buf);
		ck_assert_uint_ne(i, shown);
		bracket(buf, CMABUF_SYNC_WRITE, &m[i], mapped[i] ? 1 : 0);
		vqueue_qbuf(&q, buf, i);
		vqueue_dqbuf(&q, shown);
		release_fenced(pool, bufs[shown], tl, cycle);
		shown = i;
	}
	stream(&q, false);
	vqueue_close(&q);
	ck_assert_int_eq(cmabuf_pool_release(pool, bufs[shown], -1), 0);
	cmabuf_pool_unref(pool);
	close(tl);
}
END_TEST

/* ---- every kernel: begin reaches the kernel (it waits for fences) ---- */

struct signaller {
	int tl;
	volatile int signalled;
};

static void *signal_later(void *arg)
{
	struct signaller *s = arg;
	__u32 one = 1;

	usleep(200 * 1000);
	s->signalled = 1;
	if (ioctl(s->tl, SW_SYNC_IOC_INC, &one) < 0)
		s->signalled = -errno;
	return NULL;
}

START_TEST(test_begin_waits_for_device_fence)
{
	struct signaller s = { .tl = tu_sw_sync_timeline() };
	struct cmabuf *buf = NULL;
	pthread_t t;
	int fence = tu_sw_sync_fence(s.tl, 1);

	ck_assert_int_eq(cmabuf_alloc(cma, 1 << 20, 0, &buf), 0);
	/* a pending write fence, as a device that still writes leaves */
	ck_assert_int_eq(cmabuf_import_sync_file(buf, CMABUF_SYNC_WRITE,
						 fence), 0);
	close(fence);
	ck_assert_int_eq(pthread_create(&t, NULL, signal_later, &s), 0);
	ck_assert_int_eq(cmabuf_sync_begin(buf, CMABUF_SYNC_READ), 0);
	/* DMA_BUF_IOCTL_SYNC START waited for the fence */
	ck_assert_int_eq(s.signalled, 1);
	ck_assert_int_eq(cmabuf_sync_end(buf, CMABUF_SYNC_READ), 0);
	pthread_join(t, NULL);
	cmabuf_unref(buf);
	close(s.tl);
}
END_TEST

/* ---- suite ---- */

/* the events came with 6.12; a kernel at least that new must have them */
static bool kernel_should_have_events(void)
{
	struct utsname u;
	unsigned int major = 0, minor = 0;

	if (uname(&u) != 0 || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return true;
	return major > 6 || (major == 6 && minor >= 12);
}

/*
 * Where Linux treats every device as DMA-coherent, 6.11+ skips the syncs
 * (dma_skip_sync) unless DMA_API_DEBUG forces them. arm64 and others
 * sync devices that firmware does not call coherent (vivid and vgem have
 * no firmware node), so the events come without DMA_API_DEBUG there.
 */
static bool coherent_arch(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return true;
#else
	return false;
#endif
}

static Suite *dma_sync_suite(bool traced)
{
	Suite *s = suite_create("vm-dma-sync");
	TCase *tc = tcase_create(traced ? "trace" : "no-events");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	if (traced)
		tcase_add_test(tc, test_instance_left_as_found);
	tcase_add_test(tc, test_no_attachment_no_sync);
	tcase_add_test(tc, test_vivid_dma_contig_capture_read);
	tcase_add_test(tc, test_vivid_dma_contig_output_write);
	tcase_add_test(tc, test_vivid_vmalloc_attaches_only);
	tcase_add_test(tc, test_vgem_prime_import);
	tcase_add_test(tc, test_pool_recycled_through_device);
	tcase_add_test(tc, test_begin_waits_for_device_fence);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	const char *missing = tu_missing_cma(), *why = NULL;
	struct dt_session *probe;
	cpu_set_t one;

	if (missing)
		return tu_cannot_run(missing);
	dma_debug = access(DMA_API_ERRORS, R_OK) == 0;
	if (!dma_debug && (getenv("CMABUF_VM") || coherent_arch()))
		return tu_cannot_run("no " DMA_API_ERRORS " (CONFIG_DMA_API_"
				     "DEBUG, debugfs): without it x86 skips "
				     "every sync of a coherent device");
	if (!dma_debug)
		printf("no CONFIG_DMA_API_DEBUG: the syncs are traced, not "
		       "checked against the mappings\n");
	probe = dt_open(&why);
	events = probe != NULL;
	dt_close(probe);
	if (!events && kernel_should_have_events())
		return tu_cannot_run(why);
	if (!events)
		printf("this kernel has no dma:dma_sync_sg_* events (%s): "
		       "reduced check: the brackets run on every device, "
		       "begin waits for fences, DMA_API_DEBUG counts no "
		       "error; which device a sync reached is NOT checked\n",
		       why);
	/* one CPU: the events of one call land in one ring buffer, in order */
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	sched_setaffinity(0, sizeof(one), &one);
	return tu_run(dma_sync_suite(events));
}
