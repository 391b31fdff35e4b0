// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/videodev2.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include <gst/video/video.h>

#include "gstutil.h"

static void link_plugin(const char *dir, const char *target)
{
	const char *base = strrchr(target, '/');
	char *link = g_build_filename(dir, base ? base + 1 : target, NULL);

	unlink(link);
	if (symlink(target, link) < 0) {
		fprintf(stderr, "symlink %s -> %s: %s\n", link, target,
			strerror(errno));
		abort();
	}
	g_free(link);
}

void gu_setup(const char *const *plugins)
{
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char *dir = g_strdup_printf("%s/cmabuf-gst-%u", tmp,
				    (unsigned int)getuid());
	char *plugdir = g_build_filename(dir, "plugins", NULL);
	char *registry = g_build_filename(dir, "registry.bin", NULL);
	size_t i;

	g_mkdir_with_parents(plugdir, 0755);
	for (i = 0; plugins && plugins[i]; i++) {
		char *so = g_strdup_printf("%s/libgst%s.so",
					   GST_SYSTEM_PLUGINDIR, plugins[i]);
		link_plugin(plugdir, so);
		g_free(so);
	}
	link_plugin(plugdir, GST_TEST_PLUGIN);
	setenv("GST_PLUGIN_SYSTEM_PATH_1_0", plugdir, 1);
	setenv("GST_PLUGIN_SYSTEM_PATH", plugdir, 1);
	unsetenv("GST_PLUGIN_PATH_1_0");
	unsetenv("GST_PLUGIN_PATH");
	setenv("GST_REGISTRY_1_0", registry, 1);
	setenv("GST_REGISTRY", registry, 1);
	/* scan in-process: no gst-plugin-scanner needed for the guest's arch */
	setenv("GST_REGISTRY_FORK", "no", 1);
	gst_init(NULL, NULL);
	g_free(registry);
	g_free(plugdir);
	g_free(dir);
}

GstElement *gu_parse(const char *fmt, ...)
{
	GError *error = NULL;
	GstElement *pipe;
	va_list ap;
	char *desc;

	va_start(ap, fmt);
	desc = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	pipe = gst_parse_launch(desc, &error);
	if (!pipe || error) {
		fprintf(stderr, "gst_parse_launch(\"%s\"): %s\n", desc,
			error ? error->message : "NULL");
		abort();
	}
	g_free(desc);
	return pipe;
}

static void append_message(GString *s, GstMessage *msg)
{
	GError *error = NULL;
	char *debug = NULL;

	if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR)
		gst_message_parse_error(msg, &error, &debug);
	else
		gst_message_parse_warning(msg, &error, &debug);
	g_string_append_printf(s, "%s: %s (%s)\n", GST_OBJECT_NAME(msg->src),
			       error->message, debug ? debug : "");
	g_clear_error(&error);
	g_free(debug);
}

static void drain_bus(GstBus *bus, GstClockTime timeout, struct gu_result *res,
		      GString *errors, GString *warnings)
{
	const GstMessageType types = GST_MESSAGE_EOS | GST_MESSAGE_ERROR |
				     GST_MESSAGE_WARNING;
	GstClockTime deadline = gst_util_get_timestamp() + timeout;
	GstMessage *msg;

	for (;;) {
		GstClockTime now = gst_util_get_timestamp();

		msg = gst_bus_timed_pop_filtered(bus,
			now < deadline ? deadline - now : 0, types);
		if (!msg) {
			res->timed_out = !res->eos && errors->len == 0;
			return;
		}
		if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS)
			res->eos = true;
		else
			append_message(GST_MESSAGE_TYPE(msg) ==
				       GST_MESSAGE_ERROR ? errors : warnings,
				       msg);
		gst_message_unref(msg);
		if (res->eos || errors->len) {
			/* collect what is already queued, without waiting */
			deadline = gst_util_get_timestamp();
		}
	}
}

void gu_play(GstElement *pipe, int timeout_s, struct gu_result *res)
{
	GString *errors = g_string_new(NULL), *warnings = g_string_new(NULL);
	GstBus *bus = gst_element_get_bus(pipe);

	memset(res, 0, sizeof(*res));
	if (gst_element_set_state(pipe, GST_STATE_PLAYING) ==
	    GST_STATE_CHANGE_FAILURE)
		res->state_failed = true;
	drain_bus(bus, (GstClockTime)timeout_s * GST_SECOND, res, errors,
		  warnings);
	gst_object_unref(bus);
	res->errors = g_string_free(errors, FALSE);
	res->warnings = g_string_free(warnings, FALSE);
	if (getenv("CMABUF_GST_VERBOSE"))
		fprintf(stderr, "eos %d timeout %d failed %d\nerrors: %s"
			"warnings: %s", res->eos, res->timed_out,
			res->state_failed, res->errors, res->warnings);
}

