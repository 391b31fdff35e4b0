// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Pools on a real kernel (run in the test VM): preallocation, growth,
 * -EAGAIN and -ETIMEDOUT at max, buffers outliving the pool, trimming,
 * fence gating with a sw_sync timeline (explicit and implicit fences),
 * and 8 threads sharing one pool.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/types.h>

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

static struct cmabuf_pool *pool_new(size_t size, unsigned int min,
				    unsigned int max, unsigned int flags)
{
	struct cmabuf_pool *pool = NULL;

	ck_assert_int_eq(cmabuf_pool_new(heap, size, min, max, flags, &pool),
			 0);
	ck_assert_ptr_nonnull(pool);
	return pool;
}

static struct cmabuf *acquire_ok(struct cmabuf_pool *pool)
{
	struct cmabuf *buf = NULL;

	ck_assert_int_eq(cmabuf_pool_acquire(pool, &buf), 0);
	ck_assert_ptr_nonnull(buf);
	return buf;
}

static struct cmabuf_pool_stats stats_of(struct cmabuf_pool *pool)
{
	struct cmabuf_pool_stats st;

	ck_assert_int_eq(cmabuf_pool_get_stats(pool, &st), 0);
	return st;
}

START_TEST(test_preallocates_min_and_recycles)
{
	struct cmabuf_pool *pool = pool_new(1 << 20, 2, 4, 0);
	struct cmabuf_pool_stats st = stats_of(pool);
	struct cmabuf *a, *b;

	ck_assert_uint_eq(st.total, 2);
	ck_assert_uint_eq(st.allocations, 2);
	ck_assert_uint_eq(st.in_use, 0);
	a = acquire_ok(pool);
	ck_assert_uint_eq(cmabuf_get_size(a), 1 << 20);
	ck_assert_int_eq(cmabuf_is_contiguous(a), 1);
	ck_assert_str_eq(cmabuf_get_heap_name(a), tu_cma_heap_name());
	ck_assert_int_eq(cmabuf_pool_release(pool, a, -1), 0);
	/* the most recently released buffer comes back first */
	b = acquire_ok(pool);
	ck_assert_ptr_eq(a, b);
	st = stats_of(pool);
	ck_assert_uint_eq(st.hits, 2);
	ck_assert_uint_eq(st.misses, 0);
	ck_assert_uint_eq(st.allocations, 2);
	ck_assert_uint_eq(st.in_use, 1);
	ck_assert_int_eq(cmabuf_pool_release(pool, b, -1), 0);
	cmabuf_pool_unref(pool);
}
END_TEST

START_TEST(test_grows_to_max_then_eagain)
{
	struct cmabuf_pool *pool = pool_new(65536, 1, 3, 0);
	struct cmabuf *bufs[3], *extra = NULL;
	struct cmabuf_pool_stats st;
	int i;

	for (i = 0; i < 3; i++)
		bufs[i] = acquire_ok(pool);
	ck_assert_ptr_ne(bufs[0], bufs[1]);
	ck_assert_ptr_ne(bufs[1], bufs[2]);
	ck_assert_int_eq(cmabuf_pool_acquire(pool, &extra), -EAGAIN);
	ck_assert_int_eq(cmabuf_pool_acquire_timeout(pool, 0, &extra),
			 -ETIMEDOUT);
	ck_assert_int_eq(cmabuf_pool_acquire_timeout(pool, 30, &extra),
			 -ETIMEDOUT);
	ck_assert_ptr_null(extra);
	st = stats_of(pool);
	ck_assert_uint_eq(st.hits, 1);
	ck_assert_uint_eq(st.misses, 2);
	ck_assert_uint_eq(st.allocations, 3);
	ck_assert_uint_eq(st.high_water, 3);
	ck_assert_uint_eq(st.waits, 3);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(cmabuf_pool_release(pool, bufs[i], -1), 0);
	st = stats_of(pool);
	ck_assert_uint_eq(st.in_use, 0);
	ck_assert_uint_eq(st.total, 3);
	ck_assert_uint_eq(st.high_water, 3);
	cmabuf_pool_unref(pool);
}
END_TEST

