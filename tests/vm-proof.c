/*
 * vm-proof: proves that the kernel this runs on is a usable CMA test kernel
 * (the VM of tests/vm/run).  Plain C, libc and kernel UAPI headers only.
 *
 * Checks:
 *   1. /dev/dma_heap/<name> is a character device, where <name> is the CMA
 *      heap name of this kernel: "reserved" up to 6.16, "default_cma_region"
 *      from 6.17 on (override: CMABUF_EXPECT_CMA_HEAP);
 *   2. /dev/dma_heap/system exists;
 *   3. /proc/meminfo CmaTotal equals CMABUF_VM_CMA_BYTES (the cma= size the
 *      runner booted with; without it, CmaTotal > 0);
 *   4. /proc/vmstat has cma_alloc_success;
 *   5. a raw DMA_HEAP_IOCTL_ALLOC of 1 MiB from the CMA heap raises
 *      cma_alloc_success by exactly one.
 *
 * Exit: 0 all passed, 1 a check failed, 77 (skip) when not on a CMA kernel
 * outside the VM (CMABUF_VM unset; inside the VM a missing heap is a failure),
 * or when not root and the heap node cannot be opened.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <linux/dma-heap.h>

static int passed, failed;

static void check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", ok ? "ok" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (ok)
		passed++;
	else
		failed++;
}

/* Value of "key" in a "key value" (vmstat) or "Key: value kB" (meminfo) file. */
static int read_key(const char *path, const char *key, long long *val)
{
	char line[256];
	size_t klen = strlen(key);
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) == 0 &&
		    (line[klen] == ' ' || line[klen] == ':' || line[klen] == '\t')) {
			char *p = line + klen + (line[klen] == ':');
			*val = strtoll(p, NULL, 10);
			fclose(f);
			return 0;
		}
	}
	fclose(f);
	return -1;
}

static const char *expected_cma_heap(char *release, size_t len)
{
	const char *env = getenv("CMABUF_EXPECT_CMA_HEAP");
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) == 0) {
		snprintf(release, len, "%s", u.release);
		sscanf(u.release, "%d.%d", &major, &minor);
	} else {
		snprintf(release, len, "?");
	}
	if (env && *env)
		return env;
	if (major > 6 || (major == 6 && minor >= 17))
		return "default_cma_region";
	return "reserved";
}

static void skip_or_fail(const char *why)
{
	if (getenv("CMABUF_VM")) {
		check(0, "%s", why);
		printf("%d passed, %d failed\n", passed, failed);
		exit(1);
	}
	printf("SKIP: %s (not a CMA test kernel; run it with tests/vm/run)\n", why);
	exit(77);
}

int main(void)
{
	char release[128], path[256];
	const char *heap = expected_cma_heap(release, sizeof(release));
	const char *env_bytes = getenv("CMABUF_VM_CMA_BYTES");
	struct stat st;
	long long cma_kb = -1, before = -1, after = -1;
	int fd, r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("# kernel %s, expected CMA heap \"%s\"\n", release, heap);

	if (access("/dev/dma_heap", F_OK) != 0)
		skip_or_fail("/dev/dma_heap does not exist");
	if (read_key("/proc/meminfo", "CmaTotal", &cma_kb) != 0 || cma_kb <= 0)
		skip_or_fail("/proc/meminfo shows no CMA memory");

	snprintf(path, sizeof(path), "/dev/dma_heap/%s", heap);
	check(stat(path, &st) == 0 && S_ISCHR(st.st_mode),
	      "CMA heap %s is a character device", path);
	check(stat("/dev/dma_heap/system", &st) == 0 && S_ISCHR(st.st_mode),
	      "system heap /dev/dma_heap/system is a character device");

	if (env_bytes && *env_bytes) {
		long long want = strtoll(env_bytes, NULL, 10);
		check(cma_kb * 1024 == want, "CmaTotal %lld kB == cma= size %lld bytes (%lld kB)",
		      cma_kb, want, want / 1024);
	} else {
		check(cma_kb > 0, "CmaTotal %lld kB > 0 (CMABUF_VM_CMA_BYTES not set)", cma_kb);
	}

	r = read_key("/proc/vmstat", "cma_alloc_success", &before);
	check(r == 0, "/proc/vmstat has cma_alloc_success (= %lld)", before);

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && (errno == EACCES || errno == EPERM) && geteuid() != 0) {
		printf("SKIP: open %s: %s (heap nodes are root-only; run as root)\n",
		       path, strerror(errno));
		if (failed) {
			printf("%d passed, %d failed\n", passed, failed);
			return 1;
		}
		return 77;
	}
	if (fd < 0) {
		check(0, "open %s: %s", path, strerror(errno));
	} else {
		struct dma_heap_allocation_data data;

		memset(&data, 0, sizeof(data));
		data.len = 1 << 20;
		data.fd_flags = O_RDWR | O_CLOEXEC;
		r = ioctl(fd, DMA_HEAP_IOCTL_ALLOC, &data);
		if (r < 0) {
			check(0, "DMA_HEAP_IOCTL_ALLOC 1 MiB from %s: %s", heap, strerror(errno));
		} else {
			read_key("/proc/vmstat", "cma_alloc_success", &after);
			check(before >= 0 && after == before + 1,
			      "1 MiB allocation from %s: cma_alloc_success %lld -> %lld (+1 expected)",
			      heap, before, after);
			close((int)data.fd);
		}
		close(fd);
	}

	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
