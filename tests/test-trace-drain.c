// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * When cmabuf-trace's read of the rings stops, without a kernel: the
 * verdict for each record read. A storm in the guest cannot prove this
 * (under TCG the reader catches up with any storm, so a reader that
 * ignores the stop still ends: tests/test-vm-trace shows only that the
 * run ends, with its summary and the instance gone).
 */
#include "testutil.h"
#include "trace.h"

#define S 1000000000ULL		/* one second of trace time */

/* during the run a read goes on until a stop was asked for, then ends
 * at the very next record, however many are left */
START_TEST(test_run_stops_at_once)
{
	struct trace_drain d = { 0 };

	ck_assert_int_eq(trace_drain_verdict(&d, false, 10.0, 5 * S), 0);
	ck_assert_int_eq(trace_drain_verdict(&d, true, 10.0, 5 * S),
			 TRACE_READ_STOP);
	/* an old record too: the stop does not wait for the backlog */
	ck_assert_int_eq(trace_drain_verdict(&d, true, 10.0, 1),
			 TRACE_READ_STOP);
	ck_assert(!trace_drain_overdue(&d, 1e9));
}
END_TEST

/* the last read: each CPU up to the stop, then the next CPU; the stop
 * asked for again (a second SIGINT) does not cut it short */
START_TEST(test_last_read_up_to_the_stop)
{
	struct trace_drain d = { 0 };

	trace_drain_begin_last(&d, 100.0, 100 * S, 0.3);
	ck_assert_int_eq(trace_drain_verdict(&d, true, 100.1, 99 * S), 0);
	ck_assert_int_eq(trace_drain_verdict(&d, true, 100.1, 100 * S), 0);
	ck_assert_int_eq(trace_drain_verdict(&d, true, 100.1, 100 * S + 1),
			 TRACE_READ_NEXT_CPU);
	ck_assert(!trace_drain_overdue(&d, 100.29));
}
END_TEST

/* a backlog too long to read in time: the deadline ends the last read,
 * records of before the stop included, and stops the counting */
START_TEST(test_last_read_deadline)
{
	struct trace_drain d = { 0 };

	trace_drain_begin_last(&d, 100.0, 100 * S, 0.3);
	ck_assert(trace_drain_overdue(&d, 100.3));
	ck_assert_int_eq(trace_drain_verdict(&d, false, 100.3, 1),
			 TRACE_READ_STOP);
	ck_assert_int_eq(trace_drain_verdict(&d, false, 200.0, 99 * S),
			 TRACE_READ_STOP);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("trace-drain");
	TCase *tc = tcase_create("drain");

	tcase_add_test(tc, test_run_stops_at_once);
	tcase_add_test(tc, test_last_read_up_to_the_stop);
	tcase_add_test(tc, test_last_read_deadline);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
