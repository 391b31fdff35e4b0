#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# cmabuf-stat on the fixture trees: golden table/JSON/Prometheus output,
# JSON and Prometheus validated by tests/check-views, notes and exit
# codes. CMABUF_UPDATE_GOLDEN=1 rewrites the golden files.
set -u
src=${top_srcdir:-.}
tool=${top_builddir:-.}/tools/cmabuf-stat
check=${top_builddir:-.}/tests/check-views
golden=$src/tests/golden
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
no() { echo "FAIL: $*"; fail=1; }

# captured from the test kernels (tests/data) and made by hand (data-hand)
for tree in 6.1 6.12 7.2 arm64-6.12 arm64-7.2 5.10 6.15 6.12-user 6.12-16k \
	    hostile meminfo-only garbage; do
	root=$src/tests/data/$tree
	[ -d "$root" ] || root=$src/tests/data-hand/$tree
	for fmt in table json prometheus; do
		case $fmt in
		table) opt= ;; json) opt=--json ;; prometheus) opt=--prometheus ;;
		esac
		out=$tmp/$tree.$fmt
		"$tool" --root "$root" $opt >"$out" 2>"$tmp/err" ||
			no "$tree $fmt: exit $?"
		if [ -n "${CMABUF_UPDATE_GOLDEN:-}" ]; then
			cp "$out" "$golden/$tree.$fmt"
		elif ! diff -u "$golden/$tree.$fmt" "$out"; then
			no "$tree $fmt differs from $golden/$tree.$fmt"
		fi
	done
	"$check" --json "$tmp/$tree.json" >/dev/null ||
		no "$tree: bad JSON or schema"
	# a kernel without any of these samples has an empty exposition;
	# check-prometheus: check-views and promtool check metrics
	if [ -s "$tmp/$tree.prometheus" ]; then
		"$src/tests/check-prometheus" "$tmp/$tree.prometheus" ||
			no "$tree: bad Prometheus text"
		"$tool" --root "$root" --prometheus --with-mappings \
			>"$tmp/$tree.maps.prom" 2>/dev/null
		"$src/tests/check-prometheus" "$tmp/$tree.maps.prom" ||
			no "$tree: bad Prometheus text (--with-mappings)"
	fi
done

# notes on stderr, once, and exit 0
"$tool" --root "$src/tests/data-hand/6.12-user" >/dev/null 2>"$tmp/err"
[ $? -eq 0 ] || no "6.12-user: exit status"
[ "$(grep -c 'debugfs cma not readable' "$tmp/err")" = 1 ] ||
	no "6.12-user: no single debugfs note"
mkdir -p "$tmp/nocma/proc"
printf 'MemTotal: 1000 kB\n' >"$tmp/nocma/proc/meminfo"
"$tool" --root "$tmp/nocma" >/dev/null 2>"$tmp/nocma.err" || no "no CMA: exit $?"
grep -q 'no CMA on this kernel' "$tmp/nocma.err" || no "no CMA: no note"

# names, exporters and comm set by a hostile process: no raw control
# byte in any view (the golden files above hold their escaped form)
for opt in "" -b -p --json --prometheus; do
	"$tool" --root "$src/tests/data-hand/hostile" $opt >"$tmp/hostile" ||
		no "hostile $opt: exit $?"
	tr -d '\n' <"$tmp/hostile" | LC_ALL=C grep -q '[[:cntrl:]]' &&
		no "hostile $opt: a raw control byte reaches the output"
done
"$tool" --root "$src/tests/data-hand/hostile" -b >"$tmp/hostile"
grep -q '^101  *4.0 KiB system ' "$tmp/hostile" ||
	no "hostile -b: the injected size or exporter won"

# --prometheus leaves the maps files unread unless --with-mappings: the
# garbage tree's second buffer is only mapped
"$tool" --root "$src/tests/data-hand/garbage" --prometheus --with-mappings \
	>"$tmp/maps.prom" || no "--with-mappings: exit $?"
