// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The cmabufpool GStreamer element on a real kernel (run in the test VM):
 * videotestsrc writes into CMA frames that reach appsink as dma-buf
 * memory of the CMA heap, from buffers preallocated once, with the same
 * pixels as without the element; videotestsrc ! cmabufpool ! kmssink
 * shows a CMA buffer on vkms through PRIME import; bad settings fail with
 * an error naming the cause and leak no descriptor.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gst/allocators/allocators.h>
#include <gst/app/gstappsink.h>
#include <gst/video/video.h>

#include "devices.h"
#include "gstutil.h"
#include "testutil.h"

#define FRAMES 60
#define MIN_BUFFERS 4
/* generous: TCG, and the first frames fault the mappings in */
#define TIMEOUT_S 120

static const char *const plugins[] = {
	"coreelements", "videotestsrc", "app", "kms", NULL,
};

static void setup(void)
{
	gu_setup(plugins);
}

/* FNV-1a over the visible bytes of every plane, whatever the strides */
static uint64_t frame_checksum(GstBuffer *buf, GstCaps *caps)
{
	uint64_t h = gu_frame_checksum(buf, caps);

	ck_assert_msg(h, "cannot map a frame of %" GST_PTR_FORMAT, caps);
	return h;
}

struct frames {
	int count;
	uint64_t sums[FRAMES];
	uint64_t inodes[FRAMES];
	int distinct;		/* distinct dma-buf inodes */
	int not_dmabuf;		/* buffers of other memory */
	int wrong_heap;		/* dma-bufs of another exporter */
	char heap_seen[64];
};

static void note_memory(struct frames *f, GstBuffer *buf)
{
	GstMemory *mem = gst_buffer_peek_memory(buf, 0);
	char name[64];
	uint64_t ino;
	int fd, i;

	if (gst_buffer_n_memory(buf) != 1 || !gst_is_dmabuf_memory(mem)) {
		f->not_dmabuf++;
		return;
	}
	fd = gst_dmabuf_memory_get_fd(mem);
	gu_exp_name(fd, name, sizeof(name));
	snprintf(f->heap_seen, sizeof(f->heap_seen), "%s", name);
	if (strcmp(name, tu_cma_heap_name()) != 0)
		f->wrong_heap++;
	ino = gu_inode(fd);
	for (i = 0; i < f->distinct; i++)
		if (f->inodes[i] == ino)
			return;
	if (f->distinct < FRAMES)
		f->inodes[f->distinct++] = ino;
}

/* pull every frame of the pipeline's appsink "s" until EOS */
static void pull_frames(GstElement *pipe, struct frames *f, bool dmabuf)
{
	GstElement *sink = gst_bin_get_by_name(GST_BIN(pipe), "s");
	GstSample *s;

	memset(f, 0, sizeof(*f));
	ck_assert_int_ne(gst_element_set_state(pipe, GST_STATE_PLAYING),
			 GST_STATE_CHANGE_FAILURE);
	while ((s = gst_app_sink_try_pull_sample(GST_APP_SINK(sink),
						 TIMEOUT_S * GST_SECOND))) {
		GstBuffer *buf = gst_sample_get_buffer(s);

		ck_assert_int_lt(f->count, FRAMES);
		f->sums[f->count++] = frame_checksum(buf,
						      gst_sample_get_caps(s));
		if (dmabuf)
			note_memory(f, buf);
		gst_sample_unref(s);
	}
	ck_assert_msg(gst_app_sink_is_eos(GST_APP_SINK(sink)),
		      "no EOS after %d frames", f->count);
	gst_object_unref(sink);
}

#define TESTSRC "videotestsrc num-buffers=%d pattern=smpte ! " \
		"video/x-raw,format=%s,width=%d,height=%d"
#define APPSINK "appsink name=s sync=false max-buffers=1"

