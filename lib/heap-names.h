/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the name of a dma-heap says about it, with no I/O: the names the
 * default CMA area's heap has had and the vendor variant suffixes. One
 * table shared by heap discovery (heap_dmabuf.c), the stats
 * (stats-cma.c) and the tests (tests/testutil.c links this file).
 */
#ifndef HEAP_NAMES_H
#define HEAP_NAMES_H

#include <stdbool.h>
#include <stddef.h>

/* the default CMA area's heap from Linux 6.17 on */
#define HEAP_NAME_DEFAULT_CMA "default_cma_region"

/*
 * Names of the default CMA area's heap, NULL-terminated, in the order
 * discovery prefers them (drivers/dma-buf/heaps/cma_heap.c):
 * "default_cma_region" (6.17+), then the area's own name before 6.17 or
 * as its second heap from 6.17 on (legacy alias, then 6.19+'s heap per
 * area): the device-tree node "linux,cma", or
 * "reserved" when cma= or Kconfig sized the area; "cma" is the name
 * Rockchip's vendor kernels give it (and Android code written for them).
 */
extern const char *const heap_names_default_cma[];

/* names of the default CMA area itself (sysfs/debugfs cma/<area>) */
extern const char *const heap_names_default_area[];

/* name is in the NULL-terminated list */
bool heap_name_in(const char *name, const char *const *list);

/*
 * Vendor variants of a heap: "<base>-uncached" (write-combined CPU
 * mappings: i.MX's linux,cma-uncached, Rockchip's cma-uncached, Android's
 * system-uncached) and "<base>-dma32" (buffers below 4 GiB: Rockchip's
 * system-dma32, system-uncached-dma32, cma-dma32). Returns the length of
 * the base name (strlen(name) when there is no suffix) and sets
 * *uncached / *dma32. A name that is only a suffix has no base (0).
 */
size_t heap_name_variant(const char *name, bool *uncached, bool *dma32);

#endif /* HEAP_NAMES_H */
