// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmabuf-stat: how big is CMA, how much is free, how fragmented, are
 * allocations failing, is the kernel migrating pages, and who holds the
 * dma-bufs. A front end of the stats API (cmabuf_stats_read(3)); it
 * reads only the sources the requested view needs.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmabuf.h"

#define EXIT_USAGE 2

enum view { VIEW_TABLE, VIEW_WATCH, VIEW_PROCESSES, VIEW_BUFFERS };
enum format { FMT_TEXT, FMT_JSON, FMT_PROMETHEUS };

struct opts {
	enum view view;
	enum format format;
	const char *root;
	unsigned long interval;
	unsigned long count;	/* 0: forever */
};

static const char *root_prefix = "";	/* stripped from printed paths */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: cmabuf-stat [OPTION]...\n"
		"Show CMA areas, allocation and migration counters, dma-heaps "
		"and dma-buf usage.\n\n"
		"  -w, --watch SECONDS [COUNT]  one line of rates per interval\n"
		"  -p, --processes     dma-buf usage per process\n"
		"  -b, --buffers       one line per dma-buf\n"
		"  -j, --json          JSON (schema in cmabuf-stat(1))\n"
		"  -P, --prometheus    Prometheus text exposition format\n"
		"  -r, --root DIR      read a captured tree instead of /\n"
		"  -h, --help          this help\n"
		"  -V, --version       the version\n\n"
		"Exit status: 0 ok (also without CMA), 1 error, 2 bad usage.\n");
}

static int usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "cmabuf-stat: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	usage(stderr);
	return EXIT_USAGE;
}

static bool parse_ulong(const char *s, unsigned long *v, unsigned long min)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return errno == 0 && *end == '\0' && *v >= min && *v <= 86400 * 365;
}

/* returns -1 to go on, or an exit status */
static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "watch", required_argument, NULL, 'w' },
		{ "processes", no_argument, NULL, 'p' },
		{ "buffers", no_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "prometheus", no_argument, NULL, 'P' },
		{ "root", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+w:pbjPr:hV", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'w':
			if (!parse_ulong(optarg, &o->interval, 1))
				return usage_error("bad interval '%s'", optarg);
			o->view = VIEW_WATCH;
			break;
		case 'p':
			o->view = VIEW_PROCESSES;
			break;
		case 'b':
			o->view = VIEW_BUFFERS;
			break;
		case 'j':
			o->format = FMT_JSON;
			break;
		case 'P':
			o->format = FMT_PROMETHEUS;
			break;
		case 'r':
			o->root = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		case 'V':
			printf("cmabuf-stat %s\n", PACKAGE_VERSION);
			return EXIT_SUCCESS;
		default:
			return usage_error("unknown or incomplete option '%s'",
					   argv[optind - 1]);
		}
	}
	if (o->view == VIEW_WATCH && optind < argc) {
		if (!parse_ulong(argv[optind], &o->count, 1))
			return usage_error("bad count '%s'", argv[optind]);
		optind++;
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (o->view == VIEW_WATCH && o->format != FMT_TEXT)
		return usage_error("%s", "--watch prints text only");
	return -1;
}

/* ------------------------------------------------------------------ */
/* helpers                                                             */
/* ------------------------------------------------------------------ */

static const char *human(uint64_t bytes, char *buf, size_t size)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%" PRIu64 " B", bytes);
	else
		snprintf(buf, size, "%.1f %s", v, units[u]);
	return buf;
}

static const char *shown_path(const char *path)
{
	size_t n = strlen(root_prefix);

	if (n && strncmp(path, root_prefix, n) == 0 && path[n] == '/')
		return path + n;
	return path;
}

static bool sys_get(const struct cmabuf_stats *st, enum cmabuf_stat k,
		    uint64_t *v)
{
	return cmabuf_stats_get(st, k, v) == 0;
}

static bool area_bytes(const struct cmabuf_stats *st, size_t i,
		       enum cmabuf_area_stat k, uint64_t *v)
{
	return cmabuf_stats_area_get(st, i, k, NULL, v) == 0;
}

static bool area_raw(const struct cmabuf_stats *st, size_t i,
		     enum cmabuf_area_stat k, uint64_t *v)
{
	return cmabuf_stats_area_get(st, i, k, v, NULL) == 0;
}

/* a right-aligned cell: a size, or "-" when absent */
static void cell_size(bool ok, uint64_t v, int width)
{
	char b[32];

	printf(" %*s", width, ok ? human(v, b, sizeof(b)) : "-");
}

