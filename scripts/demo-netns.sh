#!/usr/bin/env bash
# make demo-netns: the seed's dual-master pair, live. Two tandem boxes in network namespaces on a
# private bridge (nothing touches the host's networks): box A is master of VI_1 (VIP .41),
# box B of VI_2 (VIP .51); both track chk_mt_down (weight -15). Prints who holds which VIP
# whenever it changes. Ctrl-C stops the boxes and removes everything.
set -u
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "demo: needs root (network namespaces)" >&2; exit 1; }
BIN=${TANDEM_BIN:-dist/tandem}
[ -x "$BIN" ] || { echo "demo: $BIN missing; run make build" >&2; exit 1; }
BIN=$(readlink -f "$BIN") # the commands printed below work from any directory

P=tdemo
DIR=$(mktemp -d /tmp/tandem-demo.XXXXXX)
SW=$P-sw
declare -A IP=([a]=10.42.0.11 [b]=10.42.0.12) PRIO1=([a]=100 [b]=90) PRIO2=([a]=90 [b]=100) STATE1=([a]=MASTER [b]=BACKUP) STATE2=([a]=BACKUP [b]=MASTER)

cleanup() {
  trap - EXIT
  echo; echo "demo: stopping"
  for box in a b; do
    [ -f "$DIR/$box/tandem.pid" ] && kill -TERM "$(cat "$DIR/$box/tandem.pid")" 2>/dev/null
  done
  sleep 1
  for ns in $P-a $P-b $P-c $SW; do ip netns del "$ns" 2>/dev/null; done
  echo "demo: namespaces removed; logs kept in $DIR"
}
# Ctrl-C only ends the watch loop; the EXIT trap then stops the boxes. (Cleaning up inside
# the INT trap itself races with the loop's command substitutions.)
stop=""
trap 'stop=1' INT TERM
trap cleanup EXIT

for ns in $P-a $P-b $P-c $SW; do ip netns del "$ns" 2>/dev/null; ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip -n $SW link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
ip -n $SW link set br0 up
for box in a b c; do
  ip -n $SW link add "p$box" type veth peer name eth0 netns "$P-$box"
  ip -n $SW link set "p$box" master br0 up
  ip -n "$P-$box" link set eth0 up
done
ip -n $P-c addr add 10.42.0.100/24 dev eth0

# instance NAME STATE VRID PRIORITY PASSWORD VIP: one of the seed's two instances.
instance() {
  cat <<EOF
vrrp_instance $1 {
    state $2
    interface eth0
    virtual_router_id $3
    priority $4
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass $5
    }
    virtual_ipaddress {
        $6
    }
    track_script {
        chk_mt_down
    }
}
EOF
}

for box in a b; do
  mkdir -p "$DIR/$box"
  ip -n "$P-$box" addr add "${IP[$box]}/24" dev eth0
  cat > "$DIR/$box/keepalived.conf" <<EOF
! The seed's worked example (node $box)
global_defs {
    router_id demo_$box
    api_listen ${IP[$box]}:8080
}
vrrp_script chk_mt_down {
    script "[ -f $DIR/$box/down ] && exit 1 || exit 0"
    interval 1
    weight -15
}
$(instance VI_1 "${STATE1[$box]}" 51 "${PRIO1[$box]}" vi111 10.42.0.41)
$(instance VI_2 "${STATE2[$box]}" 52 "${PRIO2[$box]}" vi222 10.42.0.51)
EOF
  ip netns exec "$P-$box" "$BIN" -f "$DIR/$box/keepalived.conf" -n -l -G -p "$DIR/$box/tandem.pid" --db "$DIR/$box/tandem.db" >"$DIR/$box/tandem.log" 2>&1 &
done

cat <<EOF
Tandem demo: box A (${IP[a]}) and box B (${IP[b]}) on a private bridge; client 10.42.0.100.
  VI_1: VIP 10.42.0.41, A priority 100, B 90      VI_2: VIP 10.42.0.51, B priority 100, A 90
Try, in another shell:
  touch $DIR/b/down            # B's script fails: B drops to 85/75, A takes VIP .51
  rm $DIR/b/down               # B recovers and takes .51 back (preempt)
  kill -9 \$(cat $DIR/a/tandem.pid)   # crash A: B takes .41 after 3 adverts + skew
  ip netns exec $P-c ping -c1 10.42.0.41
  ip netns exec $P-c $BIN state --api http://${IP[a]}:8080      # what box A sees
  ip netns exec $P-c $BIN events --api http://${IP[b]}:8080     # box B's history
Logs: $DIR/a/tandem.log $DIR/b/tandem.log      Ctrl-C to stop.
EOF

holder() {
  local vip=$1 who=""
  for box in a b; do
    ip -n "$P-$box" -br -4 addr show dev eth0 2>/dev/null | grep -qw "$vip" && who="$who${who:+ and }$(echo "$box" | tr a-b A-B)"
  done
  echo "${who:-nobody}"
}
last=""
while [ -z "$stop" ]; do
  now="VIP .41 on $(holder 10.42.0.41)   VIP .51 on $(holder 10.42.0.51)"
  if [ "$now" != "$last" ]; then
    echo "$(date +%T.%3N)  $now"
    last=$now
  fi
  sleep 0.1
done
