#!/bin/sh
# Puts the real servers the tests (and make demo) run behind the director into
# /var/cache/tandem-test, unpacked from Debian's packages without installing them (an
# installed nginx would start a service on the host): $TEST_SERVERS/nginx/usr/sbin/nginx.
# Prints that directory. Does nothing when it is already there. The IPVS tier copies these
# binaries, and the libraries ldd lists for them, into its guests.
set -eu
dir=${TEST_SERVERS:-/var/cache/tandem-test}
fetch() { # fetch PACKAGE MARKER: unpack PACKAGE into $dir/PACKAGE unless MARKER is there
  [ -e "$dir/$1/$2" ] && return 0
  [ "$(id -u)" = 0 ] || { echo "install-test-servers: $dir/$1 is missing; run as root" >&2; exit 1; }
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get download -q "$1" >/dev/null 2>&1) || {
    apt-get update -qq && (cd "$tmp" && apt-get download -q "$1" >/dev/null 2>&1)
  } || { echo "install-test-servers: apt-get download $1 failed" >&2; exit 1; }
  rm -rf "$dir/$1.new"
  mkdir -p "$dir/$1.new"
  dpkg -x "$tmp"/"$1"_*.deb "$dir/$1.new"
  rm -rf "$dir/$1" && mv "$dir/$1.new" "$dir/$1"
  rm -rf "$tmp"
  trap - EXIT
}
fetch nginx usr/sbin/nginx
fetch inetutils-inetd usr/sbin/inetutils-inetd
fetch yadifa usr/sbin/yadifad
fetch opensmtpd usr/sbin/smtpd
echo "$dir"