static void cell_u64(bool ok, uint64_t v, int width)
{
	if (ok)
		printf(" %*" PRIu64, width, v);
	else
		printf(" %*s", width, "-");
}

static bool have_cma(const struct cmabuf_stats *st)
{
	uint64_t total;

	if (cmabuf_stats_get_area_count(st) > 0)
		return true;
	return sys_get(st, CMABUF_STAT_CMA_TOTAL, &total) && total > 0;
}

static void notes(const struct cmabuf_stats *st)
{
	unsigned int src = cmabuf_stats_get_sources(st);
	uint64_t denied;

	if ((src & (CMABUF_STATS_MEMINFO | CMABUF_STATS_CMA)) &&
	    !have_cma(st)) {
		fprintf(stderr, "cmabuf-stat: no CMA on this kernel (CmaTotal "
			"absent or 0): the kernel needs CONFIG_CMA and a CMA "
			"area (cma= on the command line)\n");
		return;
	}
	if ((src & CMABUF_STATS_CMA) && cmabuf_stats_get_area_count(st) &&
	    !cmabuf_stats_has_debugfs(st))
		fprintf(stderr, "cmabuf-stat: debugfs cma not readable: largest"
			" free chunk and fragmentation unknown (run as root; "
			"mount -t debugfs none /sys/kernel/debug)\n");
	if (sys_get(st, CMABUF_STAT_PROCS_DENIED, &denied) && denied)
		fprintf(stderr, "cmabuf-stat: %" PRIu64 " process(es) not "
			"readable (EACCES): run as root to see their "
			"dma-bufs\n", denied);
}

/* ------------------------------------------------------------------ */
/* text views                                                          */
/* ------------------------------------------------------------------ */

static void print_areas(const struct cmabuf_stats *st)
{
	size_t i, n = cmabuf_stats_get_area_count(st);
	uint64_t v, w;

	printf("%-16s %10s %10s %10s %10s %6s %10s %10s\n", "CMA AREA",
	       "TOTAL", "USED", "FREE", "LARGEST", "FRAG", "PAGES_OK",
	       "PAGES_FAIL");
	for (i = 0; i < n; i++) {
		double frac;
		bool ok;

		printf("%-16s", cmabuf_stats_area_get_name(st, i));
		ok = area_bytes(st, i, CMABUF_AREA_SPACE_TOTAL, &v);
		cell_size(ok, v, 10);
		ok = area_bytes(st, i, CMABUF_AREA_SPACE_USED, &v);
		cell_size(ok, v, 10);
		ok = area_bytes(st, i, CMABUF_AREA_SPACE_FREE, &v);
		cell_size(ok, v, 10);
		ok = area_bytes(st, i, CMABUF_AREA_SPACE_LARGEST_FREE, &v);
		cell_size(ok, v, 10);
		if (cmabuf_stats_area_get_fragmentation(st, i, &frac) == 0)
			printf(" %5.1f%%", frac * 100);
		else
			printf(" %6s", "-");
		ok = area_raw(st, i, CMABUF_AREA_ALLOC_PAGES_SUCCESS, &v);
		cell_u64(ok, v, 10);
		ok = area_raw(st, i, CMABUF_AREA_ALLOC_PAGES_FAIL, &w);
		cell_u64(ok, w, 10);
		printf("\n");
	}
	if (n == 0)
		printf("%-16s (no per-area files: sysfs and debugfs cma "
		       "absent)\n", "-");
}

static void print_system(const struct cmabuf_stats *st)
{
	uint64_t v, w;
	char b1[32], b2[32];

	if (sys_get(st, CMABUF_STAT_CMA_TOTAL, &v) &&
	    sys_get(st, CMABUF_STAT_CMA_FREE, &w))
		printf("all areas: CmaTotal %s, CmaFree %s\n",
		       human(v, b1, sizeof(b1)), human(w, b2, sizeof(b2)));
	printf("allocations (calls):");
	if (sys_get(st, CMABUF_STAT_CMA_ALLOC_SUCCESS, &v) &&
	    sys_get(st, CMABUF_STAT_CMA_ALLOC_FAIL, &w))
		printf(" %" PRIu64 " ok, %" PRIu64 " failed", v, w);
	else
		printf(" - (not counted: Linux < 5.12 or no CONFIG_CMA)");
	printf("; pages migrated:");
	if (sys_get(st, CMABUF_STAT_PGMIGRATE_SUCCESS, &v))
		printf(" %" PRIu64, v);
	else
		printf(" -");
	if (sys_get(st, CMABUF_STAT_PGMIGRATE_FAIL, &v))
		printf(" (%" PRIu64 " failed)", v);
	if (sys_get(st, CMABUF_STAT_COMPACT_ISOLATED, &v))
		printf("; compact_isolated %" PRIu64, v);
	printf("\n");
}

