#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every exported function has a man page; every page is clean roff.
set -eu
src=${top_srcdir:-.}
fail=0
for sym in $(sed -n 's/^[[:space:]]*\(cmabuf_[a-z0-9_]*\);.*/\1/p' \
		"$src/lib/libcmabuf.sym"); do
	[ -f "$src/man/$sym.3" ] || { echo "FAIL: no man/$sym.3"; fail=1; }
done
if ! command -v mandoc >/dev/null 2>&1; then
	echo "FAIL: mandoc is missing (apt-get install mandoc)"
	exit 1
fi
n=0
for page in "$src"/man/*.[0-9]; do
	first=$(head -n 1 "$page")
	case $first in
	.so\ *)
		# aliases: the target must exist
		target=${first#.so }
		[ -f "$src/man/${target#*/}" ] ||
			{ echo "FAIL: $page points to missing $target"; fail=1; }
		;;
	*)
		out=$(mandoc -T lint -W warning "$page" 2>&1 || true)
		if [ -n "$out" ]; then
			echo "FAIL: $page"; echo "$out"; fail=1
		fi
		;;
	esac
	n=$((n + 1))
done
[ "$fail" -eq 0 ] && echo "ok: $n man pages"
exit "$fail"
