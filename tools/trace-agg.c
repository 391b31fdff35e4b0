// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The counting: per process and CMA area, and system-wide.
 *
 * cma_alloc() emits _start and _finish in the allocating task, and the
 * busy retries and the contig_range migrations (alloc_contig_range())
 * between them, in the same task. Allocations of different tasks can
 * interleave (the cma_mutex is taken per range attempt, not for the
 * whole call), so everything is matched per task id. A start followed by
 * another start of the same task lost its finish: the kernel returns
 * early without one on some paths (a request larger than the area), so
 * it counts as failed, without a latency. A finish without a start began
 * before the trace did: counted, without a latency.
 */
#include <stdlib.h>
#include <string.h>

#include "trace.h"

struct trace_pending {
	int tid, pid;
	char comm[TRACE_COMM_MAX];
	char area[TRACE_NAME_MAX];
	bool in_alloc;
	uint64_t start, pages, migrated, mig_start;
};

static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *np;

	if (n < *cap)
		return p;
	ncap = *cap ? *cap * 2 : 16;
	np = realloc(p, ncap * size);
	if (np)
		*cap = ncap;
	return np;
}

static struct trace_pending *pending(struct trace_agg *a,
				     const struct trace_ev *ev, bool create)
{
	struct trace_pending *p;
	size_t i;

	for (i = 0; i < a->npend; i++)
		if (a->pend[i].tid == ev->tid)
			return &a->pend[i];
	if (!create)
		return NULL;
	p = grow(a->pend, &a->pend_cap, a->npend, sizeof(*p));
	if (!p) {
		a->oom = true;
		return NULL;
	}
	a->pend = p;
	p = &a->pend[a->npend++];
	memset(p, 0, sizeof(*p));
	p->tid = ev->tid;
	return p;
}

static struct trace_row *row(struct trace_agg *a, int pid, const char *comm,
			     const char *area)
{
	struct trace_row *r;
	size_t i;

	for (i = 0; i < a->nrows; i++)
		if (a->rows[i].pid == pid && !strcmp(a->rows[i].area, area) &&
		    !strcmp(a->rows[i].comm, comm))
			return &a->rows[i];
	r = grow(a->rows, &a->rows_cap, a->nrows, sizeof(*r));
	if (!r) {
		a->oom = true;
		return NULL;
	}
	a->rows = r;
	r = &a->rows[a->nrows++];
	memset(r, 0, sizeof(*r));
	r->pid = pid;
	snprintf(r->comm, sizeof(r->comm), "%s", comm);
	snprintf(r->area, sizeof(r->area), "%s", area);
	return r;
}

static void add_latency(struct trace_agg *a, struct trace_stats *st,
			uint64_t ns)
{
	uint64_t *n = grow(st->lat, &st->cap, st->nlat, sizeof(*n));

	if (!n) {
		a->oom = true;
		return;
	}
	st->lat = n;
	st->lat[st->nlat++] = ns;
	st->lat_sum += ns;
	if (ns > st->lat_max)
		st->lat_max = ns;
}

/* the same change to a row and to the totals */
#define BOTH(r, a, field, v) do {			\
		if (r)					\
			(r)->st.field += (v);		\
		(a)->total.field += (v);		\
	} while (0)

static void report(struct trace_agg *a, const struct trace_pending *p,
		   uint64_t ts, bool failed, bool unfinished)
{
	struct trace_alloc al = {
		.ts = ts, .lat_ns = unfinished ? 0 : ts - p->start,
		.pages = p->pages, .migrated = p->migrated,
		.pid = p->pid, .tid = p->tid, .comm = p->comm,
		.area = p->area, .failed = failed, .unfinished = unfinished,
	};

	if (a->on_alloc)
		a->on_alloc(&al, a->data);
}

/* the task's open call ended without a finish event */
static void unfinished(struct trace_agg *a, struct trace_pending *p,
		       uint64_t ts)
{
	struct trace_row *r;

	if (!p || !p->in_alloc)
		return;
	r = row(a, p->pid, p->comm, p->area);
	BOTH(r, a, fails, 1);
	report(a, p, ts, true, true);
	p->in_alloc = false;
}

static void alloc_start(struct trace_agg *a, const struct trace_ev *ev)
{
	struct trace_pending *p = pending(a, ev, true);
	struct trace_row *r;

	if (!p)
		return;
	unfinished(a, p, ev->ts);
	p->pid = ev->pid;
	memcpy(p->comm, ev->comm, sizeof(p->comm));
	memcpy(p->area, ev->name, sizeof(p->area));
	p->in_alloc = true;
	p->start = ev->ts;
	p->pages = ev->count;
	p->migrated = 0;
	r = row(a, ev->pid, ev->comm, ev->name);
	BOTH(r, a, allocs, 1);
	BOTH(r, a, pages_req, ev->count);
}

