// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmabuf-stat: how big is CMA, how much is free, how fragmented, are
 * allocations failing, is the kernel migrating pages, and who holds the
 * dma-bufs. A front end of the stats API (cmabuf_stats_read(3)); it
 * reads only the sources the requested view needs. This file holds the
 * options and the main loop; each view has its own file (cmabuf-stat.h).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmabuf-stat.h"

#define EXIT_USAGE 2

enum view { VIEW_TABLE, VIEW_WATCH, VIEW_PROCESSES, VIEW_BUFFERS };
enum format { FMT_TEXT, FMT_JSON, FMT_PROMETHEUS };

struct opts {
	enum view view;
	enum format format;
	const char *root;
	unsigned long interval;
	unsigned long count;	/* 0: forever */
	bool with_mappings;	/* --prometheus: read maps files too */
};

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
		"      --with-mappings with --prometheus: also count buffers "
		"only mapped\n"
		"                      (reads every process's maps file)\n"
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
		{ "with-mappings", no_argument, NULL, 'M' },
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
		case 'M':
			o->with_mappings = true;
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

static unsigned int sources_of(const struct opts *o)
{
	/* the scrape's cost: mappings only when asked for */
	if (o->format == FMT_PROMETHEUS && !o->with_mappings)
		return CMABUF_STATS_ALL & ~CMABUF_STATS_MAPPINGS;
	if (o->format != FMT_TEXT)
		return CMABUF_STATS_ALL;
	switch (o->view) {
	case VIEW_PROCESSES:
	case VIEW_BUFFERS:
		return CMABUF_STATS_BUFFERS | CMABUF_STATS_MAPPINGS;
	case VIEW_WATCH:
		return WATCH_SOURCES;
	case VIEW_TABLE:
		break;
	}
	return CMABUF_STATS_ALL;
}

/* every byte reached stdout, or exit 1 with the reason */
static int write_status(void)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return EXIT_SUCCESS;
	fprintf(stderr, "cmabuf-stat: write error: %s\n", strerror(errno));
	return EXIT_FAILURE;
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
	/* a closed pipe is a write error (EPIPE) we report, not a signal */
	signal(SIGPIPE, SIG_IGN);
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
		stat_root_prefix = cmabuf_ctx_get_sysroot(ctx);
		if (strcmp(stat_root_prefix, "/") == 0)
			stat_root_prefix = "";
	}
	if (ret < 0) {
		fprintf(stderr, "cmabuf-stat: %s\n", strerror(-ret));
		cmabuf_ctx_unref(ctx);
		return EXIT_FAILURE;
	}
	if (o.view == VIEW_WATCH) {
		ret = view_watch(ctx, o.interval, o.count);
		cmabuf_ctx_unref(ctx);
		return ret;
	}
	stat_mappings_asked = sources_of(&o) & CMABUF_STATS_MAPPINGS;
	ret = cmabuf_stats_read(ctx, sources_of(&o), &st);
	if (ret < 0) {
		fprintf(stderr, "cmabuf-stat: cannot read statistics: %s\n",
			strerror(-ret));
		cmabuf_ctx_unref(ctx);
		return EXIT_FAILURE;
	}
	if (o.format == FMT_JSON)
		view_json(st);
	else if (o.format == FMT_PROMETHEUS)
		view_prometheus(st);
	else if (o.view == VIEW_PROCESSES)
		view_processes(st);
	else if (o.view == VIEW_BUFFERS)
		view_buffers(st);
	else
		view_table(st);
	notes(st);
	cmabuf_stats_unref(st);
	cmabuf_ctx_unref(ctx);
	return write_status();
}
