// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The CMA area map and the forecast against the real kernel (test VM;
 * tests/run-vm-suites gives this suite a 1.5 GiB guest with cma=768M, or
 * the arm64 DT pool of that size, so that movable pages spill into the
 * area):
 * - the classes add up to the area, allocated == debugfs used, the buddy
 *   pages == nr_free_cma within the pages on per-cpu lists;
 * - under memory pressure, each 32 MiB allocation starts at the
 *   forecast's first_pfn (the cma:cma_alloc_finish event) and migrates
 *   the pages_to_migrate it announced (pgmigrate_success);
 * - a fragmented area: the forecast says no run fits, the allocation
 *   fails, and the diagnosis says FRAGMENTED with the same largest run.
 */

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#define MIB (1024u * 1024u)
#define MAX_BUFS 4096
#define TRACE "/sys/kernel/tracing"
#define INSTANCE TRACE "/instances/cmabuf-test-map"

static struct cmabuf_ctx *ctx;
static struct cmabuf_heap *heap;
static struct cmabuf *bufs[MAX_BUFS];
static int nbufs;
static int fds_at_start;
static pid_t hog = -1;

static void setup(void)
{
	tu_fixture_open(&ctx, &heap, NULL, &fds_at_start);
}

static void teardown(void)
{
	int i;

	if (hog > 0) {
		kill(hog, SIGKILL);
		waitpid(hog, NULL, 0);
		hog = -1;
	}
	for (i = 0; i < nbufs; i++)
		bufs[i] = cmabuf_unref(bufs[i]);
	nbufs = 0;
	rmdir(INSTANCE);
	tu_fixture_close(&ctx, &heap, NULL, fds_at_start);
}

static uint64_t debugfs_u64(const char *area, const char *file)
{
	char path[256];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/cma/%s/%s", area,
		 file);
	f = fopen(path, "re");
	ck_assert_msg(f, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(fscanf(f, "%llu", &v), 1);
	fclose(f);
	return v;
}

/* pages on every per-cpu list (/proc/zoneinfo "count:"): the bound */
static uint64_t pcp_pages(void)
{
	char line[256];
	uint64_t sum = 0;
	FILE *f = fopen("/proc/zoneinfo", "re");

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v;

		if (sscanf(line, " count: %llu", &v) == 1)
			sum += v;
	}
	fclose(f);
	return sum;
}

static uint64_t vmstat(const char *key)
{
	uint64_t v = 0;

	ck_assert_msg(tu_vmstat(key, &v), "no %s in /proc/vmstat", key);
	return v;
}

/*
 * Every area (the arm64 guests have two): classes add up, allocated ==
 * debugfs used; the buddy pages of all areas == nr_free_cma (a sum over
 * the areas) within a bound.
 */
