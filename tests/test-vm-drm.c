// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * DRM on a real kernel (run in the test VM): PRIME import of CMA buffers
 * into vgem (render node) with counted handles, export of a vgem object
 * as a cmabuf, framebuffers of CMA images shown on the vkms CRTC, and
 * the composed frame read back through the vkms writeback connector.
 * The ownership cases run twice: as is, and under a seccomp filter that
 * fails kcmp with EPERM, as Docker's default profile does.
 * Devices are found by driver name (drmGetVersion), not by /dev number.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/kcmp.h>
#include <linux/seccomp.h>

#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "testutil.h"

/*
 * drmModeGetPlaneResources() of this program: the library's calls
 * resolve here (exported: the tests build with -fvisibility=hidden).
 * With hide_planes set it fails, as on a device that cannot tell, so that
 * the library leaves the modifier check to the kernel and a modifier no
 * plane takes reaches AddFB2WithModifiers.
 */
static bool hide_planes;

__attribute__((visibility("default")))
drmModePlaneResPtr drmModeGetPlaneResources(int fd)
{
	static drmModePlaneResPtr (*real)(int);

	if (hide_planes) {
		errno = ENOTSUP;
		return NULL;
	}
	if (!real)
		real = (drmModePlaneResPtr (*)(int))dlsym(RTLD_NEXT,
					"drmModeGetPlaneResources");
	return real(fd);
}

/*
 * vgem and vkms print no drm-client-id in fdinfo (6.1, 6.12), which the
 * library's kcmp fallback prefers: the library's open() of
 * /proc/self/fdinfo/<fd> resolves here, and for the descriptors given a
 * fake id (the same for the descriptors of one file, as the kernel's
 * would be) it reads that id, so the client-id path runs on these
 * drivers too.
 */
#define FAKE_FDS 256
static unsigned int fake_client_id[FAKE_FDS];

__attribute__((visibility("default")))
int open(const char *path, int flags, ...)
{
	static int (*real)(const char *, int, ...);
	unsigned int mode = 0;
	int fd, n = 0, m;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, unsigned int);
		va_end(ap);
	}
	if (sscanf(path, "/proc/self/fdinfo/%d%n", &fd, &n) == 1 &&
	    !path[n] && fd >= 0 && fd < FAKE_FDS && fake_client_id[fd]) {
		m = memfd_create("fdinfo", MFD_CLOEXEC);
		if (m < 0)
			return -1;
		dprintf(m, "pos:\t0\nflags:\t02100002\nmnt_id:\t1\n"
			"drm-driver:\tvgem\ndrm-client-id:\t%u\n",
			fake_client_id[fd]);
		lseek(m, 0, SEEK_SET);
		return m;
	}
	if (!real)
		real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT,
							      "open");
	return real(path, flags, mode);
}

static struct cmabuf_ctx *ctx;
static struct cmabuf_heap *cma;
static int fds_at_start;

static void setup(void)
{
	tu_fixture_open(&ctx, &cma, NULL, &fds_at_start);
}

static void teardown(void)
{
	tu_fixture_close(&ctx, &cma, NULL, fds_at_start);
}

static struct cmabuf *alloc_ok(struct cmabuf_heap *heap, size_t size)
{
	struct cmabuf *buf = NULL;

	ck_assert_int_eq(cmabuf_alloc(heap, size, 0, &buf), 0);
	return buf;
}

START_TEST(test_vgem_import_twice_same_handle)
{
	int vgem = tu_open_drm("vgem", true);
	struct cmabuf *buf = alloc_ok(cma, 1 << 20), *again = NULL;
	uint32_t h1 = 0, h2 = 0, h3 = 0;
	int dupfd, check_fd = -1;

	ck_assert_int_eq(cmabuf_drm_import(buf, vgem, &h1), 0);
	ck_assert_uint_ne(h1, 0);
	ck_assert_int_eq(cmabuf_drm_import(buf, vgem, &h2), 0);
	/* the same dma-buf through another descriptor: same object */
	dupfd = cmabuf_dup_fd(buf);
	ck_assert_int_eq(cmabuf_import(ctx, dupfd, &again), 0);
	close(dupfd);
	ck_assert_int_eq(cmabuf_drm_import(again, vgem, &h3), 0);
	ck_assert_uint_eq(h1, h2);
	ck_assert_uint_eq(h1, h3);

	/* two closes leave the handle open for the third importer */
	ck_assert_int_eq(cmabuf_drm_close_handle(ctx, vgem, h1), 0);
	ck_assert_int_eq(cmabuf_drm_close_handle(ctx, vgem, h2), 0);
	ck_assert_int_eq(drmPrimeHandleToFD(vgem, h1, DRM_CLOEXEC,
					    &check_fd), 0);
	close(check_fd);
	ck_assert_int_eq(cmabuf_drm_close_handle(ctx, vgem, h3), 0);
	/* the last close ended the GEM handle in the kernel */
	ck_assert_int_ne(drmPrimeHandleToFD(vgem, h1, DRM_CLOEXEC,
					    &check_fd), 0);
	ck_assert_int_eq(errno, ENOENT);
	tu_log_reset();
	ck_assert_int_eq(cmabuf_drm_close_handle(ctx, vgem, h1), -ENOENT);
	ck_assert(tu_log_contains("client bug: GEM handle"));
	cmabuf_unref(again);
	cmabuf_unref(buf);
	close(vgem);
}
END_TEST

START_TEST(test_vgem_import_system_heap)
{
	struct cmabuf_heap *sys = NULL;
	struct cmabuf *buf;
	uint32_t h = 0;
	int vgem = tu_open_drm("vgem", true);

	ck_assert_int_eq(cmabuf_heap_open(ctx, "system", 0, &sys), 0);
	buf = alloc_ok(sys, 3 << 20);
	ck_assert_int_eq(cmabuf_drm_import(buf, vgem, &h), 0);
	ck_assert_int_eq(cmabuf_drm_close_handle(ctx, vgem, h), 0);
	cmabuf_unref(buf);
	cmabuf_heap_unref(sys);
	close(vgem);
}
END_TEST

