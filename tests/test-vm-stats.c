// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Statistics on a real kernel (run in the test VM): allocating from the
 * CMA heap moves the area and vmstat counters by exactly the allocation,
 * a dma-buf held by another process shows under its pid, the tool's
 * views and --watch work, and a user without rights gets counted denials.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#define SZ (8u << 20)

static const char *cma_heap;
static char tool[4096];

static struct cmabuf_stats *snap(struct cmabuf_ctx *ctx, unsigned int what)
{
	struct cmabuf_stats *st = NULL;

	ck_assert_int_eq(cmabuf_stats_read(ctx, what, &st), 0);
	ck_assert_ptr_nonnull(st);
	return st;
}

/* the index of the CMA heap's area in st (needs HEAPS and CMA) */
static size_t cma_area(const struct cmabuf_stats *st)
{
	size_t i, idx;

	for (i = 0; i < cmabuf_stats_get_heap_count(st); i++) {
		if (strcmp(cmabuf_stats_heap_get_name(st, i), cma_heap) != 0)
			continue;
		ck_assert_ptr_nonnull(cmabuf_stats_heap_get_area(st, i));
		ck_assert_int_eq(cmabuf_stats_find_area(st,
				 cmabuf_stats_heap_get_area(st, i), &idx), 0);
		return idx;
	}
	ck_abort_msg("heap %s not in the stats", cma_heap);
	return 0;
}

static int64_t area_delta(const struct cmabuf_stats *a,
			  const struct cmabuf_stats *b, size_t idx,
			  enum cmabuf_area_stat key)
{
	int64_t d = 0;

	ck_assert_int_eq(cmabuf_stats_area_diff(a, b, idx, key, &d, NULL), 0);
	return d;
}

/* a value of the tool's Prometheus output, e.g. cmabuf_area_used_bytes */
static long long tool_metric(const char *metric, const char *area)
{
	char cmd[4200], line[1024], want[256];
	long long v = -1;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "%s --prometheus", tool);
	snprintf(want, sizeof(want), "%s{area=\"%s\"} ", metric, area);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, want, strlen(want)) == 0)
			v = atoll(line + strlen(want));
	ck_assert_int_eq(pclose(f), 0);
	ck_assert_msg(v >= 0, "no %s in the tool's output", want);
	return v;
}

START_TEST(test_alloc_moves_counters)
{
	const int64_t pages = SZ / (int64_t)tu_page_size();
	struct cmabuf_stats *s0, *s1, *s2;
	struct cmabuf_heap *heap = NULL;
	struct cmabuf_ctx *ctx = tu_ctx_new();
	struct cmabuf *buf = NULL;
	uint64_t free0 = 0, free1 = 0;
	long long tool0, tool1;
	const char *area;
	int64_t d = 0;
	size_t idx;

	ck_assert_int_eq(cmabuf_heap_open(ctx, cma_heap, 0, &heap), 0);
	s0 = snap(ctx, CMABUF_STATS_ALL & ~CMABUF_STATS_BUFFERS);
	ck_assert_int_eq(cmabuf_stats_has_debugfs(s0), 1);
	idx = cma_area(s0);
	area = cmabuf_stats_area_get_name(s0, idx);
	ck_assert_int_eq(cmabuf_heap_get_cma_free(heap, &free0), 0);
	tool0 = tool_metric("cmabuf_area_used_bytes", area);

	ck_assert_int_eq(cmabuf_alloc(heap, SZ, 0, &buf), 0);
	s1 = snap(ctx, CMABUF_STATS_ALL & ~CMABUF_STATS_BUFFERS);
	ck_assert_int_eq(area_delta(s0, s1, idx, CMABUF_AREA_USED), pages);
	ck_assert_int_eq(area_delta(s0, s1, idx, CMABUF_AREA_SPACE_USED),
			 pages);
	ck_assert_int_eq(area_delta(s0, s1, idx, CMABUF_AREA_SPACE_FREE),
			 -pages);
	ck_assert_int_eq(area_delta(s0, s1, idx,
				    CMABUF_AREA_ALLOC_PAGES_SUCCESS), pages);
	ck_assert_int_eq(area_delta(s0, s1, idx, CMABUF_AREA_ALLOC_PAGES_FAIL),
			 0);
	ck_assert_int_eq(cmabuf_stats_diff(s0, s1, CMABUF_STAT_CMA_ALLOC_SUCCESS,
					   &d, NULL), 0);
	ck_assert_int_eq(d, 1);
	ck_assert_int_eq(cmabuf_stats_diff(s0, s1, CMABUF_STAT_CMA_ALLOC_FAIL,
					   &d, NULL), 0);
	ck_assert_int_eq(d, 0);
	ck_assert_int_eq(cmabuf_heap_get_cma_free(heap, &free1), 0);
	ck_assert_uint_eq(free0 - free1, SZ);
	tool1 = tool_metric("cmabuf_area_used_bytes", area);
	ck_assert_int_eq(tool1 - tool0, SZ);

	cmabuf_unref(buf);
	s2 = snap(ctx, CMABUF_STATS_CMA | CMABUF_STATS_HEAPS);
	ck_assert_int_eq(area_delta(s0, s2, idx, CMABUF_AREA_USED), 0);
	/* release_pages_success exists since 6.9 */
	if (cmabuf_stats_area_get(s2, idx, CMABUF_AREA_RELEASE_PAGES_SUCCESS,
				  NULL, NULL) == 0)
		ck_assert_int_eq(area_delta(s1, s2, idx,
				 CMABUF_AREA_RELEASE_PAGES_SUCCESS), pages);
	ck_assert_int_eq(tool_metric("cmabuf_area_used_bytes", area), tool0);
	cmabuf_stats_unref(s0);
	cmabuf_stats_unref(s1);
	cmabuf_stats_unref(s2);
	cmabuf_heap_unref(heap);
	cmabuf_ctx_unref(ctx);
}
END_TEST

