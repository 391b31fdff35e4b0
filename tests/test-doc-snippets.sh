#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every ```c block of README.md and docs/*.md compiles against this tree's
# header, so that an example cannot rot (docs/testing.md, "C snippets"):
#  - a block with a function definition in kernel style (a line naming
#    the function at column 0, then "{" alone on the next line) is a
#    translation unit, compiled exactly as written;
#  - any other block is a fragment: its #include lines go to file scope,
#    the rest becomes the body of
#      int snippet(struct cmabuf_ctx *ctx, struct cmabuf_heap *heap)
#    after tests/doc-snippet.h (the usual headers, and the placeholders
#    fill_frame() and hand_to_device()); it declares every other name.
# Warnings are errors (unused names aside). A block that includes a
# GStreamer header is compiled only when the tree builds the plugin.
#   DOC_FILES="a.md b.md": other files (the test of this test)
set -u
src=${top_srcdir:-.}
cc=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
files=${DOC_FILES:-$(ls "$src"/README.md "$src"/docs/*.md 2>/dev/null)}
cflags="-std=gnu11 -fsyntax-only -Wall -Wextra -Werror -Wno-unused
-Wno-unused-parameter -Wno-unused-but-set-variable -Wno-shadow
-I$src/include -I$src/tests ${DOC_CFLAGS:-}"
# the libdrm headers (drm_fourcc.h) of the build
command -v pkg-config >/dev/null &&
	cflags="$cflags $(pkg-config --cflags libdrm 2>/dev/null)"

n=0
for f in $files; do
	# one file per block: blocks/N.c, first line "// FILE:LINE"
	awk -v out="$tmp/b" -v name="${f#"$src"/}" -v start="$n" '
		/^```c[ \t]*$/ { n++; file = out "." (start + n); print "// " name ":" NR > file; inb = 1; next }
		/^```/ && inb { inb = 0; close(file); next }
		inb { print > file }
		END { print start + n > (out ".count") }' "$f"
	n=$(cat "$tmp/b.count")
done
[ "$n" -gt 0 ] || { echo "FAIL: no C block found in: $files"; exit 1; }

fail=0 built=0
i=1
while [ "$i" -le "$n" ]; do
	b=$tmp/b.$i
	where=$(head -n 1 "$b" | sed 's|^// ||')
	i=$((i + 1))
	extra=
	if grep -q '#include <gst/' "$b"; then
		extra=$(echo ${GST_CFLAGS:-})
		[ -n "$extra" ] || { echo "not compiled (no GStreamer in this build): $where"; continue; }
		# gst/cmabuf/cmabuf.h: the GStreamer library's headers in this tree
		extra="$extra -I$src"
	fi
	if awk 'prev ~ /^[A-Za-z_].*\)[ \t]*$/ && /^\{[ \t]*$/ { found = 1 } { prev = $0 }
		END { exit !found }' "$b"; then
		kind="translation unit"
		{
			echo "#line $(( ${where##*:} + 1 )) \"${where%:*}\""
			sed '1d' "$b"
		} > "$tmp/unit.c"
	else
		kind=fragment
		{
			echo '#include "doc-snippet.h"'
			grep '^#include' "$b"
			echo 'int snippet(struct cmabuf_ctx *ctx, struct cmabuf_heap *heap);'
			echo 'int snippet(struct cmabuf_ctx *ctx, struct cmabuf_heap *heap)'
			echo '{'
			echo '{'
			echo "#line $(( ${where##*:} + 1 )) \"${where%:*}\""
			sed '1d' "$b" | sed 's/^#include.*//'
			echo '}'
			echo 'return 0;'
			echo '}'
		} > "$tmp/unit.c"
	fi
	# shellcheck disable=SC2086
	if $cc $cflags $extra -x c "$tmp/unit.c" 2>"$tmp/err"; then
		built=$((built + 1))
	else
		echo "FAIL: $where ($kind) does not compile:"
		cat "$tmp/err"
		fail=1
	fi
done
echo "$built C blocks compiled"
exit $fail
