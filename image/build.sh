#!/bin/sh
# Builds the appliance from pinned Debian packages plus dist/tandem:
#   out/vmlinux         the kernel, uncompressed (qemu boots it directly through PVH)
#   out/initramfs.zst   the whole root file system (busybox, glibc, ipvsadm, tandem, modules)
#   out/tandem.img      the disk to flash: boot, squashfs root and ext4 data partitions
#                       (each also alone: out/boot.vfat, out/root.squashfs, out/data.ext4)
# Steps, each its own script: fetch-packages.sh, rootfs.sh, kernel.sh, initramfs.sh, disk.sh.
set -eu
. "$(dirname "$0")/common.sh"

for tool in apt-get dpkg depmod modprobe xz zstd cpio ldd mkfs.vfat mcopy mksquashfs mkfs.ext4 sfdisk; do
  command -v "$tool" >/dev/null ||
    die "$tool is missing (apt-get install kmod xz-utils zstd cpio dosfstools mtools squashfs-tools e2fsprogs fdisk)"
done
mkdir -p "$OUT"
rm -rf "$ROOTFS"
sh "$IMAGE_DIR/fetch-packages.sh"
sh "$IMAGE_DIR/rootfs.sh"
sh "$IMAGE_DIR/kernel.sh"
sh "$IMAGE_DIR/initramfs.sh"
sh "$IMAGE_DIR/disk.sh"
(cd "$OUT" && sha256sum vmlinux initramfs.zst vmlinuz stage1.zst boot.vfat root.squashfs data.ext4 tandem.img \
  upgrade/boot.vfat.gz > SHA256SUMS &&
  cat SHA256SUMS)
