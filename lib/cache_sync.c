// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * CPU access bracketing (DMA_BUF_IOCTL_SYNC) and sync_file fences.
 *
 * begin waits interruptibly on the buffer's fences, so the kernel may
 * answer EINTR or EAGAIN; the ioctl must then be restarted with the same
 * arguments (Documentation/driver-api/dma-buf.rst).
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

/* the restart loop of ioctl_restart(), inlined: this is the hot path */
static inline int do_sync(struct cmabuf *buf, uint64_t kflags)
{
	struct dma_buf_sync sync = { .flags = kflags };
	int ret;

	do {
		ret = ioctl(buf->fd, DMA_BUF_IOCTL_SYNC, &sync);
	} while (ret < 0 && (errno == EINTR || errno == EAGAIN));
	return ret < 0 ? -errno : 0;
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
 * The open bracket is one word: begin/end sit on the per-frame path, where
 * a mutex cost 20% and a compare-and-swap 11% over the raw ioctl pair
 * (bench/cmabuf-bench.c, under emulation). One buffer's bracket belongs to
 * one thread at a time (cmabuf_sync_begin(3)); within that rule plain
 * relaxed accesses see every misuse.
 */
CMABUF_EXPORT int cmabuf_sync_begin(struct cmabuf *buf, unsigned int flags)
{
	unsigned int open_flags = 0;
	int ret;

	if (!buf)
		return -EINVAL;
	if (!sync_flags_valid(flags)) {
		log_bug_client(buf->ctx, "bad sync flags %#x\n", flags);
		return -EINVAL;
	}
	open_flags = __atomic_load_n(&buf->sync_flags, __ATOMIC_RELAXED);
	if (open_flags != 0) {
		log_bug_client(buf->ctx, "sync begin inside an open begin "
			       "(flags %#x)\n", open_flags);
		return -EINVAL;
	}
	__atomic_store_n(&buf->sync_flags, flags, __ATOMIC_RELAXED);
	/* the kernel may wait for fences here: no lock is held */
	ret = do_sync(buf, DMA_BUF_SYNC_START | to_kernel_flags(flags));
	if (ret < 0) {
		err(buf->ctx, "DMA_BUF_IOCTL_SYNC start on fd %d: %s\n",
		    buf->fd, strerror(-ret));
		__atomic_store_n(&buf->sync_flags, 0, __ATOMIC_RELAXED);
	}
	return ret;
}

CMABUF_EXPORT int cmabuf_sync_end(struct cmabuf *buf, unsigned int flags)
{
	unsigned int open_flags;
	int ret;

	if (!buf)
		return -EINVAL;
	if (!sync_flags_valid(flags)) {
		log_bug_client(buf->ctx, "bad sync flags %#x\n", flags);
		return -EINVAL;
	}
	open_flags = __atomic_load_n(&buf->sync_flags, __ATOMIC_RELAXED);
	if (open_flags != flags) {
		if (open_flags == 0)
			log_bug_client(buf->ctx, "sync end without begin\n");
		else
			log_bug_client(buf->ctx, "sync end flags %#x do not "
				       "match begin flags %#x\n", flags,
				       open_flags);
		return -EINVAL;
	}
	__atomic_store_n(&buf->sync_flags, 0, __ATOMIC_RELAXED);
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
