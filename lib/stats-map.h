/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The CMA area map: what every page frame of a CMA area holds, and the
 * forecast of the next cma_alloc() built on it. The pure parts (the
 * bitmap text, the page classes, the runs, the first-fit search) are
 * functions over buffers with no I/O, so that host tests and the fuzzer
 * (fuzz/fuzz-cma-map.c) can feed them anything.
 */
#ifndef STATS_MAP_H
#define STATS_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmabuf.h"

/* include/uapi/linux/kernel-page-flags.h (stable since 2.6.32) */
#define KPF_LOCKED 0
#define KPF_LRU 5
#define KPF_SLAB 7
#define KPF_BUDDY 10
#define KPF_MMAP 11
#define KPF_ANON 12
#define KPF_SWAPCACHE 13
#define KPF_SWAPBACKED 14
#define KPF_COMPOUND_TAIL 16
#define KPF_HUGE 17
#define KPF_UNEVICTABLE 18
#define KPF_HWPOISON 19
#define KPF_NOPAGE 20
#define KPF_KSM 21
#define KPF_THP 22
#define KPF_OFFLINE 23
#define KPF_PGTABLE 26
#define KPF_RESERVED 32

/* the largest area a map reads: 2^28 pages (1 TiB of 4 KiB pages) */
#define MAP_MAX_PAGES (UINT64_C(1) << 28)
/*
 * The largest buddy order of the kernels we read: MAX_ORDER - 1 = 10 on
 * 4K pages up to 6.3 (MAX_PAGE_ORDER = 10 from 6.4 on); arm64 16K pages
 * allow 11 (ARCH_FORCE_MAX_ORDER). A bound for the tail-page rule only.
 */
#define MAP_MAX_BUDDY_ORDER 11

#define MAP_NCLASSES 4

/*
 * Parse a debugfs u32 array (cma/<area>/bitmap, ranges/N/bitmap):
 * decimal words separated by single spaces, an optional final newline.
 * At most maxwords words are stored; *nwords gets the count. Returns 0,
 * -EINVAL (anything else: sign, hex, garbage, a word > UINT32_MAX, empty)
 * or -E2BIG (more than maxwords words).
 */
int parse_cma_bitmap(const char *buf, size_t len, uint32_t *words,
		     size_t maxwords, size_t *nwords);

/*
 * The class of one page frame from its kpageflags word, the bitmap aside:
 * CMABUF_PAGE_FREE (KPF_BUDDY, or no flag at all: see stats-map.c),
 * CMABUF_PAGE_MOVABLE or CMABUF_PAGE_OTHER.
 */
enum cmabuf_page_class kpf_class(uint64_t flags);

/*
 * Classify n pages from first_pfn: bit i of the bitmap words (nwords of
 * them) covers pages [i << opb, (i + 1) << opb) and makes them ALLOCATED;
 * the others take kpf_class() of kpf[page] (n words). A page whose bit
 * lies past the words is OTHER (the bitmap did not cover it).
 * cls receives n bytes.
 */
void map_classify(const uint64_t *kpf, size_t n, const uint32_t *words,
		  size_t nwords, unsigned int opb, uint8_t *cls);

/*
 * Pages inside free buddy blocks among n pages from first_pfn (the rule
 * and its error bound: stats-map-parse.c).
 */
uint64_t map_buddy_pages(const uint64_t *kpf, size_t n, uint64_t first_pfn);

/* run-length encode n classes from first_pfn; returns the run count,
 * storing at most max runs (runs may be NULL to count) */
size_t map_runs(const uint8_t *cls, size_t n, uint64_t first_pfn,
		struct cmabuf_map_run *runs, size_t max);

/* one range of an area: classes of its pages from base_pfn */
struct map_range {
	uint64_t base_pfn;
	uint64_t pages;
	unsigned int opb;	/* order_per_bit */
	const uint8_t *cls;
};

/* which pages an allocation may take */
enum map_level {
	MAP_FREE,		/* free pages only: no migration */
	MAP_MOVABLE,		/* free or movable: with migration */
	MAP_UNALLOCATED,	/* any page clear in the bitmap */
};

/*
 * The longest allocation of the CMA heap (alignment
 * min(order(pages), align_max)) that fits in runs of pages the level
 * allows, in pages.
 */
uint64_t map_largest_alloc(const struct map_range *r, size_t nr,
			   unsigned int align_max, enum map_level level);

/* the longest run of pages the level allows, any alignment */
uint64_t map_largest_run(const struct map_range *r, size_t nr,
			 enum map_level level);

/* the order of the CMA heap's alignment for pages pages */
unsigned int heap_align_order(uint64_t pages, unsigned int align_max);

/*
 * cma_alloc() of pages pages at alignment order align, simulated over
 * the ranges in order (mm/cma.c, see stats-forecast.c). Fills every field
 * of fc but the area name and the largest_* ones. 0 or -ENOMEM.
 */
int map_forecast(const struct map_range *r, size_t nr, uint64_t pages,
		 unsigned int align, struct cmabuf_forecast *fc);

/* ---- the map object (stats-map.c), read by stats-forecast.c ---- */

/*
 * CONFIG_CMA_ALIGNMENT: Kconfig's default, kept by Debian, Raspberry Pi
 * OS and the test kernels; the running value is not exported (no
 * /proc/config.gz in most kernels), so the map states the one it used.
 */
#define MAP_CMA_ALIGNMENT 8

struct map_area {
	char name[64];
	unsigned int opb;
	uint64_t pages;
	struct map_range *ranges;
	size_t nranges;
	uint8_t *cls;			/* pages bytes, all ranges */
	uint64_t count[MAP_NCLASSES];
	uint64_t buddy;
	struct cmabuf_map_run *runs;
	size_t nruns;
};

struct cmabuf_area_map {
	int refcount;
	uint64_t page_size;
	unsigned int align_max;
	struct map_area *areas;
	size_t n;
};

#endif /* STATS_MAP_H */
