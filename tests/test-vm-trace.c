// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmabuf-trace on a real kernel (run in the test VM). A workload of known
 * shape runs while the tracer runs: one process makes N dma-heap CMA
 * allocations of known sizes and one that must fail, a second asks vivid's
 * dma-contig instance for MMAP buffers (the kernel calls cma_alloc() on
 * its behalf), a third has filled memory so that movable pages sit in the
 * CMA area and must migrate. The tracer's per-process numbers must equal
 * the workload, its migrated pages the pgmigrate_success delta, tracefs
 * must look the same before and after, the views must parse, SIGINT must
 * still give the summary, and without rights or tracefs it must say why.
 * Under load: a pid reused (ns_last_pid) is named after its new process,
 * and SIGINT ends a run that is behind a storm of exits within a second.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/sched.h>
#include <linux/videodev2.h>
#include <glob.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#define TRACEFS "/sys/kernel/tracing"
#define MIB (1u << 20)

static char tool[4096];
static long page;

/* a comm no escaping may break: quote, backslash, newline, UTF-8 */
static const char hostile_comm[] = "v4l\"\\\n\xc3\xa9x";

static uint64_t meminfo_bytes(const char *key)
{
	uint64_t v = 0;

	ck_assert_msg(tu_meminfo(key, &v), "no %s in /proc/meminfo", key);
	return v * 1024;
}

/*
 * The dma-heap allocations, as 32nds of the area: 23/32 together, more
 * than the 5/8 the filler leaves free, so pages must migrate; then one
 * that fits the area but not what is left.
 */
static const unsigned int heap_32nds[] = { 1, 2, 4, 8, 8 };
#define NHEAP (sizeof(heap_32nds) / sizeof(heap_32nds[0]))

/*
 * The size of the heap's CMA area: debugfs cma/<area>/count pages. The
 * area is named after the heap (6.x), or is the only one (7.x names the
 * heap default_cma_region and the area reserved); CmaTotal would count
 * every area (arm64 has a second pool).
 */
static uint64_t area_bytes(void)
{
	static const char *const names[] = { NULL, "reserved", "linux,cma" };
	char path[256];
	unsigned long long pages;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		FILE *f;

		snprintf(path, sizeof(path), "/sys/kernel/debug/cma/%s/count",
			 i ? names[i] : tu_cma_heap_name());
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fscanf(f, "%llu", &pages) != 1)
			pages = 0;
		fclose(f);
		if (pages)
			return pages * (uint64_t)page;
	}
	ck_abort_msg("no debugfs cma/<area>/count for heap %s",
		     tu_cma_heap_name());
	return 0;
}

static size_t heap_size(size_t i)
{
	return (size_t)(area_bytes() / 32) * heap_32nds[i];
}

/* ------------------------------------------------------------ tracefs state */
static void append_file(char **buf, size_t *len, const char *path)
{
	char line[512];
	FILE *f = fopen(path, "re");
	FILE *m;

	m = open_memstream(buf, len);
	ck_assert_ptr_nonnull(m);
	fprintf(m, "%s=", path);
	if (f) {
		while (fgets(line, sizeof(line), f))
			fputs(line, m);
		fclose(f);
	} else {
		fprintf(m, "(absent)\n");
	}
	fclose(m);
}

/* instances, every system's enable, and each event's we use, as one string */
static char *tracefs_state(void)
{
	static const char *const files[] = {
		TRACEFS "/tracing_on", TRACEFS "/events/enable",
		TRACEFS "/events/cma/enable", TRACEFS "/events/migrate/enable",
		TRACEFS "/events/dma/enable",
		TRACEFS "/events/cma/cma_alloc_start/enable",
		TRACEFS "/events/cma/cma_alloc_finish/enable",
		TRACEFS "/events/cma/cma_alloc_busy_retry/enable",
		TRACEFS "/events/cma/cma_release/enable",
		TRACEFS "/events/migrate/mm_migrate_pages/enable",
		TRACEFS "/events/migrate/mm_migrate_pages_start/enable",
		TRACEFS "/events/dma/dma_sync_sg_for_cpu/enable",
		TRACEFS "/events/dma/dma_sync_sg_for_device/enable",
		TRACEFS "/trace_clock", TRACEFS "/options/overwrite",
	};
	char *all = NULL, *part;
	size_t len = 0, plen;
	FILE *m = open_memstream(&all, &len);
	FILE *ls;
	char line[512];
	glob_t g;
	size_t i;

	ck_assert_ptr_nonnull(m);
	ls = popen("ls -1 " TRACEFS "/instances", "r");
	ck_assert_ptr_nonnull(ls);
	fprintf(m, "instances:\n");
	while (fgets(line, sizeof(line), ls))
		fputs(line, m);
	ck_assert_int_eq(pclose(ls), 0);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		part = NULL;
		plen = 0;
		append_file(&part, &plen, files[i]);
		fputs(part, m);
		free(part);
	}
	ck_assert_int_eq(glob(TRACEFS "/events/*/enable", 0, NULL, &g), 0);
	for (i = 0; i < g.gl_pathc; i++) {
		part = NULL;
		plen = 0;
		append_file(&part, &plen, g.gl_pathv[i]);
		fputs(part, m);
		free(part);
	}
	globfree(&g);
	fclose(m);
	return all;
}

