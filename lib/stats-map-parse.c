// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The pure half of the CMA area map: the debugfs bitmap text, the class
 * of a page frame from its kpageflags word, runs, and the buddy-block
 * rule. No I/O: host tests and fuzz/fuzz-cma-map.c call these directly.
 *
 * Classes (fs/proc/page.c stable_page_flags(), 6.1 to 7.2):
 * - ALLOCATED: the CMA bitmap's bit is set (cma_alloc() took it); the
 *   page flags do not matter then.
 * - FREE: KPF_BUDDY, or no flag at all. Only the first page of a free
 *   buddy block carries PageBuddy; 6.1, 6.12 (stable_page_flags()) and
 *   7.2 (snapshot_page()) add KPF_BUDDY to its tail pages through
 *   is_free_buddy_page() when their count is 0 (measured on 6.1: every
 *   free page of a captured area flagged), so a bare tail page is only
 *   seen when the block changes under the read; both count as free. A page on a per-cpu free list is bare too. In a CMA
 *   pageblock (MIGRATE_CMA takes only movable allocations) a bare page is
 *   free or in transit, and alloc_contig_range() drains the per-cpu lists
 *   (drain_all_pages()) without migrating anything, so for an allocation
 *   both are free.
 * - MOVABLE: on an LRU list or mapped by a process or anonymous, page
 *   cache, swap cache, KSM, a THP or hugetlb page: what
 *   alloc_contig_range() migrates.
 * - OTHER: anything else (slab, page tables, reserved, offline, poisoned,
 *   no page at all, a non-LRU compound page): the pages that make it
 *   answer -EBUSY.
 */
#include <errno.h>
#include <string.h>

#include "stats-map.h"

#define BIT(n) (UINT64_C(1) << (n))

int parse_cma_bitmap(const char *buf, size_t len, uint32_t *words,
		     size_t maxwords, size_t *nwords)
{
	size_t i = 0, n = 0;

	*nwords = 0;
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len == 0)
		return -EINVAL;
	while (i < len) {
		uint64_t v = 0;
		size_t start = i;

		while (i < len && buf[i] >= '0' && buf[i] <= '9') {
			v = v * 10 + (uint64_t)(buf[i] - '0');
			if (v > UINT32_MAX)
				return -EINVAL;
			i++;
		}
		if (i == start)
			return -EINVAL;		/* empty word, sign, garbage */
		if (n == maxwords)
			return -E2BIG;
		words[n++] = (uint32_t)v;
		if (i < len && (buf[i] != ' ' || i + 1 == len))
			return -EINVAL;		/* one space between words */
		i++;
	}
	*nwords = n;
	return 0;
}

enum cmabuf_page_class kpf_class(uint64_t f)
{
	const uint64_t other = BIT(KPF_SLAB) | BIT(KPF_PGTABLE) |
			       BIT(KPF_RESERVED) | BIT(KPF_OFFLINE) |
			       BIT(KPF_HWPOISON) | BIT(KPF_NOPAGE);
	const uint64_t movable = BIT(KPF_LRU) | BIT(KPF_MMAP) |
				 BIT(KPF_ANON) | BIT(KPF_SWAPCACHE) |
				 BIT(KPF_SWAPBACKED) | BIT(KPF_KSM) |
				 BIT(KPF_UNEVICTABLE) | BIT(KPF_THP) |
				 BIT(KPF_HUGE);

	if (f == 0 || (f & BIT(KPF_BUDDY)))
		return CMABUF_PAGE_FREE;
	if (f & other)
		return CMABUF_PAGE_OTHER;
	if (f & movable)
		return CMABUF_PAGE_MOVABLE;
	return CMABUF_PAGE_OTHER;
}

static bool bit_set(const uint32_t *words, size_t nwords, uint64_t bit)
{
	if (bit / 32 >= nwords)
		return false;
	return words[bit / 32] & (UINT32_C(1) << (bit % 32));
}

void map_classify(const uint64_t *kpf, size_t n, const uint32_t *words,
		  size_t nwords, unsigned int opb, uint8_t *cls)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t bit = (uint64_t)i >> opb;

		if (bit / 32 >= nwords)
			cls[i] = CMABUF_PAGE_OTHER;
		else if (bit_set(words, nwords, bit))
			cls[i] = CMABUF_PAGE_ALLOCATED;
		else
			cls[i] = (uint8_t)kpf_class(kpf[i]);
	}
}

size_t map_runs(const uint8_t *cls, size_t n, uint64_t first_pfn,
		struct cmabuf_map_run *runs, size_t max)
{
	size_t i = 0, nr = 0;

	while (i < n) {
		size_t j = i + 1;

		while (j < n && cls[j] == cls[i])
			j++;
		if (runs && nr < max) {
			runs[nr].first_pfn = first_pfn + i;
			runs[nr].pages = j - i;
			runs[nr].page_class = (enum cmabuf_page_class)cls[i];
		}
		nr++;
		i = j;
	}
	return nr;
}

/*
 * Pages inside free buddy blocks, the kernel's NR_FREE_CMA_PAGES view:
 * kpageflags does not export a block's order, so it is derived. A block
 * of order k starts at a pfn aligned to 2^k (k <= MAP_MAX_BUDDY_ORDER)
 * with the KPF_BUDDY page, and its 2^k - 1 tail pages are bare (or, on
 * 6.1, KPF_BUDDY again, which counts them by themselves). So from a
 * KPF_BUDDY page at pfn p, count the bare pages that follow, up to the
 * next flagged page and up to 2^min(ctz(p), MAP_MAX_BUDDY_ORDER) pages
 * in all, and keep the largest power of two of that length: the block
 * is exactly a power of two long. The result never undercounts; it
 * overcounts only when at least 2^k bare pages that are not in a buddy
 * block (per-cpu lists, pages in transit) directly follow a block of
 * order k at a pfn aligned to 2^(k+1): at most the bare pages outside
 * buddy blocks, i.e. the pages on per-cpu lists (/proc/zoneinfo count).
 */
uint64_t map_buddy_pages(const uint64_t *kpf, size_t n, uint64_t first_pfn)
{
	uint64_t total = 0;
	size_t i = 0;

	while (i < n) {
		uint64_t pfn = first_pfn + i, limit, len = 1, block = 1;
		unsigned int k = 0;

		if (!(kpf[i] & BIT(KPF_BUDDY))) {
			i++;
			continue;
		}
		while (k < MAP_MAX_BUDDY_ORDER && !(pfn & (UINT64_C(1) << k)))
			k++;
		limit = UINT64_C(1) << k;
		while (len < limit && i + len < n && kpf[i + len] == 0)
			len++;
		while (block * 2 <= len)
			block *= 2;
		total += block;
		i += block;
	}
	return total;
}
