#!/usr/bin/env bash
# make demo: two Tandem appliances, each booted under qemu (TCG) from its own copy of the
# flashable disk out/tandem.img ($TANDEM_IMAGE_DIR/tandem.img when set), running the seed's
# dual-master pair with the director (scripts/demo-a.conf, demo-b.conf): box A (10.98.0.11)
# is master of VIP 10.98.0.41, box B (10.98.0.12) of 10.98.0.51, and both VIPs balance port
# 80 round-robin, in DR mode, over two real servers: Debian's nginx in the network
# namespaces tdemo-rs1 (10.98.0.21) and tdemo-rs2 (10.98.0.22), each page naming its server
# (scripts/real-server.sh). They share a private L2: a bridge in the network namespace
# tdemo-l2 with a tap per box, a veth per real server, and the client namespace
# tdemo-client (10.98.0.99). Nothing touches any other network. Each box's status page is
# forwarded to the host's 127.0.0.1:8081 (A) and :8082 (B) through scripts/port-forward.ts:
# HTTPS end to end, with a certificate per box made here and written on its disk.
# Type commands to trigger failovers (see the banner); Ctrl-C (or q) powers both boxes off
# and removes everything but the console logs.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
BUN=$ROOT/node_modules/.bin/bun
[ "$(id -u)" = 0 ] || { echo "demo: needs root (network namespaces, a bridge and taps)" >&2; exit 1; }
IMAGE=${TANDEM_IMAGE_DIR:-out}/tandem.img
[ -e "$IMAGE" ] || { echo "demo: $IMAGE is missing; run: make demo (it builds the image)" >&2; exit 1; }
# The real servers' nginx (unpacked once into /var/cache/tandem-test; nothing is installed).
sh scripts/install-test-servers.sh >/dev/null || exit 1

NET=tdemo-l2 CLIENT=tdemo-client
declare -A RS_ADDR=([rs1]=10.98.0.21 [rs2]=10.98.0.22)
VIPS=(10.98.0.41 10.98.0.51)
for ns in $NET $CLIENT tdemo-rs1 tdemo-rs2; do
  ip netns list | grep -qw "$ns" && { echo "demo: namespace $ns exists: another demo running? (ip netns del $ns)" >&2; exit 1; }
