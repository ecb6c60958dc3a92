#!/usr/bin/env bash
# Boots the appliance (out/vmlinux + out/initramfs.zst) in qemu with its console on this
# terminal: press Enter for a root shell; Ctrl-A X quits qemu. The box's one NIC sits on a
# qemu hub with no other port, so nothing leaves the VM.
# Usage: scripts/boot-image.sh [ADDRESS/PREFIX] [HOSTNAME]   (default 10.98.0.11/24 box-a)
set -eu
cd "$(dirname "$0")/.."
address=${1:-10.98.0.11/24} name=${2:-box-a}
[ -e out/vmlinux ] && [ -e out/initramfs.zst ] || { echo "run: make image" >&2; exit 1; }
exec qemu-system-x86_64 -accel tcg -cpu max -m 512 -nographic -no-reboot \
  -nic none -netdev hubport,id=n0,hubid=0 -device virtio-net-pci,netdev=n0,romfile= \
  -kernel out/vmlinux -initrd out/initramfs.zst \
  -append "console=ttyS0 panic=-1 tandem.hostname=$name tandem.address=$address"
