// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * scrape-bench: what one `cmabuf-stat --prometheus` scrape costs, in the
 * test VM (make bench). N processes hold 20 dma-bufs each (system heap,
 * one page, each mapped once); the bench times the scrape against `cat`
 * of the same /proc files in the same run (each holder's dma-buf fdinfo
 * files, plus its maps file when mappings are on), for N = 50 and 500,
 * and prints medians and ratios: scrape / cat (goal <= 2) and the growth
 * from 50 to 500 processes (goal: linear, i.e. about 10), also against
 * cat's own growth in the same guest (the guest itself need not scale
 * linearly under TCG). It asserts nothing. TCG times are not hardware
 * times: read the ratios.
 *
 * Usage: scrape-bench [TOOL]   (default ./tools/cmabuf-stat)
 * make bench-scrape passes the real binary (tools/.libs, with
 * LD_LIBRARY_PATH), not libtool's wrapper script: the scrape must not pay
 * for a shell that cat does not pay for.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-heap.h>

#include "bench-util.h"

#define BUFS 20
#define RUNS 5
#define MAX_ARGS (500 * (BUFS + 1) + 8)

struct fleet {
	pid_t *pids;
	int n;
	int hold;	/* write end: closing it ends every holder */
};

/* bench/bench-util.c's clock, in milliseconds */
static double now_ms(void)
{
	return (double)bench_now_ns() / 1e6;
}

static int alloc_page(int heap)
{
	struct dma_heap_allocation_data d = {
		.len = 4096, .fd_flags = O_RDWR | O_CLOEXEC,
	};

	return ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &d) < 0 ? -1 : (int)d.fd;
}

static void holder(int heap, int ready, int hold)
{
	char c;
	int i;

	for (i = 0; i < BUFS; i++) {
		int fd = alloc_page(heap);

		if (fd < 0 || mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) ==
		    MAP_FAILED)
			_exit(1);
	}
	if (write(ready, "r", 1) != 1)
		_exit(2);
	(void)read(hold, &c, 1);
	_exit(0);
}

static int spawn(struct fleet *f, int n)
{
	int heap = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);
	int ready[2], hold[2], i;
	char c;

	f->pids = NULL;
	f->n = 0;
	f->hold = -1;
	if (heap < 0 || pipe(ready) || pipe(hold)) {
		perror("scrape-bench: /dev/dma_heap/system");
		return -1;
	}
	f->pids = calloc((size_t)n, sizeof(*f->pids));
	f->n = 0;
	for (i = 0; i < n && f->pids; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			close(ready[0]);
			close(hold[1]);
			holder(heap, ready[1], hold[0]);
		}
		if (pid < 0)
			break;
		f->pids[f->n++] = pid;
	}
	close(heap);
	close(ready[1]);
	close(hold[0]);
	f->hold = hold[1];
	for (i = 0; i < f->n; i++)
		if (read(ready[0], &c, 1) != 1)
			break;
	close(ready[0]);
	return i == n ? 0 : -1;
}

static void reap(struct fleet *f)
{
	int i;

	if (f->hold >= 0)
		close(f->hold);
	for (i = 0; i < f->n; i++)
		waitpid(f->pids[i], NULL, 0);
	free(f->pids);
}

/* the files `cat` reads: every holder's dma-buf fdinfo, and its maps */
static size_t cat_args(const struct fleet *f, bool maps, char **argv)
{
	size_t n = 0;
	int i, fd;

	argv[n++] = strdup("cat");
	for (i = 0; i < f->n; i++) {
		for (fd = 0; fd < 64; fd++) {
			char link[64], target[64];
			ssize_t len;

			snprintf(link, sizeof(link), "/proc/%d/fd/%d",
				 f->pids[i], fd);
			len = readlink(link, target, sizeof(target) - 1);
			if (len <= 0)
				continue;
			target[len] = '\0';
			if (strncmp(target, "/dmabuf:", 8) &&
			    strcmp(target, "anon_inode:dmabuf"))
				continue;
			if (asprintf(&argv[n++], "/proc/%d/fdinfo/%d",
				     f->pids[i], fd) < 0)
				exit(1);
		}
		if (maps && asprintf(&argv[n++], "/proc/%d/maps",
				     f->pids[i]) < 0)
			exit(1);
	}
	argv[n] = NULL;
	return n;
}

/* wall time of one run of argv, stdout to /dev/null; < 0 on failure */
static double time_run(char *const *argv)
{
	double t0 = now_ms();
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	return now_ms() - t0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* median of RUNS runs, alternating the two commands so drift hits both */
static int medians(char *const *a, char *const *b, double *ma, double *mb)
{
	double ta[RUNS], tb[RUNS];
	int i;

	for (i = 0; i < RUNS; i++) {
		ta[i] = time_run(a);
		tb[i] = time_run(b);
		if (ta[i] < 0 || tb[i] < 0)
			return -1;
	}
	qsort(ta, RUNS, sizeof(double), cmp_double);
	qsort(tb, RUNS, sizeof(double), cmp_double);
	*ma = ta[RUNS / 2];
	*mb = tb[RUNS / 2];
	return 0;
}

struct result {
	int procs;
	double scrape, cat;
};

static int measure(const char *tool, int procs, bool maps, struct result *r)
{
	char *scrape[] = { (char *)tool, "--prometheus",
			   maps ? "--with-mappings" : NULL, NULL };
	static char *cat[MAX_ARGS];
	struct fleet f;
	size_t n, i;
	int ret;

	if (spawn(&f, procs) < 0) {
		reap(&f);
		return -1;
	}
	n = cat_args(&f, maps, cat);
	ret = medians(scrape, cat, &r->scrape, &r->cat);
	r->procs = procs;
	printf("  %4d procs x %d bufs, %s: scrape %8.1f ms, cat of %zu "
	       "files %8.1f ms, scrape/cat %.2f\n", procs, BUFS,
	       maps ? "--with-mappings" : "fds only       ", r->scrape, n - 1,
	       r->cat, r->scrape / r->cat);
	for (i = 0; i < n; i++)
		free(cat[i]);
	reap(&f);
	return ret;
}

int main(int argc, char **argv)
{
	const char *tool = argc > 1 ? argv[1] : "./tools/cmabuf-stat";
	struct rlimit rl = { 4096, 4096 };
	struct result r[2];
	int m;

	bench_clock_init();
	if (access(tool, X_OK) < 0) {
		fprintf(stderr, "scrape-bench: %s: %s\n", tool,
			strerror(errno));
		return 1;
	}
	setrlimit(RLIMIT_NOFILE, &rl);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);	/* progress, line by line */
	printf("scrape-bench: one cmabuf-stat --prometheus scrape vs cat of "
	       "the same /proc files (median of %d)\n", RUNS);
	for (m = 0; m < 2; m++) {
		if (measure(tool, 50, m, &r[0]) < 0 ||
		    measure(tool, 500, m, &r[1]) < 0) {
			fprintf(stderr, "scrape-bench: a run failed\n");
			return 1;
		}
		printf("  %s: growth 50 -> 500 procs: scrape x%.1f, cat x%.1f "
		       "(linear: x10); scrape growth / cat growth %.2f\n",
		       m ? "--with-mappings" : "fds only",
		       r[1].scrape / r[0].scrape, r[1].cat / r[0].cat,
		       (r[1].scrape / r[0].scrape) / (r[1].cat / r[0].cat));
	}
	return 0;
}
