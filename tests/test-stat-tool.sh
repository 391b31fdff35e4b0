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
	# a kernel without any of these samples has an empty exposition
	if [ -s "$tmp/$tree.prometheus" ]; then
		"$check" --prometheus "$tmp/$tree.prometheus" >/dev/null ||
			no "$tree: bad Prometheus text"
	fi
done

# notes on stderr, once, and exit 0
"$tool" --root "$src/tests/data-hand/6.12-user" >/dev/null 2>"$tmp/err"
[ $? -eq 0 ] || no "6.12-user: exit status"
[ "$(grep -c 'debugfs cma not readable' "$tmp/err")" = 1 ] ||
	no "6.12-user: no single debugfs note"
mkdir -p "$tmp/nocma/proc"
printf 'MemTotal: 1000 kB\n' >"$tmp/nocma/proc/meminfo"
"$tool" --root "$tmp/nocma" >/dev/null 2>"$tmp/err" || no "no CMA: exit $?"
grep -q 'no CMA on this kernel' "$tmp/err" || no "no CMA: no note"

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

# usage errors exit 2, missing root 1, help and version 0
for args in "-x" "--watch" "--watch 0" "--watch 1 x" "--bogus" "extra" \
	    "--watch 1 --json"; do
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
