// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Which process a task belongs to, and its name. A trace record carries
 * only the task id (common_pid); the process is its Tgid in
 * /proc/<tid>/status (the kernel's own line: the Name line before it is
 * escaped, so a comm cannot forge a "Tgid:" line) and its comm is
 * /proc/<tgid>/comm, raw bytes any process can set: hostile, escaped on
 * output only. Looked up when the record is read, while the task most
 * likely still lives, and cached. A task gone by then (a short-lived
 * process) keeps its own id and the name the kernel saved for it in
 * tracefs' saved_cmdlines (recorded while events are enabled), or "?".
 */
#include <stdlib.h>
#include <string.h>

#include <event-parse.h>
#include <tracefs.h>

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

static void saved_comm(struct tep_handle *tep, int tid,
		       char comm[TRACE_COMM_MAX])
{
	const char *c = NULL;

	if (tracefs_load_cmdlines(NULL, tep) == 0)
		c = tep_data_comm_from_pid(tep, tid);
	snprintf(comm, TRACE_COMM_MAX, "%s", c && strcmp(c, "<...>") ? c : "?");
}

static void resolve(struct tep_handle *tep, struct task *t)
{
	t->pid = read_tgid(t->tid);
	if (t->pid < 0)
		t->pid = t->tid;
	if (!read_comm(t->pid, t->comm) && !read_comm(t->tid, t->comm))
		saved_comm(tep, t->tid, t->comm);
}

void trace_task_lookup(struct tep_handle *tep, int tid, int *pid, char comm[TRACE_COMM_MAX])
{
	struct task tmp = { .tid = tid }, *t = NULL;
	size_t i;

	for (i = 0; i < ntasks && !t; i++)
		if (tasks[i].tid == tid)
			t = &tasks[i];
	if (!t) {
		resolve(tep, &tmp);
		t = &tmp;
		if (ntasks == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct task *n = realloc(tasks, ncap * sizeof(*n));

			if (n) {
				tasks = n;
				cap = ncap;
			}
		}
		if (ntasks < cap) {
			tasks[ntasks] = tmp;
			t = &tasks[ntasks++];
		}
	}
	*pid = t->pid;
	memcpy(comm, t->comm, TRACE_COMM_MAX);
}

void trace_task_forget_all(void)
{
	free(tasks);
	tasks = NULL;
	ntasks = cap = 0;
}