/* tracefs as it was before the test (frees before) */
static void assert_restored(char *before)
{
	char *after = tracefs_state();
	bool same = strcmp(before, after) == 0;

	/* the difference, not two pages of state (Check cuts long messages) */
	if (!same) {
		FILE *b = fopen("/tmp/tracefs.before", "we");
		FILE *a = fopen("/tmp/tracefs.after", "we");

		if (b && a) {
			fputs(before, b);
			fputs(after, a);
		}
		if (b)
			fclose(b);
		if (a)
			fclose(a);
		if (system("diff /tmp/tracefs.before /tmp/tracefs.after >&2"))
			fprintf(stderr, "(tracefs differs)\n");
	}
	free(before);
	free(after);
	ck_assert_msg(same, "tracefs not restored (difference above)");
}

/* ------------------------------------------------------------ the tracer */
struct tracer {
	pid_t pid;
	char out[64], err[64];
};

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;
	FILE *m;
	int c;

	ck_assert_ptr_nonnull(f);
	m = open_memstream(&buf, &len);
	while ((c = fgetc(f)) != EOF)
		fputc(c, m);
	fclose(m);
	fclose(f);
	return buf;
}

/* the file at path contains what */
static void assert_file_says(const char *path, const char *what)
{
	char *text = slurp(path);

	ck_assert_msg(strstr(text, what), "expected \"%s\" in %s:\n%s", what,
		      path, text);
	free(text);
}

/* args: NULL-ended; uid: -1 for root; unshare: run without tracefs */
static void tracer_start(struct tracer *t, const char *const *args, int uid,
			 bool no_tracefs)
{
	static int seq;
	const char *argv[8] = { tool };
	int i;

	for (i = 0; args[i] && i < 6; i++)
		argv[i + 1] = args[i];
	snprintf(t->out, sizeof(t->out), "/tmp/trace-%d.out", seq);
	snprintf(t->err, sizeof(t->err), "/tmp/trace-%d.err", seq++);
	/* created here, so the parent can read them at once */
	for (i = 0; i < 2; i++) {
		int fd = open(i ? t->err : t->out,
			      O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);

		ck_assert_int_ge(fd, 0);
		close(fd);
	}
	t->pid = fork();
	ck_assert_int_ge(t->pid, 0);
	if (t->pid == 0) {
		int o = open(t->out, O_WRONLY);
		int e = open(t->err, O_WRONLY);

		if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(126);
		if (no_tracefs &&
		    (unshare(CLONE_NEWNS) ||
		     mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
		     umount2(TRACEFS, MNT_DETACH) ||
		     umount2("/sys/kernel/debug", MNT_DETACH)))
			_exit(125);
		if (uid >= 0 && (setgroups(0, NULL) || setgid(uid) ||
				 setuid(uid)))
			_exit(124);
		execv(tool, (char **)argv);
		_exit(127);
	}
}

/* waits for the line saying the events are enabled */
static void tracer_wait_ready(struct tracer *t)
{
	struct timespec d = { 0, 50000000 };
	int i;

	for (i = 0; i < 1200; i++) {
		char *err = slurp(t->err);
		bool ready = strstr(err, "tracing CMA allocations") != NULL;

		free(err);
		if (ready)
			return;
		ck_assert_int_eq(waitpid(t->pid, NULL, WNOHANG), 0);
		nanosleep(&d, NULL);
	}
	ck_abort_msg("cmabuf-trace did not start");
}

static int tracer_wait(struct tracer *t)
{
	int st;

	ck_assert_int_eq(waitpid(t->pid, &st, 0), t->pid);
	ck_assert_msg(WIFEXITED(st), "cmabuf-trace died (status %#x)", st);
	return WEXITSTATUS(st);
}

/* ------------------------------------------------------------ workload */
#define meminfo meminfo_bytes

