#!/bin/sh
# The kernel: out/vmlinux (the uncompressed ELF inside Debian's bzImage, which qemu boots
# directly through PVH, ~2 s faster than the bzImage under TCG), and only the modules of
# image/modules.list plus their dependencies, laid into out/rootfs/lib/modules with a
# fresh depmod index.
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

# Modules: resolve against the package's full tree, copy only what is needed.
[ -e "$kpkg/lib/modules/$KVER/modules.dep" ] || depmod -b "$kpkg" "$KVER"
modules=$(grep -v '^[[:space:]]*\(#\|$\)' "$IMAGE_DIR/modules.list")
dest=$ROOTFS/lib/modules/$KVER
rm -rf "$dest"
mkdir -p "$dest"
for m in $modules; do
  modprobe -d "$kpkg" -S "$KVER" --show-depends "$m" ||
    die "module $m is not in kernel $KVER"
done | sed -n 's/^insmod \([^ ]*\).*/\1/p' | sort -u | while read -r ko; do
  rel=${ko#"$kpkg/lib/modules/$KVER/"}
  mkdir -p "$dest/$(dirname "$rel")"
  cp "$ko" "$dest/$rel"
done
cp "$kpkg/lib/modules/$KVER/modules.builtin" "$kpkg/lib/modules/$KVER/modules.builtin.modinfo" \
   "$kpkg/lib/modules/$KVER/modules.order" "$dest/"
depmod -b "$ROOTFS" "$KVER"
mkdir -p "$ROOTFS/etc/tandem"
printf '%s\n' $modules > "$ROOTFS/etc/tandem/modules"
echo "kernel: $KVER, $(find "$dest" -name '*.ko' | wc -l) modules ($(du -sh "$dest" | cut -f1)), vmlinux $(du -h "$OUT/vmlinux" | cut -f1)"