START_TEST(test_failure_is_counted)
{
	struct cmabuf_heap *heap = NULL;
	struct cmabuf_ctx *ctx = tu_ctx_new();
	struct cmabuf_stats *s0, *s1;
	struct cmabuf *half = NULL, *buf = NULL;
	uint64_t total = 0;
	int64_t d = 0;
	size_t idx, big;

	ck_assert_int_eq(cmabuf_heap_open(ctx, cma_heap, 0, &heap), 0);
	s0 = snap(ctx, CMABUF_STATS_CMA | CMABUF_STATS_HEAPS);
	idx = cma_area(s0);
	ck_assert_int_eq(cmabuf_stats_area_get(s0, idx, CMABUF_AREA_SPACE_TOTAL,
					       NULL, &total), 0);
	cmabuf_stats_unref(s0);
	/*
	 * More than what is left but less than the area: the request
	 * reaches the bitmap search and fails there (a request larger
	 * than the whole area is refused before counting on 6.12+).
	 */
	ck_assert_int_eq(cmabuf_alloc(heap, total / 2 + (8 << 20), 0, &half),
			 0);
	big = total / 2;
	s0 = snap(ctx, CMABUF_STATS_ALL & ~CMABUF_STATS_BUFFERS);
	ck_assert_int_eq(cmabuf_alloc(heap, big, 0, &buf), -ENOMEM);
	s1 = snap(ctx, CMABUF_STATS_ALL & ~CMABUF_STATS_BUFFERS);
	ck_assert_int_eq(cmabuf_stats_diff(s0, s1, CMABUF_STAT_CMA_ALLOC_FAIL,
					   &d, NULL), 0);
	ck_assert_int_eq(d, 1);
	ck_assert_int_eq(area_delta(s0, s1, idx, CMABUF_AREA_ALLOC_PAGES_FAIL),
			 (int64_t)(big / tu_page_size()));
	cmabuf_unref(half);
	cmabuf_stats_unref(s0);
	cmabuf_stats_unref(s1);
	cmabuf_heap_unref(heap);
	cmabuf_ctx_unref(ctx);
}
END_TEST

/* a child holding a named 3 MiB CMA buffer until the pipe closes */
static pid_t spawn_holder(int *hold_fd)
{
	int ready[2], hold[2];
	pid_t pid;
	char c;

	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(hold), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct cmabuf_heap *heap = NULL;
		struct cmabuf *buf = NULL;
		struct cmabuf_ctx *ctx;

		close(ready[0]);
		close(hold[1]);
		if (cmabuf_ctx_new(&ctx) || cmabuf_heap_open(ctx, cma_heap, 0,
							      &heap) ||
		    cmabuf_alloc(heap, 3 << 20, 0, &buf) ||
		    cmabuf_set_name(buf, "vm-stats-child"))
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(2);
		(void)read(hold[0], &c, 1);	/* until the parent closes */
		cmabuf_unref(buf);
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	close(ready[0]);
	*hold_fd = hold[1];
	return pid;
}

static void reap(pid_t pid, int hold_fd)
{
	int status;

	close(hold_fd);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}

