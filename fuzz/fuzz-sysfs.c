// SPDX-License-Identifier: LGPL-2.1-or-later
/* one-value files of sysfs and debugfs cma (total_pages, used, maxchunk) */
#include "stats-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t v;

	parse_u64_value((const char *)data, size, &v);
	return 0;
}
