// SPDX-License-Identifier: LGPL-2.1-or-later
/* a captured tree's dev/dma_heap.list, line by line */
#include <string.h>

#include "stats-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		uint32_t mode, uid, gid;
		char name[64];

		if (parse_heap_list_line(p, len, name, sizeof(name), &mode,
					 &uid, &gid) == 0 &&
		    strnlen(name, sizeof(name)) == sizeof(name))
			__builtin_trap();
		p += len + 1;
	}
	return 0;
}
