/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmabuf-trace's private declarations: one header for the tool's files
 * (session: tracefs; events: records to facts; task: pid to process;
 * order: timestamp order across CPUs; agg: the counting; view: output).
 */
#ifndef CMABUF_TRACE_H
#define CMABUF_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct tep_handle;
struct tep_event;
struct tep_record;
struct tracefs_instance;

#define TRACE_NAME_MAX 64	/* CMA area and device names are kernel-chosen */
#define TRACE_COMM_MAX 17	/* TASK_COMM_LEN + NUL */

/* ---------------------------------------------------------- events */
enum trace_kind {
	EV_ALLOC_START,
	EV_ALLOC_FINISH,
	EV_BUSY_RETRY,
	EV_RELEASE,
	EV_MIGRATE_START,	/* contig_range only */
	EV_MIGRATE,		/* any reason; contig says which */
	EV_SYNC_CPU,
	EV_SYNC_DEVICE,
	EV_EXIT,		/* names gone tasks, ends their open calls */
};

/* one record, decoded by field name through the kernel's format files */
struct trace_ev {
	enum trace_kind kind;
	uint64_t ts;		/* ns, the instance's trace clock */
	int tid;		/* common_pid: the task */
	int pid;		/* its process (tgid) */
	char comm[TRACE_COMM_MAX];
	char name[TRACE_NAME_MAX];	/* CMA area, or device for syncs */
	uint64_t count;		/* pages; migrated pages; synced bytes */
	bool failed;		/* EV_ALLOC_FINISH */
	bool contig;		/* EV_MIGRATE: reason MR_CONTIG_RANGE */
};

struct trace_decoder;

/* NULL on failure, with the reason in err */
struct trace_decoder *trace_decoder_new(struct tep_handle *tep,
					char *err, size_t errlen);
void trace_decoder_free(struct trace_decoder *d);
/* false for records the tool does not count */
bool trace_decode(struct trace_decoder *d, struct tep_event *event,
		  struct tep_record *rec, struct trace_ev *ev);

/* ---------------------------------------------------------- task */
/* the process (tgid) and its comm for a task id at trace time ts, cached;
 * false (and the task itself, "?") for a task gone and not seen exiting */
bool trace_task_lookup(int tid, uint64_t ts, int *pid,
		       char comm[TRACE_COMM_MAX]);
/* a sched_process_exit record read: the comm of a task that may be gone */
void trace_task_exited(int tid, uint64_t ts, const char *comm);
/* that exit record counted: its life of tid is forgotten */
void trace_task_exit_counted(int tid, uint64_t ts);
/* entries held: the live tasks seen and the exits not counted yet */
size_t trace_task_count(void);
void trace_task_forget_all(void);

/* ---------------------------------------------------------- session */
struct kbuffer;

struct trace_session {
	struct tracefs_instance *inst;
	struct tep_handle *tep;
	bool have_sync;		/* dma:dma_sync_sg_* (6.12 on) */
	int ncpus;
	int *fds;		/* per CPU trace_pipe_raw, -1 if none */
	void *page;		/* one sub-buffer */
	size_t page_size;
	struct kbuffer *kbuf;
};

/* the systems and events the tool enables; sync events only if present */
#define TRACE_SYSTEMS { "cma", "migrate", "dma", "sched", NULL }

/* 0, or -1 after printing what is missing and what to do; buffer_kb 0
 * keeps the kernel's buffer size */
int trace_session_open(struct trace_session *s, unsigned long buffer_kb);
/* poll(2) on the CPUs' pipes: > 0 when one has data */
int trace_session_wait(struct trace_session *s, int timeout_ms);
/*
 * Drain what the kernel has. cb sees every record of each sub-buffer read
 * (one read takes it from the ring) and returns 0, or TRACE_READ_STOP to
 * stop after this sub-buffer (this returns 1, no other CPU is read), or
 * TRACE_READ_NEXT_CPU to go on with the next CPU's; else this returns 0.
 */
