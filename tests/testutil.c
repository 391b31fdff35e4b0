// SPDX-License-Identifier: LGPL-2.1-or-later
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include "devices.h"
#include "heap-names.h"
#include "testutil.h"

static char logbuf[65536];
static size_t loglen;

static void log_capture(void *userdata, int priority, const char *file,
			int line, const char *fn, const char *format,
			va_list args)
{
	int n;

	(void)userdata; (void)priority; (void)file; (void)line; (void)fn;
	if (loglen >= sizeof(logbuf) - 1)
		return;
	n = vsnprintf(logbuf + loglen, sizeof(logbuf) - loglen, format, args);
	if (n > 0)
		loglen += (size_t)n;
	if (loglen >= sizeof(logbuf))
		loglen = sizeof(logbuf) - 1;
	if (getenv("TU_VERBOSE"))
		fprintf(stderr, "log: %s", logbuf + loglen - (size_t)n);
}

struct cmabuf_ctx *tu_ctx_new(void)
{
	struct cmabuf_ctx *ctx = NULL;

	ck_assert_int_eq(cmabuf_ctx_new(&ctx), 0);
	cmabuf_set_log_fn(ctx, log_capture, NULL);
	cmabuf_set_log_priority(ctx, 7);
	return ctx;
}

const char *tu_log(void)
{
	return logbuf;
}

void tu_log_reset(void)
{
	loglen = 0;
	logbuf[0] = '\0';
}

bool tu_log_contains(const char *needle)
{
	return strstr(logbuf, needle) != NULL;
}

int tu_fd_count(void)
{
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own descriptor */
}

static bool read_key(const char *path, const char *key, uint64_t *val)
{
	char line[256];
	size_t klen = strlen(key);
	bool found = false;
	FILE *f = fopen(path, "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) == 0 &&
		    (line[klen] == ' ' || line[klen] == ':')) {
			char *p = line + klen + strspn(line + klen, ": \t");

			*val = strtoull(p, NULL, 10);
			found = true;
			break;
		}
	}
	fclose(f);
	return found;
}

bool tu_vmstat(const char *key, uint64_t *val)
{
	return read_key("/proc/vmstat", key, val);
}

bool tu_meminfo(const char *key, uint64_t *val)
{
	return read_key("/proc/meminfo", key, val);
}

char *tu_make_tree(const char *const *files)
{
	char tmpl[] = "/tmp/cmabuf-test-XXXXXX";
	char *dir = strdup(mkdtemp(tmpl));
	size_t i;

	ck_assert_ptr_nonnull(dir);
	for (i = 0; files && files[i]; i++) {
		char path[4096], *slash;
		int fd;

		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		/* create parent directories of nested entries */
		for (slash = strchr(path + strlen(dir) + 1, '/'); slash;
		     slash = strchr(slash + 1, '/')) {
			*slash = '\0';
			mkdir(path, 0755);
			*slash = '/';
		}
		if (path[strlen(path) - 1] == '/') {
			mkdir(path, 0755);
			continue;
		}
		fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
		ck_assert_int_ge(fd, 0);
		close(fd);
	}
	return dir;
}

void tu_remove_tree(char *dir)
{
	char cmd[4200];

	if (!dir)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	free(dir);
}

const char *tu_missing_cma(void)
{
	struct stat st;

	if (stat("/dev/dma_heap", &st) != 0)
		return "no /dev/dma_heap on this kernel";
	if (!tu_cma_heap_name())
		return "no CMA heap in /dev/dma_heap";
	return NULL;
}

int tu_cannot_run(const char *why)
{
	if (getenv("CMABUF_VM")) {
		fprintf(stderr, "FAIL: %s, inside the test VM: the test kernel "
			"is misconfigured\n", why);
		return EXIT_FAILURE;
	}
	fprintf(stderr, "SKIP: %s; run this suite in the test VM "
		"(make check-vm)\n", why);
	return EXIT_SKIP;
}

