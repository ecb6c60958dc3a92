#!/usr/bin/env bash
# Runs the named test tiers (directories under test/) with bun's test runner, one tier
# after another, and ends with one line "tests: N passed, M failed" summing all of them.
# Exits non-zero if any test failed or a tier's runner itself failed.
# Tiers: unit (no root), netns (root), browser (the status page in headless Chromium),
# image (root: builds out/tandem.img with `make image` first, then boots it under qemu).
set -u
cd "$(dirname "$0")/.."
BUN=node_modules/.bin/bun
total_pass=0 total_fail=0 total_skip=0 broken=0

for tier in "$@"; do
  dir="test/$tier"
  if ! find "$dir" -name '*.test.ts' 2>/dev/null | grep -q .; then
    echo "== tier $tier: no tests"
    continue
  fi
  echo "== tier $tier"
  if [ "$tier" = image ] && [ "$(id -u)" = 0 ]; then
    # The image's inputs include pinned Debian packages: a build that fails (say, a version
    # gone from the mirror) is a failed test, reported here, and the other tiers still count.
    if ! make --no-print-directory image; then
      echo "tier image: make image failed (see above); its tests did not run" >&2
      total_fail=$((total_fail + 1))
      continue
    fi
  fi
  if [ "$tier" = browser ] && [ ! -x /usr/bin/chromium ]; then
    echo "tier browser: /usr/bin/chromium is missing (apt-get install chromium); its Chromium tests are skipped"
  fi
  log=$(mktemp)
  # bun runs the files of a tier one after another in one process.
  "$BUN" test "./$dir" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  pass=$(grep -Eo '^ *[0-9]+ pass$' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
  fail=$(grep -Eo '^ *[0-9]+ fail$' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
  skip=$(grep -Eo '^ *[0-9]+ skip$' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
  rm -f "$log"
  total_pass=$((total_pass + pass)) total_fail=$((total_fail + fail)) total_skip=$((total_skip + skip))
  if [ "$status" -ne 0 ] && [ "$fail" -eq 0 ]; then
    echo "tier $tier: the test runner exited $status without reporting a failed test" >&2
    broken=1
    total_fail=$((total_fail + 1))
  fi
done

echo "tests: $total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ] && [ "$broken" -eq 0 ]
