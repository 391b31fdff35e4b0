// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmabuf-stat against a hostile process, on a real kernel (test VM). The
 * child names its dma-bufs with newlines, fake "size:"/"ino:"/"exp_name:"
 * lines, escape sequences, DEL, invalid UTF-8 and a 31-byte UTF-8 name cut
 * mid-character (DMA_BUF_NAME_LEN is 32), sets its comm to an escape
 * sequence, and maps a CMA buffer (whose fd it then closes) in front of
 * 20 000 other mappings, so that its maps line comes after 1.5 MiB of
 * text. Every view (table, -p, -b, --json, --prometheus) must report the
 * true sizes, inodes, exporters and holders, print no raw control byte,
 * and parse (tests/check-views).
 * A third process, the faker, maps two sparse 1 TiB tmpfs files (512 MiB
 * on 32-bit) that its maps show as "/dmabuf:fake" (a tmpfs of its own
 * mount namespace, detached after the mapping): one with the victim's
 * inode number, one
 * with an inode no buffer has. No view may list either, nor the faker as
 * a holder of anything (the mapping rule: lib/stats-dmabuf-dev.c). Only POSIX sh is needed besides the
 * built programs, so the suite runs in the busybox guests too.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>

#include "testutil.h"

#define KIB 1024u
#define NBUF 7			/* the child's buffers; the last one mapped */
#define PAD_MAPS 20000
#define COMM "\033[31mevil\n"	/* 10 bytes: PR_SET_NAME keeps 15 */
#define FAKE_SIZE "99999999999999"

struct hostile {
	const char *heap;	/* "system", or NULL for the CMA heap */
	uint64_t size;
	const char *name;	/* NULL: filled in at run time */
};

static struct hostile bufs[NBUF] = {
	{ "system", 64 * KIB, "x\nsize:\t" FAKE_SIZE },
	{ "system", 128 * KIB, NULL },		/* "\nino:\t<victim's>" */
	{ "system", 192 * KIB, NULL },		/* "\nexp_name:\t<cma>" */
	{ "system", 256 * KIB, "\033]0;owned\007\033[2J\x7f" "del" },
	{ "system", 320 * KIB, "bad\xff\xc0\xaf" "utf8" },
	/* 15 x U+00E9 then the first byte of a 16th: 31 bytes */
	{ "system", 384 * KIB, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	  "\xc3\xa9\xc3\xa9\xc3" },
	{ NULL, 1024 * KIB, "mapped-last" },
};

static const char *cma_heap;
static char tool[4096], checker[4096];
static char ino_name[64], exp_name[64];
static uint64_t victim_ino;
static pid_t victim_pid;
static int victim_fd = -1;
static const uint64_t victim_size = 448 * KIB;

/* a dma-buf of size from /dev/dma_heap/heap, or -errno */
static int heap_alloc(const char *heap, uint64_t size)
{
	struct dma_heap_allocation_data d = {
		.len = size, .fd_flags = O_RDWR | O_CLOEXEC,
	};
	char path[256];
	int hfd, ret;

	snprintf(path, sizeof(path), "/dev/dma_heap/%s", heap);
	hfd = open(path, O_RDONLY | O_CLOEXEC);
	if (hfd < 0)
		return -errno;
	ret = ioctl(hfd, DMA_HEAP_IOCTL_ALLOC, &d);
	ret = ret < 0 ? -errno : (int)d.fd;
	close(hfd);
	return ret;
}

static uint64_t fd_ino(int fd)
{
	struct stat sb;

	return fstat(fd, &sb) == 0 ? (uint64_t)sb.st_ino : 0;
}

/* the mapped buffer first, so that the pad mappings (below) list before it */
static int map_last(int fd, uint64_t size)
{
	int memfd = memfd_create("pad", MFD_CLOEXEC), i;

	if (memfd < 0 || ftruncate(memfd, 4096) < 0 ||
	    mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) ==
	    MAP_FAILED)
		return -1;
	/* one file at offset 0 each time: no two of them can merge */
	for (i = 0; i < PAD_MAPS; i++)
		if (mmap(NULL, 4096, PROT_READ, MAP_SHARED, memfd, 0) ==
		    MAP_FAILED)
			return -1;
	close(memfd);
	return 0;
}

