// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Stress and fault injection on a real kernel (run in the test VM):
 * threads hammering both heaps, CMA exhaustion and recovery, a signal
 * storm during cache sync, descriptors closed behind the library's back,
 * fork with live mappings.
 *
 * CMABUF_STRESS_CYCLES sets the cycles per thread (default 10000).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#define THREADS 8

static const char *cma_name;
static struct cmabuf_ctx *ctx;
static struct cmabuf_heap *heaps[2];	/* CMA, system */
static int fds_at_start;

static void setup(void)
{
	ctx = tu_ctx_new();
	/* errors only: eight threads would interleave their debug lines */
	cmabuf_set_log_priority(ctx, 3);
	ck_assert_int_eq(cmabuf_heap_open(ctx, cma_name, 0, &heaps[0]), 0);
	ck_assert_int_eq(cmabuf_heap_open(ctx, "system", 0, &heaps[1]), 0);
	fds_at_start = tu_fd_count();
	tu_log_reset();
}

static void teardown(void)
{
	heaps[0] = cmabuf_heap_unref(heaps[0]);
	heaps[1] = cmabuf_heap_unref(heaps[1]);
	ctx = cmabuf_ctx_unref(ctx);
}

static int dmabuf_maps(void)
{
	char line[512];
	int n = 0;
	FILE *f = fopen("/proc/self/maps", "re");

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "dmabuf"))
			n++;
	fclose(f);
	return n;
}

/* pages of the CMA area in use: debugfs "used" is exact (root only) */
static bool cma_used_pages(uint64_t *used)
{
	char path[256];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "/sys/kernel/debug/cma/%s/used",
		 tu_cma_area_name());
	f = fopen(path, "re");
	if (!f)
		return false;
	ok = fscanf(f, "%lu", (unsigned long *)used) == 1;
	fclose(f);
	return ok;
}

static unsigned long cycles_per_thread(void)
{
	const char *env = getenv("CMABUF_STRESS_CYCLES");

	return env ? strtoul(env, NULL, 10) : 10000;
}

struct worker {
	pthread_t thread;
	unsigned int seed;
	unsigned long cycles;
	int failures;
	int last_error;
};

static void *worker_main(void *arg)
{
	static const size_t sizes[] = { 4096, 16384, 65536, 262144 };
	struct worker *w = arg;
	unsigned long i;

	for (i = 0; i < w->cycles; i++) {
		unsigned int r = rand_r(&w->seed);
		struct cmabuf *buf = NULL;
		unsigned char *p = NULL;
		size_t size = sizes[r % 4];
		int ret;

		ret = cmabuf_alloc(heaps[(r >> 4) & 1], size, 0, &buf);
		if (ret == 0)
			ret = cmabuf_map(buf, CMABUF_MAP_RW, (void **)&p);
		if (ret == 0)
			ret = cmabuf_sync_begin(buf, CMABUF_SYNC_WRITE);
		if (ret == 0) {
			p[0] = (unsigned char)i;
			p[size - 1] = (unsigned char)r;
			ret = cmabuf_sync_end(buf, CMABUF_SYNC_WRITE);
		}
		if (ret == 0)
			ret = cmabuf_unmap(buf);
		if (ret < 0) {
			w->failures++;
			w->last_error = ret;
		}
		cmabuf_unref(buf);
	}
	return NULL;
}

START_TEST(test_threads_both_heaps)
{
	struct worker w[THREADS];
	uint64_t used0 = 0, used1 = 0;
	bool have_used = cma_used_pages(&used0);
	int maps0 = dmabuf_maps(), i;

	ck_assert_msg(have_used || !getenv("CMABUF_VM"),
		      "debugfs cma used missing in the test VM");
	for (i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .seed = (unsigned int)i * 7919u + 1,
					.cycles = cycles_per_thread() };
		ck_assert_int_eq(pthread_create(&w[i].thread, NULL,
						worker_main, &w[i]), 0);
	}
	for (i = 0; i < THREADS; i++) {
		ck_assert_int_eq(pthread_join(w[i].thread, NULL), 0);
		ck_assert_msg(w[i].failures == 0, "thread %d: %d failures, "
			      "last %s", i, w[i].failures,
			      strerror(-w[i].last_error));
	}
	printf("stress: %d threads x %lu cycles, both heaps\n", THREADS,
	       cycles_per_thread());
	ck_assert_int_eq(tu_fd_count(), fds_at_start);
	ck_assert_int_eq(dmabuf_maps(), maps0);
	if (have_used) {
		ck_assert(cma_used_pages(&used1));
		ck_assert_uint_eq(used1, used0);
	}
}
END_TEST

