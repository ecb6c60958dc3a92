#!/bin/sh
# Re-pins image/packages.lock to the versions Debian's mirror offers now (apt-get update,
# then each package's candidate), e.g. when a security update has replaced the pinned
# kernel and `make image` can no longer download it. The kernel package's name carries
# its ABI (linux-image-6.1.0-NN-amd64): it follows linux-image-amd64's dependency. Prints
# what changed; review the diff, then `make image` and the image tier.
set -eu
. "$(dirname "$0")/common.sh"
lock=$IMAGE_DIR/packages.lock
apt-get update -qq
candidate() { apt-cache policy "$1" | sed -n 's/^ *Candidate: //p'; }
kernel=$(apt-cache depends linux-image-amd64 | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -1)
[ -n "$kernel" ] || die "cannot find the kernel linux-image-amd64 depends on"
tmp=$lock.new
while IFS= read -r line; do
  case "$line" in
    ''|\#*) printf '%s\n' "$line"; continue ;;
  esac
  name=${line%%=*}
  case "$name" in linux-image-*-amd64) name=$kernel ;; esac
  version=$(candidate "$name")
  [ -n "$version" ] && [ "$version" != "(none)" ] || die "the mirror has no $name"
  printf '%s=%s\n' "$name" "$version"
done <"$lock" >"$tmp"
if cmp -s "$lock" "$tmp"; then
  rm -f "$tmp"
  echo "update-lock: packages.lock already pins the mirror's versions"
else
  diff "$lock" "$tmp" || true
  mv "$tmp" "$lock"
  echo "update-lock: packages.lock updated"
fi
