// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Heap discovery on heap directories laid out like each kernel's: the
 * default CMA heap's name, legacy aliases, per-region heaps, fallbacks.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

/* ---- board trees (tests/heap-trees) --------------------------------- */

struct expect {
	const char *name;
	enum cmabuf_heap_kind kind;
	unsigned int flags;
	const char *alias_of;	/* NULL: not an alias */
};

#define CMA_UNCACHED CMABUF_HEAP_CONTIGUOUS
#define SYS_FLAGS CMABUF_HEAP_CACHED
#define ALIAS CMABUF_HEAP_ALIAS

/*
 * A copy of the board's fixture tree, walkable by user 65534, with the
 * symbolic links that tests/heap-trees/links lists ("board path target"
 * per line): the links are made here because git keeps them but a
 * distribution tarball (automake's tar -h) would replace them with copies.
 */
static char *board_tree(const char *board)
{
	const char *srcdir = getenv("abs_top_srcdir");
	char *src, *dst = tu_make_tree(NULL), *cmd, *line = NULL;
	size_t cap = 0;
	FILE *links;

	if (!srcdir)
		srcdir = "..";
	ck_assert_int_ge(asprintf(&src, "%s/tests/heap-trees/%s", srcdir,
				  board), 0);
	ck_assert_msg(access(src, R_OK) == 0, "no fixture tree %s", src);
	ck_assert_int_ge(asprintf(&cmd, "cp -R '%s'/. '%s' && chmod -R a+rX "
				  "'%s'", src, dst, dst), 0);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	free(src);

	ck_assert_int_ge(asprintf(&src, "%s/tests/heap-trees/links", srcdir),
			 0);
	links = fopen(src, "re");
	ck_assert_msg(links, "cannot open %s", src);
	free(src);
	while (getline(&line, &cap, links) > 0) {
		char b[64], path[256], target[256], *at;

		if (line[0] == '#' ||
		    sscanf(line, "%63s %255s %255s", b, path, target) != 3 ||
		    strcmp(b, board) != 0)
			continue;
		ck_assert_int_ge(asprintf(&at, "%s/%s", dst, path), 0);
		ck_assert_msg(symlink(target, at) == 0, "symlink %s: %s", at,
			      strerror(errno));
		free(at);
	}
	free(line);
	fclose(links);
	return dst;
}

static void assert_heap(struct cmabuf_heap *h, const struct expect *e)
{
	const char *alias = cmabuf_heap_get_alias_of(h);

	ck_assert_str_eq(cmabuf_heap_get_name(h), e->name);
	ck_assert_msg(cmabuf_heap_get_kind(h) == e->kind, "%s: kind %d, not %d",
		      e->name, cmabuf_heap_get_kind(h), e->kind);
	ck_assert_msg(cmabuf_heap_get_flags(h) == e->flags,
		      "%s: flags %#x, not %#x", e->name,
		      cmabuf_heap_get_flags(h), e->flags);
	if (e->alias_of)
		ck_assert_str_eq(alias ? alias : "(null)", e->alias_of);
	else
		ck_assert_msg(!alias, "%s: alias of %s", e->name, alias);
}

/* enumerate (with and without aliases) and the default open on ctx */
static void assert_heaps(struct cmabuf_ctx *ctx, const struct expect *all,
			 size_t n, const char *dflt)
{
	struct cmabuf_heap *heaps[16], *heap = NULL;
	size_t i, j, count = 0;

	ck_assert_int_eq(cmabuf_heap_enumerate(ctx, CMABUF_ENUM_ALIASES, heaps,
					       16, &count), 0);
	ck_assert_uint_eq(count, n);
	for (i = 0; i < count; i++) {
		assert_heap(heaps[i], &all[i]);
		cmabuf_heap_unref(heaps[i]);
	}
	/* without aliases each area is listed once */
	ck_assert_int_eq(cmabuf_heap_enumerate(ctx, 0, heaps, 16, &count), 0);
	for (i = j = 0; i < n; i++) {
		if (all[i].alias_of)
			continue;
		ck_assert_uint_lt(j, count);
		assert_heap(heaps[j], &all[i]);
		cmabuf_heap_unref(heaps[j++]);
	}
	ck_assert_uint_eq(j, count);

	unsetenv("CMABUF_HEAP");
	ck_assert_int_eq(cmabuf_heap_open(ctx, NULL, 0, &heap), 0);
	for (i = 0; i < n && strcmp(all[i].name, dflt) != 0; i++)
		;
	ck_assert_uint_lt(i, n);
	assert_heap(heap, &all[i]);
	cmabuf_heap_unref(heap);
}

