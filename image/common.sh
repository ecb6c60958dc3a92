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