/* the child: allocate, name, map, report the inodes, hold until told */
static void hostile_child(int ready, int hold)
{
	uint64_t inos[NBUF];
	char c;
	int i;

	close(victim_fd);	/* the victim is the parent's alone */
	for (i = 0; i < NBUF; i++) {
		int fd = heap_alloc(bufs[i].heap ? bufs[i].heap : cma_heap,
				    bufs[i].size);

		if (fd < 0 || ioctl(fd, DMA_BUF_SET_NAME, bufs[i].name) < 0)
			_exit(10 + i);
		inos[i] = fd_ino(fd);
		if (i == NBUF - 1) {
			if (map_last(fd, bufs[i].size) < 0)
				_exit(20);
			close(fd);	/* only the mapping holds it now */
		}
	}
	if (prctl(PR_SET_NAME, COMM) < 0)
		_exit(21);
	if (write(ready, inos, sizeof(inos)) != (ssize_t)sizeof(inos))
		_exit(22);
	(void)read(hold, &c, 1);	/* until the parent closes */
	_exit(0);
}

static uint64_t child_ino[NBUF];
static pid_t child_pid;
static int child_hold = -1;

static void start_child(void)
{
	int ready[2], hold[2];

	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(hold), 0);
	child_pid = fork();
	ck_assert_int_ge(child_pid, 0);
	if (child_pid == 0) {
		close(ready[0]);
		close(hold[1]);
		hostile_child(ready[1], hold[0]);
	}
	close(ready[1]);
	close(hold[0]);
	ck_assert_int_eq(read(ready[0], child_ino, sizeof(child_ino)),
			 (ssize_t)sizeof(child_ino));
	close(ready[0]);
	child_hold = hold[1];
}

static void stop_child(void)
{
	int status;

	close(child_hold);
	ck_assert_int_eq(waitpid(child_pid, &status, 0), child_pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "hostile child failed: status %#x", status);
}

/* ------------------------------------------------------------------ */
/* the faker: tmpfs files that maps shows as /dmabuf:fake               */

/* 1 TiB, sparse; 512 MiB where the address space is 32-bit (armhf, i686) */
#define FAKE_SIZE_BYTES \
	((size_t)(sizeof(size_t) > 4 ? UINT64_C(1) << 40 : UINT64_C(1) << 29))
#define FAKE_SPARE_INO 100000	/* an inode number no buffer here has */

static pid_t faker_pid;
static int faker_hold = -1;

/* a file of the tmpfs at dir whose inode is ino, named dmabuf:fake<n> */
static int fake_file(const char *dir, uint64_t ino, int n)
{
	char path[256];
	uint64_t got;
	int i, fd;

	/* tmpfs numbers its inodes from a counter of its own (5.9+) */
	for (i = 0; i < 2 * FAKE_SPARE_INO; i++) {
		snprintf(path, sizeof(path), "%s/dmabuf:fake%d", dir, n);
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0)
			return -1;
		got = fd_ino(fd);
		if (got == ino)
			return fd;
		close(fd);
		unlink(path);
		if (got > ino)
			return -1;
	}
	return -1;
}

static void faker_child(int ready, int hold)
{
	uint64_t inos[2] = { victim_ino, FAKE_SPARE_INO };
	char dir[] = "/tmp/faker-XXXXXX", c;
	int i;

	close(victim_fd);
	/* what an unprivileged user gets with a user + mount namespace */
	if (unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    !mkdtemp(dir) || mount("fake", dir, "tmpfs", 0, NULL) < 0) {
		fprintf(stderr, "faker: namespace/tmpfs: %s\n", strerror(errno));
		_exit(30);
	}
	for (i = 0; i < 2; i++) {
		int fd = fake_file(dir, inos[i], i);

		if (fd < 0) {
			fprintf(stderr, "faker: no tmpfs inode %" PRIu64 ": %s\n",
				inos[i], strerror(errno));
			_exit(31 + i);
		}
		if (ftruncate(fd, (off_t)FAKE_SIZE_BYTES) < 0 ||
		    mmap(NULL, FAKE_SIZE_BYTES, PROT_READ,
			 MAP_SHARED | MAP_NORESERVE, fd, 0) == MAP_FAILED)
			_exit(33);
		close(fd);
	}
	/* the path now prints from the detached mount's root */
	if (umount2(dir, MNT_DETACH) < 0)
		_exit(34);
	if (write(ready, "r", 1) != 1)
		_exit(35);
	(void)read(hold, &c, 1);
	_exit(0);
}

/* the faker's maps must show what the old path rule took for dma-bufs */
static void assert_faker_maps(void)
{
	char path[64], line[512];
	int fakes = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", faker_pid);
	f = fopen(path, "re");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, " /dmabuf:fake"))
			fakes++;
	fclose(f);
	ck_assert_int_eq(fakes, 2);
}

