// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * DRM sharing through libdrm: PRIME import and export, framebuffers.
 *
 * A DRM file gives one GEM handle per buffer object: importing the same
 * dma-buf twice returns the same handle (drm_prime.c looks it up), and a
 * single DRM_IOCTL_GEM_CLOSE ends it for every importer. So imports are
 * counted per (DRM fd, handle) in a process-wide table, and the handle is
 * closed when the last importer lets go.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "libcmabuf-private.h"

#ifndef DRM_FORMAT_MOD_LINEAR
#define DRM_FORMAT_MOD_LINEAR 0 /* fourcc_mod_code(NONE, 0), old libdrm */
#endif

struct handle_ref {
	int drm_fd;
	uint32_t handle;
	unsigned int count;
};

static pthread_mutex_t handles_lock = PTHREAD_MUTEX_INITIALIZER;
static struct handle_ref *handles;
static size_t handles_len, handles_cap;

static struct handle_ref *handle_find(int drm_fd, uint32_t handle)
{
	size_t i;

	for (i = 0; i < handles_len; i++)
		if (handles[i].drm_fd == drm_fd && handles[i].handle == handle)
			return &handles[i];
	return NULL;
}

/* count one more import of handle; called with handles_lock held */
static int handle_get(int drm_fd, uint32_t handle)
{
	struct handle_ref *ref = handle_find(drm_fd, handle);

	if (ref) {
		ref->count++;
		return 0;
	}
	if (handles_len == handles_cap) {
		size_t cap = handles_cap ? handles_cap * 2 : 16;
		struct handle_ref *n = realloc(handles, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		handles = n;
		handles_cap = cap;
	}
	handles[handles_len++] = (struct handle_ref){ drm_fd, handle, 1 };
	return 0;
}

static int gem_close(int drm_fd, uint32_t handle)
{
	struct drm_gem_close req = { .handle = handle };

	return drmIoctl(drm_fd, DRM_IOCTL_GEM_CLOSE, &req) ? -errno : 0;
}

/* drop one import; closes the handle with the last. Lock held. */
static int handle_put(struct cmabuf_ctx *ctx, int drm_fd, uint32_t handle)
{
	struct handle_ref *ref = handle_find(drm_fd, handle);
	int ret;

	if (!ref) {
		log_bug_client(ctx, "GEM handle %u of DRM fd %d was not "
			       "imported by libcmabuf\n", handle, drm_fd);
		return -ENOENT;
	}
	if (--ref->count > 0)
		return 0;
	*ref = handles[--handles_len];
	if (handles_len == 0) {
		free(handles);
		handles = NULL;
		handles_cap = 0;
	}
	ret = gem_close(drm_fd, handle);
	if (ret < 0)
		err(ctx, "DRM_IOCTL_GEM_CLOSE of handle %u on fd %d: %s\n",
		    handle, drm_fd, strerror(-ret));
	return ret;
}

/* libdrm mixes -1 + errno and -errno; errno is set in both cases */
static int drm_errno(void)
{
	return errno ? -errno : -EIO;
}

static int import_locked(struct cmabuf *buf, int drm_fd, uint32_t *handle)
{
	uint32_t h = 0;
	int ret;

	errno = 0;
	if (drmPrimeFDToHandle(drm_fd, buf->fd, &h) != 0) {
		ret = drm_errno();
		err(buf->ctx, "PRIME import of fd %d into DRM fd %d: %s\n",
		    buf->fd, drm_fd, strerror(-ret));
		return ret;
	}
	ret = handle_get(drm_fd, h);
	if (ret < 0) {
		/* a new handle nobody else counts: close it again */
		if (!handle_find(drm_fd, h))
			gem_close(drm_fd, h);
		return ret;
	}
	*handle = h;
	return 0;
}

CMABUF_EXPORT int cmabuf_drm_import(struct cmabuf *buf, int drm_fd,
				    uint32_t *handle)
{
	int ret;

	if (!buf || !handle)
		return -EINVAL;
	if (drm_fd < 0) {
		log_bug_client(buf->ctx, "invalid DRM fd %d\n", drm_fd);
		return -EBADF;
	}
	pthread_mutex_lock(&handles_lock);
	ret = import_locked(buf, drm_fd, handle);
	pthread_mutex_unlock(&handles_lock);
	if (ret == 0)
		dbg(buf->ctx, "fd %d is GEM handle %u of DRM fd %d\n", buf->fd,
		    *handle, drm_fd);
	return ret;
}

CMABUF_EXPORT int cmabuf_drm_close_handle(struct cmabuf_ctx *ctx,
					  int drm_fd, uint32_t handle)
{
	int ret;

	if (!ctx)
		return -EINVAL;
	pthread_mutex_lock(&handles_lock);
	ret = handle_put(ctx, drm_fd, handle);
	pthread_mutex_unlock(&handles_lock);
	return ret;
}

CMABUF_EXPORT int cmabuf_drm_export(struct cmabuf_ctx *ctx, int drm_fd,
				    uint32_t handle, struct cmabuf **out)
{
	int fd = -1, ret;

	if (!ctx || !out)
		return -EINVAL;
	if (drm_fd < 0) {
		log_bug_client(ctx, "invalid DRM fd %d\n", drm_fd);
		return -EBADF;
	}
	errno = 0;
	if (drmPrimeHandleToFD(drm_fd, handle, DRM_CLOEXEC | DRM_RDWR,
			       &fd) != 0) {
		ret = drm_errno();
		err(ctx, "PRIME export of GEM handle %u of DRM fd %d: %s\n",
		    handle, drm_fd, strerror(-ret));
		return ret;
	}
	/* import dups the fd: close the kernel's own after wrapping */
	ret = cmabuf_import(ctx, fd, out);
	close(fd);
	return ret;
}

/*
 * A non-linear modifier needs AddFB2WithModifiers. Without
 * DRM_CAP_ADDFB2_MODIFIERS the kernel refuses any modifier with a bare
 * EINVAL (drm_framebuffer.c, framebuffer_check): say why instead.
 */
static int fb_modifiers_check(struct cmabuf_image *img, int drm_fd,
			      bool *with_mods)
{
	uint64_t cap = 0;

	*with_mods = drmGetCap(drm_fd, DRM_CAP_ADDFB2_MODIFIERS, &cap) == 0 &&
		     cap;
	if (*with_mods || img->layout.modifier == DRM_FORMAT_MOD_LINEAR)
		return 0;
	err(img->ctx, "modifier %#018llx on DRM fd %d: the driver has no "
	    "DRM_CAP_ADDFB2_MODIFIERS, only linear framebuffers\n",
	    (unsigned long long)img->layout.modifier, drm_fd);
	return -EOPNOTSUPP;
}

static int add_fb(struct cmabuf_image *img, int drm_fd, bool with_mods,
		  const uint32_t *buf_handles, uint32_t *fb_id)
{
	const struct cmabuf_layout *l = &img->layout;
	uint32_t bo[4] = { 0 }, pitches[4] = { 0 }, offsets[4] = { 0 };
	uint64_t mods[4] = { 0 };
	unsigned int i;
	int ret;

	for (i = 0; i < l->num_planes; i++) {
		bo[i] = buf_handles[img->num_bufs > 1 ? i : 0];
		pitches[i] = l->planes[i].stride;
		offsets[i] = l->planes[i].offset;
		mods[i] = l->modifier;	/* DRM wants it on every plane */
	}
	errno = 0;
	if (with_mods)
		ret = drmModeAddFB2WithModifiers(drm_fd, l->width, l->height,
						 l->fourcc, bo, pitches,
						 offsets, mods, fb_id,
						 DRM_MODE_FB_MODIFIERS);
	else	/* without modifier support, a framebuffer is LINEAR */
		ret = drmModeAddFB2(drm_fd, l->width, l->height, l->fourcc,
				    bo, pitches, offsets, fb_id, 0);
	if (ret != 0) {
		ret = drm_errno();
		err(img->ctx, "ADDFB2 %.4s %ux%u modifier %#018llx on DRM fd "
		    "%d: %s\n", (const char *)&l->fourcc, l->width, l->height,
		    (unsigned long long)l->modifier, drm_fd, strerror(-ret));
	}
	return ret;
}

CMABUF_EXPORT int cmabuf_drm_add_fb(struct cmabuf_image *img, int drm_fd,
				    uint32_t *fb_id)
{
	uint32_t buf_handles[CMABUF_MAX_PLANES];
	unsigned int b, n = 0;
	bool with_mods;
	int ret = 0;

	if (!img || !fb_id)
		return -EINVAL;
	if (drm_fd < 0) {
		log_bug_client(img->ctx, "invalid DRM fd %d\n", drm_fd);
		return -EBADF;
	}
	ret = fb_modifiers_check(img, drm_fd, &with_mods);
	if (ret < 0)
		return ret;
	pthread_mutex_lock(&handles_lock);
	for (b = 0; b < img->num_bufs && ret == 0; b++) {
		ret = import_locked(img->bufs[b], drm_fd, &buf_handles[b]);
		if (ret == 0)
			n++;
	}
	if (ret == 0)
		ret = add_fb(img, drm_fd, with_mods, buf_handles, fb_id);
	/* the framebuffer holds the objects: no handle needs to stay */
	for (b = 0; b < n; b++)
		handle_put(img->ctx, drm_fd, buf_handles[b]);
	pthread_mutex_unlock(&handles_lock);
	if (ret == 0)
		dbg(img->ctx, "framebuffer %u on DRM fd %d\n", *fb_id, drm_fd);
	return ret;
}

CMABUF_EXPORT int cmabuf_drm_remove_fb(struct cmabuf_ctx *ctx, int drm_fd,
				       uint32_t fb_id)
{
	int ret;

	if (!ctx)
		return -EINVAL;
	errno = 0;
	if (drmModeRmFB(drm_fd, fb_id) == 0)
		return 0;
	ret = drm_errno();
	err(ctx, "RMFB %u on DRM fd %d: %s\n", fb_id, drm_fd, strerror(-ret));
	return ret;
}