START_TEST(test_child_buffer_under_its_pid)
{
	struct cmabuf_ctx *ctx = tu_ctx_new();
	struct cmabuf_stats *st;
	size_t i, k, found = 0;
	char cmd[4200], line[512], pidstr[16];
	bool tool_saw = false;
	int hold_fd;
	pid_t pid;
	FILE *f;

	pid = spawn_holder(&hold_fd);
	st = snap(ctx, CMABUF_STATS_BUFFERS);
	for (i = 0; i < cmabuf_stats_get_buffer_count(st); i++) {
		const int *pids;
		size_t n = cmabuf_stats_buffer_get_holders(st, i, &pids);

		for (k = 0; k < n && pids[k] != pid; k++)
			;
		if (k == n)
			continue;
		found++;
		ck_assert_uint_eq(cmabuf_stats_buffer_get_size(st, i), 3 << 20);
		ck_assert_str_eq(cmabuf_stats_buffer_get_exporter(st, i),
				 cma_heap);
		ck_assert_str_eq(cmabuf_stats_buffer_get_name(st, i),
				 "vm-stats-child");
		ck_assert_uint_ne(cmabuf_stats_buffer_get_inode(st, i), 0);
	}
	ck_assert_uint_eq(found, 1);
	for (i = 0; i < cmabuf_stats_get_process_count(st); i++) {
		if (cmabuf_stats_process_get_pid(st, i) != pid)
			continue;
		ck_assert_uint_eq(cmabuf_stats_process_get_buffer_count(st, i),
				  1);
		ck_assert_uint_eq(cmabuf_stats_process_get_bytes(st, i),
				  3 << 20);
		ck_assert_str_eq(cmabuf_stats_process_get_comm(st, i),
				 "test-vm-stats");
		found++;
	}
	ck_assert_uint_eq(found, 2);

	/* the tool's per-process view shows it too */
	snprintf(cmd, sizeof(cmd), "%s --processes", tool);
	snprintf(pidstr, sizeof(pidstr), "%d ", pid);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (strncmp(line + strspn(line, " "), pidstr,
			    strlen(pidstr)) == 0)
			tool_saw = strstr(line, "3.0 MiB") &&
				   strstr(line, cma_heap);
	ck_assert_int_eq(pclose(f), 0);
	ck_assert_msg(tool_saw, "cmabuf-stat -p does not show pid %d", pid);
	cmabuf_stats_unref(st);
	reap(pid, hold_fd);
	cmabuf_ctx_unref(ctx);
}
END_TEST

START_TEST(test_watch_prints_count_lines)
{
	char cmd[4200], line[512];
	int data = 0, header = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "%s --watch 1 3", tool);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "ALLOC/s"))
			header++;
		else
			data++;
	}
	ck_assert_int_eq(pclose(f), 0);
	ck_assert_int_eq(header, 1);
	ck_assert_int_eq(data, 3);
}
END_TEST

START_TEST(test_heaps_listed_with_access)
{
	struct cmabuf_ctx *ctx = tu_ctx_new();
	struct cmabuf_stats *st = snap(ctx, CMABUF_STATS_HEAPS);
	uint32_t mode = 0, uid = 1, gid = 1;
	size_t i, seen = 0;

	/* HEAPS alone keeps the areas out of the snapshot */
	ck_assert_uint_eq(cmabuf_stats_get_area_count(st), 0);
	for (i = 0; i < cmabuf_stats_get_heap_count(st); i++) {
		const char *name = cmabuf_stats_heap_get_name(st, i);

		ck_assert_int_eq(cmabuf_stats_heap_get_access(st, i, &mode,
							      &uid, &gid), 0);
		ck_assert_uint_eq(mode, 0600);
		ck_assert_uint_eq(uid, 0);
		if (strcmp(name, "system") == 0) {
			ck_assert_ptr_null(cmabuf_stats_heap_get_area(st, i));
			seen++;
		} else if (strcmp(name, cma_heap) == 0) {
			/* 7.2's default_cma_region serves area reserved
			 * (x86, cma=) or linux,cma (arm64, device tree) */
			ck_assert_str_eq(cmabuf_stats_heap_get_area(st, i),
					 tu_cma_area_name());
			seen++;
		}
	}
	ck_assert_uint_eq(seen, 2);
	cmabuf_stats_unref(st);
	cmabuf_ctx_unref(ctx);
}
END_TEST

START_TEST(test_user_counts_denied_processes)
{
	int status;
	pid_t pid;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct cmabuf_stats *st = NULL;
		struct cmabuf_ctx *ctx;
		uint64_t denied = 0;

		if (setgid(65534) || setuid(65534))
			_exit(3);
		if (cmabuf_ctx_new(&ctx) ||
		    cmabuf_stats_read(ctx, CMABUF_STATS_ALL, &st))
			_exit(4);
		if (cmabuf_stats_get(st, CMABUF_STAT_PROCS_DENIED, &denied) ||
		    denied == 0)
			_exit(5);
		/* debugfs is root-only: absent, not an error */
		if (cmabuf_stats_has_debugfs(st) != 0)
			_exit(6);
		cmabuf_stats_unref(st);
		cmabuf_ctx_unref(ctx);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

static Suite *stats_suite(void)
{
	Suite *s = suite_create("vm-stats");
	TCase *tc = tcase_create("stats");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_alloc_moves_counters);
	tcase_add_test(tc, test_failure_is_counted);
	tcase_add_test(tc, test_child_buffer_under_its_pid);
	tcase_add_test(tc, test_watch_prints_count_lines);
	tcase_add_test(tc, test_heaps_listed_with_access);
	tcase_add_test(tc, test_user_counts_denied_processes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	const char *top = getenv("top_builddir");

	if (tu_missing_cma())
		return tu_cannot_run(tu_missing_cma());
	cma_heap = tu_cma_heap_name();
	snprintf(tool, sizeof(tool), "%s/tools/cmabuf-stat", top ? top : ".");
	if (access(tool, X_OK) < 0) {
		fprintf(stderr, "FAIL: %s not built\n", tool);
		return EXIT_FAILURE;
	}
	return tu_run(stats_suite());
}
