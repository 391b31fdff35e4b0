// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The views: a table, JSON (schema in cmabuf-trace(1)) and the Prometheus
 * text format, plus the -v line of one allocation. comm is set by any
 * process (PR_SET_NAME) and area/device names come from the kernel: every
 * such string goes out through tools/escape.c (shared with cmabuf-stat),
 * escaped for where it lands.
 */
#include <inttypes.h>
#include <string.h>

#include "escape.h"
#include "trace.h"

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

static void term_name(FILE *f, const char *s, int width)
{
	char buf[256];

	escape_str(ESCAPE_TERMINAL, s, buf, sizeof(buf));
	fprintf(f, "%-*s ", width, buf);
}

void trace_view_alloc_line(FILE *f, const struct trace_alloc *al)
{
	fprintf(f, "%12.6f %7d ", (double)al->ts / 1e9, al->pid);
	term_name(f, al->comm, 16);
	term_name(f, al->area, 12);
	fprintf(f, "%8" PRIu64 " pages ", al->pages);
	if (al->unfinished)
		fprintf(f, "%10s ", "-");
	else
		fprintf(f, "%8.3f ms ", ms(al->lat_ns));
	fprintf(f, "%8" PRIu64 " migrated %s\n", al->migrated,
		al->unfinished ? "failed (no finish event)" :
		al->failed ? "failed" : "ok");
	fflush(f);
}

static void table_stats(FILE *f, struct trace_stats *st)
{
	fprintf(f, "%7" PRIu64 " %5" PRIu64 " %9" PRIu64 " %8.2f %8.2f %8.2f "
		"%5" PRIu64 " %9" PRIu64 " %8.2f %7" PRIu64 "\n",
		st->allocs, st->fails, st->pages_req,
		ms(trace_stats_quantile(st, 0.5)),
		ms(trace_stats_quantile(st, 0.99)), ms(st->lat_max),
		st->retries, st->migrated, ms(st->migrate_ns), st->releases);
}

static void table_syncs(FILE *f, struct trace_report *r)
{
	size_t i;

	if (!r->have_sync) {
		fprintf(f, "\nDMA syncs: not traced (this kernel has no "
			"dma:dma_sync_sg_* events; 6.12 on)\n");
		return;
	}
	fprintf(f, "\n%-7s %-16s %9s %12s %9s %12s\n", "PID", "COMM",
		"CPU_SYNCS", "CPU_BYTES", "DEV_SYNCS", "DEV_BYTES");
	for (i = 0; i < r->agg->nsyncs; i++) {
		struct trace_sync *s = &r->agg->syncs[i];

		fprintf(f, "%-7d ", s->pid);
		term_name(f, s->comm, 16);
		fprintf(f, "%9" PRIu64 " %12" PRIu64 " %9" PRIu64 " %12" PRIu64
			"\n", s->cpu, s->cpu_bytes, s->dev, s->dev_bytes);
	}
}

void trace_view_table(FILE *f, struct trace_report *r)
{
	struct trace_agg *a = r->agg;
	size_t i;

	fprintf(f, "CMA allocations traced for %.1f s: %" PRIu64 " events, ",
		r->seconds, a->events);
	if (r->lost < 0)
		fprintf(f, "lost events unknown");
	else
		fprintf(f, "%lld lost", r->lost);
	if (trace_agg_in_flight(a))
		fprintf(f, ", %zu allocations still in flight",
			trace_agg_in_flight(a));
	fprintf(f, "\n\n");
	fprintf(f, "%-7s %-16s %-12s %7s %5s %9s %8s %8s %8s %5s %9s %8s %7s\n",
		"PID", "COMM", "AREA", "ALLOCS", "FAIL", "PAGES", "P50_MS",
		"P99_MS", "MAX_MS", "RETRY", "MIGRATED", "MIG_MS", "RELEASE");
	for (i = 0; i < a->nrows; i++) {
		fprintf(f, "%-7d ", a->rows[i].pid);
		term_name(f, a->rows[i].comm, 16);
		term_name(f, a->rows[i].area, 12);
		table_stats(f, &a->rows[i].st);
	}
	fprintf(f, "%-7s %-16s %-12s ", "total", "", "");
	table_stats(f, &a->total);
	fprintf(f, "\npages migrated for other reasons (compaction, ...): %"
		PRIu64 "\n", a->migrated_other);
	table_syncs(f, r);
	if (a->oom)
		fprintf(f, "\nWARNING: out of memory: counts are incomplete\n");
}

/* ------------------------------------------------------------ JSON */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	escape_fputs(ESCAPE_JSON, s, f);
	fputc('"', f);
}

