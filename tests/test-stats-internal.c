// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The stats parsers and stats_cma_area_space(), internal functions: this
 * suite is linked with the library's sources, not with libcmabuf.so.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats-private.h"
#include "testutil.h"

#define MiB (1024 * 1024)

static char *tree(const char *name)
{
	const char *top = getenv("top_srcdir");
	char rel[PATH_MAX], *abs;

	snprintf(rel, sizeof(rel), "%s/tests/%s", top ? top : ".", name);
	abs = realpath(rel, NULL);
	ck_assert_msg(abs != NULL, "missing fixture tree %s", rel);
	return abs;
}

static struct cmabuf_ctx *ctx_on(const char *name)
{
	struct cmabuf_ctx *ctx = tu_ctx_new();
	char *root = tree(name);

	ck_assert_int_eq(cmabuf_ctx_set_sysroot(ctx, root), 0);
	free(root);
	return ctx;
}

static void space_of(const char *t, const char *heap, int expect_ret,
		     struct cma_area_space *sp)
{
	struct cmabuf_ctx *ctx = ctx_on(t);

	ck_assert_int_eq(stats_cma_area_space(ctx, heap, sp), expect_ret);
	cmabuf_ctx_unref(ctx);
}

START_TEST(test_space_5_10_debugfs_only)
{
	struct cma_area_space sp;

	space_of("data-hand/5.10", "reserved", 0, &sp);
	ck_assert_str_eq(sp.area, "reserved");
	ck_assert_int_eq(sp.total, 128 * MiB);
	ck_assert_int_eq(sp.free, (32768 - 1024) * 4096LL);
	ck_assert_int_eq(sp.maxchunk, 31744 * 4096LL);
}
END_TEST

START_TEST(test_space_6_15_prefers_sysfs)
{
	struct cma_area_space sp;

	/* 6.17+ heap name on the area named "reserved" */
	space_of("data-hand/6.15", "default_cma_region", 0, &sp);
	ck_assert_str_eq(sp.area, "reserved");
	ck_assert_int_eq(sp.total, 32768 * 4096LL);
	ck_assert_int_eq(sp.free, 28672 * 4096LL);
	ck_assert_int_eq(sp.maxchunk, 20480 * 4096LL);

	space_of("data-hand/6.15", "camera", 0, &sp);
	ck_assert_str_eq(sp.area, "camera");
	ck_assert_int_eq(sp.total, 16 * MiB);
	ck_assert_int_eq(sp.free, 16 * MiB);
	ck_assert_int_eq(sp.maxchunk, 16 * MiB);
}
END_TEST

START_TEST(test_space_unknown_heap)
{
	struct cma_area_space sp;

	space_of("data-hand/6.15", "system", -ENOENT, &sp);
	ck_assert_int_eq(sp.total, -1);
	ck_assert_str_eq(sp.area, "");
	/* two areas: "linux,cma" cannot guess which one is the default */
	space_of("data-hand/6.15", "linux,cma", 0, &sp);
	ck_assert_str_eq(sp.area, "reserved");
}
END_TEST

START_TEST(test_space_user_without_debugfs)
{
	struct cma_area_space sp;

	/* one area: meminfo speaks for it; maxchunk unknown */
	space_of("data-hand/6.12-user", "reserved", 0, &sp);
	ck_assert_str_eq(sp.area, "reserved");
	ck_assert_int_eq(sp.total, 131072 * 1024LL);
	ck_assert_int_eq(sp.free, 126976 * 1024LL);
	ck_assert_int_eq(sp.maxchunk, -1);
}
END_TEST

START_TEST(test_space_meminfo_only)
{
	struct cma_area_space sp;

	space_of("data-hand/meminfo-only", "linux,cma", 0, &sp);
	ck_assert_str_eq(sp.area, "");
	ck_assert_int_eq(sp.total, 64 * MiB);
	ck_assert_int_eq(sp.free, 32 * MiB);
	ck_assert_int_eq(sp.maxchunk, -1);
	space_of("data-hand/meminfo-only", "camera", -ENOENT, &sp);
}
END_TEST

