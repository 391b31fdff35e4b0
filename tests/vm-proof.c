// SPDX-License-Identifier: LGPL-2.1-or-later
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
 *      cma_alloc_success by exactly one;
 *   6. sysconf(_SC_PAGESIZE) is CMABUF_VM_PAGE_SIZE, and a 4 KiB allocation
 *      gives a buffer of one page (16 KiB on the 16K-page kernel).
 * On the arm64 guests (CMABUF_VM_ARCH=arm64: CMA pools from the device tree,
 * no cma=; see tests/vm/README.md "arm64 guests"), also:
 *   7. /proc/device-tree/reserved-memory has linux,cma and camera-pool@60000000;
 *   8. the CMA areas (/sys/kernel/mm/cma) are exactly those two, and the
 *      heaps in /dev/dma_heap exactly the ones this kernel version makes of
 *      them (which depends on the version: see arm64_heaps());
 *   9. CmaTotal = the linux,cma size + 64 MiB.
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
#include <dirent.h>
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

static int arm64(void)
{
	const char *a = getenv("CMABUF_VM_ARCH");

	return a && strcmp(a, "arm64") == 0;
}

static int kernel_at_least(int want_major, int want_minor)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) == 0)
		sscanf(u.release, "%d.%d", &major, &minor);
	return major > want_major || (major == want_major && minor >= want_minor);
}

/* The entries of DIR (no dot files), sorted, space-separated, in out. */
static void list_dir(const char *dir, char *out, size_t len)
{
	struct dirent **ents;
	size_t used = 0;
	int i, n = scandir(dir, &ents, NULL, alphasort);

	out[0] = 0;
	for (i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.' && used < len)
			used += snprintf(out + used, len - used, "%s%s",
					 used ? " " : "", ents[i]->d_name);
		free(ents[i]);
	}
	if (n > 0)
		free(ents);
}

/*
 * What each kernel makes of the two reusable shared-dma-pool nodes
 * (measured on the first boot of each; tests/vm/README.md): every
 * version has a CMA area per node, but a heap only for the default one
 * up to 6.18; 6.17 renames that heap default_cma_region and keeps the
 * node name as a legacy alias (CONFIG_DMABUF_HEAPS_CMA_LEGACY).
 */
static const char *arm64_heaps(void)
{
	if (kernel_at_least(6, 19))
		return "camera-pool@60000000 default_cma_region linux,cma system";
	if (kernel_at_least(6, 17))
		return "default_cma_region linux,cma system";
	return "linux,cma system";
}

static void check_arm64_pools(long long cma_kb, const char *env_bytes)
{
	const char *areas = "camera-pool@60000000 linux,cma";
	char got[512];
	long long want;

	list_dir("/proc/device-tree/reserved-memory", got, sizeof(got));
	check(strstr(got, "linux,cma") && strstr(got, "camera-pool@60000000"),
	      "device tree reserved-memory holds linux,cma and "
	      "camera-pool@60000000 (%s)", got);
	list_dir("/sys/kernel/mm/cma", got, sizeof(got));
	check(strcmp(got, areas) == 0, "CMA areas \"%s\" == \"%s\"", got, areas);
	list_dir("/dev/dma_heap", got, sizeof(got));
	check(strcmp(got, arm64_heaps()) == 0, "heaps \"%s\" == \"%s\"",
	      got, arm64_heaps());
	want = env_bytes ? strtoll(env_bytes, NULL, 10) + (64 << 20) : -1;
	check(cma_kb * 1024 == want,
	      "CmaTotal %lld kB == linux,cma + 64 MiB camera-pool (%lld kB)",
	      cma_kb, want / 1024);
}

/* 6: the running page size, and a 4 KiB request rounded up to it */
static void check_page_size(int heap_fd)
{
	const char *env = getenv("CMABUF_VM_PAGE_SIZE");
	long want = env && *env ? strtol(env, NULL, 10) : 4096;
	long page = sysconf(_SC_PAGESIZE);
	struct dma_heap_allocation_data data;
	off_t size = -1;

	check(page == want, "sysconf(_SC_PAGESIZE) %ld == %ld", page, want);
	memset(&data, 0, sizeof(data));
	data.len = 4096;
	data.fd_flags = O_RDWR | O_CLOEXEC;
	if (ioctl(heap_fd, DMA_HEAP_IOCTL_ALLOC, &data) == 0) {
		size = lseek((int)data.fd, 0, SEEK_END);
		close((int)data.fd);
	}
	check(size == page, "a 4 KiB request gives a %lld-byte buffer (one page)",
	      (long long)size);
}

static const char *expected_cma_heap(char *release, size_t len)
{
	const char *env = getenv("CMABUF_EXPECT_CMA_HEAP");
	struct utsname u;

	snprintf(release, len, "%s", uname(&u) == 0 ? u.release : "?");
	if (env && *env)
		return env;
	if (kernel_at_least(6, 17))
		return "default_cma_region";
	/* a device-tree pool names the heap after its node */
	return arm64() ? "linux,cma" : "reserved";
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

	if (arm64()) {
		check_arm64_pools(cma_kb, env_bytes);
	} else if (env_bytes && *env_bytes) {
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
		check_page_size(fd);
		close(fd);
	}

	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