START_TEST(test_release_misuse)
{
	struct cmabuf_pool *pool = pool_new(65536, 1, 1, 0);
	struct cmabuf *a = acquire_ok(pool), *foreign = NULL;
	int fds[2];

	ck_assert_int_eq(cmabuf_alloc(heap, 65536, 0, &foreign), 0);
	ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
	/* a buffer of no pool: refused, the fence is closed anyway */
	ck_assert_int_eq(cmabuf_pool_release(pool, foreign, fds[0]), -EINVAL);
	ck_assert(tu_log_contains("client bug: release of a buffer not from "
				  "this pool"));
	ck_assert_int_eq(fcntl(fds[0], F_GETFD), -1);
	close(fds[1]);
	ck_assert_int_eq(cmabuf_pool_release(pool, a, -7), -EBADF);
	/* a closed descriptor is not a fence */
	ck_assert_int_eq(cmabuf_pool_release(pool, a, fds[1]), -EBADF);
	cmabuf_ref(a);
	ck_assert_int_eq(cmabuf_pool_release(pool, a, -1), 0);
	tu_log_reset();
	ck_assert_int_eq(cmabuf_pool_release(pool, a, -1), -EINVAL);
	ck_assert(tu_log_contains("client bug: release of a buffer already "
				  "released"));
	cmabuf_unref(a);
	cmabuf_unref(foreign);
	cmabuf_pool_unref(pool);
}
END_TEST

START_TEST(test_buffer_outlives_pool)
{
	struct cmabuf_pool *pool = pool_new(1 << 20, 2, 2, 0);
	struct cmabuf *a = acquire_ok(pool);
	unsigned char *p = NULL;

	ck_assert_ptr_null(cmabuf_pool_unref(pool));
	/* the idle buffer went with the pool; ours is still whole */
	ck_assert_int_eq(cmabuf_map(a, CMABUF_MAP_RW, (void **)&p), 0);
	ck_assert_int_eq(cmabuf_sync_begin(a, CMABUF_SYNC_RW), 0);
	p[0] = 0x11;
	p[(1 << 20) - 1] = 0x22;
	ck_assert_uint_eq(p[0] + p[(1 << 20) - 1], 0x33);
	ck_assert_int_eq(cmabuf_sync_end(a, CMABUF_SYNC_RW), 0);
	ck_assert_int_eq(cmabuf_unmap(a), 0);
	ck_assert_ptr_null(cmabuf_unref(a));
}
END_TEST

START_TEST(test_trim_keeps_min_and_recent)
{
	struct cmabuf_pool *pool = pool_new(65536, 1, 4, 0);
	struct cmabuf *bufs[4];
	struct cmabuf_pool_stats st;
	int i;

	for (i = 0; i < 4; i++)
		bufs[i] = acquire_ok(pool);
	/* buffers out are never trimmed */
	ck_assert_int_eq(cmabuf_pool_trim(pool, 0), 0);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(cmabuf_pool_release(pool, bufs[i], -1), 0);
	ck_assert_int_eq(cmabuf_pool_trim(pool, 3600 * 1000), 0);
	ck_assert_int_eq(cmabuf_pool_trim(pool, 0), 3);
	st = stats_of(pool);
	ck_assert_uint_eq(st.total, 1);
	ck_assert_uint_eq(st.frees, 3);
	/* and the pool grows again after a trim */
	for (i = 0; i < 4; i++)
		bufs[i] = acquire_ok(pool);
	ck_assert_uint_eq(stats_of(pool).allocations, 7);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(cmabuf_pool_release(pool, bufs[i], -1), 0);
	cmabuf_pool_unref(pool);
}
END_TEST

struct waiter {
	struct cmabuf_pool *pool;
	struct cmabuf *got;
	int timeout_ms;
	int ret;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;

