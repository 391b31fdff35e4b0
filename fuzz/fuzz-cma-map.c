// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The CMA area map's pure parts: the input is a debugfs bitmap text up
 * to the first NUL, then kpageflags words; both go through the parser,
 * the classes, the runs, the buddy rule, the first fit and the largest
 * runs, with order_per_bit and the base pfn taken from the input too.
 */
#include <stdlib.h>
#include <string.h>

#include "stats-map.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_WORDS 64
#define MAX_PAGES 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint64_t kpf[MAX_PAGES];
	static uint8_t cls[MAX_PAGES];
	uint32_t words[MAX_WORDS];
	struct cmabuf_forecast fc;
	struct map_range r;
	const uint8_t *nul = memchr(data, 0, size);
	size_t tlen = nul ? (size_t)(nul - data) : size, nwords = 0, n = 0;
	unsigned int opb, align;
	uint64_t base;

	if (parse_cma_bitmap((const char *)data, tlen, words, MAX_WORDS,
			     &nwords) < 0)
		nwords = 0;
	if (nul) {
		const uint8_t *p = nul + 1;
		size_t left = size - tlen - 1;

		n = left / 8 > MAX_PAGES ? MAX_PAGES : left / 8;
		memcpy(kpf, p, n * 8);
	}
	opb = size ? data[size - 1] % 4 : 0;
	align = size > 1 ? data[size - 2] % 12 : 0;
	base = size > 2 ? (uint64_t)data[size - 3] << 9 : 0;
	n &= ~(size_t)((1u << opb) - 1);	/* whole bitmap bits */
	map_classify(kpf, n, words, nwords, opb, cls);
	map_runs(cls, n, base, NULL, 0);
	map_buddy_pages(kpf, n, base);
	r.base_pfn = base;
	r.pages = n;
	r.opb = opb;
	r.cls = cls;
	memset(&fc, 0, sizeof(fc));
	map_forecast(&r, 1, (n >> 2) + 1, align, &fc);
	map_largest_alloc(&r, 1, 8, MAP_MOVABLE);
	map_largest_run(&r, 1, MAP_UNALLOCATED);
	return 0;
}
