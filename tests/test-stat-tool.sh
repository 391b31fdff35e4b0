#!/bin/sh
# cmabuf-stat on the fixture trees: golden table/JSON/Prometheus output,
# JSON parsed by python3, Prometheus by tests/check-prometheus.py, notes
# and exit codes. CMABUF_UPDATE_GOLDEN=1 rewrites the golden files.
set -u
src=${top_srcdir:-.}
tool=${top_builddir:-.}/tools/cmabuf-stat
golden=$src/tests/golden
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
no() { echo "FAIL: $*"; fail=1; }
command -v python3 >/dev/null || { echo "SKIP: python3 needed"; exit 77; }

# captured from the test kernels (tests/data) and made by hand (data-hand)
for tree in 6.1 6.12 7.2 arm64-6.12 5.10 6.15 6.12-user meminfo-only garbage; do
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
	python3 -m json.tool "$tmp/$tree.json" >/dev/null ||
		no "$tree: JSON does not parse"
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1]));
assert d["schema_version"] == 1
for k in ("system","dmabuf","areas","heaps","buffers","processes"): d[k]' \
		"$tmp/$tree.json" || no "$tree: JSON schema members missing"
	# a kernel without any of these samples has an empty exposition
	if [ -s "$tmp/$tree.prometheus" ]; then
		python3 "$src/tests/check-prometheus.py" "$tmp/$tree.prometheus" \
			>/dev/null || no "$tree: bad Prometheus text"
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
