/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Parsers of the kernel's statistics files. Each one is a pure function
 * over a buffer (no I/O, no allocation beyond what it returns), so that
 * host tests and fuzzers can feed it anything: a truncated or garbled
 * file leaves the field absent and never crashes.
 */
#ifndef STATS_PRIVATE_H
#define STATS_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libcmabuf-private.h"

/*
 * One decimal value, as in sysfs and debugfs files: digits, an optional
 * newline, nothing else. Returns 0, or -EINVAL for anything else
 * (empty, sign, garbage, overflow).
 */
int parse_u64_value(const char *buf, size_t len, uint64_t *val);

/*
 * Keyed lines, as in /proc/meminfo ("CmaTotal:   131072 kB") and
 * /proc/vmstat ("nr_free_cma 32768"): for each line whose key equals
 * keys[i], store its value in vals[i] and set bit i of *present. A line
 * must end with a newline (a truncated last line is dropped), its value
 * must be decimal, optionally followed by " kB". At most 64 keys.
 */
void parse_keyed_lines(const char *buf, size_t len, const char *const *keys,
		       size_t nkeys, uint64_t *vals, uint64_t *present);

/* the dma-buf part of /proc/<pid>/fdinfo/<fd> */
/*
 * How many keys of the public enums this library knows: private, so that
 * appending a key changes no public value. stats.c checks its tables.
 */
#define STATS_NKEYS ((unsigned int)CMABUF_STAT_PROCS_DENIED + 1)
#define STATS_AREA_NKEYS ((unsigned int)CMABUF_AREA_SPACE_LARGEST_FREE + 1)

struct fdinfo_dmabuf {
	uint64_t ino;		/* "ino:" (5.14+), 0 if absent */
	uint64_t size;		/* "size:" bytes */
	uint64_t count;		/* "count:" file references */
	char exp_name[64];	/* "exp_name:" exporter (heap name) */
	char name[64];		/* "name:" to the end of the file, "" if none */
	bool has_ino;
	bool has_count;
};

/*
 * Returns 1 when the fdinfo text describes a dma-buf (it has "size:" and
 * "exp_name:" lines), 0 when it does not (another kind of file, or a
 * text too damaged to tell). The name (DMA_BUF_SET_NAME: any bytes but
 * NUL) comes last and runs to the end of the text, newlines included;
 * only lines before it count, the first of each key.
 */
int parse_fdinfo_dmabuf(const char *buf, size_t len,
			struct fdinfo_dmabuf *out);

/* one file mapping of /proc/<pid>/maps: "start-end perms offset dev ino path" */
struct maps_entry {
	uint64_t start, end;
	uint32_t major, minor;	/* the device of the file's filesystem */
	uint64_t ino;
	char name[64];		/* after a "/dmabuf:" path, else "" */
};

/*
 * Parse the maps line starting at buf (up to len bytes or the first
 * newline). Returns the number of bytes consumed including the newline
 * (0 at the end of the buffer) and sets *is_file when the line maps a file
 * (a device and a non-zero inode), in which case *out is filled. Whether
 * that file is a dma-buf is the caller's to decide, by the device
 * (stats-dmabuf-dev.c): the path is text a process can forge. A line
 * without a newline at the end of the buffer is consumed and ignored
 * (truncated).
 */
size_t parse_maps_line(const char *buf, size_t len, bool *is_file,
		       struct maps_entry *out);

/*
 * One line of a captured tree's dev/dma_heap.list:
 * "name mode uid gid [major:minor]", '#' lines are comments. Returns 0
 * or -EINVAL.
 */
int parse_heap_list_line(const char *line, size_t len, char *name,
			 size_t namesz, uint32_t *mode, uint32_t *uid,
			 uint32_t *gid);

/* ---- snapshot internals (stats.c, stats-cma.c, stats-dmabuf.c) ---- */

struct stats_area {
	char name[64];
	uint64_t val[STATS_AREA_NKEYS];
	uint64_t present;	/* bit per enum cmabuf_area_stat */
};

struct stats_heap {
	char *name;
	char *path;
	char *area;		/* CMA area behind it, NULL if none */
	uint32_t mode, uid, gid;
	bool has_access;
};

struct stats_buffer {
	uint64_t ino;
	uint64_t size;
	char *exporter;		/* NULL if unknown */
	char *name;		/* NULL if unnamed */
	int *pids;
	size_t npids;
};

struct stats_process {
	int pid;
	char comm[32];
	size_t nbuffers;
	uint64_t bytes;
};

struct cmabuf_stats {
	int refcount;
	unsigned int what;
	uint64_t time_ns;
	uint64_t page_size;
	bool debugfs;		/* debugfs cma was readable */
	uint64_t raw[STATS_NKEYS];
	uint64_t present;	/* bit per enum cmabuf_stat */
	struct stats_area *areas;
	size_t nareas;
	struct stats_heap *heaps;
	size_t nheaps;
	struct stats_buffer *buffers;
	size_t nbuffers;
	struct stats_process *procs;
	size_t nprocs;
};

/* list and read every CMA area (sysfs and debugfs), sorted by name */
int cma_areas_read(struct cmabuf_ctx *ctx, struct stats_area **areas,
		   size_t *n, bool *debugfs);
/* fill the CMABUF_AREA_SPACE_* fields from the raw ones */
void cma_area_derive(struct stats_area *a);
/* index of the area serving heap_name, or -ENOENT */
int cma_area_for_heap(const struct stats_area *areas, size_t n,
		      const char *heap_name);
/*
 * Bytes per page of the tree ctx reads (stats-pagesize.c): sysconf() on
 * the live system; for a captured tree its "pagesize" file, else derived
 * from CmaTotal and the areas' page counts, else sysconf() with a log line.
 */
uint64_t stats_page_size(struct cmabuf_ctx *ctx);
/* the dma-buf filesystem's device (stats-dmabuf-dev.c) */
struct dmabuf_dev {
	uint32_t major, minor;
};
/*
 * Learn it from a dma-buf this process holds or makes (never CMA), or a
 * captured tree's dmabuf-dev file: 0, or -ENOENT with a log line when
 * there is none, and then no maps line can be trusted.
 */
int dmabuf_dev_learn(struct cmabuf_ctx *ctx, struct dmabuf_dev *dev);
/* scan /proc for dma-bufs (CMABUF_STATS_BUFFERS) */
int dmabuf_scan(struct cmabuf_ctx *ctx, struct cmabuf_stats *st);

#endif /* STATS_PRIVATE_H */
