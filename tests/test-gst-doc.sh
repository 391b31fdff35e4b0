#!/bin/sh
# Every ```c block of docs/gstreamer.md compiles (as a translation unit)
# against this tree's gst/cmabuf headers and the installed GStreamer, so
# that the document's program cannot rot. The project-wide snippet test
# may compile it too; this one knows GStreamer's flags.
set -eu
src=${top_srcdir:-.}
doc=$src/docs/gstreamer.md
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cflags=$(${PKG_CONFIG:-pkg-config} --cflags gstreamer-app-1.0 \
	gstreamer-video-1.0 gstreamer-allocators-1.0)
awk -v dir="$tmp" '
	/^```c$/ { n++; f = dir "/block" n ".c"; next }
	/^```$/ { f = ""; next }
	f { print > f }
' "$doc"
n=0
for f in "$tmp"/block*.c; do
	[ -f "$f" ] || { echo "FAIL: no \`\`\`c block in $doc"; exit 1; }
	# shellcheck disable=SC2086
	${CC:-cc} -c -Wall -Wextra -Werror -I"$src" -I"$src/include" $cflags \
		-o "$f.o" "$f" || { echo "FAIL: $doc, ${f##*/}"; exit 1; }
	n=$((n + 1))
done
echo "ok: $n C block(s) of docs/gstreamer.md compile"
