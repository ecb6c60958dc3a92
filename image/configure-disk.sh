#!/bin/sh
# Writes a box's own files onto the data partition (partition 3, ext4) of a Tandem disk,
# without mounting it and without root: an image file before flashing (each box of a pair
# gets its own copy), or a flashed disk (/dev/sdX) that is not running.
#   image/configure-disk.sh DISK [--node FILE] [--config FILE] [--put FILE:/PATH]...
#     --node FILE     becomes /etc/tandem/node.conf (HOSTNAME, INTERFACE, ADDRESS, GATEWAY)
#     --config FILE   becomes /etc/tandem/keepalived.conf, the configuration tandem runs
#     --put FILE:/P   any file, at /P on the data partition (e.g. :/etc/tandem/other.conf)
# An existing file is replaced; the history (var/lib/tandem) is left alone. Needs
# e2fsprogs (debugfs) and fdisk (sfdisk).
set -eu
die() { echo "configure-disk: $*" >&2; exit 1; }
[ $# -ge 1 ] || die "usage: configure-disk.sh DISK [--node FILE] [--config FILE] [--put FILE:/PATH]..."
disk=$1; shift
[ -e "$disk" ] || die "$disk does not exist"
for tool in debugfs sfdisk dumpe2fs; do
  command -v "$tool" >/dev/null || die "$tool is missing (apt-get install e2fsprogs fdisk)"
done

# Partition 3's first sector, from the partition table.
start=$(sfdisk --dump "$disk" 2>/dev/null | awk -F'[=,]' '$1 ~ /3 *: *start/ { gsub(/ /, "", $2); print $2 }')
[ -n "$start" ] || die "$disk has no partition 3 (is it a Tandem disk?)"
fs="$disk?offset=$((start * 512))"
label=$(dumpe2fs -h "$fs" 2>/dev/null | sed -n 's/^Filesystem volume name: *//p')
[ "$label" = tandem-data ] || die "partition 3 of $disk is not the data partition (label '${label:-none}', expected tandem-data)"
# debugfs writes behind the journal's back: an unreplayed journal would be replayed over it.
if dumpe2fs -h "$fs" 2>/dev/null | grep -q '^Filesystem features:.*needs_recovery'; then
  die "the data partition of $disk was not cleanly unmounted (box running, or powered off hard); boot it once, then shut it down with poweroff"
fi

puts=
while [ $# -gt 0 ]; do
  case "$1" in
    --node) [ $# -ge 2 ] || die "--node needs a file"; puts="$puts $2:/etc/tandem/node.conf"; shift 2 ;;
    --config) [ $# -ge 2 ] || die "--config needs a file"; puts="$puts $2:/etc/tandem/keepalived.conf"; shift 2 ;;
    --put) [ $# -ge 2 ] || die "--put needs FILE:/PATH"; puts="$puts $2"; shift 2 ;;
    *) die "unknown argument $1" ;;
  esac
done
[ -n "$puts" ] || die "nothing to write (give --node, --config or --put)"

for put in $puts; do
  src=${put%%:*} dest=${put#*:}
  [ -f "$src" ] || die "$src is not a file"
  case "$dest" in /*) ;; *) die "$dest must be an absolute path on the data partition" ;; esac
  # Parent directories first (mkdir fails harmlessly when one exists), then replace.
  dir=$(dirname "$dest") path=
  for part in $(echo "$dir" | tr '/' ' '); do
    path="$path/$part"
    debugfs -w -R "mkdir $path" "$fs" >/dev/null 2>&1 || true
  done
  debugfs -w -R "rm $dest" "$fs" >/dev/null 2>&1 || true
  out=$(debugfs -w -R "write $src $dest" "$fs" 2>&1)
  case "$out" in *Allocated\ inode*) ;; *) die "writing $dest failed: $out" ;; esac
  debugfs -w -R "sif $dest mode 0100644" "$fs" >/dev/null 2>&1
  echo "configure-disk: $dest <- $src"
done
