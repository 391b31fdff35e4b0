// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmabuf-trace: who pays for CMA. Traces every cma_alloc() of the system
 * (dma-heaps, and drivers allocating on a process's behalf: V4L2
 * dma-contig REQBUFS, DRM dumb buffers) with the kernel's own trace
 * events, in a trace instance of its own, until SECONDS elapse or SIGINT/
 * SIGTERM, then reports per process and CMA area: calls, failures, pages,
 * latency, busy retries, pages migrated for the contiguous range and the
 * time it took, releases; and DMA syncs where the kernel has the events.
 * Whatever happens, the instance is removed again.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event-parse.h>

#include "trace.h"

#define EXIT_USAGE 2
#define PERIOD_MS 1000		/* a drain a second when all is quiet */
#define DRAIN_NS 200000000	/* at most five drains a second */
#define LAG_NS 300000000	/* see trace-order.c */
#define FINAL_DRAIN_S 0.3	/* a signal ends the run within a second */

enum format { FMT_TABLE, FMT_JSON, FMT_PROMETHEUS };

struct run {
	struct trace_decoder *dec;
	struct trace_order order;
	struct trace_agg agg;
	FILE *vout;		/* -v lines, NULL without -v */
	struct trace_drain drain;	/* when a read stops */
	uint64_t uncounted;	/* read, not counted by the deadline: lost */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = sig;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: cmabuf-trace [OPTION]... [SECONDS]\n"
		"Trace CMA allocations: who allocates, how often, how slowly,\n"
		"and how many pages the kernel migrates for them. Runs for\n"
		"SECONDS, or until SIGINT/SIGTERM; needs root.\n\n"
		"  -v, --verbose      one line per allocation as it happens\n"
		"  -b, --buffer-kb KB ring buffer per CPU (default: the "
		"kernel's)\n"
		"  -j, --json         JSON summary (schema in cmabuf-trace(1))\n"
		"  -P, --prometheus   Prometheus text exposition format\n"
		"  -h, --help         this help\n"
		"  -V, --version      the version\n\n"
		"Exit status: 0 ok, 1 cannot trace (the reason is printed), "
		"2 bad usage.\n");
}