static void start_faker(void)
{
	int ready[2], hold[2];
	char c;

	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(hold), 0);
	faker_pid = fork();
	ck_assert_int_ge(faker_pid, 0);
	if (faker_pid == 0) {
		close(ready[0]);
		close(hold[1]);
		faker_child(ready[1], hold[0]);
	}
	close(ready[1]);
	close(hold[0]);
	if (read(ready[0], &c, 1) != 1) {
		int status = 0;

		waitpid(faker_pid, &status, 0);
		ck_abort_msg("faker failed: status %#x (victim inode %" PRIu64
			     ")", status, victim_ino);
	}
	close(ready[0]);
	faker_hold = hold[1];
	assert_faker_maps();
}

static void stop_faker(void)
{
	int status;

	close(faker_hold);
	ck_assert_int_eq(waitpid(faker_pid, &status, 0), faker_pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "faker failed: status %#x", status);
}

/* a holder list "p1,p2,..." must not name the faker */
static void assert_not_faker(const char *view, const char *pids)
{
	char want[32];
	const char *p;
	size_t n;

	n = (size_t)snprintf(want, sizeof(want), "%d", faker_pid);
	for (p = pids; p; p = strchr(p, ','), p = p ? p + 1 : NULL)
		ck_assert_msg(strncmp(p, want, n) != 0 ||
			      (p[n] != ',' && p[n] != '\0'),
			      "%s: the faker %d holds a buffer", view,
			      faker_pid);
}

/* ------------------------------------------------------------------ */

/* the whole stdout of cmd, which must exit 0 */
static char *run(const char *args)
{
	char cmd[8192], *out = NULL;
	size_t len = 0, cap = 0, n;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "%s %s", tool, args);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	do {
		if (cap - len < 65536) {
			cap = cap ? cap * 2 : 1 << 20;
			out = realloc(out, cap + 1);
			ck_assert_ptr_nonnull(out);
		}
		n = fread(out + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	out[len] = '\0';
	ck_assert_int_eq(pclose(f), 0);
	return out;
}

/* no byte a terminal acts on: C0 but newline, DEL, C1 in UTF-8 */
static void assert_no_control(const char *view, const char *out)
{
	const unsigned char *p;

	for (p = (const unsigned char *)out; *p; p++) {
		bool c1 = p[0] == 0xc2 && p[1] >= 0x80 && p[1] < 0xa0;

		ck_assert_msg((*p >= 0x20 && *p != 0x7f && !c1) || *p == '\n',
			      "%s: raw byte %#x at offset %td", view, *p,
			      (const char *)p - out);
	}
}

/* tests/check-views on out */
static void assert_parses(const char *mode, const char *out)
{
	char path[] = "/tmp/hostile-view-XXXXXX", cmd[8300];
	int fd = mkstemp(path);
	size_t len = strlen(out);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, out, len), (ssize_t)len);
	close(fd);
	if (strcmp(mode, "--prometheus") == 0)	/* + promtool check metrics */
		snprintf(cmd, sizeof(cmd), "%s/tests/check-prometheus %s",
			 getenv("top_srcdir") ? getenv("top_srcdir") : ".",
			 path);
	else
		snprintf(cmd, sizeof(cmd), "%s %s %s >/dev/null", checker,
			 mode, path);
	ck_assert_msg(system(cmd) == 0, "%s output does not parse", mode);
	unlink(path);
}

static int child_index(uint64_t ino)
{
	int i;

	for (i = 0; i < NBUF; i++)
		if (child_ino[i] == ino)
			return i;
	return -1;
}

/* the CMA exporter name of bufs[i], or NULL where it may be unknown */
static const char *want_exporter(int i)
{
	return bufs[i].heap ? bufs[i].heap : cma_heap;
}

/* ------------------------------------------------------------------ */

