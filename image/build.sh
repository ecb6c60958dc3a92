#!/bin/sh
# Builds the appliance from pinned Debian packages plus dist/tandem:
#   out/vmlinux         the kernel, uncompressed (qemu boots it directly through PVH)
#   out/initramfs.zst   the whole root file system (busybox, glibc, ipvsadm, tandem, modules)
# Steps, each its own script: fetch-packages.sh, rootfs.sh, kernel.sh, initramfs.sh.
set -eu
. "$(dirname "$0")/common.sh"

for tool in apt-get dpkg depmod modprobe xz zstd cpio ldd; do
  command -v "$tool" >/dev/null || die "$tool is missing (apt-get install kmod xz-utils zstd cpio)"
done
mkdir -p "$OUT"
rm -rf "$ROOTFS"
sh "$IMAGE_DIR/fetch-packages.sh"
sh "$IMAGE_DIR/rootfs.sh"
sh "$IMAGE_DIR/kernel.sh"
sh "$IMAGE_DIR/initramfs.sh"
(cd "$OUT" && sha256sum vmlinux initramfs.zst > SHA256SUMS && cat SHA256SUMS)
