// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * CPU access brackets on a real kernel (run in the test VM): brackets of
 * several threads on one buffer overlap and every end reaches the kernel;
 * begin waits for a pending fence through a storm of signals (EINTR) and
 * returns only once it signalled; an exporter that answers EAGAIN forever
 * gets a bounded number of retries.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include "testutil.h"

static struct cmabuf_ctx *ctx;
static struct cmabuf_heap *heap;
static int fds_at_start;

static void setup(void)
{
	tu_fixture_open(&ctx, &heap, NULL, &fds_at_start);
}

static void teardown(void)
{
	tu_fixture_close(&ctx, &heap, NULL, fds_at_start);
}

static struct cmabuf *alloc_ok(size_t size)
{
	struct cmabuf *buf = NULL;

	ck_assert_int_eq(cmabuf_alloc(heap, size, 0, &buf), 0);
	return buf;
}

/*
 * ioctl() of this program: the library's calls resolve here (the
 * executable comes first in symbol lookup). It passes everything to the
 * kernel, and counts DMA_BUF_IOCTL_SYNC calls; with fake_eagain set it
 * answers the chosen request with EAGAIN without asking the kernel, the
 * one answer a real exporter here cannot be made to give forever.
 * Exported: the test programs are built with -fvisibility=hidden.
 */
static unsigned long fake_eagain;	/* request to refuse, 0: none */
static unsigned int fake_calls;
static unsigned int sync_starts, sync_ends;

__attribute__((visibility("default")))
int ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fake_eagain && request == fake_eagain) {
		__atomic_add_fetch(&fake_calls, 1, __ATOMIC_RELAXED);
		errno = EAGAIN;
		return -1;
	}
	if (request == DMA_BUF_IOCTL_SYNC) {
		const struct dma_buf_sync *s = arg;

		__atomic_add_fetch(s->flags & DMA_BUF_SYNC_END ? &sync_ends :
				   &sync_starts, 1, __ATOMIC_RELAXED);
	}
	return (int)syscall(SYS_ioctl, fd, request, arg);
}

/* ---- brackets of several threads on one buffer ---- */

struct bracket_arg {
	struct cmabuf *buf;
	pthread_barrier_t *inside;	/* NULL: no rendezvous */
	unsigned int flags, cycles;
	int begin_err, end_err;
};

static void *bracket_thread(void *p)
{
	struct bracket_arg *a = p;
	unsigned int i;

	for (i = 0; i < a->cycles; i++) {
		int ret = cmabuf_sync_begin(a->buf, a->flags);

		if (ret < 0 && !a->begin_err)
			a->begin_err = ret;
		/* every thread is inside its bracket at the same time */
		if (a->inside)
			pthread_barrier_wait(a->inside);
		ret = cmabuf_sync_end(a->buf, a->flags);
		if (ret < 0 && !a->end_err)
			a->end_err = ret;
	}
	return NULL;
}

static void run_brackets(struct cmabuf *buf, unsigned int nthreads,
			 const unsigned int *flags, unsigned int cycles,
			 bool rendezvous)
{
	struct bracket_arg args[8];
	pthread_t t[8];
	pthread_barrier_t inside;
	unsigned int i, starts = sync_starts, ends = sync_ends;

	ck_assert_uint_le(nthreads, 8);
	ck_assert_int_eq(pthread_barrier_init(&inside, NULL, nthreads), 0);
	for (i = 0; i < nthreads; i++) {
		args[i] = (struct bracket_arg){ buf, rendezvous ? &inside :
						NULL, flags[i], cycles, 0, 0 };
		ck_assert_int_eq(pthread_create(&t[i], NULL, bracket_thread,
						&args[i]), 0);
	}
	for (i = 0; i < nthreads; i++) {
		pthread_join(t[i], NULL);
		ck_assert_msg(args[i].begin_err == 0 && args[i].end_err == 0,
			      "thread %u: begin %d, end %d (log: %s)", i,
			      args[i].begin_err, args[i].end_err, tu_log());
	}
	pthread_barrier_destroy(&inside);
	/* one SYNC_START and one SYNC_END reached the kernel per bracket */
	ck_assert_uint_eq(sync_starts - starts, nthreads * cycles);
	ck_assert_uint_eq(sync_ends - ends, nthreads * cycles);
	ck_assert_msg(!tu_log_contains("client bug"), "%s", tu_log());
	/* and nothing stays open */
	tu_log_reset();
	ck_assert_int_eq(cmabuf_sync_end(buf, CMABUF_SYNC_READ), -EINVAL);
	ck_assert(tu_log_contains("client bug: sync end without begin"));
}