static void alloc_finish(struct trace_agg *a, const struct trace_ev *ev)
{
	struct trace_pending *p = pending(a, ev, false);
	struct trace_row *r = row(a, ev->pid, ev->comm, ev->name);

	if (!p || !p->in_alloc) {	/* started before the trace */
		BOTH(r, a, allocs, 1);
		BOTH(r, a, pages_req, ev->count);
	} else {
		p->in_alloc = false;
		if (r)
			add_latency(a, &r->st, ev->ts - p->start);
		add_latency(a, &a->total, ev->ts - p->start);
		report(a, p, ev->ts, ev->failed, false);
	}
	if (ev->failed)
		BOTH(r, a, fails, 1);
	else
		BOTH(r, a, pages_ok, ev->count);
}

static void migrated(struct trace_agg *a, const struct trace_ev *ev)
{
	struct trace_pending *p = pending(a, ev, false);
	const char *area = p && p->in_alloc ? p->area : "-";
	uint64_t ns = p && p->mig_start ? ev->ts - p->mig_start : 0;
	struct trace_row *r;

	if (!ev->contig) {
		a->migrated_other += ev->count;
		return;
	}
	r = row(a, ev->pid, ev->comm, area);
	BOTH(r, a, migrated, ev->count);
	BOTH(r, a, migrate_ns, ns);
	if (p) {
		p->migrated += ev->count;
		p->mig_start = 0;
	}
}

static void synced(struct trace_agg *a, const struct trace_ev *ev)
{
	struct trace_sync *s = NULL;
	size_t i;

	for (i = 0; i < a->nsyncs && !s; i++)
		if (a->syncs[i].pid == ev->pid &&
		    !strcmp(a->syncs[i].comm, ev->comm))
			s = &a->syncs[i];
	if (!s) {
		s = grow(a->syncs, &a->syncs_cap, a->nsyncs, sizeof(*s));
		if (!s) {
			a->oom = true;
			return;
		}
		a->syncs = s;
		s = &a->syncs[a->nsyncs++];
		memset(s, 0, sizeof(*s));
		s->pid = ev->pid;
		memcpy(s->comm, ev->comm, sizeof(s->comm));
	}
	if (ev->kind == EV_SYNC_CPU) {
		s->cpu++;
		s->cpu_bytes += ev->count;
	} else {
		s->dev++;
		s->dev_bytes += ev->count;
	}
}

void trace_agg_feed(struct trace_agg *a, const struct trace_ev *ev)
{
	struct trace_pending *p;
	struct trace_row *r;

	if (ev->kind != EV_EXIT)
		a->events++;
	switch (ev->kind) {
	case EV_ALLOC_START:
		alloc_start(a, ev);
		break;
	case EV_ALLOC_FINISH:
		alloc_finish(a, ev);
		break;
	case EV_BUSY_RETRY:
		r = row(a, ev->pid, ev->comm, ev->name);
		BOTH(r, a, retries, 1);
		break;
	case EV_RELEASE:
		r = row(a, ev->pid, ev->comm, ev->name);
		BOTH(r, a, releases, 1);
		BOTH(r, a, pages_released, ev->count);
		break;
	case EV_MIGRATE_START:
		p = pending(a, ev, true);
		if (p) {
			p->mig_start = ev->ts;
			if (!p->in_alloc) {
				p->pid = ev->pid;
				memcpy(p->comm, ev->comm, sizeof(p->comm));
			}
		}
		break;
	case EV_MIGRATE:
		migrated(a, ev);
		break;
	case EV_SYNC_CPU:
	case EV_SYNC_DEVICE:
		synced(a, ev);
		break;
	case EV_EXIT:
		unfinished(a, pending(a, ev, false), ev->ts);
		break;
	}
}

size_t trace_agg_in_flight(const struct trace_agg *a)
{
	size_t i, n = 0;

	for (i = 0; i < a->npend; i++)
		n += a->pend[i].in_alloc;
	return n;
}

static int by_value(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

uint64_t trace_stats_quantile(struct trace_stats *st, double q)
{
	size_t rank;

	if (!st->nlat)
		return 0;
	qsort(st->lat, st->nlat, sizeof(*st->lat), by_value);
	rank = (size_t)(q * (double)st->nlat + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > st->nlat)
		rank = st->nlat;
	return st->lat[rank - 1];
}

void trace_agg_free(struct trace_agg *a)
{
	size_t i;

	for (i = 0; i < a->nrows; i++)
		free(a->rows[i].st.lat);
	free(a->rows);
	free(a->syncs);
	free(a->pend);
	free(a->total.lat);
	memset(a, 0, sizeof(*a));
}