START_TEST(test_import_errors)
{
	struct cmabuf *buf = alloc_ok(cma, 4096);
	uint32_t h = 0;
	int nul = open("/dev/null", O_RDWR | O_CLOEXEC);

	ck_assert_int_eq(cmabuf_drm_import(buf, -1, &h), -EBADF);
	ck_assert(tu_log_contains("client bug: invalid DRM fd -1"));
	/* not a DRM device: the kernel's ENOTTY comes back, logged */
	ck_assert_int_eq(cmabuf_drm_import(buf, nul, &h), -ENOTTY);
	ck_assert(tu_log_contains("PRIME import of fd"));
	ck_assert_int_eq(cmabuf_drm_import(buf, 0, NULL), -EINVAL);
	close(nul);
	cmabuf_unref(buf);
}
END_TEST

START_TEST(test_vgem_export)
{
	struct drm_mode_create_dumb dumb = {
		.width = 256, .height = 256, .bpp = 32,
	};
	struct drm_gem_close gc = { 0 };
	struct cmabuf *buf = NULL;
	uint32_t h = 0;
	uint8_t *p = NULL;
	int vgem = tu_open_drm("vgem", false);

	ck_assert_int_eq(drmIoctl(vgem, DRM_IOCTL_MODE_CREATE_DUMB, &dumb), 0);
	ck_assert_int_eq(cmabuf_drm_export(ctx, vgem, dumb.handle, &buf), 0);
	ck_assert_uint_eq(cmabuf_get_size(buf), dumb.size);
	ck_assert_int_eq(fcntl(cmabuf_get_fd(buf), F_GETFD), FD_CLOEXEC);
	/* DRM_RDWR: the export can be mapped for writing */
	ck_assert_int_eq(cmabuf_map(buf, CMABUF_MAP_RW, (void **)&p), 0);
	ck_assert_int_eq(cmabuf_sync_begin(buf, CMABUF_SYNC_WRITE), 0);
	memset(p, 0xa5, 4096);
	ck_assert_int_eq(cmabuf_sync_end(buf, CMABUF_SYNC_WRITE), 0);
	ck_assert_int_eq(cmabuf_unmap(buf), 0);
	/* importing our own object back gives its handle */
	ck_assert_int_eq(cmabuf_drm_import(buf, vgem, &h), 0);
	ck_assert_uint_eq(h, dumb.handle);
	ck_assert_int_eq(cmabuf_drm_close_handle(ctx, vgem, h), 0);
	/* the handle was the caller's; after it is gone export fails */
	gc.handle = dumb.handle;
	drmIoctl(vgem, DRM_IOCTL_GEM_CLOSE, &gc);
	cmabuf_unref(buf);
	buf = NULL;
	ck_assert_int_eq(cmabuf_drm_export(ctx, vgem, dumb.handle, &buf),
			 -ENOENT);
	ck_assert(tu_log_contains("PRIME export of GEM handle"));
	ck_assert_ptr_null(buf);
	close(vgem);
}
END_TEST

START_TEST(test_vgem_has_no_framebuffers)
{
	struct cmabuf_image *img = NULL;
	uint32_t fb = 0, h = 0;
	int vgem = tu_open_drm("vgem", false);

	ck_assert_int_eq(cmabuf_image_alloc(cma, DRM_FORMAT_XRGB8888, 64, 64,
					    0, 0, &img), 0);
	ck_assert_int_eq(cmabuf_drm_add_fb(img, vgem, &fb), -EOPNOTSUPP);
	ck_assert(tu_log_contains("ADDFB2 XR24 64x64"));
	/* the failed attempt left no handle behind */
	ck_assert_int_eq(cmabuf_drm_import(cmabuf_image_get_buffer(img, 0),
					   vgem, &h), 0);
	ck_assert_int_eq(cmabuf_drm_close_handle(ctx, vgem, h), 0);
	ck_assert_int_eq(cmabuf_drm_close_handle(ctx, vgem, h), -ENOENT);
	cmabuf_image_unref(img);
	close(vgem);
}
END_TEST

struct output {
	uint32_t crtc, connector;
	drmModeModeInfo mode;
};

static void find_output(int fd, struct output *o)
{
	drmModeResPtr res = drmModeGetResources(fd);
	int i;

	ck_assert_ptr_nonnull(res);
	ck_assert_int_ge(res->count_crtcs, 1);
	o->crtc = res->crtcs[0];
	o->connector = 0;
	for (i = 0; i < res->count_connectors && !o->connector; i++) {
		drmModeConnectorPtr c = drmModeGetConnector(fd,
							    res->connectors[i]);

		ck_assert_ptr_nonnull(c);
		if (c->connection == DRM_MODE_CONNECTED &&
		    c->count_modes > 0 &&
		    c->connector_type != DRM_MODE_CONNECTOR_WRITEBACK) {
			o->connector = c->connector_id;
			o->mode = c->modes[0];
		}
		drmModeFreeConnector(c);
	}
	drmModeFreeResources(res);
	ck_assert_uint_ne(o->connector, 0);
}