START_TEST(test_two_readers_overlap)
{
	static const unsigned int flags[2] = {
		CMABUF_SYNC_READ, CMABUF_SYNC_READ,
	};
	struct cmabuf *buf = alloc_ok(65536);

	run_brackets(buf, 2, flags, 20, true);
	cmabuf_unref(buf);
}
END_TEST

START_TEST(test_mixed_brackets_race)
{
	static const unsigned int flags[4] = {
		CMABUF_SYNC_READ, CMABUF_SYNC_READ, CMABUF_SYNC_WRITE,
		CMABUF_SYNC_RW,
	};
	struct cmabuf *buf = alloc_ok(65536);

	/* no rendezvous: begins and ends of 4 threads interleave freely */
	run_brackets(buf, 4, flags, 2000, false);
	ck_assert(!tu_log_contains("freed inside"));
	cmabuf_unref(buf);
	ck_assert(!tu_log_contains("freed inside"));
}
END_TEST

START_TEST(test_counted_brackets_single_thread)
{
	struct cmabuf *buf = alloc_ok(65536);

	ck_assert_int_eq(cmabuf_sync_begin(buf, CMABUF_SYNC_READ), 0);
	ck_assert_int_eq(cmabuf_sync_begin(buf, CMABUF_SYNC_READ), 0);
	ck_assert_int_eq(cmabuf_sync_begin(buf, CMABUF_SYNC_WRITE), 0);
	tu_log_reset();
	/* no RW bracket is open: refused, the others stay open */
	ck_assert_int_eq(cmabuf_sync_end(buf, CMABUF_SYNC_RW), -EINVAL);
	ck_assert(tu_log_contains("do not match an open begin (open: read 2, "
				  "write 1, rw 0)"));
	ck_assert_int_eq(cmabuf_sync_end(buf, CMABUF_SYNC_READ), 0);
	ck_assert_int_eq(cmabuf_sync_end(buf, CMABUF_SYNC_WRITE), 0);
	ck_assert_int_eq(cmabuf_sync_end(buf, CMABUF_SYNC_READ), 0);
	ck_assert_int_eq(cmabuf_sync_end(buf, CMABUF_SYNC_READ), -EINVAL);
	ck_assert(tu_log_contains("sync end without begin"));
	/* a leaked bracket is reported when the buffer goes */
	ck_assert_int_eq(cmabuf_sync_begin(buf, CMABUF_SYNC_RW), 0);
	tu_log_reset();
	cmabuf_unref(buf);
	ck_assert(tu_log_contains("freed inside a CPU access bracket"));
}
END_TEST

START_TEST(test_bracket_count_is_bounded)
{
	struct cmabuf *buf = alloc_ok(4096);
	unsigned int i, n = 0;
	int ret = 0;

	/* begins without ends: the count stops, with a log, at 1023 */
	for (i = 0; i < 2000 && ret == 0; i++) {
		ret = cmabuf_sync_begin(buf, CMABUF_SYNC_WRITE);
		if (ret == 0)
			n++;
	}
	ck_assert_int_eq(ret, -EINVAL);
	ck_assert_uint_eq(n, 1023);
	ck_assert(tu_log_contains("1023 CPU access brackets with flags 0x2"));
	/* the other counts are untouched */
	ck_assert_int_eq(cmabuf_sync_begin(buf, CMABUF_SYNC_READ), 0);
	ck_assert_int_eq(cmabuf_sync_end(buf, CMABUF_SYNC_READ), 0);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(cmabuf_sync_end(buf, CMABUF_SYNC_WRITE), 0);
	ck_assert_int_eq(cmabuf_sync_end(buf, CMABUF_SYNC_WRITE), -EINVAL);
	cmabuf_unref(buf);
}
END_TEST

/* ---- a pending fence, signalled later, under a storm of signals ---- */

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

struct signaller {
	int timeline;
	unsigned int delay_ms;
	int signalled;		/* set just before the timeline advances */
};

