// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Image pools and image-level CPU access on a real kernel (run in the
 * test VM): stable indices, images keeping their buffers, fences (the
 * explicit one taken in every case, the implicit ones of the second
 * plane's buffer), trimming; plane pointers with offsets applied, each
 * distinct buffer mapped and bracketed once, and all or nothing when a
 * buffer fails half-way (a narrower mapping, a closed descriptor).
 * And a heap alias as Raspberry Pi OS makes it (vidbuf_cached → the CMA
 * heap, linked in /dev/dma_heap before the suite runs, in the guest
 * only) finds the same CMA area as the heap it stands for.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <drm_fourcc.h>

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

static struct cmabuf_layout nv12(unsigned int flags)
{
	struct cmabuf_layout l;

	ck_assert_int_eq(cmabuf_layout_init(&l, DRM_FORMAT_NV12, 320, 240, 0,
					    flags), 0);
	return l;
}

static struct cmabuf_image_pool *pool_new(unsigned int flags,
					  unsigned int min, unsigned int max,
					  unsigned int pool_flags)
{
	struct cmabuf_layout l = nv12(flags);
	struct cmabuf_image_pool *pool = NULL;

	ck_assert_int_eq(cmabuf_image_pool_new(heap, &l, min, max, pool_flags,
					       &pool), 0);
	ck_assert_ptr_nonnull(pool);
	return pool;
}

static struct cmabuf_image *acquire_ok(struct cmabuf_image_pool *pool)
{
	struct cmabuf_image *img = NULL;

	ck_assert_int_eq(cmabuf_image_pool_acquire(pool, &img), 0);
	ck_assert_ptr_nonnull(img);
	return img;
}

static struct cmabuf_pool_stats stats_of(struct cmabuf_image_pool *pool)
{
	struct cmabuf_pool_stats st;

	ck_assert_int_eq(cmabuf_image_pool_get_stats(pool, &st), 0);
	return st;
}

/* ---- image pools ---- */

START_TEST(test_pool_indices_are_stable)
{
	struct cmabuf_image_pool *pool = pool_new(_i ? CMABUF_IMAGE_PER_PLANE
						  : 0, 2, 3, 0);
	struct cmabuf_image *img[3], *again;
	struct cmabuf *buf0[3];
	unsigned int i, round;
	int seen = 0;

	ck_assert_uint_eq(stats_of(pool).allocations, 2);
	ck_assert_uint_eq(cmabuf_image_pool_get_layout(pool)->width, 320);
	for (i = 0; i < 3; i++) {
		img[i] = acquire_ok(pool);
		ck_assert_uint_eq(cmabuf_image_get_num_buffers(img[i]),
				  _i ? 2 : 1);
		seen |= 1 << cmabuf_image_get_index(img[i]);
		buf0[i] = cmabuf_image_get_buffer(img[i], 0);
	}
	ck_assert_int_eq(seen, 7);	/* 0, 1, 2: each once */
	ck_assert_int_eq(cmabuf_image_pool_acquire(pool, &again), -EAGAIN);
	ck_assert_int_eq(cmabuf_image_pool_acquire_timeout(pool, 10, &again),
			 -ETIMEDOUT);
	/* whatever comes back, its index names the same buffers */
	for (round = 0; round < 20; round++) {
		i = round % 3;
		ck_assert_int_eq(cmabuf_image_pool_release(pool, img[i], -1),
				 0);
		again = acquire_ok(pool);
		ck_assert_ptr_eq(again, img[i]);	/* recycled, not new */
		ck_assert_ptr_eq(cmabuf_image_get_buffer(again, 0), buf0[i]);
	}
	ck_assert_uint_eq(stats_of(pool).allocations, 3);
	ck_assert_uint_eq(stats_of(pool).in_use, 3);
	/* an image outlives the pool with its index and its buffers */
	for (i = 1; i < 3; i++)
		ck_assert_int_eq(cmabuf_image_pool_release(pool, img[i], -1),
				 0);
	ck_assert_ptr_null(cmabuf_image_pool_unref(pool));
	ck_assert_int_ge(cmabuf_image_get_index(img[0]), 0);
	ck_assert_ptr_eq(cmabuf_image_get_buffer(img[0], 0), buf0[0]);
	cmabuf_image_unref(img[0]);
}
END_TEST

START_TEST(test_pool_ref_and_trim)
{
	struct cmabuf_image_pool *pool = pool_new(0, 1, 3, 0);
	struct cmabuf_image *a = acquire_ok(pool), *b = acquire_ok(pool);
	struct cmabuf_image *c = acquire_ok(pool);

	ck_assert_ptr_eq(cmabuf_image_pool_ref(pool), pool);
	ck_assert_ptr_null(cmabuf_image_pool_unref(pool));	/* one left */
	ck_assert_int_eq(cmabuf_image_pool_release(pool, a, -1), 0);
	ck_assert_int_eq(cmabuf_image_pool_release(pool, b, -1), 0);
	ck_assert_int_eq(cmabuf_image_pool_release(pool, c, -1), 0);
	/* trim keeps min images */
	ck_assert_int_eq(cmabuf_image_pool_trim(pool, 0), 2);
	ck_assert_uint_eq(stats_of(pool).total, 1);
	ck_assert_uint_eq(stats_of(pool).frees, 2);
	ck_assert_ptr_null(cmabuf_image_pool_unref(pool));
}
END_TEST

START_TEST(test_pool_release_errors_take_the_fence)
{
	struct cmabuf_image_pool *pool = pool_new(0, 1, 1, 0);
	struct cmabuf_image *img = acquire_ok(pool), *foreign = NULL;
	int tl = tu_sw_sync_timeline();
	int fds = tu_fd_count();

	ck_assert_int_eq(cmabuf_image_alloc(heap, DRM_FORMAT_NV12, 320, 240,
					    0, 0, &foreign), 0);
	ck_assert_int_eq(cmabuf_image_get_index(foreign), -ENOENT);
	fds = tu_fd_count();
	tu_log_reset();
	ck_assert_int_eq(cmabuf_image_pool_release(pool, foreign,
			 tu_sw_sync_fence(tl, 1)), -EINVAL);
	ck_assert(tu_log_contains("release of an image not from this pool"));
	ck_assert_int_eq(tu_fd_count(), fds);	/* the fence was closed */
	ck_assert_int_eq(cmabuf_image_pool_release(NULL, img,
			 tu_sw_sync_fence(tl, 1)), -EINVAL);
	ck_assert_int_eq(tu_fd_count(), fds);
	ck_assert_int_eq(cmabuf_image_pool_release(pool, img, -7), -EBADF);
	ck_assert_int_eq(cmabuf_image_pool_release(pool, img,
			 tu_sw_sync_fence(tl, 1)), 0);
	ck_assert_int_eq(cmabuf_image_pool_release(pool, img, -1), -EINVAL);
	ck_assert(tu_log_contains("already released"));
	/* the explicit fence gates the image */
	ck_assert_uint_eq(stats_of(pool).fenced, 1);
	ck_assert_int_eq(cmabuf_image_pool_acquire(pool, &img), -EAGAIN);
	tu_sw_sync_inc(tl, 1);
	img = acquire_ok(pool);
	ck_assert_int_eq(cmabuf_image_pool_release(pool, img, -1), 0);
	cmabuf_image_unref(foreign);
	cmabuf_image_pool_unref(pool);
	close(tl);
}
END_TEST

/* a fence on the chroma plane's buffer alone holds the whole image */
START_TEST(test_pool_implicit_fence_of_any_buffer)
{
	struct cmabuf_image_pool *pool = pool_new(CMABUF_IMAGE_PER_PLANE, 1,
						  1,
						  CMABUF_POOL_IMPLICIT_FENCES);
	struct cmabuf_image *img = acquire_ok(pool), *again = NULL;
	int tl = tu_sw_sync_timeline(), fence = tu_sw_sync_fence(tl, 1);

	ck_assert_int_eq(cmabuf_import_sync_file(cmabuf_image_get_buffer(img,
			 1), CMABUF_SYNC_WRITE, fence), 0);
	close(fence);
	ck_assert_int_eq(cmabuf_image_pool_release(pool, img, -1), 0);
	ck_assert_uint_eq(stats_of(pool).fenced, 1);
	ck_assert_int_eq(cmabuf_image_pool_acquire(pool, &again), -EAGAIN);
	tu_sw_sync_inc(tl, 1);
	again = acquire_ok(pool);
	ck_assert_ptr_eq(again, img);
	ck_assert_int_eq(cmabuf_image_pool_release(pool, again, -1), 0);
	cmabuf_image_pool_unref(pool);
	close(tl);
}
END_TEST

/* ---- image map and sync ---- */

START_TEST(test_map_planes_with_offsets)
{
	struct cmabuf_layout l = nv12(_i ? CMABUF_IMAGE_PER_PLANE : 0);
	struct cmabuf_image *img = NULL;
	void *planes[CMABUF_MAX_PLANES], *again[CMABUF_MAX_PLANES];
	uint8_t *base = NULL;
	struct cmabuf *b0;

	ck_assert_int_eq(cmabuf_image_alloc_layout(heap, &l, &img), 0);
	ck_assert_int_eq(cmabuf_image_map(img, CMABUF_MAP_RW, planes), 0);
	ck_assert_ptr_null(planes[2]);
	ck_assert_ptr_null(planes[3]);
	ck_assert_int_eq(cmabuf_image_sync_begin(img, CMABUF_SYNC_WRITE), 0);
	memset(planes[0], 0x10, l.planes[0].size);
	memset(planes[1], 0x80, l.planes[1].size);
	ck_assert_int_eq(cmabuf_image_sync_end(img, CMABUF_SYNC_WRITE), 0);
	/* one mapping per buffer, counted: a second map is the same */
	b0 = cmabuf_image_get_buffer(img, 0);
	ck_assert_int_eq(cmabuf_map(b0, CMABUF_MAP_READ, (void **)&base), 0);
	ck_assert_ptr_eq(planes[0], base + l.planes[0].offset);
	if (!_i)
		ck_assert_ptr_eq(planes[1], base + l.planes[1].offset);
	ck_assert_int_eq(cmabuf_image_map(img, CMABUF_MAP_READ, again), 0);
	ck_assert_ptr_eq(again[1], planes[1]);
	ck_assert_int_eq(cmabuf_image_sync_begin(img, CMABUF_SYNC_READ), 0);
	ck_assert_uint_eq(base[l.planes[0].offset], 0x10);
	ck_assert_uint_eq(((uint8_t *)again[1])[l.planes[1].size - 1], 0x80);
	ck_assert_int_eq(cmabuf_image_sync_end(img, CMABUF_SYNC_READ), 0);
	ck_assert_int_eq(cmabuf_image_unmap(img), 0);
	ck_assert_int_eq(cmabuf_image_unmap(img), 0);
	/* the image's unmaps never take cmabuf_map()'s count */
	tu_log_reset();
	ck_assert_int_eq(cmabuf_image_unmap(img), -EINVAL);
	ck_assert(tu_log_contains("unmap of an image not mapped"));
	ck_assert_uint_eq(base[0], 0x10);	/* still mapped: ours */
	ck_assert_int_eq(cmabuf_unmap(b0), 0);
	ck_assert_int_eq(cmabuf_unmap(b0), -EINVAL);
	/* an end without a begin is refused, as cmabuf_sync_end() does */
	ck_assert_int_eq(cmabuf_image_sync_end(img, CMABUF_SYNC_READ),
			 -EINVAL);
	cmabuf_image_unref(img);
}
END_TEST

/* one buffer given for both planes: mapped and bracketed once */
START_TEST(test_shared_buffer_counted_once)
{
	struct cmabuf_layout l = nv12(CMABUF_IMAGE_PER_PLANE);
	struct cmabuf *buf = NULL, *bufs[2];
	struct cmabuf_image *img = NULL;
	void *planes[CMABUF_MAX_PLANES];

	ck_assert_int_eq(cmabuf_alloc(heap, l.planes[0].size, 0, &buf), 0);
	bufs[0] = bufs[1] = buf;
	ck_assert_int_eq(cmabuf_image_new(&l, bufs, 2, &img), 0);
	ck_assert_int_eq(cmabuf_image_map(img, CMABUF_MAP_RW, planes), 0);
	ck_assert_ptr_eq(planes[0], planes[1]);
	ck_assert_int_eq(cmabuf_image_sync_begin(img, CMABUF_SYNC_RW), 0);
	ck_assert_int_eq(cmabuf_image_sync_end(img, CMABUF_SYNC_RW), 0);
	/* one bracket was opened and closed: none is left */
	ck_assert_int_eq(cmabuf_sync_end(buf, CMABUF_SYNC_RW), -EINVAL);
	ck_assert_int_eq(cmabuf_image_unmap(img), 0);
	/* one mapping was made and undone: none is left */
	ck_assert_int_eq(cmabuf_unmap(buf), -EINVAL);
	cmabuf_image_unref(img);
	cmabuf_unref(buf);
}
END_TEST

/*
 * Buffer 1 fails after buffer 0 succeeded: mapped read-only already
 * (cmabuf_map cannot widen: -EBUSY), or its descriptor was closed (the
 * kernel answers EBADF). Buffer 0 must be unmapped and its bracket
 * closed again.
 */
START_TEST(test_all_or_nothing)
{
	struct cmabuf_layout l = nv12(CMABUF_IMAGE_PER_PLANE);
	struct cmabuf_image *img = NULL;
	void *planes[CMABUF_MAX_PLANES], *p = NULL;
	struct cmabuf *b0, *b1;
	int fd1, saved;

	ck_assert_int_eq(cmabuf_image_alloc_layout(heap, &l, &img), 0);
	b0 = cmabuf_image_get_buffer(img, 0);
	b1 = cmabuf_image_get_buffer(img, 1);
	ck_assert_int_eq(cmabuf_map(b1, CMABUF_MAP_READ, &p), 0);
	ck_assert_int_eq(cmabuf_image_map(img, CMABUF_MAP_RW, planes),
			 -EBUSY);
	ck_assert_int_eq(cmabuf_unmap(b0), -EINVAL);	/* undone */
	ck_assert_int_eq(cmabuf_unmap(b1), 0);
	ck_assert_int_eq(cmabuf_image_unmap(img), -EINVAL);

	fd1 = cmabuf_get_fd(b1);
	saved = dup(fd1);
	close(fd1);
	ck_assert_int_eq(cmabuf_image_sync_begin(img, CMABUF_SYNC_WRITE),
			 -EBADF);
	ck_assert(tu_log_contains("the brackets before it closed again"));
	ck_assert_int_eq(cmabuf_sync_end(b0, CMABUF_SYNC_WRITE), -EINVAL);
	ck_assert_int_eq(cmabuf_image_map(img, CMABUF_MAP_RW, planes),
			 -EBADF);
	ck_assert_int_eq(cmabuf_unmap(b0), -EINVAL);
	ck_assert_int_eq(dup2(saved, fd1), fd1);
	close(saved);
	/* whole again: the same calls succeed */
	ck_assert_int_eq(cmabuf_image_sync_begin(img, CMABUF_SYNC_WRITE), 0);
	ck_assert_int_eq(cmabuf_image_sync_end(img, CMABUF_SYNC_WRITE), 0);
	cmabuf_image_unref(img);
}
END_TEST

START_TEST(test_bad_flags)
{
	struct cmabuf_image *img = NULL;
	void *planes[CMABUF_MAX_PLANES];

	ck_assert_int_eq(cmabuf_image_alloc(heap, DRM_FORMAT_NV12, 64, 64, 0,
					    0, &img), 0);
	tu_log_reset();
	ck_assert_int_eq(cmabuf_image_map(img, 0, planes), -EINVAL);
	ck_assert_int_eq(cmabuf_image_map(img, 0x10 | CMABUF_MAP_READ,
					  planes), -EINVAL);
	ck_assert_int_eq(cmabuf_image_map(img, CMABUF_MAP_READ, NULL),
			 -EINVAL);
	ck_assert(tu_log_contains("client bug: bad image map arguments"));
	ck_assert_int_eq(cmabuf_image_sync_begin(img, 0), -EINVAL);
	ck_assert_int_eq(cmabuf_image_sync_begin(img, 4), -EINVAL);
	ck_assert_int_eq(cmabuf_image_sync_end(img, 0), -EINVAL);
	ck_assert(tu_log_contains("client bug: bad image sync flags"));
	cmabuf_image_unref(img);
}
END_TEST

/* ---- an alias of the CMA heap (vidbuf_cached) ---- */

#define ALIAS_NAME "vidbuf_cached"

START_TEST(test_alias_finds_the_area)
{
	struct cmabuf_heap *alias = NULL;
	struct cmabuf_diagnosis *d = NULL;
	struct cmabuf_stats *st = NULL;
	uint64_t free_h = 0, free_a = 1, run_h = 0, run_a = 1;
	const char *area_h = NULL, *area_a = NULL;
	size_t i;

	ck_assert_int_eq(cmabuf_heap_open(ctx, ALIAS_NAME, 0, &alias), 0);
	ck_assert_str_eq(cmabuf_heap_get_alias_of(alias),
			 cmabuf_heap_get_name(heap));
	/* nothing allocates in between: the same area reads the same */
	ck_assert_int_eq(cmabuf_heap_get_cma_free(heap, &free_h), 0);
	ck_assert_int_eq(cmabuf_heap_get_cma_free(alias, &free_a), 0);
	ck_assert_uint_eq(free_a, free_h);
	ck_assert_int_eq(cmabuf_heap_get_cma_largest_free(heap, &run_h), 0);
	ck_assert_int_eq(cmabuf_heap_get_cma_largest_free(alias, &run_a), 0);
	ck_assert_uint_eq(run_a, run_h);
	ck_assert_int_eq(cmabuf_alloc_diagnose(ctx, alias, (size_t)free_h * 2,
					       -ENOMEM, &d), 0);
	ck_assert_msg(cmabuf_diagnosis_get_reason(d) == CMABUF_DIAG_EXHAUSTED,
		      "%s", cmabuf_diagnosis_get_message(d));
	ck_assert_ptr_nonnull(strstr(cmabuf_diagnosis_get_message(d),
				     tu_cma_area_name()));
	cmabuf_diagnosis_unref(d);
	ck_assert_int_eq(cmabuf_stats_read(ctx, CMABUF_STATS_CMA |
					   CMABUF_STATS_HEAPS, &st), 0);
	for (i = 0; i < cmabuf_stats_get_heap_count(st); i++) {
		const char *name = cmabuf_stats_heap_get_name(st, i);

		if (strcmp(name, ALIAS_NAME) == 0)
			area_a = cmabuf_stats_heap_get_area(st, i);
		else if (strcmp(name, cmabuf_heap_get_name(heap)) == 0)
			area_h = cmabuf_stats_heap_get_area(st, i);
	}
	ck_assert_ptr_nonnull(area_h);
	ck_assert_msg(area_a && strcmp(area_a, area_h) == 0,
		      "heap table: %s has area %s, %s has %s", ALIAS_NAME,
		      area_a ? area_a : "(none)", cmabuf_heap_get_name(heap),
		      area_h);
	cmabuf_stats_unref(st);
	cmabuf_heap_unref(alias);
}
END_TEST

/*
 * In the guest: /dev/dma_heap/vidbuf_cached → the CMA heap, as Raspberry
 * Pi OS's udev rule makes it (→ linux,cma on arm64; → reserved or
 * default_cma_region on x86), removed again at the end. Never on a real
 * machine's /dev.
 */
static bool made_alias;

static bool make_alias(void)
{
	struct stat st;

	if (!getenv("CMABUF_VM"))
		return lstat("/dev/dma_heap/" ALIAS_NAME, &st) == 0;
	if (lstat("/dev/dma_heap/" ALIAS_NAME, &st) == 0)
		return true;
	if (symlink(tu_cma_heap_name(), "/dev/dma_heap/" ALIAS_NAME) < 0) {
		perror("symlink /dev/dma_heap/" ALIAS_NAME);
		return false;
	}
	made_alias = true;
	return true;
}

static Suite *image_suite(bool alias)
{
	Suite *s = suite_create("vm-image");
	TCase *pool = tcase_create("image-pool");
	TCase *access = tcase_create("image-access");

	tcase_add_checked_fixture(pool, setup, teardown);
	tcase_add_loop_test(pool, test_pool_indices_are_stable, 0, 2);
	tcase_add_test(pool, test_pool_ref_and_trim);
	tcase_add_test(pool, test_pool_release_errors_take_the_fence);
	tcase_add_test(pool, test_pool_implicit_fence_of_any_buffer);
	suite_add_tcase(s, pool);
	tcase_add_checked_fixture(access, setup, teardown);
	tcase_add_loop_test(access, test_map_planes_with_offsets, 0, 2);
	tcase_add_test(access, test_shared_buffer_counted_once);
	tcase_add_test(access, test_all_or_nothing);
	tcase_add_test(access, test_bad_flags);
	suite_add_tcase(s, access);
	if (alias) {
		TCase *tc = tcase_create("alias-area");

		tcase_add_checked_fixture(tc, setup, teardown);
		tcase_add_test(tc, test_alias_finds_the_area);
		suite_add_tcase(s, tc);
	}
	return s;
}

int main(void)
{
	bool alias;
	int ret;

	if (tu_missing_cma())
		return tu_cannot_run(tu_missing_cma());
	alias = make_alias();
	/* in the guest the alias is part of the suite: it must be there */
	if (getenv("CMABUF_VM") && !alias)
		return tu_cannot_run("cannot link " ALIAS_NAME);
	ret = tu_run(image_suite(alias));
	/* the suites after this one in the same boot see the guest's /dev */
	if (made_alias)
		unlink("/dev/dma_heap/" ALIAS_NAME);
	return ret;
}