static void json_stats(FILE *f, struct trace_stats *st)
{
	fprintf(f, "\"allocations\":%" PRIu64 ",\"failures\":%" PRIu64
		",\"pages_requested\":%" PRIu64 ",\"pages_allocated\":%" PRIu64
		",\"latency_ns\":{\"count\":%zu,\"p50\":%" PRIu64 ",\"p99\":%"
		PRIu64 ",\"max\":%" PRIu64 ",\"sum\":%" PRIu64 "}"
		",\"busy_retries\":%" PRIu64 ",\"pages_migrated\":%" PRIu64
		",\"migrate_ns\":%" PRIu64 ",\"releases\":%" PRIu64
		",\"pages_released\":%" PRIu64,
		st->allocs, st->fails, st->pages_req, st->pages_ok, st->nlat,
		trace_stats_quantile(st, 0.5), trace_stats_quantile(st, 0.99),
		st->lat_max, st->lat_sum, st->retries, st->migrated,
		st->migrate_ns, st->releases, st->pages_released);
}

void trace_view_json(FILE *f, struct trace_report *r)
{
	struct trace_agg *a = r->agg;
	size_t i;

	fprintf(f, "{\"schema_version\":1,\"seconds\":%.3f,\"events\":%" PRIu64
		",\"lost_events\":", r->seconds, a->events);
	if (r->lost < 0)
		fprintf(f, "null");
	else
		fprintf(f, "%lld", r->lost);
	fprintf(f, ",\"in_flight\":%zu,\"complete\":%s,\"processes\":[",
		trace_agg_in_flight(a), a->oom ? "false" : "true");
	for (i = 0; i < a->nrows; i++) {
		fprintf(f, "%s{\"pid\":%d,\"comm\":", i ? "," : "",
			a->rows[i].pid);
		json_str(f, a->rows[i].comm);
		fprintf(f, ",\"area\":");
		json_str(f, a->rows[i].area);
		fputc(',', f);
		json_stats(f, &a->rows[i].st);
		fputc('}', f);
	}
	fprintf(f, "],\"total\":{");
	json_stats(f, &a->total);
	fprintf(f, ",\"pages_migrated_other\":%" PRIu64 "},\"syncs\":",
		a->migrated_other);
	if (!r->have_sync) {
		fprintf(f, "null}\n");
		return;
	}
	fputc('[', f);
	for (i = 0; i < a->nsyncs; i++) {
		struct trace_sync *s = &a->syncs[i];

		fprintf(f, "%s{\"pid\":%d,\"comm\":", i ? "," : "", s->pid);
		json_str(f, s->comm);
		fprintf(f, ",\"cpu_syncs\":%" PRIu64 ",\"cpu_bytes\":%" PRIu64
			",\"device_syncs\":%" PRIu64 ",\"device_bytes\":%" PRIu64
			"}", s->cpu, s->cpu_bytes, s->dev, s->dev_bytes);
	}
	fprintf(f, "]}\n");
}

/* ------------------------------------------------------ Prometheus */
enum prom_val {
	PV_ALLOCS, PV_FAILS, PV_PAGES_REQ, PV_PAGES_OK, PV_RETRIES,
	PV_MIGRATED, PV_MIGRATE_S, PV_RELEASES, PV_PAGES_REL,
};

static const struct prom_family {
	const char *name, *type, *help;
	enum prom_val v;
} families[] = {
	{ "cmabuf_trace_allocations_total", "counter",
	  "cma_alloc() calls.", PV_ALLOCS },
	{ "cmabuf_trace_failures_total", "counter",
	  "cma_alloc() calls that failed.", PV_FAILS },
	{ "cmabuf_trace_pages_requested_total", "counter",
	  "Pages asked of cma_alloc().", PV_PAGES_REQ },
	{ "cmabuf_trace_pages_allocated_total", "counter",
	  "Pages cma_alloc() returned.", PV_PAGES_OK },
	{ "cmabuf_trace_busy_retries_total", "counter",
	  "cma_alloc() retries on a busy range.", PV_RETRIES },
	{ "cmabuf_trace_pages_migrated_total", "counter",
	  "Pages migrated out of the way of a contiguous range.", PV_MIGRATED },
	{ "cmabuf_trace_migrate_seconds_total", "counter",
	  "Time spent migrating pages for contiguous ranges.", PV_MIGRATE_S },
	{ "cmabuf_trace_releases_total", "counter",
	  "cma_release() calls.", PV_RELEASES },
	{ "cmabuf_trace_pages_released_total", "counter",
	  "Pages given back by cma_release().", PV_PAGES_REL },
};

static double prom_value(const struct trace_stats *st, enum prom_val v)
{
	switch (v) {
	case PV_ALLOCS: return (double)st->allocs;
	case PV_FAILS: return (double)st->fails;
	case PV_PAGES_REQ: return (double)st->pages_req;
	case PV_PAGES_OK: return (double)st->pages_ok;
	case PV_RETRIES: return (double)st->retries;
	case PV_MIGRATED: return (double)st->migrated;
	case PV_MIGRATE_S: return (double)st->migrate_ns / 1e9;
	case PV_RELEASES: return (double)st->releases;
	case PV_PAGES_REL: return (double)st->pages_released;
	}
	return 0;
}

