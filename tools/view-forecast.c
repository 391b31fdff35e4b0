// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * --forecast SIZE: what an allocation of SIZE bytes from the heap would
 * do now (cmabuf_heap_forecast(3)), as text or JSON (keys documented in
 * cmabuf-stat(1)).
 */
#include <inttypes.h>
#include <stdio.h>

#include "cmabuf-stat.h"
#include "escape.h"

static void json_pfn(bool ok, uint64_t pfn)
{
	if (ok)
		printf("%" PRIu64, pfn);
	else
		printf("null");
}

void view_forecast(const char *heap, uint64_t size,
		   const struct cmabuf_forecast *fc, bool json)
{
	char b1[32], b2[32], b3[32], name[256], area[256];

	if (json) {
		printf("{\"heap\": \"");
		escape_fputs(ESCAPE_JSON, heap, stdout);
		printf("\", \"area\": \"");
		escape_fputs(ESCAPE_JSON, fc->area, stdout);
		printf("\", \"size_bytes\": %" PRIu64 ", \"pages\": %" PRIu64
		       ", \"align_order\": %u, \"would_succeed\": %s"
		       ", \"first_pfn\": ", size, fc->pages, fc->align_order,
		       fc->would_succeed ? "true" : "false");
		json_pfn(fc->would_succeed, fc->first_pfn);
		printf(", \"pages_to_migrate\": %" PRIu64
		       ", \"pages_blocking\": %" PRIu64 ", \"blocked_pfn\": ",
		       fc->pages_to_migrate, fc->pages_blocking);
		json_pfn(fc->pages_blocking > 0, fc->blocked_pfn);
		printf(", \"retry_pfn\": ");
		json_pfn(fc->tries > 1, fc->retry_pfn);
		printf(", \"tries\": %" PRIu64
		       ", \"largest_without_migration_bytes\": %" PRIu64
		       ", \"largest_bytes\": %" PRIu64 "}\n", fc->tries,
		       fc->largest_without_migration_bytes, fc->largest_bytes);
		return;
	}
	printf("%s from heap %s (area %s): %" PRIu64 " pages at alignment "
	       "order %u\n", human(size, b1, sizeof(b1)),
	       term(heap, name, sizeof(name)), term(fc->area, area, sizeof(area)),
	       fc->pages,
	       fc->align_order);
	if (fc->would_succeed)
		printf("  would succeed at pfn %#" PRIx64 " (%" PRIu64 "), "
		       "migrating %" PRIu64 " pages\n", fc->first_pfn,
		       fc->first_pfn, fc->pages_to_migrate);
	else
		printf("  would fail: no range fits\n");
	if (fc->pages_blocking)
		printf("  first range tried at pfn %#" PRIx64 " holds %" PRIu64
		       " pages that cannot move; the kernel retries at pfn %#"
		       PRIx64 " (%" PRIu64 " ranges tried)\n",
		       fc->blocked_pfn, fc->pages_blocking, fc->retry_pfn,
		       fc->tries);
	printf("  largest allocation now: %s without migration, %s with it\n",
	       human(fc->largest_without_migration_bytes, b2, sizeof(b2)),
	       human(fc->largest_bytes, b3, sizeof(b3)));
}
