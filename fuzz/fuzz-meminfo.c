// SPDX-License-Identifier: LGPL-2.1-or-later
/* /proc/meminfo and /proc/vmstat: keyed lines */
#include "stats-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = {
		"CmaTotal", "CmaFree", "nr_free_cma", "cma_alloc_success",
		"cma_alloc_fail", "pgmigrate_success", "compact_isolated",
	};
	uint64_t vals[7], present = 0;

	parse_keyed_lines((const char *)data, size, keys, 7, vals, &present);
	return 0;
}