static void check_consistent(void)
{
	struct cmabuf_area_map_info in;
	struct cmabuf_area_map *map = NULL;
	uint64_t nr_free, pcp, buddy = 0, own = 0, diff;
	size_t i;
	int c;

	nr_free = vmstat("nr_free_cma");
	pcp = pcp_pages();
	ck_assert_int_eq(cmabuf_area_map_read(ctx, NULL, 0, &map), 0);
	ck_assert_uint_ge(cmabuf_area_map_get_area_count(map), 1);
	for (i = 0; i < cmabuf_area_map_get_area_count(map); i++) {
		uint64_t sum = 0;

		ck_assert_int_eq(cmabuf_area_map_get_info(map, i, &in), 0);
		for (c = 0; c < 4; c++)
			sum += in.class_pages[c];
		fprintf(stderr, "map %s: %" PRIu64 " pages: allocated %" PRIu64
			" free %" PRIu64 " (buddy %" PRIu64 ") movable %" PRIu64
			" other %" PRIu64 "; %" PRIu64 " runs\n", in.name,
			in.pages, in.class_pages[0], in.class_pages[1],
			in.buddy_pages, in.class_pages[2], in.class_pages[3],
			in.nr_runs);
		ck_assert_uint_eq(sum, in.pages);
		ck_assert_uint_eq(in.pages, debugfs_u64(in.name, "count"));
		ck_assert_uint_eq(in.class_pages[CMABUF_PAGE_ALLOCATED],
				  debugfs_u64(in.name, "used"));
		buddy += in.buddy_pages;
		own += in.pages * 9 / in.page_size + 1;
	}
	cmabuf_area_map_unref(map);
	/*
	 * nr_free_cma counts buddy pages only, read just before the map.
	 * What may differ: pages on per-cpu lists (pcp), and the map's own
	 * buffers, 9 bytes per page of each area (kpageflags words and
	 * classes), which a movable allocation may take from an area
	 * itself (measured: 315 pages on 6.1 for the 768 MiB area).
	 */
	diff = buddy > nr_free ? buddy - nr_free : nr_free - buddy;
	fprintf(stderr, "buddy %" PRIu64 ", nr_free_cma %" PRIu64 ", pcp %"
		PRIu64 ", own %" PRIu64 "\n", buddy, nr_free, pcp, own);
	ck_assert_msg(diff <= pcp + own, "buddy %" PRIu64 " vs nr_free_cma %"
		      PRIu64 ": more than %" PRIu64 " pcp + %" PRIu64
		      " own pages apart", buddy, nr_free, pcp, own);
}

START_TEST(test_map_consistent)
{
	int i;

	check_consistent();
	/* with buffers held, of several sizes */
	for (i = 0; i < 6; i++) {
		ck_assert_int_eq(cmabuf_alloc(heap, (size_t)(i + 1) * MIB, 0,
					      &bufs[nbufs]), 0);
		nbufs++;
	}
	check_consistent();
}
END_TEST

