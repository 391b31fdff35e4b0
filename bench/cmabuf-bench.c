// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmabuf-bench: what the library costs, and what pools save.
 *
 * Meant for the test VM (make bench), where absolute times are emulated
 * and mean nothing: every figure is printed next to a baseline measured
 * in the same run, and the summary is a ratio. Prints tables, then one
 * JSON object on a line starting with "JSON: ". It never asserts timing.
 *
 *   cmabuf-bench [--quick] [--heap NAME] [--frames N] [SECTION...]
 *   sections: alloc sync latency stream bandwidth (default: all)
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>

#include "bench-util.h"
#include "cmabuf.h"

#define KIB ((size_t)1024)
#define MIB ((size_t)1024 * 1024)
#define NV12_1080P 3110400ul	/* 1920 x 1080 x 1.5 */

static bool quick;
static const char *cma_name;
static unsigned int frames = 600;

/* ---- output: tables on stdout, JSON gathered for the last line ---- */

static char json[16384];
static size_t json_len;

static void json_add(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void json_add(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (json_len >= sizeof(json))
		return;
	va_start(ap, fmt);
	n = vsnprintf(json + json_len, sizeof(json) - json_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		json_len += (size_t)n;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "cmabuf-bench: %s: %s\n", what, strerror(err));
	exit(1);
}

/* ---- time and statistics (the clock: bench/bench-util.c) ---- */

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* the q-quantile (nearest rank) of n samples; sorts v */
static double quantile(double *v, size_t n, double q)
{
	size_t i;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	i = (size_t)(q * (double)n + 0.5);
	if (i > 0)
		i--;
	return v[i < n ? i : n - 1];
}

/* the number after "key<sep>" in a /proc file such as vmstat or meminfo */
static uint64_t proc_value(const char *file, const char *key, char sep)
{
	char line[256];
	size_t klen = strlen(key);
	uint64_t v = 0;
	FILE *f = fopen(file, "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, klen) == 0 && line[klen] == sep) {
			v = strtoull(line + klen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static uint64_t vmstat(const char *key)
{
	return proc_value("/proc/vmstat", key, ' ');
}

static uint64_t meminfo_kb(const char *key)
{
	return proc_value("/proc/meminfo", key, ':');
}

static const char *size_label(size_t size)
{
	static char buf[4][24];
	static int i;

	i = (i + 1) % 4;
	if (size >= MIB && size % MIB == 0)
		snprintf(buf[i], sizeof(buf[i]), "%zuM", (size_t)(size / MIB));
	else
		snprintf(buf[i], sizeof(buf[i]), "%zuK", (size_t)(size / KIB));
	return buf[i];
}

/* ---- raw kernel baselines ---- */

static int raw_heap_open(const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "/dev/dma_heap/%s", name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die(path, errno);
	return fd;
}

static int raw_alloc(int heap_fd, size_t size)
{
	struct dma_heap_allocation_data data = {
		.len = size,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};

	if (ioctl(heap_fd, DMA_HEAP_IOCTL_ALLOC, &data) < 0)
		die("DMA_HEAP_IOCTL_ALLOC", errno);
	return (int)data.fd;
}

static struct cmabuf_ctx *ctx;

static struct cmabuf_heap *heap_open(const char *name)
{
	struct cmabuf_heap *heap = NULL;
	int ret = cmabuf_heap_open(ctx, name, 0, &heap);

	if (ret < 0)
		die(name, -ret);
	return heap;
}

static struct cmabuf *lib_alloc(struct cmabuf_heap *heap, size_t size)
{
	struct cmabuf *buf = NULL;
	int ret = cmabuf_alloc(heap, size, 0, &buf);

	if (ret < 0)
		die("cmabuf_alloc", -ret);
	return buf;
}

#define ROUNDS_BUDGET_NS (3ull * 1000 * 1000 * 1000)

/* bench_compare() within the time budget (a third of it with --quick) */
static struct bench_cmp compare(bench_batch_fn fn, void *arg)
{
	return bench_compare(fn, arg, quick ? ROUNDS_BUDGET_NS / 3 :
			     ROUNDS_BUDGET_NS);
}

/* ---- 1. alloc + free: library vs raw ioctl + close ---- */

struct alloc_arg {
	int raw_fd;
	struct cmabuf_heap *heap;
	size_t size;
	unsigned int per;
};

static double alloc_batch(void *arg, bool lib)
{
	struct alloc_arg *a = arg;
	uint64_t t0 = bench_now_ns();
	unsigned int i;

	for (i = 0; i < a->per; i++) {
		if (lib)
			cmabuf_unref(lib_alloc(a->heap, a->size));
		else
			close(raw_alloc(a->raw_fd, a->size));
	}
	return (double)(bench_now_ns() - t0) / a->per;
}

static void bench_alloc(void)
{
	static const size_t sizes[] = { 4 * KIB, 64 * KIB, MIB, 8 * MIB };
	const char *heaps[] = { cma_name, "system" };
	size_t h, s;

	printf("\n== alloc+free: library vs DMA_HEAP_IOCTL_ALLOC + close "
	       "(target <= 1.05x)\n");
	printf("%-8s %-6s %12s %12s %8s %7s\n", "heap", "size", "raw ns/op",
	       "lib ns/op", "ratio", "rounds");
	json_add("\"alloc_free\":[");
	for (h = 0; h < 2; h++) {
		struct alloc_arg a = {
			.raw_fd = raw_heap_open(heaps[h]),
			.heap = heap_open(heaps[h]),
		};

		for (s = 0; s < 4; s++) {
			struct bench_cmp c;

			a.size = sizes[s];
			a.per = a.size >= 8 * MIB ? 1 : a.size >= MIB ? 2 : 5;
			c = compare(alloc_batch, &a);
			printf("%-8s %-6s %12.0f %12.0f %7.3fx %7u\n",
			       h ? "system" : "cma", size_label(a.size), c.base,
			       c.cand, c.ratio, c.rounds);
			json_add("%s{\"heap\":\"%s\",\"size\":%zu,\"raw_ns\":%.0f,"
				 "\"lib_ns\":%.0f,\"ratio\":%.4f}",
				 (h || s) ? "," : "", h ? "system" : "cma",
				 a.size, c.base, c.cand, c.ratio);
		}
		close(a.raw_fd);
		cmabuf_heap_unref(a.heap);
	}
	json_add("],");
}

/* ---- 2. sync begin + end: library vs raw DMA_BUF_IOCTL_SYNC ---- */

static double sync_batch(void *arg, bool lib)
{
	struct cmabuf *buf = arg;
	struct dma_buf_sync s;
	int fd = cmabuf_get_fd(buf);
	unsigned int i, n = 100;
	uint64_t t0 = bench_now_ns();

	for (i = 0; i < n; i++) {
		if (lib) {
			cmabuf_sync_begin(buf, CMABUF_SYNC_RW);
			cmabuf_sync_end(buf, CMABUF_SYNC_RW);
		} else {
			s.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW;
			ioctl(fd, DMA_BUF_IOCTL_SYNC, &s);
			s.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW;
			ioctl(fd, DMA_BUF_IOCTL_SYNC, &s);
		}
	}
	return (double)(bench_now_ns() - t0) / n;
}

static void bench_sync(void)
{
	/* on ARM the pair cleans and invalidates the caches over the whole
	 * buffer, so its cost grows with the size: report three */
	static const size_t sizes[] = { 64 * KIB, MIB, 8 * MIB };
	const char *heaps[] = { cma_name, "system" };
	size_t h, z;

	printf("\n== sync begin+end: library vs raw DMA_BUF_IOCTL_SYNC pair "
	       "(mapped buffer, target <= 1.05x)\n");
	printf("%-8s %6s %12s %12s %8s %7s\n", "heap", "size", "raw ns/pair",
	       "lib ns/pair", "ratio", "rounds");
	json_add("\"sync\":[");
	for (h = 0; h < 2; h++) {
		struct cmabuf_heap *heap = heap_open(heaps[h]);

		for (z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
			struct cmabuf *buf = lib_alloc(heap, sizes[z]);
			struct bench_cmp c;
			void *p;

			if (cmabuf_map(buf, CMABUF_MAP_RW, &p) < 0)
				die("cmabuf_map", EIO);
			c = compare(sync_batch, buf);
			printf("%-8s %6s %12.0f %12.0f %7.3fx %7u\n",
			       h ? "system" : "cma", size_label(sizes[z]),
			       c.base, c.cand, c.ratio, c.rounds);
			json_add("%s{\"heap\":\"%s\",\"size\":%zu,"
				 "\"raw_ns\":%.0f,\"lib_ns\":%.0f,"
				 "\"ratio\":%.4f}", h || z ? "," : "",
				 h ? "system" : "cma", sizes[z], c.base,
				 c.cand, c.ratio);
			cmabuf_unmap(buf);
			cmabuf_unref(buf);
		}
		cmabuf_heap_unref(heap);
	}
	json_add("],");
}

/* ---- memory pressure: movable pages that spill into the CMA area ---- */

static pid_t pressure_pid = -1;

/*
 * Fill all but `leave` of the available memory with anonymous pages
 * (70 %) and tmpfs page cache (30 %), then keep replacing anonymous
 * chunks, as a busy desktop does, so that freed CMA pages fill up again
 * with movable pages that the next allocation must migrate.
 */
static void pressure_child(int ready_fd, uint64_t bytes)
{
	size_t chunk = 4 * MIB, n_anon, i, j;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uint64_t file_bytes = bytes * 3 / 10;
	char **chunks;
	char path[] = "/tmp/cmabuf-bench-pressure-XXXXXX";
	int fd, oom;

	/* if memory runs out, the kernel should kill this helper first */
	oom = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (oom >= 0) {
		if (write(oom, "1000", 4) < 0)
			(void)0;
		close(oom);
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	fd = mkstemp(path);
	if (fd >= 0) {
		static char block[1 << 16];
		uint64_t done;

		unlink(path);
		memset(block, 0x5a, sizeof(block));
		for (done = 0; done < file_bytes; done += sizeof(block))
			if (write(fd, block, sizeof(block)) < 0)
				break;
	}
	n_anon = (size_t)((bytes - file_bytes) / chunk);
	chunks = calloc(n_anon, sizeof(*chunks));
	for (i = 0; i < n_anon; i++) {
		chunks[i] = mmap(NULL, chunk, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (chunks[i] == MAP_FAILED)
			_exit(2);
		for (j = 0; j < chunk; j += page)
			chunks[i][j] = 1;
	}
	if (write(ready_fd, "r", 1) < 0)
		_exit(3);
	close(ready_fd);
	for (i = 0;; i = (i + 1) % n_anon) {
		munmap(chunks[i], chunk);
		chunks[i] = mmap(NULL, chunk, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (chunks[i] == MAP_FAILED)
			_exit(4);
		for (j = 0; j < chunk; j += page)
			chunks[i][j] = 1;
		usleep(2000);
	}
}

static void pressure_start(void)
{
	uint64_t avail = meminfo_kb("MemAvailable") * KIB;
	uint64_t leave = 256 * MIB, bytes;
	int pfd[2];
	char c;

	if (pressure_pid > 0)
		return;
	bytes = avail > leave + 64 * MIB ? avail - leave : 64 * MIB;
	if (pipe2(pfd, O_CLOEXEC) < 0)
		die("pipe", errno);
	fflush(stdout);
	pressure_pid = fork();
	if (pressure_pid < 0)
		die("fork", errno);
	if (pressure_pid == 0) {
		close(pfd[0]);
		pressure_child(pfd[1], bytes);
		_exit(0);
	}
	close(pfd[1]);
	if (read(pfd[0], &c, 1) != 1)
		die("pressure helper died while filling memory", EIO);
	close(pfd[0]);
	printf("(pressure: %" PRIu64 " MiB of anonymous + tmpfs pages, "
	       "churning; CmaFree now %" PRIu64 " MiB of %" PRIu64 ")\n",
	       bytes / MIB, meminfo_kb("CmaFree") / 1024,
	       meminfo_kb("CmaTotal") / 1024);
}

static void pressure_stop(void)
{
	if (pressure_pid <= 0)
		return;
	kill(pressure_pid, SIGKILL);
	waitpid(pressure_pid, NULL, 0);
	pressure_pid = -1;
}

/* ---- 3. fresh CMA allocation latency, idle vs under pressure ---- */

struct latency {
	double p50, p99;
	uint64_t migrated;
};

static struct latency fresh_latency(struct cmabuf_heap *heap, size_t size,
				    unsigned int n)
{
	double *v = calloc(n, sizeof(*v));
	uint64_t m0 = vmstat("pgmigrate_success");
	struct latency l;
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint64_t t0 = bench_now_ns();
		struct cmabuf *buf = lib_alloc(heap, size);

		v[i] = (double)(bench_now_ns() - t0);
		cmabuf_unref(buf);
		/* let the churn refill the freed range */
		usleep(20000);
	}
	l.migrated = vmstat("pgmigrate_success") - m0;
	l.p50 = quantile(v, n, 0.5);
	l.p99 = quantile(v, n, 0.99);
	free(v);
	return l;
}

static void bench_latency(void)
{
	struct cmabuf_heap *heap = heap_open(cma_name);
	unsigned int n = quick ? 10 : 30;
	struct latency idle, busy;

	printf("\n== fresh CMA allocation of %s: idle vs under memory "
	       "pressure (%u samples each)\n", size_label(8 * MIB), n);
	idle = fresh_latency(heap, 8 * MIB, n);
	pressure_start();
	busy = fresh_latency(heap, 8 * MIB, n);
	printf("%-9s %12s %12s %14s\n", "", "p50 us", "p99 us",
	       "pages migrated");
	printf("%-9s %12.0f %12.0f %14" PRIu64 "\n", "idle", idle.p50 / 1e3,
	       idle.p99 / 1e3, idle.migrated);
	printf("%-9s %12.0f %12.0f %14" PRIu64 "\n", "pressure",
	       busy.p50 / 1e3, busy.p99 / 1e3, busy.migrated);
	printf("ratio p50 %.2fx, p99 %.2fx\n", busy.p50 / idle.p50,
	       busy.p99 / idle.p99);
	json_add("\"fresh_alloc_8M\":{\"idle_p50_ns\":%.0f,\"idle_p99_ns\":%.0f,"
		 "\"idle_migrated\":%" PRIu64 ",\"pressure_p50_ns\":%.0f,"
		 "\"pressure_p99_ns\":%.0f,\"pressure_migrated\":%" PRIu64 ","
		 "\"ratio_p50\":%.3f,\"ratio_p99\":%.3f},", idle.p50, idle.p99,
		 idle.migrated, busy.p50, busy.p99, busy.migrated,
		 busy.p50 / idle.p50, busy.p99 / idle.p99);
	cmabuf_heap_unref(heap);
}

/* ---- 3b. fresh CMA allocation latency with cmabuf-trace running ---- */

static pid_t tracer_start(void)
{
	const char *tool = getenv("CMABUF_TRACE_TOOL");
	char path[128], st[4] = "";
	pid_t pid = fork();
	int i;

	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		dup2(fd, 2);
		execl(tool ? tool : "tools/cmabuf-trace", "cmabuf-trace",
		      (char *)NULL);
		_exit(127);
	}
	/* its last event enabled: the tracer is fully set up */
	snprintf(path, sizeof(path), "/sys/kernel/tracing/instances/cmabuf-"
		 "trace.%d/events/sched/sched_process_exit/enable", (int)pid);
	for (i = 0; i < 600 && st[0] != '1'; i++) {
		FILE *f = fopen(path, "re");

		if (f) {
			if (!fgets(st, sizeof(st), f))
				st[0] = '\0';
			fclose(f);
		}
		if (st[0] != '1')
			usleep(50000);
	}
	if (st[0] != '1')
		die("cmabuf-trace did not start", ETIMEDOUT);
	return pid;
}

static void tracer_stop(pid_t pid)
{
	kill(pid, SIGINT);
	waitpid(pid, NULL, 0);
}

static void trace_samples(struct cmabuf_heap *heap, size_t size, double *v,
			  unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint64_t t0 = bench_now_ns();
		struct cmabuf *buf = lib_alloc(heap, size);

		v[i] = (double)(bench_now_ns() - t0);
		cmabuf_unref(buf);
	}
}

/* odd rounds' median over even rounds': how far apart equal runs are */
static double off_off(const double *v, unsigned int rounds, unsigned int per)
{
	double *even = calloc(rounds * per, sizeof(double));
	double *odd = calloc(rounds * per, sizeof(double));
	unsigned int r, i, ne = 0, no = 0;
	double ratio;

	for (r = 0; r < rounds; r++)
		for (i = 0; i < per; i++) {
			if (r % 2)
				odd[no++] = v[r * per + i];
			else
				even[ne++] = v[r * per + i];
		}
	ratio = quantile(odd, no, 0.5) / quantile(even, ne, 0.5);
	free(even);
	free(odd);
	return ratio;
}

/*
 * Rounds alternate which comes first, so that drift cancels. Enabling or
 * disabling a trace event patches kernel code (static keys), which QEMU's
 * TCG then translates again: the first allocations after a switch pay
 * that, so each segment starts with unmeasured warm-up allocations.
 */
static void bench_trace(void)
{
	static const size_t sizes[] = { 1 * MIB, 4 * MIB, 16 * MIB };
	enum { NS = sizeof(sizes) / sizeof(sizes[0]) };
	struct cmabuf_heap *heap = heap_open(cma_name);
	unsigned int rounds = quick ? 2 : 10, per = 5, r, j, k, on;
	double *v[NS][2], warm[2];
	pid_t t = 0;

	const char *tool = getenv("CMABUF_TRACE_TOOL");

	if (access(tool ? tool : "tools/cmabuf-trace", X_OK) != 0) {
		printf("\n== cmabuf-trace overhead: skipped, no "
		       "tools/cmabuf-trace (configured with --disable-trace?)\n");
		cmabuf_heap_unref(heap);
		return;
	}
	printf("\n== fresh CMA allocation with cmabuf-trace running vs not "
	       "(%u samples each, alternating rounds)\n", rounds * per);
	for (k = 0; k < NS; k++)
		for (on = 0; on < 2; on++)
			v[k][on] = calloc(rounds * per, sizeof(double));
	for (r = 0; r < rounds; r++) {
		for (j = 0; j < 2; j++) {
			on = r % 2 ? 1 - j : j;
			if (on)
				t = tracer_start();
			for (k = 0; k < NS; k++)
				trace_samples(heap, sizes[k], warm, 2);
			for (k = 0; k < NS; k++)
				trace_samples(heap, sizes[k], v[k][on] + r * per,
					      per);
			if (on)
				tracer_stop(t);
		}
	}
	printf("%-6s %14s %14s %8s %12s\n", "size", "off p50 us", "on p50 us",
	       "ratio", "off/off");
	for (k = 0; k < NS; k++) {
		double off = quantile(v[k][0], rounds * per, 0.5);
		double onp = quantile(v[k][1], rounds * per, 0.5);
		double aa = off_off(v[k][0], rounds, per);

		printf("%-6s %14.0f %14.0f %7.3fx %11.3fx\n",
		       size_label(sizes[k]), off / 1e3, onp / 1e3, onp / off, aa);
		json_add("\"trace_overhead_%s\":{\"off_p50_ns\":%.0f,"
			 "\"on_p50_ns\":%.0f,\"ratio\":%.4f,\"off_off\":%.4f},",
			 size_label(sizes[k]), off, onp, onp / off, aa);
		free(v[k][0]);
		free(v[k][1]);
	}
	printf("off/off: the same condition, odd rounds against even ones: "
	       "the noise of this run\n");
	printf("goal: <= 1.05x at 1M and up\n");
	cmabuf_heap_unref(heap);
}

/* ---- 4. streaming: 1080p NV12 frames, allocate-per-frame vs pool ---- */

#define IN_FLIGHT 4	/* decoder -> display queue depth */

struct stream_result {
	double cpu_per_frame, mean, p50, p99;
	uint64_t migrated, migrated_steady, cma_allocs;
};

/* touch the frame as a decoder would, one byte per page */
static void touch_frame(struct cmabuf *buf, unsigned int f)
{
	size_t i, page = (size_t)sysconf(_SC_PAGESIZE);
	unsigned char *p;

	if (cmabuf_map(buf, CMABUF_MAP_RW, (void **)&p) < 0)
		die("cmabuf_map", EIO);
	cmabuf_sync_begin(buf, CMABUF_SYNC_WRITE);
	for (i = 0; i < cmabuf_get_size(buf); i += page)
		p[i] = (unsigned char)f;
	cmabuf_sync_end(buf, CMABUF_SYNC_WRITE);
	cmabuf_unmap(buf);
}

static struct stream_result stream(struct cmabuf_heap *heap,
				   struct cmabuf_pool *pool)
{
	struct cmabuf *ring[IN_FLIGHT] = { NULL };
	double *lat = calloc(frames, sizeof(*lat));
	uint64_t cpu = 0, m0, m_steady = 0, a0;
	double sum = 0;
	unsigned int f, warm = frames / 10;
	struct stream_result r;

	m0 = vmstat("pgmigrate_success");
	a0 = vmstat("cma_alloc_success");
	for (f = 0; f < frames; f++) {
		struct cmabuf **slot = &ring[f % IN_FLIGHT];
		uint64_t t0, c0;
		int ret;

		if (f == warm)
			m_steady = vmstat("pgmigrate_success");
		/* the frame shown IN_FLIGHT frames ago is done */
		if (*slot) {
			if (pool)
				cmabuf_pool_release(pool, *slot, -1);
			else
				cmabuf_unref(*slot);
			*slot = NULL;
		}
		c0 = cpu_ns();
		t0 = bench_now_ns();
		if (pool)
			ret = cmabuf_pool_acquire(pool, slot);
		else
			ret = cmabuf_alloc(heap, NV12_1080P, 0, slot);
		lat[f] = (double)(bench_now_ns() - t0);
		cpu += cpu_ns() - c0;
		sum += lat[f];
		if (ret < 0)
			die(pool ? "cmabuf_pool_acquire" : "cmabuf_alloc", -ret);
		touch_frame(*slot, f);
		usleep(1000);	/* the rest of the pipeline */
	}
	r.migrated = vmstat("pgmigrate_success") - m0;
	r.migrated_steady = vmstat("pgmigrate_success") - m_steady;
	r.cma_allocs = vmstat("cma_alloc_success") - a0;
	for (f = 0; f < IN_FLIGHT; f++) {
		if (!ring[f])
			continue;
		if (pool)
			cmabuf_pool_release(pool, ring[f], -1);
		else
			cmabuf_unref(ring[f]);
	}
	r.cpu_per_frame = (double)cpu / frames;
	r.mean = sum / frames;
	r.p50 = quantile(lat, frames, 0.5);
	r.p99 = quantile(lat, frames, 0.99);
	free(lat);
	return r;
}

static void print_telemetry(const struct cmabuf_telemetry *t)
{
	unsigned int i;

	printf("telemetry of cmabuf_alloc(): %" PRIu64 " allocations, %" PRIu64
	       " failures, mean %.0f us, max %.0f us, p50 <= %.0f us, "
	       "p99 <= %.0f us\n", t->allocations, t->failures,
	       t->allocations ? (double)t->total_ns / t->allocations / 1e3 : 0,
	       (double)t->max_ns / 1e3,
	       (double)cmabuf_telemetry_quantile_ns(t, 0.5) / 1e3,
	       (double)cmabuf_telemetry_quantile_ns(t, 0.99) / 1e3);
	printf("  latency histogram (us):");
	for (i = 0; i < CMABUF_TELEMETRY_BUCKETS; i++)
		if (t->histogram[i])
			printf(" [%u,%u):%" PRIu64, i ? 1u << i : 0,
			       2u << i, t->histogram[i]);
	printf("\n");
	json_add("\"telemetry\":{\"allocations\":%" PRIu64 ",\"failures\":%"
		 PRIu64 ",\"max_ns\":%" PRIu64 ",\"histogram_us_log2\":[",
		 t->allocations, t->failures, t->max_ns);
	for (i = 0; i < CMABUF_TELEMETRY_BUCKETS; i++)
		json_add("%s%" PRIu64, i ? "," : "", t->histogram[i]);
	json_add("]},");
}

static void bench_stream(void)
{
	struct cmabuf_heap *heap = heap_open(cma_name);
	struct cmabuf_pool_stats st;
	struct stream_result a, p;
	struct cmabuf_telemetry t;
	struct cmabuf_pool *pool;
	int ret;

	pressure_start();
	printf("\n== streaming %u frames of 1080p NV12 (%lu bytes), %d in "
	       "flight, under memory pressure\n", frames, NV12_1080P,
	       IN_FLIGHT);
	cmabuf_ctx_set_telemetry(ctx, 1);
	a = stream(heap, NULL);
	if (cmabuf_ctx_get_telemetry(ctx, &t) == 0)
		print_telemetry(&t);
	cmabuf_ctx_set_telemetry(ctx, 0);
	/* the pool allocates before the stream starts, not per frame */
	ret = cmabuf_pool_new(heap, NV12_1080P, IN_FLIGHT + 1, IN_FLIGHT + 2,
			      0, &pool);
	if (ret < 0)
		die("cmabuf_pool_new", -ret);
	p = stream(heap, pool);
	cmabuf_pool_get_stats(pool, &st);
	printf("%-15s %10s %10s %10s %10s %9s %8s %10s\n", "per acquire",
	       "mean us", "p50 us", "p99 us", "cpu us*", "migrated",
	       "steady", "cma allocs");
	printf("%-15s %10.2f %10.2f %10.2f %10.1f %9" PRIu64 " %8" PRIu64
	       " %10" PRIu64 "\n", "allocate/frame", a.mean / 1e3, a.p50 / 1e3,
	       a.p99 / 1e3, a.cpu_per_frame / 1e3, a.migrated,
	       a.migrated_steady, a.cma_allocs);
	printf("%-15s %10.2f %10.2f %10.2f %10.1f %9" PRIu64 " %8" PRIu64
	       " %10" PRIu64 "\n", "pool", p.mean / 1e3, p.p50 / 1e3,
	       p.p99 / 1e3, p.cpu_per_frame / 1e3, p.migrated,
	       p.migrated_steady, p.cma_allocs);
	printf("(* thread CPU time, sampled by the guest's %d ms tick: "
	       "statistical; steady = pages migrated after the first %u "
	       "frames)\n", 4, frames / 10);
	printf("pool: %" PRIu64 " hits, %" PRIu64 " misses, %" PRIu64
	       " allocations, high-water %u\n", st.hits, st.misses,
	       st.allocations, st.high_water);
	printf("pool speed-up per acquire: mean %.0fx, p50 %.0fx, p99 %.0fx "
	       "(target >= 100x)\n", a.mean / p.mean, a.p50 / p.p50,
	       a.p99 / p.p99);
	json_add("\"stream\":{\"frames\":%u,\"in_flight\":%d,"
		 "\"alloc_mean_ns\":%.0f,\"alloc_p50_ns\":%.0f,"
		 "\"alloc_p99_ns\":%.0f,\"alloc_cpu_ns\":%.0f,"
		 "\"alloc_migrated\":%" PRIu64 ",\"alloc_migrated_steady\":%"
		 PRIu64 ",\"alloc_cma_allocs\":%" PRIu64 ",", frames,
		 IN_FLIGHT, a.mean, a.p50, a.p99, a.cpu_per_frame, a.migrated,
		 a.migrated_steady, a.cma_allocs);
	json_add("\"pool_mean_ns\":%.0f,\"pool_p50_ns\":%.0f,"
		 "\"pool_p99_ns\":%.0f,\"pool_cpu_ns\":%.0f,"
		 "\"pool_migrated\":%" PRIu64 ",\"pool_migrated_steady\":%"
		 PRIu64 ",\"pool_cma_allocs\":%" PRIu64 ",", p.mean, p.p50,
		 p.p99, p.cpu_per_frame, p.migrated, p.migrated_steady,
		 p.cma_allocs);
	json_add("\"speedup_mean\":%.1f,\"speedup_p50\":%.1f,"
		 "\"speedup_p99\":%.1f},", a.mean / p.mean, a.p50 / p.p50,
		 a.p99 / p.p99);
	cmabuf_pool_unref(pool);
	cmabuf_heap_unref(heap);
}

/* ---- 5. write bandwidth: mapped CMA buffer vs malloc memory ---- */

struct fill_arg {
	struct cmabuf *buf;
	void *cma, *mem;
	size_t size;
};

/* ns per MiB written: lower is faster */
static double fill_batch(void *arg, bool cma)
{
	struct fill_arg *f = arg;
	void *p = cma ? f->cma : f->mem;
	unsigned int i, reps = 2;
	uint64_t t0;

	if (cma)
		cmabuf_sync_begin(f->buf, CMABUF_SYNC_WRITE);
	t0 = bench_now_ns();
	for (i = 0; i < reps; i++) {
		memset(p, (int)i + 1, f->size);
		/* keep the compiler from dropping the stores */
		__asm__ __volatile__("" : : "r"(p) : "memory");
	}
	t0 = bench_now_ns() - t0;
	if (cma)
		cmabuf_sync_end(f->buf, CMABUF_SYNC_WRITE);
	return (double)t0 / ((double)f->size * reps / MIB);
}

static void bench_bandwidth(void)
{
	struct cmabuf_heap *heap = heap_open(cma_name);
	struct fill_arg f = { .size = 8 * MIB };
	struct bench_cmp c;

	f.buf = lib_alloc(heap, f.size);
	if (cmabuf_map(f.buf, CMABUF_MAP_RW, &f.cma) < 0)
		die("cmabuf_map", EIO);
	f.mem = malloc(f.size);
	if (!f.mem)
		die("malloc", ENOMEM);
	/* fault both in before timing */
	memset(f.cma, 0, f.size);
	memset(f.mem, 0, f.size);
	c = compare(fill_batch, &f);
	printf("\n== write bandwidth, %s memset into a mapped CMA buffer vs "
	       "malloc memory (target >= 0.95x)\n", size_label(f.size));
	printf("%-12s %10s\n", "", "MiB/s");
	printf("%-12s %10.0f\n", "malloc", 1e9 / c.base);
	printf("%-12s %10.0f\n", "CMA mapped", 1e9 / c.cand);
	printf("ratio %.3fx\n", 1 / c.ratio);
	json_add("\"write_bandwidth\":{\"malloc_mibps\":%.0f,\"cma_mibps\":%.0f,"
		 "\"ratio\":%.4f},", 1e9 / c.base, 1e9 / c.cand, 1 / c.ratio);
	free(f.mem);
	cmabuf_unmap(f.buf);
	cmabuf_unref(f.buf);
	cmabuf_heap_unref(heap);
}

/* ---- main ---- */

static const struct {
	const char *name;
	void (*run)(void);
} sections[] = {
	{ "alloc", bench_alloc },
	{ "sync", bench_sync },
	{ "bandwidth", bench_bandwidth },
	{ "trace", bench_trace },
	/* the pressure sections last: the helper keeps running once started */
	{ "latency", bench_latency },
	{ "stream", bench_stream },
};

static const char *default_cma_heap(void)
{
	static const char *const names[] = {
		"default_cma_region", "linux,cma", "reserved",
	};
	char path[64];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "/dev/dma_heap/%s", names[i]);
		if (access(path, F_OK) == 0)
			return names[i];
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "heap", required_argument, NULL, 'H' },
		{ "frames", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	bool want[sizeof(sections) / sizeof(sections[0])] = { false };
	size_t i, n = sizeof(sections) / sizeof(sections[0]);
	bool any = false;
	int c, ret;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'q': quick = true; break;
		case 'H': cma_name = optarg; break;
		case 'f': frames = (unsigned int)strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: %s [--quick] [--heap NAME] "
				"[--frames N] [alloc|sync|latency|stream|"
				"bandwidth|trace]...\n", argv[0]);
			return 2;
		}
	}
	for (; optind < argc; optind++) {
		bool found = false;

		for (i = 0; i < n; i++)
			if (strcmp(argv[optind], sections[i].name) == 0)
				want[i] = any = found = true;
		if (!found) {
			fprintf(stderr, "unknown section %s\n", argv[optind]);
			return 2;
		}
	}
	if (frames < IN_FLIGHT * 2)
		frames = IN_FLIGHT * 2;
	if (!cma_name)
		cma_name = default_cma_heap();
	if (!cma_name) {
		fprintf(stderr, "cmabuf-bench: no CMA heap in /dev/dma_heap "
			"(run it in the test VM: make bench)\n");
		return 77;
	}
	ret = cmabuf_ctx_new(&ctx);
	if (ret < 0)
		die("cmabuf_ctx_new", -ret);
	bench_clock_init();
	printf("cmabuf-bench: kernel %s, CMA heap %s, CmaTotal %" PRIu64
	       " MiB, MemTotal %" PRIu64 " MiB%s\n",
	       getenv("CMABUF_VM_KERNEL") ? getenv("CMABUF_VM_KERNEL") : "host",
	       cma_name, meminfo_kb("CmaTotal") / 1024,
	       meminfo_kb("MemTotal") / 1024, quick ? " (quick)" : "");
	printf("all times are from one run; under emulation compare the "
	       "ratios, not the absolute numbers\n");
	json_add("{\"kernel\":\"%s\",\"cma_heap\":\"%s\",\"cma_mib\":%" PRIu64
		 ",\"mem_mib\":%" PRIu64 ",",
		 getenv("CMABUF_VM_KERNEL") ? getenv("CMABUF_VM_KERNEL") : "host",
		 cma_name, meminfo_kb("CmaTotal") / 1024,
		 meminfo_kb("MemTotal") / 1024);
	for (i = 0; i < n; i++) {
		if (any && !want[i])
			continue;
		fflush(stdout);
		sections[i].run();
	}
	pressure_stop();
	json_add("\"quick\":%s}", quick ? "true" : "false");
	printf("\nJSON: %s\n", json);
	cmabuf_ctx_unref(ctx);
	return 0;
}
