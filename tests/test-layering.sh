#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The library's files depend on each other in one direction, read from the
# built objects so that any new call shows, whatever header declares it:
# - no cycle at all between lib/ objects: an edge A -> B when A's object
#   uses a global symbol B's object defines; a cycle means two concerns
#   that cannot be read, tested or replaced one without the other;
# - the context (context.c), the buffers (libcmabuf.c), the allocation path
#   (alloc.c, heap_dmabuf.c) and telemetry.c must not call into the
#   diagnostics (diagnose.c), which enumerate heaps and so call back into
#   them (a special case of the first rule, kept for its message);
# And the monotonic clock is read in one place only.
set -eu
objdir=${top_builddir:-.}/lib/.libs
src=${top_srcdir:-.}/lib
nm=${NM:-nm}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

obj() { echo "$objdir/libcmabuf_la-$1.o"; }
[ -f "$(obj diagnose)" ] || { echo "no objects in $objdir"; exit 99; }

# "symbol file" lines: what each object defines (global) and uses
for o in "$objdir"/libcmabuf_la-*.o; do
	f=${o##*/libcmabuf_la-}
	f=${f%.o}
	$nm --defined-only "$o" |
		awk -v f="$f" '$2 ~ /^[TDBRGSVWC]$/ { print $3, f }'
	$nm --undefined-only "$o" | awk -v f="$f" '{ print $NF, f }' \
		>>"$tmp/uses"
done | sort -u >"$tmp/defs"
sort -u "$tmp/uses" -o "$tmp/uses"
# "user definer symbol", self-references dropped
join "$tmp/uses" "$tmp/defs" | awk '$2 != $3 { print $2, $3, $1 }' |
	sort -u >"$tmp/edges"
[ -s "$tmp/edges" ] || { echo "no edges between lib/ objects?"; exit 99; }

# tsort names every loop it has to break; for each, print the calls
awk '{ print $1, $2 }' "$tmp/edges" | sort -u | tsort >/dev/null \
	2>"$tmp/loops" || true
if grep -q 'loop' "$tmp/loops"; then
	echo "FAIL: call cycle between lib/ objects (each loop, its calls):"
	# loop k's members, then the edges between two members of one loop
	awk '/input contains a loop/ { k++; next }
	     { sub(/^tsort: /, ""); print k, $0 }' "$tmp/loops" >"$tmp/inloop"
	awk 'NR == FNR { m[$2] = m[$2] " " $1 " "; next }
	     { for (k in lk) delete lk[k]
	       n = split(m[$1], a, " ")
	       for (i = 1; i <= n; i++) lk[a[i]] = 1
	       n = split(m[$2], a, " ")
	       for (i = 1; i <= n; i++)
		       if (a[i] in lk) {
			       print "  lib/" $1 ".c -> lib/" $2 ".c (" $3 ")"
			       break
		       } }' "$tmp/inloop" "$tmp/edges"
	sed 's/^/  /' "$tmp/loops"
	fail=1
fi

for f in context libcmabuf alloc heap_dmabuf telemetry; do
	awk -v f="$f" '$1 == f && $2 == "diagnose"' "$tmp/edges" >"$tmp/d"
	if [ -s "$tmp/d" ]; then
		cat "$tmp/d"
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
[ $fail -eq 0 ] && echo "ok: $(wc -l <"$tmp/edges") calls between lib/ objects, no cycle; nothing calls diagnose.c from below; one clock"
exit $fail