static void fill_xrgb(struct cmabuf_image *img, uint32_t color)
{
	const struct cmabuf_layout *l = cmabuf_image_get_layout(img);
	struct cmabuf *buf = cmabuf_image_get_buffer(img, 0);
	uint8_t *p = NULL;
	uint32_t x, y;

	ck_assert_int_eq(cmabuf_map(buf, CMABUF_MAP_RW, (void **)&p), 0);
	ck_assert_int_eq(cmabuf_sync_begin(buf, CMABUF_SYNC_WRITE), 0);
	for (y = 0; y < l->height; y++)
		for (x = 0; x < l->width; x++)
			memcpy(p + (size_t)y * l->planes[0].stride + 4 * x,
			       &color, 4);
	ck_assert_int_eq(cmabuf_sync_end(buf, CMABUF_SYNC_WRITE), 0);
	ck_assert_int_eq(cmabuf_unmap(buf), 0);
}

static void show_on_vkms(struct cmabuf_heap *heap, uint32_t fourcc)
{
	struct cmabuf_image *img = NULL;
	struct output o;
	drmModeCrtcPtr crtc;
	uint32_t fb = 0;
	int vkms = tu_open_drm("vkms", false);

	find_output(vkms, &o);
	ck_assert_int_eq(cmabuf_image_alloc(heap, fourcc, o.mode.hdisplay,
					    o.mode.vdisplay, 0, 0, &img), 0);
	if (fourcc == DRM_FORMAT_XRGB8888)
		fill_xrgb(img, 0x00ff8000);
	ck_assert_int_eq(cmabuf_drm_add_fb(img, vkms, &fb), 0);
	ck_assert_uint_ne(fb, 0);
	ck_assert_int_eq(drmModeSetCrtc(vkms, o.crtc, fb, 0, 0, &o.connector,
					1, &o.mode), 0);
	crtc = drmModeGetCrtc(vkms, o.crtc);
	ck_assert_ptr_nonnull(crtc);
	ck_assert_uint_eq(crtc->buffer_id, fb);
	ck_assert_int_eq(crtc->mode_valid, 1);
	drmModeFreeCrtc(crtc);
	ck_assert_int_eq(drmModeSetCrtc(vkms, o.crtc, 0, 0, 0, NULL, 0, NULL),
			 0);
	/* removed with the image it shows, as it was added */
	ck_assert_int_eq(cmabuf_drm_remove_fb(img, vkms, fb), 0);
	ck_assert_int_eq(cmabuf_drm_remove_fb(img, vkms, fb), -ENOENT);
	ck_assert(tu_log_contains("RMFB"));
	/* not a DRM fd: refused before any ioctl */
	tu_log_reset();
	ck_assert_int_eq(cmabuf_drm_remove_fb(img, -1, fb), -EBADF);
	ck_assert(tu_log_contains("client bug: invalid DRM fd -1"));
	ck_assert_ptr_null(cmabuf_image_unref(img));
	close(vkms);
}

START_TEST(test_vkms_show_cma_xrgb)
{
	show_on_vkms(cma, DRM_FORMAT_XRGB8888);
}
END_TEST

START_TEST(test_vkms_show_cma_rgb565)
{
	show_on_vkms(cma, DRM_FORMAT_RGB565);
}
END_TEST

START_TEST(test_vkms_show_system_heap)
{
	struct cmabuf_heap *sys = NULL;

	/* vkms reads through vmap: scattered pages do as well */
	ck_assert_int_eq(cmabuf_heap_open(ctx, "system", 0, &sys), 0);
	show_on_vkms(sys, DRM_FORMAT_XRGB8888);
	cmabuf_heap_unref(sys);
}
END_TEST

/* a layout the kernel must see with its modifier: I915 X-tiled */
static struct cmabuf_image *tiled_image(void)
{
	struct cmabuf_image *img = NULL;
	struct cmabuf_layout l;

	ck_assert_int_eq(cmabuf_layout_init(&l, DRM_FORMAT_XRGB8888, 64, 64,
					    512, 0), 0);
	l.modifier = I915_FORMAT_MOD_X_TILED;
	ck_assert_int_eq(cmabuf_image_alloc_layout(cma, &l, &img), 0);
	ck_assert_uint_eq(cmabuf_image_get_layout(img)->modifier,
			  I915_FORMAT_MOD_X_TILED);
	return img;
}

START_TEST(test_vgem_refuses_modifier_without_cap)
{
	struct cmabuf_image *img = tiled_image();
	uint32_t fb = 0;
	int vgem = tu_open_drm("vgem", false);

	/* vgem has no modesetting, so no DRM_CAP_ADDFB2_MODIFIERS */
	tu_log_reset();
	ck_assert_int_eq(cmabuf_drm_add_fb(img, vgem, &fb), -EOPNOTSUPP);
	ck_assert(tu_log_contains("no DRM_CAP_ADDFB2_MODIFIERS"));
	ck_assert(!tu_log_contains("ADDFB2 XR24"));
	cmabuf_image_unref(img);
	close(vgem);
}
END_TEST

/*
 * vkms planes take LINEAR only (their IN_FORMATS say so): an X-tiled
 * framebuffer is refused before AddFB2, on every kernel (6.1 itself would
 * take it and fail only at the modeset).
 */
START_TEST(test_vkms_modifier_no_plane_takes)
{
	struct cmabuf_image *img = tiled_image();
	uint64_t cap = 0;
	uint32_t fb = 0;
	int vkms = tu_open_drm("vkms", false);

	ck_assert_int_eq(drmGetCap(vkms, DRM_CAP_ADDFB2_MODIFIERS, &cap), 0);
	ck_assert_uint_eq(cap, 1);
	tu_log_reset();
	ck_assert_int_eq(cmabuf_drm_add_fb(img, vkms, &fb), -EINVAL);
	ck_assert(tu_log_contains("takes XR24 with modifier "
				  "0x0100000000000001 (IN_FORMATS)"));
	ck_assert(!tu_log_contains("ADDFB2"));
	ck_assert_uint_eq(fb, 0);
	cmabuf_image_unref(img);
	close(vkms);
}
END_TEST

