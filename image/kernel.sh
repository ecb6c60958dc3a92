#!/bin/sh
# The kernel: out/vmlinux (the uncompressed ELF inside Debian's bzImage, which qemu boots
# directly through PVH, ~2 s faster than the bzImage under TCG), and only the modules of
# image/modules.list plus their dependencies, laid into out/rootfs/lib/modules with a
# fresh depmod index. out/vmlinuz is the bzImage itself, for SYSLINUX on the disk image.
set -eu
. "$(dirname "$0")/common.sh"

kpkg=$(pkg "linux-image-$KVER")
[ -d "$kpkg/lib/modules/$KVER" ] || die "no unpacked kernel $KVER in $kpkg (run image/fetch-packages.sh)"

# vmlinux: the bzImage's payload is one xz stream (CONFIG_KERNEL_XZ); find its magic.
offset=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$kpkg/boot/vmlinuz-$KVER" | head -1 | cut -d: -f1)
[ -n "$offset" ] || die "no xz stream in vmlinuz-$KVER"
tail -c +$((offset + 1)) "$kpkg/boot/vmlinuz-$KVER" | xz -dc --single-stream > "$OUT/vmlinux.tmp"
head -c 4 "$OUT/vmlinux.tmp" | grep -q 'ELF' || die "the xz payload of vmlinuz-$KVER is not an ELF"
mv "$OUT/vmlinux.tmp" "$OUT/vmlinux"
cp "$kpkg/boot/vmlinuz-$KVER" "$OUT/vmlinuz"

install_modules "$IMAGE_DIR/modules.list" "$ROOTFS"
# The boot order for /init: the image's, not configuration (so not under /etc/tandem).
mkdir -p "$ROOTFS/usr/lib/tandem"
grep -v '^[[:space:]]*\(#\|$\)' "$IMAGE_DIR/modules.list" > "$ROOTFS/usr/lib/tandem/modules"
dest=$ROOTFS/lib/modules/$KVER
echo "kernel: $KVER, $(find "$dest" -name '*.ko' | wc -l) modules ($(du -sh "$dest" | cut -f1)), vmlinux $(du -h "$OUT/vmlinux" | cut -f1)"
