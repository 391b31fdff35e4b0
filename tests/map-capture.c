// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Capture a CMA area map fixture from a test guest (tests/map-trees/):
 *
 *   tests/vm/run --kernel 6.1 --mem 1G --cma 16M --rw-cwd -- \
 *       ./tests/map-capture tests/map-trees/6.1 880 [CMD]
 *
 * It fills the area with 64-page buffers, frees every third one, lets a
 * child touch more anonymous memory than the guest has outside the area
 * (movable pages spill into the holes), then copies what the map reads:
 * debugfs cma/<area>/ (ranges/ included), sysfs cma/<area>/, the page
 * size, the heap list and the area's slice of /proc/kpageflags as
 * proc/kpageflags.excerpt (raw u64s from the pfn in
 * proc/kpageflags.first_pfn; the host tests write it into a sparse
 * proc/kpageflags at that offset: the whole file would be megabytes of
 * zeros). CMD, if given, runs on the live area before the buffers are
 * released (docs/stats.md's picture). Not a test: a maintainer's tool,
 * run by hand.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmabuf.h"

#define MAX_BUFS 8192

static void die(const char *what)
{
	fprintf(stderr, "map-capture: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void mkdirs(const char *path)
{
	char tmp[4096], *p;

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(tmp, 0755);
		*p = '/';
	}
	mkdir(tmp, 0755);
}

static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	ssize_t n;
	int in = open(from, O_RDONLY), out;

	if (in < 0)
		return;		/* write-only knobs (alloc, free) */
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out < 0)
		die(to);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			die(to);
	close(in);
	close(out);
}

static void copy_dir(const char *from, const char *to)
{
	struct dirent *de;
	DIR *d = opendir(from);

	if (!d)
		return;
	mkdirs(to);
	while ((de = readdir(d))) {
		char f[4096], t[4096];
		struct stat st;

		if (de->d_name[0] == '.' || !strcmp(de->d_name, "alloc") ||
		    !strcmp(de->d_name, "free"))
			continue;
		snprintf(f, sizeof(f), "%s/%s", from, de->d_name);
		snprintf(t, sizeof(t), "%s/%s", to, de->d_name);
		if (stat(f, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode))
			copy_dir(f, t);
		else
			copy_file(f, t);
	}
	closedir(d);
}

static uint64_t read_u64(const char *path)
{
	unsigned long long v = 0;
	FILE *f = fopen(path, "r");

	if (!f || fscanf(f, "%llu", &v) != 1)
		die(path);
	fclose(f);
	return v;
}

static pid_t hog(size_t mib)
{
	pid_t pid = fork();
	size_t i;
	char *a;

	if (pid)
		return pid;
	a = mmap(NULL, mib << 20, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED)
		_exit(1);
	for (i = 0; i < mib << 20; i += 4096)
		a[i] = 1;
	pause();
	_exit(0);
}

/* dev/dma_heap/<name> (empty) and dev/dma_heap.list, as capture-fixtures */
static void heap_list(const char *out)
{
	char p[4096];
	struct dirent *de;
	DIR *d = opendir("/dev/dma_heap");
	FILE *l;

	snprintf(p, sizeof(p), "%s/dev/dma_heap", out);
	mkdirs(p);
	snprintf(p, sizeof(p), "%s/dev/dma_heap.list", out);
	l = fopen(p, "w");
	if (!d || !l)
		die("dma_heap");
	fprintf(l, "# name mode uid gid major:minor\n");
	while ((de = readdir(d))) {
		struct stat st;
		char f[4096];

		if (de->d_name[0] == '.')
			continue;
		snprintf(f, sizeof(f), "/dev/dma_heap/%s", de->d_name);
		if (stat(f, &st) < 0)
			continue;
		fprintf(l, "%s %04o %u %u %u:%u\n", de->d_name,
			(unsigned int)(st.st_mode & 07777),
			(unsigned int)st.st_uid, (unsigned int)st.st_gid,
			major(st.st_rdev), minor(st.st_rdev));
		snprintf(p, sizeof(p), "%s/dev/dma_heap/%s", out, de->d_name);
		fclose(fopen(p, "w"));
	}
	closedir(d);
	fclose(l);
}