/*
 * The layout's modifier reaches AddFB2WithModifiers: with the planes
 * hidden from the library, X-tiled goes to the kernel, which refuses it
 * at AddFB2 (newer kernels: -EINVAL, logged with the modifier) or, as 6.1
 * does, makes the framebuffer with it (GETFB2 says so) and refuses it at
 * the modeset.
 */
START_TEST(test_vkms_modifier_reaches_addfb2)
{
	struct cmabuf_image *img = tiled_image();
	drmModeFB2Ptr info;
	struct output o;
	uint32_t fb = 0;
	int ret, vkms = tu_open_drm("vkms", false);

	find_output(vkms, &o);
	hide_planes = true;
	tu_log_reset();
	ret = cmabuf_drm_add_fb(img, vkms, &fb);
	hide_planes = false;
	ck_assert(!tu_log_contains("IN_FORMATS"));
	if (ret < 0) {
		ck_assert_int_eq(ret, -EINVAL);
		ck_assert(tu_log_contains("ADDFB2 XR24 64x64 modifier "
					  "0x0100000000000001"));
		goto out;
	}
	info = drmModeGetFB2(vkms, fb);
	ck_assert_ptr_nonnull(info);
	ck_assert_uint_eq(info->modifier, I915_FORMAT_MOD_X_TILED);
	ck_assert_uint_ne(info->flags & DRM_MODE_FB_MODIFIERS, 0);
	drmModeFreeFB2(info);
	ck_assert_int_ne(drmModeSetCrtc(vkms, o.crtc, fb, 0, 0, &o.connector,
					1, &o.mode), 0);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(cmabuf_drm_remove_fb(img, vkms, fb), 0);
out:
	cmabuf_image_unref(img);
	close(vkms);
}
END_TEST

/* ---- who owns a GEM handle ---- */

/* the GEM handle h still names an object in the DRM file of fd */
static bool handle_alive(int fd, uint32_t h)
{
	int out = -1;

	if (drmPrimeHandleToFD(fd, h, DRM_CLOEXEC, &out) != 0) {
		ck_assert_int_eq(errno, ENOENT);
		return false;
	}
	close(out);
	return true;
}

static uint32_t caller_import(int drm_fd, struct cmabuf *buf)
{
	uint32_t h = 0;

	ck_assert_int_eq(drmPrimeFDToHandle(drm_fd, cmabuf_get_fd(buf), &h),
			 0);
	return h;
}

static void caller_close(int drm_fd, uint32_t h)
{
	struct drm_gem_close gc = { .handle = h };

	ck_assert_int_eq(drmIoctl(drm_fd, DRM_IOCTL_GEM_CLOSE, &gc), 0);
}

/*
 * The caller (or GBM, EGL) imported the buffer itself: the same dma-buf
 * gives the same handle in its DRM file. Adding and removing a
 * framebuffer of it must leave that handle alone.
 */
START_TEST(test_caller_import_survives_framebuffer)
{
	struct cmabuf_image *img = NULL;
	struct cmabuf *buf;
	uint32_t mine, counted = 0, fb = 0;
	int vkms = tu_open_drm("vkms", false);

	ck_assert_int_eq(cmabuf_image_alloc(cma, DRM_FORMAT_XRGB8888, 64, 64,
					    0, 0, &img), 0);
	buf = cmabuf_image_get_buffer(img, 0);
	mine = caller_import(vkms, buf);
	ck_assert_int_eq(cmabuf_drm_add_fb(img, vkms, &fb), 0);
	ck_assert(handle_alive(vkms, mine));
	ck_assert_int_eq(cmabuf_drm_remove_fb(img, vkms, fb), 0);
	ck_assert(handle_alive(vkms, mine));
	/* a counted import of the same buffer around a framebuffer too */
	ck_assert_int_eq(cmabuf_drm_import(buf, vkms, &counted), 0);
	ck_assert_uint_eq(counted, mine);
	ck_assert_int_eq(cmabuf_drm_add_fb(img, vkms, &fb), 0);
	ck_assert_int_eq(cmabuf_drm_remove_fb(img, vkms, fb), 0);
	ck_assert(handle_alive(vkms, mine));
	/*
	 * The last counted close ends the handle for the caller too: one
	 * handle, one GEM_CLOSE (cmabuf_drm_import(3) says so).
	 */
	ck_assert_int_eq(cmabuf_drm_close_handle(ctx, vkms, counted), 0);
	ck_assert(!handle_alive(vkms, mine));
	cmabuf_image_unref(img);
	close(vkms);
}
END_TEST

/* a failed framebuffer (vgem has no modesetting) must not close it either */
START_TEST(test_caller_import_survives_failed_framebuffer)
{
	struct cmabuf_image *img = NULL;
	uint32_t mine, fb = 0;
	int vgem = tu_open_drm("vgem", false);

	ck_assert_int_eq(cmabuf_image_alloc(cma, DRM_FORMAT_XRGB8888, 64, 64,
					    0, 0, &img), 0);
	mine = caller_import(vgem, cmabuf_image_get_buffer(img, 0));
	ck_assert_int_eq(cmabuf_drm_add_fb(img, vgem, &fb), -EOPNOTSUPP);
	ck_assert(handle_alive(vgem, mine));
	caller_close(vgem, mine);
	cmabuf_image_unref(img);
	close(vgem);
}
END_TEST