	w->ret = cmabuf_pool_acquire_timeout(w->pool, w->timeout_ms, &w->got);
	return NULL;
}

/* wait (without a time limit) until a thread blocks in acquire */
static void wait_for_waiter(struct cmabuf_pool *pool, uint64_t waits)
{
	while (stats_of(pool).waits < waits)
		usleep(1000);
}

START_TEST(test_blocking_acquire_woken_by_release)
{
	struct cmabuf_pool *pool = pool_new(65536, 1, 1, 0);
	struct waiter w = { .pool = pool, .timeout_ms = -1 };
	struct cmabuf *a = acquire_ok(pool);
	pthread_t t;

	ck_assert_int_eq(pthread_create(&t, NULL, waiter_main, &w), 0);
	wait_for_waiter(pool, 1);
	ck_assert_int_eq(cmabuf_pool_release(pool, a, -1), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(w.ret, 0);
	ck_assert_ptr_eq(w.got, a);
	ck_assert_int_eq(cmabuf_pool_release(pool, w.got, -1), 0);
	cmabuf_pool_unref(pool);
}
END_TEST

/* ---- fences from a sw_sync timeline ---- */

START_TEST(test_explicit_fence_gates_reuse)
{
	struct cmabuf_pool *pool = pool_new(65536, 1, 1, 0);
	struct cmabuf *a = acquire_ok(pool), *b = NULL;
	int tl = tu_sw_sync_timeline(), fence = tu_sw_sync_fence(tl, 1);
	int fds_with_fence = tu_fd_count();

	ck_assert_int_eq(cmabuf_pool_release(pool, a, fence), 0);
	/* the pool took the fence: still open, not ours any more */
	ck_assert_int_eq(tu_fd_count(), fds_with_fence);
	ck_assert_uint_eq(stats_of(pool).fenced, 1);
	ck_assert_int_eq(cmabuf_pool_acquire(pool, &b), -EAGAIN);
	ck_assert_int_eq(cmabuf_pool_acquire_timeout(pool, 20, &b),
			 -ETIMEDOUT);
	ck_assert_ptr_null(b);
	ck_assert_uint_gt(stats_of(pool).fence_waits, 0);
	tu_sw_sync_inc(tl, 1);
	b = acquire_ok(pool);
	ck_assert_ptr_eq(a, b);
	/* the signalled fence was closed */
	ck_assert_int_eq(tu_fd_count(), fds_with_fence - 1);
	ck_assert_uint_eq(stats_of(pool).fenced, 0);
	ck_assert_int_eq(cmabuf_pool_release(pool, b, -1), 0);
	cmabuf_pool_unref(pool);
	close(tl);
}
END_TEST

START_TEST(test_fenced_buffer_skipped_for_a_new_one)
{
	struct cmabuf_pool *pool = pool_new(65536, 1, 2, 0);
	struct cmabuf *a = acquire_ok(pool), *b, *c;
	int tl = tu_sw_sync_timeline();

	ck_assert_int_eq(cmabuf_pool_release(pool, a, tu_sw_sync_fence(tl, 1)), 0);
	b = acquire_ok(pool);
	ck_assert_ptr_ne(a, b);
	ck_assert_uint_eq(stats_of(pool).misses, 1);
	ck_assert_int_eq(cmabuf_pool_release(pool, b, -1), 0);
	/* b, released later and unfenced, is preferred; then a waits */
	c = acquire_ok(pool);
	ck_assert_ptr_eq(c, b);
	ck_assert_int_eq(cmabuf_pool_acquire(pool, &b), -EAGAIN);
	tu_sw_sync_inc(tl, 1);
	b = acquire_ok(pool);
	ck_assert_ptr_eq(b, a);
	ck_assert_int_eq(cmabuf_pool_release(pool, b, -1), 0);
	ck_assert_int_eq(cmabuf_pool_release(pool, c, -1), 0);
	cmabuf_pool_unref(pool);
	close(tl);
}
END_TEST

static void *signal_later(void *arg)
{
	int tl = *(int *)arg;
	__u32 one = 1;

	usleep(20000);
	return (void *)(long)ioctl(tl, SW_SYNC_IOC_INC, &one);
}

START_TEST(test_blocking_acquire_woken_by_fence)
{
	struct cmabuf_pool *pool = pool_new(65536, 1, 1, 0);
	struct cmabuf *a = acquire_ok(pool), *b = NULL;
	int tl = tu_sw_sync_timeline();
	pthread_t t;
	void *res;

	ck_assert_int_eq(cmabuf_pool_release(pool, a, tu_sw_sync_fence(tl, 1)), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, signal_later, &tl), 0);
	ck_assert_int_eq(cmabuf_pool_acquire_timeout(pool, -1, &b), 0);
	ck_assert_ptr_eq(b, a);
	ck_assert_int_eq(pthread_join(t, &res), 0);
	ck_assert_ptr_null(res);
	ck_assert_int_eq(cmabuf_pool_release(pool, b, -1), 0);
	cmabuf_pool_unref(pool);
	close(tl);
}
END_TEST

