// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * --map: each CMA area drawn as a few lines of glyphs, one glyph per N
 * pages (a power of two, so that a row starts at a round pfn), and its
 * counts; with --json the same data as "maps", with --prometheus
 * --with-map the pages by class as gauges. The data is the library's
 * (cmabuf_area_map_read(3)); this file only draws it.
 *
 * A glyph shows the worst its pages hold for an allocation: any page
 * that cannot move makes it 'X'; otherwise the most common of the other
 * classes. Colour only on a terminal and never with NO_COLOR set
 * (no-color.org: present and not empty).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cmabuf-stat.h"
#include "escape.h"

#define MAP_ROWS 8
#define ROW_PREFIX 13	/* "  0x0000c000 " */

static const char glyphs[] = { '#', '.', 'm', 'X' };
static const char *const colours[] = { "34", "32", "33", "31;1" };
static const char *const legend[] = {
	"allocated by cma_alloc()",
	"free",
	"movable (migrated by an allocation)",
	"other (cannot move: blocks it)",
};

static unsigned int term_width(void)
{
	struct winsize ws;

	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0
	    && ws.ws_col >= 40)
		return ws.ws_col;
	return 80;
}

static bool use_colour(void)
{
	const char *nc = getenv("NO_COLOR");

	return isatty(STDOUT_FILENO) && !(nc && *nc);
}

/* the glyph class of pages [first, first + n) from run index *r on */
static int cell_class(const struct cmabuf_area_map *map, size_t idx,
		      uint64_t *r, uint64_t nruns, uint64_t first, uint64_t n)
{
	uint64_t count[4] = { 0 }, end = first + n;
	struct cmabuf_map_run run;
	uint64_t i = *r;
	int best = CMABUF_PAGE_FREE, c;

	for (; i < nruns; i++) {
		uint64_t s, e;

		if (cmabuf_area_map_get_run(map, idx, i, &run) < 0)
			break;
		if (run.first_pfn >= end)
			break;
		s = run.first_pfn > first ? run.first_pfn : first;
		e = run.first_pfn + run.pages < end ?
		    run.first_pfn + run.pages : end;
		if (e > s && (unsigned int)run.page_class < 4)
			count[run.page_class] += e - s;
		if (run.first_pfn + run.pages <= end)
			*r = i + 1;
	}
	if (count[CMABUF_PAGE_OTHER])
		return CMABUF_PAGE_OTHER;
	for (c = 0; c < 3; c++)
		if (count[c] > count[best])
			best = c;
	return best;
}

static void draw_area(const struct cmabuf_area_map *map, size_t idx,
		      unsigned int width, bool colour)
{
	struct cmabuf_area_map_info in;
	uint64_t per = 1, pfn, r = 0, cols = width - ROW_PREFIX, col = 0;
	char name[256], b1[32], b2[32], b3[32], b4[32];
	int c;

	if (cmabuf_area_map_get_info(map, idx, &in) < 0)
		return;
	while (per * cols * MAP_ROWS < in.pages)
		per *= 2;
	printf("%s: %" PRIu64 " pages of %s at pfn %#" PRIx64 " (%s), "
	       "%u range%s; 1 glyph = %" PRIu64 " page%s\n",
	       term(in.name, name, sizeof(name)), in.pages,
	       human(in.page_size, b1, sizeof(b1)), in.base_pfn,
	       human(in.pages * in.page_size, b2, sizeof(b2)), in.nr_ranges,
	       in.nr_ranges == 1 ? "" : "s", per, per == 1 ? "" : "s");
	/* runs are in pfn order; a gap between ranges is drawn as blanks */
	for (pfn = in.base_pfn; r < in.nr_runs;) {
		struct cmabuf_map_run run;

		if (cmabuf_area_map_get_run(map, idx, r, &run) < 0)
			break;
		if (run.first_pfn >= pfn + per) {
			/* skip to the next range's row */
			if (col)
				putchar('\n');
			col = 0;
			pfn = run.first_pfn & ~(per - 1);
			continue;
		}
		if (col == 0)
			printf("  %#010" PRIx64 " ", pfn);
		c = cell_class(map, idx, &r, in.nr_runs, pfn, per);
		if (colour)
			printf("\033[%sm%c\033[0m", colours[c], glyphs[c]);
		else
			putchar(glyphs[c]);
		pfn += per;
		if (++col == cols) {
			putchar('\n');
			col = 0;
		}
	}
	if (col)
		putchar('\n');
	for (c = 0; c < 4; c++)
		printf("  %c %-36s %10" PRIu64 " pages %10s\n", glyphs[c],
		       legend[c], in.class_pages[c],
		       human(in.class_pages[c] * in.page_size, b1,
			     sizeof(b1)));
	printf("  largest free run %s (at the heap's alignment, order %u: "
	       "%s); free or movable %s (aligned %s); %" PRIu64 " runs\n",
	       human(in.largest_free_run * in.page_size, b1, sizeof(b1)),
	       in.align_order,
	       human(in.largest_free_alloc * in.page_size, b2, sizeof(b2)),
	       human(in.largest_movable_run * in.page_size, b3, sizeof(b3)),
	       human(in.largest_movable_alloc * in.page_size, b4, sizeof(b4)),
	       in.nr_runs);
}

