#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Install into a scratch prefix, build the demo against the installed
# library through pkg-config only, and run it on a real kernel (the VM,
# or this machine's kernel with --host).
#   tests/check-install.sh [--host] [--kernel K]
set -eu
srcdir=$(cd "$(dirname "$0")/.." && pwd)
mode=vm kernel=6.1
while [ $# -gt 0 ]; do
	case $1 in
	--host) mode=host; shift ;;
	--kernel) kernel=$2; shift 2 ;;
	*) echo "usage: $0 [--host] [--kernel K]" >&2; exit 2 ;;
	esac
done
# inside the build tree's tests/ so the VM (which sees the host's /tmp
# only as a fresh tmpfs) finds the result
tmp=$(mktemp -d "$PWD/tests/install-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
make -s install DESTDIR="$tmp/root" >/dev/null
prefix=$(sed -n 's/^prefix=//p' libcmabuf.pc)
root="$tmp/root$prefix"
pcdir=$(dirname "$(find "$tmp/root" -name libcmabuf.pc | head -n 1)")
export PKG_CONFIG_PATH="$pcdir"
export PKG_CONFIG_SYSROOT_DIR="$tmp/root"
cflags=$(pkg-config --cflags libcmabuf)
libs=$(pkg-config --libs libcmabuf)
echo "pkg-config: $cflags $libs"
# shellcheck disable=SC2086
${CC:-cc} -Wall -Werror $cflags -o "$tmp/demo" "$srcdir/examples/cmabuf-demo.c" \
	$libs -Wl,-rpath,"$(dirname "$(find "$tmp/root" -name 'libcmabuf.so.0' | head -n 1)")"
# the GStreamer library, when built: its headers and .pc, and the appsrc
# example compiled through them (linked only: running it is
# tests/test-vm-gst-lib's job). The system's GStreamer .pc files must not
# get the sysroot prefix, so ours are rewritten to the scratch prefix.
gstpc=$(find "$tmp/root" -name gstreamer-cmabuf-1.0.pc | head -n 1)
if [ -n "$gstpc" ]; then
	mkdir "$tmp/pc"
	for f in "$gstpc" "$pcdir/libcmabuf.pc"; do
		sed "s|^prefix=.*|prefix=$root|" "$f" >"$tmp/pc/${f##*/}"
	done
	[ -f "$root/include/gstreamer-1.0/gst/cmabuf/cmabuf.h" ] ||
		{ echo "FAIL: gst/cmabuf/cmabuf.h not installed"; exit 1; }
	gflags=$(PKG_CONFIG_SYSROOT_DIR= PKG_CONFIG_PATH="$tmp/pc" pkg-config \
		--cflags --libs gstreamer-cmabuf-1.0 gstreamer-app-1.0)
	echo "pkg-config (GStreamer): $gflags"
	# shellcheck disable=SC2086
	${CC:-cc} -Wall -Werror -o "$tmp/gst-appsrc-kms" \
		"$srcdir/examples/gst-appsrc-kms.c" $gflags -Wl,-rpath,"$(dirname \
		"$(find "$tmp/root" -name 'libgstcmabuf-1.0.so.0' | head -n 1)")"
fi
for f in cmabuf.h; do
	[ -f "$root/include/$f" ] || { echo "FAIL: $f not installed"; exit 1; }
done
[ -n "$(find "$tmp/root" -name libcmabuf.3)" ] ||
	{ echo "FAIL: man pages not installed"; exit 1; }
# the integration files configure was asked for (data/); the service
# runs the installed tool
for v in udevrulesdir:60-cmabuf-dma-heap.rules systemdsystemunitdir:cmabuf-stat.timer \
	 systemdsystemunitdir:cmabuf-stat.service prometheusrulesdir:cmabuf-rules.yml; do
	case $(sed -n "s/^${v%%:*} = //p" Makefile) in no|'') continue ;; esac
	f=$(find "$tmp/root" -name "${v#*:}" | head -n 1)
	[ -n "$f" ] || { echo "FAIL: ${v#*:} not installed"; exit 1; }
	case $f in *.service)
		grep -q "^ExecStart=$(sed -n 's/^bindir = //p' Makefile | sed "s|\${exec_prefix}|$prefix|")/cmabuf-stat " "$f" ||
			{ echo "FAIL: $f does not run the installed cmabuf-stat"; exit 1; } ;;
	esac
done
# the Python package (configure found python3): the installed copy,
# loading the installed library by its soname
libdir=$(dirname "$(find "$tmp/root" -name 'libcmabuf.so.0' | head -n 1)")
pyinit=$(find "$tmp/root" -path '*/cmabuf/__init__.py' | head -n 1)
py=true
[ "${WANT_PYTHON:-no}" = yes ] && [ -z "$pyinit" ] &&
	{ echo "FAIL: the Python package cmabuf was not installed"; exit 1; }
if [ -n "$pyinit" ]; then
	pydir=$(dirname "$(dirname "$pyinit")")
	py="PYTHONPATH='$pydir' LD_LIBRARY_PATH='$libdir' ${PYTHON:-python3} -c '
import cmabuf
with cmabuf.Context() as ctx, ctx.open_heap() as heap:
    with heap.alloc(1 << 20, name=\"install-check\") as buf:
        assert cmabuf.__file__.startswith(\"$pydir/\"), cmabuf.__file__
        print(\"python:\", cmabuf.__file__, buf)'"
fi
if [ "$mode" = host ]; then
	"$tmp/demo" 4M && sh -c "$py"
else
	"$srcdir/tests/vm/run" --kernel "$kernel" -- sh -c "\"\$0\" 4M && $py" "$tmp/demo"
fi
echo "ok: installed library works through pkg-config${pyinit:+ and from Python}"
