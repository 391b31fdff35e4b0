// SPDX-License-Identifier: LGPL-2.1-or-later
/* /proc/<pid>/fdinfo/<fd> of dma-bufs */
#include <string.h>

#include "stats-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fdinfo_dmabuf info;

	if (parse_fdinfo_dmabuf((const char *)data, size, &info) == 1) {
		/* the strings must come back terminated */
		if (strnlen(info.exp_name, sizeof(info.exp_name)) ==
			    sizeof(info.exp_name) ||
		    strnlen(info.name, sizeof(info.name)) == sizeof(info.name))
			__builtin_trap();
	}
	return 0;
}
