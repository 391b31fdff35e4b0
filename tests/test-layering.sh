#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The library's files depend on each other in one direction: the context
# (libcmabuf.c) and the allocation path (heap_dmabuf.c) must not call into
# the diagnostics (diagnose.c), which enumerate heaps and so call back into
# them. Read from the built objects, so that any new call shows, whatever
# header declares it. And the monotonic clock is read in one place only.
set -eu
objdir=${top_builddir:-.}/lib/.libs
src=${top_srcdir:-.}/lib
nm=${NM:-nm}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

obj() { echo "$objdir/libcmabuf_la-$1.o"; }
[ -f "$(obj diagnose)" ] || { echo "no objects in $objdir"; exit 99; }

$nm --defined-only "$(obj diagnose)" | awk '$2 ~ /[TtDdBbRr]/ { print $3 }' |
	sort -u >"$tmp/diag"
for f in libcmabuf heap_dmabuf telemetry; do
	$nm --undefined-only "$(obj $f)" | awk '{ print $NF }' | sort -u \
		>"$tmp/$f"
	if comm -12 "$tmp/diag" "$tmp/$f" | grep .; then
		echo "FAIL: lib/$f.c calls into lib/diagnose.c (above)"
		fail=1
	fi
done

# stats.c keeps its own copy until its owner (issue 10, stats) moves it
n=$(grep -l 'clock_gettime(CLOCK_MONOTONIC' "$src"/*.c | grep -v '/util\.c$' |
	grep -v '/stats\.c$' || true)
if [ -n "$n" ]; then
	echo "FAIL: CLOCK_MONOTONIC read outside util.c monotonic_ns(): $n"
	fail=1
fi
[ $fail -eq 0 ] && echo "ok: no call from libcmabuf.c/heap_dmabuf.c into diagnose.c; one clock"
exit $fail
