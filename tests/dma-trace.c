// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * DMA API trace events through libtracefs/libtraceevent.
 *
 * The events live in an instance of our own (instances/cmabuf-dma-<pid>):
 * enabling them there leaves the top-level buffer, its tracers and every
 * other instance as they were, and removing the instance undoes all of
 * it. Fields are looked up by name in the kernel's format files, so a
 * kernel that reorders or adds fields (6.12 and 7.x differ around these
 * events) is read correctly; a field that is missing makes the event
 * unreadable, which the caller sees as a missing event.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tracefs.h>
#include <event-parse.h>

#include "dma-trace.h"

struct dt_session {
	struct tracefs_instance *inst;
	struct tep_handle *tep;
	struct tep_event *ev[4];	/* by enum dt_kind */
	char name[64];
	int pid;	/* whose events count: the caller's */
};

static const char *const event_names[] = {
	[DT_SYNC_FOR_CPU] = "dma_sync_sg_for_cpu",
	[DT_SYNC_FOR_DEVICE] = "dma_sync_sg_for_device",
	[DT_MAP_SG] = "dma_map_sg",
	[DT_UNMAP_SG] = "dma_unmap_sg",
};

const char *dt_kind_name(enum dt_kind k)
{
	return event_names[k];
}

const char *dt_dir_name(int dir)
{
	static const char *const names[] = {
		"DMA_BIDIRECTIONAL", "DMA_TO_DEVICE", "DMA_FROM_DEVICE",
		"DMA_NONE",
	};

	return dir >= 0 && dir <= DT_NONE ? names[dir] : "(unknown)";
}

const char *dt_instance_name(const struct dt_session *s)
{
	return s->name;
}

static int enable_all(struct dt_session *s)
{
	size_t k;

	for (k = 0; k < 4; k++)
		if (tracefs_event_enable(s->inst, "dma", event_names[k]) < 0)
			return -EIO;
	return tracefs_trace_on(s->inst) < 0 ? -EIO : 0;
}

struct dt_session *dt_open(const char **why)
{
	static const char *const systems[] = { "dma", NULL };
	struct dt_session *s;
	size_t k;

	if (!tracefs_tracing_dir()) {
		*why = "tracefs is not mounted";
		return NULL;
	}
	if (!tracefs_event_file_exists(NULL, "dma", "dma_sync_sg_for_cpu",
				       "format")) {
		*why = "no dma:dma_sync_sg_for_cpu event (Linux 6.12+)";
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		*why = "out of memory";
		return NULL;
	}
	s->pid = (int)getpid();
	snprintf(s->name, sizeof(s->name), "cmabuf-dma-%d", s->pid);
	s->tep = tracefs_local_events_system(NULL, systems);
	s->inst = tracefs_instance_create(s->name);
	*why = "cannot set up the tracefs instance";
	if (!s->tep || !s->inst)
		goto fail;
	for (k = 0; k < 4; k++) {
		s->ev[k] = tep_find_event_by_name(s->tep, "dma",
						  event_names[k]);
		if (!s->ev[k]) {
			*why = "a dma event has no readable format";
			goto fail;
		}
	}
	if (enable_all(s) < 0)
		goto fail;
	return s;
fail:
	dt_close(s);
	return NULL;
}

void dt_close(struct dt_session *s)
{
	if (!s)
		return;
	if (s->inst) {
		tracefs_trace_off(s->inst);
		tracefs_event_disable(s->inst, "dma", NULL);
		tracefs_instance_destroy(s->inst);
		tracefs_instance_free(s->inst);
	}
	if (s->tep)
		tep_free(s->tep);
	free(s);
}

/* ---- reading one record ---- */

static int kind_of(const struct dt_session *s, const struct tep_event *e)
{
	int k;

	for (k = 0; k < 4; k++)
		if (s->ev[k] == e)
			return k;
	return -1;
}

