// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The dma-heap names libcmabuf knows (see heap-names.h). Pure data and
 * string functions: the tests link this file as it is.
 */
#include <string.h>

#include "heap-names.h"

const char *const heap_names_default_cma[] = {
	HEAP_NAME_DEFAULT_CMA,
	"linux,cma",
	"reserved",
	"cma",
	NULL,
};

const char *const heap_names_default_area[] = {
	"reserved",
	"linux,cma",
	"cma",
	NULL,
};

bool heap_name_in(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(name, *list) == 0)
			return true;
	return false;
}

/* strip one trailing suffix from name[0..len) */
static bool strip_suffix(const char *name, size_t *len, const char *suffix)
{
	size_t n = strlen(suffix);

	if (*len <= n || memcmp(name + *len - n, suffix, n) != 0)
		return false;
	*len -= n;
	return true;
}

size_t heap_name_variant(const char *name, bool *uncached, bool *dma32)
{
	size_t len = strlen(name);

	/* Rockchip spells both as "system-uncached-dma32" */
	*dma32 = strip_suffix(name, &len, "-dma32");
	*uncached = strip_suffix(name, &len, "-uncached");
	return len;
}
