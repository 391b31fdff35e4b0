// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Heap discovery on heap directories laid out like each kernel's: the
 * default CMA heap's name, legacy aliases, per-region heaps, fallbacks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static struct cmabuf_ctx *ctx_on_tree(const char *const *files, char **dir)
{
	struct cmabuf_ctx *ctx = tu_ctx_new();

	*dir = tu_make_tree(files);
	ck_assert_int_eq(cmabuf_ctx_set_sysroot(ctx, *dir), 0);
	tu_log_reset();
	return ctx;
}

static void assert_default_heap(const char *const *files, const char *name,
				enum cmabuf_heap_kind kind, unsigned int flags)
{
	struct cmabuf_heap *heap = NULL;
	struct cmabuf_ctx *ctx;
	char *dir, path[4096];

	ctx = ctx_on_tree(files, &dir);
	ck_assert_int_eq(cmabuf_heap_open(ctx, NULL, 0, &heap), 0);
	ck_assert_str_eq(cmabuf_heap_get_name(heap), name);
	ck_assert_int_eq(cmabuf_heap_get_kind(heap), kind);
	ck_assert_uint_eq(cmabuf_heap_get_flags(heap), flags);
	snprintf(path, sizeof(path), "%s/dev/dma_heap/%s", dir, name);
	ck_assert_str_eq(cmabuf_heap_get_path(heap), path);
	ck_assert_ptr_eq(cmabuf_heap_get_ctx(heap), ctx);
	ck_assert_ptr_null(cmabuf_heap_unref(heap));
	cmabuf_ctx_unref(ctx);
	tu_remove_tree(dir);
}

#define CMA_FLAGS (CMABUF_HEAP_CONTIGUOUS | CMABUF_HEAP_CACHED)

START_TEST(test_default_6_1)
{
	static const char *const tree[] = {
		"dev/dma_heap/reserved", "dev/dma_heap/system",
		"sys/kernel/mm/cma/reserved/", NULL,
	};

	unsetenv("CMABUF_HEAP");
	assert_default_heap(tree, "reserved", CMABUF_HEAP_KIND_CMA, CMA_FLAGS);
}
END_TEST

START_TEST(test_default_7_x_prefers_new_name)
{
	static const char *const tree[] = {
		"dev/dma_heap/default_cma_region", "dev/dma_heap/reserved",
		"dev/dma_heap/system", "sys/kernel/mm/cma/reserved/", NULL,
	};

	unsetenv("CMABUF_HEAP");
	assert_default_heap(tree, "default_cma_region", CMABUF_HEAP_KIND_CMA,
			    CMA_FLAGS);
}
END_TEST

START_TEST(test_default_device_tree_name)
{
	static const char *const tree[] = {
		"dev/dma_heap/linux,cma", "dev/dma_heap/system", NULL,
	};

	unsetenv("CMABUF_HEAP");
	assert_default_heap(tree, "linux,cma", CMABUF_HEAP_KIND_CMA, CMA_FLAGS);
}
END_TEST

START_TEST(test_default_per_region_heap)
{
	/* 6.19+: a reusable region's heap named after its CMA area */
	static const char *const tree[] = {
		"dev/dma_heap/camera", "dev/dma_heap/system",
		"dev/dma_heap/zzz-vendor", "sys/kernel/mm/cma/camera/", NULL,
	};

	unsetenv("CMABUF_HEAP");
	assert_default_heap(tree, "camera", CMABUF_HEAP_KIND_CMA, CMA_FLAGS);
}
END_TEST