/*
 * Movable pages land in the CMA area once CMA holds more than half of the
 * free memory (mm/page_alloc.c, __rmqueue): touch anonymous memory until
 * 3/8 of the area is in use by them, then hold it.
 */
static pid_t start_filler(void)
{
	int p[2];
	pid_t pid;
	char c;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		uint64_t total = meminfo("CmaTotal");

		prctl(PR_SET_NAME, "trace-filler");
		while (meminfo("CmaFree") > total / 8 * 5 &&
		       meminfo("MemFree") > 48 * MIB) {
			char *m = mmap(NULL, 4 * MIB, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (m == MAP_FAILED)
				break;
			memset(m, 0x5a, 4 * MIB);
		}
		if (write(p[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	close(p[0]);
	return pid;
}

static uint64_t cma_free_now(void)
{
	return meminfo("CmaFree");
}

static void run_child(pid_t pid)
{
	int st;

	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "workload child %d failed (status %#x)", pid, st);
}

/* N allocations held, then one larger than what is left, then freed */
static int heap_work(void)
{
	struct cmabuf_ctx *ctx = NULL;
	struct cmabuf_heap *heap = NULL;
	struct cmabuf *buf[NHEAP] = { 0 }, *big = NULL;
	size_t i, area = (size_t)area_bytes();
	int rc = 0;

	prctl(PR_SET_NAME, "trace-heap");
	if (cmabuf_ctx_new(&ctx) || cmabuf_heap_open(ctx, tu_cma_heap_name(),
						     0, &heap))
		return 1;
	for (i = 0; i < NHEAP && rc == 0; i++)
		rc = cmabuf_alloc(heap, heap_size(i), 0, &buf[i]);
	/* fits the area (so cma_alloc searches it) but not the free part */
	if (rc == 0 && cmabuf_alloc(heap, area - 2 * MIB, 0, &big) != -ENOMEM)
		rc = 1;
	for (i = 0; i < NHEAP; i++)
		cmabuf_unref(buf[i]);
	cmabuf_unref(big);
	cmabuf_heap_unref(heap);
	cmabuf_ctx_unref(ctx);
	return rc ? 1 : 0;
}

static int open_vivid_contig(void)
{
	char path[128], name[64];
	int i;

	for (i = 0; i < 64; i++) {
		FILE *f;

		snprintf(path, sizeof(path),
			 "/sys/class/video4linux/video%d/name", i);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (!fgets(name, sizeof(name), f))
			name[0] = '\0';
		fclose(f);
		if (strncmp(name, "vivid-001-vid-cap", 17) == 0) {
			snprintf(path, sizeof(path), "/dev/video%d", i);
			return open(path, O_RDWR | O_CLOEXEC);
		}
	}
	return -1;
}

/* REQBUFS MMAP on dma-contig: the pages it expects go out on the pipe */
static int v4l2_work(int out)
{
	struct v4l2_format fmt = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE };
	struct v4l2_requestbuffers req = {
		.count = 3, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE,
		.memory = V4L2_MEMORY_MMAP,
	};
	uint64_t pages = 0, allocs;
	unsigned int p;
	int fd = open_vivid_contig();

	prctl(PR_SET_NAME, hostile_comm);
	if (fd < 0 || ioctl(fd, VIDIOC_G_FMT, &fmt) ||
	    ioctl(fd, VIDIOC_REQBUFS, &req) || req.count == 0)
		return 1;
	for (p = 0; p < fmt.fmt.pix_mp.num_planes; p++)
		pages += (fmt.fmt.pix_mp.plane_fmt[p].sizeimage + page - 1) /
			 page;
	allocs = (uint64_t)req.count * fmt.fmt.pix_mp.num_planes;
	pages *= req.count;
	req.count = 0;
	if (ioctl(fd, VIDIOC_REQBUFS, &req))
		return 1;
	close(fd);
	if (write(out, &allocs, sizeof(allocs)) != sizeof(allocs) ||
	    write(out, &pages, sizeof(pages)) != sizeof(pages))
		return 1;
	/* alive until the tracer is done, as a player would be */
	pause();
	return 0;
}

static pid_t fork_heap(void)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(heap_work());
	return pid;
}

static pid_t fork_v4l2(uint64_t *allocs, uint64_t *pages)
{
	int p[2];
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(p[0]);
		_exit(v4l2_work(p[1]));
	}
	close(p[1]);
	ck_assert_int_eq(read(p[0], allocs, sizeof(*allocs)), sizeof(*allocs));
	ck_assert_int_eq(read(p[0], pages, sizeof(*pages)), sizeof(*pages));
	close(p[0]);
	return pid;
}

