// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The tracefs side (libtracefs): a trace instance of the tool's own, so
 * the global buffer and whatever else traces (perf, trace-cmd, another
 * cmabuf-trace) is left alone, the events enabled only there, read
 * through the instance's per-CPU raw pipes, and the instance removed
 * again, which also removes every event enable it held.
 *
 * The pipes stay open and are polled, which wakes the tracer when a CPU's
 * buffer is buffer_percent (50) full, else the caller's timeout ends the
 * wait; their sub-buffers are taken apart by libtraceevent's kbuffer.
 * Waking for every event, or reopening the pipes for each drain
 * (tracefs_iterate_raw_events()) ten times a second, showed as overhead
 * in the allocations being measured.
 *
 * When tracing cannot work, say which of the reasons it is and what to
 * do: tracefs absent from the kernel, not mounted, not permitted (write
 * access to tracefs, root's by default), forbidden by lockdown, or
 * a kernel without the CMA events.
 */
#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event-parse.h>
#include <kbuffer.h>
#include <tracefs.h>

#include "trace.h"

struct ev_name {
	const char *sys, *name;
	bool optional;
};

/* the tool's trace instances: this prefix and the pid */
#define INSTANCE_PREFIX "cmabuf-trace."

static const struct ev_name events[] = {
	{ "cma", "cma_alloc_start", false },
	{ "cma", "cma_alloc_finish", false },
	{ "cma", "cma_alloc_busy_retry", false },
	{ "cma", "cma_release", false },
	{ "migrate", "mm_migrate_pages", false },
	{ "migrate", "mm_migrate_pages_start", true },
	{ "dma", "dma_sync_sg_for_cpu", true },
	{ "dma", "dma_sync_sg_for_device", true },
	{ "sched", "sched_process_exit", false },
};
#define NEVENTS (sizeof(events) / sizeof(events[0]))

static void fail(const char *what, const char *todo)
{
	fprintf(stderr, "cmabuf-trace: %s\ncmabuf-trace: %s\n", what, todo);
}

/* "none [integrity] confidentiality": the bracketed mode is in force */
static bool locked_down(char *mode, size_t len)
{
	char buf[128], *b, *e;
	FILE *f = fopen("/sys/kernel/security/lockdown", "re");
	bool locked = false;

	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f)) {
		b = strchr(buf, '[');
		e = b ? strchr(b, ']') : NULL;
		if (b && e && strncmp(b + 1, "none", 4)) {
			*e = '\0';
			snprintf(mode, len, "%s", b + 1);
			locked = true;
		}
	}
	fclose(f);
	return locked;
}

/*
 * Whether a tracefs is mounted (/proc/self/mounts). Not
 * tracefs_tracing_dir_is_mounted(): libtracefs 1.6 leaks the path it
 * finds there, and tracefs_tracing_dir() alone would mount tracefs.
 */
static bool tracefs_mounted(void)
{
	FILE *f = setmntent("/proc/self/mounts", "re");
	struct mntent *m;
	bool found = false;

	if (!f)
		return false;
	while (!found && (m = getmntent(f)))
		found = strcmp(m->mnt_type, "tracefs") == 0;
	endmntent(f);
	return found;
}

static int check_access(const char **dir)
{
	char mode[32];
	bool mounted = tracefs_mounted();

	/* mounted: tracefs_tracing_dir() finds it, and mounts nothing */
	*dir = mounted ? tracefs_tracing_dir() : NULL;
	if (!mounted || !*dir) {
		if (access("/sys/kernel/tracing", F_OK) != 0)
			fail("this kernel has no tracefs (/sys/kernel/tracing)",
			     "use a kernel built with CONFIG_FTRACE and "
			     "CONFIG_TRACING");
		else
			fail("tracefs is not mounted",
			     "mount it: mount -t tracefs nodev "
			     "/sys/kernel/tracing");
		return -1;
	}
	if (locked_down(mode, sizeof(mode)) && !strcmp(mode, "confidentiality")) {
		fail("kernel lockdown (confidentiality) forbids tracefs",
		     "boot without lockdown=confidentiality (or with Secure "
		     "Boot lockdown lifted) to trace CMA");
		return -1;
	}
	if (access(*dir, R_OK | W_OK | X_OK) != 0) {
		char what[512];

		snprintf(what, sizeof(what), "permission denied on %s (%s)",
			 *dir, strerror(errno));
		fail(what, "run cmabuf-trace as root (it creates a trace "
		     "instance, which needs write access to tracefs)");
		return -1;
	}
	return 0;
}

static int check_events(void)
{
	size_t i;

	for (i = 0; i < NEVENTS; i++) {
		char what[256];

		if (events[i].optional ||
		    tracefs_event_file_exists(NULL, events[i].sys,
					      events[i].name, "format"))
			continue;
		snprintf(what, sizeof(what), "this kernel has no trace event "
			 "%s:%s", events[i].sys, events[i].name);
		fail(what, "use a kernel with CONFIG_CMA, CONFIG_MIGRATION and "
		     "CONFIG_FTRACE (trace events)");
		return -1;
	}
	return 0;
}

