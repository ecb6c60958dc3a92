#!/bin/sh
# Packs out/rootfs into out/initramfs.zst (newc cpio, zstd) for a direct qemu boot with
# the whole root in RAM. Reproducible (see pack_cpio in common.sh): zstd's output depends
# only on its input and level.
set -eu
. "$(dirname "$0")/common.sh"

level=${ZSTD_LEVEL:-19}
[ -x "$ROOTFS/init" ] || die "$ROOTFS/init is missing (run image/rootfs.sh)"
pack_cpio "$ROOTFS" "$OUT/initramfs.zst" "$level"
echo "initramfs: $(du -h "$OUT/initramfs.zst" | cut -f1) (zstd -$level of $(du -sh "$ROOTFS" | cut -f1))"