static int parse_args(int argc, char **argv, enum format *fmt, bool *verbose,
		      double *seconds, unsigned long *buffer_kb)
{
	static const struct option longopts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "buffer-kb", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "prometheus", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "vb:jPhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'v': *verbose = true; break;
		case 'b':
			errno = 0;
			*buffer_kb = strtoul(optarg, &end, 10);
			if (errno || *end || !*buffer_kb || *buffer_kb > 1 << 22 ||
			    *optarg == '-') {
				fprintf(stderr, "cmabuf-trace: --buffer-kb needs "
					"a size in KiB, not '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'j': *fmt = FMT_JSON; break;
		case 'P': *fmt = FMT_PROMETHEUS; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("cmabuf-trace %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		errno = 0;
		*seconds = strtod(argv[optind], &end);
		if (errno || *end || end == argv[optind] || !(*seconds > 0) ||
		    *seconds > 86400.0 * 365) {
			fprintf(stderr, "cmabuf-trace: SECONDS must be a "
				"positive number, not '%s'\n", argv[optind]);
			usage(stderr);
			return EXIT_USAGE;
		}
		optind++;
	}
	if (optind < argc) {
		fprintf(stderr, "cmabuf-trace: unexpected '%s'\n", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	return -1;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: the sleep ends */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	/* a closed pipe (cmabuf-trace -v | head) is EPIPE, then cleanup */
	signal(SIGPIPE, SIG_IGN);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int on_record(struct tep_event *event, struct tep_record *rec,
		     int cpu, void *data)
{
	struct run *r = data;
	struct trace_ev ev;

	if (rec->missed_events > 0)
		r->agg.missed += (uint64_t)rec->missed_events;
	if (trace_decode(r->dec, event, rec, &ev) &&
	    trace_order_push(&r->order, &ev))
		r->agg.oom = true;
	return trace_drain_verdict(&r->drain, stop != 0, now(), rec->ts);
}

/* the name again: a task gone before its record was read has its
 * exit record read by now, events wait LAG_NS before they are counted */
static void feed(const struct trace_ev *ev, void *data)
{
	struct trace_ev named = *ev;
	struct run *r = data;

	/* the last drain's deadline holds for the counting too */
	if (trace_drain_overdue(&r->drain, now())) {
		r->uncounted++;
		return;
	}
	trace_task_lookup(ev->tid, ev->ts, &named.pid, named.comm);
	trace_agg_feed(&r->agg, &named);
	/* in time order: no record of that life of the tid is left */
	if (ev->kind == EV_EXIT)
		trace_task_exit_counted(ev->tid, ev->ts);
}

static void on_alloc(const struct trace_alloc *al, void *data)
{
	trace_view_alloc_line(data, al);
	if (ferror(data))	/* nobody reads: stop, and clean up */
		stop = SIGPIPE;
}

static int remaining_ms(double t0, double seconds)
{
	double left = seconds - (now() - t0);

	if (seconds <= 0)
		return -1;
	return left <= 0 ? 0 : (int)(left * 1000) + 1;
}

/*
 * Drains once a second, or sooner when a CPU's buffer is half full
 * (poll(2)), or at the end; never more often than every DRAIN_NS. Events
 * wait LAG_NS of trace time before they are counted (trace-order.c);
 * when a drain brings nothing new they all go.
 */
static void trace_loop(struct trace_session *s, struct run *r, double seconds)
{
	struct timespec pause = { 0, DRAIN_NS };
	double t0 = now();
	size_t before;
	int timeout;

	while (!stop && (seconds <= 0 || now() - t0 < seconds)) {
		timeout = remaining_ms(t0, seconds);
		if (timeout < 0 || timeout > PERIOD_MS)
			timeout = PERIOD_MS;
		trace_session_wait(s, timeout);
		before = r->order.n;
		/* stopped half-way: the other CPUs' records are still to
		 * come (an exit that names these records among them) */
		if (trace_session_read(s, on_record, r))
			break;
		trace_order_flush(&r->order, r->order.n > before ? LAG_NS : 0,
				  feed, r);
		if (!stop)
			nanosleep(&pause, NULL);
	}
	/* what is left, for at most FINAL_DRAIN_S even when behind */
	trace_drain_begin_last(&r->drain, now(),
			       (uint64_t)(now() * 1e9),	/* trace_clock: mono */
			       FINAL_DRAIN_S);
	trace_session_read(s, on_record, r);
	trace_order_flush(&r->order, 0, feed, r);
}

static void print(enum format fmt, struct trace_report *rep)
{
	switch (fmt) {
	case FMT_TABLE: trace_view_table(stdout, rep); break;
	case FMT_JSON: trace_view_json(stdout, rep); break;
	case FMT_PROMETHEUS: trace_view_prometheus(stdout, rep); break;
	}
}

int main(int argc, char **argv)
{
	struct trace_session s;
	struct run r = { 0 };
	struct trace_report rep = { .agg = &r.agg };
	enum format fmt = FMT_TABLE;
	bool verbose = false;
	double seconds = 0, t0;
	unsigned long buffer_kb = 0;
	char err[256];
	int rc;

	rc = parse_args(argc, argv, &fmt, &verbose, &seconds, &buffer_kb);
	if (rc >= 0)
		return rc;
	install_signals();
	if (trace_session_open(&s, buffer_kb))
		return EXIT_FAILURE;
	r.dec = trace_decoder_new(s.tep, err, sizeof(err));
	if (!r.dec) {
		fprintf(stderr, "cmabuf-trace: %s\n", err);
		trace_session_close(&s);
		return EXIT_FAILURE;
	}
	if (verbose) {
		/* the summary owns stdout when it is JSON or Prometheus */
		r.agg.on_alloc = on_alloc;
		r.agg.data = fmt == FMT_TABLE ? stdout : stderr;
	}
	fprintf(stderr, "cmabuf-trace: tracing CMA allocations%s\n",
		seconds > 0 ? "" : "; Ctrl-C to stop");
	t0 = now();
	trace_loop(&s, &r, seconds);
	rep.seconds = now() - t0;
	rep.lost = trace_session_lost(&s);
	if (rep.lost >= 0 && (uint64_t)rep.lost < r.agg.missed)
		rep.lost = (long long)r.agg.missed;
	if (rep.lost >= 0)
		rep.lost += (long long)r.uncounted;
	if (r.uncounted)
		fprintf(stderr, "cmabuf-trace: stopped behind: %llu events "
			"read but not counted\n",
			(unsigned long long)r.uncounted);
	rep.have_sync = s.have_sync;
	trace_session_close(&s);
	if (verbose && fmt == FMT_TABLE)
		putchar('\n');
	print(fmt, &rep);
	trace_decoder_free(r.dec);
	trace_order_free(&r.order);
	trace_agg_free(&r.agg);
	trace_task_forget_all();
	if (fflush(stdout) != 0 || ferror(stdout) || stop == SIGPIPE) {
		fprintf(stderr, "cmabuf-trace: cannot write the output\n");
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}
