#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The public header compiles on its own as pedantic C99 and as C++.
set -eu
inc=${top_srcdir:-.}/include
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '#include <cmabuf.h>\n#include <cmabuf.h>\nint main(void) { return 0; }\n' \
	>"$tmp/t.c"
cp "$tmp/t.c" "$tmp/t.cpp"
${CC:-cc} -std=c99 -pedantic -Werror -Wall -Wextra -I"$inc" -c "$tmp/t.c" \
	-o "$tmp/c.o"
echo "ok: C99 -pedantic"
${CXX:-c++} -std=c++11 -pedantic -Werror -Wall -Wextra -I"$inc" \
	-c "$tmp/t.cpp" -o "$tmp/cpp.o"
echo "ok: C++11 -pedantic"

# No enum sentinel ("number of keys") in the public header: its value would
# change whenever a key is appended, and callers would compile it in.
if grep -nE '^[[:space:]]*CMABUF_[A-Z0-9_]*_(MAX|LAST|NUM)_?[[:space:]]*[,=}/]' \
	"$inc/cmabuf.h"; then
	echo "FAIL: public enum sentinel (above)"
	exit 1
fi
echo "ok: no enum sentinel"

# The caller-allocated structs keep their size and field offsets on every
# ABI (x86_64, i686, arm64, armhf): explicit padding, reserved space.
cat >"$tmp/abi.c" <<'EOC'
#include <stddef.h>
#include <cmabuf.h>
#define CAT(a, b) a##b
#define XCHECK(n, c) typedef char CAT(check_, n)[(c) ? 1 : -1]
XCHECK(1, sizeof(struct cmabuf_layout) == 160);
XCHECK(2, offsetof(struct cmabuf_layout, size) == 88);
XCHECK(3, offsetof(struct cmabuf_layout, modifier) == 96);
XCHECK(4, offsetof(struct cmabuf_layout, reserved) == 104);
XCHECK(5, sizeof(struct cmabuf_telemetry) == 36 * 8);
XCHECK(6, offsetof(struct cmabuf_telemetry, reserved) == 28 * 8);
XCHECK(7, sizeof(struct cmabuf_pool_stats) == 128);
int main(void) { return 0; }
EOC
${CC:-cc} -std=c99 -pedantic -Werror -Wall -Wextra -Wno-unused-local-typedefs \
	-I"$inc" -c "$tmp/abi.c" -o "$tmp/abi.o"
echo "ok: struct sizes and offsets"
