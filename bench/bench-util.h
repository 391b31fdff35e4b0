/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the benchmarks share: a fine clock inside the test VM, and the
 * alternating-batch comparison whose medians survive a noisy host.
 */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* calibrate once before now_ns() (a no-op where the counter has a rate) */
void bench_clock_init(void);
uint64_t bench_now_ns(void);
/* which counter bench_now_ns() reads: "tsc", "cntvct", "monotonic" */
const char *bench_clock_name(void);

struct bench_cmp {
	double base, cand, ratio;	/* medians; base, cand: ns per op */
	unsigned int rounds;
};

/* one batch: ns per operation of the baseline (false) or the candidate */
typedef double (*bench_batch_fn)(void *arg, bool candidate);

/*
 * Batches alternate baseline, candidate, baseline, ... for about
 * budget_ns (at least 11 rounds); each candidate batch is divided by the
 * mean of the two baseline batches around it, so a slow spell of the
 * host hits both sides of one ratio. The result is the median ratio.
 */
struct bench_cmp bench_compare(bench_batch_fn fn, void *arg,
			       uint64_t budget_ns);

#endif
