// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmabufpool between a camera and a display on a real kernel (test VM):
 * v4l2src io-mode=dmabuf-import on vivid's dma-contig instance (no IOMMU:
 * it takes only physically contiguous buffers) captures into the
 * element's CMA frames, and kmssink on vkms imports and shows the same
 * buffers; no element copies. With heap=system the driver refuses the
 * scattered buffers and the pipeline fails at once with an error.
 *
 * Descriptors: GStreamer 1.22's v4l2src leaks itself, its buffer pool
 * (with a dup of the device fd and its poll sockets) and whatever that
 * pool holds when it goes to NULL, with or without cmabufpool (the leaks
 * tracer shows it for "v4l2src io-mode=mmap ! fakesink"). So this suite
 * checks that no CMA buffer stays open, not the whole descriptor count;
 * test-vm-gst checks the count on pipelines without v4l2src.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/videodev2.h>
#include <gst/allocators/allocators.h>

#include "devices.h"
#include "gstutil.h"
#include "testutil.h"

#define FRAMES 30
#define TIMEOUT_S 180

static const char *const plugins[] = {
	"coreelements", "video4linux2", "kms", NULL,
};

/*
 * Sanitizer builds: to LeakSanitizer the v4l2src leak above is lost
 * memory, with whatever its pool still holds (the cmabufpool pool and
 * allocator among it), and glib's frameless stacks (two frames, even with
 * the slow unwinder) do not say which plugin allocated it. So this suite
 * leaves leak checking to test-vm-gst, which runs the same plugin code
 * without v4l2src and passes under LeakSanitizer. Read only by
 * -fsanitize=address builds (exported: the runtime looks it up).
 */
__attribute__((visibility("default"))) const char *
__asan_default_options(void);

__attribute__((visibility("default"))) const char *
__asan_default_options(void)
{
	return "detect_leaks=0";
}

static const char *vivid;	/* vivid's multi-planar dma-contig capture node */

static void setup(void)
{
	gu_setup(plugins);
}

struct seen {
	int frames;
	int not_ours;		/* not dma-buf memory of GstCmaBufAllocator */
	int blank;		/* still the zeroes of a fresh CMA buffer */
	int wrong_heap;
	uint64_t inodes[FRAMES];
	int distinct;
	guint64 allocations_at_5;
	int scanouts, scanouts_ours;
	char exporter[64];
	GstElement *pool;
};

static bool known_inode(const struct seen *s, uint64_t ino)
{
	int i;

	for (i = 0; i < s->distinct; i++)
		if (s->inodes[i] == ino)
			return true;
	return false;
}

/* the heap hands out zeroed memory: vivid's colour bars are not zero */
static bool is_blank(GstBuffer *buf)
{
	GstMapInfo map;
	bool blank = true;
	gsize i;

	if (!gst_buffer_map(buf, &map, GST_MAP_READ))
		return true;
	for (i = 0; i < map.size && i < 4096 && blank; i++)
		blank = map.data[i] == 0;
	gst_buffer_unmap(buf, &map);
	return blank;
}

/* frames the sink rendered (GstBaseSink's stats) */
static guint64 rendered(GstElement *pipe)
{
	GstElement *sink = gst_bin_get_by_name(GST_BIN(pipe), "k");
	GstStructure *st = NULL;
	guint64 n = 0;

	g_object_get(sink, "stats", &st, NULL);
	gst_structure_get_uint64(st, "rendered", &n);
	gst_structure_free(st);
	gst_object_unref(sink);
	return n;
}

static void note_buffer(struct seen *s, GstBuffer *buf)
{
	GstMemory *mem = gst_buffer_peek_memory(buf, 0);
	char name[64];
	uint64_t ino;
	int fd;

	if (!gst_is_dmabuf_memory(mem) ||
	    strcmp(G_OBJECT_TYPE_NAME(mem->allocator), "GstCmaBufAllocator")) {
		s->not_ours++;
		return;
	}
	if (is_blank(buf))
		s->blank++;
	fd = gst_dmabuf_memory_get_fd(mem);
	if (strcmp(gu_exp_name(fd, name, sizeof(name)),
		   tu_cma_heap_name()) != 0)
		s->wrong_heap++;
	ino = gu_inode(fd);
	if (!known_inode(s, ino) && s->distinct < FRAMES)
		s->inodes[s->distinct++] = ino;
}

/* what vkms scans out while frame n arrives: frame n-1, one of ours */
static void note_scanout(struct seen *s)
{
	int drm = dev_open_drm("vkms", false), fd;
	char name[64];

	fd = drm >= 0 ? gu_scanout_dmabuf(drm) : -1;
	if (fd >= 0) {
		s->scanouts++;
		gu_exp_name(fd, name, sizeof(name));
		snprintf(s->exporter, sizeof(s->exporter), "%s", name);
		if (known_inode(s, gu_inode(fd)))
			s->scanouts_ours++;
		close(fd);
	}
	if (drm >= 0)
		close(drm);
}

