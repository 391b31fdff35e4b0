// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmabuf-trace's counting without a kernel: events as the decoder makes
 * them, fed in the orders the kernel can produce (tasks interleaving, a
 * start without finish, a finish before the trace began, migrations in
 * and outside an allocation, CPUs read out of order).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "trace.h"

static struct trace_ev ev(enum trace_kind kind, uint64_t ts, int tid,
			  uint64_t count)
{
	struct trace_ev e = { .kind = kind, .ts = ts, .tid = tid, .pid = tid,
			      .count = count };

	snprintf(e.comm, sizeof(e.comm), "task%d", tid);
	snprintf(e.name, sizeof(e.name), "reserved");
	return e;
}

static void feed(struct trace_agg *a, struct trace_ev e)
{
	trace_agg_feed(a, &e);
}

static struct trace_row *find(struct trace_agg *a, int pid, const char *area)
{
	size_t i;

	for (i = 0; i < a->nrows; i++)
		if (a->rows[i].pid == pid && !strcmp(a->rows[i].area, area))
			return &a->rows[i];
	ck_abort_msg("no row for pid %d area %s", pid, area);
	return NULL;
}

START_TEST(test_interleaved_tasks)
{
	struct trace_agg a = { 0 };
	struct trace_ev fin;

	feed(&a, ev(EV_ALLOC_START, 1000, 1, 256));
	feed(&a, ev(EV_ALLOC_START, 2000, 2, 512));
	feed(&a, ev(EV_ALLOC_FINISH, 4000, 2, 512));
	fin = ev(EV_ALLOC_FINISH, 6000, 1, 256);
	fin.failed = true;
	feed(&a, fin);
	ck_assert_uint_eq(find(&a, 1, "reserved")->st.lat_max, 5000);
	ck_assert_uint_eq(find(&a, 1, "reserved")->st.fails, 1);
	ck_assert_uint_eq(find(&a, 2, "reserved")->st.lat_max, 2000);
	ck_assert_uint_eq(find(&a, 2, "reserved")->st.pages_ok, 512);
	ck_assert_uint_eq(a.total.allocs, 2);
	ck_assert_uint_eq(a.total.pages_req, 768);
	trace_agg_free(&a);
}
END_TEST

/* a start the kernel never finished (early return) is a failure */
START_TEST(test_start_without_finish)
{
	struct trace_agg a = { 0 };
	struct trace_row *r;

	feed(&a, ev(EV_ALLOC_START, 1000, 7, 1 << 20));
	feed(&a, ev(EV_ALLOC_START, 2000, 7, 16));
	feed(&a, ev(EV_ALLOC_FINISH, 3000, 7, 16));
	r = find(&a, 7, "reserved");
	ck_assert_uint_eq(r->st.allocs, 2);
	ck_assert_uint_eq(r->st.fails, 1);
	ck_assert_uint_eq(r->st.nlat, 1);
	ck_assert_uint_eq(r->st.lat_max, 1000);
	trace_agg_free(&a);
}
END_TEST

/* as when the task exits with its call open; one still open is in flight */
START_TEST(test_exit_ends_call)
{
	struct trace_agg a = { 0 };

	feed(&a, ev(EV_ALLOC_START, 1000, 7, 1 << 20));
	feed(&a, ev(EV_ALLOC_START, 1500, 8, 4));
	feed(&a, ev(EV_EXIT, 2000, 7, 0));
	ck_assert_uint_eq(find(&a, 7, "reserved")->st.fails, 1);
	ck_assert_uint_eq(a.events, 2);
	ck_assert_uint_eq(trace_agg_in_flight(&a), 1);
	trace_agg_free(&a);
}
END_TEST

/* a finish whose start came before the trace: counted, no latency */
START_TEST(test_finish_without_start)
{
	struct trace_agg a = { 0 };
	struct trace_row *r;

	feed(&a, ev(EV_ALLOC_FINISH, 3000, 9, 64));
	r = find(&a, 9, "reserved");
	ck_assert_uint_eq(r->st.allocs, 1);
	ck_assert_uint_eq(r->st.pages_req, 64);
	ck_assert_uint_eq(r->st.nlat, 0);
	trace_agg_free(&a);
}
END_TEST

START_TEST(test_migrations)
{
	struct trace_agg a = { 0 };
	struct trace_ev m;
	struct trace_row *r;

	feed(&a, ev(EV_ALLOC_START, 1000, 3, 2048));
	m = ev(EV_MIGRATE_START, 1500, 3, 0);
	m.contig = true;
	feed(&a, m);
	m = ev(EV_MIGRATE, 2500, 3, 100);
	m.contig = true;
	feed(&a, m);
	feed(&a, ev(EV_BUSY_RETRY, 2600, 3, 2048));
	feed(&a, ev(EV_ALLOC_FINISH, 3000, 3, 2048));
	/* compaction by kcompactd: another reason */
	feed(&a, ev(EV_MIGRATE, 3500, 4, 7));
	/* contig_range outside a CMA allocation */
	m = ev(EV_MIGRATE, 4000, 5, 11);
	m.contig = true;
	feed(&a, m);
	r = find(&a, 3, "reserved");
	ck_assert_uint_eq(r->st.migrated, 100);
	ck_assert_uint_eq(r->st.migrate_ns, 1000);
	ck_assert_uint_eq(r->st.retries, 1);
	ck_assert_uint_eq(find(&a, 5, "-")->st.migrated, 11);
	ck_assert_uint_eq(a.total.migrated, 111);
	ck_assert_uint_eq(a.migrated_other, 7);
	trace_agg_free(&a);
}
END_TEST

