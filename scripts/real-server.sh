#!/usr/bin/env bash
# One real server behind the pair's director in DR mode (the image tier's pair, make demo):
# a network namespace NS with a veth (its eth0, ADDRESS/PREFIX) onto the bridge br0 of the
# namespace L2, the VIPs on its lo with arp_ignore=1 and arp_announce=2 (so it never answers
# ARP for them, nor announces them: the director holding a VIP does), and Debian's nginx,
# unpacked by scripts/install-test-servers.sh, on port 80 answering every request with a
# page naming the server, its nginx connection serial and that connection's request count
# (so a client sees that its requests kept arriving on one connection), keep-alive for an
# hour. Prints "real-server NAME: ready" once nginx listens, then runs until SIGTERM or
# SIGINT, when it stops nginx and deletes NS. Root.
#   scripts/real-server.sh NS L2 NAME ADDRESS/PREFIX VIP...
set -u
[ $# -ge 5 ] || { echo "usage: real-server.sh NS L2 NAME ADDRESS/PREFIX VIP..." >&2; exit 2; }
NS=$1 L2=$2 NAME=$3 ADDRESS=$4
shift 4
NGINX=${TEST_SERVERS:-/var/cache/tandem-test}/nginx/usr/sbin/nginx
[ -x "$NGINX" ] || { echo "real-server: $NGINX is missing (run: sh scripts/install-test-servers.sh)" >&2; exit 1; }
DIR=$(mktemp -d /tmp/tandem-rs-"$NAME".XXXXXX)
nginx_pid=
cleanup() {
  trap - TERM INT EXIT
  [ -n "$nginx_pid" ] && kill -TERM "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
  ip netns del "$NS" 2>/dev/null
  rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 0' TERM INT

ip netns add "$NS" || exit 1
# The bridge's end is named after the server (at most 15 characters).
ip -n "$L2" link add "r-${NAME:0:13}" type veth peer name eth0 netns "$NS" || exit 1
ip -n "$L2" link set "r-${NAME:0:13}" master br0 up
ip -n "$NS" link set lo up
# DR: the VIPs are local addresses here, but ARP for them is the director's.
for conf in all eth0; do
  ip netns exec "$NS" sysctl -qw "net.ipv4.conf.$conf.arp_ignore=1" "net.ipv4.conf.$conf.arp_announce=2"
done
for vip in "$@"; do ip -n "$NS" addr add "$vip/32" dev lo; done
ip -n "$NS" addr add "$ADDRESS" dev eth0
ip -n "$NS" link set eth0 up

# One process (no master, no workers to orphan), in the foreground; every path under DIR,
# none of the package's compiled-in /var/lib/nginx, /run or /var/log.
cat >"$DIR/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $DIR/nginx.pid;
error_log $DIR/error.log notice;
events { worker_connections 512; }
http {
  log_format conn '\$remote_addr:\$remote_port connection \$connection request \$connection_requests "\$request" \$status';
  access_log $DIR/access.log conn;
  client_body_temp_path $DIR/body;
  proxy_temp_path $DIR/proxy;
  fastcgi_temp_path $DIR/fastcgi;
  uwsgi_temp_path $DIR/uwsgi;
  scgi_temp_path $DIR/scgi;
  keepalive_timeout 3600s;
  keepalive_requests 1000000;
  server {
    listen 80;
    default_type text/plain;
    location / { return 200 "served by $NAME (${ADDRESS%/*}), connection \$connection, request \$connection_requests\n"; }
  }
}
EOF
ip netns exec "$NS" "$NGINX" -p "$DIR" -c "$DIR/nginx.conf" -e "$DIR/error.log" &
nginx_pid=$!
# nginx writes its pid file once its sockets listen.
for _ in $(seq 100); do
  [ -s "$DIR/nginx.pid" ] && break
  kill -0 "$nginx_pid" 2>/dev/null || { echo "real-server $NAME: nginx exited: $(cat "$DIR/error.log")" >&2; exit 1; }
  sleep 0.05
done
[ -s "$DIR/nginx.pid" ] || { echo "real-server $NAME: nginx did not start" >&2; exit 1; }
echo "real-server $NAME: ready, nginx on ${ADDRESS%/*}:80 for $*, log $DIR/access.log"
wait "$nginx_pid"
echo "real-server $NAME: nginx exited with status $?" >&2