static void prom_labels(FILE *f, int pid, const char *comm, const char *area,
			const char *quantile)
{
	fprintf(f, "{pid=\"%d\",comm=\"", pid);
	escape_fputs(ESCAPE_PROMETHEUS, comm, f);
	if (area) {
		fprintf(f, "\",area=\"");
		escape_fputs(ESCAPE_PROMETHEUS, area, f);
	}
	fputc('"', f);
	if (quantile)
		fprintf(f, ",quantile=\"%s\"", quantile);
	fputc('}', f);
}

static void prom_head(FILE *f, const char *name, const char *type,
		      const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/*
 * A summary per row: the quantiles of what this run measured, their sum
 * and count (promtool refuses a quantile label on a gauge), then the
 * maximum as a gauge of its own. A row without a finished allocation has
 * NaN quantiles, as Prometheus's own summaries do.
 */
static void prom_latency(FILE *f, struct trace_agg *a)
{
	static const struct { const char *label; double q; } qs[] = {
		{ "0.5", 0.5 }, { "0.99", 0.99 },
	};
	const char *n = "cmabuf_trace_alloc_latency_seconds";
	size_t i, k;

	prom_head(f, n, "summary", "cma_alloc() latency, start to finish.");
	for (i = 0; i < a->nrows; i++) {
		struct trace_row *r = &a->rows[i];

		for (k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
			fprintf(f, "%s", n);
			prom_labels(f, r->pid, r->comm, r->area, qs[k].label);
			if (r->st.nlat)
				fprintf(f, " %.9f\n", (double)trace_stats_quantile(
					&r->st, qs[k].q) / 1e9);
			else
				fprintf(f, " NaN\n");
		}
		fprintf(f, "%s_sum", n);
		prom_labels(f, r->pid, r->comm, r->area, NULL);
		fprintf(f, " %.9f\n", (double)r->st.lat_sum / 1e9);
		fprintf(f, "%s_count", n);
		prom_labels(f, r->pid, r->comm, r->area, NULL);
		fprintf(f, " %zu\n", r->st.nlat);
	}
	n = "cmabuf_trace_alloc_latency_max_seconds";
	prom_head(f, n, "gauge", "Longest cma_alloc(), start to finish.");
	for (i = 0; i < a->nrows; i++) {
		fprintf(f, "%s", n);
		prom_labels(f, a->rows[i].pid, a->rows[i].comm,
			    a->rows[i].area, NULL);
		fprintf(f, " %.9f\n", (double)a->rows[i].st.lat_max / 1e9);
	}
}

static void prom_syncs(FILE *f, struct trace_agg *a)
{
	static const char *const names[] = {
		"cmabuf_trace_cpu_syncs_total", "cmabuf_trace_cpu_sync_bytes_total",
		"cmabuf_trace_device_syncs_total",
		"cmabuf_trace_device_sync_bytes_total",
	};
	static const char *const helps[] = {
		"dma_sync_sg_for_cpu calls.", "Bytes dma_sync_sg_for_cpu covered.",
		"dma_sync_sg_for_device calls.",
		"Bytes dma_sync_sg_for_device covered.",
	};
	size_t k, i;

	for (k = 0; k < 4; k++) {
		prom_head(f, names[k], "counter", helps[k]);
		for (i = 0; i < a->nsyncs; i++) {
			struct trace_sync *s = &a->syncs[i];
			uint64_t v[4] = { s->cpu, s->cpu_bytes, s->dev,
					  s->dev_bytes };

			fprintf(f, "%s", names[k]);
			prom_labels(f, s->pid, s->comm, NULL, NULL);
			fprintf(f, " %" PRIu64 "\n", v[k]);
		}
	}
}

void trace_view_prometheus(FILE *f, struct trace_report *r)
{
	struct trace_agg *a = r->agg;
	size_t k, i;

	for (k = 0; k < sizeof(families) / sizeof(families[0]); k++) {
		prom_head(f, families[k].name, families[k].type,
			  families[k].help);
		for (i = 0; i < a->nrows; i++) {
			fprintf(f, "%s", families[k].name);
			prom_labels(f, a->rows[i].pid, a->rows[i].comm,
				    a->rows[i].area, NULL);
			fprintf(f, families[k].v == PV_MIGRATE_S ? " %.9f\n" :
				" %.0f\n",
				prom_value(&a->rows[i].st, families[k].v));
		}
	}
	prom_latency(f, a);
	prom_head(f, "cmabuf_trace_pages_migrated_other_total", "counter",
		  "Pages migrated for other reasons than contiguous ranges.");
	fprintf(f, "cmabuf_trace_pages_migrated_other_total %" PRIu64 "\n",
		a->migrated_other);
	/* a counter is never negative: an unknown count is left out */
	if (r->lost >= 0) {
		prom_head(f, "cmabuf_trace_lost_events_total", "counter",
			  "Trace events the ring buffer lost (absent: "
			  "unknown).");
		fprintf(f, "cmabuf_trace_lost_events_total %lld\n", r->lost);
	}
	prom_head(f, "cmabuf_trace_seconds", "gauge", "Length of the trace.");
	fprintf(f, "cmabuf_trace_seconds %.3f\n", r->seconds);
	if (r->have_sync)
		prom_syncs(f, a);
}