/* the framebuffer is shown through another descriptor of the device */
START_TEST(test_framebuffer_usable_through_dup)
{
	struct cmabuf_image *img = NULL;
	struct output o;
	uint32_t fb = 0;
	int vkms = tu_open_drm("vkms", false), other;

	find_output(vkms, &o);
	ck_assert_int_eq(cmabuf_image_alloc(cma, DRM_FORMAT_XRGB8888,
					    o.mode.hdisplay, o.mode.vdisplay,
					    0, 0, &img), 0);
	ck_assert_int_eq(cmabuf_drm_add_fb(img, vkms, &fb), 0);
	other = fcntl(vkms, F_DUPFD_CLOEXEC, 0);
	ck_assert_int_eq(drmModeSetCrtc(other, o.crtc, fb, 0, 0, &o.connector,
					1, &o.mode), 0);
	ck_assert_int_eq(drmModeSetCrtc(vkms, o.crtc, 0, 0, 0, NULL, 0, NULL),
			 0);
	/* removed through the dup: the device is what counts */
	ck_assert_int_eq(cmabuf_drm_remove_fb(img, other, fb), 0);
	ck_assert_int_eq(cmabuf_drm_remove_fb(img, vkms, fb), -ENOENT);
	cmabuf_image_unref(img);
	close(other);
	close(vkms);
}
END_TEST

START_TEST(test_dup_fds_share_one_count)
{
	struct cmabuf *buf = alloc_ok(cma, 65536);
	uint32_t h1 = 0, h2 = 0;
	int vgem = tu_open_drm("vgem", true);
	int dup1 = fcntl(vgem, F_DUPFD_CLOEXEC, 0);

	ck_assert_int_eq(cmabuf_drm_import(buf, vgem, &h1), 0);
	ck_assert_int_eq(cmabuf_drm_import(buf, dup1, &h2), 0);
	ck_assert_uint_eq(h1, h2);
	/* one DRM file, two imports: the first close keeps the handle */
	ck_assert_int_eq(cmabuf_drm_close_handle(ctx, vgem, h1), 0);
	ck_assert(handle_alive(vgem, h1));
	ck_assert_int_eq(cmabuf_drm_close_handle(ctx, vgem, h2), 0);
	ck_assert(!handle_alive(dup1, h1));
	tu_log_reset();
	ck_assert_int_eq(cmabuf_drm_close_handle(ctx, dup1, h1), -ENOENT);
	ck_assert(tu_log_contains("client bug: GEM handle"));
	close(dup1);
	close(vgem);
	cmabuf_unref(buf);
}
END_TEST

/*
 * The caller forgot a counted import and closed its DRM fd; the number
 * comes back for a new DRM file. The new file's import starts at one.
 */
START_TEST(test_reused_fd_number_starts_clean)
{
	struct cmabuf *buf = alloc_ok(cma, 65536);
	uint32_t h = 0, h2 = 0;
	int vgem = tu_open_drm("vgem", true), again;

	ck_assert_int_eq(cmabuf_drm_import(buf, vgem, &h), 0);
	close(vgem);
	again = tu_open_drm("vgem", true);
	ck_assert_int_eq(again, vgem);	/* the same number, another file */
	tu_log_reset();
	ck_assert_int_eq(cmabuf_drm_import(buf, again, &h2), 0);
	ck_assert(tu_log_contains("was closed with 1 libcmabuf imports"));
	ck_assert_int_eq(cmabuf_drm_close_handle(ctx, again, h2), 0);
	/* that was the only import in this file: the handle is gone */
	ck_assert(!handle_alive(again, h2));
	close(again);
	cmabuf_unref(buf);
	/* no duplicate of either file is left open (teardown counts fds) */
}
END_TEST

/* ---- kcmp denied (containers): the fallback identity ---- */

#if defined(__x86_64__)
#define TEST_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define TEST_AUDIT_ARCH AUDIT_ARCH_AARCH64
#elif defined(__i386__)
#define TEST_AUDIT_ARCH AUDIT_ARCH_I386
#elif defined(__arm__)
#define TEST_AUDIT_ARCH AUDIT_ARCH_ARM
#endif