void gu_stop(GstElement *pipe, struct gu_result *res)
{
	gst_element_set_state(pipe, GST_STATE_NULL);
	gst_object_unref(pipe);
	g_free(res->errors);
	g_free(res->warnings);
	res->errors = res->warnings = NULL;
}

const char *gu_exp_name(int fd, char *buf, size_t size)
{
	char path[64], line[256];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return buf;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "exp_name:", 9) == 0) {
			snprintf(buf, size, "%s", g_strstrip(line + 9));
			break;
		}
	}
	fclose(f);
	return buf;
}

uint64_t gu_inode(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

static uint32_t active_fb(int drm_fd)
{
	drmModeResPtr res = drmModeGetResources(drm_fd);
	uint32_t fb = 0;
	int i;

	for (i = 0; res && i < res->count_crtcs && !fb; i++) {
		drmModeCrtcPtr c = drmModeGetCrtc(drm_fd, res->crtcs[i]);

		if (c && c->mode_valid)
			fb = c->buffer_id;
		drmModeFreeCrtc(c);
	}
	/* kmssink may show its frames on a plane rather than the CRTC's */
	if (!fb) {
		drmModePlaneResPtr pr = drmModeGetPlaneResources(drm_fd);
		uint32_t j;

		for (j = 0; pr && j < pr->count_planes && !fb; j++) {
			drmModePlanePtr p = drmModeGetPlane(drm_fd,
							    pr->planes[j]);

			if (p)
				fb = p->fb_id;
			drmModeFreePlane(p);
		}
		drmModeFreePlaneResources(pr);
	}
	drmModeFreeResources(res);
	return fb;
}

int gu_scanout_dmabuf(int drm_fd)
{
	uint32_t fb_id = active_fb(drm_fd);
	drmModeFB2Ptr fb;
	int fd = -1;

	if (!fb_id)
		return -1;
	fb = drmModeGetFB2(drm_fd, fb_id);
	if (!fb)
		return -1;
	if (fb->handles[0]) {
		if (drmPrimeHandleToFD(drm_fd, fb->handles[0], DRM_CLOEXEC,
				       &fd) < 0)
			fd = -1;
		drmCloseBufferHandle(drm_fd, fb->handles[0]);
	}
	drmModeFreeFB2(fb);
	return fd;
}

uint64_t gu_cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) *
	       1000000000ull + ((uint64_t)ru.ru_utime.tv_usec +
	       (uint64_t)ru.ru_stime.tv_usec) * 1000ull;
}

void gu_dump_fds(const char *when)
{
	char path[64], target[256], name[64];
	int fd;

	for (fd = 0; fd < 1024; fd++) {
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		fprintf(stderr, "%s: fd %d -> %s %s\n", when, fd, target,
			gu_exp_name(fd, name, sizeof(name)));
	}
}

int gu_count_dmabufs(const char *exporter)
{
	char name[64];
	int fd, n = 0;

	for (fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0 &&
		    strcmp(gu_exp_name(fd, name, sizeof(name)), exporter) == 0)
			n++;
	return n;
}

uint64_t gu_frame_checksum(GstBuffer *buf, GstCaps *caps)
{
	uint64_t h = 1469598103934665603ull;
	GstVideoFrame frame;
	GstVideoInfo info;
	guint p;

	if (!gst_video_info_from_caps(&info, caps) ||
	    !gst_video_frame_map(&frame, &info, buf, GST_MAP_READ))
		return 0;
	for (p = 0; p < GST_VIDEO_FRAME_N_PLANES(&frame); p++) {
		gint comp[GST_VIDEO_MAX_COMPONENTS];
		const guint8 *base = GST_VIDEO_FRAME_PLANE_DATA(&frame, p);
		gint stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, p);
		gint rows, bytes, y, x;

		gst_video_format_info_component(info.finfo, p, comp);
		rows = GST_VIDEO_FRAME_COMP_HEIGHT(&frame, comp[0]);
		bytes = GST_VIDEO_FRAME_COMP_WIDTH(&frame, comp[0]) *
			GST_VIDEO_FRAME_COMP_PSTRIDE(&frame, comp[0]);
		for (y = 0; y < rows; y++)
			for (x = 0; x < bytes; x++) {
				h ^= base[(gsize)y * (gsize)stride + (gsize)x];
				h *= 1099511628211ull;
			}
	}
	gst_video_frame_unmap(&frame);
	return h ? h : 1;
}
