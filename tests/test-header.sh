#!/bin/sh
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
