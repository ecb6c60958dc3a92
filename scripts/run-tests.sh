#!/usr/bin/env bash
# Runs the named test tiers one after another and ends with one line
# "tests: N passed, M failed, K skipped" summing all of them; exits non-zero if any failed.
# Tiers: types (tsc) and format (prettier --check), one test each; unit (no root), netns (root),
# ipvs (the generic netlink socket on the host kernel, and the director's kernel port in a qemu
# guest of the appliance's kernel; as root it builds the image first, as the image tier does),
# browser (the status page in headless Chromium), image (root: builds out/tandem.img with
# `make image` first, then boots it under qemu): directories under test/, run by bun's test
# runner and counted from its JUnit report (scripts/junit-summary.ts), not from its console text.
set -u
cd "$(dirname "$0")/.."
BUN=node_modules/.bin/bun
# The files `make format` rewrites; .prettierignore keeps fixtures out.
FORMAT_PATHS=(src test scripts)
total_pass=0 total_fail=0 total_skip=0
image_built=
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A check that is one test: passes when the command exits 0, else prints what it said.
run_check() {
  local tier=$1
  shift
  echo "== tier $tier: $*"
  if "$@" >"$work/$tier.out" 2>&1; then
    echo "tier $tier: passed"
    total_pass=$((total_pass + 1))
  else
    cat "$work/$tier.out"
    echo "tier $tier: failed ($1 exited non-zero, see above)" >&2
    total_fail=$((total_fail + 1))
  fi
}

for tier in "$@"; do
  case "$tier" in
    types) run_check types node_modules/.bin/tsc --noEmit -p tsconfig.json; continue ;;
    format) run_check format node_modules/.bin/prettier --check "${FORMAT_PATHS[@]}"; continue ;;
  esac
  dir="test/$tier"
  mapfile -t files < <(find "$dir" -name '*.test.ts' 2>/dev/null | sort)
  if [ ${#files[@]} -eq 0 ]; then
    echo "== tier $tier: no tests"
    continue
  fi
  echo "== tier $tier"
  if { [ "$tier" = image ] || [ "$tier" = ipvs ]; } && [ "$(id -u)" = 0 ]; then
    # The image's inputs include pinned Debian packages: a build that fails (say, a version
    # gone from the mirror) is a failed test, reported here, and the other tiers still count.
    # Built once for both tiers that boot it (make would find nothing to do the second time).
    if [ -z "$image_built" ]; then
      if make --no-print-directory image; then image_built=yes; else image_built=failed; fi
    fi
    if [ "$image_built" = failed ]; then
      echo "tier $tier: make image failed (see above); its tests did not run" >&2
      total_fail=$((total_fail + 1))
      continue
    fi
  fi
  if [ "$tier" = browser ] && [ ! -x /usr/bin/chromium ]; then
    echo "tier browser: /usr/bin/chromium is missing (apt-get install chromium); its Chromium tests are skipped"
  fi
  report="$work/$tier.xml"
  # bun runs the files of a tier one after another in one process; its console output stays
  # as it was, the report is what counts.
  "$BUN" test "./$dir" --reporter=junit --reporter-outfile="$report" 2>&1
  status=$?
  # Prints "PASSED FAILED SKIPPED"; if the summary itself breaks, the tier counts as failed.
  pass= fail= skip=
  read -r pass fail skip < <("$BUN" scripts/junit-summary.ts "$tier" "$report" "$status" "${files[@]}") || true
  if ! [[ "${pass:-}" =~ ^[0-9]+$ && "${fail:-}" =~ ^[0-9]+$ && "${skip:-}" =~ ^[0-9]+$ ]]; then
    echo "tier $tier: scripts/junit-summary.ts could not count the report" >&2
    pass=0 fail=1 skip=0
  fi
  echo "tier $tier: $pass passed, $fail failed, $skip skipped"
  total_pass=$((total_pass + pass)) total_fail=$((total_fail + fail)) total_skip=$((total_skip + skip))
done

echo "tests: $total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