static void print_heaps(const struct cmabuf_stats *st)
{
	size_t i, n = cmabuf_stats_get_heap_count(st);

	printf("\n%-20s %-5s %5s %5s %-16s %s\n", "HEAP", "MODE", "UID",
	       "GID", "CMA AREA", "PATH");
	for (i = 0; i < n; i++) {
		uint32_t mode, uid, gid;
		const char *area = cmabuf_stats_heap_get_area(st, i);

		printf("%-20s", cmabuf_stats_heap_get_name(st, i));
		if (cmabuf_stats_heap_get_access(st, i, &mode, &uid, &gid) == 0)
			printf(" %04o  %5u %5u", mode, uid, gid);
		else
			printf(" %-5s %5s %5s", "-", "-", "-");
		printf(" %-16s %s\n", area ? area : "-",
		       shown_path(cmabuf_stats_heap_get_path(st, i)));
	}
	if (n == 0)
		printf("(no dma-heaps)\n");
}

static void print_dmabuf_totals(const struct cmabuf_stats *st)
{
	uint64_t count = 0, bytes = 0;
	char b[32];

	sys_get(st, CMABUF_STAT_DMABUF_COUNT, &count);
	sys_get(st, CMABUF_STAT_DMABUF_BYTES, &bytes);
	printf("\ndma-bufs: %" PRIu64 " buffers, %s, held by %zu processes\n",
	       count, human(bytes, b, sizeof(b)),
	       cmabuf_stats_get_process_count(st));
}

static void print_table(const struct cmabuf_stats *st)
{
	print_areas(st);
	print_system(st);
	print_heaps(st);
	print_dmabuf_totals(st);
}

static void print_buffers(const struct cmabuf_stats *st)
{
	size_t i, k, n = cmabuf_stats_get_buffer_count(st);
	char b[32];

	printf("%-10s %10s %-20s %-20s %s\n", "INODE", "SIZE", "EXPORTER",
	       "NAME", "PIDS");
	for (i = 0; i < n; i++) {
		const char *exp = cmabuf_stats_buffer_get_exporter(st, i);
		const char *name = cmabuf_stats_buffer_get_name(st, i);
		const int *pids;
		size_t np = cmabuf_stats_buffer_get_holders(st, i, &pids);

		printf("%-10" PRIu64 " %10s %-20s %-20s",
		       cmabuf_stats_buffer_get_inode(st, i),
		       human(cmabuf_stats_buffer_get_size(st, i), b,
			     sizeof(b)),
		       exp ? exp : "-", name ? name : "-");
		for (k = 0; k < np; k++)
			printf("%s%d", k ? "," : " ", pids[k]);
		printf("%s\n", np ? "" : " -");
	}
}

/* bytes of pid's buffers from one exporter, by scanning the buffers */
struct exp_sum {
	const char *exporter;
	uint64_t bytes;
};

static size_t process_exporters(const struct cmabuf_stats *st, int pid,
				struct exp_sum *sums, size_t max)
{
	size_t i, k, j, n = 0;

	for (i = 0; i < cmabuf_stats_get_buffer_count(st); i++) {
		const char *exp = cmabuf_stats_buffer_get_exporter(st, i);
		const int *pids;
		size_t np = cmabuf_stats_buffer_get_holders(st, i, &pids);

		if (!exp)
			exp = "?";
		for (k = 0; k < np && pids[k] != pid; k++)
			;
		if (k == np)
			continue;
		for (j = 0; j < n && strcmp(sums[j].exporter, exp); j++)
			;
		if (j == n) {
			if (n == max)
				continue;
			sums[n].exporter = exp;
			sums[n++].bytes = 0;
		}
		sums[j].bytes += cmabuf_stats_buffer_get_size(st, i);
	}
	return n;
}