/* ------------------------------------------------------------ the JSON */
static int64_t jint(json_object *o, const char *key)
{
	json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no \"%s\"", key);
	return json_object_get_int64(v);
}

/* the sum of a key over the rows of one pid; *rows counts them */
static int64_t jsum(json_object *doc, int pid, const char *key, int *rows,
		    const char **comm)
{
	json_object *procs, *row;
	int64_t sum = 0;
	size_t i;

	ck_assert(json_object_object_get_ex(doc, "processes", &procs));
	*rows = 0;
	for (i = 0; i < json_object_array_length(procs); i++) {
		row = json_object_array_get_idx(procs, i);
		if (jint(row, "pid") != pid)
			continue;
		(*rows)++;
		if (comm) {
			json_object *c;

			ck_assert(json_object_object_get_ex(row, "comm", &c));
			*comm = json_object_get_string(c);
		}
		sum += jint(row, key);
	}
	return sum;
}

static json_object *parse_json(const char *path)
{
	char *text = slurp(path);
	json_tokener *tok = json_tokener_new();
	json_object *doc;
	const char *end;

	/* strict, and the whole text: one document, then newlines only */
	ck_assert_ptr_nonnull(tok);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	doc = json_tokener_parse_ex(tok, text, (int)strlen(text));
	ck_assert_msg(doc && json_tokener_get_error(tok) == json_tokener_success,
		      "the JSON view does not parse:\n%s", text);
	end = text + json_tokener_get_parse_end(tok);
	ck_assert_msg(end[strspn(end, "\n")] == '\0', "after the JSON: %s", end);
	json_tokener_free(tok);
	free(text);
	return doc;
}

/* ------------------------------------------------------------ the tests */
START_TEST(test_workload_counted)
{
	const char *const args[] = { "--json", "-v", NULL };
	char *before, *verbose, *line;
	uint64_t mig0, mig1, v4l2_allocs, v4l2_pages, heap_pages = 0;
	struct tracer t;
	json_object *doc, *total, *syncs;
	const char *comm = NULL;
	pid_t filler, heap, v4l2;
	int rows, lines = 0, failed = 0;
	size_t i;

	before = tracefs_state();
	filler = start_filler();
	fprintf(stderr, "filler: CmaFree %llu of %llu kB, MemFree %llu kB\n",
		(unsigned long long)cma_free_now() / 1024,
		(unsigned long long)meminfo("CmaTotal") / 1024,
		(unsigned long long)meminfo("MemFree") / 1024);
	tracer_start(&t, args, -1, false);
	tracer_wait_ready(&t);
	ck_assert(tu_vmstat("pgmigrate_success", &mig0));

	heap = fork_heap();
	run_child(heap);
	v4l2 = fork_v4l2(&v4l2_allocs, &v4l2_pages);

	ck_assert(tu_vmstat("pgmigrate_success", &mig1));
	kill(t.pid, SIGINT);
	ck_assert_int_eq(tracer_wait(&t), 0);
	kill(filler, SIGKILL);
	waitpid(filler, NULL, 0);
	kill(v4l2, SIGKILL);
	waitpid(v4l2, NULL, 0);
	assert_restored(before);

	doc = parse_json(t.out);
	ck_assert_int_eq(jint(doc, "lost_events"), 0);

	/* the dma-heap process: N + 1 calls, one failure, the sizes */
	for (i = 0; i < NHEAP; i++)
		heap_pages += heap_size(i) / page;
	heap_pages += (area_bytes() - 2 * MIB) / page;
	ck_assert_int_eq(jsum(doc, heap, "allocations", &rows, &comm), NHEAP + 1);
	if (rows != 1)
		fprintf(stderr, "%s\n", json_object_to_json_string(doc));
	ck_assert_int_eq(rows, 1);
	ck_assert_str_eq(comm, "trace-heap");
	ck_assert_int_eq(jsum(doc, heap, "failures", &rows, NULL), 1);
	ck_assert_int_eq(jsum(doc, heap, "pages_requested", &rows, NULL),
			 heap_pages);
	ck_assert_int_eq(jsum(doc, heap, "releases", &rows, NULL), NHEAP);

	/* the V4L2 process: the kernel allocated for it */
	ck_assert_int_eq(jsum(doc, v4l2, "allocations", &rows, &comm),
			 v4l2_allocs);
	ck_assert_str_eq(comm, hostile_comm);
	ck_assert_int_eq(jsum(doc, v4l2, "pages_requested", &rows, NULL),
			 v4l2_pages);
	ck_assert_int_eq(jsum(doc, v4l2, "failures", &rows, NULL), 0);

	/*
	 * Every migration in the window is traced: the contig_range pages
	 * plus those of other reasons (kcompactd) are the vmstat delta. The
	 * filler held pages in the area, so some had to move.
	 */
	ck_assert(json_object_object_get_ex(doc, "total", &total));
	fprintf(stderr, "traced: %lld pages migrated for CMA, %lld other; "
		"pgmigrate_success +%llu\n",
		(long long)jint(total, "pages_migrated"),
		(long long)jint(total, "pages_migrated_other"),
		(unsigned long long)(mig1 - mig0));
	ck_assert_int_eq(jint(total, "failures"), 1);
	ck_assert_int_eq(jint(total, "pages_migrated") +
			 jint(total, "pages_migrated_other"),
			 (int64_t)(mig1 - mig0));
	ck_assert_int_gt(jsum(doc, heap, "pages_migrated", &rows, NULL) +
			 jsum(doc, v4l2, "pages_migrated", &rows, NULL), 0);

	/* DMA syncs are counted where the kernel has the events (6.12 on) */
	ck_assert(json_object_object_get_ex(doc, "syncs", &syncs));
	if (access(TRACEFS "/events/dma/dma_sync_sg_for_cpu", F_OK) == 0)
		ck_assert(json_object_is_type(syncs, json_type_array));
	else
		ck_assert(json_object_is_type(syncs, json_type_null));

	/* -v: one line per allocation of the heap process */
	verbose = slurp(t.err);
	/* the hostile comm on a terminal: C escapes, UTF-8 kept, one line */
	ck_assert_msg(strstr(verbose, " v4l\"\\\\\\n\xc3\xa9x "),
		      "comm not escaped in:\n%s", verbose);
	for (line = strtok(verbose, "\n"); line; line = strtok(NULL, "\n")) {
		int pid = 0;

		if (sscanf(line, "%*f %d", &pid) != 1 || pid != heap)
			continue;
		lines++;
		failed += strstr(line, " failed") != NULL;
	}
	ck_assert_int_eq(lines, NHEAP + 1);
	ck_assert_int_eq(failed, 1);
	free(verbose);
	json_object_put(doc);
}
END_TEST

