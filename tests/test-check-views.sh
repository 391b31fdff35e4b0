#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/check-views must refuse what a broken view could print: each bad
# input below names the rule it breaks. POSIX sh and printf only, so that
# it runs in the busybox guests too.
set -u
cv=${top_builddir:-.}/tests/check-views
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
ok='{"schema_version": 1, "system": {}, "dmabuf": {}, "areas": [], "heaps": [], "buffers": [], "processes": []}'

refuse() { # MODE WHY PRINTF-FORMAT
	printf "$3" >"$tmp/in"
	if "$cv" "$1" "$tmp/in" >/dev/null 2>"$tmp/why"; then
		echo "FAIL: check-views $1 accepts $2"
		fail=1
	fi
	[ -z "${V:-}" ] || echo "$2 -> $(cat "$tmp/why")"
}
accept() {
	printf "$3" >"$tmp/in"
	"$cv" "$1" "$tmp/in" >/dev/null || { echo "FAIL: $1 refuses $2"; fail=1; }
}

accept --json "a minimal document" "$ok\n"
accept --json "UTF-8 in a string" '{"schema_version": 1, "system": {}, "dmabuf": {}, "areas": [], "heaps": [], "buffers": [{"name": "caf\303\251"}], "processes": []}\n'
refuse --json "trailing bytes" "$ok x\n"
refuse --json "a second document" "$ok$ok\n"
refuse --json "invalid UTF-8" '{"schema_version": 1, "x": "\303("}\n'
refuse --json "a raw ESC in a string" '{"schema_version": 1, "x": "\033[2J"}\n'
refuse --json "a raw newline in a string" '{"schema_version": 1, "system": {}, "dmabuf": {}, "areas": [], "heaps": [], "buffers": [{"name": "a\nb"}], "processes": []}\n'
refuse --json "a missing schema member" '{"schema_version": 1}\n'
refuse --json "another schema version" '{"schema_version": 2, "system": {}, "dmabuf": {}, "areas": [], "heaps": [], "buffers": [], "processes": []}\n'
refuse --json "a truncated document" '{"schema_version": 1, "system": {'

t='# HELP m_total h\n# TYPE m_total counter\n'
accept --prometheus "a counter" "${t}m_total{a=\"x\\\\\\\\y\\\\\"z\\\\n\"} 1\n"
accept --prometheus "UTF-8 in a label" "${t}m_total{a=\"caf\303\251\"} 1 1700000000\n"
refuse --prometheus "no samples" "$t"
refuse --prometheus "a sample without TYPE" 'x 1\n'
refuse --prometheus "a counter without _total" '# TYPE m counter\nm 1\n'
refuse --prometheus "a bad label escape" "${t}m_total{a=\"\\\\x1b\"} 1\n"
refuse --prometheus "a raw ESC in a label" "${t}m_total{a=\"\033\"} 1\n"
refuse --prometheus "invalid UTF-8 in a label" "${t}m_total{a=\"\377\"} 1\n"
refuse --prometheus "an unterminated label" "${t}m_total{a=\"x} 1\n"
refuse --prometheus "a value that is no number" "${t}m_total 1x\n"
refuse --prometheus "a bad metric name" '# TYPE 1m gauge\n1m 1\n'
refuse --prometheus "a family split apart" '# TYPE a gauge\n# TYPE b gauge\na 1\nb 1\na 2\n'
refuse --prometheus "TYPE after samples" '# TYPE a gauge\na 1\n# TYPE a gauge\n'
refuse --prometheus "a second HELP" '# HELP a x\n# HELP a y\n# TYPE a gauge\na 1\n'
refuse --prometheus "an unknown type" '# TYPE a meter\na 1\n'
refuse --prometheus "no final newline" '# TYPE a gauge\na 1'

[ $fail -eq 0 ] && echo "ok: check-views refuses every broken view"
exit $fail
