// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmabuf-trace's task table without a kernel: the lives of one task id
 * (a pid reused), an exit counted forgets its life, a live entry read
 * after an exit belongs to the next task, and the table stays as small
 * as the exits in flight however many went through it.
 */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "trace.h"

/* no task has it: above PID_MAX_LIMIT (4194304) */
#define GONE 5000000

static void own_comm(char comm[TRACE_COMM_MAX])
{
	FILE *f = fopen("/proc/self/comm", "re");
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(comm, 1, TRACE_COMM_MAX - 1, f);
	fclose(f);
	if (n > 0 && comm[n - 1] == '\n')
		n--;
	comm[n] = '\0';
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void expect(int tid, uint64_t ts, bool known, int pid,
		   const char *comm)
{
	char got[TRACE_COMM_MAX];
	int p;

	ck_assert_int_eq(trace_task_lookup(tid, ts, &p, got), known);
	ck_assert_int_eq(p, pid);
	ck_assert_str_eq(got, comm);
}

/* two lives of one id, both gone: each record gets its own life's name */
START_TEST(test_two_lives)
{
	trace_task_exited(GONE, 10, "first");
	trace_task_exited(GONE, 20, "second");
	expect(GONE, 5, true, GONE, "first");
	expect(GONE, 10, true, GONE, "first");
	expect(GONE, 15, true, GONE, "second");
	expect(GONE, 25, false, GONE, "?");
	trace_task_exit_counted(GONE, 10);
	ck_assert_uint_eq(trace_task_count(), 1);
	expect(GONE, 5, true, GONE, "second");
	trace_task_exit_counted(GONE, 20);
	ck_assert_uint_eq(trace_task_count(), 0);
	expect(GONE, 5, false, GONE, "?");
	trace_task_forget_all();
}
END_TEST

/*
 * The pid reused: an old life ended (exit read), the id now ours. A record
 * before the exit is the old task's, after it ours, read from /proc; once
 * the exit is counted, only ours is left.
 */
START_TEST(test_reused_after_exit)
{
	char me[TRACE_COMM_MAX];
	int self = getpid();

	own_comm(me);
	trace_task_exited(self, 1, "old-task");
	expect(self, 0, true, self, "old-task");
	expect(self, 2, true, self, me);
	ck_assert_uint_eq(trace_task_count(), 2);
	trace_task_exit_counted(self, 1);
	ck_assert_uint_eq(trace_task_count(), 1);
	expect(self, 0, true, self, me);
	trace_task_forget_all();
	ck_assert_uint_eq(trace_task_count(), 0);
}
END_TEST

/* a live entry read before the exit is that life: it ends there */
START_TEST(test_live_then_exit)
{
	char me[TRACE_COMM_MAX];
	int self = getpid();
	uint64_t t;

	own_comm(me);
	expect(self, 0, true, self, me);
	t = mono_ns() + 1000;
	trace_task_exited(self, t, "ignored");
	ck_assert_uint_eq(trace_task_count(), 1);
	expect(self, t, true, self, me);
	trace_task_exit_counted(self, t);
	ck_assert_uint_eq(trace_task_count(), 0);
	trace_task_forget_all();
}
END_TEST

/* 100 000 short-lived tasks over 32 768 ids: the table holds the window */
START_TEST(test_storm_stays_small)
{
	const int n = 100000, window = 1000;
	char comm[TRACE_COMM_MAX];
	int i, pid;

	for (i = 0; i < n; i++) {
		trace_task_exited(GONE + i % 32768, (uint64_t)i + 1, "storm");
		ck_assert(trace_task_lookup(GONE + i % 32768, (uint64_t)i + 1,
					    &pid, comm));
		if (i >= window)
			trace_task_exit_counted(GONE + (i - window) % 32768,
						(uint64_t)(i - window) + 1);
		ck_assert_uint_le(trace_task_count(), (size_t)window + 1);
	}
	ck_assert_uint_eq(trace_task_count(), (size_t)window);
	trace_task_forget_all();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("trace-task");
	TCase *tc = tcase_create("task");

	tcase_add_test(tc, test_two_lives);
	tcase_add_test(tc, test_reused_after_exit);
	tcase_add_test(tc, test_live_then_exit);
	tcase_add_test(tc, test_storm_stays_small);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
