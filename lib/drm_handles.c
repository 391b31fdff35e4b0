// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * GEM handles given to the caller by cmabuf_drm_import(), counted.
 *
 * A DRM file gives one GEM handle per buffer object: importing the same
 * dma-buf twice into one file returns the same handle (drm_prime.c looks
 * it up), and a single DRM_IOCTL_GEM_CLOSE ends it for every holder in
 * that file. So imports through the library are counted per (DRM file,
 * handle), and the handle is closed with the last one.
 *
 * A DRM file is known by its identity (kcmp KCMP_FILE; DRM selects
 * CONFIG_KCMP), not by descriptor number: dup'd descriptors of one file
 * share one count, and the table holds a duplicate of each file it counts
 * for, so a number closed and reused for another file cannot inherit the
 * old counts. When the caller has closed every descriptor of a file it
 * still had imports on, the entry is dropped (and its duplicate closed,
 * which ends the file and its handles) at the next call.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/kcmp.h>

#include <xf86drm.h>

#include "libcmabuf-private.h"

/* guards the tables below */
static pthread_mutex_t handles_lock = PTHREAD_MUTEX_INITIALIZER;

int drm_errno(void)
{
	/* libdrm mixes -1 + errno and -errno; errno is set in both cases */
	return errno ? -errno : -EIO;
}

int drm_gem_close(int drm_fd, uint32_t handle)
{
	struct drm_gem_close req = { .handle = handle };

	return drmIoctl(drm_fd, DRM_IOCTL_GEM_CLOSE, &req) ? -errno : 0;
}

struct drm_file_ref {
	int own_fd;		/* our duplicate: keeps the file comparable */
	int caller_fd;		/* the caller's number it was last used by */
	unsigned int imports;	/* counted imports on it, all handles */
};

struct handle_ref {
	struct drm_file_ref *file;
	uint32_t handle;
	unsigned int count;
};

static struct drm_file_ref **files;
static size_t files_len, files_cap;
static struct handle_ref *handles;
static size_t handles_len, handles_cap;

/* a kernel without kcmp (CONFIG_KCMP off, no DRM): count by number */
static bool no_kcmp;

/* a and b are descriptors of one open file (kcmp KCMP_FILE) */
static bool same_file(int a, int b)
{
	pid_t pid = getpid();
	long r = syscall(SYS_kcmp, pid, pid, KCMP_FILE, a, b);

	if (r < 0 && errno == ENOSYS)
		no_kcmp = true;
	return r == 0;
}

static bool is_own_fd(int fd)
{
	size_t i;

	for (i = 0; i < files_len; i++)
		if (files[i]->own_fd == fd)
			return true;
	return false;
}

/* another descriptor of the caller's for f's file, -1: none, -2: unknown */
static int find_caller_fd(const struct drm_file_ref *f)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int found = -1;

	if (!d)
		return -2;	/* no /proc: keep the entry */
	while (found < 0 && (e = readdir(d))) {
		int fd = atoi(e->d_name);

		if (e->d_name[0] < '0' || e->d_name[0] > '9' ||
		    fd == dirfd(d) || is_own_fd(fd))
			continue;
		if (same_file(fd, f->own_fd))
			found = fd;
	}
	closedir(d);
	return found;
}

static void handle_remove(size_t i)
{
	handles[i] = handles[--handles_len];
	if (handles_len == 0) {
		free(handles);
		handles = NULL;
		handles_cap = 0;
	}
}

static void file_remove(size_t i)
{
	close(files[i]->own_fd);
	free(files[i]);
	files[i] = files[--files_len];
	if (files_len == 0) {
		free(files);
		files = NULL;
		files_cap = 0;
	}
}

/* forget a file the caller closed: its handles ended (or end) with it */
static void file_drop(struct cmabuf_ctx *ctx, size_t idx)
{
	struct drm_file_ref *f = files[idx];
	size_t i = 0;

	info(ctx, "DRM fd %d was closed with %u libcmabuf imports still "
	     "counted: forgotten\n", f->caller_fd, f->imports);
	while (i < handles_len) {
		if (handles[i].file == f)
			handle_remove(i);
		else
			i++;
	}
	file_remove(idx);
}

/* drop the files the caller no longer holds any descriptor of */
static void files_prune(struct cmabuf_ctx *ctx)
{
	size_t i = 0;

	while (i < files_len && !no_kcmp) {
		struct drm_file_ref *f = files[i];
		int fd;

		if (same_file(f->caller_fd, f->own_fd)) {
			i++;
			continue;
		}
		fd = find_caller_fd(f);
		if (fd == -1) {
			file_drop(ctx, i);
			continue;
		}
		if (fd >= 0)
			f->caller_fd = fd;
		i++;
	}
}

