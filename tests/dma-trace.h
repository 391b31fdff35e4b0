/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel's DMA API trace events (include/trace/events/dma.h, Linux
 * 6.12+), collected through libtracefs in a tracefs instance of our own,
 * with every field read by name from the kernel's format files.
 */
#ifndef DMA_TRACE_H
#define DMA_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * enum dma_data_direction (include/linux/dma-direction.h, unchanged since
 * 2.6): the values of the events' "dir" field.
 */
enum dt_dir {
	DT_BIDIRECTIONAL = 0,
	DT_TO_DEVICE = 1,
	DT_FROM_DEVICE = 2,
	DT_NONE = 3,
};

enum dt_kind {
	DT_SYNC_FOR_CPU,	/* dma:dma_sync_sg_for_cpu */
	DT_SYNC_FOR_DEVICE,	/* dma:dma_sync_sg_for_device */
	DT_MAP_SG,		/* dma:dma_map_sg */
	DT_UNMAP_SG,		/* dma:dma_unmap_sg */
};

#define DT_MAX_SEGS 16

struct dt_event {
	enum dt_kind kind;
	char device[64];	/* dev_name() of the device */
	int dir;		/* enum dt_dir */
	unsigned long long ts;
	unsigned int nsegs;	/* entries of addr/len kept (at most DT_MAX_SEGS) */
	unsigned int all_segs;	/* entries the event had */
	uint64_t addr[DT_MAX_SEGS];	/* dma_addrs (map/sync), phys (unmap) */
	uint32_t len[DT_MAX_SEGS];	/* lengths; 0 for unmap (not traced) */
	uint64_t bytes;		/* sum of all lengths */
};

struct dt_session;

/*
 * NULL when this kernel has no dma:dma_sync_sg_for_cpu event (before
 * 6.12) or tracefs is not mounted; *why says which.
 */
struct dt_session *dt_open(const char **why);
/* the instance is removed, the top-level tracing state never touched */
void dt_close(struct dt_session *s);
/* the instance's directory name under tracefs instances/ */
const char *dt_instance_name(const struct dt_session *s);

/*
 * Drain what the instance holds (consuming read, ordered by timestamp)
 * into at most max events: those of the process that called dt_open()
 * (single-threaded callers: the events of their calls). Returns how
 * many were kept, or -errno.
 */
int dt_collect(struct dt_session *s, struct dt_event *ev, size_t max);
/* throw away what the instance holds */
void dt_drain(struct dt_session *s);

const char *dt_kind_name(enum dt_kind k);
const char *dt_dir_name(int dir);

#endif
