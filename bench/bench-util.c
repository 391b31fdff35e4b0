// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Clock and comparison for the benchmarks (bench/bench-util.h).
 *
 * The test kernel (tinyconfig, no HPET on x86) keeps CLOCK_MONOTONIC in
 * 4 ms jiffy steps: too coarse for a syscall. x86 reads the time-stamp
 * counter, which QEMU derives from the host's, calibrated against the
 * coarse clock over whole steps; arm64 reads the generic timer's virtual
 * counter, whose rate the CPU states (CNTFRQ_EL0) and which Linux lets
 * user space read; anything else falls back to CLOCK_MONOTONIC.
 */
#include <stdlib.h>
#include <time.h>

#include "bench-util.h"

static __attribute__((unused)) uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double ns_per_tick = 1.0;

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>

static uint64_t ticks(void)
{
	return __rdtsc();
}

static uint64_t step_edge(void)
{
	uint64_t t = mono_ns(), u;

	while ((u = mono_ns()) == t)
		;
	return u;
}

void bench_clock_init(void)
{
	uint64_t t0, t1, c0, c1;

	t0 = step_edge();
	c0 = ticks();
	while (mono_ns() < t0 + 200 * 1000 * 1000)
		;
	t1 = step_edge();
	c1 = ticks();
	ns_per_tick = (double)(t1 - t0) / (double)(c1 - c0);
}

const char *bench_clock_name(void)
{
	return "tsc";
}
#elif defined(__aarch64__)
static uint64_t ticks(void)
{
	uint64_t v;

	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v) :: "memory");
	return v;
}

void bench_clock_init(void)
{
	uint64_t freq;

	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(freq));
	ns_per_tick = freq ? 1e9 / (double)freq : 1.0;
}

const char *bench_clock_name(void)
{
	return "cntvct";
}
#else
static uint64_t ticks(void)
{
	return mono_ns();
}

void bench_clock_init(void)
{
}

const char *bench_clock_name(void)
{
	return "monotonic";
}
#endif

uint64_t bench_now_ns(void)
{
	return (uint64_t)((double)ticks() * ns_per_tick);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* the median of n samples; sorts v */
static double median(double *v, size_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define MIN_ROUNDS 11
#define MAX_ROUNDS 301

struct bench_cmp bench_compare(bench_batch_fn fn, void *arg,
			       uint64_t budget_ns)
{
	static double base[MAX_ROUNDS + 1], cand[MAX_ROUNDS], ratio[MAX_ROUNDS];
	struct bench_cmp c;
	uint64_t start;
	unsigned int r;

	fn(arg, false);	/* warm-up: pages, caches and mappings settled */
	fn(arg, true);
	start = bench_now_ns();
	base[0] = fn(arg, false);
	for (r = 0; r < MAX_ROUNDS; r++) {
		if (r >= MIN_ROUNDS && bench_now_ns() - start > budget_ns)
			break;
		cand[r] = fn(arg, true);
		base[r + 1] = fn(arg, false);
		ratio[r] = cand[r] / ((base[r] + base[r + 1]) / 2);
	}
	c.rounds = r;
	c.ratio = median(ratio, r);
	c.base = median(base, r + 1);
	c.cand = median(cand, r);
	return c;
}