static struct drm_file_ref *file_find(int drm_fd)
{
	size_t i;

	for (i = 0; i < files_len; i++) {
		if (same_file(drm_fd, files[i]->own_fd) ||
		    (no_kcmp && files[i]->caller_fd == drm_fd)) {
			files[i]->caller_fd = drm_fd;
			return files[i];
		}
	}
	return NULL;
}

static int file_get(int drm_fd, struct drm_file_ref **out)
{
	struct drm_file_ref *f = file_find(drm_fd);

	if (f) {
		*out = f;
		return 0;
	}
	if (files_len == files_cap) {
		size_t cap = files_cap ? files_cap * 2 : 4;
		struct drm_file_ref **n = realloc(files, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		files = n;
		files_cap = cap;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->own_fd = fcntl(drm_fd, F_DUPFD_CLOEXEC, 3);
	if (f->own_fd < 0) {
		int ret = -errno;

		free(f);
		return ret;
	}
	f->caller_fd = drm_fd;
	files[files_len++] = f;
	*out = f;
	return 0;
}

/* the file entry without imports goes */
static void file_put_unused(struct drm_file_ref *f)
{
	size_t i;

	if (f->imports)
		return;
	for (i = 0; i < files_len; i++)
		if (files[i] == f)
			file_remove(i);
}

static struct handle_ref *handle_find(const struct drm_file_ref *f,
				      uint32_t handle)
{
	size_t i;

	for (i = 0; i < handles_len; i++)
		if (handles[i].file == f && handles[i].handle == handle)
			return &handles[i];
	return NULL;
}

static int handle_get(struct drm_file_ref *f, uint32_t handle)
{
	struct handle_ref *ref = handle_find(f, handle);

	if (!ref) {
		if (handles_len == handles_cap) {
			size_t cap = handles_cap ? handles_cap * 2 : 16;
			struct handle_ref *n;

			n = realloc(handles, cap * sizeof(*n));
			if (!n)
				return -ENOMEM;
			handles = n;
			handles_cap = cap;
		}
		ref = &handles[handles_len++];
		*ref = (struct handle_ref){ f, handle, 0 };
	}
	ref->count++;
	f->imports++;
	return 0;
}

/* drop one counted import; the last one closes the handle */
static int handle_put(struct cmabuf_ctx *ctx, int drm_fd, uint32_t handle)
{
	struct drm_file_ref *f = file_find(drm_fd);
	struct handle_ref *ref = f ? handle_find(f, handle) : NULL;
	int ret;

	if (!ref) {
		log_bug_client(ctx, "GEM handle %u of DRM fd %d was not "
			       "imported by libcmabuf\n", handle, drm_fd);
		return -ENOENT;
	}
	f->imports--;
	if (--ref->count > 0)
		return 0;
	handle_remove((size_t)(ref - handles));
	ret = drm_gem_close(f->own_fd, handle);
	if (ret < 0)
		err(ctx, "DRM_IOCTL_GEM_CLOSE of handle %u on fd %d: %s\n",
		    handle, drm_fd, strerror(-ret));
	file_put_unused(f);
	return ret;
}

static int import_counted(struct cmabuf *buf, int drm_fd, uint32_t *handle)
{
	struct drm_file_ref *f = NULL;
	uint32_t h = 0;
	int ret;

	files_prune(buf->ctx);
	ret = file_get(drm_fd, &f);
	if (ret < 0)
		return ret;
	errno = 0;
	if (drmPrimeFDToHandle(drm_fd, buf->fd, &h) != 0) {
		ret = drm_errno();
		err(buf->ctx, "PRIME import of fd %d into DRM fd %d: %s\n",
		    buf->fd, drm_fd, strerror(-ret));
		file_put_unused(f);
		return ret;
	}
	ret = handle_get(f, h);
	if (ret < 0) {
		/* a new handle nobody else counts: close it again */
		if (!handle_find(f, h))
			drm_gem_close(drm_fd, h);
		file_put_unused(f);
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
	ret = import_counted(buf, drm_fd, handle);
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
	files_prune(ctx);
	ret = handle_put(ctx, drm_fd, handle);
	pthread_mutex_unlock(&handles_lock);
	return ret;
}
