#!/bin/sh
# The installed integration files of data/: the Prometheus rules pass
# promtool check rules and their unit tests (each alert quiet, firing
# after its "for", resolved: data/cmabuf-rules.test.yml); the systemd
# units have the keys docs/monitoring.md promises and pass
# systemd-analyze verify where it runs; the udev rule is what
# docs/boards.md says. CMABUF_NO_PROMTOOL=1 accepts a missing promtool.
set -u
src=${top_srcdir:-.}
build=${top_builddir:-.}
fail=0
no() { echo "FAIL: $*"; fail=1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- Prometheus rules
if promtool --version >/dev/null 2>&1; then
	promtool check rules "$src/data/cmabuf-rules.yml" >"$tmp/out" 2>&1 ||
		{ cat "$tmp/out"; no "promtool check rules"; }
	# promtool resolves rule_files beside the test file
	cp "$src/data/cmabuf-rules.yml" "$src/data/cmabuf-rules.test.yml" "$tmp/"
	promtool test rules "$tmp/cmabuf-rules.test.yml" >"$tmp/out" 2>&1 ||
		{ cat "$tmp/out"; no "promtool test rules"; }
	for a in CmabufCmaFreeLow CmabufAllocationFailures \
		 CmabufMigrationHigh CmabufLargestFreeRunTooSmall \
		 CmabufMetricsStale; do
		grep -q "alertname: $a\$" "$src/data/cmabuf-rules.test.yml" ||
			no "no promtool test of $a"
		grep -q "runbook: \"docs/monitoring.md#$(echo $a | tr A-Z a-z)\"" \
			"$src/data/cmabuf-rules.yml" || no "$a: no runbook line"
		grep -q "^### $a\$" "$src/docs/monitoring.md" ||
			no "$a: no runbook section in docs/monitoring.md"
	done
elif [ -z "${CMABUF_NO_PROMTOOL:-}" ]; then
	no "promtool does not run (apt-get install prometheus, or CMABUF_NO_PROMTOOL=1)"
fi

# --- systemd units: KEY=VALUE of a unit file, one per line
keys() { sed -n 's/^\([A-Za-z]*\)=\(.*\)$/\1=\2/p' "$1"; }
svc=$build/data/cmabuf-stat.service
timer=$src/data/cmabuf-stat.timer
[ -f "$svc" ] || no "$svc not built"
keys "$svc" >"$tmp/svc"
keys "$timer" >"$tmp/timer"
dir=/var/lib/prometheus/node-exporter
for kv in "Type=oneshot" "ProtectSystem=strict" "ReadWritePaths=$dir" \
	  "NoNewPrivileges=yes" "PrivateNetwork=yes" "ProtectHome=yes" \
	  "CapabilityBoundingSet=CAP_DAC_READ_SEARCH CAP_SYS_PTRACE" \
	  "ConditionPathIsDirectory=$dir"; do
	grep -qx "$kv" "$tmp/svc" || no "service lacks $kv"
done
exec=$(sed -n 's/^ExecStart=//p' "$tmp/svc")
case $exec in
*/cmabuf-stat\ --prometheus\ --output\ $dir/*.prom) ;;
*) no "ExecStart is not cmabuf-stat --prometheus --output $dir/*.prom: $exec" ;;
esac
case $exec in /*) ;; *) no "ExecStart is not an absolute path: $exec" ;; esac
for kv in "OnUnitActiveSec=15s" "WantedBy=timers.target"; do
	grep -qx "$kv" "$tmp/timer" || no "timer lacks $kv"
done
if systemd-analyze --version >/dev/null 2>&1; then
	# the ExecStart binary must exist: point it at the built tool
	sed "s|^ExecStart=[^ ]*|ExecStart=$(cd "$build" && pwd)/tools/cmabuf-stat|" \
		"$svc" >"$tmp/cmabuf-stat.service"
	cp "$timer" "$tmp/cmabuf-stat.timer"
	(cd "$tmp" && systemd-analyze verify --man=no cmabuf-stat.service \
		cmabuf-stat.timer) >"$tmp/out" 2>&1
	rc=$?
	# an unknown key is only a warning there: any output fails
	[ $rc -eq 0 ] && [ ! -s "$tmp/out" ] ||
		{ cat "$tmp/out"; no "systemd-analyze verify (exit $rc)"; }
else
	echo "note: no systemd-analyze here; the units' keys were checked"
fi

# --- udev rule: every heap, group read access, no uaccess
rule=$src/data/60-cmabuf-dma-heap.rules
grep -qx 'SUBSYSTEM=="dma_heap", GROUP="video", MODE="0640"' "$rule" ||
	no "udev rule changed: update docs/boards.md and this test"
grep -v '^#' "$rule" | grep -q uaccess && no "udev rule uses uaccess"
grep -q '33738' "$rule" || no "udev rule does not say why not uaccess"

[ $fail -eq 0 ] && echo "ok: rules, units and the udev rule"
exit $fail