static void assert_board(const char *board, const struct expect *all,
			 size_t n, const char *dflt)
{
	struct cmabuf_ctx *ctx = tu_ctx_new();
	char *dir = board_tree(board);

	ck_assert_int_eq(cmabuf_ctx_set_sysroot(ctx, dir), 0);
	assert_heaps(ctx, all, n, dflt);
	cmabuf_ctx_unref(ctx);
	tu_remove_tree(dir);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

START_TEST(test_board_rpi4)
{
	static const struct expect heaps[] = {
		{ "linux,cma", CMABUF_HEAP_KIND_CMA, CMA_FLAGS, NULL },
		{ "system", CMABUF_HEAP_KIND_SYSTEM, SYS_FLAGS, NULL },
		{ "vidbuf_cached", CMABUF_HEAP_KIND_CMA, CMA_FLAGS | ALIAS,
		  "linux,cma" },
	};

	assert_board("rpi4", heaps, N(heaps), "linux,cma");
}
END_TEST

START_TEST(test_board_rpi5)
{
	static const struct expect heaps[] = {
		{ "linux,cma", CMABUF_HEAP_KIND_CMA, CMA_FLAGS, NULL },
		{ "system", CMABUF_HEAP_KIND_SYSTEM, SYS_FLAGS, NULL },
		{ "vidbuf_cached", CMABUF_HEAP_KIND_SYSTEM, SYS_FLAGS | ALIAS,
		  "system" },
	};

	assert_board("rpi5", heaps, N(heaps), "linux,cma");
}
END_TEST

START_TEST(test_board_imx8mp)
{
	static const struct expect heaps[] = {
		{ "linux,cma", CMABUF_HEAP_KIND_CMA, CMA_FLAGS, NULL },
		{ "linux,cma-uncached", CMABUF_HEAP_KIND_CMA, CMA_UNCACHED,
		  NULL },
		{ "system", CMABUF_HEAP_KIND_SYSTEM, SYS_FLAGS, NULL },
	};

	assert_board("imx8mp", heaps, N(heaps), "linux,cma");
}
END_TEST

START_TEST(test_board_linux_6_19)
{
	static const struct expect heaps[] = {
		/* disabled, not reusable, no-map: no CMA areas */
		{ "camera@c0000000", CMABUF_HEAP_KIND_OTHER, 0, NULL },
		{ "default_cma_region", CMABUF_HEAP_KIND_CMA, CMA_FLAGS, NULL },
		{ "framebuffer@b8000000", CMABUF_HEAP_KIND_OTHER, 0, NULL },
		/* the default pool's own heap: the same memory */
		{ "linux,cma", CMABUF_HEAP_KIND_CMA, CMA_FLAGS | ALIAS,
		  "default_cma_region" },
		{ "multimedia@a0000000", CMABUF_HEAP_KIND_CMA, CMA_FLAGS,
		  NULL },
		{ "secure@b0000000", CMABUF_HEAP_KIND_OTHER, 0, NULL },
		{ "system", CMABUF_HEAP_KIND_SYSTEM, SYS_FLAGS, NULL },
	};

	assert_board("linux-6.19", heaps, N(heaps), "default_cma_region");
}
END_TEST

START_TEST(test_board_android)
{
	static const struct expect heaps[] = {
		{ "linux,cma", CMABUF_HEAP_KIND_CMA, CMA_FLAGS, NULL },
		{ "qcom,display", CMABUF_HEAP_KIND_OTHER, 0, NULL },
		{ "system", CMABUF_HEAP_KIND_SYSTEM, SYS_FLAGS, NULL },
		{ "system-uncached", CMABUF_HEAP_KIND_SYSTEM, 0, NULL },
	};

	assert_board("android", heaps, N(heaps), "linux,cma");
}
END_TEST

static void chmod_node(const char *tree, const char *name, mode_t mode)
{
	char *path;

	ck_assert_int_ge(asprintf(&path, "%s/dev/dma_heap/%s", tree, name), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
	free(path);
}

static const char *self;	/* argv[0]: the child runs this program again */
static char child_log[8192];	/* the child's log (no Check out of a test) */

static void child_log_fn(void *data, int prio, const char *file, int line,
			 const char *fn, const char *format, va_list args)
{
	size_t len = strlen(child_log);

	(void)data; (void)prio; (void)file; (void)line; (void)fn;
	vsnprintf(child_log + len, sizeof(child_log) - len, format, args);
}

/*
 * In a child without privileges (this program run again with
 * --android-child, so that valgrind does not follow it): 0 when every
 * step went as expected.
 */
static int android_unprivileged(const char *tree)
{
	struct cmabuf_heap *heap = NULL;
	struct cmabuf *buf = NULL;
	struct cmabuf_ctx *ctx;

	if (geteuid() == 0 && (setresgid(65534, 65534, 65534) ||
			       setresuid(65534, 65534, 65534)))
		return 2;
	if (cmabuf_ctx_new(&ctx) < 0 || cmabuf_ctx_set_sysroot(ctx, tree) < 0)
		return 3;
	cmabuf_set_log_fn(ctx, child_log_fn, NULL);
	/* 0444 is enough: the node opens read-only */
	if (cmabuf_heap_open(ctx, NULL, 0, &heap) != 0)
		return 4;
	if (strcmp(cmabuf_heap_get_name(heap), "linux,cma") != 0)
		return 5;
	/* the node is a plain file: the ioctl, not the open, fails */
	if (cmabuf_alloc(heap, 4096, 0, &buf) != -ENOTTY)
		return 6;
	cmabuf_heap_unref(heap);
	/* without read access: EACCES, and the log says read is enough */
	if (cmabuf_heap_open(ctx, "qcom,display", 0, &heap) != -EACCES)
		return 7;
	if (!strstr(child_log, "grant this user read access") ||
	    !strstr(child_log, "MODE=\"0640\""))
		return 8;
	cmabuf_ctx_unref(ctx);
	return 0;
}

START_TEST(test_board_android_0444_opens_read_only)
{
	char *tree = board_tree("android");
	int status;
	pid_t pid;

	chmod_node(tree, "linux,cma", 0444);
	chmod_node(tree, "system", 0444);
	chmod_node(tree, "system-uncached", 0444);
	chmod_node(tree, "qcom,display", 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		execl(self, self, "--android-child", tree, (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	tu_remove_tree(tree);
}
END_TEST

START_TEST(test_vendor_variants)
{
	/* Rockchip's vendor heaps */
	static const char *const tree[] = {
		"dev/dma_heap/cma", "dev/dma_heap/cma-uncached",
		"dev/dma_heap/cma-uncached-dma32", "dev/dma_heap/system",
		"dev/dma_heap/system-dma32", "dev/dma_heap/system-uncached",
		"dev/dma_heap/system-uncached-dma32",
		"dev/dma_heap/vendor-uncached", NULL,
	};
	static const struct expect heaps[] = {
		{ "cma", CMABUF_HEAP_KIND_CMA, CMA_FLAGS, NULL },
		{ "cma-uncached", CMABUF_HEAP_KIND_CMA, CMA_UNCACHED, NULL },
		{ "cma-uncached-dma32", CMABUF_HEAP_KIND_CMA,
		  CMA_UNCACHED | CMABUF_HEAP_DMA32, NULL },
		{ "system", CMABUF_HEAP_KIND_SYSTEM, SYS_FLAGS, NULL },
		{ "system-dma32", CMABUF_HEAP_KIND_SYSTEM,
		  SYS_FLAGS | CMABUF_HEAP_DMA32, NULL },
		{ "system-uncached", CMABUF_HEAP_KIND_SYSTEM, 0, NULL },
		{ "system-uncached-dma32", CMABUF_HEAP_KIND_SYSTEM,
		  CMABUF_HEAP_DMA32, NULL },
		/* an unknown base stays unknown */
		{ "vendor-uncached", CMABUF_HEAP_KIND_OTHER, 0, NULL },
	};
	struct cmabuf_ctx *ctx;
	char *dir;

	ctx = ctx_on_tree(tree, &dir);
	assert_heaps(ctx, heaps, N(heaps), "cma");
	cmabuf_ctx_unref(ctx);
	tu_remove_tree(dir);
}
END_TEST

START_TEST(test_default_never_prefers_a_variant)
{
	/* both variants sort before the plain heap */
	static const char *const tree[] = {
		"dev/dma_heap/cma-dma32", "dev/dma_heap/cma-uncached",
		"dev/dma_heap/reserved", NULL,
	};
	static const char *const only[] = {
		"dev/dma_heap/linux,cma-uncached", "dev/dma_heap/system", NULL,
	};
	struct cmabuf_heap *heap = NULL;
	struct cmabuf_ctx *ctx;
	char *dir;

	unsetenv("CMABUF_HEAP");
	ctx = ctx_on_tree(tree, &dir);
	ck_assert_int_eq(cmabuf_heap_open(ctx, NULL, 0, &heap), 0);
	ck_assert_str_eq(cmabuf_heap_get_name(heap), "reserved");
	cmabuf_heap_unref(heap);
	cmabuf_ctx_unref(ctx);
	tu_remove_tree(dir);

	/* the only CMA heap is uncached: taken, and the log says so */
	ctx = ctx_on_tree(only, &dir);
	ck_assert_int_eq(cmabuf_heap_open(ctx, NULL, 0, &heap), 0);
	ck_assert_str_eq(cmabuf_heap_get_name(heap), "linux,cma-uncached");
	ck_assert_uint_eq(cmabuf_heap_get_flags(heap), CMA_UNCACHED);
	ck_assert(tu_log_contains("uncached or dma32 variant"));
	cmabuf_heap_unref(heap);
	cmabuf_ctx_unref(ctx);
	tu_remove_tree(dir);
}
END_TEST

START_TEST(test_symlink_chains_to_the_listed_heap)
{
	/* Raspberry Pi OS on 6.17+: vidbuf_cached -> linux,cma, a legacy name */
	static const char *const tree[] = {
		"dev/dma_heap/default_cma_region", "dev/dma_heap/linux,cma",
		"dev/dma_heap/system", NULL,
	};
	static const struct expect heaps[] = {
		{ "default_cma_region", CMABUF_HEAP_KIND_CMA, CMA_FLAGS, NULL },
		{ "elsewhere", CMABUF_HEAP_KIND_OTHER, 0, NULL },
		{ "linux,cma", CMABUF_HEAP_KIND_CMA, CMA_FLAGS | ALIAS,
		  "default_cma_region" },
		{ "system", CMABUF_HEAP_KIND_SYSTEM, SYS_FLAGS, NULL },
		{ "vidbuf_cached", CMABUF_HEAP_KIND_CMA, CMA_FLAGS | ALIAS,
		  "default_cma_region" },
	};
	struct cmabuf_ctx *ctx;
	char *dir, path[4096];

	ctx = ctx_on_tree(tree, &dir);
	snprintf(path, sizeof(path), "%s/dev/dma_heap/vidbuf_cached", dir);
	ck_assert_int_eq(symlink("linux,cma", path), 0);
	/* a dangling link is no heap */
	snprintf(path, sizeof(path), "%s/dev/dma_heap/gone", dir);
	ck_assert_int_eq(symlink("nowhere", path), 0);
	/* a link out of the heap directory is listed by its own name */
	snprintf(path, sizeof(path), "%s/dev/dma_heap/elsewhere", dir);
	ck_assert_int_eq(symlink("../../dev/dma_heap.x", path), 0);
	snprintf(path, sizeof(path), "%s/dev/dma_heap.x", dir);
	ck_assert_int_eq(close(open(path, O_CREAT | O_WRONLY | O_CLOEXEC,
				    0600)), 0);
	assert_heaps(ctx, heaps, N(heaps), "default_cma_region");
	ck_assert_ptr_null(cmabuf_heap_get_alias_of(NULL));
	cmabuf_ctx_unref(ctx);
	tu_remove_tree(dir);
}
END_TEST

/* ---- aliases and variants find their CMA area ----------------------- */

static void write_file(const char *dir, const char *path, const char *text)
{
	char *full, *slash, *cmd;
	FILE *f;

	ck_assert_int_ge(asprintf(&full, "%s/%s", dir, path), 0);
	slash = strrchr(full, '/');
	*slash = '\0';
	ck_assert_int_ge(asprintf(&cmd, "mkdir -p '%s'", full), 0);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	*slash = '/';
	f = fopen(full, "we");
	ck_assert_msg(f, "cannot write %s", full);
	fputs(text, f);
	fclose(f);
	free(full);
}

/*
 * The area "linux,cma": 16384 pages of 4 KiB (64 MiB), 4096 free, the
 * largest free run 1024 pages; from sysfs (imx8mp: CMA_SYSFS on) or,
 * without it (rpi4), from debugfs and /proc/meminfo.
 */
static void write_area(const char *dir, bool sysfs)
{
	write_file(dir, "pagesize", "4096\n");
	write_file(dir, "sys/kernel/debug/cma/linux,cma/count", "16384\n");
	write_file(dir, "sys/kernel/debug/cma/linux,cma/used", "12288\n");
	write_file(dir, "sys/kernel/debug/cma/linux,cma/maxchunk", "1024\n");
	write_file(dir, "sys/kernel/debug/cma/linux,cma/order_per_bit", "0\n");
	write_file(dir, "proc/meminfo", "MemTotal: 4000000 kB\n"
		   "CmaTotal: 65536 kB\nCmaFree: 16384 kB\n");
	if (!sysfs)
		return;
	write_file(dir, "sys/kernel/mm/cma/linux,cma/total_pages", "16384\n");
	write_file(dir, "sys/kernel/mm/cma/linux,cma/available_pages",
		   "4096\n");
}

/*
 * heap gives the same area as linux,cma: free space, largest free run,
 * the ENOMEM diagnosis and the stats heap table. Before the fix an alias
 * or a variant answered -ENOENT and "statistics are unreadable".
 */
static void assert_same_area(struct cmabuf_ctx *ctx, const char *name)
{
	struct cmabuf_heap *heap = NULL, *base = NULL;
	struct cmabuf_diagnosis *d = NULL;
	uint64_t free_b = 0, free_h = 0, run_b = 0, run_h = 0;
	struct cmabuf_stats *st = NULL;
	const char *msg;
	size_t i, found = 0;

	ck_assert_int_eq(cmabuf_heap_open(ctx, "linux,cma", 0, &base), 0);
	ck_assert_int_eq(cmabuf_heap_open(ctx, name, 0, &heap), 0);
	ck_assert_int_eq(cmabuf_heap_get_cma_free(base, &free_b), 0);
	ck_assert_uint_eq(free_b, 16u << 20);
	ck_assert_msg(cmabuf_heap_get_cma_free(heap, &free_h) == 0,
		      "%s: no CMA area", name);
	ck_assert_uint_eq(free_h, free_b);
	ck_assert_int_eq(cmabuf_heap_get_cma_largest_free(base, &run_b), 0);
	ck_assert_uint_eq(run_b, 4u << 20);
	ck_assert_int_eq(cmabuf_heap_get_cma_largest_free(heap, &run_h), 0);
	ck_assert_uint_eq(run_h, run_b);

	ck_assert_int_eq(cmabuf_alloc_diagnose(ctx, heap, 32u << 20, -ENOMEM,
					       &d), 0);
	msg = cmabuf_diagnosis_get_message(d);
	ck_assert_msg(cmabuf_diagnosis_get_reason(d) == CMABUF_DIAG_EXHAUSTED,
		      "%s: %s", name, msg);
	ck_assert_msg(strstr(msg, "linux,cma") && !strstr(msg, "unreadable"),
		      "%s: %s", name, msg);
	cmabuf_diagnosis_unref(d);

	ck_assert_int_eq(cmabuf_stats_read(ctx, CMABUF_STATS_CMA |
					   CMABUF_STATS_HEAPS, &st), 0);
	for (i = 0; i < cmabuf_stats_get_heap_count(st); i++) {
		const char *h = cmabuf_stats_heap_get_name(st, i);
		const char *area = cmabuf_stats_heap_get_area(st, i);

		if (strcmp(h, name) != 0 && strcmp(h, "linux,cma") != 0)
			continue;
		ck_assert_msg(area && strcmp(area, "linux,cma") == 0,
			      "heap table: %s has area %s", h,
			      area ? area : "(none)");
		found++;
	}
	ck_assert_uint_eq(found, 2);
	cmabuf_stats_unref(st);
	cmabuf_heap_unref(heap);
	cmabuf_heap_unref(base);
}

START_TEST(test_alias_finds_area_rpi4)
{
	struct cmabuf_ctx *ctx = tu_ctx_new();
	char *dir = board_tree("rpi4");

	write_area(dir, false);
	ck_assert_int_eq(cmabuf_ctx_set_sysroot(ctx, dir), 0);
	assert_same_area(ctx, "vidbuf_cached");
	cmabuf_ctx_unref(ctx);
	tu_remove_tree(dir);
}
END_TEST

START_TEST(test_variants_find_area_imx8mp)
{
	struct cmabuf_ctx *ctx = tu_ctx_new();
	char *dir = board_tree("imx8mp");

	write_area(dir, true);
	/* Rockchip's suffix on the same area, for the -dma32 path */
	write_file(dir, "dev/dma_heap/linux,cma-dma32", "");
	ck_assert_int_eq(cmabuf_ctx_set_sysroot(ctx, dir), 0);
	assert_same_area(ctx, "linux,cma-uncached");
	assert_same_area(ctx, "linux,cma-dma32");
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

	tc = tcase_create("boards");
	tcase_add_test(tc, test_board_rpi4);
	tcase_add_test(tc, test_board_rpi5);
	tcase_add_test(tc, test_board_imx8mp);
	tcase_add_test(tc, test_board_linux_6_19);
	tcase_add_test(tc, test_board_android);
	tcase_add_test(tc, test_board_android_0444_opens_read_only);
	tcase_add_test(tc, test_vendor_variants);
	tcase_add_test(tc, test_default_never_prefers_a_variant);
	tcase_add_test(tc, test_symlink_chains_to_the_listed_heap);
	tcase_add_test(tc, test_alias_finds_area_rpi4);
	tcase_add_test(tc, test_variants_find_area_imx8mp);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--android-child") == 0)
		return android_unprivileged(argv[2]);
	self = argv[0];
	return tu_run(heaps_suite());
}