/* a dynamic array field: its data and element count, or NULL */
static const uint8_t *array_field(struct tep_event *e, struct tep_record *r,
				  const char *name, size_t elem,
				  unsigned int *count)
{
	const uint8_t *p;
	int len = 0;

	if (!tep_find_field(e, name))
		return NULL;
	p = tep_get_field_raw(NULL, e, name, r, &len, 0);
	if (!p || len < 0)
		return NULL;
	*count = (unsigned int)((size_t)len / elem);
	return p;
}

static bool read_device(struct tep_event *e, struct tep_record *r,
			struct dt_event *out)
{
	const char *p;
	int len = 0;
	size_t n;

	if (!tep_find_field(e, "device"))
		return false;
	p = tep_get_field_raw(NULL, e, "device", r, &len, 0);
	if (!p || len < 0)
		return false;
	/* __string: NUL-terminated within len; never trust it to be */
	n = strnlen(p, (size_t)len);
	if (n >= sizeof(out->device))
		n = sizeof(out->device) - 1;
	memcpy(out->device, p, n);
	out->device[n] = '\0';
	return true;
}

static bool read_segments(struct tep_event *e, struct tep_record *r,
			  enum dt_kind kind, struct dt_event *out)
{
	const char *addr_name = kind == DT_UNMAP_SG ? "addrs" : "dma_addrs";
	const uint8_t *a, *l = NULL;
	unsigned int na = 0, nl = 0, i;

	a = array_field(e, r, addr_name, sizeof(uint64_t), &na);
	if (!a)
		return false;
	if (kind != DT_UNMAP_SG) {
		l = array_field(e, r, "lengths", sizeof(uint32_t), &nl);
		if (!l || nl != na)
			return false;
	}
	out->all_segs = na;
	out->nsegs = na < DT_MAX_SEGS ? na : DT_MAX_SEGS;
	for (i = 0; i < na; i++) {
		uint32_t len = 0;
		uint64_t addr;

		memcpy(&addr, a + i * sizeof(uint64_t), sizeof(addr));
		if (l)
			memcpy(&len, l + i * sizeof(uint32_t), sizeof(len));
		if (i < DT_MAX_SEGS) {
			out->addr[i] = addr;
			out->len[i] = len;
		}
		out->bytes += len;
	}
	return true;
}

struct collect {
	struct dt_session *s;
	struct dt_event *ev;
	size_t max, n;
	int err;
};

static int on_record(struct tep_event *e, struct tep_record *r, int cpu,
		     void *arg)
{
	struct collect *c = arg;
	struct dt_event out = { 0 };
	unsigned long long dir;
	int kind = kind_of(c->s, e);

	/*
	 * The syncs a call asks for run in the calling task: other devices'
	 * DMA elsewhere in the system (a board's MMC, USB, ...) is not ours
	 */
	if (kind < 0 || tep_data_pid(c->s->tep, r) != c->s->pid)
		return 0;
	if (c->n >= c->max) {
		c->err = -ENOSPC;
		return 0;
	}
	out.kind = (enum dt_kind)kind;
	out.ts = r->ts;
	if (!read_device(e, r, &out) || !read_segments(e, r, out.kind, &out) ||
	    tep_get_field_val(NULL, e, "dir", r, &dir, 0) < 0) {
		c->err = -EPROTO;
		return 0;
	}
	out.dir = (int)dir;
	c->ev[c->n++] = out;
	return 0;
}

static int by_time(const void *a, const void *b)
{
	const struct dt_event *x = a, *y = b;

	return (x->ts > y->ts) - (x->ts < y->ts);
}

int dt_collect(struct dt_session *s, struct dt_event *ev, size_t max)
{
	struct collect c = { .s = s, .ev = ev, .max = max };

	if (tracefs_iterate_raw_events(s->tep, s->inst, NULL, 0, on_record,
				       &c) < 0)
		return -EIO;
	if (c.err)
		return c.err;
	/* one CPU's records are in order; merge the CPUs by timestamp */
	qsort(ev, c.n, sizeof(*ev), by_time);
	return (int)c.n;
}

void dt_drain(struct dt_session *s)
{
	static struct dt_event sink[256];

	while (dt_collect(s, sink, sizeof(sink) / sizeof(sink[0])) == -ENOSPC)
		;
}
