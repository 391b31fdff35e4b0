#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The library exports exactly the symbols listed in lib/libcmabuf.sym.
set -eu
lib=${top_builddir:-.}/lib/.libs/libcmabuf.so
sym=${top_srcdir:-.}/lib/libcmabuf.sym
[ -f "$lib" ] || { echo "FAIL: $lib not built"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
${NM:-nm} -D --defined-only "$lib" | awk '$2 ~ /^[TDBR]$/ { print $3 }' |
	sed 's/@.*//' | grep -v '^LIBCMABUF_' | sort -u >"$tmp/exported"
sed -n 's/^[[:space:]]*\(cmabuf_[a-z0-9_]*\);.*/\1/p' "$sym" | sort -u \
	>"$tmp/listed"
# every exported symbol must carry a version node
if ${NM:-nm} -D --defined-only "$lib" | awk '$2 == "T" { print $3 }' |
	grep -v '@@\?LIBCMABUF_' | grep .; then
	echo "FAIL: symbols above have no LIBCMABUF_ version"
	exit 1
fi
if ! diff -u "$tmp/listed" "$tmp/exported"; then
	echo "FAIL: exported symbols (+) differ from $sym (-)"
	exit 1
fi
echo "ok: $(wc -l <"$tmp/exported") symbols match $sym"