START_TEST(test_implicit_fence_gates_reuse)
{
	struct cmabuf_pool *pool = pool_new(65536, 1, 1,
					    CMABUF_POOL_IMPLICIT_FENCES);
	struct cmabuf *a = acquire_ok(pool), *b = NULL;
	int tl = tu_sw_sync_timeline(), fence = tu_sw_sync_fence(tl, 1);

	/* a pending GPU-style write: the fence joins the reservation */
	ck_assert_int_eq(cmabuf_import_sync_file(a, CMABUF_SYNC_WRITE, fence),
			 0);
	close(fence);
	ck_assert_int_eq(cmabuf_pool_release(pool, a, -1), 0);
	ck_assert_uint_eq(stats_of(pool).fenced, 1);
	ck_assert_int_eq(cmabuf_pool_acquire(pool, &b), -EAGAIN);
	tu_sw_sync_inc(tl, 1);
	b = acquire_ok(pool);
	ck_assert_ptr_eq(a, b);
	ck_assert_int_eq(cmabuf_pool_release(pool, b, -1), 0);
	/* with no pending fence the release leaves the buffer ready */
	ck_assert_uint_eq(stats_of(pool).fenced, 0);
	cmabuf_pool_unref(pool);
	close(tl);
}
END_TEST

START_TEST(test_pool_freed_with_pending_fence)
{
	struct cmabuf_pool *pool = pool_new(65536, 1, 1, 0);
	struct cmabuf *a = acquire_ok(pool);
	int tl = tu_sw_sync_timeline();

	ck_assert_int_eq(cmabuf_pool_release(pool, a, tu_sw_sync_fence(tl, 5)), 0);
	/* the teardown's descriptor count proves the fence was closed */
	cmabuf_pool_unref(pool);
	close(tl);
}
END_TEST

/* ---- 8 threads ---- */

#define THREADS 8
#define ROUNDS 150
#define POOL_MAX 3

struct shared {
	struct cmabuf_pool *pool;
	struct cmabuf *owned[POOL_MAX * 2];	/* buffers ever seen */
	int owner[POOL_MAX * 2];		/* thread id + 1, 0: free */
	pthread_mutex_t lock;
	int errors;
};

static int slot_for(struct shared *sh, struct cmabuf *buf)
{
	int i;

	for (i = 0; i < POOL_MAX * 2; i++) {
		if (sh->owned[i] == buf)
			return i;
		if (!sh->owned[i]) {
			sh->owned[i] = buf;
			return i;
		}
	}
	return -1;
}

struct worker {
	struct shared *sh;
	int id;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	int r;

