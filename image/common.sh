# Shared by the image/ scripts: paths, the pinned kernel version, and die().
IMAGE_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT_DIR=$(dirname "$IMAGE_DIR")
OUT=${OUT:-$ROOT_DIR/out}
CACHE=${CACHE:-$OUT/cache}
ROOTFS=$OUT/rootfs
# Every file in the image gets this mtime, so two builds give the same bytes.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}
export SOURCE_DATE_EPOCH
# The kernel release is the linux-image package's name without its prefix/suffix.
KVER=$(sed -n 's/^linux-image-\([0-9][^=]*-amd64\)=.*/\1/p' "$IMAGE_DIR/packages.lock")

umask 022  # file modes in the image must not depend on the builder's umask
die() { echo "image: $*" >&2; exit 1; }
pkg() { echo "$CACHE/pkgs/$1"; }

# The modules named in LIST_FILE plus everything `modprobe --show-depends` adds, copied
# from the unpacked kernel package into DEST_ROOT/lib/modules/KVER with a fresh depmod
# index. Usage: install_modules LIST_FILE DEST_ROOT
install_modules() {
  kpkg=$(pkg "linux-image-$KVER")
  [ -d "$kpkg/lib/modules/$KVER" ] || die "no unpacked kernel $KVER in $kpkg (run image/fetch-packages.sh)"
  [ -e "$kpkg/lib/modules/$KVER/modules.dep" ] || depmod -b "$kpkg" "$KVER"
  modules=$(grep -v '^[[:space:]]*\(#\|$\)' "$1")
  dest=$2/lib/modules/$KVER
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
  depmod -b "$2" "$KVER"
}

# Packs the tree DIR into the zstd'd newc cpio FILE, reproducibly: names sorted, every
# mtime SOURCE_DATE_EPOCH, owner root, inode numbers renumbered (cpio --reproducible).
# Usage: pack_cpio DIR FILE [ZSTD_LEVEL]
pack_cpio() {
  find "$1" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
  (cd "$1" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
    cpio --quiet --null -o -H newc -R 0:0 --reproducible) |
    zstd -q -f "-${3:-19}" -T0 -o "$2.tmp"
  mv "$2.tmp" "$2"
}

# Copies busybox-static into the tree DIR with a symlink per applet (its own list,
# e.g. "sbin/ip"). Usage: install_busybox DIR
install_busybox() {
  bb=$(pkg busybox-static)/bin/busybox
  mkdir -p "$1/bin" "$1/sbin" "$1/usr/bin" "$1/usr/sbin"
  cp "$bb" "$1/bin/busybox"
  "$bb" --list-full | while read -r applet; do
    [ "$applet" = bin/busybox ] && continue
    up=$(echo "$applet" | sed 's|[^/]*/|../|g; s|[^/]*$||')
    ln -sfn "${up}bin/busybox" "$1/$applet"
  done
}
