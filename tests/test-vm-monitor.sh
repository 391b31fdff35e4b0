#!/bin/sh
# cmabuf-stat's monitoring paths on a real kernel (run by
# tests/test-vm-monitor in the guests, as root, POSIX sh: the arm64 guests
# have busybox only), with tests/vm/fixture-holder holding a named 4 MiB
# CMA buffer and a 1 MiB system one, both mapped:
#  - the Prometheus view (with and without --with-mappings) passes
#    tests/check-prometheus (check-views + promtool where it runs);
#  - --output writes the same view atomically, mode 0644, nothing else;
#  - --capture of the live kernel, read back with --root, gives the same
#    numbers as the live run (bar the counters ordinary page allocations
#    move: CmaFree, migrations, compaction), the same buffers and
#    processes, and KERNEL/pagesize of this kernel;
#  - refused as root (EACCES of another user's process without
#    CAP_DAC_READ_SEARCH, a read-only tracefs), both tools name the
#    likely cause instead of advising to run as root.
set -u
top=${top_builddir:-.}
src=${top_srcdir:-.}
tool=$top/tools/cmabuf-stat
chk=$src/tests/check-prometheus
fail=0
no() { echo "FAIL: $*"; fail=1; }
tmp=$(mktemp -d)
holder_pid=
cleanup() {
	[ -z "$holder_pid" ] || kill "$holder_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || { echo "FAIL: must run as root (the guests do)"; exit 1; }
heap=
for n in default_cma_region linux,cma reserved; do
	[ -c "/dev/dma_heap/$n" ] && { heap=/dev/dma_heap/$n; break; }
done
[ -n "$heap" ] || { echo "FAIL: no CMA heap in /dev/dma_heap"; exit 1; }
"$top/tests/vm/fixture-holder" "$heap" /dev/dma_heap/system >"$tmp/holder" &
holder_pid=$!
i=0
while ! grep -q '^ready' "$tmp/holder" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] && kill -0 "$holder_pid" 2>/dev/null ||
		{ echo "FAIL: fixture-holder did not get ready"; exit 1; }
	sleep 0.1
done

# --- the live Prometheus views
"$tool" --prometheus >"$tmp/live.prom" || no "--prometheus: exit $?"
"$chk" "$tmp/live.prom" || no "the live --prometheus view does not pass"
"$tool" --prometheus --with-mappings >"$tmp/maps.prom" ||
	no "--prometheus --with-mappings: exit $?"
"$chk" "$tmp/maps.prom" || no "the live --with-mappings view does not pass"
grep -q '^cmabuf_area_largest_free_bytes{' "$tmp/live.prom" ||
	no "no largest free run as root (debugfs)"

# --- --output
mkdir "$tmp/tf"
"$tool" --prometheus --output "$tmp/tf/cmabuf.prom" || no "--output: exit $?"
[ "$(ls -A "$tmp/tf")" = cmabuf.prom ] || no "--output leaves $(ls -A "$tmp/tf")"
[ "$(stat -c %a "$tmp/tf/cmabuf.prom")" = 644 ] || no "--output: mode not 644"
"$chk" "$tmp/tf/cmabuf.prom" || no "the --output file does not pass"

# --- --capture, then --root on it: the same numbers
"$tool" --capture "$tmp/cap" 2>"$tmp/err" || { cat "$tmp/err"; no "--capture: exit $?"; }
# lines ordinary page allocations move between two reads
moving='^cmabuf_(cma_free_bytes|pgmigrate_|compact_)'
for opt in --prometheus "--prometheus --with-mappings" -b -p; do
	"$tool" --root "$tmp/cap" $opt 2>/dev/null | grep -Ev "$moving" >"$tmp/c"
	"$tool" $opt 2>/dev/null | grep -Ev "$moving" >"$tmp/l"
	cmp -s "$tmp/c" "$tmp/l" || {
		diff "$tmp/l" "$tmp/c"; no "--capture then --root $opt differs from live"; }
done
"$chk" "$tmp/c" 2>/dev/null
grep -q 'fixture-cma' "$tmp/cap/proc/$holder_pid/fdinfo/"* ||
	no "--capture lacks the holder's named buffer"
grep -q "^release=$(uname -r)\$" "$tmp/cap/KERNEL" || no "KERNEL lacks release="
[ "$(cat "$tmp/cap/pagesize")" = "${CMABUF_VM_PAGE_SIZE:-4096}" ] ||
	no "pagesize $(cat "$tmp/cap/pagesize"), not ${CMABUF_VM_PAGE_SIZE:-4096}"
if [ -d /proc/device-tree/reserved-memory ]; then
	ls "$tmp/cap/proc/device-tree/reserved-memory/"*/compatible >/dev/null 2>&1 ||
		no "--capture lacks the device tree's reserved-memory"
fi

# --- EACCES as root: a process of another user, read by root without
# CAP_DAC_READ_SEARCH (as in a container or under an LSM), is counted
# and the note names those causes instead of advising root. util-linux
# setpriv drops the bounding set; busybox's (arm64 guests) cannot, and
# there the captured-tree half below still runs.
if setpriv --help 2>&1 | grep -q -- --bounding-set; then
	setpriv --reuid=65534 --regid=65534 --clear-groups sleep 60 &
	other=$!
	sleep 0.5
	setpriv --inh-caps=-all --bounding-set=-all "$tool" -p >/dev/null 2>"$tmp/err"
	kill "$other"
	grep -q 'although running as root' "$tmp/err" ||
		{ cat "$tmp/err"; no "EACCES as root: no note naming the cause"; }
	grep -q 'run as root' "$tmp/err" && no "EACCES as root: advises run as root"
fi
"$tool" --root "$tmp/cap" -p >/dev/null 2>"$tmp/err"
grep -q 'run as root' "$tmp/err" && no "a captured tree advises run as root"

# cmabuf-trace refused as root (here: tracefs read-only in a mount
# namespace of its own, as in a container) names that, not "run as root"
if [ -x "$top/tools/cmabuf-trace" ]; then
	unshare -m sh -c "mount -o remount,ro /sys/kernel/tracing &&
		exec $top/tools/cmabuf-trace 1" >/dev/null 2>"$tmp/err"
	rc=$?
	[ $rc -eq 1 ] || no "cmabuf-trace on a read-only tracefs exits $rc"
	grep -q 'already root' "$tmp/err" ||
		{ cat "$tmp/err"; no "cmabuf-trace refused as root: no note naming the cause"; }
	grep -q 'run .*as root' "$tmp/err" && no "cmabuf-trace refused as root advises root"
fi

[ $fail -eq 0 ] && echo "ok: Prometheus views, --output and --capture on $(uname -r)"
exit $fail