	for (r = 0; r < ROUNDS; r++) {
		struct cmabuf *buf = NULL;
		unsigned char *p = NULL;
		int i, bad = 0;

		if (cmabuf_pool_acquire_timeout(sh->pool, -1, &buf) < 0) {
			bad = 1;
			goto count;
		}
		pthread_mutex_lock(&sh->lock);
		i = slot_for(sh, buf);
		if (i < 0 || sh->owner[i] != 0)
			bad = 1;	/* unknown buffer or handed out twice */
		else
			sh->owner[i] = w->id + 1;
		pthread_mutex_unlock(&sh->lock);
		if (cmabuf_map(buf, CMABUF_MAP_RW, (void **)&p) == 0) {
			p[r] = (unsigned char)w->id;
			bad |= p[r] != (unsigned char)w->id;
			cmabuf_unmap(buf);
		} else {
			bad = 1;
		}
		if (i >= 0) {
			pthread_mutex_lock(&sh->lock);
			if (sh->owner[i] != w->id + 1)
				bad = 1;
			sh->owner[i] = 0;
			pthread_mutex_unlock(&sh->lock);
		}
		if (cmabuf_pool_release(sh->pool, buf, -1) < 0)
			bad = 1;
count:
		if (bad)
			__atomic_add_fetch(&sh->errors, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

START_TEST(test_eight_threads_share_a_pool)
{
	struct shared sh = { .pool = pool_new(65536, 0, POOL_MAX, 0) };
	struct worker w[THREADS];
	struct cmabuf_pool_stats st;
	pthread_t t[THREADS];
	int i;

	pthread_mutex_init(&sh.lock, NULL);
	for (i = 0; i < THREADS; i++) {
		w[i].sh = &sh;
		w[i].id = i;
		ck_assert_int_eq(pthread_create(&t[i], NULL, worker_main,
						&w[i]), 0);
	}
	for (i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	ck_assert_int_eq(sh.errors, 0);
	st = stats_of(sh.pool);
	ck_assert_uint_eq(st.hits + st.misses, THREADS * ROUNDS);
	ck_assert_uint_le(st.allocations, POOL_MAX);
	ck_assert_uint_le(st.high_water, POOL_MAX);
	ck_assert_uint_ge(st.high_water, 1);
	ck_assert_uint_eq(st.in_use, 0);
	for (i = 0; i < POOL_MAX * 2; i++)
		ck_assert(i < POOL_MAX || sh.owned[i] == NULL);
	pthread_mutex_destroy(&sh.lock);
	cmabuf_pool_unref(sh.pool);
}
END_TEST

static Suite *pool_suite(void)
{
	Suite *s = suite_create("vm-pool");
	TCase *tc = tcase_create("pool");
	TCase *fc = tcase_create("fences");
	TCase *mt = tcase_create("threads");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_preallocates_min_and_recycles);
	tcase_add_test(tc, test_grows_to_max_then_eagain);
	tcase_add_test(tc, test_release_misuse);
	tcase_add_test(tc, test_buffer_outlives_pool);
	tcase_add_test(tc, test_trim_keeps_min_and_recent);
	tcase_add_test(tc, test_blocking_acquire_woken_by_release);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(fc, setup, teardown);
	tcase_set_timeout(fc, 300);
	tcase_add_test(fc, test_explicit_fence_gates_reuse);
	tcase_add_test(fc, test_fenced_buffer_skipped_for_a_new_one);
	tcase_add_test(fc, test_blocking_acquire_woken_by_fence);
	tcase_add_test(fc, test_implicit_fence_gates_reuse);
	tcase_add_test(fc, test_pool_freed_with_pending_fence);
	suite_add_tcase(s, fc);

	tcase_add_checked_fixture(mt, setup, teardown);
	tcase_set_timeout(mt, 600);
	tcase_add_test(mt, test_eight_threads_share_a_pool);
	suite_add_tcase(s, mt);
	return s;
}

int main(void)
{
	if (tu_missing_cma())
		return tu_cannot_run(tu_missing_cma());
	return tu_run(pool_suite());
}