START_TEST(test_exhaustion_then_recovery)
{
	struct cmabuf *bufs[1024];
	uint64_t used0 = 0, used1 = 0;
	size_t n = 0, i;
	int ret = 0;

	cma_used_pages(&used0);
	/* 4 MiB at a time until the area says no */
	while (n < 1024) {
		ret = cmabuf_alloc(heaps[0], 4 << 20, 0, &bufs[n]);
		if (ret < 0)
			break;
		n++;
	}
	ck_assert_int_eq(ret, -ENOMEM);
	ck_assert_uint_gt(n, 0);
	/* the system heap still serves while CMA is full */
	{
		struct cmabuf *sys = NULL;

		ck_assert_int_eq(cmabuf_alloc(heaps[1], 4 << 20, 0, &sys), 0);
		cmabuf_unref(sys);
	}
	for (i = 0; i < n; i++)
		cmabuf_unref(bufs[i]);
	/* recovery: the same amount fits again */
	for (i = 0; i < n; i++)
		ck_assert_int_eq(cmabuf_alloc(heaps[0], 4 << 20, 0, &bufs[i]),
				 0);
	for (i = 0; i < n; i++)
		cmabuf_unref(bufs[i]);
	if (cma_used_pages(&used1))
		ck_assert_uint_eq(used1, used0);
	ck_assert_int_eq(tu_fd_count(), fds_at_start);
}
END_TEST

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

START_TEST(test_signal_storm_during_sync)
{
	struct itimerval every = { { 0, 200 }, { 0, 200 } }, off = { 0 };
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	struct cmabuf *buf = NULL;
	unsigned char *p = NULL;
	int i;

	ck_assert_int_eq(cmabuf_alloc(heaps[0], 1 << 20, 0, &buf), 0);
	ck_assert_int_eq(cmabuf_map(buf, CMABUF_MAP_RW, (void **)&p), 0);
	ck_assert_int_eq(sigaction(SIGALRM, &sa, NULL), 0);
	ck_assert_int_eq(setitimer(ITIMER_REAL, &every, NULL), 0);
	for (i = 0; i < 2000; i++) {
		ck_assert_int_eq(cmabuf_sync_begin(buf, CMABUF_SYNC_RW), 0);
		p[i] = (unsigned char)i;
		ck_assert_int_eq(cmabuf_sync_end(buf, CMABUF_SYNC_RW), 0);
	}
	ck_assert_int_eq(setitimer(ITIMER_REAL, &off, NULL), 0);
	printf("signal storm: %d SIGALRM during 2000 sync pairs\n",
	       (int)alarms);
	ck_assert_int_gt(alarms, 0);
	ck_assert_uint_eq(p[1999], (unsigned char)1999);
	cmabuf_unref(buf);
}
END_TEST

START_TEST(test_fd_closed_behind_our_back)
{
	struct cmabuf *buf = NULL;

	ck_assert_int_eq(cmabuf_alloc(heaps[1], 65536, 0, &buf), 0);
	/* a caller bug: the library owns this descriptor */
	close(cmabuf_get_fd(buf));
	ck_assert_int_eq(cmabuf_sync_begin(buf, CMABUF_SYNC_READ), -EBADF);
	ck_assert_int_eq(cmabuf_set_name(buf, "gone"), -EBADF);
	ck_assert_int_eq(cmabuf_dup_fd(buf), -EBADF);
	{
		void *p = NULL;

		ck_assert_int_eq(cmabuf_map(buf, CMABUF_MAP_READ, &p), -EBADF);
	}
	ck_assert_ptr_null(cmabuf_unref(buf));
}
END_TEST

START_TEST(test_fork_with_live_mapping)
{
	struct cmabuf *buf = NULL;
	unsigned char *p = NULL;
	int status;
	pid_t pid;

	ck_assert_int_eq(cmabuf_alloc(heaps[0], 65536, 0, &buf), 0);
	ck_assert_int_eq(cmabuf_map(buf, CMABUF_MAP_RW, (void **)&p), 0);
	p[0] = 1;
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* MAP_SHARED: the child writes the parent's pages */
		if (cmabuf_sync_begin(buf, CMABUF_SYNC_RW) != 0 || p[0] != 1)
			_exit(2);
		p[1] = 0x42;
		if (cmabuf_sync_end(buf, CMABUF_SYNC_RW) != 0)
			_exit(3);
		cmabuf_unref(buf);	/* the child's copy only */
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_int_eq(cmabuf_sync_begin(buf, CMABUF_SYNC_READ), 0);
	ck_assert_uint_eq(p[1], 0x42);
	ck_assert_int_eq(cmabuf_sync_end(buf, CMABUF_SYNC_READ), 0);
	cmabuf_unref(buf);
}
END_TEST

static Suite *stress_suite(void)
{
	Suite *s = suite_create("vm-stress");
	TCase *tc = tcase_create("stress");

	tcase_set_timeout(tc, 1800);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_threads_both_heaps);
	tcase_add_test(tc, test_exhaustion_then_recovery);
	tcase_add_test(tc, test_signal_storm_during_sync);
	tcase_add_test(tc, test_fd_closed_behind_our_back);
	tcase_add_test(tc, test_fork_with_live_mapping);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	if (tu_missing_cma())
		return tu_cannot_run(tu_missing_cma());
	cma_name = tu_cma_heap_name();
	return tu_run(stress_suite());
}
