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
 */
#include <stdlib.h>
#include <string.h>

#include "trace.h"

struct task {
	int tid, pid;
	char comm[TRACE_COMM_MAX];
};

static struct task *tasks;
static size_t ntasks, cap;
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
	t->pid = read_tgid(t->tid);
	if (t->pid < 0)
		return false;
	return read_comm(t->pid, t->comm) || read_comm(t->tid, t->comm);
}

static struct task *find(int tid)
{
	size_t i;

	for (i = 0; i < ntasks; i++)
		if (tasks[i].tid == tid)
			return &tasks[i];
	return NULL;
}

static struct task *add(const struct task *t)
{
	if (ntasks == cap) {
		size_t ncap = cap ? cap * 2 : 64;
		struct task *n = realloc(tasks, ncap * sizeof(*n));

		if (!n)
			return NULL;
		tasks = n;
		cap = ncap;
	}
	tasks[ntasks] = *t;
	return &tasks[ntasks++];
}

bool trace_task_lookup(int tid, int *pid, char comm[TRACE_COMM_MAX])
{
	struct task tmp = { .tid = tid }, *t = find(tid);

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

void trace_task_exited(int tid, const char *comm)
{
	struct task t = { .tid = tid, .pid = tid };

	if (find(tid))
		return;
	snprintf(t.comm, sizeof(t.comm), "%s", comm);
	add(&t);
}

void trace_task_forget_all(void)
{
	free(tasks);
	tasks = NULL;
	ntasks = cap = 0;
}