START_TEST(test_buffers_view)
{
	char *out = run("-b"), *line, *save = NULL;
	int seen = 0, victim_seen = 0;

	assert_no_control("-b", out);
	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char exp[64], pids[256], *last = strrchr(line, ' ');
		unsigned long long ino;
		double size;
		int i;

		if (sscanf(line, "%llu %lf %*s %63s", &ino, &size, exp) != 3)
			continue;
		snprintf(pids, sizeof(pids), "%s", last ? last + 1 : "");
		assert_not_faker("-b", pids);
		ck_assert_msg(ino != FAKE_SPARE_INO, "-b lists the fake file");
		if (ino == victim_ino) {
			char want[32];

			snprintf(want, sizeof(want), "%d", victim_pid);
			ck_assert_str_eq(pids, want);	/* not the child */
			victim_seen++;
			continue;
		}
		i = child_index(ino);
		if (i < 0)
			continue;
		ck_assert_msg(size * (bufs[i].size >= 1024 * KIB ? 1024 * KIB :
				      KIB) == (double)bufs[i].size,
			      "-b: buffer %d shows size %.1f", i, size);
		if (strcmp(exp, "-") != 0 || i != NBUF - 1)
			ck_assert_str_eq(exp, want_exporter(i));
		ck_assert_int_eq(atoi(pids), child_pid);
		seen++;
	}
	ck_assert_int_eq(seen, NBUF);
	ck_assert_int_eq(victim_seen, 1);
	free(out);
}
END_TEST

START_TEST(test_processes_view)
{
	char *out = run("-p"), *line, *save = NULL;
	bool seen = false;

	assert_no_control("-p", out);
	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char comm[128];
		int pid, nb;

		if (sscanf(line, "%d %127s %d", &pid, comm, &nb) != 3)
			continue;
		ck_assert_msg(pid != faker_pid, "-p lists the faker");
		if (pid != child_pid)
			continue;
		ck_assert_str_eq(comm, "\\x1b[31mevil\\n");
		ck_assert_int_eq(nb, NBUF);
		seen = true;
	}
	ck_assert(seen);
	free(out);
}
END_TEST

START_TEST(test_table_view)
{
	char *out = run("");
	char want[64];

	assert_no_control("table", out);
	/* the child's 7, the victim: no buffer faked, none merged */
	snprintf(want, sizeof(want), "dma-bufs: %d buffers", NBUF + 1);
	ck_assert_msg(strstr(out, want), "table lacks '%s':\n%s", want, out);
	free(out);
}
END_TEST

static struct json_object *member(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no %s", key);
	return v;
}

static void check_json_buffer(struct json_object *b)
{
	uint64_t ino = (uint64_t)json_object_get_int64(member(b, "inode"));
	struct json_object *pids = member(b, "pids"), *exp, *name;
	int i = child_index(ino);
	size_t k;

	ck_assert_msg(ino != FAKE_SPARE_INO, "--json lists the fake file");
	for (k = 0; k < json_object_array_length(pids); k++)
		ck_assert_int_ne(json_object_get_int(
			json_object_array_get_idx(pids, k)), faker_pid);

	if (ino == victim_ino) {
		ck_assert_uint_eq(json_object_array_length(pids), 1);
		ck_assert_int_eq(json_object_get_int(
			json_object_array_get_idx(pids, 0)), victim_pid);
		return;
	}
	if (i < 0)
		return;
	ck_assert_uint_eq((uint64_t)json_object_get_int64(
		member(b, "size_bytes")), bufs[i].size);
	ck_assert_uint_eq(json_object_array_length(pids), 1);
	ck_assert_int_eq(json_object_get_int(json_object_array_get_idx(pids, 0)),
			 child_pid);
	exp = member(b, "exporter");
	if (i != NBUF - 1 || !json_object_is_type(exp, json_type_null))
		ck_assert_str_eq(json_object_get_string(exp), want_exporter(i));
	name = member(b, "name");
	if (i == 4)		/* invalid bytes: each one U+FFFD */
		ck_assert_str_eq(json_object_get_string(name),
				 "bad\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdutf8");
	else if (i == 5)	/* the cut character too */
		ck_assert_uint_eq(strlen(json_object_get_string(name)), 33);
	else			/* everything else comes back as set */
		ck_assert_str_eq(json_object_get_string(name), bufs[i].name);
}

START_TEST(test_json_view)
{
	char *out = run("--json");
	struct json_object *root, *arr;
	size_t i;
	bool seen = false;

	assert_no_control("--json", out);
	assert_parses("--json", out);
	root = json_tokener_parse(out);
	ck_assert_ptr_nonnull(root);
	arr = member(root, "buffers");
	for (i = 0; i < json_object_array_length(arr); i++)
		check_json_buffer(json_object_array_get_idx(arr, i));
	arr = member(root, "processes");
	for (i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *p = json_object_array_get_idx(arr, i);

		ck_assert_int_ne(json_object_get_int(member(p, "pid")),
				 faker_pid);
		if (json_object_get_int(member(p, "pid")) != child_pid)
			continue;
		ck_assert_str_eq(json_object_get_string(member(p, "comm")),
				 COMM);
		ck_assert_int_eq(json_object_get_int(member(p, "buffers")),
				 NBUF);
		seen = true;
	}
	ck_assert(seen);
	json_object_put(root);
	free(out);
}
END_TEST

