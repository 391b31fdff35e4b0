// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Records to facts, by field name through the kernel's own format files
 * (libtraceevent): the field lists differ between kernels.
 *
 * - cma_alloc_start: "count" (≤6.x), "request_count" (7.x, which adds
 *   available_count and total_count).
 * - cma_alloc_finish: "errorno" (6.12 on; 0 = success); 6.1 has none and
 *   says failure by a NULL "page".
 * - mm_migrate_pages: "succeeded" pages and "reason"; MR_CONTIG_RANGE is
 *   an enum whose value is read from the event's own print format
 *   (__print_symbolic(REC->reason, {6, "contig_range"}, ...)), not assumed.
 * - dma_sync_sg_for_cpu/_device (6.12 on): "device" and the dynamic array
 *   "lengths" (unsigned int per entry), summed to the bytes covered.
 * - sched_process_exit: "pid" and "comm" of a task that exits, so that a
 *   short-lived process still has a name when its events are counted,
 *   and an allocation it started and never finished is known to be over.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event-parse.h>

#include "trace.h"

struct ev_def {
	const char *sys, *name;
	enum trace_kind kind;
	bool optional;
};

static const struct ev_def defs[] = {
	{ "cma", "cma_alloc_start", EV_ALLOC_START, false },
	{ "cma", "cma_alloc_finish", EV_ALLOC_FINISH, false },
	{ "cma", "cma_alloc_busy_retry", EV_BUSY_RETRY, false },
	{ "cma", "cma_release", EV_RELEASE, false },
	{ "migrate", "mm_migrate_pages_start", EV_MIGRATE_START, true },
	{ "migrate", "mm_migrate_pages", EV_MIGRATE, false },
	{ "dma", "dma_sync_sg_for_cpu", EV_SYNC_CPU, true },
	{ "dma", "dma_sync_sg_for_device", EV_SYNC_DEVICE, true },
	{ "sched", "sched_process_exit", EV_EXIT, false },
};
#define NDEFS (sizeof(defs) / sizeof(defs[0]))

struct trace_decoder {
	struct tep_handle *tep;
	int id[NDEFS];		/* -1: event absent */
	long long contig_range;	/* value of MR_CONTIG_RANGE */
};

static bool sym_find(struct tep_print_arg *arg, const char *field,
		     const char *str, long long *val);

/* walk the print format's argument tree for __print_symbolic(field) */
static bool args_find(struct tep_print_arg *arg, const char *field,
		      const char *str, long long *val)
{
	for (; arg; arg = arg->next)
		if (sym_find(arg, field, str, val))
			return true;
	return false;
}

static bool sym_find(struct tep_print_arg *arg, const char *field,
		     const char *str, long long *val)
{
	struct tep_print_flag_sym *s;
	struct tep_print_arg *f;

	if (arg->type == TEP_PRINT_OP)
		return (arg->op.left && sym_find(arg->op.left, field, str, val)) ||
		       (arg->op.right && sym_find(arg->op.right, field, str, val));
	if (arg->type != TEP_PRINT_SYMBOL)
		return false;
	f = arg->symbol.field;
	if (!f || f->type != TEP_PRINT_FIELD || strcmp(f->field.name, field))
		return false;
	for (s = arg->symbol.symbols; s; s = s->next) {
		char *end;

		if (strcmp(s->str, str))
			continue;
		errno = 0;
		*val = strtoll(s->value, &end, 0);
		return errno == 0 && *end == '\0' && end != s->value;
	}
	return false;
}

struct trace_decoder *trace_decoder_new(struct tep_handle *tep,
					char *err, size_t errlen)
{
	struct trace_decoder *d = calloc(1, sizeof(*d));
	struct tep_event *e;
	size_t i;

	if (!d) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	d->tep = tep;
	for (i = 0; i < NDEFS; i++) {
		e = tep_find_event_by_name(tep, defs[i].sys, defs[i].name);
		d->id[i] = e ? e->id : -1;
		if (!e && !defs[i].optional) {
			snprintf(err, errlen, "no trace event %s:%s",
				 defs[i].sys, defs[i].name);
			goto fail;
		}
	}
	e = tep_find_event_by_name(tep, "migrate", "mm_migrate_pages");
	if (!args_find(e->print_fmt.args, "reason", "contig_range",
		       &d->contig_range)) {
		snprintf(err, errlen, "migrate:mm_migrate_pages names no "
			 "\"contig_range\" reason in its format");
		goto fail;
	}
	return d;
fail:
	free(d);
	return NULL;
}

