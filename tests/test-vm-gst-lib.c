// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libgstcmabuf-1.0 for applications, on a real kernel (run in the test VM):
 * the pool lays frames out as libcmabuf does when the user asks for
 * GstVideoMeta and as GStreamer's defaults otherwise; a producer that
 * never adds the meta and writes the default layout at an odd width gives
 * through cmabufpool the same pixels as without it; the example
 * application (examples/gst-appsrc-kms) shows its CPU-drawn CMA buffers
 * on vkms without a copy: the framebuffer vkms scans out is one of the
 * dma-bufs the example holds (same inode), not a dumb buffer kmssink
 * copied into.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <gst/app/gstappsink.h>
#include <gst/base/gstpushsrc.h>
#include <gst/cmabuf/cmabuf.h>

#include "devices.h"
#include "gstutil.h"
#include "testutil.h"

/* generous: TCG, and the first frames fault the mappings in */
#define TIMEOUT_S 120
#define ODD_WIDTH 722
#define ODD_HEIGHT 480
#define ODD_CAPS "video/x-raw,format=NV12,width=722,height=480,framerate=30/1"
#define FRAMES 10

static const char *const plugins[] = {
	"coreelements", "videotestsrc", "app", "kms", NULL,
};

static void setup(void)
{
	gu_setup(plugins);
}

/* ---- the pool's two layouts, through the library's API ---- */

static GstBufferPool *started_pool(const char *caps_str, gboolean meta)
{
	GError *error = NULL;
	GstAllocator *allocator = gst_cmabuf_allocator_new(NULL, 0, &error);
	GstCaps *caps = gst_caps_from_string(caps_str);
	GstBufferPool *pool;
	GstStructure *config;

	ck_assert_msg(allocator, "no allocator: %s", error ? error->message :
		      "");
	pool = gst_cmabuf_buffer_pool_new(allocator);
	gst_object_unref(allocator);
	config = gst_buffer_pool_get_config(pool);
	gst_buffer_pool_config_set_params(config, caps, 0, 2, 2);
	if (meta)
		gst_buffer_pool_config_add_option(config,
				GST_BUFFER_POOL_OPTION_VIDEO_META);
	ck_assert(gst_buffer_pool_set_config(pool, config));
	ck_assert(gst_buffer_pool_set_active(pool, TRUE));
	gst_caps_unref(caps);
	return pool;
}

/* acquire one buffer: its memory is CMA, its meta the layout expected */
static void assert_layout(GstBufferPool *pool, const gsize *offset,
			  const gint *stride, guint planes)
{
	GstVideoMeta *meta;
	GstBuffer *buf;
	char name[64];
	guint i;

	ck_assert_int_eq(gst_buffer_pool_acquire_buffer(pool, &buf, NULL),
			 GST_FLOW_OK);
	ck_assert_uint_eq(gst_buffer_n_memory(buf), 1);
	ck_assert(gst_is_cmabuf_memory(gst_buffer_peek_memory(buf, 0)));
	ck_assert_str_eq(gu_exp_name(gst_dmabuf_memory_get_fd(
				gst_buffer_peek_memory(buf, 0)), name,
				sizeof(name)), tu_cma_heap_name());
	meta = gst_buffer_get_video_meta(buf);
	ck_assert_ptr_nonnull(meta);
	ck_assert_uint_eq(meta->n_planes, planes);
	for (i = 0; i < planes; i++) {
		ck_assert_int_eq(meta->stride[i], stride[i]);
		ck_assert_uint_eq(meta->offset[i], offset[i]);
	}
	gst_buffer_unref(buf);
}

