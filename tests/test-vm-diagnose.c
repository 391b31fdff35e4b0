// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Allocation diagnoses and telemetry on a real kernel (run in the test
 * VM): an exhausted CMA area, a fragmented one, a user without access,
 * and the latency histogram of real allocations.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#define MIB (1024u * 1024u)
#define MAX_BUFS 4096

static struct cmabuf_ctx *ctx;
static struct cmabuf_heap *heap;
static struct cmabuf *bufs[MAX_BUFS];
static int nbufs;
static int fds_at_start;

static void setup(void)
{
	tu_fixture_open(&ctx, &heap, NULL, &fds_at_start);
}

static void teardown(void)
{
	int i;

	for (i = 0; i < nbufs; i++)
		bufs[i] = cmabuf_unref(bufs[i]);
	nbufs = 0;
	tu_fixture_close(&ctx, &heap, NULL, fds_at_start);
}

/* allocate chunks of size until the area refuses: returns that error */
static int fill_area(size_t size)
{
	int ret;

	for (;;) {
		ck_assert_int_lt(nbufs, MAX_BUFS);
		ret = cmabuf_alloc(heap, size, 0, &bufs[nbufs]);
		if (ret < 0)
			return ret;
		nbufs++;
	}
}

static struct cmabuf_diagnosis *diagnose(size_t size, int error)
{
	struct cmabuf_diagnosis *d = NULL;

	ck_assert_int_eq(cmabuf_alloc_diagnose(ctx, heap, size, error, &d), 0);
	ck_assert_ptr_nonnull(d);
	fprintf(stderr, "diagnosis: %s: %s\n",
		cmabuf_diag_reason_name(cmabuf_diagnosis_get_reason(d)),
		cmabuf_diagnosis_get_message(d));
	return d;
}

START_TEST(test_exhausted_area)
{
	struct cmabuf_diagnosis *d;
	int64_t total, free_, chunk;
	struct cmabuf *big = NULL;
	int ret;

	ck_assert_int_eq(fill_area(MIB), -ENOMEM);
	ck_assert_int_gt(nbufs, 0);
	ret = cmabuf_alloc(heap, 4 * MIB, 0, &big);
	ck_assert_int_eq(ret, -ENOMEM);
	d = diagnose(4 * MIB, ret);
	ck_assert_int_eq(cmabuf_diagnosis_get_reason(d), CMABUF_DIAG_EXHAUSTED);
	ck_assert_int_eq(cmabuf_diagnosis_get_space(d, &total, &free_, &chunk),
			 0);
	ck_assert_int_gt(total, (int64_t)nbufs * MIB - 1);
	ck_assert_int_ge(free_, 0);
	ck_assert_int_lt(free_, 4 * MIB);
	ck_assert_ptr_nonnull(strstr(cmabuf_diagnosis_get_message(d),
				     "exhausted"));
	cmabuf_diagnosis_unref(d);
}
END_TEST

START_TEST(test_fragmented_area)
{
	struct cmabuf_diagnosis *d;
	int64_t total, free_, chunk;
	struct cmabuf *big = NULL;
	int i, ret;

	ck_assert_int_eq(fill_area(MIB), -ENOMEM);
	ck_assert_int_gt(nbufs, 16);
	/* every other MiB free: half the area, in 1 MiB holes */
	for (i = 0; i < nbufs; i += 2)
		bufs[i] = cmabuf_unref(bufs[i]);
	ret = cmabuf_alloc(heap, 8 * MIB, 0, &big);
	ck_assert_int_eq(ret, -ENOMEM);
	d = diagnose(8 * MIB, ret);
	ck_assert_int_eq(cmabuf_diagnosis_get_reason(d),
			 CMABUF_DIAG_FRAGMENTED);
	ck_assert_int_eq(cmabuf_diagnosis_get_space(d, &total, &free_, &chunk),
			 0);
	ck_assert_int_ge(free_, 8 * MIB);
	/* as root, debugfs tells the largest free run */
	ck_assert_int_ge(chunk, 0);
	ck_assert_int_lt(chunk, 8 * MIB);
	cmabuf_diagnosis_unref(d);
}
END_TEST

/* the child's checks, as exit codes */
static int non_root_child(void)
{
	struct cmabuf_diagnosis *d = NULL;
	struct cmabuf_heap *h = NULL;
	struct cmabuf_ctx *c;
	const char *msg;
	int ret;

	if (setgid(65534) || setuid(65534))
		return 3;
	c = tu_ctx_new();
	ret = cmabuf_heap_open(c, NULL, 0, &h);
	if (ret != -EACCES)
		return 4;
	if (cmabuf_alloc_diagnose(c, NULL, MIB, ret, &d) < 0)
		return 5;
	if (cmabuf_diagnosis_get_reason(d) != CMABUF_DIAG_NO_PERMISSION)
		return 6;
	msg = cmabuf_diagnosis_get_message(d);
	fprintf(stderr, "diagnosis: %s\n", msg);
	if (!strstr(msg, "is owned by 0:0 with mode 0600") ||
	    !strstr(msg, "runs as uid 65534") ||
	    !strstr(msg, "grant read access"))
		return 7;
	cmabuf_diagnosis_unref(d);
	cmabuf_ctx_unref(c);
	return 0;
}

START_TEST(test_non_root_is_no_permission)
{
	int status;
	pid_t pid;

	ck_assert_int_eq(geteuid(), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(non_root_child());
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

START_TEST(test_telemetry_of_real_allocations)
{
	struct cmabuf_telemetry t;
	uint64_t sum = 0, cma_kb = 0;
	int i, ret;

	ck_assert_int_eq(cmabuf_ctx_set_telemetry(ctx, 1), 0);
	for (i = 0; i < 10; i++) {
		ck_assert_int_eq(cmabuf_alloc(heap, MIB, 0, &bufs[nbufs]), 0);
		nbufs++;
	}
	/* larger than the area (not than RAM: that is EINVAL) */
	ck_assert(tu_meminfo("CmaTotal", &cma_kb));
	ret = cmabuf_alloc(heap, cma_kb * 1024 + 4 * MIB, 0, &bufs[nbufs]);
	ck_assert_int_eq(ret, -ENOMEM);
	ck_assert_int_eq(cmabuf_ctx_get_telemetry(ctx, &t), 0);
	ck_assert_uint_eq(t.allocations, 10);
	ck_assert_uint_eq(t.failures, 1);
	for (i = 0; i < CMABUF_TELEMETRY_BUCKETS; i++)
		sum += t.histogram[i];
	ck_assert_uint_eq(sum, 10);
	ck_assert_uint_gt(t.max_ns, 0);
	ck_assert_uint_ge(t.total_ns, t.max_ns);
	ck_assert_uint_le(cmabuf_telemetry_quantile_ns(&t, 0.5), t.max_ns);
	ck_assert_uint_gt(cmabuf_telemetry_quantile_ns(&t, 0.5), 0);
}
END_TEST

static Suite *diagnose_suite(void)
{
	Suite *s = suite_create("vm-diagnose");
	TCase *tc = tcase_create("cma");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_exhausted_area);
	tcase_add_test(tc, test_fragmented_area);
	tcase_add_test(tc, test_non_root_is_no_permission);
	tcase_add_test(tc, test_telemetry_of_real_allocations);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	if (tu_missing_cma())
		return tu_cannot_run(tu_missing_cma());
	return tu_run(diagnose_suite());
}
