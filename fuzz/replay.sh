#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Replay every fuzz corpus (seeds from real kernels plus past crashes)
# through the parsers built with the plain-main driver.
set -eu
src=${top_srcdir:-.}
fail=0
for t in meminfo sysfs fdinfo maps heap-list layout; do
	./fuzz/fuzz-$t "$src/fuzz/corpus/$t" || { echo "FAIL: $t"; fail=1; }
done
exit $fail