/* the checkers of every Prometheus view: check-views and promtool */
static int check_prometheus(const char *path)
{
	const char *src = getenv("top_srcdir");
	char cmd[4300];

	snprintf(cmd, sizeof(cmd), "%s/tests/check-prometheus %s",
		 src ? src : "..", path);
	return system(cmd);
}

/* SECONDS ends the run; the Prometheus view parses */
START_TEST(test_seconds_prometheus)
{
	const char *const args[] = { "--prometheus", "1", NULL };
	char cmd[256], *before = tracefs_state(), *out;
	struct tracer t;
	pid_t heap;

	tracer_start(&t, args, -1, false);
	tracer_wait_ready(&t);
	heap = fork_heap();
	run_child(heap);
	ck_assert_int_eq(tracer_wait(&t), 0);
	assert_restored(before);
	out = slurp(t.out);
	snprintf(cmd, sizeof(cmd), "cmabuf_trace_allocations_total{pid=\"%d\","
		 "comm=\"trace-heap\",area=", heap);
	ck_assert_msg(strstr(out, cmd), "no allocations of pid %d in %s:\n%s",
		      heap, t.out, out);
	ck_assert(strstr(out, "cmabuf_trace_lost_events_total 0\n"));
	ck_assert_int_eq(check_prometheus(t.out), 0);
	free(out);
}
END_TEST

/* SIGTERM too stops it with a summary and a clean tracefs */
START_TEST(test_sigterm)
{
	const char *const args[] = { NULL };
	char *before = tracefs_state();
	struct tracer t;

	tracer_start(&t, args, -1, false);
	tracer_wait_ready(&t);
	kill(t.pid, SIGTERM);
	ck_assert_int_eq(tracer_wait(&t), 0);
	assert_restored(before);
	assert_file_says(t.out, "CMA allocations traced for");
}
END_TEST

/*
 * Lost events are reported: with one page of buffer per CPU and the
 * tracer stopped, 200 allocations overflow it; the counts that remain
 * are a lower bound.
 */
