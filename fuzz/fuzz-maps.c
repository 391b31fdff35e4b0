// SPDX-License-Identifier: LGPL-2.1-or-later
/* /proc/<pid>/maps, line by line as the scanner walks it */
#include "stats-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	size_t left = size;

	while (left > 0) {
		struct maps_entry m;
		bool is_file = false;
		size_t used = parse_maps_line(p, left, &is_file, &m);

		if (used == 0)
			break;
		if (used > left)	/* must never run past the buffer */
			__builtin_trap();
		p += used;
		left -= used;
	}
	return 0;
}
