// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * DRM sharing through libdrm: PRIME export and framebuffers (PRIME
 * import with counted handles is drm_handles.c).
 *
 * A DRM file gives one GEM handle per buffer object, and one
 * DRM_IOCTL_GEM_CLOSE ends it for every holder in that file: the
 * application, GBM, EGL. So the library's own imports (the handles a
 * framebuffer is made from) go into a private DRM file of the same
 * device, opened anew from the caller's descriptor: they never are a
 * handle the caller holds, and closing them right after AddFB2 is safe.
 * Framebuffer ids are device-wide and not leased (drm_mode_object.c,
 * __drm_mode_object_find), so SetCrtc, page flips and atomic FB_ID on the
 * caller's file accept them; only the file that made a framebuffer can
 * remove it (drm_framebuffer.c, drm_mode_rmfb) and closing that file
 * removes its framebuffers (drm_fb_release), so the private file lives
 * while it has framebuffers, and cmabuf_drm_remove_fb() removes them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "libcmabuf-private.h"

#ifndef DRM_FORMAT_MOD_LINEAR
#define DRM_FORMAT_MOD_LINEAR 0 /* fourcc_mod_code(NONE, 0), old libdrm */
#endif

/* guards the framebuffer tables; held across import + AddFB2 + close */
static pthread_mutex_t fb_lock = PTHREAD_MUTEX_INITIALIZER;

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

struct fb_file {
	dev_t rdev;		/* the device node */
	int fd;			/* our own DRM file of it */
	unsigned int fbs;	/* framebuffers made on it and not removed */
};

struct fb_ref {
	struct fb_file *file;
	uint32_t fb_id;
};

static struct fb_file **fb_files;
static size_t fb_files_len, fb_files_cap;
static struct fb_ref *fbs;
static size_t fbs_len, fbs_cap;

static int drm_rdev(int drm_fd, dev_t *rdev)
{
	struct stat st;

	if (fstat(drm_fd, &st) < 0)
		return -errno;
	*rdev = st.st_rdev;
	return 0;
}

/*
 * A new DRM file of the device behind drm_fd: reopened through
 * /proc/self/fd, so the same node whatever its path. Opening a primary
 * node while the device has no master makes the opener master
 * (drm_auth.c, drm_master_open): give it up at once, so the caller can
 * still become master. AddFB2, RmFB, PRIME import and GEM_CLOSE need
 * neither master nor authentication (drm_ioctl.c).
 */
static int fb_file_open(struct cmabuf_ctx *ctx, int drm_fd)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", drm_fd);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fd = -errno;
		err(ctx, "cannot open a DRM file of the device of fd %d "
		    "(%s): %s\n", drm_fd, path, strerror(-fd));
		return fd;
	}
	if (drmIsMaster(fd))
		drmDropMaster(fd);
	/* every plane, not only overlays, for plane_takes() */
	drmSetClientCap(fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1);
	return fd;
}

static int fb_file_get(struct cmabuf_ctx *ctx, int drm_fd,
		       struct fb_file **out)
{
	struct fb_file *f;
	dev_t rdev = 0;
	size_t i;
	int ret = drm_rdev(drm_fd, &rdev);

