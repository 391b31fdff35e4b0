/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the Check suites. */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <check.h>
#include <sys/ioctl.h>
#include <linux/types.h>

#include "sw-sync.h"

#include "cmabuf.h"

#define EXIT_SKIP 77

/* a context whose log lines (all priorities) go to a buffer */
struct cmabuf_ctx *tu_ctx_new(void);
/* everything logged through contexts of tu_ctx_new() since the last reset */
const char *tu_log(void);
void tu_log_reset(void);
bool tu_log_contains(const char *needle);

/* number of open descriptors of this process */
int tu_fd_count(void);
/* a counter from /proc/vmstat; false when absent */
bool tu_vmstat(const char *key, uint64_t *val);
/* a value (kB) from /proc/meminfo; false when absent */
bool tu_meminfo(const char *key, uint64_t *val);

/* a temporary directory holding empty files named by the NULL-ended list */
char *tu_make_tree(const char *const *files);
void tu_remove_tree(char *dir);

/*
 * Real-kernel suites: NULL when this kernel has /dev/dma_heap with a CMA
 * heap, else what is missing.
 */
const char *tu_missing_cma(void);
/*
 * The exit status of a suite that cannot run, after printing why: a
 * failure inside the test VM (CMABUF_VM set), whose kernel is built to
 * have everything, and a skip (77) anywhere else.
 */
int tu_cannot_run(const char *why);
/* the CMA heap name this kernel uses, from the VM or by probing */
const char *tu_cma_heap_name(void);
/*
 * The CMA area (the /sys/kernel/mm/cma and debugfs cma name) behind
 * tu_cma_heap_name(): the heap's own name up to 6.16; from 6.17 the heap
 * is default_cma_region while the area keeps the name it was made with,
 * "reserved" (cma=) or the device-tree node ("linux,cma").
 */
const char *tu_cma_area_name(void);
/* the running kernel's page size: the unit of every CMA page counter */
size_t tu_page_size(void);
/* size rounded up to the running kernel's pages */
size_t tu_page_round(size_t size);

/*
 * The fixture most suites share: *fds takes the descriptor count, *ctx a
 * context logging to tu_log(), *heap the kernel's CMA heap, or, when tree
 * is not NULL, the node "reserved" of a fresh fixture tree used as the
 * sysroot. tu_fixture_close() releases them all (NULLing the pointers)
 * and asserts the descriptor count is back to *fds.
 */
void tu_fixture_open(struct cmabuf_ctx **ctx, struct cmabuf_heap **heap,
		     char **tree, int *fds);
void tu_fixture_close(struct cmabuf_ctx **ctx, struct cmabuf_heap **heap,
		      char **tree, int fds);

/*
 * A sw_sync timeline (debugfs, CONFIG_SW_SYNC), a sync_file fence that
 * signals when the timeline reaches value, and advancing the timeline.
 */
int tu_sw_sync_timeline(void);
int tu_sw_sync_fence(int timeline, unsigned int value);
void tu_sw_sync_inc(int timeline, unsigned int by);

/* tests/devices.h's nodes, or the test fails */
int tu_open_video(const char *driver, uint32_t caps);
int tu_open_drm(const char *driver, bool render);
/* "no <driver> DRM device" when there is none, else NULL */
const char *tu_missing_drm(const char *driver);

/* run a suite with CK_NORMAL output; returns the exit status */
int tu_run(Suite *s);

#endif