int main(int argc, char **argv)
{
	static struct cmabuf *bufs[MAX_BUFS];
	struct cmabuf_ctx *ctx;
	struct cmabuf_heap *heap;
	char path[4096], dst[4096], area[256];
	uint64_t base, count, *kpf;
	FILE *f;
	int n = 0, i, fd;
	struct utsname u;
	pid_t pid;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: map-capture OUTDIR HOG_MIB [CMD]\n");
		return 2;
	}
	if (cmabuf_ctx_new(&ctx) < 0 || cmabuf_heap_open(ctx, NULL, 0, &heap))
		die("heap");
	while (n < MAX_BUFS &&
	       cmabuf_alloc(heap, 64 * (size_t)getpagesize(), 0, &bufs[n]) == 0)
		n++;
	for (i = 0; i < n; i += 3)
		bufs[i] = cmabuf_unref(bufs[i]);
	pid = hog(strtoul(argv[2], NULL, 10));
	sleep(3);
	/* the area of the default heap: the only one under cma= */
	f = popen("ls /sys/kernel/debug/cma", "r");
	if (!f || !fgets(area, sizeof(area), f))
		die("debugfs cma");
	pclose(f);
	area[strcspn(area, "\n")] = '\0';
	snprintf(path, sizeof(path), "/sys/kernel/debug/cma/%s", area);
	snprintf(dst, sizeof(dst), "%s/sys/kernel/debug/cma/%s", argv[1], area);
	copy_dir(path, dst);
	snprintf(path, sizeof(path), "/sys/kernel/mm/cma/%s", area);
	snprintf(dst, sizeof(dst), "%s/sys/kernel/mm/cma/%s", argv[1], area);
	copy_dir(path, dst);
	snprintf(path, sizeof(path), "/sys/kernel/debug/cma/%s/base_pfn", area);
	base = read_u64(path);
	snprintf(path, sizeof(path), "/sys/kernel/debug/cma/%s/count", area);
	count = read_u64(path);
	kpf = malloc(count * 8);
	fd = open("/proc/kpageflags", O_RDONLY);
	if (!kpf || fd < 0 ||
	    pread(fd, kpf, count * 8, (off_t)(base * 8)) != (ssize_t)(count * 8))
		die("kpageflags");
	close(fd);
	snprintf(dst, sizeof(dst), "%s/proc", argv[1]);
	mkdirs(dst);
	snprintf(dst, sizeof(dst), "%s/proc/kpageflags.excerpt", argv[1]);
	fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, kpf, count * 8) != (ssize_t)(count * 8))
		die(dst);
	close(fd);
	snprintf(dst, sizeof(dst), "%s/proc/kpageflags.first_pfn", argv[1]);
	f = fopen(dst, "w");
	fprintf(f, "%" PRIu64 "\n", base);
	fclose(f);
	snprintf(dst, sizeof(dst), "%s/pagesize", argv[1]);
	f = fopen(dst, "w");
	fprintf(f, "%d\n", getpagesize());
	fclose(f);
	snprintf(dst, sizeof(dst), "%s/proc/vmstat", argv[1]);
	copy_file("/proc/vmstat", dst);
	snprintf(dst, sizeof(dst), "%s/KERNEL", argv[1]);
	f = fopen(dst, "w");
	uname(&u);
	fprintf(f, "release=%s\nmachine=%s\ncaptured by tests/map-capture: "
		"%d buffers of 64 pages, every third freed, %s MiB touched\n",
		u.release, u.machine, n, argv[2]);
	fclose(f);
	heap_list(argv[1]);
	/* a command to run on the live area before it is released */
	if (argc == 4 && system(argv[3]) != 0)
		fprintf(stderr, "map-capture: %s failed\n", argv[3]);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	for (i = 0; i < n; i++)
		cmabuf_unref(bufs[i]);
	cmabuf_heap_unref(heap);
	cmabuf_ctx_unref(ctx);
	return 0;
}