const char *tu_cma_heap_name(void)
{
	const char *env = getenv("CMABUF_EXPECT_CMA_HEAP");
	static char path[256];
	size_t i;

	if (env && *env)
		return env;
	for (i = 0; heap_names_default_cma[i]; i++) {
		snprintf(path, sizeof(path), "/dev/dma_heap/%s",
			 heap_names_default_cma[i]);
		if (access(path, F_OK) == 0)
			return heap_names_default_cma[i];
	}
	return NULL;
}

const char *tu_cma_area_name(void)
{
	const char *heap = tu_cma_heap_name();
	char path[256];
	size_t i;

	if (!heap || strcmp(heap, HEAP_NAME_DEFAULT_CMA) != 0)
		return heap;
	for (i = 0; heap_names_default_area[i]; i++) {
		snprintf(path, sizeof(path), "/sys/kernel/mm/cma/%s",
			 heap_names_default_area[i]);
		if (access(path, F_OK) == 0)
			return heap_names_default_area[i];
	}
	return "reserved";
}

size_t tu_page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

size_t tu_page_round(size_t size)
{
	size_t page = tu_page_size();

	return (size + page - 1) / page * page;
}

void tu_fixture_open(struct cmabuf_ctx **ctx, struct cmabuf_heap **heap,
		     char **tree, int *fds)
{
	static const char *const files[] = { "dev/dma_heap/reserved", NULL };

	*fds = tu_fd_count();
	*ctx = tu_ctx_new();
	if (tree) {
		*tree = tu_make_tree(files);
		ck_assert_int_eq(cmabuf_ctx_set_sysroot(*ctx, *tree), 0);
	}
	ck_assert_int_eq(cmabuf_heap_open(*ctx, tree ? "reserved" :
					  tu_cma_heap_name(), 0, heap), 0);
	tu_log_reset();
}

void tu_fixture_close(struct cmabuf_ctx **ctx, struct cmabuf_heap **heap,
		      char **tree, int fds)
{
	*heap = cmabuf_heap_unref(*heap);
	*ctx = cmabuf_ctx_unref(*ctx);
	if (tree) {
		tu_remove_tree(*tree);
		*tree = NULL;
	}
	ck_assert_int_eq(tu_fd_count(), fds);
}

int tu_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

int tu_sw_sync_timeline(void)
{
	int fd = open(SW_SYNC_PATH, O_RDWR | O_CLOEXEC);

	ck_assert_msg(fd >= 0, "%s: %s (kernel needs CONFIG_SW_SYNC and "
		      "debugfs)", SW_SYNC_PATH, strerror(errno));
	return fd;
}

int tu_sw_sync_fence(int timeline, unsigned int value)
{
	struct sw_sync_create_fence_data data = { .value = value };

	snprintf(data.name, sizeof(data.name), "cmabuf-test-%u", value);
	ck_assert_int_eq(ioctl(timeline, SW_SYNC_IOC_CREATE_FENCE, &data), 0);
	ck_assert_int_ge(data.fence, 0);
	return data.fence;
}

void tu_sw_sync_inc(int timeline, unsigned int by)
{
	__u32 n = by;

	ck_assert_int_eq(ioctl(timeline, SW_SYNC_IOC_INC, &n), 0);
}

/* the video node of `driver` whose device_caps include `caps` */
int tu_open_video(const char *driver, uint32_t caps)
{
	int fd = dev_open_video(driver, caps);

	ck_assert_msg(fd >= 0, "no %s video node with caps %#x", driver, caps);
	return fd;
}

const char *tu_missing_drm(const char *driver)
{
	static char why[64];
	int fd = dev_open_drm(driver, false);

	if (fd >= 0) {
		close(fd);
		return NULL;
	}
	snprintf(why, sizeof(why), "no %s DRM device", driver);
	return why;
}

int tu_open_drm(const char *driver, bool render)
{
	int fd = dev_open_drm(driver, render);

	ck_assert_msg(fd >= 0, "no DRM device %s", driver);
	return fd;
}
