// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * When a read of the rings stops. Behind a storm (thousands of exits and
 * allocations a second) the rings never run dry, so a read that ends only
 * when they do never ends: the stop (SIGINT, SIGTERM, SECONDS) must end a
 * read at the record where it is noticed, not only the loop around it.
 * The last read after the stop takes each CPU's records up to the stop
 * (what came after is not this run's), within a deadline of its own for
 * a backlog too long to read in time.
 */
#include "trace.h"

void trace_drain_begin_last(struct trace_drain *d, double now,
			    uint64_t stop_ts, double seconds)
{
	d->until = now + seconds;
	d->stop_ts = stop_ts;
}

bool trace_drain_overdue(const struct trace_drain *d, double now)
{
	return d->until > 0 && now >= d->until;
}

int trace_drain_verdict(const struct trace_drain *d, bool stopping,
			double now, uint64_t ts)
{
	if (d->until <= 0)	/* a read of the run */
		return stopping ? TRACE_READ_STOP : 0;
	if (trace_drain_overdue(d, now))
		return TRACE_READ_STOP;
	return ts > d->stop_ts ? TRACE_READ_NEXT_CPU : 0;
}
