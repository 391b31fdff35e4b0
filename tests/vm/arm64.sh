# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/vm/arm64.sh -- sourced by tests/vm/run for the arm64 guests.
#
# arm64_busybox          print the path of a static aarch64 busybox (cached)
# arm64_dtb MEM SMP CMA  print the path of the guest's device tree (cached)
#
# The device tree is QEMU's own for `-M virt -cpu max` with the same -m and
# -smp (a board's firmware hands the kernel one too), plus the reserved-memory
# node a board's tree carries: the default CMA pool `linux,cma` (CMA bytes)
# and a second reusable pool at a fixed address, `camera-pool@60000000`
# (64 MiB).  No cma= on the command line, so the kernel names the heaps and
# CMA areas after the nodes, as on a board.  Uses $CACHE, die() and
# $QEMU_SYS of the caller.

ARM64_POOL_BASE=0x60000000
ARM64_POOL_SIZE=0x4000000

arm64_busybox() {
	local dir=$CACHE/busybox-arm64 tmp
	if [ -n "${CMABUF_VM_BUSYBOX_ARM64:-}" ]; then
		printf '%s\n' "$CMABUF_VM_BUSYBOX_ARM64"
		return 0
	fi
	mkdir -p "$dir"
	(
		flock 9
		[ -s "$dir/busybox" ] && exit 0
		# busybox-static:arm64 cannot be co-installed with the amd64
		# one: download it and take the binary out of the package
		tmp=$(mktemp -d "$dir/dl.XXXXXX")
		trap 'rm -rf "$tmp"' EXIT
		(cd "$tmp" && apt-get -q download busybox-static:arm64) >&2 2>"$tmp/log" ||
			{ cat "$tmp/log" >&2; exit 1; }
		dpkg-deb -x "$tmp"/busybox-static_*_arm64.deb "$tmp/x" &&
			cp "$tmp/x/bin/busybox" "$dir/busybox.new" &&
			chmod 755 "$dir/busybox.new" &&
			basename "$tmp"/busybox-static_*_arm64.deb > "$dir/package" &&
			mv "$dir/busybox.new" "$dir/busybox"
	) 9>"$dir/lock" ||
		die "cannot fetch busybox-static:arm64 (apt-get download busybox-static:arm64 needs dpkg --add-architecture arm64)"
	printf '%s\n' "$dir/busybox"
}

# The reserved-memory node, for a linux,cma pool of $1 bytes.
arm64_reserved_memory() {
	local cma=$1
	cat <<EOF
	reserved-memory {
		#address-cells = <2>;
		#size-cells = <2>;
		ranges;

		linux,cma {
			compatible = "shared-dma-pool";
			reusable;
			size = <$(printf '0x%x 0x%x' $((cma >> 32)) $((cma & 0xffffffff)))>;
			alignment = <0 0x400000>;
			linux,cma-default;
		};

		camera-pool@${ARM64_POOL_BASE#0x} {
			compatible = "shared-dma-pool";
			reusable;
			reg = <0 $ARM64_POOL_BASE 0 $ARM64_POOL_SIZE>;
		};
	};
EOF
}

arm64_dtb() {
	local mem=$1 smp=$2 cma=$3 key out tmp mem_bytes
	command -v dtc >/dev/null 2>&1 ||
		die "'dtc' not found (apt-get install device-tree-compiler)"
	mem_bytes=$(to_bytes "$mem")
	# QEMU's virt RAM starts at 1 GiB: the fixed pool must lie inside it
	[ "$mem_bytes" -ge $((ARM64_POOL_BASE - 0x40000000 + ARM64_POOL_SIZE + cma)) ] ||
		die "--mem $mem is too small for camera-pool@${ARM64_POOL_BASE#0x} and a ${cma}-byte linux,cma"
	key=$( { "$QEMU_SYS" --version | head -n 1; echo "$mem $smp max"
		 arm64_reserved_memory "$cma"; } | sha256sum | cut -c1-16)
	out=$CACHE/dtb-$key.dtb
	if [ ! -s "$out" ]; then
		tmp=$(mktemp -d "$CACHE/dtb.XXXXXX")
		"$QEMU_SYS" -M "virt,dumpdtb=$tmp/virt.dtb" -cpu max -smp "$smp" \
			-m "$mem" -nographic >"$tmp/log" 2>&1 &&
		dtc -q -I dtb -O dts -o "$tmp/virt.dts" "$tmp/virt.dtb" ||
			{ cat "$tmp/log" >&2; rm -rf "$tmp"; return 1; }
		# properties must precede subnodes: insert before the root
		# node's closing "};", the last line
		{ sed '$d' "$tmp/virt.dts"; arm64_reserved_memory "$cma"; echo '};'; } \
			> "$tmp/cma.dts" &&
		dtc -q -I dts -O dtb -o "$tmp/cma.dtb" "$tmp/cma.dts" &&
		mv "$tmp/cma.dtb" "$out" || { rm -rf "$tmp"; return 1; }
		rm -rf "$tmp"
	fi
	printf '%s\n' "$out"
}