START_TEST(test_lost_events)
{
	const char *const args[] = { "--json", "--buffer-kb", "4", NULL };
	char *before = tracefs_state();
	struct tracer t;
	json_object *doc, *total;
	pid_t pid;
	int i;

	tracer_start(&t, args, -1, false);
	tracer_wait_ready(&t);
	kill(t.pid, SIGSTOP);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct cmabuf_ctx *ctx = NULL;
		struct cmabuf_heap *heap = NULL;
		struct cmabuf *buf = NULL;

		if (cmabuf_ctx_new(&ctx) ||
		    cmabuf_heap_open(ctx, tu_cma_heap_name(), 0, &heap))
			_exit(1);
		for (i = 0; i < 200; i++) {
			if (cmabuf_alloc(heap, 2 * page, 0, &buf))
				_exit(1);
			buf = cmabuf_unref(buf);
		}
		_exit(0);
	}
	run_child(pid);
	kill(t.pid, SIGCONT);
	kill(t.pid, SIGINT);
	ck_assert_int_eq(tracer_wait(&t), 0);
	assert_restored(before);
	doc = parse_json(t.out);
	ck_assert_int_gt(jint(doc, "lost_events"), 0);
	ck_assert(json_object_object_get_ex(doc, "total", &total));
	ck_assert_int_lt(jint(total, "allocations"), 200);
	json_object_put(doc);
}
END_TEST

/*
 * A request larger than the area: cma_alloc() returns before its finish
 * event on some kernels (6.12: after the start). The call still counts
 * as one failure, once the task has exited.
 */
START_TEST(test_failure_without_finish)
{
	const char *const args[] = { "--json", NULL };
	char *before = tracefs_state();
	struct tracer t;
	json_object *doc;
	pid_t pid;
	int rows;

	tracer_start(&t, args, -1, false);
	tracer_wait_ready(&t);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct cmabuf_ctx *ctx = NULL;
		struct cmabuf_heap *heap = NULL;
		struct cmabuf *buf = NULL;

		if (cmabuf_ctx_new(&ctx) ||
		    cmabuf_heap_open(ctx, tu_cma_heap_name(), 0, &heap))
			_exit(1);
		_exit(cmabuf_alloc(heap, area_bytes() + 4 * MIB, 0, &buf) ==
		      -ENOMEM ? 0 : 1);
	}
	run_child(pid);
	sleep(2);	/* the exit event, read at the next drain */
	kill(t.pid, SIGINT);
	ck_assert_int_eq(tracer_wait(&t), 0);
	assert_restored(before);
	doc = parse_json(t.out);
	ck_assert_int_eq(jsum(doc, pid, "allocations", &rows, NULL), 1);
	ck_assert_int_eq(jsum(doc, pid, "failures", &rows, NULL), 1);
	ck_assert_int_eq(jint(doc, "in_flight"), 0);
	json_object_put(doc);
}
END_TEST

/* an instance left by a killed tracer (its pid gone) is removed */
START_TEST(test_stale_instance)
{
	const char *const args[] = { "1", NULL };
	const char *stale = TRACEFS "/instances/cmabuf-trace.2147483646";
	char *before = tracefs_state();
	struct tracer t;

	ck_assert_int_eq(mkdir(stale, 0755), 0);
	tracer_start(&t, args, -1, false);
	ck_assert_int_eq(tracer_wait(&t), 0);
	assert_restored(before);
	assert_file_says(t.err, "removed the trace instance");
}
END_TEST