static void print_processes(const struct cmabuf_stats *st)
{
	size_t i, j, n = cmabuf_stats_get_process_count(st);
	struct exp_sum sums[16];
	char b[32];

	printf("%7s %-16s %5s %10s %s\n", "PID", "COMMAND", "BUFS", "SIZE",
	       "BY EXPORTER");
	for (i = 0; i < n; i++) {
		int pid = cmabuf_stats_process_get_pid(st, i);
		size_t ns = process_exporters(st, pid, sums, 16);

		printf("%7d %-16s %5zu %10s", pid,
		       cmabuf_stats_process_get_comm(st, i),
		       cmabuf_stats_process_get_buffer_count(st, i),
		       human(cmabuf_stats_process_get_bytes(st, i), b,
			     sizeof(b)));
		for (j = 0; j < ns; j++)
			printf("%s%s=%s", j ? ", " : " ", sums[j].exporter,
			       human(sums[j].bytes, b, sizeof(b)));
		printf("\n");
	}
}

/* ------------------------------------------------------------------ */
/* JSON (schema_version 1, documented in cmabuf-stat(1))               */
/* ------------------------------------------------------------------ */

static void json_str(const char *s)
{
	if (!s) {
		printf("null");
		return;
	}
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void json_u64(bool ok, uint64_t v)
{
	if (ok)
		printf("%" PRIu64, v);
	else
		printf("null");
}

/* a separate call: "f(get(&v), v)" would read v before get() ran */
static void json_sys(const struct cmabuf_stats *st, enum cmabuf_stat k)
{
	uint64_t v = 0;
	bool ok = sys_get(st, k, &v);

	json_u64(ok, v);
}

static void json_double(int ret, double v)
{
	if (ret == 0)
		printf("%.6f", v);
	else
		printf("null");
}

static const struct {
	const char *key;
	enum cmabuf_stat stat;
} json_system[] = {
	{ "cma_total_bytes", CMABUF_STAT_CMA_TOTAL },
	{ "cma_free_bytes", CMABUF_STAT_CMA_FREE },
	{ "nr_free_cma_bytes", CMABUF_STAT_NR_FREE_CMA },
	{ "cma_alloc_success", CMABUF_STAT_CMA_ALLOC_SUCCESS },
	{ "cma_alloc_fail", CMABUF_STAT_CMA_ALLOC_FAIL },
	{ "pgmigrate_success", CMABUF_STAT_PGMIGRATE_SUCCESS },
	{ "pgmigrate_fail", CMABUF_STAT_PGMIGRATE_FAIL },
	{ "compact_migrate_scanned", CMABUF_STAT_COMPACT_MIGRATE_SCANNED },
	{ "compact_free_scanned", CMABUF_STAT_COMPACT_FREE_SCANNED },
	{ "compact_isolated", CMABUF_STAT_COMPACT_ISOLATED },
	{ "compact_stall", CMABUF_STAT_COMPACT_STALL },
	{ "compact_fail", CMABUF_STAT_COMPACT_FAIL },
	{ "compact_success", CMABUF_STAT_COMPACT_SUCCESS },
	{ "compact_daemon_wake", CMABUF_STAT_COMPACT_DAEMON_WAKE },
};

static void json_area(const struct cmabuf_stats *st, size_t i)
{
	static const struct {
		const char *key;
		enum cmabuf_area_stat stat;
	} space[] = {
		{ "total_bytes", CMABUF_AREA_SPACE_TOTAL },
		{ "used_bytes", CMABUF_AREA_SPACE_USED },
		{ "free_bytes", CMABUF_AREA_SPACE_FREE },
		{ "largest_free_bytes", CMABUF_AREA_SPACE_LARGEST_FREE },
	};
	uint64_t v;
	double d;
	size_t k;
	bool ok;
	int ret;

	printf("    {\"name\": ");
	json_str(cmabuf_stats_area_get_name(st, i));
	for (k = 0; k < sizeof(space) / sizeof(space[0]); k++) {
		printf(", \"%s\": ", space[k].key);
		ok = area_bytes(st, i, space[k].stat, &v);
		json_u64(ok, v);
	}
	ret = cmabuf_stats_area_get_fragmentation(st, i, &d);
	printf(", \"fragmentation\": ");
	json_double(ret, d);
	ret = cmabuf_stats_area_get_failure_ratio(st, i, &d);
	printf(", \"failure_ratio\": ");
	json_double(ret, d);
	printf(",\n     \"raw\": {");
	for (k = 0; k <= CMABUF_AREA_NR_RANGES; k++) {
		bool has = area_raw(st, i, (enum cmabuf_area_stat)k, &v);

		printf("%s\"%s\": ", k ? ", " : "",
		       cmabuf_area_stat_name((enum cmabuf_area_stat)k));
		json_u64(has, v);
	}
	printf("}}");
}

static void json_heaps(const struct cmabuf_stats *st)
{
	size_t i, n = cmabuf_stats_get_heap_count(st);

	printf("  \"heaps\": [");
	for (i = 0; i < n; i++) {
		uint32_t mode, uid, gid;
		bool ok = cmabuf_stats_heap_get_access(st, i, &mode, &uid,
						       &gid) == 0;
		char m[8];

		snprintf(m, sizeof(m), "%04o", ok ? mode : 0);
		printf("%s\n    {\"name\": ", i ? "," : "");
		json_str(cmabuf_stats_heap_get_name(st, i));
		printf(", \"path\": ");
		json_str(shown_path(cmabuf_stats_heap_get_path(st, i)));
		printf(", \"mode\": ");
		json_str(ok ? m : NULL);
		printf(", \"uid\": ");
		json_u64(ok, uid);
		printf(", \"gid\": ");
		json_u64(ok, gid);
		printf(", \"cma_area\": ");
		json_str(cmabuf_stats_heap_get_area(st, i));
		printf("}");
	}
	printf("%s],\n", n ? "\n  " : "");
}

static void json_buffers(const struct cmabuf_stats *st)
{
	size_t i, k, n = cmabuf_stats_get_buffer_count(st);

	printf("  \"buffers\": [");
	for (i = 0; i < n; i++) {
		const int *pids;
		size_t np = cmabuf_stats_buffer_get_holders(st, i, &pids);

		printf("%s\n    {\"inode\": %" PRIu64 ", \"size_bytes\": %"
		       PRIu64 ", \"exporter\": ", i ? "," : "",
		       cmabuf_stats_buffer_get_inode(st, i),
		       cmabuf_stats_buffer_get_size(st, i));
		json_str(cmabuf_stats_buffer_get_exporter(st, i));
		printf(", \"name\": ");
		json_str(cmabuf_stats_buffer_get_name(st, i));
		printf(", \"pids\": [");
		for (k = 0; k < np; k++)
			printf("%s%d", k ? ", " : "", pids[k]);
		printf("]}");
	}
	printf("%s],\n", n ? "\n  " : "");
}

static void json_processes(const struct cmabuf_stats *st)
{
	size_t i, j, n = cmabuf_stats_get_process_count(st);
	struct exp_sum sums[16];

	printf("  \"processes\": [");
	for (i = 0; i < n; i++) {
		int pid = cmabuf_stats_process_get_pid(st, i);
		size_t ns = process_exporters(st, pid, sums, 16);

		printf("%s\n    {\"pid\": %d, \"comm\": ", i ? "," : "", pid);
		json_str(cmabuf_stats_process_get_comm(st, i));
		printf(", \"buffers\": %zu, \"size_bytes\": %" PRIu64
		       ", \"by_exporter\": {",
		       cmabuf_stats_process_get_buffer_count(st, i),
		       cmabuf_stats_process_get_bytes(st, i));
		for (j = 0; j < ns; j++) {
			printf("%s", j ? ", " : "");
			json_str(sums[j].exporter);
			printf(": %" PRIu64, sums[j].bytes);
		}
		printf("}}");
	}
	printf("%s]\n", n ? "\n  " : "");
}

static void print_json(const struct cmabuf_stats *st)
{
	size_t i, n;

	printf("{\n  \"schema_version\": 1,\n  \"debugfs\": %s,\n",
	       cmabuf_stats_has_debugfs(st) ? "true" : "false");
	printf("  \"system\": {");
	for (i = 0; i < sizeof(json_system) / sizeof(json_system[0]); i++) {
		printf("%s\n    \"%s\": ", i ? "," : "", json_system[i].key);
		json_sys(st, json_system[i].stat);
	}
	printf("\n  },\n  \"dmabuf\": {");
	printf("\"buffers\": ");
	json_sys(st, CMABUF_STAT_DMABUF_COUNT);
	printf(", \"size_bytes\": ");
	json_sys(st, CMABUF_STAT_DMABUF_BYTES);
	printf(", \"processes_scanned\": ");
	json_sys(st, CMABUF_STAT_PROCS_SCANNED);
	printf(", \"processes_denied\": ");
	json_sys(st, CMABUF_STAT_PROCS_DENIED);
	printf("},\n  \"areas\": [");
	n = cmabuf_stats_get_area_count(st);
	for (i = 0; i < n; i++) {
		printf("%s\n", i ? "," : "");
		json_area(st, i);
	}
	printf("%s],\n", n ? "\n  " : "");
	json_heaps(st);
	json_buffers(st);
	json_processes(st);
	printf("}\n");
}

/* ------------------------------------------------------------------ */
/* Prometheus text exposition format                                   */
/* ------------------------------------------------------------------ */

static void prom_family(const char *name, const char *type, const char *help)
{
	printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void prom_label(const char *v)
{
	putchar('"');
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			printf("\\%c", *v);
		else if (*v == '\n')
			printf("\\n");
		else
			putchar(*v);
	}
	putchar('"');
}

static const struct {
	const char *name;
	const char *type;
	enum cmabuf_stat stat;
	const char *help;
} prom_system[] = {
	{ "cmabuf_cma_total_bytes", "gauge", CMABUF_STAT_CMA_TOTAL,
	  "Size of all CMA areas (/proc/meminfo CmaTotal)." },
	{ "cmabuf_cma_free_bytes", "gauge", CMABUF_STAT_CMA_FREE,
	  "Free buddy pages in CMA areas (/proc/meminfo CmaFree)." },
	{ "cmabuf_cma_alloc_success_total", "counter",
	  CMABUF_STAT_CMA_ALLOC_SUCCESS,
	  "Successful cma_alloc() calls (/proc/vmstat)." },
	{ "cmabuf_cma_alloc_fail_total", "counter", CMABUF_STAT_CMA_ALLOC_FAIL,
	  "Failed cma_alloc() calls (/proc/vmstat)." },
	{ "cmabuf_pgmigrate_success_pages_total", "counter",
	  CMABUF_STAT_PGMIGRATE_SUCCESS,
	  "Pages migrated, all reasons (/proc/vmstat pgmigrate_success)." },
	{ "cmabuf_pgmigrate_fail_pages_total", "counter",
	  CMABUF_STAT_PGMIGRATE_FAIL,
	  "Pages that failed to migrate (/proc/vmstat pgmigrate_fail)." },
	{ "cmabuf_compact_isolated_pages_total", "counter",
	  CMABUF_STAT_COMPACT_ISOLATED,
	  "Pages isolated for compaction (/proc/vmstat compact_isolated)." },
	{ "cmabuf_compact_stall_total", "counter", CMABUF_STAT_COMPACT_STALL,
	  "Direct compaction stalls (/proc/vmstat compact_stall)." },
	{ "cmabuf_dmabuf_buffers", "gauge", CMABUF_STAT_DMABUF_COUNT,
	  "Distinct dma-bufs held by readable processes or listed in sysfs." },
	{ "cmabuf_dmabuf_size_bytes", "gauge", CMABUF_STAT_DMABUF_BYTES,
	  "Total size of those dma-bufs." },
	{ "cmabuf_processes_denied", "gauge", CMABUF_STAT_PROCS_DENIED,
	  "Processes whose descriptors could not be read (EACCES)." },
};

static const struct {
	const char *name;
	const char *type;
	enum cmabuf_area_stat stat;
	bool bytes;
	const char *help;
} prom_area[] = {
	{ "cmabuf_area_total_bytes", "gauge", CMABUF_AREA_SPACE_TOTAL, true,
	  "Size of the CMA area." },
	{ "cmabuf_area_used_bytes", "gauge", CMABUF_AREA_SPACE_USED, true,
	  "Bytes of the CMA area allocated by cma_alloc()." },
	{ "cmabuf_area_free_bytes", "gauge", CMABUF_AREA_SPACE_FREE, true,
	  "Bytes of the CMA area not allocated by cma_alloc()." },
	{ "cmabuf_area_largest_free_bytes", "gauge",
	  CMABUF_AREA_SPACE_LARGEST_FREE, true,
	  "Largest free contiguous run of the CMA area (debugfs maxchunk)." },
	{ "cmabuf_area_alloc_success_pages_total", "counter",
	  CMABUF_AREA_ALLOC_PAGES_SUCCESS, false,
	  "Pages allocated from the CMA area (sysfs alloc_pages_success)." },
	{ "cmabuf_area_alloc_fail_pages_total", "counter",
	  CMABUF_AREA_ALLOC_PAGES_FAIL, false,
	  "Pages that could not be allocated (sysfs alloc_pages_fail)." },
	{ "cmabuf_area_release_pages_total", "counter",
	  CMABUF_AREA_RELEASE_PAGES_SUCCESS, false,
	  "Pages released to the CMA area (sysfs release_pages_success)." },
};

static void prom_areas(const struct cmabuf_stats *st)
{
	size_t i, k, n = cmabuf_stats_get_area_count(st);
	uint64_t v;
	double d;
	bool any;

	for (k = 0; k < sizeof(prom_area) / sizeof(prom_area[0]); k++) {
		for (i = 0, any = false; i < n && !any; i++)
			any = area_raw(st, i, prom_area[k].stat, &v);
		if (!any)
			continue;
		prom_family(prom_area[k].name, prom_area[k].type,
			    prom_area[k].help);
		for (i = 0; i < n; i++) {
			bool ok = prom_area[k].bytes ?
				  area_bytes(st, i, prom_area[k].stat, &v) :
				  area_raw(st, i, prom_area[k].stat, &v);

			if (!ok)
				continue;
			printf("%s{area=", prom_area[k].name);
			prom_label(cmabuf_stats_area_get_name(st, i));
			printf("} %" PRIu64 "\n", v);
		}
	}
	for (i = 0, any = false; i < n && !any; i++)
		any = cmabuf_stats_area_get_fragmentation(st, i, &d) == 0;
	if (!any)
		return;
	prom_family("cmabuf_area_fragmentation_ratio", "gauge",
		    "1 - largest free chunk / free bytes of the CMA area.");
	for (i = 0; i < n; i++) {
		if (cmabuf_stats_area_get_fragmentation(st, i, &d) < 0)
			continue;
		printf("cmabuf_area_fragmentation_ratio{area=");
		prom_label(cmabuf_stats_area_get_name(st, i));
		printf("} %.6f\n", d);
	}
}

static void prom_heaps(const struct cmabuf_stats *st)
{
	size_t i, n = cmabuf_stats_get_heap_count(st);

	if (n == 0)
		return;
	prom_family("cmabuf_heap_info", "gauge",
		    "A dma-heap node; its CMA area and access as labels.");
	for (i = 0; i < n; i++) {
		const char *area = cmabuf_stats_heap_get_area(st, i);
		uint32_t mode, uid, gid;
		char m[32];

		printf("cmabuf_heap_info{heap=");
		prom_label(cmabuf_stats_heap_get_name(st, i));
		printf(",area=");
		prom_label(area ? area : "");
		if (cmabuf_stats_heap_get_access(st, i, &mode, &uid, &gid) == 0) {
			snprintf(m, sizeof(m), "%04o", mode);
			printf(",mode=\"%s\",uid=\"%u\",gid=\"%u\"", m, uid,
			       gid);
		}
		printf("} 1\n");
	}
}

static void print_prometheus(const struct cmabuf_stats *st)
{
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(prom_system) / sizeof(prom_system[0]); i++) {
		if (!sys_get(st, prom_system[i].stat, &v))
			continue;
		prom_family(prom_system[i].name, prom_system[i].type,
			    prom_system[i].help);
		printf("%s %" PRIu64 "\n", prom_system[i].name, v);
	}
	prom_areas(st);
	prom_heaps(st);
}