#define TRACE_READ_STOP 1
#define TRACE_READ_NEXT_CPU 2
int trace_session_read(struct trace_session *s,
		       int (*cb)(struct tep_event *, struct tep_record *,
				 int, void *),
		       void *data);
/*
 * When a read stops (trace-drain.c): during the run, at the first record
 * after a stop was asked for; in the last read, at its deadline, and each
 * CPU at its first record after the stop. Zeroed: the run.
 */
struct trace_drain {
	double until;		/* the last read's deadline (monotonic s) */
	uint64_t stop_ts;	/* trace time of the stop */
};
void trace_drain_begin_last(struct trace_drain *d, double now,
			    uint64_t stop_ts, double seconds);
/* the last read's deadline has passed */
bool trace_drain_overdue(const struct trace_drain *d, double now);
/* what a read callback returns for a record of trace time ts */
int trace_drain_verdict(const struct trace_drain *d, bool stopping,
			double now, uint64_t ts);
/* events the ring buffer lost (overrun + dropped), -1 if unreadable */
long long trace_session_lost(struct trace_session *s);
/* disables, destroys the instance, frees; safe to call twice */
void trace_session_close(struct trace_session *s);

/* ---------------------------------------------------------- order */
/*
 * Records come per CPU; a task's start and finish may sit on two CPUs
 * and arrive in two drains. Events are held for a short lag and handed
 * on in timestamp order.
 */
struct trace_order {
	struct trace_ev *ev;
	size_t n, cap;
	uint64_t newest;
};

int trace_order_push(struct trace_order *o, const struct trace_ev *ev);
/* calls fn on every event older than newest - lag (all when lag is 0) */
void trace_order_flush(struct trace_order *o, uint64_t lag,
		       void (*fn)(const struct trace_ev *, void *), void *data);
void trace_order_free(struct trace_order *o);

/* ---------------------------------------------------------- agg */
struct trace_stats {
	uint64_t allocs, fails, pages_req, pages_ok, retries;
	uint64_t migrated, migrate_ns, releases, pages_released;
	uint64_t lat_max, lat_sum;
	uint64_t *lat;		/* ns of each finished allocation */
	size_t nlat, cap;
};

struct trace_row {		/* one process in one CMA area */
	int pid;
	char comm[TRACE_COMM_MAX];
	char area[TRACE_NAME_MAX];
	struct trace_stats st;
};

struct trace_sync {		/* cache maintenance of one process */
	int pid;
	char comm[TRACE_COMM_MAX];
	uint64_t cpu, cpu_bytes, dev, dev_bytes;
};

/* one allocation, as -v prints it */
struct trace_alloc {
	uint64_t ts, lat_ns, pages, migrated;
	int pid, tid;
	const char *comm, *area;
	bool failed, unfinished;
};

struct trace_pending;

struct trace_agg {
	struct trace_row *rows;
	size_t nrows, rows_cap;
	struct trace_sync *syncs;
	size_t nsyncs, syncs_cap;
	struct trace_pending *pend;
	size_t npend, pend_cap;
	struct trace_stats total;
	uint64_t migrated_other;	/* pages, any reason but contig_range */
	uint64_t events, missed;	/* missed: as the pages' headers say */
	bool oom;
	void (*on_alloc)(const struct trace_alloc *, void *);
	void *data;
};

void trace_agg_feed(struct trace_agg *a, const struct trace_ev *ev);
void trace_agg_free(struct trace_agg *a);
/* allocations started and neither finished nor ended by the task's exit */
size_t trace_agg_in_flight(const struct trace_agg *a);
/* nearest-rank quantile of the latencies, 0 without samples */
uint64_t trace_stats_quantile(struct trace_stats *st, double q);

/* ---------------------------------------------------------- view */
struct trace_report {
	struct trace_agg *agg;
	double seconds;
	long long lost;		/* -1: unknown */
	bool have_sync;
};

void trace_view_alloc_line(FILE *f, const struct trace_alloc *al);
void trace_view_table(FILE *f, struct trace_report *r);
void trace_view_json(FILE *f, struct trace_report *r);
void trace_view_prometheus(FILE *f, struct trace_report *r);

#endif
