#!/bin/sh
# Installs, from Debian's apt, the tools that build and boot the appliance image when one
# is missing: make image, make demo and the image test tier call it (as does .ci/run).
# Does nothing (and needs nothing) when every tool is present.
set -eu
need=
want() { command -v "$1" >/dev/null 2>&1 || need="$need $2"; }
want depmod kmod
want xz xz-utils
want zstd zstd
want cpio cpio
want mkfs.vfat dosfstools
want mcopy mtools
want mksquashfs squashfs-tools
want debugfs e2fsprogs
want sfdisk fdisk
want qemu-system-x86_64 qemu-system-x86
want tcpdump tcpdump
want curl curl
[ -z "$need" ] && exit 0
[ "$(id -u)" = 0 ] || { echo "install-image-tools: missing:$need; run as root, or: apt-get install$need" >&2; exit 1; }
echo "install-image-tools: apt-get install$need"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086 # one word per package
apt-get install -y -qq --no-install-recommends $need >/dev/null