grep -q '^cmabuf_dmabuf_buffers 2$' "$tmp/maps.prom" ||
	no "--with-mappings does not count the mapped buffer"
grep -q '^cmabuf_dmabuf_buffers 1$' "$tmp/garbage.prometheus" ||
	no "--prometheus reads mappings by default"

# --watch: the table's column names; a write error (full disk, closed
# pipe) ends it with status 1 instead of running on
w62="$src/tests/data/6.12"
"$tool" --root "$w62" --watch 1 1 >"$tmp/watch" || no "--watch: exit $?"
for col in PAGES_OK PAGES_FAIL; do
	grep -q " $col/s" "$tmp/watch" || no "--watch header lacks $col/s"
	grep -q " $col" "$golden/6.12.table" || no "table lacks $col"
done
if [ -w /dev/full ]; then
	"$tool" --root "$w62" --watch 1 3 >/dev/full 2>"$tmp/err"
	rc=$?
	[ $rc -eq 1 ] || no "--watch to a full disk exits $rc, not 1"
	grep -q 'write error' "$tmp/err" || no "--watch: no write error note"
fi
start=$(date +%s)
( "$tool" --root "$w62" --watch 1 5 2>/dev/null; echo $? >"$tmp/rc" ) |
	head -n 1 >/dev/null
rc=$(cat "$tmp/rc")
[ "$rc" = 1 ] || no "--watch into a closed pipe exits '$rc', not 1"
[ $(( $(date +%s) - start )) -lt 5 ] || no "--watch ran on after EPIPE"

# --output FILE: the same bytes as stdout, mode 0644, no temporary file
# left; a write error (a file size limit of 0: EFBIG, as on a full disk)
# or a missing folder leaves the old file as it was and exits 1
mkdir "$tmp/tf"
"$tool" --root "$w62" --prometheus --output "$tmp/tf/cmabuf.prom" ||
	no "--output: exit $?"
cmp -s "$tmp/tf/cmabuf.prom" "$tmp/6.12.prometheus" ||
	no "--output writes other bytes than stdout"
[ "$(stat -c %a "$tmp/tf/cmabuf.prom")" = 644 ] ||
	no "--output: mode $(stat -c %a "$tmp/tf/cmabuf.prom"), not 644"
[ "$(ls -A "$tmp/tf")" = cmabuf.prom ] || no "--output leaves $(ls -A "$tmp/tf")"
echo "old content" >"$tmp/tf/cmabuf.prom"
# (stderr into a pipe: the size limit holds for every file it writes)
msg=$( ( trap '' XFSZ; ulimit -f 0; exec "$tool" --root "$w62" --prometheus \
	--output "$tmp/tf/cmabuf.prom" ) 2>&1 )
rc=$?
[ $rc -eq 1 ] || no "--output on a write error exits $rc, not 1"
case $msg in *"write error"*) ;; *) no "--output: no write error note";; esac
[ "$(cat "$tmp/tf/cmabuf.prom")" = "old content" ] ||
	no "--output: a write error replaced the old file"
[ "$(ls -A "$tmp/tf")" = cmabuf.prom ] ||
	no "--output: a write error leaves $(ls -A "$tmp/tf")"
"$tool" --root "$w62" --prometheus --output "$tmp/nodir/x.prom" 2>/dev/null
[ $? -eq 1 ] || no "--output into a missing folder does not exit 1"

