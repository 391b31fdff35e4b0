// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Timestamp order across CPUs. Each CPU has its own ring buffer; one
 * drain merges what is there, but a task that moved CPU between
 * cma_alloc_start and _finish can have its finish read in one drain and
 * its start in the next. So events wait for a lag (well above one drain)
 * and leave sorted by time; at the end everything leaves.
 */
#include <stdlib.h>
#include <string.h>

#include "trace.h"

int trace_order_push(struct trace_order *o, const struct trace_ev *ev)
{
	if (o->n == o->cap) {
		size_t ncap = o->cap ? o->cap * 2 : 256;
		struct trace_ev *n = realloc(o->ev, ncap * sizeof(*n));

		if (!n)
			return -1;
		o->ev = n;
		o->cap = ncap;
	}
	o->ev[o->n++] = *ev;
	if (ev->ts > o->newest)
		o->newest = ev->ts;
	return 0;
}

static int by_ts(const void *a, const void *b)
{
	const struct trace_ev *x = a, *y = b;

	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

void trace_order_flush(struct trace_order *o, uint64_t lag,
		       void (*fn)(const struct trace_ev *, void *), void *data)
{
	uint64_t horizon = lag && o->newest > lag ? o->newest - lag : 0;
	size_t i;

	if (o->n == 0 || (lag && !horizon))
		return;
	/* equal stamps are two CPUs at once: either order is true */
	qsort(o->ev, o->n, sizeof(*o->ev), by_ts);
	for (i = 0; i < o->n && (!lag || o->ev[i].ts <= horizon); i++)
		fn(&o->ev[i], data);
	memmove(o->ev, o->ev + i, (o->n - i) * sizeof(*o->ev));
	o->n -= i;
}

void trace_order_free(struct trace_order *o)
{
	free(o->ev);
	memset(o, 0, sizeof(*o));
}