/*
 * An instance whose tool was killed (SIGKILL leaves no chance to clean
 * up) keeps its events enabled: remove those whose pid is gone. A pid
 * that lives (or was reused) keeps its instance.
 */
static void remove_stale(void)
{
	/* no regex: libtracefs 1.6's tracefs_instances() leaks it */
	char **names = tracefs_instances(NULL);
	const size_t plen = strlen(INSTANCE_PREFIX);
	struct tracefs_instance *inst;
	size_t i;

	for (i = 0; names && names[i]; i++) {
		const char *digits;
		long pid;

		if (strncmp(names[i], INSTANCE_PREFIX, plen) != 0)
			continue;
		digits = names[i] + plen;
		if (!*digits || strspn(digits, "0123456789") != strlen(digits))
			continue;
		pid = strtol(digits, NULL, 10);
		if (pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		inst = tracefs_instance_alloc(NULL, names[i]);
		if (inst && tracefs_instance_destroy(inst) == 0)
			fprintf(stderr, "cmabuf-trace: removed the trace instance "
				"%s left by a killed cmabuf-trace\n", names[i]);
		tracefs_instance_free(inst);
	}
	tracefs_list_free(names);
}

static int create_instance(struct trace_session *s)
{
	char name[64], what[256], mode[32];

	remove_stale();
	snprintf(name, sizeof(name), INSTANCE_PREFIX "%d", (int)getpid());
	if (tracefs_instance_exists(name)) {
		snprintf(what, sizeof(what), "a trace instance %s exists "
			 "already", name);
		fail(what, "remove it: rmdir /sys/kernel/tracing/instances/"
		     INSTANCE_PREFIX "*");
		return -1;
	}
	s->inst = tracefs_instance_create(name);
	if (s->inst)
		return 0;
	snprintf(what, sizeof(what), "cannot create the trace instance %s: "
		 "%s", name, strerror(errno));
	if (errno == EPERM && locked_down(mode, sizeof(mode)))
		fail(what, "kernel lockdown forbids it: boot without lockdown");
	else
		fail(what, "run as root, on a kernel with trace instances "
		     "(CONFIG_FTRACE)");
	return -1;
}

static int enable_events(struct trace_session *s)
{
	size_t i;

	for (i = 0; i < NEVENTS; i++) {
		const char *sys = events[i].sys, *ev = events[i].name;
		char what[256];

		if (events[i].optional &&
		    !tracefs_event_file_exists(s->inst, sys, ev, "enable"))
			continue;
		if (tracefs_event_enable(s->inst, sys, ev) == 0) {
			if (!strcmp(ev, "dma_sync_sg_for_cpu"))
				s->have_sync = true;
			continue;
		}
		snprintf(what, sizeof(what), "cannot enable %s:%s: %s", sys,
			 ev, strerror(errno));
		fail(what, "run as root, on a kernel with the CMA events");
		return -1;
	}
	return 0;
}

/* the sub-buffer size: a page, or buffer_subbuf_size_kb (6.8 on) */
static size_t subbuf_size(struct trace_session *s)
{
	long long kb = 0;

	if (tracefs_instance_file_read_number(s->inst, "buffer_subbuf_size_kb",
					      &kb) == 0 && kb > 0)
		return (size_t)kb * 1024;
	return (size_t)sysconf(_SC_PAGESIZE);
}

static int open_pipes(struct trace_session *s)
{
	int cpu;

	s->page_size = subbuf_size(s);
	s->page = malloc(s->page_size);
	s->fds = calloc((size_t)s->ncpus, sizeof(*s->fds));
	s->kbuf = tep_kbuffer(s->tep);
	if (!s->page || !s->fds || !s->kbuf) {
		fail("out of memory", "free some memory and try again");
		return -1;
	}
	for (cpu = 0; cpu < s->ncpus; cpu++) {
		char file[64], *path;

		snprintf(file, sizeof(file), "per_cpu/cpu%d/trace_pipe_raw", cpu);
		path = tracefs_instance_get_file(s->inst, file);
		s->fds[cpu] = path ? open(path, O_RDONLY | O_NONBLOCK |
					  O_CLOEXEC) : -1;
		tracefs_put_tracing_file(path);
	}
	return 0;
}

int trace_session_open(struct trace_session *s, unsigned long buffer_kb)
{
	const char *systems[] = TRACE_SYSTEMS;
	const char *dir = NULL;

	memset(s, 0, sizeof(*s));
	if (check_access(&dir) || check_events() || create_instance(s))
		return -1;
	s->tep = tracefs_local_events_system(NULL, systems);
	if (!s->tep) {
		fail("cannot read the events' format files",
		     "run as root, on a kernel with the CMA events");
		goto fail;
	}
	/*
	 * The default "local" clock is sched_clock, which falls back to
	 * jiffies on a machine without a stable TSC (the TCG guests):
	 * milliseconds of latency need the monotonic clock, which is also
	 * the one -v prints.
	 */
	if (tracefs_instance_file_write(s->inst, "trace_clock", "mono") < 0)
		fprintf(stderr, "cmabuf-trace: note: no \"mono\" trace "
			"clock, latencies use the default clock\n");
	if (buffer_kb) {
		char kb[32];

		snprintf(kb, sizeof(kb), "%lu", buffer_kb);
		if (tracefs_instance_file_write(s->inst, "buffer_size_kb",
						kb) < 0) {
			fail("cannot set the trace buffer size",
			     "try a smaller --buffer-kb");
			goto fail;
		}
	}
	/* a full buffer drops new events (counted) instead of old ones */
	tracefs_option_disable(s->inst, TRACEFS_OPTION_OVERWRITE);
	if (enable_events(s))
		goto fail;
	s->ncpus = (int)sysconf(_SC_NPROCESSORS_CONF);
	if (open_pipes(s))
		goto fail;
	return 0;
fail:
	trace_session_close(s);
	return -1;
}

int trace_session_wait(struct trace_session *s, int timeout_ms)
{
	struct pollfd pfd[256];
	int cpu, n = 0;

	for (cpu = 0; cpu < s->ncpus && n < 256; cpu++)
		if (s->fds[cpu] >= 0)
			pfd[n++] = (struct pollfd){ .fd = s->fds[cpu],
						    .events = POLLIN };
	return poll(pfd, (nfds_t)n, timeout_ms);
}

/*
 * The records of one sub-buffer, in order, every one of them: the read()
 * took the page out of the ring, so a record left here is lost. What cb
 * returned (TRACE_READ_*, or'ed) is acted on after the page.
 */
static int read_subbuf(struct trace_session *s, int cpu,
		       int (*cb)(struct tep_event *, struct tep_record *,
				 int, void *),
		       void *data)
{
	struct tep_record rec;
	unsigned long long ts;
	int ret = 0;
	void *ev;

	if (kbuffer_load_subbuffer(s->kbuf, s->page) < 0)
		return -1;
	for (ev = kbuffer_read_event(s->kbuf, &ts); ev;
	     ev = kbuffer_next_event(s->kbuf, &ts)) {
		struct tep_event *event;

		memset(&rec, 0, sizeof(rec));
		rec.ts = ts;
		rec.cpu = cpu;
		rec.data = ev;
		rec.size = kbuffer_event_size(s->kbuf);
		rec.missed_events = kbuffer_missed_events(s->kbuf);
		event = tep_find_event_by_record(s->tep, &rec);
		if (event)
			ret |= cb(event, &rec, cpu, data);
	}
	return ret;
}

int trace_session_read(struct trace_session *s,
		       int (*cb)(struct tep_event *, struct tep_record *,
				 int, void *),
		       void *data)
{
	int cpu;

	for (cpu = 0; cpu < s->ncpus; cpu++) {
		if (s->fds[cpu] < 0)
			continue;
		/* each read gives one sub-buffer, or EAGAIN when empty */
		while (read(s->fds[cpu], s->page, s->page_size) > 0) {
			int r = read_subbuf(s, cpu, cb, data);

			if (r > 0 && (r & TRACE_READ_STOP))
				return 1;	/* asked to stop: now */
			if (r < 0 || (r & TRACE_READ_NEXT_CPU))
				break;
		}
	}
	return 0;
}

/* "overrun: N" and "dropped events: N" of one CPU's stats file */
static long long cpu_lost(struct trace_session *s, int cpu)
{
	char file[64], *text, *line, *save = NULL;
	long long lost = 0;

	snprintf(file, sizeof(file), "per_cpu/cpu%d/stats", cpu);
	text = tracefs_instance_file_read(s->inst, file, NULL);
	if (!text)
		return -1;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "overrun: ", 9))
			lost += strtoll(line + 9, NULL, 10);
		else if (!strncmp(line, "dropped events: ", 16))
			lost += strtoll(line + 16, NULL, 10);
	}
	free(text);
	return lost;
}