done
for port in 8081 8082; do
  (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && { echo "demo: 127.0.0.1:$port is in use" >&2; exit 1; }
done
DIR=$(mktemp -d /tmp/tandem-demo.XXXXXX)
declare -A ADDR=([a]=10.98.0.11 [b]=10.98.0.12) MAC=([a]=52:54:00:98:00:11 [b]=52:54:00:98:00:12) PORT=([a]=8081 [b]=8082)
declare -A QEMU_PID=() TOKEN=()
helpers=()
watch_pids=()

cleanup() {
  trap - EXIT
  echo; echo "demo: powering off"
  for box in a b; do [ -n "${QEMU_PID[$box]:-}" ] && kill -KILL "${QEMU_PID[$box]}" 2>/dev/null; done
  for pid in "${watch_pids[@]}" "${helpers[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  wait 2>/dev/null
  # real-server.sh deletes its own namespace on SIGTERM; these are for one that could not.
  for ns in $NET $CLIENT tdemo-rs1 tdemo-rs2; do ip netns del "$ns" 2>/dev/null; done
  rm -f "$DIR"/disk-*.img "$DIR"/*.sock
  echo "demo: namespaces removed; console logs kept in $DIR"
}
# Ctrl-C only ends the command loop; the EXIT trap then cleans up.
stop=""
trap 'stop=1' INT TERM
trap cleanup EXIT

# The private L2.
ip netns add $NET
ip netns add $CLIENT
ip -n $NET link add br0 type bridge stp_state 0 mcast_snooping 0 forward_delay 0
for box in a b; do
  ip -n $NET tuntap add "t$box" mode tap
  ip -n $NET link set "t$box" master br0 up
done
ip -n $NET link add vc type veth peer name eth0 netns $CLIENT
ip -n $NET link set vc master br0 up
ip -n $NET link set br0 up
ip -n $CLIENT link set lo up
ip -n $CLIENT addr add 10.98.0.99/24 dev eth0
ip -n $CLIENT link set eth0 up

# The real servers, on the same L2 (DR: the director forwards the client's frames to them
# unchanged, and they answer the client directly, from the VIP on their lo).
for rs in rs1 rs2; do
  bash scripts/real-server.sh "tdemo-$rs" $NET "$rs" "${RS_ADDR[$rs]}/24" "${VIPS[@]}" >"$DIR/$rs.log" 2>&1 &
  helpers+=($!)
done
for rs in rs1 rs2; do
  for _ in $(seq 100); do grep -q "real-server $rs: ready" "$DIR/$rs.log" && break; sleep 0.1; done
  grep -q "real-server $rs: ready" "$DIR/$rs.log" || { echo "demo: real server $rs did not start: $(cat "$DIR/$rs.log")" >&2; exit 1; }
done

# Each box's disk, configured as an operator would before flashing: its node.conf, the
# demo's keepalived.conf for its side, an API token and a TLS certificate the demo knows.
declare -A FINGERPRINT=()
for box in a b; do
  printf 'HOSTNAME=box-%s\nINTERFACE=eth0\nADDRESS=%s/24\n' "$box" "${ADDR[$box]}" >"$DIR/node-$box.conf"
  TOKEN[$box]=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
  echo "${TOKEN[$box]}" >"$DIR/token-$box"
  FINGERPRINT[$box]=$(dist/tandem tls-certificate --cert "$DIR/cert-$box.pem" --key "$DIR/key-$box.pem" \
    --name "box-$box" --ip "${ADDR[$box]}" 2>/dev/null) || { echo "demo: cannot make box $box's certificate" >&2; exit 1; }
  cp --sparse=always "$IMAGE" "$DIR/disk-$box.img"
  image/configure-disk.sh "$DIR/disk-$box.img" --node "$DIR/node-$box.conf" \
    --config "scripts/demo-$box.conf" --put "$DIR/token-$box:/var/lib/tandem/api-token" \
    --put "$DIR/cert-$box.pem:/var/lib/tandem/api-cert.pem" --put "$DIR/key-$box.pem:/var/lib/tandem/api-key.pem" >/dev/null || exit 1
done

power_on() {
  local box=$1
  ip netns exec $NET qemu-system-x86_64 -accel tcg -cpu max -m 512 -nographic -no-reboot \
    -nic none -netdev "tap,id=n0,ifname=t$box,script=no,downscript=no" \
    -device "virtio-net-pci,netdev=n0,mac=${MAC[$box]},romfile=" \
    -drive "file=$DIR/disk-$box.img,format=raw,if=virtio" \
    -chardev "socket,id=console,path=$DIR/console-$box.sock,server=on,wait=off,logfile=$DIR/serial-$box.log,logappend=on" \
    -serial chardev:console -monitor none </dev/null >/dev/null 2>&1 &
  QEMU_PID[$box]=$!
}
# Types one command line into a box's serial console (a root shell once Enter was pressed).
console() {
  "$BUN" -e 'const s = await Bun.connect({ unix: process.argv[1], socket: { data() {} } });
s.write(`\n${process.argv[2]}\n`); setTimeout(() => process.exit(0), 300);' "$DIR/console-$1.sock" "$2" 2>/dev/null ||
    echo "demo: box $1's console is not reachable (powered off?)"
}
power_on a
power_on b

# Status pages: host 127.0.0.1:808x -> unix socket -> (inside the client namespace) box:8443.
"$BUN" scripts/port-forward.ts "127.0.0.1:8081=unix:$DIR/fwd-a.sock" "127.0.0.1:8082=unix:$DIR/fwd-b.sock" >"$DIR/forward.log" 2>&1 &
helpers+=($!)
ip netns exec $CLIENT "$BUN" scripts/port-forward.ts "unix:$DIR/fwd-a.sock=${ADDR[a]}:8443" "unix:$DIR/fwd-b.sock=${ADDR[b]}:8443" >>"$DIR/forward.log" 2>&1 &
helpers+=($!)

cat <<EOF
Tandem demo: two appliances under qemu, booted from copies of $IMAGE (about 15 s
to boot under TCG), on a private bridge in namespace $NET; client namespace $CLIENT.
  box A ${ADDR[a]}: master of VI_1, VIP 10.98.0.41    status page https://127.0.0.1:8081/
  box B ${ADDR[b]}: master of VI_2, VIP 10.98.0.51    status page https://127.0.0.1:8082/
Behind both VIPs, port 80 round-robin in DR mode: the real servers rs1 ${RS_ADDR[rs1]} and rs2 ${RS_ADDR[rs2]}
(nginx in namespaces tdemo-rs1, tdemo-rs2; each page names its server). The boxes sync the
connections of VI_1 (lvs_sync_daemon): a connection through .41 outlives the box it came through.
The API is HTTPS with each box's own self-signed certificate (your browser will ask you to
accept it; check the fingerprint):  A ${FINGERPRINT[a]}
                                     B ${FINGERPRINT[b]}
Type a command and Enter:
  watch              twice a second: a new request through each VIP (which server answers, through
                     which box), and one kept-alive connection to .41 (the same server, through a
                     failover: try 'a off'); 'watch' again stops it
  a off | b off      pull the plug (SIGKILL qemu): the peer takes the VIP in ~3.7 s
  a on  | b on       power the box on again (same disk): it takes its VIP back
  a down | b down    fail the box's chk_mt_down (weight -15): its VIP moves to the peer
  a up  | b up       the script recovers: the VIP comes back
  q                  quit (or Ctrl-C)
Or from another shell (the certificate names the box's address, which --connect-to maps to the forwarder):
  dist/tandem state --api https://127.0.0.1:8081 --fingerprint ${FINGERPRINT[a]}
  dist/tandem events --api https://127.0.0.1:8082 --fingerprint ${FINGERPRINT[b]} --limit 5
  curl -s --cacert $DIR/cert-a.pem --connect-to ${ADDR[a]}:8443:127.0.0.1:8081 https://${ADDR[a]}:8443/vrrp/state
  curl -s --cacert $DIR/cert-a.pem --connect-to ${ADDR[a]}:8443:127.0.0.1:8081 -X POST -H "Authorization: Bearer ${TOKEN[a]}" https://${ADDR[a]}:8443/vrrp/instances/VI_1/maintenance
  curl -s --cacert $DIR/cert-a.pem --connect-to ${ADDR[a]}:8443:127.0.0.1:8081 -X DELETE -H "Authorization: Bearer ${TOKEN[a]}" https://${ADDR[a]}:8443/vrrp/instances/VI_1/maintenance
  ip netns exec $NET tcpdump -n -e -i br0 arp or vrrp
  ip netns exec $CLIENT curl -s http://10.98.0.41/
  ip netns exec $CLIENT $BUN scripts/keepalive-client.ts 10.98.0.41 80 --text
Consoles: $DIR/serial-a.log, $DIR/serial-b.log. API tokens: $DIR/token-a, token-b; certificates: $DIR/cert-a.pem, cert-b.pem.
EOF

# Who answers on a VIP, as the client sees it: the MAC its neighbour entry resolves to once
# it sent the VIP something (a SYN to a closed port, answered by the holder's reset; the
# boxes' APIs listen on their own addresses, not on the VIPs).
holder() {
  ip netns exec $CLIENT curl -s -o /dev/null --max-time 1 "http://$1:9/" 2>/dev/null
  neighbour "$1"
}
# The box the client's neighbour entry for a VIP names (A, B, nobody, or a stranger's MAC).
neighbour() {
  local mac entry
  entry=$(ip -n $CLIENT neigh show "$1")
  case "$entry" in *FAILED*|*INCOMPLETE*) echo nobody; return ;; esac
  mac=$(echo "$entry" | grep -o 'lladdr [0-9a-f:]*' | cut -d' ' -f2)
  case "$mac" in "${MAC[a]}") echo A ;; "${MAC[b]}") echo B ;; *) echo "${mac:-nobody}" ;; esac
}
# 'watch': one line twice a second while it runs. A new request through each VIP: the server
# whose page answered (nginx's "served by rsN ..."), through the box the client's neighbour
# entry names; and the last answer of one kept-alive connection to .41 (scripts/
# keepalive-client.ts, a request every 0.5 s): its request number, server and time stand still
# during a failover, then go on with the same server if the connection survived.
watch_line() {
  local line vip page kept
  line="$(date +%T.%N | cut -c1-10)"
  for vip in "${VIPS[@]}"; do
    page=$(ip netns exec $CLIENT curl -s --max-time 0.4 "http://$vip/" 2>/dev/null | sed -n 's/^served by \(rs[0-9]*\).*/\1/p')
    line+="   .${vip##*.} ${page:-no answer}${page:+ via $(neighbour "$vip")}"
  done
  kept=$(tail -n 1 "$DIR/kept-alive.log" 2>/dev/null)
  case "$kept" in
    *"served by"*) kept=$(echo "$kept" | sed -n 's/^\([0-9:.]*\)  #\([0-9]*\) 200 served by \(rs[0-9]*\) ([^)]*), connection \([0-9]*\).*/#\2 \3 (its nginx connection \4) at \1/p') ;;
    *connected*) kept="connected" ;;
    *"trying again"*) kept="connecting (${kept##*: }" && kept="${kept%, trying again})" ;;
    *connection*) kept="${kept#*  } (type watch twice for a new one)" ;;
  esac
  echo "$line   kept-alive .41: ${kept:-connecting}"
}
watch_toggle() {
  if [ ${#watch_pids[@]} -gt 0 ]; then
    kill -TERM "${watch_pids[@]}" 2>/dev/null
    watch_pids=()
    echo "watch: stopped"
    return
  fi
  ip netns exec $CLIENT "$BUN" scripts/keepalive-client.ts 10.98.0.41 80 --interval 500 --text >"$DIR/kept-alive.log" 2>&1 &
  watch_pids+=($!)
  (while sleep 0.5; do watch_line; done) &
  watch_pids+=($!)
  echo "watch: a new request through .41 and .51, and a kept-alive connection to .41, twice a second ('watch' stops)"
}

last=""
stdin_open=yes # commands come from the terminal, or a pipe (the image tier drives the demo so)
while [ -z "$stop" ]; do
  now="VIP .41 on $(holder 10.98.0.41)   VIP .51 on $(holder 10.98.0.51)"
  [ "$now" != "$last" ] && { echo "$(date +%T)  $now"; last=$now; }
  for box in a b; do
    if [ -n "${QEMU_PID[$box]}" ] && ! kill -0 "${QEMU_PID[$box]}" 2>/dev/null; then
      echo "$(date +%T)  box ${box^^} is powered off ('$box on' boots it again)"
      QEMU_PID[$box]=""
    fi
  done
  cmd=""
  if [ $stdin_open = yes ]; then
    # read's status is above 128 on its timeout (or Ctrl-C), 1 at end of input
    read -r -t 1 cmd || { [ $? -gt 128 ] || stdin_open=no; cmd=""; }
  else
    sleep 1
  fi
  case "$cmd" in
    '') ;;
    q) break ;;
    watch) watch_toggle ;;
    [ab]\ off) box=${cmd%% *}; [ -n "${QEMU_PID[$box]}" ] && kill -KILL "${QEMU_PID[$box]}" ;;
    [ab]\ on) box=${cmd%% *}
      if [ -n "${QEMU_PID[$box]}" ]; then echo "box ${box^^} is already on"; else power_on "$box"; echo "box ${box^^} powering on"; fi ;;
    [ab]\ down) console "${cmd%% *}" "touch /run/tandem/down" ;;
    [ab]\ up) console "${cmd%% *}" "rm -f /run/tandem/down" ;;
    *) echo "commands: watch, a|b off, a|b on, a|b down, a|b up, q" ;;
  esac
done
