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
 * A DRM file is known by its identity, not by descriptor number: dup'd
 * descriptors of one file share one count, and the table holds a
 * duplicate of each file it counts for, so a number closed and reused for
 * another file cannot inherit the old counts. When the caller has closed
 * every descriptor of a file it still had imports on, the entry is
 * dropped (and its duplicate closed, which ends the file and its handles)
 * at the next call.
 *
 * The identity is kcmp(KCMP_FILE) (DRM selects CONFIG_KCMP), probed once:
 * containers and sandboxes deny it (Docker's default seccomp profile
 * answers EPERM without CAP_SYS_PTRACE; others ENOSYS or EACCES), and a
 * kcmp that fails must not read as "another file", or every call would
 * forget the counts and never close a handle. Whatever the error, the
 * fallback is the file's drm-client-id in /proc/self/fdinfo (unique per
 * DRM file for the boot; Linux 5.19+, printed by the drivers that report
 * memory there: amdgpu, i915, msm, panfrost, v3d..., not vgem or vkms),
 * else the descriptor number with the device (st_rdev): then
 * a dup'd descriptor counts as a file of its own, and a number the caller
 * closed and reopened on the same device is taken for the same file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
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
	bool has_client_id;	/* the fallback identities, always recorded */
	uint64_t client_id;
	dev_t rdev;
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

/* how files are told apart; probed at the first import */
enum file_identity {
	IDENT_UNPROBED,
	IDENT_KCMP,
	IDENT_FALLBACK,		/* drm-client-id, else number + st_rdev */
};
static enum file_identity identity;

/* the drm-client-id line of /proc/self/fdinfo/<fd> */
static bool fd_client_id(int fd, uint64_t *id)
{
	char path[64], text[4096], *line;
	ssize_t len;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	len = read_file_at(path, text, sizeof(text));
	if (len < 0 && len != -EFBIG)
		return false;
	for (line = text; line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (sscanf(line, "drm-client-id: %" SCNu64, id) == 1)
			return true;
	}
	return false;
}

static bool fd_rdev(int fd, dev_t *rdev)
{
	struct stat st;

	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode))
		return false;
	*rdev = st.st_rdev;
	return true;
}

static int kcmp_file(int a, int b)
{
	pid_t pid = getpid();

	return (int)syscall(SYS_kcmp, pid, pid, KCMP_FILE, a, b);
}

/* once: kcmp of a descriptor with itself must answer 0 */
static void identity_probe(struct cmabuf_ctx *ctx, int fd)
{
	uint64_t id;
	int e;

	if (identity != IDENT_UNPROBED)
		return;
	if (kcmp_file(fd, fd) == 0) {
		identity = IDENT_KCMP;
		return;
	}
	e = errno;
	if (e == EBADF)
		return;		/* a bad fd says nothing about kcmp */
	identity = IDENT_FALLBACK;
	if (fd_client_id(fd, &id))
		info(ctx, "kcmp is denied (%s): DRM files known by their "
		     "drm-client-id\n", strerror(e));
	else
		info(ctx, "kcmp is denied (%s) and DRM fd %d has no "
		     "drm-client-id: DRM files known by descriptor number and "
		     "device; a dup'd descriptor counts on its own\n",
		     strerror(e), fd);
}

static bool handle_inode(int drm_fd, uint32_t handle, ino_t *ino)
{
	struct stat st;
	int fd = -1;
	bool ok;

	if (drmPrimeHandleToFD(drm_fd, handle, DRM_CLOEXEC, &fd) != 0)
		return false;
	ok = fstat(fd, &st) == 0;
	close(fd);
	*ino = st.st_ino;
	return ok;
}

/*
 * By number and device, a number the caller closed and reopened on the
 * same device would pass for the old file: one of f's handles must also
 * name the same dma-buf through fd (a new file does not have it).
 */
static bool handles_agree(const struct drm_file_ref *f, int fd)
{
	ino_t ours, theirs;
	size_t i;

	for (i = 0; i < handles_len; i++) {
		if (handles[i].file != f)
			continue;
		if (!handle_inode(f->own_fd, handles[i].handle, &ours))
			return true;	/* cannot tell: keep the counts */
		return handle_inode(fd, handles[i].handle, &theirs) &&
		       theirs == ours;
	}
	return true;
}

/* fd is a descriptor of f's file */
static bool same_file(const struct drm_file_ref *f, int fd)
{
	uint64_t id;
	dev_t rdev;
	int r;

	if (identity == IDENT_KCMP) {
		r = kcmp_file(fd, f->own_fd);
		if (r >= 0)
			return r == 0;
		/* a closed number is "not that file"; anything else: denied */
		if (errno == EBADF)
			return false;
		identity = IDENT_FALLBACK;
	}
	if (f->has_client_id)
		return fd_client_id(fd, &id) && id == f->client_id;
	return fd == f->caller_fd && fd_rdev(fd, &rdev) && rdev == f->rdev &&
	       handles_agree(f, fd);
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
		if (same_file(f, fd))
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

	while (i < files_len) {
		struct drm_file_ref *f = files[i];
		int fd = -1;

		if (same_file(f, f->caller_fd)) {
			i++;
			continue;
		}
		/* by number and device, no other descriptor can be found */
		if (identity == IDENT_KCMP || f->has_client_id)
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
		if (same_file(files[i], drm_fd)) {
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
	f->has_client_id = fd_client_id(drm_fd, &f->client_id);
	if (!fd_rdev(drm_fd, &f->rdev))
		f->rdev = 0;
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

	identity_probe(buf->ctx, drm_fd);
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