long long trace_session_lost(struct trace_session *s)
{
	long long sum = 0, n;
	bool any = false;
	int cpu;

	/* CPUs that are not possible have no directory: skipped */
	for (cpu = 0; cpu < s->ncpus; cpu++) {
		n = cpu_lost(s, cpu);
		if (n < 0)
			continue;
		sum += n;
		any = true;
	}
	return any ? sum : -1;
}

void trace_session_close(struct trace_session *s)
{
	int cpu;

	for (cpu = 0; s->fds && cpu < s->ncpus; cpu++)
		if (s->fds[cpu] >= 0)
			close(s->fds[cpu]);
	free(s->fds);
	s->fds = NULL;
	free(s->page);
	s->page = NULL;
	if (s->kbuf) {
		kbuffer_free(s->kbuf);
		s->kbuf = NULL;
	}
	if (s->inst) {
		tracefs_event_disable(s->inst, NULL, NULL);
		if (tracefs_instance_destroy(s->inst) != 0)
			fprintf(stderr, "cmabuf-trace: cannot remove the trace "
				"instance %s: %s\n",
				tracefs_instance_get_name(s->inst),
				strerror(errno));
		tracefs_instance_free(s->inst);
		s->inst = NULL;
	}
	if (s->tep) {
		tep_free(s->tep);
		s->tep = NULL;
	}
}