static void appsink_frames(const char *format, int width, int height)
{
	struct frames with, without;
	GstElement *pipe, *pool;
	guint64 allocations;
	int fds = tu_fd_count(), i;

	pipe = gu_parse(TESTSRC " ! cmabufpool name=p min-buffers=%d ! "
			APPSINK, FRAMES, format, width, height, MIN_BUFFERS);
	pull_frames(pipe, &with, true);
	pool = gst_bin_get_by_name(GST_BIN(pipe), "p");
	g_object_get(pool, "allocations", &allocations, NULL);
	gst_object_unref(pool);
	gst_element_set_state(pipe, GST_STATE_NULL);
	gst_object_unref(pipe);

	pipe = gu_parse(TESTSRC " ! " APPSINK, FRAMES, format, width, height);
	pull_frames(pipe, &without, false);
	gst_element_set_state(pipe, GST_STATE_NULL);
	gst_object_unref(pipe);

	ck_assert_int_eq(with.count, FRAMES);
	ck_assert_int_eq(without.count, FRAMES);
	ck_assert_int_eq(with.not_dmabuf, 0);
	ck_assert_msg(with.wrong_heap == 0, "%d buffers of exporter %s, not %s",
		      with.wrong_heap, with.heap_seen, tu_cma_heap_name());
	/* the preallocated buffers, and no allocation after them */
	ck_assert_uint_eq(allocations, MIN_BUFFERS);
	ck_assert_int_le(with.distinct, MIN_BUFFERS);
	for (i = 0; i < FRAMES; i++)
		ck_assert_msg(with.sums[i] == without.sums[i],
			      "%s frame %d differs through cmabufpool", format,
			      i);
	ck_assert_int_eq(tu_fd_count(), fds);
}

START_TEST(test_appsink_nv12)
{
	appsink_frames("NV12", 640, 480);
}
END_TEST

/* planes at offsets of libcmabuf's layout, not GStreamer's defaults */
START_TEST(test_appsink_i420_odd)
{
	appsink_frames("I420", 322, 242);
}
END_TEST

START_TEST(test_appsink_yuy2_bgrx)
{
	appsink_frames("YUY2", 320, 240);
	appsink_frames("BGRx", 320, 240);
}
END_TEST

/* the formats of gst/gstcmabufformat.c, as GStreamer names them */
static bool known_format(GstVideoFormat f)
{
	static const char *const known[] = {
		"NV12", "NV21", "NV16", "NV61", "I420", "YV12", "P010_10LE",
		"YUY2", "UYVY", "RGB16", "BGR", "RGB", "BGRx", "BGRA", "RGBx",
		"RGBA",
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(known); i++)
		if (gst_video_format_from_string(known[i]) == f)
			return true;
	return false;
}

/* no caps given: negotiation picks a format of the table, not AYUV64 */
START_TEST(test_unconstrained_caps)
{
	GstElement *pipe = gu_parse("videotestsrc num-buffers=3 ! cmabufpool "
				    "name=p ! fakesink");
	GstElement *pool = gst_bin_get_by_name(GST_BIN(pipe), "p");
	GstPad *pad = gst_element_get_static_pad(pool, "src");
	struct gu_result res;
	GstCaps *caps = NULL;
	GstVideoInfo info;

	gu_play(pipe, TIMEOUT_S, &res);
	ck_assert_msg(res.eos, "no EOS: %s", res.errors);
	caps = gst_pad_get_current_caps(pad);
	ck_assert_ptr_nonnull(caps);
	ck_assert(gst_video_info_from_caps(&info, caps));
	ck_assert_msg(known_format(GST_VIDEO_INFO_FORMAT(&info)),
		      "negotiated %" GST_PTR_FORMAT, caps);
	gst_caps_unref(caps);
	gst_object_unref(pad);
	gst_object_unref(pool);
	gu_stop(pipe, &res);
}
END_TEST

/* ---- kmssink: the frame on screen is one of the CMA buffers ---- */

struct shown {
	int frames;
	int checked;			/* scanouts compared */
	int cma_on_screen;		/* of them, a CMA heap dma-buf */
	char exporter[64];
};

