#!/bin/sh
# The flashable disk, out/tandem.img (MBR, BIOS boot):
#   1  boot  FAT "TANDEMBOOT", SYSLINUX: out/vmlinuz + out/stage1.zst (a small initramfs
#            that mounts partition 2 and switch_roots into it), syslinux.cfg
#   2  root  out/root.squashfs: out/rootfs, read-only
#   3  data  ext4 "tandem-data": etc/tandem (this box's node.conf, keepalived.conf) and
#            var/lib/tandem (history database, API token); never written by an upgrade
# Each partition is also left in out/ on its own (boot.vfat, root.squashfs, data.ext4),
# and out/upgrade/ holds the bundle a running box stages to upgrade itself (partitions 1
# and 2 are replaced at the next boot, 3 is kept).
# Reproducible: fixed volume ids and UUIDs, every time stamp SOURCE_DATE_EPOCH.
set -eu
. "$(dirname "$0")/common.sh"

# Partition sizes in MiB. Fixed, so a newer image's boot and root fit the older disk's
# partitions; the root has room for a binary twice today's size; the data partition holds
# the history (1,000,000 events by default) and a staged upgrade (~60 MiB).
BOOT_MIB=32 ROOT_MIB=256 DATA_MIB=512
DISK_ID=0x54414e44                            # "TAND"
DATA_UUID=7a3d6e1c-54a4-4e44-9d00-000000000003

for tool in mkfs.vfat mcopy mksquashfs mkfs.ext4 debugfs sfdisk; do
  command -v "$tool" >/dev/null || die "$tool is missing (apt-get install dosfstools mtools squashfs-tools e2fsprogs fdisk)"
done
[ -x "$ROOTFS/init" ] || die "$ROOTFS/init is missing (run image/rootfs.sh and image/kernel.sh)"
[ -e "$OUT/vmlinuz" ] || die "$OUT/vmlinuz is missing (run image/kernel.sh)"
syslinux=$(pkg syslinux)/usr/bin/syslinux
bios=$(pkg syslinux-common)/usr/lib/syslinux
stamp() { find "$1" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +; }

# Stage 1: busybox, the storage modules, image/stage1/init.
stage1=$OUT/stage1
rm -rf "$stage1"
mkdir -p "$stage1/proc" "$stage1/sys" "$stage1/dev" "$stage1/etc"
install_busybox "$stage1"
install_modules "$IMAGE_DIR/stage1/modules.list" "$stage1"
grep -v '^[[:space:]]*\(#\|$\)' "$IMAGE_DIR/stage1/modules.list" > "$stage1/etc/stage1-modules"
cp "$IMAGE_DIR/stage1/init" "$stage1/init"
cp "$IMAGE_DIR/stage1/apply-upgrade" "$stage1/bin/apply-upgrade"
chmod 755 "$stage1/init" "$stage1/bin/apply-upgrade"
pack_cpio "$stage1" "$OUT/stage1.zst"

# Boot partition. The installer writes ldlinux.sys and its own ldlinux.c32; mtools stamps
# files with SOURCE_DATE_EPOCH when it is set (--invariant fixes the volume id).
cat > "$OUT/syslinux.cfg" <<CFG
# SYSLINUX on the boot partition. The last console= is /dev/console (the serial port);
# panic=10 reboots a box whose kernel panics; quiet keeps the console to errors and tandem.
SERIAL 0 115200
DEFAULT tandem
PROMPT 0
TIMEOUT 0
LABEL tandem
  LINUX /vmlinuz
  INITRD /stage1.zst
  APPEND console=tty0 console=ttyS0,115200n8 panic=10 quiet
CFG
rm -f "$OUT/boot.vfat"
mkfs.vfat -C -n TANDEMBOOT --invariant "$OUT/boot.vfat" $((BOOT_MIB * 1024)) >/dev/null
"$syslinux" --install "$OUT/boot.vfat"
stamp "$OUT/vmlinuz"; stamp "$OUT/stage1.zst"; stamp "$OUT/syslinux.cfg"
mcopy -m -i "$OUT/boot.vfat" "$OUT/syslinux.cfg" "$OUT/vmlinuz" "$OUT/stage1.zst" ::/

