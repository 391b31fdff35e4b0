#!/bin/sh
# libgstcmabuf-1.0 exports its API (gst_cmabuf_*, gst_is_cmabuf_memory)
# and nothing else: the rest stays behind -fvisibility=hidden, and every
# call the headers declare is exported (a missing GST_CMABUF_API shows).
set -eu
lib=${top_builddir:-.}/gst/cmabuf/.libs/libgstcmabuf-1.0.so
hdrs=${top_srcdir:-.}/gst/cmabuf
[ -f "$lib" ] || { echo "FAIL: $lib not built"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
${NM:-nm} -D --defined-only "$lib" | awk '$2 ~ /^[TDBR]$/ { print $3 }' |
	sort -u >"$tmp/exported"
if grep -v -e '^gst_cmabuf_' -e '^gst_is_cmabuf_memory$' "$tmp/exported"; then
	echo "FAIL: exported above without the gst_cmabuf_ prefix"
	exit 1
fi
# the headers' calls, read whether or not they carry GST_CMABUF_API: every
# gst_*cmabuf*( outside a #define, and the get_type of each
# G_DECLARE_FINAL_TYPE
grep -hv '^#define' "$hdrs"/*.h | grep -o 'gst_[a-z0-9_]*cmabuf[a-z0-9_]* *(' |
	sed 's/ *($//' | sort -u >"$tmp/declared"
sed -n 's/^G_DECLARE_FINAL_TYPE([A-Za-z]*, *\([a-z_]*\),.*/\1_get_type/p' \
	"$hdrs"/*.h | sort -u >>"$tmp/declared"
sort -u -o "$tmp/declared" "$tmp/declared"
if ! diff -u "$tmp/declared" "$tmp/exported"; then
	echo "FAIL: exported symbols (+) differ from the headers' calls (-)"
	exit 1
fi
# and each call (the GObject get_type functions aside) has its gtk-doc
# comment in the library's sources
for f in $(grep -v '_get_type$' "$tmp/exported"); do
	grep -q "^ \* $f:\$" "$hdrs"/*.c ||
		{ echo "FAIL: $f has no gtk-doc comment in gst/cmabuf/*.c"; exit 1; }
done
echo "ok: $(wc -l <"$tmp/exported") symbols, all declared GST_CMABUF_API and documented"
