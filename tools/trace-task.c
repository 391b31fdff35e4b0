// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Which process a task belongs to, and its name. A trace record carries
 * only the task id (common_pid); the process is its Tgid in
 * /proc/<tid>/status (the kernel's own line: the Name line before it is
 * escaped, so a comm cannot forge a "Tgid:" line) and its comm is
 * /proc/<tgid>/comm, raw bytes any process can set: hostile, escaped on
 * output only. Looked up when the record is read, while the task most
 * likely still lives, and cached. A task gone by then (a short-lived
 * process) is known by its sched:sched_process_exit record, which carries
 * its comm: it keeps its own id as the process id.
 *
 * A task id is reused once its task is gone (ns_last_pid makes it happen
 * at will), so an entry is one life of a tid: a live one (exit unknown)
 * and those ended by an exit record read but not yet counted. A record at
 * time ts belongs to the first life of its tid that ends at or after ts.
 * An entry goes when its exit record has been counted (trace-order.c hands
 * them on in time order, so no earlier record of that life remains): the
 * table holds the live tasks seen plus the exits in flight, not every
 * task of the run, and a hash on the tid keeps each lookup O(1).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "trace.h"

struct task {
	int tid, pid;
	uint64_t exit_ts;	/* its exit record's time; 0: alive */
	uint64_t seen_ns;	/* CLOCK_MONOTONIC when read from /proc */
	char comm[TRACE_COMM_MAX];
	struct task *next;	/* same bucket */
};

static struct task **buckets;
static size_t nbuckets, ntasks;	/* nbuckets: 0 or a power of two */

static size_t bucket_of(int tid)
{
	/* Fibonacci hashing: consecutive tids spread over the buckets */
	return (size_t)(((uint32_t)tid * UINT32_C(2654435761)) >> 8) &
	       (nbuckets - 1);
}

/* at most one task per bucket on average */
static bool grow(void)
{
	size_t i, old = nbuckets, n = old ? old * 2 : 256;
	struct task **b = calloc(n, sizeof(*b)), **ob = buckets;

	if (!b)
		return false;
	buckets = b;
	nbuckets = n;
	for (i = 0; i < old; i++)
		while (ob[i]) {
			struct task *t = ob[i];

			ob[i] = t->next;
			t->next = buckets[bucket_of(t->tid)];
			buckets[bucket_of(t->tid)] = t;
		}
	free(ob);
	return true;
}

static struct task *add(const struct task *tmpl)
{
	struct task *t;
	size_t b;

	if (ntasks >= nbuckets && !grow() && !nbuckets)
		return NULL;
	t = malloc(sizeof(*t));
	if (!t)
		return NULL;
	*t = *tmpl;
	b = bucket_of(t->tid);
	t->next = buckets[b];
	buckets[b] = t;
	ntasks++;
	return t;
}

/* the life of tid that record time ts falls in, if known */
static struct task *find(int tid, uint64_t ts)
{
	struct task *t, *ended = NULL, *alive = NULL;

	if (!nbuckets)
		return NULL;
	for (t = buckets[bucket_of(tid)]; t; t = t->next) {
		if (t->tid != tid)
			continue;
		if (!t->exit_ts)
			alive = t;
		else if (t->exit_ts >= ts &&
			 (!ended || t->exit_ts < ended->exit_ts))
			ended = t;
	}
	return ended ? ended : alive;
}

static struct task *find_alive(int tid)
{
	struct task *t;

	if (!nbuckets)
		return NULL;
	for (t = buckets[bucket_of(tid)]; t; t = t->next)
		if (t->tid == tid && !t->exit_ts)
			return t;
	return NULL;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int read_tgid(int tid)
{
	char path[64], line[256];
	FILE *f;
	int tgid = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "Tgid:\t", 6) == 0) {
			tgid = atoi(line + 6);
			break;
		}
	fclose(f);
	return tgid > 0 ? tgid : -1;
}

static bool read_comm(int pid, char comm[TRACE_COMM_MAX])
{
	char path[64];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	n = fread(comm, 1, TRACE_COMM_MAX - 1, f);
	fclose(f);
	if (n > 0 && comm[n - 1] == '\n')
		n--;
	comm[n] = '\0';
	return n > 0;
}

static bool resolve(struct task *t)
{
	t->seen_ns = mono_ns();
	t->pid = read_tgid(t->tid);
	if (t->pid < 0)
		return false;
	return read_comm(t->pid, t->comm) || read_comm(t->tid, t->comm);
}

bool trace_task_lookup(int tid, uint64_t ts, int *pid,
		       char comm[TRACE_COMM_MAX])
{
	struct task tmp = { .tid = tid }, *t = find(tid, ts);

	if (!t && resolve(&tmp))
		t = add(&tmp);
	if (!t) {
		*pid = tid;
		snprintf(comm, TRACE_COMM_MAX, "?");
		return false;
	}
	*pid = t->pid;
	memcpy(comm, t->comm, TRACE_COMM_MAX);
	return true;
}

void trace_task_exited(int tid, uint64_t ts, const char *comm)
{
	struct task t = { .tid = tid, .pid = tid, .exit_ts = ts ? ts : 1 },
		    *live = find_alive(tid);

	/*
	 * The live entry is this life only if it was read from /proc before
	 * the exit (the trace clock is CLOCK_MONOTONIC, trace-session.c);
	 * read after it, it is the tid's next task.
	 */
	if (live && live->seen_ns <= t.exit_ts) {
		live->exit_ts = t.exit_ts;
		return;
	}
	snprintf(t.comm, sizeof(t.comm), "%s", comm);
	add(&t);
}

void trace_task_exit_counted(int tid, uint64_t ts)
{
	struct task **p, *t;

	if (!nbuckets)
		return;
	if (!ts)
		ts = 1;
	for (p = &buckets[bucket_of(tid)]; (t = *p); p = &t->next)
		if (t->tid == tid && t->exit_ts == ts) {
			*p = t->next;
			free(t);
			ntasks--;
			return;
		}
}

size_t trace_task_count(void)
{
	return ntasks;
}

void trace_task_forget_all(void)
{
	size_t i;

	for (i = 0; i < nbuckets; i++)
		while (buckets[i]) {
			struct task *t = buckets[i];

			buckets[i] = t->next;
			free(t);
		}
	free(buckets);
	buckets = NULL;
	nbuckets = ntasks = 0;
}