START_TEST(test_space_garbage)
{
	struct cma_area_space sp;

	/* sysfs total_pages has two newlines; meminfo values are broken */
	space_of("data-hand/garbage", "reserved", 0, &sp);
	ck_assert_str_eq(sp.area, "reserved");
	ck_assert_int_eq(sp.total, -1);
	ck_assert_int_eq(sp.free, -1);
	ck_assert_int_eq(sp.maxchunk, -1);
}
END_TEST

START_TEST(test_space_bad_args)
{
	struct cmabuf_ctx *ctx = tu_ctx_new();
	struct cma_area_space sp;

	ck_assert_int_eq(stats_cma_area_space(NULL, "reserved", &sp), -EINVAL);
	ck_assert_int_eq(stats_cma_area_space(ctx, NULL, &sp), -EINVAL);
	ck_assert_int_eq(stats_cma_area_space(ctx, "reserved", NULL), -EINVAL);
	cmabuf_ctx_unref(ctx);
}
END_TEST

START_TEST(test_parse_u64_value)
{
	uint64_t v = 7;

	ck_assert_int_eq(parse_u64_value("42\n", 3, &v), 0);
	ck_assert_uint_eq(v, 42);
	ck_assert_int_eq(parse_u64_value("42", 2, &v), 0);
	ck_assert_int_eq(parse_u64_value("18446744073709551615", 20, &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	v = 7;
	ck_assert_int_eq(parse_u64_value("18446744073709551616", 20, &v),
			 -EINVAL);
	ck_assert_int_eq(parse_u64_value("", 0, &v), -EINVAL);
	ck_assert_int_eq(parse_u64_value("\n", 1, &v), -EINVAL);
	ck_assert_int_eq(parse_u64_value("-1\n", 3, &v), -EINVAL);
	ck_assert_int_eq(parse_u64_value("1 2\n", 4, &v), -EINVAL);
	ck_assert_int_eq(parse_u64_value("12\n\n", 4, &v), -EINVAL);
	/* a length stops the parser before a NUL would */
	ck_assert_int_eq(parse_u64_value("123", 1, &v), 0);
	ck_assert_uint_eq(v, 1);
	ck_assert_int_eq(parse_u64_value(NULL, 0, &v), -EINVAL);
}
END_TEST

START_TEST(test_parse_keyed_lines)
{
	static const char *const keys[] = { "CmaTotal", "CmaFree", "nr_x" };
	static const char text[] =
		"MemTotal: 1 kB\nCmaTotal:   131072 kB\nCmaFree: 12 kB junk\n"
		"nr_x 5\nCmaFree 9";
	uint64_t vals[3] = { 0 }, present = 0;

	parse_keyed_lines(text, sizeof(text) - 1, keys, 3, vals, &present);
	ck_assert_uint_eq(present, 1 | 4);	/* CmaFree: junk, truncated */
	ck_assert_uint_eq(vals[0], 131072);
	ck_assert_uint_eq(vals[2], 5);
	present = 0;
	parse_keyed_lines(NULL, 10, keys, 3, vals, &present);
	parse_keyed_lines("", 0, keys, 3, vals, &present);
	parse_keyed_lines("\n\n:\n: 5\n", 8, keys, 3, vals, &present);
	ck_assert_uint_eq(present, 0);
}
END_TEST

START_TEST(test_parse_fdinfo)
{
	static const char dmabuf[] =
		"pos:\t0\nflags:\t02000002\nmnt_id:\t15\nino:\t1234\n"
		"size:\t4194304\ncount:\t1\nexp_name:\treserved\n"
		"name:\tfixture-cma\n";
	static const char memfd[] = "pos:\t0\nflags:\t02\nmnt_id:\t15\n";
	/* the text is a dma-buf once its exp_name line is complete */
	size_t cut, full = (size_t)(strstr(dmabuf, "\nname:") - dmabuf) + 1;
	struct fdinfo_dmabuf fi;

	ck_assert_int_eq(parse_fdinfo_dmabuf(dmabuf, sizeof(dmabuf) - 1, &fi),
			 1);
	ck_assert(fi.has_ino);
	ck_assert_uint_eq(fi.ino, 1234);
	ck_assert_uint_eq(fi.size, 4 * MiB);
	ck_assert_uint_eq(fi.count, 1);
	ck_assert_str_eq(fi.exp_name, "reserved");
	ck_assert_str_eq(fi.name, "fixture-cma");
	ck_assert_int_eq(parse_fdinfo_dmabuf(memfd, sizeof(memfd) - 1, &fi), 0);
	/* every truncation is either a complete dma-buf or none, no crash */
	for (cut = 0; cut < sizeof(dmabuf) - 1; cut++) {
		int r = parse_fdinfo_dmabuf(dmabuf, cut, &fi);

		ck_assert_int_eq(r, cut >= full ? 1 : 0);
	}
}
END_TEST

/* the kernel's fdinfo of a buffer whose DMA_BUF_SET_NAME is name */
static size_t fdinfo_named(char *buf, size_t size, const char *name)
{
	int n = snprintf(buf, size, "pos:\t0\nflags:\t02000002\nmnt_id:\t15\n"
			 "ino:\t1234\nsize:\t4096\ncount:\t1\n"
			 "exp_name:\tsystem\nname:\t%s\n", name);

	ck_assert_int_gt(n, 0);
	ck_assert_uint_lt((size_t)n, size);
	return (size_t)n;
}

/* a name cannot fake the kernel's lines: found by review, issue 10 */
START_TEST(test_parse_fdinfo_injection)
{
	static const char *const names[] = {
		"x\nsize:\t99999999999999",
		"\nino:\t777",
		"\nexp_name:\treserved",
		"\ncount:\t42\nsize:\t1\nino:\t1\n",
		"\nname:\tother",
	};
	struct fdinfo_dmabuf fi;
	char buf[512];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t len = fdinfo_named(buf, sizeof(buf), names[i]);

		ck_assert_int_eq(parse_fdinfo_dmabuf(buf, len, &fi), 1);
		ck_assert_uint_eq(fi.size, 4096);
		ck_assert_uint_eq(fi.ino, 1234);
		ck_assert_uint_eq(fi.count, 1);
		ck_assert_str_eq(fi.exp_name, "system");
		/* the whole name, newlines included, minus the kernel's \n */
		ck_assert_str_eq(fi.name, names[i]);
	}
}
END_TEST

/* before 5.14 there is no ino line: a name must not supply one */
START_TEST(test_parse_fdinfo_no_ino_injection)
{
	static const char text[] =
		"pos:\t0\nflags:\t02\nmnt_id:\t9\nsize:\t8192\ncount:\t1\n"
		"exp_name:\treserved\nname:\t\nino:\t55\n\n";
	struct fdinfo_dmabuf fi;

	ck_assert_int_eq(parse_fdinfo_dmabuf(text, sizeof(text) - 1, &fi), 1);
	ck_assert(!fi.has_ino);
	ck_assert_uint_eq(fi.size, 8192);
	ck_assert_str_eq(fi.name, "\nino:\t55\n");
}
END_TEST

/*
 * Every file mapping is parsed with its device; the "/dmabuf:" path is a
 * label only. Whether a line is a dma-buf's is decided by the device
 * (stats-dmabuf.c), so a line with the path but another device, or a
 * dma-buf device without the path, parse alike.
 */
START_TEST(test_parse_maps_line)
{
	static const char text[] =
		"7f1c2a000000-7f1c2a400000 rw-s 00000000 00:0c 1234"
		"                      /dmabuf:fixture-cma\n"
		"7f1c2b000000-7f1c2b100000 rw-s 00000000 00:0c 1235 /dmabuf:\n"
		"55d0c0000000-55d0c0001000 r-xp 00000000 08:1f 99 /bin/true\n"
		"7f00-7e00 rw-s 00000000 00:0c 77 /dmabuf:backwards\n"
		"7f1c2d000000-7f1c2d001000 rw-p 00000000 00:00 0 \n"
		"7f1c2e000000-7f1c2e001000 rw-s 00000000 00:0c77 /dmabuf:glued\n"
		"7f1c2f000000-7f1c2f001000 rw-s 00000000 1ffffffff:0c 78 /x\n"
		"7f1c2c000000-7f1c2c001000 rw-s 0";
	static const struct {
		uint64_t size, ino;
		uint32_t major, minor;
		const char *name;
	} want[] = {
		{ 4 * MiB, 1234, 0, 0x0c, "fixture-cma" },
		{ 1 * MiB, 1235, 0, 0x0c, "" },
		{ 4096, 99, 8, 0x1f, "" },
	};
	struct maps_entry m;
	size_t off = 0, n, found = 0;
	bool is;

	while ((n = parse_maps_line(text + off, sizeof(text) - 1 - off, &is,
				    &m)) > 0) {
		if (is) {
			ck_assert_uint_lt(found, 3);
			ck_assert_uint_eq(m.end - m.start, want[found].size);
			ck_assert_uint_eq(m.ino, want[found].ino);
			ck_assert_uint_eq(m.major, want[found].major);
			ck_assert_uint_eq(m.minor, want[found].minor);
			ck_assert_str_eq(m.name, want[found].name);
			found++;
		}
		off += n;
	}
	ck_assert_uint_eq(found, 3);
	ck_assert_uint_eq(off, sizeof(text) - 1);
}
END_TEST

START_TEST(test_parse_heap_list_line)
{
	uint32_t mode, uid, gid;
	char name[64];

	ck_assert_int_eq(parse_heap_list_line("reserved 0660 0 44 253:0\n", 25,
					      name, sizeof(name), &mode, &uid,
					      &gid), 0);
	ck_assert_str_eq(name, "reserved");
	ck_assert_uint_eq(mode, 0660);
	ck_assert_uint_eq(gid, 44);
	ck_assert_int_eq(parse_heap_list_line("# name mode", 11, name,
					      sizeof(name), &mode, &uid, &gid),
			 -EINVAL);
	ck_assert_int_eq(parse_heap_list_line("x 0999 0 0", 10, name,
					      sizeof(name), &mode, &uid, &gid),
			 -EINVAL);
	ck_assert_int_eq(parse_heap_list_line("x 0600 0", 8, name,
					      sizeof(name), &mode, &uid, &gid),
			 -EINVAL);
	ck_assert_int_eq(parse_heap_list_line("longname 0600 0 0", 17, name, 4,
					      &mode, &uid, &gid), -EINVAL);
}
END_TEST

static Suite *internal_suite(void)
{
	Suite *s = suite_create("stats-internal");
	TCase *space = tcase_create("cma-area-space");
	TCase *parse = tcase_create("parsers");

	tcase_add_test(space, test_space_5_10_debugfs_only);
	tcase_add_test(space, test_space_6_15_prefers_sysfs);
	tcase_add_test(space, test_space_unknown_heap);
	tcase_add_test(space, test_space_user_without_debugfs);
	tcase_add_test(space, test_space_meminfo_only);
	tcase_add_test(space, test_space_garbage);
	tcase_add_test(space, test_space_bad_args);
	suite_add_tcase(s, space);

	tcase_add_test(parse, test_parse_u64_value);
	tcase_add_test(parse, test_parse_keyed_lines);
	tcase_add_test(parse, test_parse_fdinfo);
	tcase_add_test(parse, test_parse_fdinfo_injection);
	tcase_add_test(parse, test_parse_fdinfo_no_ino_injection);
	tcase_add_test(parse, test_parse_maps_line);
	tcase_add_test(parse, test_parse_heap_list_line);
	suite_add_tcase(s, parse);
	return s;
}

int main(void)
{
	return tu_run(internal_suite());
}
