// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * CPU access bracketing (DMA_BUF_IOCTL_SYNC) and sync_file fences.
 *
 * begin waits interruptibly on the buffer's fences, so the kernel may
 * answer EINTR or EAGAIN; the ioctl must then be restarted with the same
 * arguments (Documentation/driver-api/dma-buf.rst): ioctl_restart(),
 * whose EAGAIN retries are bounded.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>

#include <linux/dma-buf.h>

#include "libcmabuf-private.h"

static bool sync_flags_valid(unsigned int flags)
{
	return (flags & ~CMABUF_SYNC_RW) == 0 && (flags & CMABUF_SYNC_RW);
}

static inline int do_sync(struct cmabuf *buf, uint64_t kflags)
{
	struct dma_buf_sync sync = { .flags = kflags };

	return ioctl_restart(buf->fd, DMA_BUF_IOCTL_SYNC, &sync);
}

static uint64_t to_kernel_flags(unsigned int flags)
{
	uint64_t k = 0;

	if (flags & CMABUF_SYNC_READ)
		k |= DMA_BUF_SYNC_READ;
	if (flags & CMABUF_SYNC_WRITE)
		k |= DMA_BUF_SYNC_WRITE;
	return k;
}

/*
 * Open brackets are counted per flags value (READ, WRITE, RW) in one
 * atomic word, SYNC_BITS bits each, so that several threads may read (or
 * write) one buffer at once, as the kernel allows: DMA_BUF_IOCTL_SYNC
 * keeps no state per caller, each START and END does its cache
 * maintenance. Every begin that returned 0 needs one end with the same
 * flags, and every end the bookkeeping accepts issues its SYNC_END.
 * A compare-and-swap loop updates the word, so a racing begin and end can
 * neither lose a count nor refuse a valid end (the hot path: one
 * uncontended lock cmpxchg per call; see bench/cmabuf-bench.c).
 */
#define SYNC_BITS 10
#define SYNC_MAX ((1u << SYNC_BITS) - 1)

static unsigned int sync_shift(unsigned int flags)
{
	return (flags - 1) * SYNC_BITS;	/* READ 0, WRITE 10, RW 20 */
}

static unsigned int sync_count(unsigned int word, unsigned int flags)
{
	return (word >> sync_shift(flags)) & SYNC_MAX;
}

/* count one more open bracket of flags; false when the count is full */
static bool bracket_open(struct cmabuf *buf, unsigned int flags)
{
	unsigned int old = __atomic_load_n(&buf->sync_open, __ATOMIC_RELAXED);

	do {
		if (sync_count(old, flags) == SYNC_MAX)
			return false;
	} while (!__atomic_compare_exchange_n(&buf->sync_open, &old,
					      old + (1u << sync_shift(flags)),
					      true, __ATOMIC_ACQUIRE,
					      __ATOMIC_RELAXED));
	return true;
}

/* close one open bracket of flags; the word before, or ~0u if none */
static unsigned int bracket_close(struct cmabuf *buf, unsigned int flags)
{
	unsigned int old = __atomic_load_n(&buf->sync_open, __ATOMIC_RELAXED);

	do {
		if (sync_count(old, flags) == 0)
			return old ? old : ~0u;
	} while (!__atomic_compare_exchange_n(&buf->sync_open, &old,
					      old - (1u << sync_shift(flags)),
					      true, __ATOMIC_RELEASE,
					      __ATOMIC_RELAXED));
	return old;
}

CMABUF_EXPORT int cmabuf_sync_begin(struct cmabuf *buf, unsigned int flags)
{
	int ret;

	if (!buf)
		return -EINVAL;
	if (!sync_flags_valid(flags)) {
		log_bug_client(buf->ctx, "bad sync flags %#x\n", flags);
		return -EINVAL;
	}
	if (!bracket_open(buf, flags)) {
		log_bug_client(buf->ctx, "%u CPU access brackets with flags "
			       "%#x open on fd %d: ends are missing\n",
			       SYNC_MAX, flags, buf->fd);
		return -EINVAL;
	}
	/* the kernel may wait for fences here: no lock is held */
	ret = do_sync(buf, DMA_BUF_SYNC_START | to_kernel_flags(flags));
	if (ret < 0) {
		err(buf->ctx, "DMA_BUF_IOCTL_SYNC start on fd %d: %s\n",
		    buf->fd, strerror(-ret));
		bracket_close(buf, flags);
	}
	return ret;
}