static GstPadProbeReturn at_sink(GstPad *pad, GstPadProbeInfo *info,
				 gpointer data)
{
	struct shown *s = data;
	char name[64];
	int drm, fd;

	/* frame n-1 is on screen while frame n arrives */
	if (++s->frames < 5 || s->checked >= 3)
		return GST_PAD_PROBE_OK;
	drm = dev_open_drm("vkms", false);
	fd = drm >= 0 ? gu_scanout_dmabuf(drm) : -1;
	if (fd >= 0) {
		gu_exp_name(fd, name, sizeof(name));
		snprintf(s->exporter, sizeof(s->exporter), "%s", name);
		s->checked++;
		if (strcmp(name, tu_cma_heap_name()) == 0)
			s->cma_on_screen++;
		close(fd);
	}
	if (drm >= 0)
		close(drm);
	return GST_PAD_PROBE_OK;
}

static void show_on_vkms(bool with_pool, struct shown *s)
{
	GstElement *pipe, *sink;
	struct gu_result res;
	GstPad *pad;

	memset(s, 0, sizeof(*s));
	pipe = gu_parse(TESTSRC " ! %s kmssink name=k driver-name=vkms "
			"force-modesetting=true", 30, "BGRx", 640, 480,
			with_pool ? "cmabufpool !" : "");
	sink = gst_bin_get_by_name(GST_BIN(pipe), "k");
	pad = gst_element_get_static_pad(sink, "sink");
	gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, at_sink, s, NULL);
	gst_object_unref(pad);
	gst_object_unref(sink);
	gu_play(pipe, TIMEOUT_S, &res);
	ck_assert_msg(res.eos, "no EOS: %s", res.errors);
	gu_stop(pipe, &res);
}

START_TEST(test_kmssink_prime)
{
	int fds = tu_fd_count();
	struct shown s;

	show_on_vkms(true, &s);
	ck_assert_int_eq(s.frames, 30);
	ck_assert_int_eq(s.checked, 3);
	ck_assert_msg(s.cma_on_screen == 3, "vkms scans out a buffer of %s",
		      s.exporter);
	/* the contrast: kmssink alone copies into its own dumb buffers */
	show_on_vkms(false, &s);
	ck_assert_int_eq(s.checked, 3);
	ck_assert_int_eq(s.cma_on_screen, 0);
	ck_assert_int_eq(tu_fd_count(), fds);
}
END_TEST

/* ---- bad input: an error naming the cause, no descriptor left ---- */

/* the ERROR text of a pipeline that must fail */
static char *failure_of(const char *desc)
{
	GstElement *pipe = gu_parse("%s", desc);
	struct gu_result res;
	char *errors;

	gu_play(pipe, TIMEOUT_S, &res);
	ck_assert_msg(!res.eos && !res.timed_out, "%s did not fail", desc);
	errors = g_strdup(res.errors);
	gu_stop(pipe, &res);
	return errors;
}

static void assert_fails_naming(const char *desc, const char *cause)
{
	int fds = tu_fd_count();
	char *errors = failure_of(desc);

	ck_assert_msg(strstr(errors, cause), "error \"%s\" does not say \"%s\"",
		      errors, cause);
	g_free(errors);
	ck_assert_int_eq(tu_fd_count(), fds);
}

START_TEST(test_unknown_heap)
{
	assert_fails_naming("videotestsrc num-buffers=5 ! cmabufpool "
			    "heap=no-such-heap ! fakesink",
			    "no dma-heap named \"no-such-heap\"");
}
END_TEST

START_TEST(test_max_below_min)
{
	assert_fails_naming("videotestsrc num-buffers=5 ! cmabufpool "
			    "min-buffers=4 max-buffers=2 ! fakesink",
			    "max-buffers (2) is less than min-buffers (4)");
}
END_TEST

START_TEST(test_unknown_format)
{
	assert_fails_naming("videotestsrc num-buffers=5 ! "
			    "video/x-raw,format=AYUV,width=64,height=64 ! "
			    "cmabufpool ! fakesink",
			    "no layout for video format AYUV");
}
END_TEST

