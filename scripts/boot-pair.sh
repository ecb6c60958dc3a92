#!/usr/bin/env bash
# Boots the seed's dual-master pair (out/vmlinux + out/initramfs.zst) under qemu on one
# private L2: a bridge in the network namespace tandem-pair with a tap per guest, and a
# veth to the namespace tandem-client (10.98.0.99/24). Box A (10.98.0.11, seed-a.conf,
# master of 10.98.0.41) has its console on this terminal (Enter for a shell, Ctrl-A X
# quits); box B (10.98.0.12, seed-b.conf, master of 10.98.0.51) runs in the background,
# its console logged to a file. Quitting A kills B and deletes both namespaces. Root.
# Try, from another terminal:
#   ip netns exec tandem-client curl -sk https://10.98.0.11:8443/vrrp/state
#   ip netns exec tandem-pair tcpdump -i br0 -n -e arp or vrrp
# and on A's console: touch /run/tandem/down (VIP .41 moves to B), rm /run/tandem/down.
set -eu
cd "$(dirname "$0")/.."
[ -e out/vmlinux ] && [ -e out/initramfs.zst ] || { echo "run: make image" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "needs root (namespaces, a bridge and taps)" >&2; exit 1; }
NET=tandem-pair CLIENT=tandem-client
ip netns list | grep -qw "$NET" && { echo "namespace $NET exists: another boot-pair.sh running?" >&2; exit 1; }
log=$(mktemp -d /tmp/tandem-pair.XXXXXX)
b_pid=
cleanup() {
  [ -n "$b_pid" ] && kill -KILL "$b_pid" 2>/dev/null
  ip netns del "$NET" 2>/dev/null || true
  ip netns del "$CLIENT" 2>/dev/null || true
  echo "boot-pair: stopped; box B's console log: $log/serial-b.log"
}
trap cleanup EXIT

ip netns add "$NET"
ip netns add "$CLIENT"
ip -n "$NET" link add br0 type bridge stp_state 0 mcast_snooping 0 forward_delay 0
for tap in tA tB; do
  ip -n "$NET" tuntap add "$tap" mode tap
  ip -n "$NET" link set "$tap" master br0 up
done
ip -n "$NET" link add vc type veth peer name eth0 netns "$CLIENT"
ip -n "$NET" link set vc master br0 up
ip -n "$NET" link set br0 up
ip -n "$CLIENT" link set lo up
ip -n "$CLIENT" addr add 10.98.0.99/24 dev eth0
ip -n "$CLIENT" link set eth0 up

guest() { # NAME ADDRESS MAC TAP SERIAL...
  local name=$1 address=$2 mac=$3 tap=$4; shift 4
  $run ip netns exec "$NET" qemu-system-x86_64 -accel tcg -cpu max -m 512 -nographic -no-reboot \
    -nic none -netdev "tap,id=n0,ifname=$tap,script=no,downscript=no" \
    -device "virtio-net-pci,netdev=n0,mac=$mac,romfile=" "$@" \
    -kernel out/vmlinux -initrd out/initramfs.zst \
    -append "console=ttyS0 panic=-1 tandem.hostname=box-$name tandem.address=$address tandem.config=/etc/keepalived/seed-$name.conf"
}
# In a subshell that exec's qemu, so $! is qemu's pid (ip netns exec exec's it too).
(run=exec; guest b 10.98.0.12/24 52:54:00:98:00:12 tB -serial "file:$log/serial-b.log" -monitor none </dev/null >/dev/null 2>&1) &
b_pid=$!
echo "boot-pair: box B in the background (console log $log/serial-b.log); box A on this terminal"
run=
guest a 10.98.0.11/24 52:54:00:98:00:11 tA