# --capture DIR: --root reads back the same views from the copy; only
# files the source has (names from fdinfo never make a path); a folder
# that exists already is refused
for tree in 6.12 7.2 arm64-7.2 hostile garbage 6.12-user; do
	root=$src/tests/data/$tree
	[ -d "$root" ] || root=$src/tests/data-hand/$tree
	cap=$tmp/cap-$tree
	"$tool" --root "$root" --capture "$cap" 2>"$tmp/err" ||
		no "--capture $tree: exit $?"
	grep -q "captured .* files into $cap" "$tmp/err" ||
		no "--capture $tree: no summary"
	for opt in "" -b -p --json --prometheus "--prometheus --with-mappings"; do
		"$tool" --root "$root" $opt >"$tmp/a" 2>/dev/null
		"$tool" --root "$cap" $opt >"$tmp/b" 2>/dev/null
		cmp -s "$tmp/a" "$tmp/b" || no "--capture $tree: '$opt' differs"
	done
	(cd "$root" && find . -type f | sort) >"$tmp/src.list"
	(cd "$cap" && find . -type f | sort) >"$tmp/cap.list"
	extra=$(comm -13 "$tmp/src.list" "$tmp/cap.list")
	[ -z "$extra" ] || no "--capture $tree: files the source lacks: $extra"
done
# of a process, only its dma-bufs: not stdin's fdinfo, no other mapping
[ -e "$tmp/cap-6.12/proc/63/fdinfo/4" ] && [ ! -e "$tmp/cap-6.12/proc/63/fdinfo/0" ] ||
	no "--capture copies fdinfo files of other descriptors than dma-bufs"
grep -v ' /dmabuf:' "$tmp/cap-6.12/proc/63/maps" && no "--capture copies other mappings"
[ "$(ls "$tmp" | grep -vc '^[a-zA-Z0-9.,_-]*$')" = 0 ] ||
	no "--capture hostile: a file outside the capture folder"
"$tool" --root "$w62" --capture "$tmp/cap-6.12" 2>/dev/null
[ $? -eq 1 ] || no "--capture into an existing folder does not exit 1"
# a link between heap nodes (vidbuf_cached) stays a link, any other
# becomes a stand-in file: the copy never points out of itself
cp -R "$src/tests/data/arm64-6.12" "$tmp/lt"
ln -s linux,cma "$tmp/lt/dev/dma_heap/vidbuf_cached"
ln -s ../../proc/meminfo "$tmp/lt/dev/dma_heap/outside"
"$tool" --root "$tmp/lt" --capture "$tmp/ltc" 2>/dev/null || no "--capture of links: exit $?"
[ "$(readlink "$tmp/ltc/dev/dma_heap/vidbuf_cached")" = linux,cma ] ||
	no "--capture: the heap alias is no longer a link"
[ -f "$tmp/ltc/dev/dma_heap/outside" ] && [ ! -L "$tmp/ltc/dev/dma_heap/outside" ] ||
	no "--capture copies a link out of the heap folder"

# advice that fits: a captured tree never says "run as root"
for tree in 6.12-user hostile garbage; do
	root=$src/tests/data/$tree
	[ -d "$root" ] || root=$src/tests/data-hand/$tree
	"$tool" --root "$root" >/dev/null 2>"$tmp/err"
	grep -q 'run as root' "$tmp/err" && no "$tree: advises run as root"
done
grep -q 'dtoverlay=cma' "$tmp/nocma.err" || no "no CMA: no device-tree advice"

# usage errors exit 2, missing root 1, help and version 0
for args in "-x" "--watch" "--watch 0" "--watch 1 x" "--bogus" "extra" \
	    "--watch 1 --json" "--watch 1 --output x" "--capture x --json" \
	    "--output"; do
	"$tool" $args >/dev/null 2>&1
	rc=$?
	[ $rc -eq 2 ] || no "'$args' exits $rc, not 2"
done
"$tool" --root "$tmp/does-not-exist" >/dev/null 2>&1
[ $? -eq 1 ] || no "missing root does not exit 1"
"$tool" --help | grep -q -- --prometheus || no "--help"
"$tool" --version | grep -q '^cmabuf-stat ' || no "--version"

[ $fail -eq 0 ] && echo "ok: cmabuf-stat golden outputs and exit codes"
exit $fail