START_TEST(test_quantiles)
{
	struct trace_agg a = { 0 };
	int i;

	for (i = 1; i <= 100; i++) {
		feed(&a, ev(EV_ALLOC_START, (uint64_t)i * 1000, 1, 1));
		feed(&a, ev(EV_ALLOC_FINISH, (uint64_t)i * 1000 + (uint64_t)i,
			    1, 1));
	}
	ck_assert_uint_eq(trace_stats_quantile(&a.total, 0.5), 50);
	ck_assert_uint_eq(trace_stats_quantile(&a.total, 0.99), 99);
	ck_assert_uint_eq(trace_stats_quantile(&a.total, 1.0), 100);
	ck_assert_uint_eq(a.total.lat_max, 100);
	trace_agg_free(&a);
}
END_TEST

/* the Prometheus view of report r, through tests/check-prometheus */
static char *prom_view(struct trace_report *r)
{
	const char *top = getenv("top_srcdir");
	char path[] = "/tmp/trace-prom-XXXXXX", cmd[512], *text;
	int fd = mkstemp(path);
	FILE *f;
	long len;

	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w+");
	ck_assert_ptr_nonnull(f);
	trace_view_prometheus(f, r);
	ck_assert_int_eq(fflush(f), 0);
	len = ftell(f);
	text = calloc(1, (size_t)len + 1);
	rewind(f);
	ck_assert_int_eq(fread(text, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s/tests/check-prometheus %s",
		 top ? top : ".", path);
	if (system(cmd) != 0)
		fprintf(stderr, "the view that does not pass:\n%s", text);
	ck_assert_int_eq(system(cmd), 0);
	unlink(path);
	return text;
}

/*
 * The latency is a summary (quantiles, _sum, _count; NaN quantiles for a
 * row with no finished call) and the lost-events counter is left out when
 * unknown: promtool check metrics refused the gauge with a quantile
 * label, and a counter of -1.
 */
START_TEST(test_prometheus_view)
{
	struct trace_agg a = { 0 };
	struct trace_report r = { .agg = &a, .seconds = 1.5, .lost = -1 };
	struct trace_ev e;
	char *text;

	e = ev(EV_ALLOC_START, 1000, 1, 4);
	snprintf(e.comm, sizeof(e.comm), "a\"b\\c\n");
	feed(&a, e);
	e = ev(EV_ALLOC_FINISH, 3000, 1, 4);
	snprintf(e.comm, sizeof(e.comm), "a\"b\\c\n");
	feed(&a, e);
	feed(&a, ev(EV_ALLOC_START, 4000, 2, 8));
	feed(&a, ev(EV_RELEASE, 5000, 3, 8));
	text = prom_view(&r);
	ck_assert_ptr_nonnull(strstr(text, "# TYPE cmabuf_trace_alloc_latency_seconds summary\n"));
	ck_assert_ptr_nonnull(strstr(text, "cmabuf_trace_alloc_latency_seconds{pid=\"1\",comm=\"a\\\"b\\\\c\\n\",area=\"reserved\",quantile=\"0.99\"} 0.000002000\n"));
	ck_assert_ptr_nonnull(strstr(text, "cmabuf_trace_alloc_latency_seconds_count{pid=\"1\""));
	ck_assert_ptr_nonnull(strstr(text, "cmabuf_trace_alloc_latency_max_seconds{pid=\"1\""));
	ck_assert_ptr_null(strstr(text, "cmabuf_trace_lost_events_total"));
	free(text);
	r.lost = 3;
	text = prom_view(&r);
	ck_assert_ptr_nonnull(strstr(text, "\ncmabuf_trace_lost_events_total 3\n"));
	free(text);
	trace_agg_free(&a);
}
END_TEST

static void to_agg(const struct trace_ev *e, void *data)
{
	trace_agg_feed(data, e);
}

/* a finish read (other CPU) before its start still pairs with it */
START_TEST(test_order_across_cpus)
{
	struct trace_order o = { 0 };
	struct trace_agg a = { 0 };
	struct trace_ev fin = ev(EV_ALLOC_FINISH, 5000, 1, 8);
	struct trace_ev start = ev(EV_ALLOC_START, 1000, 1, 8);

	ck_assert_int_eq(trace_order_push(&o, &fin), 0);
	trace_order_flush(&o, 10000, to_agg, &a);	/* both too young */
	ck_assert_uint_eq(a.events, 0);
	ck_assert_int_eq(trace_order_push(&o, &start), 0);
	trace_order_flush(&o, 0, to_agg, &a);
	ck_assert_uint_eq(a.total.nlat, 1);
	ck_assert_uint_eq(a.total.lat_max, 4000);
	ck_assert_uint_eq(o.n, 0);
	trace_order_free(&o);
	trace_agg_free(&a);
}
END_TEST

/* nothing traced: flushing, at the end too, calls nothing (UBSan: no
 * qsort or memmove of a NULL array) */
START_TEST(test_order_empty)
{
	struct trace_order o = { 0 };
	struct trace_agg a = { 0 };

	trace_order_flush(&o, 0, to_agg, &a);
	trace_order_flush(&o, 10000, to_agg, &a);
	ck_assert_uint_eq(a.events, 0);
	ck_assert_uint_eq(o.n, 0);
	trace_order_free(&o);
	trace_agg_free(&a);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("trace-agg");
	TCase *tc = tcase_create("agg");

	tcase_add_test(tc, test_interleaved_tasks);
	tcase_add_test(tc, test_start_without_finish);
	tcase_add_test(tc, test_finish_without_start);
	tcase_add_test(tc, test_exit_ends_call);
	tcase_add_test(tc, test_migrations);
	tcase_add_test(tc, test_quantiles);
	tcase_add_test(tc, test_order_across_cpus);
	tcase_add_test(tc, test_order_empty);
	tcase_add_test(tc, test_prometheus_view);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
