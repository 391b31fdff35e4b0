// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The kernel's own first-fit search replayed on the classes of an area
 * map, and the largest allocations that fit: pure functions (no I/O),
 * fuzzed by fuzz/fuzz-cma-map.c. The public calls are stats-forecast.c.
 *
 * The CMA heap (drivers/dma-buf/heaps/cma_heap.c, the same in 6.1, 6.12
 * and 7.2) asks cma_alloc() for size / PAGE_SIZE pages at alignment
 * order min(get_order(size), CONFIG_CMA_ALIGNMENT). cma_alloc() (mm/cma.c)
 * turns the order into a bitmap mask ((1 << (align - order_per_bit)) - 1,
 * 0 when align <= order_per_bit) and an offset (base_pfn's misalignment),
 * then loops: bitmap_find_next_zero_area_off() from start (0 at first)
 * gives the first clear run of the request's bits whose index + offset is
 * a multiple of mask + 1; alloc_contig_range() migrates the movable pages
 * of [pfn, pfn + count); on -EBUSY (a page that cannot be isolated or
 * migrated) it clears the bits and retries from start = bitmap_no + mask
 * + 1, until no run fits. From 6.15 an area has ranges (ranges/N in
 * debugfs) and __cma_alloc() runs that loop on each range in order while
 * the answer is -EBUSY (7.2: cma_range_alloc(), which also stops at once
 * when the request exceeds the area's available pages: no range of the
 * bitmap could fit it either). 6.1 and 6.12 have one range.
 *
 * The replay counts a range as blocked when it holds a page of class
 * OTHER, and its pages to migrate are its MOVABLE pages. What it cannot
 * see: pinned pages look movable (kpageflags has no pin count) and make
 * the kernel retry further on; non-LRU movable pages (zsmalloc, balloon)
 * look like OTHER.
 */
#include <errno.h>
#include <stdlib.h>

#include "stats-map.h"

unsigned int heap_align_order(uint64_t pages, unsigned int align_max)
{
	unsigned int order = 0;

	/* get_order(): the smallest order with 2^order pages >= pages */
	while (order < 63 && (UINT64_C(1) << order) < pages)
		order++;
	return order < align_max ? order : align_max;
}

/* the first start pfn >= pfn that cma_alloc() may use at order align */
static uint64_t first_start(const struct map_range *r, uint64_t pfn,
			    unsigned int align)
{
	uint64_t gran = UINT64_C(1) << r->opb, idx, mask = 0, off;

	idx = (pfn - r->base_pfn + gran - 1) >> r->opb;
	if (align > r->opb)
		mask = (UINT64_C(1) << (align - r->opb)) - 1;
	off = (r->base_pfn & ((UINT64_C(1) << align) - 1)) >> r->opb;
	idx = ((idx + off + mask) & ~mask) - off;
	return r->base_pfn + (idx << r->opb);
}

static bool usable(uint8_t c, enum map_level level)
{
	switch (level) {
	case MAP_FREE:
		return c == CMABUF_PAGE_FREE;
	case MAP_MOVABLE:
		return c == CMABUF_PAGE_FREE || c == CMABUF_PAGE_MOVABLE;
	case MAP_UNALLOCATED:
		break;
	}
	return c != CMABUF_PAGE_ALLOCATED;
}

/* the longest aligned stretch inside usable runs, at order align */
static uint64_t longest_at(const struct map_range *r, size_t nr,
			   unsigned int align, enum map_level level)
{
	uint64_t best = 0;
	size_t k;

	for (k = 0; k < nr; k++) {
		uint64_t i = 0;

		while (i < r[k].pages) {
			uint64_t j = i, s;

			if (!usable(r[k].cls[i], level)) {
				i++;
				continue;
			}
			while (j < r[k].pages && usable(r[k].cls[j], level))
				j++;
			s = first_start(&r[k], r[k].base_pfn + i, align);
			if (s < r[k].base_pfn + j &&
			    r[k].base_pfn + j - s > best)
				best = r[k].base_pfn + j - s;
			i = j;
		}
	}
	return best;
}

uint64_t map_largest_alloc(const struct map_range *r, size_t nr,
			   unsigned int align_max, enum map_level level)
{
	int a;

	/*
	 * A request of n pages uses order min(order(n), align_max): n in
	 * (2^(a-1), 2^a] at a < align_max, any n > 2^(align_max-1) at
	 * align_max. These ranges grow with a, so the first order (from
	 * the top) where some n fits gives the largest allocation.
	 */
	for (a = (int)align_max; a >= 0; a--) {
		uint64_t l = longest_at(r, nr, (unsigned int)a, level);
		uint64_t lo = a > 0 ? UINT64_C(1) << (a - 1) : 0;

		if (a < (int)align_max && l > (UINT64_C(1) << a))
			l = UINT64_C(1) << a;
		if (l > lo)
			return l;
	}
	return 0;
}

uint64_t map_largest_run(const struct map_range *r, size_t nr,
			 enum map_level level)
{
	uint64_t best = 0;
	size_t k;

	for (k = 0; k < nr; k++) {
		uint64_t i, len = 0;

		for (i = 0; i < r[k].pages; i++) {
			len = usable(r[k].cls[i], level) ? len + 1 : 0;
			if (len > best)
				best = len;
		}
	}
	return best;
}

static bool bit_allocated(const struct map_range *r, uint64_t bit)
{
	return r->cls[bit << r->opb] == CMABUF_PAGE_ALLOCATED;
}

/* lib/bitmap.c bitmap_find_next_zero_area_off(), over the classes */
static uint64_t find_zero_area(const struct map_range *r, uint64_t size,
			       uint64_t start, uint64_t nr, uint64_t mask,
			       uint64_t off)
{
	uint64_t index, end, i;

	for (;;) {
		index = start;
		while (index < size && bit_allocated(r, index))
			index++;
		index = ((index + off + mask) & ~mask) - off;
		end = index + nr;
		if (end > size)
			return end;
		for (i = index; i < end && !bit_allocated(r, i); i++)
			;
		if (i == end)
			return index;
		start = i + 1;
	}
}

/* running counts of OTHER and MOVABLE pages: O(1) per range tried */
struct prefix {
	uint32_t *other, *movable;
};

static int prefix_build(const struct map_range *r, struct prefix *p)
{
	uint64_t i;

	p->other = malloc((r->pages + 1) * sizeof(uint32_t));
	p->movable = malloc((r->pages + 1) * sizeof(uint32_t));
	if (!p->other || !p->movable) {
		free(p->other);
		free(p->movable);
		return -ENOMEM;
	}
	p->other[0] = p->movable[0] = 0;
	for (i = 0; i < r->pages; i++) {
		p->other[i + 1] = p->other[i] +
				  (r->cls[i] == CMABUF_PAGE_OTHER);
		p->movable[i + 1] = p->movable[i] +
				    (r->cls[i] == CMABUF_PAGE_MOVABLE);
	}
	return 0;
}

/* one range: 1 taken, 0 nothing fits (the kernel's -EBUSY/-ENOMEM) */
static int forecast_range(const struct map_range *r, const struct prefix *p,
			  uint64_t pages, unsigned int align,
			  struct cmabuf_forecast *fc)
{
	uint64_t mask = 0, off, maxno, nbits, start = 0, no;

	if (align > r->opb)
		mask = (UINT64_C(1) << (align - r->opb)) - 1;
	off = (r->base_pfn & ((UINT64_C(1) << align) - 1)) >> r->opb;
	maxno = r->pages >> r->opb;
	nbits = (pages + (UINT64_C(1) << r->opb) - 1) >> r->opb;
	if (nbits > maxno)
		return 0;
	for (;;) {
		uint64_t first, end, other;

		no = find_zero_area(r, maxno, start, nbits, mask, off);
		if (no >= maxno)
			return 0;
		first = no << r->opb;
		end = first + pages;
		fc->tries++;
		if (fc->tries == 2)
			fc->retry_pfn = r->base_pfn + first;
		other = p->other[end] - p->other[first];
		if (other == 0) {
			fc->first_pfn = r->base_pfn + first;
			fc->pages_to_migrate = p->movable[end] -
					       p->movable[first];
			return 1;
		}
		if (fc->tries == 1) {
			fc->pages_blocking = other;
			fc->blocked_pfn = r->base_pfn + first;
		}
		start = no + mask + 1;
	}
}

int map_forecast(const struct map_range *r, size_t nr, uint64_t pages,
		 unsigned int align, struct cmabuf_forecast *fc)
{
	size_t k;

	fc->pages = pages;
	fc->align_order = align;
	fc->would_succeed = 0;
	for (k = 0; k < nr; k++) {
		struct prefix p;
		int ret;

		if (prefix_build(&r[k], &p) < 0)
			return -ENOMEM;
		ret = forecast_range(&r[k], &p, pages, align, fc);
		free(p.other);
		free(p.movable);
		if (ret == 1) {
			fc->would_succeed = 1;
			break;
		}
	}
	return 0;
}
