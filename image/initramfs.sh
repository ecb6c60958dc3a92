#!/bin/sh
# Packs out/rootfs into out/initramfs.zst (newc cpio, zstd). Reproducible: names sorted,
# every mtime set to SOURCE_DATE_EPOCH, owner root, inode numbers renumbered by
# cpio --reproducible, and zstd's output depends only on its input and level.
set -eu
. "$(dirname "$0")/common.sh"

level=${ZSTD_LEVEL:-19}
[ -x "$ROOTFS/init" ] || die "$ROOTFS/init is missing (run image/rootfs.sh)"
find "$ROOTFS" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
(cd "$ROOTFS" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
  cpio --quiet --null -o -H newc -R 0:0 --reproducible) |
  zstd -q -f "-$level" -T0 -o "$OUT/initramfs.zst.tmp"
mv "$OUT/initramfs.zst.tmp" "$OUT/initramfs.zst"
echo "initramfs: $(du -h "$OUT/initramfs.zst" | cut -f1) (zstd -$level of $(du -sh "$ROOTFS" | cut -f1))"
