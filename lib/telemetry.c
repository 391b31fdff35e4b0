// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * How long do allocations take: per-context counters and a latency
 * histogram of cmabuf_alloc(), updated with atomics so that allocating
 * threads never share a lock. Its own file so that the allocation path
 * (heap_dmabuf.c) and the context (libcmabuf.c) depend on it without
 * depending on the diagnostics, which enumerate heaps.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "libcmabuf-private.h"

struct alloc_telemetry {
	bool enabled;
	struct cmabuf_telemetry t;	/* updated with atomics */
};

CMABUF_EXPORT int cmabuf_ctx_set_telemetry(struct cmabuf_ctx *ctx,
					   int enable)
{
	struct alloc_telemetry *t, *expected = NULL;

	if (!ctx)
		return -EINVAL;
	t = __atomic_load_n(&ctx->telemetry, __ATOMIC_ACQUIRE);
	if (!t && enable) {
		t = calloc(1, sizeof(*t));
		if (!t)
			return -ENOMEM;
		/* another thread may have won: keep its counters */
		if (!__atomic_compare_exchange_n(&ctx->telemetry, &expected,
						 t, false, __ATOMIC_ACQ_REL,
						 __ATOMIC_ACQUIRE)) {
			free(t);
			t = expected;
		}
	}
	if (t)
		__atomic_store_n(&t->enabled, enable != 0, __ATOMIC_RELEASE);
	return 0;
}

CMABUF_EXPORT int cmabuf_ctx_get_telemetry(struct cmabuf_ctx *ctx,
					   struct cmabuf_telemetry *out)
{
	struct alloc_telemetry *t;
	size_t i;

	if (!ctx || !out)
		return -EINVAL;
	t = __atomic_load_n(&ctx->telemetry, __ATOMIC_ACQUIRE);
	if (!t || !__atomic_load_n(&t->enabled, __ATOMIC_ACQUIRE))
		return -ENODATA;
	memset(out, 0, sizeof(*out));	/* the reserved fields too */
	out->allocations = __atomic_load_n(&t->t.allocations,
					   __ATOMIC_RELAXED);
	out->failures = __atomic_load_n(&t->t.failures, __ATOMIC_RELAXED);
	out->total_ns = __atomic_load_n(&t->t.total_ns, __ATOMIC_RELAXED);
	out->max_ns = __atomic_load_n(&t->t.max_ns, __ATOMIC_RELAXED);
	for (i = 0; i < CMABUF_TELEMETRY_BUCKETS; i++)
		out->histogram[i] = __atomic_load_n(&t->t.histogram[i],
						    __ATOMIC_RELAXED);
	return 0;
}

static unsigned int bucket_of(uint64_t ns)
{
	uint64_t us = ns / 1000;
	unsigned int b = 0;

	while (us > 1 && b < CMABUF_TELEMETRY_BUCKETS - 1) {
		us >>= 1;
		b++;
	}
	return b;
}

uint64_t telemetry_begin(const struct cmabuf_ctx *ctx)
{
	struct alloc_telemetry *t;

	t = __atomic_load_n(&ctx->telemetry, __ATOMIC_ACQUIRE);
	if (!t || !__atomic_load_n(&t->enabled, __ATOMIC_RELAXED))
		return 0;
	return monotonic_ns();
}

void telemetry_end(struct cmabuf_ctx *ctx, uint64_t start, int ret)
{
	struct alloc_telemetry *t;
	uint64_t ns, max;

	if (!start)
		return;
	t = __atomic_load_n(&ctx->telemetry, __ATOMIC_ACQUIRE);
	ns = monotonic_ns() - start;
	if (ret < 0) {
		__atomic_add_fetch(&t->t.failures, 1, __ATOMIC_RELAXED);
		return;
	}
	__atomic_add_fetch(&t->t.allocations, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&t->t.total_ns, ns, __ATOMIC_RELAXED);
	__atomic_add_fetch(&t->t.histogram[bucket_of(ns)], 1,
			   __ATOMIC_RELAXED);
	max = __atomic_load_n(&t->t.max_ns, __ATOMIC_RELAXED);
	while (ns > max &&
	       !__atomic_compare_exchange_n(&t->t.max_ns, &max, ns, true,
					    __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED))
		;
}

void telemetry_free(struct alloc_telemetry *t)
{
	free(t);
}

CMABUF_EXPORT uint64_t
cmabuf_telemetry_quantile_ns(const struct cmabuf_telemetry *t, double q)
{
	uint64_t want, seen = 0;
	unsigned int i;

	if (!t || t->allocations == 0 || !(q >= 0.0 && q <= 1.0))
		return 0;
	want = (uint64_t)(q * (double)t->allocations + 0.5);
	if (want == 0)
		want = 1;
	for (i = 0; i < CMABUF_TELEMETRY_BUCKETS; i++) {
		seen += t->histogram[i];
		if (seen >= want)
			break;
	}
	if (i >= CMABUF_TELEMETRY_BUCKETS - 1)
		return t->max_ns;
	/* the bucket's upper edge, never above what was seen */
	return (2000ull << i) < t->max_ns ? (2000ull << i) : t->max_ns;
}