static long long prom_value(const char *out, const char *metric)
{
	const char *p = out;
	size_t n = strlen(metric);

	for (; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, metric, n) == 0 && p[n] == ' ')
			return atoll(p + n + 1);
	ck_abort_msg("no %s in the Prometheus output", metric);
	return -1;
}

START_TEST(test_prometheus_view)
{
	uint64_t bytes = victim_size, mapped = bufs[NBUF - 1].size;
	char *out = run("--prometheus"), *all = run("--prometheus "
						    "--with-mappings");
	/* sysfs (5.13..6.x) lists the mapped-only buffer anyway */
	bool sysfs = access("/sys/kernel/dmabuf/buffers", F_OK) == 0;
	int i;

	for (i = 0; i < NBUF; i++)
		bytes += bufs[i].size;
	assert_no_control("--prometheus", out);
	assert_parses("--prometheus", out);
	assert_parses("--prometheus", all);
	ck_assert_int_eq(prom_value(all, "cmabuf_dmabuf_buffers"), NBUF + 1);
	ck_assert_int_eq(prom_value(all, "cmabuf_dmabuf_size_bytes"),
			 (long long)bytes);
	ck_assert_int_eq(prom_value(out, "cmabuf_dmabuf_buffers"),
			 NBUF + (sysfs ? 1 : 0));
	ck_assert_int_eq(prom_value(out, "cmabuf_dmabuf_size_bytes"),
			 (long long)(bytes - (sysfs ? 0 : mapped)));
	free(out);
	free(all);
}
END_TEST

/* ------------------------------------------------------------------ */

static void setup(void)
{
	int i;

	/*
	 * dma-buf inodes count from 1, a tmpfs's too but its root takes
	 * 1: a few buffers made and freed first give the victim an inode
	 * number the faker's tmpfs can reach
	 */
	for (i = 0; i < 4; i++)
		close(heap_alloc("system", 4096));
	victim_fd = heap_alloc("system", victim_size);
	ck_assert_int_ge(victim_fd, 0);
	ck_assert_int_eq(ioctl(victim_fd, DMA_BUF_SET_NAME, "victim"), 0);
	victim_ino = fd_ino(victim_fd);
	victim_pid = getpid();
	snprintf(ino_name, sizeof(ino_name), "\nino:\t%" PRIu64, victim_ino);
	snprintf(exp_name, sizeof(exp_name), "\nexp_name:\t%s", cma_heap);
	bufs[1].name = ino_name;
	bufs[2].name = exp_name;
	start_child();
	start_faker();
}

static void teardown(void)
{
	stop_faker();
	stop_child();
	close(victim_fd);
}

int main(void)
{
	const char *top = getenv("top_builddir"), *env;
	Suite *s = suite_create("vm-hostile");
	TCase *tc = tcase_create("views");
	SRunner *sr;
	int failed;

	if (tu_missing_cma())
		return tu_cannot_run(tu_missing_cma());
	cma_heap = tu_cma_heap_name();
	/* CMABUF_STAT_TOOL: run another build of the tool (an old one) */
	env = getenv("CMABUF_STAT_TOOL");
	snprintf(tool, sizeof(tool), "%s", env && *env ? env : "");
	if (!tool[0])
		snprintf(tool, sizeof(tool), "%s/tools/cmabuf-stat",
			 top ? top : ".");
	snprintf(checker, sizeof(checker), "%s/tests/check-views",
		 top ? top : ".");
	if (access(tool, X_OK) < 0 || access(checker, X_OK) < 0) {
		fprintf(stderr, "FAIL: %s or %s not built\n", tool, checker);
		return EXIT_FAILURE;
	}
	tcase_set_timeout(tc, 300);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_buffers_view);
	tcase_add_test(tc, test_processes_view);
	tcase_add_test(tc, test_table_view);
	tcase_add_test(tc, test_json_view);
	tcase_add_test(tc, test_prometheus_view);
	suite_add_tcase(s, tc);
	/*
	 * No fork per test: a forked test process would hold the victim's
	 * fd too, and the child's buffers are set up once for all views.
	 */
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
