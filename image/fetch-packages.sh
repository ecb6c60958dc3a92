#!/bin/sh
# Downloads the pinned Debian packages of image/packages.lock into out/cache/debs and
# unpacks each into out/cache/pkgs/NAME (dpkg -x; nothing is installed on the host).
# A package already in the cache is not downloaded again.
set -eu
. "$(dirname "$0")/common.sh"

mkdir -p "$CACHE/debs" "$CACHE/pkgs"
grep -v '^[[:space:]]*\(#\|$\)' "$IMAGE_DIR/packages.lock" | while read -r spec; do
  name=${spec%%=*}
  version=${spec#*=}
  # apt names the file NAME_VERSION_ARCH.deb with the epoch's ':' written as %3a
  deb=$(ls "$CACHE/debs/${name}_$(echo "$version" | sed 's/:/%3a/')_"*.deb 2>/dev/null | head -1 || true)
  if [ -z "$deb" ]; then
    echo "fetch: $name=$version"
    download() { (cd "$CACHE/debs" && apt-get download -q -o APT::Sandbox::User=root "$name=$version"); }
    # A fresh machine may have no package lists yet: update them once, then try again.
    if ! download; then
      [ -e "$CACHE/.apt-updated" ] || { apt-get update -qq && touch "$CACHE/.apt-updated"; }
      download || die "apt-get download $name=$version failed: that version is no longer on the mirror? \
image/update-lock.sh pins the versions the mirror has now (then make image)"
    fi
    deb=$(ls "$CACHE/debs/${name}_$(echo "$version" | sed 's/:/%3a/')_"*.deb | head -1)
  fi
  if [ ! -e "$CACHE/pkgs/$name/.unpacked" ] || [ "$deb" -nt "$CACHE/pkgs/$name/.unpacked" ]; then
    rm -rf "$CACHE/pkgs/$name"
    mkdir -p "$CACHE/pkgs/$name"
    dpkg -x "$deb" "$CACHE/pkgs/$name"
    touch "$CACHE/pkgs/$name/.unpacked"
  fi
done