/* asked for GstVideoMeta: libcmabuf's layout (luma stride 768, not 724) */
START_TEST(test_layout_with_meta)
{
	GstBufferPool *pool = started_pool(ODD_CAPS, TRUE);
	struct cmabuf_layout l;
	gsize offset[2];
	gint stride[2];
	int i;

	ck_assert_int_eq(cmabuf_layout_init(&l, DRM_FORMAT_NV12, ODD_WIDTH,
					    ODD_HEIGHT, 0, 0), 0);
	ck_assert_int_eq(l.planes[0].stride, 768);
	for (i = 0; i < 2; i++) {
		offset[i] = l.planes[i].offset;
		stride[i] = (gint)l.planes[i].stride;
	}
	assert_layout(pool, offset, stride, 2);
	gst_buffer_pool_set_active(pool, FALSE);
	gst_object_unref(pool);
}
END_TEST

/* not asked: GStreamer's default layout, what a meta-blind producer writes */
START_TEST(test_layout_without_meta)
{
	GstBufferPool *pool = started_pool(ODD_CAPS, FALSE);
	GstCaps *caps = gst_caps_from_string(ODD_CAPS);
	GstVideoInfo info;

	ck_assert(gst_video_info_from_caps(&info, caps));
	ck_assert_int_eq(info.stride[0], 724);
	assert_layout(pool, info.offset, info.stride, 2);
	gst_buffer_pool_set_active(pool, FALSE);
	gst_object_unref(pool);
	gst_caps_unref(caps);
}
END_TEST

static gboolean config_accepted(const char *caps_str, guint min, guint max,
				gboolean meta)
{
	GstAllocator *allocator = gst_cmabuf_allocator_new(NULL, 0, NULL);
	GstBufferPool *pool = gst_cmabuf_buffer_pool_new(allocator);
	GstStructure *config = gst_buffer_pool_get_config(pool);
	GstCaps *caps = gst_caps_from_string(caps_str);
	gboolean ok;

	gst_buffer_pool_config_set_params(config, caps, 0, min, max);
	if (meta)
		gst_buffer_pool_config_add_option(config,
				GST_BUFFER_POOL_OPTION_VIDEO_META);
	ok = gst_buffer_pool_set_config(pool, config);
	gst_caps_unref(caps);
	gst_object_unref(pool);
	gst_object_unref(allocator);
	return ok;
}

/* refused in either layout: formats without a layout, not video */
START_TEST(test_config_refused)
{
	static const char ayuv[] = "video/x-raw,format=AYUV,width=64,height=64";
	int fds = tu_fd_count();

	ck_assert(config_accepted(ODD_CAPS, 2, 0, TRUE));
	ck_assert(config_accepted(ODD_CAPS, 2, 0, FALSE));
	ck_assert(!config_accepted(ayuv, 2, 0, TRUE));
	ck_assert(!config_accepted(ayuv, 2, 0, FALSE));
	ck_assert(!config_accepted("audio/x-raw", 2, 0, FALSE));
	ck_assert_int_eq(tu_fd_count(), fds);
}
END_TEST

START_TEST(test_allocator_unknown_heap)
{
	int fds = tu_fd_count();
	GError *error = NULL;

	ck_assert_ptr_null(gst_cmabuf_allocator_new("no-such-heap", 0, &error));
	ck_assert_ptr_nonnull(error);
	ck_assert(g_error_matches(error, GST_RESOURCE_ERROR,
				  GST_RESOURCE_ERROR_NOT_FOUND));
	ck_assert_msg(strstr(error->message, "no-such-heap"), "%s",
		      error->message);
	g_error_free(error);
	ck_assert_int_eq(tu_fd_count(), fds);
}
END_TEST

/* ---- a producer that never adds GstVideoMeta ---- */

/*
 * nometasrc: NV12 722x480 frames written at GStreamer's default offsets
 * and strides through a plain gst_buffer_map(), reading no meta, into the
 * pool downstream offers, configured without the VIDEO_META option (as
 * simple producers and older elements do).
 */