static GstPadProbeReturn at_display(GstPad *pad, GstPadProbeInfo *info,
				    gpointer data)
{
	struct seen *s = data;

	s->frames++;
	if (s->frames > 5 && s->frames <= 8)
		note_scanout(s);
	note_buffer(s, GST_PAD_PROBE_INFO_BUFFER(info));
	if (s->frames == 5)
		g_object_get(s->pool, "allocations", &s->allocations_at_5,
			     NULL);
	return GST_PAD_PROBE_OK;
}

#define CAMERA "v4l2src device=%s io-mode=dmabuf-import num-buffers=%d ! " \
	       "video/x-raw,format=BGRx,width=640,height=480"
/* sync=false: under emulation late frames would be dropped, not shown */
#define DISPLAY "kmssink name=k driver-name=vkms force-modesetting=true " \
		"sync=false"

START_TEST(test_camera_to_display_zero_copy)
{
	GstElement *pipe, *sink;
	struct gu_result res;
	guint64 allocations;
	struct seen s = { 0 };
	GstPad *pad;

	pipe = gu_parse(CAMERA " ! cmabufpool name=p ! " DISPLAY, vivid,
			FRAMES);
	s.pool = gst_bin_get_by_name(GST_BIN(pipe), "p");
	sink = gst_bin_get_by_name(GST_BIN(pipe), "k");
	pad = gst_element_get_static_pad(sink, "sink");
	gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, at_display, &s,
			  NULL);
	gst_object_unref(pad);
	gst_object_unref(sink);
	gu_play(pipe, TIMEOUT_S, &res);
	ck_assert_msg(res.eos, "no EOS after %d frames: %s", s.frames,
		      res.errors);
	g_object_get(s.pool, "allocations", &allocations, NULL);
	gst_object_unref(s.pool);
	ck_assert_uint_eq(rendered(pipe), FRAMES);
	gu_stop(pipe, &res);
	if (getenv("CMABUF_GST_VERBOSE"))
		gu_dump_fds("after NULL");
	ck_assert_int_eq(gu_count_dmabufs(tu_cma_heap_name()), 0);

	ck_assert_int_eq(s.frames, FRAMES);
	ck_assert_int_eq(s.not_ours, 0);
	ck_assert_int_eq(s.blank, 0);
	ck_assert_int_eq(s.wrong_heap, 0);
	/* the capture driver filled the pool's buffers, recycled */
	ck_assert_int_le(s.distinct, (int)allocations);
	ck_assert_uint_eq(allocations, s.allocations_at_5);
	ck_assert_int_eq(s.scanouts, 3);
	ck_assert_msg(s.scanouts_ours == 3, "vkms scans out a buffer of %s, "
		      "not a captured one", s.exporter);
}
END_TEST

START_TEST(test_system_heap_refused)
{
	struct gu_result res;
	GstElement *pipe;

	pipe = gu_parse(CAMERA " ! cmabufpool heap=system ! " DISPLAY, vivid,
			FRAMES);
	gu_play(pipe, TIMEOUT_S, &res);
	ck_assert_msg(!res.timed_out, "no error and no EOS in %d s",
		      TIMEOUT_S);
	ck_assert_msg(!res.eos, "dma-contig took system-heap buffers");
	/* vivid refuses the queued buffers: v4l2src's pool cannot start */
	ck_assert_msg(strstr(res.errors, "v4l2src") &&
		      strstr(res.errors, "Failed to allocate required memory"),
		      "errors: %s", res.errors);
	ck_assert_msg(strstr(res.warnings, "not physically contiguous"),
		      "warnings: %s", res.warnings);
	gu_stop(pipe, &res);
	if (getenv("CMABUF_GST_VERBOSE"))
		gu_dump_fds("after NULL");
}
END_TEST

static Suite *v4l2_suite(void)
{
	Suite *s = suite_create("gst-v4l2");
	TCase *tc = tcase_create("vivid-vkms");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_camera_to_display_zero_copy);
	tcase_add_test(tc, test_system_heap_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	const char *missing = tu_missing_cma();

	if (!missing)
		missing = tu_missing_drm("vkms");
	if (missing)
		return tu_cannot_run(missing);
	vivid = dev_video_path("vivid", V4L2_CAP_VIDEO_CAPTURE_MPLANE);
	if (!vivid)
		return tu_cannot_run("no multi-planar vivid capture node");
	vivid = g_strdup(vivid);
	return tu_run(v4l2_suite());
}