/* kcmp answers EPERM from now on, in this (forked) test process */
static void deny_kcmp(void)
{
	struct sock_filter f[] = {
#ifdef TEST_AUDIT_ARCH
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TEST_AUDIT_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
#endif
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_kcmp, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = (unsigned short)(sizeof(f) / sizeof(f[0])),
		.filter = f,
	};
	pid_t pid = getpid();

	ck_assert_int_eq(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
	ck_assert_msg(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0,
		      "seccomp: %s", strerror(errno));
	/* the filter works: kcmp of stdin with itself is refused */
	ck_assert_int_eq(syscall(SYS_kcmp, pid, pid, KCMP_FILE, 0, 0), -1);
	ck_assert_int_eq(errno, EPERM);
}

static void setup_kcmp_denied(void)
{
	setup();
	deny_kcmp();
}

/* this DRM file has a drm-client-id in fdinfo (not vgem on 6.1, 6.12) */
static bool has_client_id(int fd)
{
	char path[64], line[256];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	ck_assert_ptr_nonnull(f);
	while (!found && fgets(line, sizeof(line), f))
		found = strncmp(line, "drm-client-id:", 14) == 0;
	fclose(f);
	return found;
}

/*
 * Import twice, close twice: 0, 0, and the handle is gone after the
 * second close. Before the fallback, every call took the EPERM of kcmp
 * for "another file", forgot the counts and answered -ENOENT twice,
 * leaving the handle (and the CMA behind it) to the DRM file.
 */
START_TEST(test_kcmp_denied_import_twice_close_twice)
{
	struct cmabuf *buf = alloc_ok(cma, 1 << 20);
	struct drm_gem_close gc = { 0 };
	uint32_t h1 = 0, h2 = 0;
	int vgem = tu_open_drm("vgem", true);

	tu_log_reset();
	ck_assert_int_eq(cmabuf_drm_import(buf, vgem, &h1), 0);
	ck_assert_int_eq(cmabuf_drm_import(buf, vgem, &h2), 0);
	ck_assert_uint_eq(h1, h2);
	ck_assert_int_eq(cmabuf_drm_close_handle(ctx, vgem, h1), 0);
	ck_assert(handle_alive(vgem, h1));
	ck_assert_int_eq(cmabuf_drm_close_handle(ctx, vgem, h2), 0);
	gc.handle = h1;
	ck_assert_int_ne(drmIoctl(vgem, DRM_IOCTL_GEM_CLOSE, &gc), 0);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert(!tu_log_contains("client bug"));
	ck_assert(tu_log_contains("kcmp is denied (Operation not permitted)"));
	cmabuf_unref(buf);
	close(vgem);
}
END_TEST

/*
 * Without kcmp and without drm-client-id (vgem: none) a file is its
 * number and device: a dup'd descriptor counts on its own (stated in
 * cmabuf_drm_import(3)). With a client id, dups share one count again.
 */
START_TEST(test_kcmp_denied_dup_fds)
{
	struct cmabuf *buf = alloc_ok(cma, 65536);
	uint32_t h1 = 0, h2 = 0;
	int vgem = tu_open_drm("vgem", true);
	int dup1 = fcntl(vgem, F_DUPFD_CLOEXEC, 0);

	ck_assert_int_eq(cmabuf_drm_import(buf, vgem, &h1), 0);
	ck_assert_int_eq(cmabuf_drm_import(buf, dup1, &h2), 0);
	ck_assert_uint_eq(h1, h2);
	printf("kcmp denied: DRM files known by %s\n", has_client_id(vgem) ?
	       "drm-client-id" : "descriptor number and device");
	if (has_client_id(vgem)) {
		ck_assert_int_eq(cmabuf_drm_close_handle(ctx, vgem, h1), 0);
		ck_assert(handle_alive(vgem, h1));
		ck_assert_int_eq(cmabuf_drm_close_handle(ctx, dup1, h2), 0);
		ck_assert(!handle_alive(vgem, h1));
	} else {
		/* two counts of one: the first close ends the handle */
		ck_assert_int_eq(cmabuf_drm_close_handle(ctx, vgem, h1), 0);
		ck_assert(!handle_alive(vgem, h1));
		ck_assert_int_eq(cmabuf_drm_close_handle(ctx, dup1, h2),
				 -EINVAL);
	}
	close(dup1);
	close(vgem);
	cmabuf_unref(buf);
}
END_TEST

/*
 * The client-id identity (as on amdgpu, i915, v3d...): dups share one
 * count, and a number closed and reopened is another file.
 */
START_TEST(test_kcmp_denied_client_id)
{
	struct cmabuf *buf = alloc_ok(cma, 65536);
	uint32_t h1 = 0, h2 = 0, h3 = 0;
	int vgem = tu_open_drm("vgem", true);
	int dup1 = fcntl(vgem, F_DUPFD_CLOEXEC, 0), again;

	ck_assert_int_lt(dup1, FAKE_FDS);
	fake_client_id[vgem] = fake_client_id[dup1] = 41;
	tu_log_reset();
	ck_assert_int_eq(cmabuf_drm_import(buf, vgem, &h1), 0);
	ck_assert(tu_log_contains("DRM files known by their drm-client-id"));
	ck_assert_int_eq(cmabuf_drm_import(buf, dup1, &h2), 0);
	ck_assert_uint_eq(h1, h2);
	ck_assert_int_eq(cmabuf_drm_close_handle(ctx, dup1, h1), 0);
	ck_assert(handle_alive(vgem, h1));
	ck_assert_int_eq(cmabuf_drm_close_handle(ctx, vgem, h2), 0);
	ck_assert(!handle_alive(vgem, h1));
	/* imports on the dup only; then every caller descriptor closes */
	ck_assert_int_eq(cmabuf_drm_import(buf, dup1, &h1), 0);
	close(vgem);
	close(dup1);
	fake_client_id[vgem] = fake_client_id[dup1] = 0;
	again = tu_open_drm("vgem", true);
	fake_client_id[again] = 42;
	tu_log_reset();
	ck_assert_int_eq(cmabuf_drm_import(buf, again, &h3), 0);
	ck_assert(tu_log_contains("was closed with 1 libcmabuf imports"));
	ck_assert_int_eq(cmabuf_drm_close_handle(ctx, again, h3), 0);
	ck_assert(!handle_alive(again, h3));
	fake_client_id[again] = 0;
	close(again);
	cmabuf_unref(buf);
}
END_TEST

/* ---- vkms writeback: read back the composed frame ---- */

static uint32_t prop_id(int fd, uint32_t obj, uint32_t type, const char *name)
{
	drmModeObjectPropertiesPtr props;
	uint32_t id = 0, i;

	props = drmModeObjectGetProperties(fd, obj, type);
	ck_assert_ptr_nonnull(props);
	for (i = 0; i < props->count_props && !id; i++) {
		drmModePropertyPtr p = drmModeGetProperty(fd, props->props[i]);

		if (p && strcmp(p->name, name) == 0)
			id = p->prop_id;
		drmModeFreeProperty(p);
	}
	drmModeFreeObjectProperties(props);
	ck_assert_msg(id != 0, "no property %s on object %u", name, obj);
	return id;
}

static uint64_t prop_value(int fd, uint32_t obj, uint32_t type,
			   const char *name)
{
	drmModeObjectPropertiesPtr props;
	uint64_t v = UINT64_MAX;
	uint32_t i, id = prop_id(fd, obj, type, name);

	props = drmModeObjectGetProperties(fd, obj, type);
	for (i = 0; i < props->count_props; i++)
		if (props->props[i] == id)
			v = props->prop_values[i];
	drmModeFreeObjectProperties(props);
	return v;
}

struct wb_setup {
	uint32_t crtc, plane, out_conn, wb_conn;
	drmModeModeInfo mode;
};

/* false when this vkms has no writeback connector */
static bool find_writeback(int fd, struct wb_setup *w)
{
	drmModeResPtr res = drmModeGetResources(fd);
	drmModePlaneResPtr planes = drmModeGetPlaneResources(fd);
	unsigned int area = UINT32_MAX;
	int i;

	ck_assert_ptr_nonnull(res);
	ck_assert_ptr_nonnull(planes);
	memset(w, 0, sizeof(*w));
	w->crtc = res->crtcs[0];
	for (i = 0; i < res->count_connectors; i++) {
		drmModeConnectorPtr c = drmModeGetConnector(fd,
							    res->connectors[i]);
		int m;

		if (c->connector_type == DRM_MODE_CONNECTOR_WRITEBACK) {
			w->wb_conn = c->connector_id;
		} else if (c->connection == DRM_MODE_CONNECTED) {
			w->out_conn = c->connector_id;
			/* the smallest mode: composing is slow under TCG */
			for (m = 0; m < c->count_modes; m++) {
				unsigned int a = c->modes[m].hdisplay *
						 c->modes[m].vdisplay;

				if (a < area) {
					area = a;
					w->mode = c->modes[m];
				}
			}
		}
		drmModeFreeConnector(c);
	}
	for (i = 0; i < (int)planes->count_planes && !w->plane; i++)
		if (prop_value(fd, planes->planes[i], DRM_MODE_OBJECT_PLANE,
			       "type") == DRM_PLANE_TYPE_PRIMARY)
			w->plane = planes->planes[i];
	drmModeFreePlaneResources(planes);
	drmModeFreeResources(res);
	ck_assert_uint_ne(w->plane, 0);
	ck_assert_uint_ne(w->out_conn, 0);
	return w->wb_conn != 0;
}

static void add(drmModeAtomicReqPtr req, int fd, uint32_t obj, uint32_t type,
		const char *name, uint64_t value)
{
	ck_assert_int_ge(drmModeAtomicAddProperty(req, obj,
			 prop_id(fd, obj, type, name), value), 0);
}

static void check_xrgb(struct cmabuf_image *img, uint32_t color)
{
	const struct cmabuf_layout *l = cmabuf_image_get_layout(img);
	struct cmabuf *buf = cmabuf_image_get_buffer(img, 0);
	uint8_t *p = NULL;
	uint32_t x, y, px;

	ck_assert_int_eq(cmabuf_map(buf, CMABUF_MAP_READ, (void **)&p), 0);
	ck_assert_int_eq(cmabuf_sync_begin(buf, CMABUF_SYNC_READ), 0);
	for (y = 0; y < l->height; y++)
		for (x = 0; x < l->width; x++) {
			memcpy(&px, p + (size_t)y * l->planes[0].stride + 4 * x,
			       4);
			/* only a failure may reach Check, which records
			 * every passing assertion */
			if ((px & 0xffffff) != (color & 0xffffff))
				ck_abort_msg("(%u,%u) = %#x, wrote %#x", x, y,
					     px, color);
		}
	ck_assert_int_eq(cmabuf_sync_end(buf, CMABUF_SYNC_READ), 0);
	ck_assert_int_eq(cmabuf_unmap(buf), 0);
}

/*
 * Show a CMA image on the primary plane with an atomic commit and let
 * vkms compose it into a second CMA image through its writeback
 * connector: the read-back pixels must be those written.
 */
START_TEST(test_vkms_writeback_readback)
{
	struct cmabuf_image *in = NULL, *out = NULL;
	uint32_t fb_in = 0, fb_out = 0, blob = 0, w, h;
	drmModeAtomicReqPtr req;
	struct wb_setup s;
	struct pollfd pfd;
	int32_t fence = -1;
	int vkms = tu_open_drm("vkms", false);

	ck_assert_int_eq(drmSetClientCap(vkms, DRM_CLIENT_CAP_ATOMIC, 1), 0);
	ck_assert_int_eq(drmSetClientCap(vkms,
			 DRM_CLIENT_CAP_WRITEBACK_CONNECTORS, 1), 0);
	if (!find_writeback(vkms, &s)) {
		/* vkms.enable_writeback=0: nothing to read back from */
		fprintf(stderr, "vkms has no writeback connector\n");
		close(vkms);
		return;
	}
	w = s.mode.hdisplay;
	h = s.mode.vdisplay;
	ck_assert_int_eq(cmabuf_image_alloc(cma, DRM_FORMAT_XRGB8888, w, h, 0,
					    0, &in), 0);
	ck_assert_int_eq(cmabuf_image_alloc(cma, DRM_FORMAT_XRGB8888, w, h, 0,
					    0, &out), 0);
	fill_xrgb(in, 0x00123456);
	fill_xrgb(out, 0x00ffffff);
	ck_assert_int_eq(cmabuf_drm_add_fb(in, vkms, &fb_in), 0);
	ck_assert_int_eq(cmabuf_drm_add_fb(out, vkms, &fb_out), 0);
	ck_assert_int_eq(drmModeCreatePropertyBlob(vkms, &s.mode,
						   sizeof(s.mode), &blob), 0);

	req = drmModeAtomicAlloc();
	ck_assert_ptr_nonnull(req);
	add(req, vkms, s.crtc, DRM_MODE_OBJECT_CRTC, "MODE_ID", blob);
	add(req, vkms, s.crtc, DRM_MODE_OBJECT_CRTC, "ACTIVE", 1);
	/*
	 * The CRTC drives the writeback connector alone: 6.1's vkms encoders
	 * are not clones of each other, so it fails the clone check with
	 * the virtual connector on too.
	 */
	add(req, vkms, s.out_conn, DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID", 0);
	add(req, vkms, s.plane, DRM_MODE_OBJECT_PLANE, "FB_ID", fb_in);
	add(req, vkms, s.plane, DRM_MODE_OBJECT_PLANE, "CRTC_ID", s.crtc);
	add(req, vkms, s.plane, DRM_MODE_OBJECT_PLANE, "SRC_X", 0);
	add(req, vkms, s.plane, DRM_MODE_OBJECT_PLANE, "SRC_Y", 0);
	add(req, vkms, s.plane, DRM_MODE_OBJECT_PLANE, "SRC_W",
	    (uint64_t)w << 16);
	add(req, vkms, s.plane, DRM_MODE_OBJECT_PLANE, "SRC_H",
	    (uint64_t)h << 16);
	add(req, vkms, s.plane, DRM_MODE_OBJECT_PLANE, "CRTC_X", 0);
	add(req, vkms, s.plane, DRM_MODE_OBJECT_PLANE, "CRTC_Y", 0);
	add(req, vkms, s.plane, DRM_MODE_OBJECT_PLANE, "CRTC_W", w);
	add(req, vkms, s.plane, DRM_MODE_OBJECT_PLANE, "CRTC_H", h);
	add(req, vkms, s.wb_conn, DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID",
	    s.crtc);
	add(req, vkms, s.wb_conn, DRM_MODE_OBJECT_CONNECTOR,
	    "WRITEBACK_FB_ID", fb_out);
	add(req, vkms, s.wb_conn, DRM_MODE_OBJECT_CONNECTOR,
	    "WRITEBACK_OUT_FENCE_PTR", (uint64_t)(uintptr_t)&fence);
	ck_assert_msg(drmModeAtomicCommit(vkms, req,
			DRM_MODE_ATOMIC_ALLOW_MODESET, NULL) == 0,
		      "atomic commit: %s", strerror(errno));
	drmModeAtomicFree(req);

	/* the writeback job signals its fence when the frame is written */
	ck_assert_int_ge(fence, 0);
	pfd.fd = fence;
	pfd.events = POLLIN;
	ck_assert_int_eq(poll(&pfd, 1, 30000), 1);
	close(fence);
	check_xrgb(out, 0x00123456);

	req = drmModeAtomicAlloc();
	add(req, vkms, s.plane, DRM_MODE_OBJECT_PLANE, "FB_ID", 0);
	add(req, vkms, s.plane, DRM_MODE_OBJECT_PLANE, "CRTC_ID", 0);
	add(req, vkms, s.out_conn, DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID", 0);
	add(req, vkms, s.wb_conn, DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID", 0);
	add(req, vkms, s.crtc, DRM_MODE_OBJECT_CRTC, "MODE_ID", 0);
	add(req, vkms, s.crtc, DRM_MODE_OBJECT_CRTC, "ACTIVE", 0);
	ck_assert_int_eq(drmModeAtomicCommit(vkms, req,
			 DRM_MODE_ATOMIC_ALLOW_MODESET, NULL), 0);
	drmModeAtomicFree(req);
	drmModeDestroyPropertyBlob(vkms, blob);
	ck_assert_int_eq(cmabuf_drm_remove_fb(in, vkms, fb_in), 0);
	ck_assert_int_eq(cmabuf_drm_remove_fb(out, vkms, fb_out), 0);
	cmabuf_image_unref(in);
	cmabuf_image_unref(out);
	close(vkms);
}
END_TEST

static Suite *drm_suite(void)
{
	Suite *s = suite_create("vm-drm");
	TCase *tc = tcase_create("drm"), *denied;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_vgem_import_twice_same_handle);
	tcase_add_test(tc, test_vgem_import_system_heap);
	tcase_add_test(tc, test_import_errors);
	tcase_add_test(tc, test_vgem_export);
	tcase_add_test(tc, test_vgem_has_no_framebuffers);
	tcase_add_test(tc, test_vgem_refuses_modifier_without_cap);
	tcase_add_test(tc, test_vkms_modifier_no_plane_takes);
	tcase_add_test(tc, test_vkms_modifier_reaches_addfb2);
	tcase_add_test(tc, test_vkms_show_cma_xrgb);
	tcase_add_test(tc, test_vkms_show_cma_rgb565);
	tcase_add_test(tc, test_vkms_show_system_heap);
	tcase_add_test(tc, test_vkms_writeback_readback);
	tcase_add_test(tc, test_caller_import_survives_framebuffer);
	tcase_add_test(tc, test_caller_import_survives_failed_framebuffer);
	tcase_add_test(tc, test_framebuffer_usable_through_dup);
	tcase_add_test(tc, test_dup_fds_share_one_count);
	tcase_add_test(tc, test_reused_fd_number_starts_clean);
	suite_add_tcase(s, tc);
	/* the ownership cases again, kcmp failing with EPERM */
	denied = tcase_create("drm-kcmp-denied");
	tcase_add_checked_fixture(denied, setup_kcmp_denied, teardown);
	tcase_add_test(denied, test_kcmp_denied_import_twice_close_twice);
	tcase_add_test(denied, test_vgem_import_twice_same_handle);
	tcase_add_test(denied, test_vgem_export);
	tcase_add_test(denied, test_caller_import_survives_framebuffer);
	tcase_add_test(denied, test_caller_import_survives_failed_framebuffer);
	tcase_add_test(denied, test_framebuffer_usable_through_dup);
	tcase_add_test(denied, test_kcmp_denied_dup_fds);
	tcase_add_test(denied, test_reused_fd_number_starts_clean);
	tcase_add_test(denied, test_kcmp_denied_client_id);
	suite_add_tcase(s, denied);
	return s;
}

int main(void)
{
	if (tu_missing_cma())
		return tu_cannot_run(tu_missing_cma());
	if (access("/dev/dri", F_OK) != 0)
		return tu_cannot_run("no /dev/dri (vgem, vkms)");
	return tu_run(drm_suite());
}