void view_map(const struct cmabuf_area_map *map)
{
	size_t i, n = cmabuf_area_map_get_area_count(map);
	unsigned int width = term_width();
	bool colour = use_colour();

	for (i = 0; i < n; i++) {
		if (i)
			putchar('\n');
		draw_area(map, i, width, colour);
	}
}

static void json_name(const char *s)
{
	putchar('"');
	escape_fputs(ESCAPE_JSON, s, stdout);
	putchar('"');
}

static void json_one(const struct cmabuf_area_map *map, size_t idx)
{
	struct cmabuf_area_map_info in;
	struct cmabuf_map_run run;
	uint64_t r;
	int c;

	if (cmabuf_area_map_get_info(map, idx, &in) < 0)
		return;
	printf("    {\"area\": ");
	json_name(in.name);
	printf(", \"base_pfn\": %" PRIu64 ", \"pages\": %" PRIu64
	       ", \"page_size\": %" PRIu64 ", \"order_per_bit\": %u"
	       ", \"nr_ranges\": %u, \"align_order\": %u,\n     \"counts\": {",
	       in.base_pfn, in.pages, in.page_size, in.order_per_bit,
	       in.nr_ranges, in.align_order);
	for (c = 0; c < 4; c++)
		printf("%s\"%s\": %" PRIu64, c ? ", " : "",
		       cmabuf_page_class_name((enum cmabuf_page_class)c),
		       in.class_pages[c]);
	printf("}, \"buddy_pages\": %" PRIu64 ",\n     \"largest_free_run\": %"
	       PRIu64 ", \"largest_movable_run\": %" PRIu64
	       ", \"largest_free_alloc\": %" PRIu64
	       ", \"largest_movable_alloc\": %" PRIu64 ",\n     \"runs\": [",
	       in.buddy_pages, in.largest_free_run, in.largest_movable_run,
	       in.largest_free_alloc, in.largest_movable_alloc);
	for (r = 0; r < in.nr_runs; r++) {
		if (cmabuf_area_map_get_run(map, idx, r, &run) < 0)
			break;
		printf("%s[%" PRIu64 ", %" PRIu64 ", \"%s\"]", r ? ", " : "",
		       run.first_pfn, run.pages,
		       cmabuf_page_class_name(run.page_class));
	}
	printf("]}");
}

void json_maps(const struct cmabuf_area_map *map)
{
	size_t i, n = cmabuf_area_map_get_area_count(map);

	printf("  \"maps\": [");
	for (i = 0; i < n; i++) {
		printf("%s\n", i ? "," : "");
		json_one(map, i);
	}
	printf("%s],\n", n ? "\n  " : "");
}

void prometheus_maps(const struct cmabuf_area_map *map)
{
	size_t i, n = cmabuf_area_map_get_area_count(map);
	struct cmabuf_area_map_info in;
	int c;

	printf("# HELP cmabuf_area_map_pages Pages of the CMA area by class "
	       "(debugfs bitmap and /proc/kpageflags).\n"
	       "# TYPE cmabuf_area_map_pages gauge\n");
	for (i = 0; i < n; i++) {
		if (cmabuf_area_map_get_info(map, i, &in) < 0)
			continue;
		for (c = 0; c < 4; c++) {
			printf("cmabuf_area_map_pages{area=\"");
			escape_fputs(ESCAPE_PROMETHEUS, in.name, stdout);
			printf("\",class=\"%s\"} %" PRIu64 "\n",
			       cmabuf_page_class_name((enum cmabuf_page_class)c),
			       in.class_pages[c]);
		}
	}
	printf("# HELP cmabuf_area_map_largest_alloc_bytes Largest allocation "
	       "the CMA heap could get now, at its alignment.\n"
	       "# TYPE cmabuf_area_map_largest_alloc_bytes gauge\n");
	for (i = 0; i < n; i++) {
		if (cmabuf_area_map_get_info(map, i, &in) < 0)
			continue;
		printf("cmabuf_area_map_largest_alloc_bytes{area=\"");
		escape_fputs(ESCAPE_PROMETHEUS, in.name, stdout);
		printf("\",migration=\"no\"} %" PRIu64 "\n",
		       in.largest_free_alloc * in.page_size);
		printf("cmabuf_area_map_largest_alloc_bytes{area=\"");
		escape_fputs(ESCAPE_PROMETHEUS, in.name, stdout);
		printf("\",migration=\"yes\"} %" PRIu64 "\n",
		       in.largest_movable_alloc * in.page_size);
	}
}