/* cmabuf-trace -v | head: the reader goes, the tracer cleans up */
START_TEST(test_closed_pipe)
{
	char *before = tracefs_state();
	struct tracer t = { 0 };
	int p[2], st;

	snprintf(t.err, sizeof(t.err), "/tmp/trace-pipe.err");
	close(open(t.err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	t.pid = fork();
	ck_assert_int_ge(t.pid, 0);
	if (t.pid == 0) {
		int e = open(t.err, O_WRONLY);

		if (dup2(p[1], 1) < 0 || dup2(e, 2) < 0)
			_exit(126);
		execl(tool, tool, "-v", "60", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	tracer_wait_ready(&t);
	close(p[0]);		/* the reader is gone */
	run_child(fork_heap());	/* its -v lines meet EPIPE */
	ck_assert_int_eq(waitpid(t.pid, &st, 0), t.pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 1);
	assert_restored(before);
}
END_TEST

static void expect_refusal(int uid, bool no_tracefs, const char *why)
{
	const char *const args[] = { "1", NULL };
	char *before = tracefs_state();
	struct tracer t;

	tracer_start(&t, args, uid, no_tracefs);
	ck_assert_int_eq(tracer_wait(&t), 1);
	assert_file_says(t.err, why);
	assert_restored(before);
}

START_TEST(test_unprivileged)
{
	expect_refusal(65534, false, "run cmabuf-trace as root");
}
END_TEST

START_TEST(test_no_tracefs)
{
	expect_refusal(-1, true, "tracefs is not mounted");
}
END_TEST

/* ------------------------------------------------------------ under load */
/* the allocations of the row of pid with comm, -1 if there is none */
static int64_t row_allocs(json_object *doc, int pid, const char *comm)
{
	json_object *procs, *row, *c;
	size_t i;

	ck_assert(json_object_object_get_ex(doc, "processes", &procs));
	for (i = 0; i < json_object_array_length(procs); i++) {
		row = json_object_array_get_idx(procs, i);
		if (jint(row, "pid") != pid ||
		    !json_object_object_get_ex(row, "comm", &c) ||
		    strcmp(json_object_get_string(c), comm) != 0)
			continue;
		return jint(row, "allocations");
	}
	return -1;
}

/* the next fork gets want through ns_last_pid, if the kernel has it */
static bool set_last_pid(pid_t want)
{
	FILE *f = fopen("/proc/sys/kernel/ns_last_pid", "we");
	bool ok;

	if (!f)
		return false;	/* needs CONFIG_PID_NS besides CHECKPOINT_RESTORE */
	ok = fprintf(f, "%d", want - 1) > 0;
	return fclose(f) == 0 && ok;
}

/*
 * A child named comm that makes n CMA allocations of two pages and exits;
 * with want > 0 it gets that pid: by ns_last_pid, else by clone3's set_tid
 * (the same checkpoint/restore interface, without CONFIG_PID_NS, which the
 * test kernels lack)
 */
static pid_t fork_allocs(const char *comm, int n, pid_t want)
{
	struct clone_args ca = {
		.exit_signal = SIGCHLD,
		.set_tid = (uint64_t)(uintptr_t)&want,
		.set_tid_size = 1,
	};
	pid_t pid;

	if (want > 0 && !set_last_pid(want))
		pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
	else
		pid = fork();
	ck_assert_msg(pid >= 0, "fork/clone3: %s", strerror(errno));
	if (pid == 0) {
		struct cmabuf_ctx *ctx = NULL;
		struct cmabuf_heap *heap = NULL;
		struct cmabuf *buf = NULL;

		prctl(PR_SET_NAME, comm);
		if (cmabuf_ctx_new(&ctx) ||
		    cmabuf_heap_open(ctx, tu_cma_heap_name(), 0, &heap))
			_exit(1);
		while (n-- > 0) {
			if (cmabuf_alloc(heap, 2 * page, 0, &buf))
				_exit(1);
			buf = cmabuf_unref(buf);
		}
		_exit(0);
	}
	return pid;
}

/*
 * A pid reused: "reuse-old" allocates once and exits; once its exit has
 * been counted, "reuse-new" is made with the same pid, allocates twice
 * and exits. Each allocation goes to its own process's name.
 */
START_TEST(test_pid_reused)
{
	const char *const args[] = { "--json", NULL };
	char *before = tracefs_state();
	struct tracer t;
	json_object *doc;
	pid_t old, reused;

	tracer_start(&t, args, -1, false);
	tracer_wait_ready(&t);
	old = fork_allocs("reuse-old", 1, 0);
	run_child(old);
	sleep(3);	/* read at the next drain, counted after the lag */
	reused = fork_allocs("reuse-new", 2, old);
	ck_assert_int_eq(reused, old);
	run_child(reused);
	sleep(2);	/* its exit read: the task is gone */
	kill(t.pid, SIGINT);
	ck_assert_int_eq(tracer_wait(&t), 0);
	assert_restored(before);
	doc = parse_json(t.out);
	ck_assert_int_eq(row_allocs(doc, old, "reuse-old"), 1);
	ck_assert_int_eq(row_allocs(doc, old, "reuse-new"), 2);
	json_object_put(doc);
}
END_TEST

/* forks and reaps short-lived children until killed, counting them */
static pid_t start_storm(volatile long *count)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_NAME, "trace-storm");
		for (;;) {
			pid_t c = fork();

			if (c == 0)
				_exit(0);
			if (c > 0 && waitpid(c, NULL, 0) == c)
				__atomic_add_fetch(count, 1, __ATOMIC_RELAXED);
		}
	}
	return pid;
}

/* one-page CMA allocations until killed, counting them: a record flood */
static pid_t start_flood(volatile long *count)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct cmabuf_ctx *ctx = NULL;
		struct cmabuf_heap *heap = NULL;
		struct cmabuf *buf = NULL;

		prctl(PR_SET_NAME, "trace-flood");
		if (cmabuf_ctx_new(&ctx) ||
		    cmabuf_heap_open(ctx, tu_cma_heap_name(), 0, &heap))
			_exit(1);
		for (;;) {
			if (cmabuf_alloc(heap, page, 0, &buf))
				_exit(1);
			buf = cmabuf_unref(buf);
			__atomic_add_fetch(count, 1, __ATOMIC_RELAXED);
		}
	}
	return pid;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * SIGINT while the tracer is far behind: it was stopped while thousands
 * of short-lived processes exited and a flood of one-page allocations
 * filled its buffers (tens of thousands of records), and both go on. It
 * must end (the last drain has a deadline of its own), with its summary
 * and the instance gone.
 */