/* ------------------------------------------------------------------ */
/* watch                                                               */
/* ------------------------------------------------------------------ */

#define WATCH_SOURCES (CMABUF_STATS_MEMINFO | CMABUF_STATS_VMSTAT | \
		       CMABUF_STATS_CMA)

static void watch_rate(const struct cmabuf_stats *a,
		       const struct cmabuf_stats *b, enum cmabuf_stat k)
{
	double r;

	if (cmabuf_stats_diff(a, b, k, NULL, &r) == 0)
		printf(" %9.1f", r);
	else
		printf(" %9s", "-");
}

/* sum of one area field over all areas, as a rate */
static void watch_area_rate(const struct cmabuf_stats *a,
			    const struct cmabuf_stats *b,
			    enum cmabuf_area_stat k)
{
	size_t i, n = cmabuf_stats_get_area_count(b);
	double sum = 0, r;
	bool any = false;

	for (i = 0; i < n; i++) {
		if (cmabuf_stats_area_diff(a, b, i, k, NULL, &r) == 0) {
			sum += r;
			any = true;
		}
	}
	if (any)
		printf(" %11.1f", sum);
	else
		printf(" %11s", "-");
}

static void watch_line(const struct cmabuf_stats *a,
		       const struct cmabuf_stats *b)
{
	size_t i, n = cmabuf_stats_get_area_count(b);
	uint64_t free = 0, largest = 0, v;
	bool has_free = false, has_largest = false;

	for (i = 0; i < n; i++) {
		if (area_bytes(b, i, CMABUF_AREA_SPACE_FREE, &v)) {
			free += v;
			has_free = true;
		}
		if (area_bytes(b, i, CMABUF_AREA_SPACE_LARGEST_FREE, &v)) {
			largest = v > largest ? v : largest;
			has_largest = true;
		}
	}
	if (!has_free)
		has_free = sys_get(b, CMABUF_STAT_CMA_FREE, &free);
	cell_size(has_free, free, 10);
	cell_size(has_largest, largest, 10);
	watch_rate(a, b, CMABUF_STAT_CMA_ALLOC_SUCCESS);
	watch_rate(a, b, CMABUF_STAT_CMA_ALLOC_FAIL);
	watch_area_rate(a, b, CMABUF_AREA_ALLOC_PAGES_SUCCESS);
	watch_area_rate(a, b, CMABUF_AREA_ALLOC_PAGES_FAIL);
	watch_rate(a, b, CMABUF_STAT_PGMIGRATE_SUCCESS);
	printf("\n");
	fflush(stdout);
}

