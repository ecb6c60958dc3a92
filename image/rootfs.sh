#!/bin/sh
# The root file system tree, out/rootfs: busybox-static and its applet links, the glibc
# libraries dist/tandem and ipvsadm need (from the pinned libc6, not the host's), ipvsadm,
# dist/tandem, and overlay/. kernel.sh adds lib/modules. initramfs.sh packs the tree.
set -eu
. "$(dirname "$0")/common.sh"

tandem=${TANDEM_BIN:-$ROOT_DIR/dist/tandem}
[ -x "$tandem" ] || die "$tandem is missing (run: make build)"

mkdir -p "$ROOTFS"
cd "$ROOTFS"
# data: the mount point of the ext4 data partition (see overlay/init)
mkdir -p bin sbin usr/bin usr/sbin lib/x86_64-linux-gnu lib64 etc proc sys dev run tmp root data var/lib/tandem
chmod 1777 tmp
# On the disk image the root is a read-only squashfs: what changes at run time lives in /run.
ln -sfn ../run/hosts etc/hosts
ln -sfn ../proc/mounts etc/mtab

install_busybox "$ROOTFS"

cp "$(pkg ipvsadm)/sbin/ipvsadm" sbin/ipvsadm
cp "$tandem" usr/sbin/tandem

# Shared libraries: every soname the two dynamic binaries ask for (ldd's names, looked up
# in the pinned packages, never copied from the host).
for soname in $(ldd "$tandem" "$(pkg ipvsadm)/sbin/ipvsadm" | awk '/=>/ { print $1 }' | sort -u); do
  found=$(find "$CACHE"/pkgs/*/lib "$CACHE"/pkgs/*/usr/lib -name "$soname" 2>/dev/null | head -1)
  [ -n "$found" ] || die "no package in packages.lock provides $soname"
  cp -L "$found" "lib/x86_64-linux-gnu/$soname"
done
cp -L "$(pkg libc6)/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" lib/x86_64-linux-gnu/
ln -sfn ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 lib64/ld-linux-x86-64.so.2

# The overlay last, so it can replace anything above.
(cd "$ROOT_DIR/overlay" && find . -type f ! -name README.md) | while read -r f; do
  mkdir -p "$(dirname "$f")"
  cp -p "$ROOT_DIR/overlay/$f" "$f"
done
echo "rootfs: $(du -sh "$ROOTFS" | cut -f1) in $ROOTFS"