typedef struct {
	GstPushSrc parent;
	GstVideoInfo info;
	guint n;
} NoMetaSrc;
typedef GstPushSrcClass NoMetaSrcClass;
GType no_meta_src_get_type(void);
G_DEFINE_TYPE(NoMetaSrc, no_meta_src, GST_TYPE_PUSH_SRC)

static gboolean no_meta_set_caps(GstBaseSrc *base, GstCaps *caps)
{
	return gst_video_info_from_caps(&((NoMetaSrc *)base)->info, caps);
}

static gboolean no_meta_decide_allocation(GstBaseSrc *base, GstQuery *query)
{
	NoMetaSrc *self = (NoMetaSrc *)base;
	GstBufferPool *pool = NULL;
	guint size = 0, min = 0, max = 0;
	gboolean have = gst_query_get_n_allocation_pools(query) > 0;
	GstCaps *caps = gst_video_info_to_caps(&self->info);
	GstStructure *config;

	if (have)
		gst_query_parse_nth_allocation_pool(query, 0, &pool, &size,
						    &min, &max);
	if (!pool)
		pool = gst_buffer_pool_new();
	size = MAX(size, (guint)self->info.size);
	config = gst_buffer_pool_get_config(pool);
	gst_buffer_pool_config_set_params(config, caps, size, min, max);
	gst_caps_unref(caps);
	if (!gst_buffer_pool_set_config(pool, config)) {
		gst_object_unref(pool);
		return FALSE;
	}
	if (have)
		gst_query_set_nth_allocation_pool(query, 0, pool, size, min,
						  max);
	else
		gst_query_add_allocation_pool(query, pool, size, min, max);
	gst_object_unref(pool);
	return TRUE;
}

static GstFlowReturn no_meta_fill(GstPushSrc *src, GstBuffer *buf)
{
	NoMetaSrc *self = (NoMetaSrc *)src;
	GstVideoInfo *info = &self->info;
	guint8 *y_plane, *uv_plane;
	GstMapInfo map;
	gint x, y;

	if (!gst_buffer_map(buf, &map, GST_MAP_WRITE))
		return GST_FLOW_ERROR;
	y_plane = map.data + info->offset[0];
	uv_plane = map.data + info->offset[1];
	for (y = 0; y < ODD_HEIGHT; y++)
		for (x = 0; x < ODD_WIDTH; x++)
			y_plane[y * info->stride[0] + x] =
				(guint8)(x + 3 * y + 7 * self->n);
	for (y = 0; y < ODD_HEIGHT / 2; y++)
		for (x = 0; x < ODD_WIDTH; x++)
			uv_plane[y * info->stride[1] + x] =
				(guint8)(5 * x + y + 11 * self->n);
	gst_buffer_unmap(buf, &map);
	GST_BUFFER_PTS(buf) = gst_util_uint64_scale(self->n, GST_SECOND, 30);
	self->n++;
	return GST_FLOW_OK;
}

static void no_meta_src_class_init(NoMetaSrcClass *klass)
{
	GstBaseSrcClass *bc = GST_BASE_SRC_CLASS(klass);
	GstCaps *caps = gst_caps_from_string(ODD_CAPS);

	gst_element_class_add_pad_template(GST_ELEMENT_CLASS(klass),
		gst_pad_template_new("src", GST_PAD_SRC, GST_PAD_ALWAYS, caps));
	gst_caps_unref(caps);
	gst_element_class_set_static_metadata(GST_ELEMENT_CLASS(klass),
		"nometasrc", "Source/Video", "writes the default layout",
		"libcmabuf tests");
	bc->set_caps = no_meta_set_caps;
	bc->decide_allocation = no_meta_decide_allocation;
	klass->fill = no_meta_fill;
}

static void no_meta_src_init(NoMetaSrc *self)
{
	gst_base_src_set_format(GST_BASE_SRC(self), GST_FORMAT_TIME);
}

struct pulled {
	int count;
	uint64_t sums[FRAMES];
	int cma;		/* frames in CMA memory */
};