/*
 * Run fn as uid/gid 65534 in a forked child; true when it returned true.
 * The plugins its pipelines use are loaded first, as root: the tree may
 * lie under a folder nobody may enter (a root user's clone in /root is
 * 0700), and a plugin is otherwise loaded when its first element is made.
 */
static bool as_nobody(bool (*fn)(void))
{
	static const char *const needed[] = { "cmabuf", "videotestsrc",
					      "coreelements" };
	int status;
	pid_t pid;
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(needed); i++) {
		GstPlugin *plugin = gst_plugin_load_by_name(needed[i]);

		ck_assert_msg(plugin, "plugin %s does not load", needed[i]);
		gst_object_unref(plugin);
	}
	pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setgid(65534) < 0 ||
		    setuid(65534) < 0)
			_exit(2);
		_exit(fn() ? 0 : 3);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/*
 * The heap node is root:root 0600: as nobody, the error says permission
 * denied and names the node's owner and mode.
 */
static bool permission_named(void)
{
	char *errors = failure_of("videotestsrc num-buffers=5 ! cmabufpool ! "
				  "fakesink");
	bool ok = strstr(errors, "permission denied on the dma-heap") &&
		  strstr(errors, "mode 0600");

	fprintf(stderr, "as uid 65534: %s", errors);
	g_free(errors);
	return ok;
}

START_TEST(test_heap_without_permission)
{
	int fds = tu_fd_count();

	ck_assert_int_eq(getuid(), 0);
	ck_assert_msg(as_nobody(permission_named),
		      "no error naming the permission (see stderr)");
	ck_assert_int_eq(tu_fd_count(), fds);
}
END_TEST

/*
 * fallback=system is opt-in: when the CMA heap cannot be opened (here:
 * nobody may not open it, but may open the system heap, made 0666 for
 * the test), frames flow from the system heap and a WARNING says that
 * they are not physically contiguous.
 */
static bool fallback_warns(void)
{
	GstElement *pipe = gu_parse("videotestsrc num-buffers=5 ! cmabufpool "
				    "fallback=system ! fakesink");
	struct gu_result res;
	bool ok;

	gu_play(pipe, TIMEOUT_S, &res);
	fprintf(stderr, "fallback as uid 65534: eos %d, warnings: %s", res.eos,
		res.warnings);
	ok = res.eos && strstr(res.warnings, "falling back to heap system") &&
	     strstr(res.warnings, "NOT physically contiguous");
	gu_stop(pipe, &res);
	return ok;
}

START_TEST(test_fallback_system_warns)
{
	const char *node = "/dev/dma_heap/system";
	int fds = tu_fd_count();
	bool ok;

	ck_assert_int_eq(getuid(), 0);
	ck_assert_int_eq(chmod(node, 0666), 0);
	ok = as_nobody(fallback_warns);
	ck_assert_int_eq(chmod(node, 0600), 0);
	ck_assert_msg(ok, "no fallback, or no warning (see stderr)");
	ck_assert_int_eq(tu_fd_count(), fds);
}
END_TEST

static Suite *gst_suite(void)
{
	Suite *s = suite_create("gst");
	TCase *tc = tcase_create("appsink");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_appsink_nv12);
	tcase_add_test(tc, test_appsink_i420_odd);
	tcase_add_test(tc, test_appsink_yuy2_bgrx);
	tcase_add_test(tc, test_unconstrained_caps);
	suite_add_tcase(s, tc);

	tc = tcase_create("kmssink");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_kmssink_prime);
	suite_add_tcase(s, tc);

	tc = tcase_create("bad-input");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_unknown_heap);
	tcase_add_test(tc, test_max_below_min);
	tcase_add_test(tc, test_unknown_format);
	tcase_add_test(tc, test_heap_without_permission);
	tcase_add_test(tc, test_fallback_system_warns);
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
	return tu_run(gst_suite());
}
