// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * map-bench: what a CMA area map costs (make bench-map, in the test VM
 * with cma=768M in 1.5 GiB). The floor is reading the same kpageflags
 * range: in-process with pread (512 KiB at a time, as the map does), and
 * as a process with dd. Printed: medians of alternated batches and their
 * ratio (bench_compare()), then the size of `cmabuf-stat --map --json`
 * idle and with movable pages spilled into the area (it grows with the
 * number of runs, not of pages). It never asserts timing.
 *
 *   map-bench CMABUF_STAT_BINARY
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-util.h"
#include "cmabuf.h"

#define MIB ((size_t)1024 * 1024)
#define CHUNK (512 * 1024)

static struct cmabuf_ctx *ctx;
static struct cmabuf_area_map_info info;
static const char *tool;
static char dd_cmd[512], tool_cmd[512];

static void die(const char *what)
{
	fprintf(stderr, "map-bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double pread_range(void)
{
	static char buf[CHUNK];
	uint64_t t0 = bench_now_ns(), off = info.base_pfn * 8,
		 end = off + info.pages * 8;
	int fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die("/proc/kpageflags");
	for (; off < end; off += CHUNK) {
		size_t want = end - off < CHUNK ? end - off : CHUNK;

		if (pread(fd, buf, want, (off_t)off) != (ssize_t)want)
			die("pread");
	}
	close(fd);
	return (double)(bench_now_ns() - t0);
}

static double map_once(void)
{
	struct cmabuf_area_map *map = NULL;
	uint64_t t0 = bench_now_ns();
	int ret = cmabuf_area_map_read(ctx, info.name, 0, &map);

	if (ret < 0) {
		errno = -ret;
		die("cmabuf_area_map_read");
	}
	cmabuf_area_map_unref(map);
	return (double)(bench_now_ns() - t0);
}

static double run_cmd(const char *cmd)
{
	uint64_t t0 = bench_now_ns();

	if (system(cmd) != 0)
		die(cmd);
	return (double)(bench_now_ns() - t0);
}

static double lib_batch(void *arg, bool candidate)
{
	(void)arg;
	return candidate ? map_once() : pread_range();
}

static double proc_batch(void *arg, bool candidate)
{
	(void)arg;
	return run_cmd(candidate ? tool_cmd : dd_cmd);
}

static size_t json_size(uint64_t *runs)
{
	struct cmabuf_area_map *map = NULL;
	char cmd[600], buf[65536];
	size_t total = 0, n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s --json --map %s", tool, info.name);
	p = popen(cmd, "r");
	if (!p)
		die("popen");
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		total += n;
	pclose(p);
	*runs = 0;
	if (cmabuf_area_map_read(ctx, info.name, 0, &map) == 0) {
		struct cmabuf_area_map_info in;

		if (cmabuf_area_map_get_info(map, 0, &in) == 0)
			*runs = in.nr_runs;
		cmabuf_area_map_unref(map);
	}
	return total;
}

/* the area filled with 1 MiB buffers, every other one freed */
static size_t json_holes(uint64_t *runs)
{
	static struct cmabuf *bufs[4096];
	struct cmabuf_heap *heap;
	size_t n = 0, i, size;

	if (cmabuf_heap_open(ctx, NULL, 0, &heap) < 0)
		die("heap");
	while (n < 4096 && cmabuf_alloc(heap, MIB, 0, &bufs[n]) == 0)
		n++;
	for (i = 1; i < n; i += 2)
		bufs[i] = cmabuf_unref(bufs[i]);
	size = json_size(runs);
	for (i = 0; i < n; i++)
		cmabuf_unref(bufs[i]);
	cmabuf_heap_unref(heap);
	return size;
}

/* anonymous memory until little is left outside the area */
static pid_t spill(size_t mib)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe(p) < 0)
		die("pipe");
	pid = fork();
	if (pid == 0) {
		char *a = mmap(NULL, mib * MIB, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		size_t i;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (a == MAP_FAILED)
			_exit(1);
		for (i = 0; i < mib * MIB; i += 4096)
			a[i] = 1;
		if (write(p[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1)
		die("spill helper");
	close(p[0]);
	return pid;
}

static void compare(const char *what, bench_batch_fn fn, const char *base,
		    const char *cand)
{
	struct bench_cmp r = bench_compare(fn, NULL, 3000000000ull);

	printf("%-9s %-34s %9.2f ms\n%-9s %-34s %9.2f ms   ratio %.2f "
	       "(median of %u)\n", what, base, r.base / 1e6, "", cand,
	       r.cand / 1e6, r.ratio, r.rounds);
}

int main(int argc, char **argv)
{
	struct cmabuf_area_map *map = NULL;
	size_t idle, loaded, holes;
	uint64_t runs_idle, runs_loaded, runs_holes;
	pid_t hog;
	int ret;

	if (argc != 2) {
		fprintf(stderr, "usage: map-bench CMABUF_STAT\n");
		return 2;
	}
	tool = argv[1];
	if (cmabuf_ctx_new(&ctx) < 0)
		die("ctx");
	ret = cmabuf_area_map_read(ctx, NULL, 0, &map);
	if (ret < 0) {
		fprintf(stderr, "map-bench: no CMA area map: %s (run it as "
			"root in the test VM: make bench-map)\n",
			strerror(-ret));
		return 77;
	}
	cmabuf_area_map_get_info(map, 0, &info);
	info.name = strdup(info.name);
	cmabuf_area_map_unref(map);
	bench_clock_init();
	/* areas are pageblock-aligned: 512-page blocks of dd are exact */
	snprintf(dd_cmd, sizeof(dd_cmd), "dd if=/proc/kpageflags of=/dev/null "
		 "bs=4096 skip=%" PRIu64 " count=%" PRIu64 " 2>/dev/null",
		 info.base_pfn / 512, (info.pages + 511) / 512);
	snprintf(tool_cmd, sizeof(tool_cmd), "%s --map %s >/dev/null", tool,
		 info.name);
	printf("map-bench: kernel %s, area %s: %" PRIu64 " pages of %" PRIu64
	       " bytes (%" PRIu64 " MiB), clock %s\n",
	       getenv("CMABUF_VM_KERNEL") ? getenv("CMABUF_VM_KERNEL") : "host",
	       info.name, info.pages, info.page_size,
	       info.pages * info.page_size / MIB, bench_clock_name());
	compare("library", lib_batch, "pread of the kpageflags range",
		"cmabuf_area_map_read()");
	compare("process", proc_batch, "dd of the kpageflags range",
		"cmabuf-stat --map");
	idle = json_size(&runs_idle);
	hog = spill(1100);
	loaded = json_size(&runs_loaded);
	compare("spilled", proc_batch, "dd of the kpageflags range",
		"cmabuf-stat --map");
	kill(hog, SIGKILL);
	waitpid(hog, NULL, 0);
	holes = json_holes(&runs_holes);
	printf("json      idle: %" PRIu64 " runs, %zu bytes; movable pages "
	       "spilled in: %" PRIu64 " runs, %zu bytes; 1 MiB holes: %"
	       PRIu64 " runs, %zu bytes (%.1f bytes per run); the area is %"
	       PRIu64 " pages\n", runs_idle, idle, runs_loaded, loaded,
	       runs_holes, holes, (double)holes / (double)runs_holes,
	       info.pages);
	cmabuf_ctx_unref(ctx);
	return 0;
}