void trace_decoder_free(struct trace_decoder *d)
{
	free(d);
}

static bool num(struct tep_event *e, struct tep_record *rec,
		const char *name, unsigned long long *v)
{
	struct tep_format_field *f = tep_find_field(e, name);

	return f && tep_read_number_field(f, rec->data, v) == 0;
}

static void str(struct tep_event *e, struct tep_record *rec,
		const char *name, char *out, size_t outlen)
{
	int len = 0;
	const char *p = tep_get_field_raw(NULL, e, name, rec, &len, 0);
	size_t n;

	if (!p || len <= 0) {
		snprintf(out, outlen, "?");
		return;
	}
	n = strnlen(p, (size_t)len);
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

/* the sum of a dynamic array of unsigned int */
static uint64_t sum_u32(struct tep_event *e, struct tep_record *rec,
			const char *name)
{
	int len = 0, i;
	const unsigned char *p = tep_get_field_raw(NULL, e, name, rec, &len, 0);
	uint64_t sum = 0;

	if (!p)
		return 0;
	for (i = 0; i + 4 <= len; i += 4)
		sum += tep_read_number(e->tep, p + i, 4);
	return sum;
}

static void decode_cma(struct tep_event *e, struct tep_record *rec,
		       struct trace_ev *ev)
{
	unsigned long long v = 0;

	str(e, rec, "name", ev->name, sizeof(ev->name));
	if (!num(e, rec, "count", &v))
		num(e, rec, "request_count", &v);
	ev->count = v;
	if (ev->kind != EV_ALLOC_FINISH)
		return;
	if (num(e, rec, "errorno", &v))
		ev->failed = (long long)(int)v != 0;
	else
		ev->failed = !num(e, rec, "page", &v) || v == 0;
}

static void decode_migrate(struct trace_decoder *d, struct tep_event *e,
			   struct tep_record *rec, struct trace_ev *ev)
{
	unsigned long long v = 0;

	if (num(e, rec, "reason", &v))
		ev->contig = (long long)(int)v == d->contig_range;
	if (ev->kind == EV_MIGRATE && num(e, rec, "succeeded", &v))
		ev->count = v;
}

bool trace_decode(struct trace_decoder *d, struct tep_event *event,
		  struct tep_record *rec, struct trace_ev *ev)
{
	unsigned long long v;
	size_t i;

	for (i = 0; i < NDEFS; i++)
		if (d->id[i] == event->id)
			break;
	if (i == NDEFS)
		return false;
	memset(ev, 0, sizeof(*ev));
	ev->kind = defs[i].kind;
	ev->ts = rec->ts;
	ev->tid = tep_data_pid(d->tep, rec);
	switch (ev->kind) {
	case EV_EXIT:
		/* the name now: the task is gone when this is counted */
		str(event, rec, "comm", ev->comm, sizeof(ev->comm));
		if (num(event, rec, "pid", &v))
			trace_task_exited((int)v, ev->ts, ev->comm);
		break;
	case EV_MIGRATE_START:
	case EV_MIGRATE:
		decode_migrate(d, event, rec, ev);
		if (ev->kind == EV_MIGRATE_START && !ev->contig)
			return false;
		break;
	case EV_SYNC_CPU:
	case EV_SYNC_DEVICE:
		str(event, rec, "device", ev->name, sizeof(ev->name));
		ev->count = sum_u32(event, rec, "lengths");
		break;
	default:
		decode_cma(event, rec, ev);
		break;
	}
	/* now, while the task most likely lives; again when counted */
	trace_task_lookup(ev->tid, ev->ts, &ev->pid, ev->comm);
	return true;
}
