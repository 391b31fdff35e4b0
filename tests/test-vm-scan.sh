#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/vm/run's kernel-log scan: an allowed test-driver quirk
# (tests/vm/kernel-log-allow) passes, a real DMA API error after it fails.
set -u
run="${top_srcdir:-.}/tests/vm/run"
d=$(mktemp -d) || exit 99
trap 'rm -rf "$d"' EXIT
quirk='[    2.000083] DMA-API: vivid vivid.0: mapping sg segment longer than device claims to support [len=307200] [max=65536]
[    2.000083] WARNING: CPU: 0 PID: 55 at kernel/dma/debug.c:1177 debug_dma_map_sg+0x1f3/0x2eb'
real='[    3.100000] DMA-API: vivid vivid.0: device driver syncs DMA memory with different direction [device address=0x0000000001000000] [size=4096 bytes] [mapped with DMA_FROM_DEVICE] [synced with DMA_TO_DEVICE]
[    3.100000] WARNING: CPU: 1 PID: 60 at kernel/dma/debug.c:1100 check_sync+0x1a/0x2b'
printf '%s\n' "$quirk" > "$d/quirk.log"
printf '%s\n%s\n' "$quirk" "$real" > "$d/real.log"
printf '%s\n' "$real" | sed 's/vivid vivid.0/platform vgem/' > "$d/vgem.log"
fail=0
"$run" --scan-log "$d/quirk.log" >/dev/null 2>&1 ||
	{ echo "FAIL: the allowed vivid segment quirk was counted"; fail=1; }
"$run" --scan-log "$d/real.log" >/dev/null 2>&1 &&
	{ echo "FAIL: a direction error after the quirk was not counted"; fail=1; }
"$run" --scan-log "$d/vgem.log" >/dev/null 2>&1 &&
	{ echo "FAIL: a vgem direction error was not counted"; fail=1; }
[ "$fail" = 0 ] && echo "PASS: kernel-log scan"
exit "$fail"