# Root partition.
mksquashfs "$ROOTFS" "$OUT/root.squashfs.tmp" -noappend -quiet -comp zstd -Xcompression-level 19 \
  -all-root >/dev/null  # SOURCE_DATE_EPOCH sets every time stamp
mv "$OUT/root.squashfs.tmp" "$OUT/root.squashfs"
[ "$(stat -c %s "$OUT/root.squashfs")" -le $((ROOT_MIB * 1048576)) ] || die "root.squashfs is larger than the $ROOT_MIB MiB root partition"

# Data partition: the empty directories a new box starts with.
template=$OUT/data-template
rm -rf "$template"
mkdir -p "$template/etc/tandem" "$template/var/lib/tandem"
cp "$IMAGE_DIR/data-README" "$template/README"
stamp "$template"
rm -f "$OUT/data.ext4"
E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH mkfs.ext4 -q -F -L tandem-data -U "$DATA_UUID" \
  -E "hash_seed=$DATA_UUID,root_owner=0:0" -d "$template" "$OUT/data.ext4" "${DATA_MIB}M"
# mkfs copies each file's owner and ctime from the template (the builder, and the time of
# the touch above): make them root and SOURCE_DATE_EPOCH, whoever builds and whenever.
(cd "$template" && find . | sed "s|^\.\$|/|; s|^\./|/|") | while read -r path; do
  printf 'sif %s ctime @%s\nsif %s uid 0\nsif %s gid 0\n' "$path" "$SOURCE_DATE_EPOCH" "$path" "$path"
done > "$OUT/data-inodes.debugfs"
debugfs -w -f "$OUT/data-inodes.debugfs" "$OUT/data.ext4" >/dev/null 2>&1 || die "debugfs could not set the data partition's owners and times"

# The disk: MBR with SYSLINUX's boot code, three primary partitions 1 MiB apart (1 is
# type e, FAT16 LBA, which is what mkfs.vfat makes of 32 MiB; 2 and 3 are Linux).
s=2048  # sectors per MiB
boot_start=$s root_start=$((s + BOOT_MIB * s)) data_start=$((s + (BOOT_MIB + ROOT_MIB) * s))
total=$((data_start + DATA_MIB * s))
rm -f "$OUT/tandem.img.tmp"
truncate -s $((total * 512)) "$OUT/tandem.img.tmp"
sfdisk --quiet --no-reread --no-tell-kernel "$OUT/tandem.img.tmp" <<TABLE
label: dos
label-id: $DISK_ID
unit: sectors
start=$boot_start, size=$((BOOT_MIB * s)), type=e, bootable
start=$root_start, size=$((ROOT_MIB * s)), type=83
start=$data_start, size=$((DATA_MIB * s)), type=83
TABLE
dd if="$bios/mbr/mbr.bin" of="$OUT/tandem.img.tmp" bs=440 count=1 conv=notrunc status=none
put() { dd if="$1" of="$OUT/tandem.img.tmp" bs=512 seek="$2" conv=notrunc,sparse status=none; }
put "$OUT/boot.vfat" $boot_start
put "$OUT/root.squashfs" $root_start
put "$OUT/data.ext4" $data_start
mv "$OUT/tandem.img.tmp" "$OUT/tandem.img"

# The upgrade bundle: what a running box stages in /data/upgrade (see stage1/apply-upgrade).
rm -rf "$OUT/upgrade"
mkdir -p "$OUT/upgrade"
cp "$OUT/root.squashfs" "$OUT/upgrade/root.squashfs"
gzip -9 -n -c "$OUT/boot.vfat" > "$OUT/upgrade/boot.vfat.gz"
(cd "$OUT/upgrade" && sha256sum root.squashfs boot.vfat.gz > SHA256SUMS)
echo "disk: tandem.img $((total / s)) MiB (boot $BOOT_MIB, root $ROOT_MIB with $(du -h "$OUT/root.squashfs" | cut -f1) used, data $DATA_MIB)"