CMABUF_EXPORT int cmabuf_sync_end(struct cmabuf *buf, unsigned int flags)
{
	unsigned int old;
	int ret;

	if (!buf)
		return -EINVAL;
	if (!sync_flags_valid(flags)) {
		log_bug_client(buf->ctx, "bad sync flags %#x\n", flags);
		return -EINVAL;
	}
	old = bracket_close(buf, flags);
	if (old == ~0u) {
		log_bug_client(buf->ctx, "sync end without begin\n");
		return -EINVAL;
	}
	if (sync_count(old, flags) == 0) {
		log_bug_client(buf->ctx, "sync end flags %#x do not match an "
			       "open begin (open: read %u, write %u, rw %u)\n",
			       flags, sync_count(old, CMABUF_SYNC_READ),
			       sync_count(old, CMABUF_SYNC_WRITE),
			       sync_count(old, CMABUF_SYNC_RW));
		return -EINVAL;
	}
	ret = do_sync(buf, DMA_BUF_SYNC_END | to_kernel_flags(flags));
	if (ret < 0)
		err(buf->ctx, "DMA_BUF_IOCTL_SYNC end on fd %d: %s\n",
		    buf->fd, strerror(-ret));
	return ret;
}

static int sync_file_errno(int ret)
{
	/* before 6.0 or without CONFIG_SYNC_FILE the ioctl is unknown */
	return ret == -ENOTTY ? -EOPNOTSUPP : ret;
}

CMABUF_EXPORT int cmabuf_export_sync_file(struct cmabuf *buf,
					  unsigned int flags, int *sync_fd)
{
	struct dma_buf_export_sync_file arg = { 0 };
	int ret;

	if (!buf)
		return -EINVAL;
	if (!sync_fd || !sync_flags_valid(flags)) {
		log_bug_client(buf->ctx, "bad export_sync_file arguments\n");
		return -EINVAL;
	}
	arg.flags = (uint32_t)to_kernel_flags(flags);
	arg.fd = -1;
	/* the kernel creates the sync_file fd with O_CLOEXEC */
	ret = ioctl_restart(buf->fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &arg);
	if (ret < 0) {
		ret = sync_file_errno(ret);
		err(buf->ctx, "DMA_BUF_IOCTL_EXPORT_SYNC_FILE on fd %d: %s\n",
		    buf->fd, strerror(-ret));
		return ret;
	}
	*sync_fd = arg.fd;
	return 0;
}

CMABUF_EXPORT int cmabuf_import_sync_file(struct cmabuf *buf,
					  unsigned int flags, int sync_fd)
{
	struct dma_buf_import_sync_file arg = { 0 };
	int ret;

	if (!buf)
		return -EINVAL;
	if (!sync_flags_valid(flags)) {
		log_bug_client(buf->ctx, "bad import_sync_file flags %#x\n",
			       flags);
		return -EINVAL;
	}
	if (sync_fd < 0 || fcntl(sync_fd, F_GETFD) < 0) {
		log_bug_client(buf->ctx, "import of invalid sync_file fd %d\n",
			       sync_fd);
		return -EBADF;
	}
	arg.flags = (uint32_t)to_kernel_flags(flags);
	arg.fd = sync_fd;
	ret = ioctl_restart(buf->fd, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &arg);
	if (ret < 0) {
		ret = sync_file_errno(ret);
		err(buf->ctx, "DMA_BUF_IOCTL_IMPORT_SYNC_FILE on fd %d: %s\n",
		    buf->fd, strerror(-ret));
	}
	return ret;
}
