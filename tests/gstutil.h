/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * GStreamer for the real-kernel suites and the benchmark. The guests run
 * GStreamer from the host root; a private plugin directory holding
 * symlinks to the few plugins a suite needs (plus the cmabuf plugin of
 * this build) and a registry in /tmp keep the registry scan short under
 * emulation. No gst-launch: the arm64 guests have only the libraries.
 */
#ifndef GSTUTIL_H
#define GSTUTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <gst/gst.h>

/*
 * Point GStreamer at a private plugin directory with the plugins named
 * (basenames of GST_SYSTEM_PLUGINDIR's libgst<name>.so, NULL-ended) and
 * this build's libgstcmabuf.so, then gst_init(). Call before any thread.
 */
void gu_setup(const char *const *plugins);

/* gst_parse_launch() of a printf-formatted description, or abort */
GstElement *gu_parse(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

struct gu_result {
	bool eos;		/* EOS reached */
	bool timed_out;		/* neither EOS nor an error in time */
	bool state_failed;	/* set_state(PLAYING) returned FAILURE */
	char *errors;		/* every ERROR: "element: message (debug)\n" */
	char *warnings;		/* every WARNING, same form */
};

/*
 * Set PLAYING and wait up to timeout_s seconds for EOS or an ERROR; the
 * pipeline stays in PLAYING (or wherever it got) so that the caller can
 * read properties; gu_stop() sets NULL and frees it.
 */
void gu_play(GstElement *pipe, int timeout_s, struct gu_result *res);
void gu_stop(GstElement *pipe, struct gu_result *res);

/*
 * FNV-1a over the visible bytes of every plane of a raw video frame of
 * caps, whatever its strides (read through gst_video_frame_map(), so a
 * GstVideoMeta's layout counts); 0 when the frame cannot be mapped.
 */
uint64_t gu_frame_checksum(GstBuffer *buf, GstCaps *caps);

/* exp_name of a dma-buf fd of this process (fdinfo), "" when none */
const char *gu_exp_name(int fd, char *buf, size_t size);
/* inode of a fd */
uint64_t gu_inode(int fd);

/*
 * The dma-buf behind the framebuffer the first active CRTC of drm_fd
 * scans out (GETFB2 + PRIME export; needs CAP_SYS_ADMIN or master):
 * a new fd the caller closes, or -1.
 */
int gu_scanout_dmabuf(int drm_fd);

/* open dma-bufs of this process exported by `exporter` */
int gu_count_dmabufs(const char *exporter);

/* list the open descriptors on stderr (debugging) */
void gu_dump_fds(const char *when);

/* CPU time (user + system) of this process, in nanoseconds */
uint64_t gu_cpu_ns(void);

#endif
