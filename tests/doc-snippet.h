/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The prelude of every C fragment of README.md and docs/ (*.md), compiled by
 * tests/test-doc-snippets.sh (docs/testing.md has the rule). A fragment
 * is a function body: the headers a program of this library usually
 * includes are here, and the two placeholders the examples use for the
 * application's own work.
 */
#ifndef CMABUF_DOC_SNIPPET_H
#define CMABUF_DOC_SNIPPET_H
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/videodev2.h>
#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>
#include <cmabuf.h>

/* the application's work on a mapped frame and on a buffer's fd */
void fill_frame(void *pixels);
void hand_to_device(int dmabuf_fd);
#endif