/* anonymous memory and shmem page cache, held until killed */
static void start_hog(size_t anon_mib, size_t shm_mib)
{
	int p[2];
	char c;

	ck_assert_int_eq(pipe(p), 0);
	hog = fork();
	ck_assert_int_ge(hog, 0);
	if (hog == 0) {
		char *a = mmap(NULL, anon_mib * MIB, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		int fd = memfd_create("cmabuf-test-cache", MFD_CLOEXEC);
		char *chunk = malloc(MIB);
		size_t i;

		if (a == MAP_FAILED || fd < 0 || !chunk)
			_exit(1);
		for (i = 0; i < anon_mib * MIB; i += 4096)
			a[i] = (char)i | 1;
		memset(chunk, 0x5a, MIB);
		for (i = 0; i < shm_mib; i++)
			if (write(fd, chunk, MIB) != (ssize_t)MIB)
				_exit(1);
		if (write(p[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	close(p[0]);
}

static void write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "we");

	ck_assert_msg(f, "%s: %s", path, strerror(errno));
	fputs(s, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* the pfn of the last cma_alloc_finish event in our instance */
static uint64_t last_finish_pfn(void)
{
	char line[1024], *p;
	uint64_t pfn = UINT64_MAX;
	FILE *f = fopen(INSTANCE "/trace", "re");

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "cma_alloc_finish") &&
		    (p = strstr(line, " pfn=")))
			pfn = strtoull(p + 5, NULL, 0);
	fclose(f);
	write_file(INSTANCE "/trace", "");
	return pfn;
}

START_TEST(test_forecast_under_pressure)
{
	int i, migrating = 0;

	if (mkdir(INSTANCE, 0700) < 0 && errno != EEXIST)
		ck_abort_msg("tracefs instance: %s", strerror(errno));
	write_file(INSTANCE "/events/cma/cma_alloc_finish/enable", "1");
	/* more than the memory outside the area: the rest spills into it */
	start_hog(1000, 200);
	for (i = 0; i < 12 && migrating < 2; i++) {
		struct cmabuf_forecast fc;
		uint64_t before, after, pfn, moved, bound;

		ck_assert_int_eq(cmabuf_heap_forecast(heap, 32 * MIB, 0, &fc),
				 0);
		before = vmstat("pgmigrate_success");
		ck_assert_int_eq(cmabuf_alloc(heap, 32 * MIB, 0,
					      &bufs[nbufs]), 0);
		nbufs++;
		after = vmstat("pgmigrate_success");
		pfn = last_finish_pfn();
		moved = after - before;
		fprintf(stderr, "forecast: pfn %" PRIu64 " migrate %" PRIu64
			" blocking %" PRIu64 "; kernel: pfn %" PRIu64
			" migrated %" PRIu64 "\n", fc.first_pfn,
			fc.pages_to_migrate, fc.pages_blocking, pfn, moved);
		ck_assert_int_eq(fc.would_succeed, 1);
		ck_assert_uint_eq(fc.pages, 32 * MIB / tu_page_size());
		ck_assert_uint_eq(pfn, fc.first_pfn);
		/*
		 * 10 %, but at least 2 MiB of pages: the hog keeps running,
		 * so movable pages still land in the range between the
		 * forecast and the allocation (36 pages seen on arm64 6.12
		 * for a forecast of 0), and pgmigrate_success counts every
		 * migration of the system, not only this allocation's.
		 */
		bound = fc.pages_to_migrate / 10;
		if (bound < 2 * MIB / tu_page_size())
			bound = 2 * MIB / tu_page_size();
		ck_assert_msg(moved + bound >= fc.pages_to_migrate &&
			      moved <= fc.pages_to_migrate + bound,
			      "migrated %" PRIu64 ", forecast %" PRIu64,
			      moved, fc.pages_to_migrate);
		if (fc.pages_to_migrate > 1000)
			migrating++;
	}
	ck_assert_msg(migrating > 0, "no allocation had to migrate: the "
		      "hog did not spill into the area");
	check_consistent();
}
END_TEST

START_TEST(test_fragmented)
{
	struct cmabuf_diagnosis *d = NULL;
	struct cmabuf_forecast fc;
	struct cmabuf *big = NULL;
	char expect[64];
	int i, ret, kept = 0;

	/* fill with 1 MiB buffers, then free every other one: 1 MiB holes */
	for (;;) {
		ck_assert_int_lt(nbufs, MAX_BUFS);
		if (cmabuf_alloc(heap, MIB, 0, &bufs[nbufs]) < 0)
			break;
		nbufs++;
	}
	ck_assert_int_gt(nbufs, 8);
	for (i = 0; i < nbufs; i++) {
		if (i % 2)
			bufs[i] = cmabuf_unref(bufs[i]);
		else
			bufs[kept++] = bufs[i];
	}
	nbufs = kept;
	ck_assert_int_eq(cmabuf_heap_forecast(heap, 4 * MIB, 0, &fc), 0);
	fprintf(stderr, "forecast 4 MiB: would_succeed %d largest %" PRIu64
		" / %" PRIu64 "\n", fc.would_succeed,
		fc.largest_without_migration_bytes, fc.largest_bytes);
	ck_assert_int_eq(fc.would_succeed, 0);
	ck_assert_uint_lt(fc.largest_bytes, 4 * MIB);
	ck_assert_uint_ge(fc.largest_bytes, MIB);
	ret = cmabuf_alloc(heap, 4 * MIB, 0, &big);
	ck_assert_int_eq(ret, -ENOMEM);
	ck_assert_int_eq(cmabuf_alloc_diagnose(ctx, heap, 4 * MIB, ret, &d), 0);
	fprintf(stderr, "diagnosis: %s\n", cmabuf_diagnosis_get_message(d));
	ck_assert_int_eq(cmabuf_diagnosis_get_reason(d),
			 CMABUF_DIAG_FRAGMENTED);
	snprintf(expect, sizeof(expect), "is %" PRIu64 " bytes",
		 fc.largest_bytes);
	ck_assert_msg(strstr(cmabuf_diagnosis_get_message(d), expect),
		      "message does not quote '%s'", expect);
	cmabuf_diagnosis_unref(d);
}
END_TEST

/* status of sh -c cmd, its stdout in out (NUL-terminated) */
static int run_sh(const char *cmd, char *out, size_t size)
{
	FILE *p = popen(cmd, "r");
	size_t n;

	ck_assert_ptr_nonnull(p);
	n = fread(out, 1, size - 1, p);
	out[n] = '\0';
	return pclose(p);
}

/* run_sh() as uid/gid 65534 (busybox has no su in the arm64 guests) */
static int as_nobody(const char *cmd, char *out, size_t size)
{
	int p[2], status;
	ssize_t n, got = 0;
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(99);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(98);
	}
	close(p[1]);
	while ((n = read(p[0], out + got, size - 1 - (size_t)got)) > 0)
		got += n;
	out[got] = '\0';
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* the tool's views of the map, checked by the project's checker and by
 * Prometheus' own promtool (from the host root the guest runs on) */
START_TEST(test_tool_views)
{
	static char out[1 << 20];
	char cmd[512];

	ck_assert_int_eq(run_sh("./tools/cmabuf-stat --map", out,
				sizeof(out)), 0);
	fprintf(stderr, "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "1 glyph = "));
	ck_assert_ptr_nonnull(strstr(out, "# allocated by cma_alloc()"));
	ck_assert_ptr_null(strchr(out, '\033'));	/* not a terminal */
	snprintf(cmd, sizeof(cmd), "./tools/cmabuf-stat --json --map %s | "
		 "./tests/check-views --json - && ./tools/cmabuf-stat --json "
		 "--map | grep -q '\"runs\": \\[\\['", tu_cma_area_name());
	ck_assert_int_eq(run_sh(cmd, out, sizeof(out)), 0);
	/* promtool is an x86_64 program of the host root: not in the arm64
	 * guests (test-map runs it on the host, on a captured tree) */
	ck_assert_int_eq(run_sh("./tools/cmabuf-stat --prometheus --with-map "
				"> /tmp/map.prom && ./tests/check-views "
				"--prometheus /tmp/map.prom && "
				"case \"$CMABUF_VM_KERNEL\" in arm64-*) ;; "
				"*) promtool check metrics < /tmp/map.prom ;; "
				"esac && grep '^cmabuf_area_map_pages{' "
				"/tmp/map.prom", out, sizeof(out)), 0);
	/* four classes per area */
	ck_assert_ptr_nonnull(strstr(out, ",class=\"other\"} "));
	ck_assert_ptr_nonnull(strstr(out, ",class=\"allocated\"} "));
	ck_assert_int_eq(run_sh("./tools/cmabuf-stat --json --forecast 32M",
				out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"would_succeed\": true"));
	ck_assert_ptr_nonnull(strstr(out, "\"largest_bytes\": "));
	/* not root: the reason, exit 1 */
	ck_assert_int_eq(as_nobody("./tools/cmabuf-stat --map 2>&1", out,
				   sizeof(out)), 1);
	ck_assert_msg(strstr(out, "need root"), "%s", out);
}
END_TEST

static Suite *map_suite(void)
{
	Suite *s = suite_create("vm-map");
	TCase *tc = tcase_create("map");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_map_consistent);
	tcase_add_test(tc, test_forecast_under_pressure);
	tcase_add_test(tc, test_fragmented);
	tcase_add_test(tc, test_tool_views);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	const char *why = tu_missing_cma();

	if (why)
		return tu_cannot_run(why);
	if (access("/proc/kpageflags", R_OK) < 0)
		return tu_cannot_run("/proc/kpageflags is not readable");
	return tu_run(map_suite());
}