START_TEST(test_sigint_storm)
{
	const char *const args[] = { "--json", "--buffer-kb", "4096", NULL };
	char *before = tracefs_state();
	struct tracer t;
	json_object *doc;
	volatile long *n;	/* [0] exits, [1] allocations */
	pid_t gen[3];
	double t0, took;
	int i, st;

	n = mmap(NULL, 2 * sizeof(*n), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert(n != MAP_FAILED);
	tracer_start(&t, args, -1, false);
	tracer_wait_ready(&t);
	kill(t.pid, SIGSTOP);
	gen[0] = start_storm(&n[0]);
	gen[1] = start_storm(&n[0]);
	gen[2] = start_flood(&n[1]);
	/* thousands, however slow the machine (TCG) */
	for (i = 0; i < 900 && (n[0] < 3000 || n[1] < 10000); i++)
		usleep(100000);
	fprintf(stderr, "storm: %ld processes, %ld allocations while the "
		"tracer was stopped\n", n[0], n[1]);
	ck_assert_int_ge(n[0], 3000);
	ck_assert_int_ge(n[1], 10000);
	kill(t.pid, SIGCONT);
	kill(t.pid, SIGINT);
	t0 = mono_s();
	ck_assert_int_eq(waitpid(t.pid, &st, 0), t.pid);
	took = mono_s() - t0;
	for (i = 0; i < 3; i++) {
		kill(gen[i], SIGKILL);
		waitpid(gen[i], NULL, 0);
	}
	fprintf(stderr, "SIGINT to exit: %.3f s\n", took);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "cmabuf-trace: status %#x", st);
	/*
	 * Not a speed claim (the time is printed, not judged): that it ends
	 * at all while the storm goes on, its summary and the instance gone.
	 * Under TCG the reader catches up with the storm, so even a reader
	 * that ignores the stop ends here (1.7 s measured, 0.5-0.7 s as
	 * built, 1.8 s with ASan): tests/test-trace-drain holds when a read
	 * stops. 20 s is a hang, not a slow run.
	 */
	ck_assert_msg(took < 20.0, "SIGINT did not end the run: %.3f s", took);
	assert_restored(before);
	doc = parse_json(t.out);
	json_object_put(doc);
	munmap((void *)n, 2 * sizeof(*n));
}
END_TEST

int main(void)
{
	const char *top = getenv("top_builddir");
	const char *missing = tu_missing_cma();
	Suite *s = suite_create("vm-trace");
	TCase *tc = tcase_create("trace");

	if (missing)
		return tu_cannot_run(missing);
	if (access(TRACEFS "/events/cma", F_OK) != 0)
		return tu_cannot_run("no cma trace events in tracefs");
	page = sysconf(_SC_PAGESIZE);
	snprintf(tool, sizeof(tool), "%s/tools/cmabuf-trace", top ? top : ".");
	/* CMABUF_TRACE_TOOL: run another build of the tool (an old one) */
	if (getenv("CMABUF_TRACE_TOOL") && *getenv("CMABUF_TRACE_TOOL"))
		snprintf(tool, sizeof(tool), "%s", getenv("CMABUF_TRACE_TOOL"));
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_workload_counted);
	tcase_add_test(tc, test_seconds_prometheus);
	tcase_add_test(tc, test_sigterm);
	tcase_add_test(tc, test_lost_events);
	tcase_add_test(tc, test_failure_without_finish);
	tcase_add_test(tc, test_stale_instance);
	tcase_add_test(tc, test_closed_pipe);
	tcase_add_test(tc, test_unprivileged);
	tcase_add_test(tc, test_no_tracefs);
	tcase_add_test(tc, test_pid_reused);
	tcase_add_test(tc, test_sigint_storm);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