static void pull(const char *middle, struct pulled *p)
{
	GstElement *pipe = gu_parse("nometasrc num-buffers=%d ! %s appsink "
				    "name=s sync=false max-buffers=1", FRAMES,
				    middle);
	GstElement *sink = gst_bin_get_by_name(GST_BIN(pipe), "s");
	GstSample *s;

	memset(p, 0, sizeof(*p));
	ck_assert_int_ne(gst_element_set_state(pipe, GST_STATE_PLAYING),
			 GST_STATE_CHANGE_FAILURE);
	while ((s = gst_app_sink_try_pull_sample(GST_APP_SINK(sink),
						 TIMEOUT_S * GST_SECOND))) {
		GstBuffer *buf = gst_sample_get_buffer(s);

		ck_assert_int_lt(p->count, FRAMES);
		p->sums[p->count] = gu_frame_checksum(buf,
						      gst_sample_get_caps(s));
		ck_assert(p->sums[p->count++]);
		if (gst_is_cmabuf_memory(gst_buffer_peek_memory(buf, 0)))
			p->cma++;
		gst_sample_unref(s);
	}
	ck_assert_msg(gst_app_sink_is_eos(GST_APP_SINK(sink)),
		      "no EOS after %d frames", p->count);
	gst_object_unref(sink);
	gst_element_set_state(pipe, GST_STATE_NULL);
	gst_object_unref(pipe);
}

START_TEST(test_no_meta_producer_odd_width)
{
	struct pulled with, without;
	int fds = tu_fd_count(), i;

	ck_assert(gst_element_register(NULL, "nometasrc", GST_RANK_NONE,
				       no_meta_src_get_type()));
	pull("cmabufpool !", &with);
	pull("", &without);
	ck_assert_int_eq(with.count, FRAMES);
	ck_assert_int_eq(without.count, FRAMES);
	/* the producer did write into the CMA pool */
	ck_assert_int_eq(with.cma, FRAMES);
	ck_assert_int_eq(without.cma, 0);
	for (i = 0; i < FRAMES; i++)
		ck_assert_msg(with.sums[i] == without.sums[i],
			      "frame %d differs through cmabufpool (sheared)",
			      i);
	ck_assert_int_eq(tu_fd_count(), fds);
}
END_TEST

/* a producer that reads the meta (videotestsrc) still gets libcmabuf's */
START_TEST(test_meta_producer_keeps_layout)
{
	GstElement *pipe = gu_parse("videotestsrc num-buffers=3 ! "
				    "video/x-raw,format=NV12,width=%d,height=%d"
				    " ! cmabufpool ! appsink name=s sync=false",
				    ODD_WIDTH, ODD_HEIGHT);
	GstElement *sink = gst_bin_get_by_name(GST_BIN(pipe), "s");
	GstVideoMeta *meta;
	GstSample *s;

	ck_assert_int_ne(gst_element_set_state(pipe, GST_STATE_PLAYING),
			 GST_STATE_CHANGE_FAILURE);
	s = gst_app_sink_try_pull_sample(GST_APP_SINK(sink),
					 TIMEOUT_S * GST_SECOND);
	ck_assert_ptr_nonnull(s);
	ck_assert(gst_is_cmabuf_memory(gst_buffer_peek_memory(
			gst_sample_get_buffer(s), 0)));
	meta = gst_buffer_get_video_meta(gst_sample_get_buffer(s));
	ck_assert_ptr_nonnull(meta);
	ck_assert_int_eq(meta->stride[0], 768);
	gst_sample_unref(s);
	gst_object_unref(sink);
	gst_element_set_state(pipe, GST_STATE_NULL);
	gst_object_unref(pipe);
}
END_TEST

/* ---- the example application: appsrc -> kmssink, zero-copy ---- */