	if (ret < 0)
		return ret;
	for (i = 0; i < fb_files_len; i++) {
		if (fb_files[i]->rdev == rdev) {
			*out = fb_files[i];
			return 0;
		}
	}
	if (fb_files_len == fb_files_cap) {
		size_t cap = fb_files_cap ? fb_files_cap * 2 : 4;
		struct fb_file **n = realloc(fb_files, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		fb_files = n;
		fb_files_cap = cap;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->rdev = rdev;
	f->fd = fb_file_open(ctx, drm_fd);
	if (f->fd < 0) {
		ret = f->fd;
		free(f);
		return ret;
	}
	fb_files[fb_files_len++] = f;
	*out = f;
	return 0;
}

/* a private file without framebuffers is closed */
static void fb_file_put_unused(struct fb_file *f)
{
	size_t i;

	if (f->fbs)
		return;
	for (i = 0; i < fb_files_len; i++) {
		if (fb_files[i] != f)
			continue;
		close(f->fd);
		free(f);
		fb_files[i] = fb_files[--fb_files_len];
		break;
	}
	if (fb_files_len == 0) {
		free(fb_files);
		fb_files = NULL;
		fb_files_cap = 0;
	}
}

static int fb_record(struct fb_file *f, uint32_t fb_id)
{
	if (fbs_len == fbs_cap) {
		size_t cap = fbs_cap ? fbs_cap * 2 : 16;
		struct fb_ref *n = realloc(fbs, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		fbs = n;
		fbs_cap = cap;
	}
	fbs[fbs_len++] = (struct fb_ref){ f, fb_id };
	f->fbs++;
	return 0;
}

/* the private file that made framebuffer fb_id of drm_fd's device */
static struct fb_ref *fb_find(int drm_fd, uint32_t fb_id)
{
	dev_t rdev = 0;
	size_t i;

	if (drm_rdev(drm_fd, &rdev) < 0)
		return NULL;
	for (i = 0; i < fbs_len; i++)
		if (fbs[i].fb_id == fb_id && fbs[i].file->rdev == rdev)
			return &fbs[i];
	return NULL;
}

static void fb_forget(struct fb_ref *ref)
{
	struct fb_file *f = ref->file;

	*ref = fbs[--fbs_len];
	if (fbs_len == 0) {
		free(fbs);
		fbs = NULL;
		fbs_cap = 0;
	}
	f->fbs--;
	fb_file_put_unused(f);
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

/* the four arrays of drmModeAddFB2WithModifiers(), zero past the planes */
static void layout_to_drm(const struct cmabuf_layout *l, uint32_t *pitches,
			  uint32_t *offsets, uint64_t *mods)
{
	unsigned int i;

	for (i = 0; i < 4; i++) {
		bool plane = i < l->num_planes;

		pitches[i] = plane ? l->planes[i].stride : 0;
		offsets[i] = plane ? l->planes[i].offset : 0;
		/* DRM wants the modifier on every plane, 0 on the others */
		if (mods)
			mods[i] = plane ? l->modifier : 0;
	}
}

CMABUF_EXPORT int cmabuf_layout_to_drm(const struct cmabuf_layout *layout,
				       uint32_t pitches[4],
				       uint32_t offsets[4],
				       uint64_t modifiers[4])
{
	if (!layout || !pitches || !offsets)
		return -EINVAL;
	/* DRM takes at most four planes; the layout must make sense */
	if (!image_layout_valid(layout) || layout->num_planes > 4)
		return -EINVAL;
	layout_to_drm(layout, pitches, offsets, modifiers);
	return (int)layout->num_planes;
}

static int add_fb(struct cmabuf_image *img, int drm_fd, bool with_mods,
		  const uint32_t *buf_handles, uint32_t *fb_id)
{
	const struct cmabuf_layout *l = &img->layout;
	uint32_t bo[4] = { 0 }, pitches[4], offsets[4];
	uint64_t mods[4];
	unsigned int i;
	int ret;

	layout_to_drm(l, pitches, offsets, mods);
	for (i = 0; i < l->num_planes; i++)
		bo[i] = buf_handles[img->num_bufs > 1 ? i : 0];
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

/* the blob id of a plane's IN_FORMATS property, 0 if it has none */
static uint32_t in_formats_blob(int fd, uint32_t plane)
{
	drmModeObjectPropertiesPtr props;
	uint32_t i, blob = 0;

	props = drmModeObjectGetProperties(fd, plane, DRM_MODE_OBJECT_PLANE);
	for (i = 0; props && i < props->count_props && !blob; i++) {
		drmModePropertyPtr p = drmModeGetProperty(fd, props->props[i]);

		if (p && strcmp(p->name, "IN_FORMATS") == 0)
			blob = (uint32_t)props->prop_values[i];
		drmModeFreeProperty(p);
	}
	drmModeFreeObjectProperties(props);
	return blob;
}

/* plane lists (fourcc, modifier) in IN_FORMATS */
static bool plane_takes(int fd, uint32_t plane, uint32_t fourcc,
			uint64_t modifier)
{
	drmModeFormatModifierIterator it = { 0 };
	drmModePropertyBlobPtr blob;
	uint32_t id = in_formats_blob(fd, plane);
	bool found = false;

	blob = id ? drmModeGetPropertyBlob(fd, id) : NULL;
	while (blob && !found && drmModeFormatModifierBlobIterNext(blob, &it))
		found = it.fmt == fourcc && it.mod == modifier;
	drmModeFreePropertyBlob(blob);
	return found;
}

/*
 * Linux 6.1 checks a modifier against the planes only when the
 * framebuffer goes on one (drm_atomic.c, drm_atomic_plane_check; the
 * legacy paths in drm_plane.c), so AddFB2 of a modifier no plane can scan
 * out succeeds and the modeset fails later. Ask the planes' IN_FORMATS
 * first, so that the answer comes here whatever the kernel.
 */
static int fb_modifier_scanout_check(struct cmabuf_image *img, int fd,
				     int drm_fd)
{
	const struct cmabuf_layout *l = &img->layout;
	drmModePlaneResPtr res;
	uint32_t i;
	bool ok = false;

	if (l->modifier == DRM_FORMAT_MOD_LINEAR)
		return 0;
	res = drmModeGetPlaneResources(fd);
	if (!res)
		return 0;	/* cannot tell: the kernel decides */
	for (i = 0; i < res->count_planes && !ok; i++)
		ok = plane_takes(fd, res->planes[i], l->fourcc, l->modifier);
	drmModeFreePlaneResources(res);
	if (ok)
		return 0;
	err(img->ctx, "no plane of DRM fd %d takes %.4s with modifier "
	    "%#018llx (IN_FORMATS)\n", drm_fd, (const char *)&l->fourcc,
	    (unsigned long long)l->modifier);
	return -EINVAL;
}

/* h[b] is also h[i] for some i < b: one dma-buf given twice, one handle */
static bool handle_seen(const uint32_t *h, unsigned int b)
{
	unsigned int i;

	for (i = 0; i < b; i++)
		if (h[i] == h[b])
			return true;
	return false;
}

/* import every buffer into the private file, add the framebuffer there */
static int add_fb_private(struct cmabuf_image *img, struct fb_file *f,
			  bool with_mods, uint32_t *fb_id)
{
	uint32_t h[CMABUF_MAX_PLANES];
	unsigned int b, n = 0;
	int ret = 0;

	for (b = 0; b < img->num_bufs && ret == 0; b++) {
		errno = 0;
		if (drmPrimeFDToHandle(f->fd, img->bufs[b]->fd, &h[b]) != 0) {
			ret = drm_errno();
			err(img->ctx, "PRIME import of fd %d into DRM fd %d: "
			    "%s\n", img->bufs[b]->fd, f->fd, strerror(-ret));
		} else {
			n++;
		}
	}
	if (ret == 0)
		ret = add_fb(img, f->fd, with_mods, h, fb_id);
	/* the framebuffer holds the objects; the handles are ours alone */
	for (b = 0; b < n; b++)
		if (!handle_seen(h, b))
			drm_gem_close(f->fd, h[b]);
	return ret;
}

CMABUF_EXPORT int cmabuf_drm_add_fb(struct cmabuf_image *img, int drm_fd,
				    uint32_t *fb_id)
{
	struct fb_file *f = NULL;
	bool with_mods;
	uint32_t id = 0;
	int ret, priv_fd = -1;

	if (!img || !fb_id)
		return -EINVAL;
	if (drm_fd < 0) {
		log_bug_client(img->ctx, "invalid DRM fd %d\n", drm_fd);
		return -EBADF;
	}
	ret = fb_modifiers_check(img, drm_fd, &with_mods);
	if (ret < 0)
		return ret;
	pthread_mutex_lock(&fb_lock);
	ret = fb_file_get(img->ctx, drm_fd, &f);
	if (ret == 0 && with_mods)
		ret = fb_modifier_scanout_check(img, f->fd, drm_fd);
	if (ret == 0)
		ret = add_fb_private(img, f, with_mods, &id);
	if (ret == 0) {
		ret = fb_record(f, id);
		if (ret < 0)
			drmModeRmFB(f->fd, id);
	}
	if (f) {
		priv_fd = f->fd;
		fb_file_put_unused(f);
	}
	pthread_mutex_unlock(&fb_lock);
	if (ret < 0)
		return ret;
	*fb_id = id;
	dbg(img->ctx, "framebuffer %u for DRM fd %d (made on libcmabuf's DRM "
	    "file %d)\n", id, drm_fd, priv_fd);
	return 0;
}

static int rm_fb(struct cmabuf_ctx *ctx, int fd, int drm_fd, uint32_t fb_id)
{
	int ret;

	errno = 0;
	if (drmModeRmFB(fd, fb_id) == 0)
		return 0;
	ret = drm_errno();
	err(ctx, "RMFB %u on DRM fd %d: %s\n", fb_id, drm_fd, strerror(-ret));
	return ret;
}

CMABUF_EXPORT int cmabuf_drm_remove_fb(struct cmabuf_image *img, int drm_fd,
				       uint32_t fb_id)
{
	struct cmabuf_ctx *ctx;
	struct fb_ref *ref;
	int ret;

	if (!img)
		return -EINVAL;
	ctx = img->ctx;
	if (drm_fd < 0) {
		log_bug_client(ctx, "invalid DRM fd %d\n", drm_fd);
		return -EBADF;
	}
	pthread_mutex_lock(&fb_lock);
	ref = fb_find(drm_fd, fb_id);
	if (ref) {
		ret = rm_fb(ctx, ref->file->fd, drm_fd, fb_id);
		fb_forget(ref);
	} else {
		/* not one of ours: the caller's own, on its own file */
		ret = rm_fb(ctx, drm_fd, drm_fd, fb_id);
	}
	pthread_mutex_unlock(&fb_lock);
	return ret;
}