static void sleep_seconds(unsigned long s)
{
	struct timespec ts = { .tv_sec = (time_t)s };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int run_watch(struct cmabuf_ctx *ctx, const struct opts *o)
{
	struct cmabuf_stats *prev = NULL, *cur = NULL;
	unsigned long i;
	int ret;

	ret = cmabuf_stats_read(ctx, WATCH_SOURCES, &prev);
	if (ret < 0)
		goto fail;
	notes(prev);
	printf("%10s %10s %9s %9s %11s %11s %9s\n", "FREE", "LARGEST",
	       "ALLOC/s", "FAIL/s", "PAGES_OK/s", "PAGES_ERR/s", "MIGR/s");
	fflush(stdout);
	for (i = 0; o->count == 0 || i < o->count; i++) {
		sleep_seconds(o->interval);
		ret = cmabuf_stats_read(ctx, WATCH_SOURCES, &cur);
		if (ret < 0)
			goto fail;
		watch_line(prev, cur);
		cmabuf_stats_unref(prev);
		prev = cur;
		cur = NULL;
	}
	cmabuf_stats_unref(prev);
	return EXIT_SUCCESS;
fail:
	cmabuf_stats_unref(prev);
	fprintf(stderr, "cmabuf-stat: cannot read statistics: %s\n",
		strerror(-ret));
	return EXIT_FAILURE;
}

/* ------------------------------------------------------------------ */

static unsigned int sources_of(const struct opts *o)
{
	if (o->format != FMT_TEXT)
		return CMABUF_STATS_ALL;
	switch (o->view) {
	case VIEW_PROCESSES:
	case VIEW_BUFFERS:
		return CMABUF_STATS_BUFFERS;
	case VIEW_WATCH:
		return WATCH_SOURCES;
	case VIEW_TABLE:
		break;
	}
	return CMABUF_STATS_ALL;
}

int main(int argc, char **argv)
{
	struct cmabuf_stats *st = NULL;
	struct cmabuf_ctx *ctx = NULL;
	struct opts o;
	int ret;

	ret = parse_args(argc, argv, &o);
	if (ret >= 0)
		return ret;
	ret = cmabuf_ctx_new(&ctx);
	if (ret == 0 && o.root) {
		char *abs = realpath(o.root, NULL);

		if (!abs) {
			fprintf(stderr, "cmabuf-stat: %s: %m\n", o.root);
			cmabuf_ctx_unref(ctx);
			return EXIT_FAILURE;
		}
		ret = cmabuf_ctx_set_sysroot(ctx, abs);
		free(abs);
		root_prefix = cmabuf_ctx_get_sysroot(ctx);
		if (strcmp(root_prefix, "/") == 0)
			root_prefix = "";
	}
	if (ret < 0) {
		fprintf(stderr, "cmabuf-stat: %s\n", strerror(-ret));
		cmabuf_ctx_unref(ctx);
		return EXIT_FAILURE;
	}
	if (o.view == VIEW_WATCH) {
		ret = run_watch(ctx, &o);
		cmabuf_ctx_unref(ctx);
		return ret;
	}
	ret = cmabuf_stats_read(ctx, sources_of(&o), &st);
	if (ret < 0) {
		fprintf(stderr, "cmabuf-stat: cannot read statistics: %s\n",
			strerror(-ret));
		cmabuf_ctx_unref(ctx);
		return EXIT_FAILURE;
	}
	if (o.format == FMT_JSON)
		print_json(st);
	else if (o.format == FMT_PROMETHEUS)
		print_prometheus(st);
	else if (o.view == VIEW_PROCESSES)
		print_processes(st);
	else if (o.view == VIEW_BUFFERS)
		print_buffers(st);
	else
		print_table(st);
	notes(st);
	cmabuf_stats_unref(st);
	cmabuf_ctx_unref(ctx);
	return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