/* does process pid hold a descriptor of inode ino? */
static bool holds_inode(pid_t pid, uint64_t ino)
{
	char dir[64], path[384];
	struct dirent *e;
	bool found = false;
	struct stat st;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	if (!d)
		return false;
	while (!found && (e = readdir(d))) {
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		found = e->d_name[0] != '.' && stat(path, &st) == 0 &&
			(uint64_t)st.st_ino == ino;
	}
	closedir(d);
	return found;
}

struct screen {
	int samples;		/* scanouts read */
	int ours;		/* of them, a CMA dma-buf the example holds */
	char exporter[64];	/* the last one's */
};

/* what vkms scans out: one of pid's CMA dma-bufs? */
static void sample_scanout(pid_t pid, struct screen *sc)
{
	int drm = dev_open_drm("vkms", false), fd;

	fd = drm >= 0 ? gu_scanout_dmabuf(drm) : -1;
	if (fd >= 0) {
		sc->samples++;
		gu_exp_name(fd, sc->exporter, sizeof(sc->exporter));
		if (strcmp(sc->exporter, tu_cma_heap_name()) == 0 &&
		    holds_inode(pid, gu_inode(fd)))
			sc->ours++;
		close(fd);
	}
	if (drm >= 0)
		close(drm);
}

static pid_t spawn_example(int frames, FILE **out)
{
	const char *top = getenv("top_builddir");
	char *path = g_strdup_printf("%s/examples/gst-appsrc-kms",
				     top && *top ? top : ".");
	char n[16];
	int pfd[2];
	pid_t pid;

	snprintf(n, sizeof(n), "%d", frames);
	ck_assert_int_eq(pipe(pfd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(pfd[1], STDOUT_FILENO);
		close(pfd[0]);
		close(pfd[1]);
		execl(path, path, "-n", n, "-d", "vkms", (char *)NULL);
		_exit(127);
	}
	g_free(path);
	close(pfd[1]);
	*out = fdopen(pfd[0], "r");
	ck_assert_ptr_nonnull(*out);
	return pid;
}

START_TEST(test_example_zero_copy)
{
	struct screen sc = { 0 };
	char line[256], summary[256] = "";
	bool playing = false;
	int status, fds = tu_fd_count();
	FILE *out;
	pid_t pid = spawn_example(90, &out);

	/* kmssink holds DRM master once it shows the first frame */
	while (!playing && fgets(line, sizeof(line), out)) {
		fputs(line, stdout);
		playing = strncmp(line, "playing ", 8) == 0;
	}
	ck_assert_msg(playing, "the example stopped before playing");
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (sc.ours < 5)
			sample_scanout(pid, &sc);
		g_usleep(100 * 1000);
	}
	while (fgets(line, sizeof(line), out)) {
		fputs(line, stdout);
		if (strstr(line, "frames drawn into"))
			snprintf(summary, sizeof(summary), "%s", line);
	}
	fclose(out);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	/* every frame drawn, into the 4 buffers of the pool only */
	ck_assert_msg(strncmp(summary, "90 frames drawn into 4 CMA buffers",
			      34) == 0, "summary: %s", summary);
	ck_assert_msg(sc.ours >= 3, "%d of %d scanouts were the example's CMA "
		      "buffers (last exporter %s)", sc.ours, sc.samples,
		      sc.exporter);
	ck_assert_int_eq(tu_fd_count(), fds);
}
END_TEST

static Suite *gst_lib_suite(void)
{
	Suite *s = suite_create("gst-lib");
	TCase *tc = tcase_create("pool");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_layout_with_meta);
	tcase_add_test(tc, test_layout_without_meta);
	tcase_add_test(tc, test_config_refused);
	tcase_add_test(tc, test_allocator_unknown_heap);
	tcase_add_test(tc, test_no_meta_producer_odd_width);
	tcase_add_test(tc, test_meta_producer_keeps_layout);
	suite_add_tcase(s, tc);

	tc = tcase_create("example");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_example_zero_copy);
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
	return tu_run(gst_lib_suite());
}
