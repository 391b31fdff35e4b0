// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmabuf-trace's task table under a storm of short-lived processes: the
 * cost per sched_process_exit record, as the tool spends it (the exit
 * read: noted and named; counted LAG later: named again and forgotten),
 * after 1 000 and after 100 000 exits. Task ids cycle through 32 768 (the
 * default pid_max), so they are reused as on a real system. The table
 * was a list searched linearly and never pruned (9 then 55 us per exit
 * record at 25k and 100k entries, issue 19); the two figures should now
 * be the same. A host micro-benchmark: it prints, asserts nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "trace.h"

#define TID_BASE 5000000	/* above PID_MAX_LIMIT: never in /proc */
#define IN_FLIGHT 1000		/* exits read but not yet counted */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void one_exit(long i)
{
	char comm[TRACE_COMM_MAX];
	int tid = TID_BASE + (int)(i % 32768), pid;

	trace_task_exited(tid, (uint64_t)i + 1, "storm");
	trace_task_lookup(tid, (uint64_t)i + 1, &pid, comm);
	if (i >= IN_FLIGHT) {
		long j = i - IN_FLIGHT;

		trace_task_lookup(TID_BASE + (int)(j % 32768), (uint64_t)j + 1,
				  &pid, comm);
		trace_task_exit_counted(TID_BASE + (int)(j % 32768),
					(uint64_t)j + 1);
	}
}

/* ns per exit record over the 1 000 records after the first `after` */
static double cost_after(long after)
{
	uint64_t t0;
	long i;

	trace_task_forget_all();
	for (i = 0; i < after; i++)
		one_exit(i);
	t0 = now_ns();
	for (; i < after + 1000; i++)
		one_exit(i);
	return (double)(now_ns() - t0) / 1000;
}

int main(void)
{
	double lo = 1e300, hi = 1e300;
	size_t held;
	int round;

	/* the best of 5: a busy host only ever adds time */
	for (round = 0; round < 5; round++) {
		double a = cost_after(1000), b = cost_after(100000);

		lo = a < lo ? a : lo;
		hi = b < hi ? b : hi;
	}
	held = trace_task_count();
	trace_task_forget_all();
	printf("trace task table: %.0f ns per exit record after 1k exits, "
	       "%.0f ns after 100k (ratio %.2f; %zu entries held)\n", lo, hi,
	       hi / lo, held);
	return EXIT_SUCCESS;
}