START_TEST(test_enumerate_collapses_legacy_alias)
{
	static const char *const tree[] = {
		"dev/dma_heap/default_cma_region", "dev/dma_heap/reserved",
		"dev/dma_heap/system", "dev/dma_heap/vendor",
		"sys/kernel/mm/cma/reserved/", NULL,
	};
	struct cmabuf_heap *heaps[8] = { 0 };
	struct cmabuf_ctx *ctx;
	size_t n = 0, i;
	char *dir;

	ctx = ctx_on_tree(tree, &dir);
	ck_assert_int_eq(cmabuf_heap_enumerate(ctx, 0, heaps, 8, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(cmabuf_heap_get_name(heaps[0]), "default_cma_region");
	ck_assert_int_eq(cmabuf_heap_get_kind(heaps[0]), CMABUF_HEAP_KIND_CMA);
	ck_assert_str_eq(cmabuf_heap_get_name(heaps[1]), "system");
	ck_assert_int_eq(cmabuf_heap_get_kind(heaps[1]),
			 CMABUF_HEAP_KIND_SYSTEM);
	ck_assert_uint_eq(cmabuf_heap_get_flags(heaps[1]), CMABUF_HEAP_CACHED);
	ck_assert_str_eq(cmabuf_heap_get_name(heaps[2]), "vendor");
	ck_assert_int_eq(cmabuf_heap_get_kind(heaps[2]), CMABUF_HEAP_KIND_OTHER);
	ck_assert_uint_eq(cmabuf_heap_get_flags(heaps[2]), 0);
	for (i = 0; i < n; i++)
		cmabuf_heap_unref(heaps[i]);

	ck_assert_int_eq(cmabuf_heap_enumerate(ctx, CMABUF_ENUM_ALIASES, heaps,
					       8, &n), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(cmabuf_heap_get_name(heaps[1]), "reserved");
	ck_assert_uint_eq(cmabuf_heap_get_flags(heaps[1]),
			  CMA_FLAGS | CMABUF_HEAP_ALIAS);
	for (i = 0; i < n; i++)
		cmabuf_heap_unref(heaps[i]);
	cmabuf_ctx_unref(ctx);
	tu_remove_tree(dir);
}
END_TEST

START_TEST(test_enumerate_counts_beyond_max)
{
	static const char *const tree[] = {
		"dev/dma_heap/reserved", "dev/dma_heap/system", NULL,
	};
	struct cmabuf_heap *heaps[1] = { 0 };
	struct cmabuf_ctx *ctx;
	size_t n = 0;
	char *dir;

	ctx = ctx_on_tree(tree, &dir);
	ck_assert_int_eq(cmabuf_heap_enumerate(ctx, 0, NULL, 0, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(cmabuf_heap_enumerate(ctx, 0, heaps, 1, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(cmabuf_heap_get_name(heaps[0]), "reserved");
	cmabuf_heap_unref(heaps[0]);

	ck_assert_int_eq(cmabuf_heap_enumerate(ctx, 0, heaps, 1, NULL), -EINVAL);
	ck_assert_int_eq(cmabuf_heap_enumerate(ctx, 0, NULL, 1, &n), -EINVAL);
	ck_assert_int_eq(cmabuf_heap_enumerate(NULL, 0, heaps, 1, &n), -EINVAL);
	tu_log_reset();
	ck_assert_int_eq(cmabuf_heap_enumerate(ctx, 0x80, heaps, 1, &n),
			 -EINVAL);
	ck_assert(tu_log_contains("client bug"));
	cmabuf_ctx_unref(ctx);
	tu_remove_tree(dir);
}
END_TEST

START_TEST(test_enumerate_missing_dir_is_empty)
{
	static const char *const tree[] = { "proc/", NULL };
	struct cmabuf_ctx *ctx;
	size_t n = 99;
	char *dir;

	ctx = ctx_on_tree(tree, &dir);
	ck_assert_int_eq(cmabuf_heap_enumerate(ctx, 0, NULL, 0, &n), 0);
	ck_assert_uint_eq(n, 0);
	cmabuf_ctx_unref(ctx);
	tu_remove_tree(dir);
}
END_TEST

START_TEST(test_no_cma_no_silent_fallback)
{
	static const char *const tree[] = { "dev/dma_heap/system", NULL };
	struct cmabuf_heap *heap = NULL;
	struct cmabuf_ctx *ctx;
	char *dir;

	unsetenv("CMABUF_HEAP");
	ctx = ctx_on_tree(tree, &dir);
	ck_assert_int_eq(cmabuf_heap_open(ctx, NULL, 0, &heap), -ENOENT);
	ck_assert_ptr_null(heap);
	ck_assert(tu_log_contains("no CMA heap found"));

	tu_log_reset();
	ck_assert_int_eq(cmabuf_heap_open(ctx, NULL,
					  CMABUF_OPEN_FALLBACK_SYSTEM, &heap), 0);
	ck_assert_str_eq(cmabuf_heap_get_name(heap), "system");
	ck_assert_int_eq(cmabuf_heap_get_kind(heap), CMABUF_HEAP_KIND_SYSTEM);
	ck_assert_uint_eq(cmabuf_heap_get_flags(heap),
			  CMABUF_HEAP_CACHED | CMABUF_HEAP_FALLBACK);
	ck_assert(tu_log_contains("NOT physically contiguous"));
	cmabuf_heap_unref(heap);

	/* udmabuf was not asked for, and there is none: still ENOENT */
	heap = NULL;
	ck_assert_int_eq(cmabuf_heap_open(ctx, NULL,
					  CMABUF_OPEN_FALLBACK_UDMABUF, &heap),
			 -ENOENT);
	ck_assert_ptr_null(heap);
	cmabuf_ctx_unref(ctx);
	tu_remove_tree(dir);
}
END_TEST

START_TEST(test_fallback_udmabuf)
{
	static const char *const tree[] = { "dev/udmabuf", NULL };
	struct cmabuf_heap *heap = NULL;
	struct cmabuf_ctx *ctx;
	char *dir;

	unsetenv("CMABUF_HEAP");
	ctx = ctx_on_tree(tree, &dir);
	ck_assert_int_eq(cmabuf_heap_open(ctx, NULL,
					  CMABUF_OPEN_FALLBACK_SYSTEM |
					  CMABUF_OPEN_FALLBACK_UDMABUF, &heap), 0);
	ck_assert_str_eq(cmabuf_heap_get_name(heap), "udmabuf");
	ck_assert_int_eq(cmabuf_heap_get_kind(heap), CMABUF_HEAP_KIND_UDMABUF);
	ck_assert_uint_eq(cmabuf_heap_get_flags(heap) & CMABUF_HEAP_CONTIGUOUS,
			  0);
	ck_assert(cmabuf_heap_get_flags(heap) & CMABUF_HEAP_FALLBACK);
	cmabuf_heap_unref(heap);
	cmabuf_ctx_unref(ctx);
	tu_remove_tree(dir);
}
END_TEST

START_TEST(test_env_override)
{
	static const char *const tree[] = {
		"dev/dma_heap/reserved", "dev/dma_heap/system", NULL,
	};
	struct cmabuf_heap *heap = NULL;
	struct cmabuf_ctx *ctx;
	char *dir;

	ctx = ctx_on_tree(tree, &dir);
	setenv("CMABUF_HEAP", "system", 1);
	ck_assert_int_eq(cmabuf_heap_open(ctx, NULL, 0, &heap), 0);
	ck_assert_str_eq(cmabuf_heap_get_name(heap), "system");
	ck_assert(tu_log_contains("chosen by CMABUF_HEAP"));
	cmabuf_heap_unref(heap);
	/* an explicit name wins over the variable */
	ck_assert_int_eq(cmabuf_heap_open(ctx, "reserved", 0, &heap), 0);
	ck_assert_str_eq(cmabuf_heap_get_name(heap), "reserved");
	cmabuf_heap_unref(heap);
	setenv("CMABUF_HEAP", "../etc", 1);
	ck_assert_int_eq(cmabuf_heap_open(ctx, NULL, 0, &heap), -EINVAL);
	setenv("CMABUF_HEAP", "missing", 1);
	ck_assert_int_eq(cmabuf_heap_open(ctx, NULL, 0, &heap), -ENOENT);
	unsetenv("CMABUF_HEAP");
	cmabuf_ctx_unref(ctx);
	tu_remove_tree(dir);
}
END_TEST

START_TEST(test_open_bad_arguments)
{
	static const char *const tree[] = { "dev/dma_heap/reserved", NULL };
	struct cmabuf_heap *heap = NULL;
	struct cmabuf_ctx *ctx;
	char *dir;

	ctx = ctx_on_tree(tree, &dir);
	ck_assert_int_eq(cmabuf_heap_open(ctx, "", 0, &heap), -EINVAL);
	ck_assert_int_eq(cmabuf_heap_open(ctx, "..", 0, &heap), -EINVAL);
	ck_assert_int_eq(cmabuf_heap_open(ctx, "a/b", 0, &heap), -EINVAL);
	ck_assert_int_eq(cmabuf_heap_open(ctx, "nope", 0, &heap), -ENOENT);
	ck_assert_int_eq(cmabuf_heap_open(ctx, "reserved", 0x100, &heap),
			 -EINVAL);
	ck_assert_int_eq(cmabuf_heap_open(ctx, "reserved", 0, NULL), -EINVAL);
	ck_assert_int_eq(cmabuf_heap_open(NULL, "reserved", 0, &heap), -EINVAL);
	ck_assert_ptr_null(heap);
	ck_assert_ptr_null(cmabuf_heap_ref(NULL));
	ck_assert_ptr_null(cmabuf_heap_unref(NULL));
	ck_assert_ptr_null(cmabuf_heap_get_name(NULL));
	ck_assert_uint_eq(cmabuf_heap_get_flags(NULL), 0);
	cmabuf_ctx_unref(ctx);
	tu_remove_tree(dir);
}
END_TEST

START_TEST(test_alloc_on_non_heap_node)
{
	/* a regular file is not a dma-heap: the kernel answers ENOTTY */
	static const char *const tree[] = { "dev/dma_heap/reserved", NULL };
	struct cmabuf_heap *heap = NULL;
	struct cmabuf *buf = NULL;
	struct cmabuf_ctx *ctx;
	int fds = tu_fd_count();
	char *dir;

	ctx = ctx_on_tree(tree, &dir);
	ck_assert_int_eq(cmabuf_heap_open(ctx, "reserved", 0, &heap), 0);
	ck_assert_int_eq(cmabuf_alloc(heap, 4096, 0, &buf), -ENOTTY);
	ck_assert_ptr_null(buf);
	cmabuf_heap_unref(heap);
	cmabuf_ctx_unref(ctx);
	ck_assert_int_eq(tu_fd_count(), fds);
	tu_remove_tree(dir);
}
END_TEST

START_TEST(test_directories_are_not_heaps)
{
	static const char *const tree[] = {
		"dev/dma_heap/reserved", "dev/dma_heap/subdir/", NULL,
	};
	struct cmabuf_heap *heaps[4], *heap = NULL;
	struct cmabuf_ctx *ctx;
	size_t n = 0;
	char *dir;

	ctx = ctx_on_tree(tree, &dir);
	ck_assert_int_eq(cmabuf_heap_enumerate(ctx, 0, heaps, 4, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(cmabuf_heap_get_name(heaps[0]), "reserved");
	cmabuf_heap_unref(heaps[0]);
	ck_assert_int_eq(cmabuf_heap_open(ctx, "subdir", 0, &heap), -ENOENT);
	ck_assert_ptr_null(heap);
	cmabuf_ctx_unref(ctx);
	tu_remove_tree(dir);
}
END_TEST

static Suite *heaps_suite(void)
{
	Suite *s = suite_create("heaps");
	TCase *tc = tcase_create("discovery");

	tcase_add_test(tc, test_default_6_1);
	tcase_add_test(tc, test_default_7_x_prefers_new_name);
	tcase_add_test(tc, test_default_device_tree_name);
	tcase_add_test(tc, test_default_per_region_heap);
	tcase_add_test(tc, test_enumerate_collapses_legacy_alias);
	tcase_add_test(tc, test_enumerate_counts_beyond_max);
	tcase_add_test(tc, test_enumerate_missing_dir_is_empty);
	tcase_add_test(tc, test_no_cma_no_silent_fallback);
	tcase_add_test(tc, test_fallback_udmabuf);
	tcase_add_test(tc, test_env_override);
	tcase_add_test(tc, test_open_bad_arguments);
	tcase_add_test(tc, test_alloc_on_non_heap_node);
	tcase_add_test(tc, test_directories_are_not_heaps);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(heaps_suite());
}
