#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# One version everywhere: configure's (config.h), NEWS's entry, every man
# page's title line, the "since" notes of the header and the man pages
# (none newer than this version), libcmabuf.pc, and every symbol node of
# lib/libcmabuf.sym named in NEWS.
set -u
src=${top_srcdir:-.}
build=${top_builddir:-.}
fail=0
no() { echo "FAIL: $*"; fail=1; }
version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$build/config.h")
[ -n "$version" ] || { echo "FAIL: no PACKAGE_VERSION in $build/config.h"; exit 1; }
echo "version $version"

grep -q "^Overview of changes in $version" "$src/NEWS" ||
	no "NEWS has no entry for $version"
for f in "$src"/man/*.[0-9]; do
	th=$(grep -m1 '^\.TH ' "$f") || continue
	case $th in
	*" \"libcmabuf $version\" "*) ;;
	*) no "${f##*/}: title line does not say \"libcmabuf $version\": $th" ;;
	esac
done
# "since 0.2", "Since libcmabuf 0.2": never a version after this one
grep -ohi 'since \(libcmabuf \)\{0,1\}[0-9][0-9.]*[0-9]' "$src/include/cmabuf.h" "$src"/man/*.[0-9] |
	sed 's/.* //' | sort -u | while read -r v; do
	newest=$(printf '%s\n%s\n' "$v" "$version" | sort -V | tail -n 1)
	[ "$newest" = "$version" ] || { echo "FAIL: a \"since $v\" note, after $version"; exit 1; }
done || fail=1
grep -q "^Version: $version\$" "$build/libcmabuf.pc" ||
	no "libcmabuf.pc does not say Version: $version"
for node in $(sed -n 's/^\(LIBCMABUF_[0-9.]*\) {.*/\1/p' "$src/lib/libcmabuf.sym"); do
	grep -q "$node" "$src/NEWS" || no "symbol node $node is not in NEWS"
done
exit $fail