static void *signal_later(void *p)
{
	struct signaller *s = p;
	struct timespec d = { 0, (long)s->delay_ms * 1000000 };
	sigset_t block;

	/* the storm is for the waiting thread */
	sigemptyset(&block);
	sigaddset(&block, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &block, NULL);
	while (nanosleep(&d, &d) < 0 && errno == EINTR)
		;
	__atomic_store_n(&s->signalled, 1, __ATOMIC_SEQ_CST);
	tu_sw_sync_inc(s->timeline, 1);
	return NULL;
}

static bool fence_signalled(int fence)
{
	struct pollfd pfd = { .fd = fence, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

START_TEST(test_begin_waits_for_fence_through_signals)
{
	struct itimerval every_ms = { { 0, 1000 }, { 0, 1000 } }, off = { 0 };
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	struct signaller s = { .delay_ms = 300 };
	struct cmabuf *buf = alloc_ok(65536);
	int fence, ret, during;
	pthread_t t;

	s.timeline = tu_sw_sync_timeline();
	fence = tu_sw_sync_fence(s.timeline, 1);
	/* a pending write fence: a CPU read must wait for it */
	ck_assert_int_eq(cmabuf_import_sync_file(buf, CMABUF_SYNC_WRITE,
						 fence), 0);
	ck_assert(!fence_signalled(fence));
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGALRM, &sa, NULL), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, signal_later, &s), 0);
	alarms = 0;
	ck_assert_int_eq(setitimer(ITIMER_REAL, &every_ms, NULL), 0);
	ret = cmabuf_sync_begin(buf, CMABUF_SYNC_READ);
	during = alarms;
	ck_assert_int_eq(setitimer(ITIMER_REAL, &off, NULL), 0);
	pthread_join(t, NULL);
	printf("fence wait: %d SIGALRM while begin waited\n", during);
	ck_assert_int_eq(ret, 0);
	ck_assert_msg(__atomic_load_n(&s.signalled, __ATOMIC_SEQ_CST),
		      "begin returned before the fence was signalled");
	ck_assert(fence_signalled(fence));
	/* the storm did hit the wait: the restarts were needed */
	ck_assert_int_gt(during, 10);
	ck_assert_int_eq(cmabuf_sync_end(buf, CMABUF_SYNC_READ), 0);
	signal(SIGALRM, SIG_DFL);
	close(fence);
	close(s.timeline);
	cmabuf_unref(buf);
}
END_TEST

/* ---- an exporter that answers EAGAIN forever ---- */

START_TEST(test_persistent_eagain_is_bounded)
{
	struct cmabuf *buf = alloc_ok(4096);
	int sync_fd = -1;

	fake_calls = 0;
	fake_eagain = DMA_BUF_IOCTL_SYNC;
	tu_log_reset();
	ck_assert_int_eq(cmabuf_sync_begin(buf, CMABUF_SYNC_READ), -EAGAIN);
	fake_eagain = 0;
	/* the first try and 64 retries, then the error */
	ck_assert_uint_eq(fake_calls, 65);
	ck_assert(tu_log_contains("DMA_BUF_IOCTL_SYNC start on fd"));
	/* the failed begin left no bracket open */
	ck_assert_int_eq(cmabuf_sync_end(buf, CMABUF_SYNC_READ), -EINVAL);
	ck_assert(tu_log_contains("sync end without begin"));

	/* every restarted ioctl has the same bound */
	fake_calls = 0;
	fake_eagain = DMA_BUF_IOCTL_EXPORT_SYNC_FILE;
	ck_assert_int_eq(cmabuf_export_sync_file(buf, CMABUF_SYNC_READ,
						 &sync_fd), -EAGAIN);
	fake_eagain = 0;
	ck_assert_uint_eq(fake_calls, 65);
	ck_assert_int_eq(sync_fd, -1);
	cmabuf_unref(buf);
}
END_TEST

static Suite *sync_suite(void)
{
	Suite *s = suite_create("vm-sync");
	TCase *tc = tcase_create("sync");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_two_readers_overlap);
	tcase_add_test(tc, test_mixed_brackets_race);
	tcase_add_test(tc, test_counted_brackets_single_thread);
	tcase_add_test(tc, test_bracket_count_is_bounded);
	tcase_add_test(tc, test_begin_waits_for_fence_through_signals);
	tcase_add_test(tc, test_persistent_eagain_is_bounded);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	if (tu_missing_cma())
		return tu_cannot_run(tu_missing_cma());
	return tu_run(sync_suite());
}
