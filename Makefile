# Tandem build and test entry points. `make test` is the one CI runs (.ci/run).
BUN := node_modules/.bin/bun
SRC := $(shell find src -name '*.ts' -o -name '*.js')

.PHONY: all build test test-unit test-netns test-ipvs test-browser test-image image image-tools bench bench-ipvs demo demo-netns check-types check-format format deps clean

all: build

node_modules/.bin/bun: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps: node_modules/.bin/bun

# --bytecode: the runtime loads compiled bytecode instead of parsing the bundle; every child
# process starts faster (under TCG, a large share of a child's start).
dist/tandem: $(SRC) node_modules/.bin/bun
	@mkdir -p dist
	$(BUN) build --compile --bytecode src/main.ts --outfile dist/tandem

build: dist/tandem

# Every tier; ends with one line "tests: N passed, M failed" and fails if M > 0. types (tsc)
# and format (prettier --check) count as one test each. The image tier builds the image first
# (as root; a failed build counts as a failed test).
test: deps build
	bash scripts/run-tests.sh types format unit netns ipvs browser image

test-unit: deps
	bash scripts/run-tests.sh unit

test-netns: deps build
	bash scripts/run-tests.sh netns

# The generic netlink socket on the host kernel, and the director's kernel port on the
# appliance's kernel in a qemu guest (TCG; one boot): needs out/vmlinux + out/initramfs.zst
# (built first as root, or from $TANDEM_IMAGE_DIR); skipped without qemu or an image.
test-ipvs: deps build
	bash scripts/run-tests.sh ipvs

# The status page in headless Chromium (apt chromium); skips itself without /usr/bin/chromium.
test-browser: deps
	bash scripts/run-tests.sh browser

# The appliance: out/tandem.img (the disk to flash) and out/vmlinux + out/initramfs.zst (a
# direct qemu boot) from pinned Debian packages (image/packages.lock) and dist/tandem.
# Rebuilt only when one of its inputs changed. The build tools come from apt when missing
# (scripts/install-image-tools.sh).
IMAGE_INPUTS := dist/tandem $(shell find image overlay -type f ! -name README.md)

out/tandem.img: $(IMAGE_INPUTS)
	sh scripts/install-image-tools.sh
	sh image/build.sh

image-tools:
	sh scripts/install-image-tools.sh

image: out/tandem.img

# Boots the image under qemu (TCG): one box, the disk, the pair; root.
test-image: deps build
	bash scripts/run-tests.sh image

check-types: deps
	bash scripts/run-tests.sh types

# prettier, set up by .prettierrc and .prettierignore; `format` rewrites the files that the
# format tier checks (FORMAT_PATHS in scripts/run-tests.sh).
check-format: deps
	bash scripts/run-tests.sh format

format: deps
	node_modules/.bin/prettier --write --log-level warn src test scripts

bench: deps build
	$(BUN) test/bench/run.ts

# The IPVS director beside ipvsadm -R and keepalived in one qemu guest of the image (slow: TCG).
bench-ipvs: deps
	nice $(BUN) test/bench/ipvs-director.ts

# The health checks: tandem's on one core of the host (netns, root), then beside keepalived's
# checker in one qemu guest of the image (TCG); waits for a quiet machine. ~25 minutes.
bench-checks: deps
	nice $(BUN) test/bench/checks.ts

# The main job: two appliances under qemu from out/tandem.img, status pages on
# 127.0.0.1:8081 and :8082 (root).
demo: deps build image-tools image
	bash scripts/demo.sh

# The same pair as plain processes in network namespaces: no image, starts in a second.
demo-netns: deps build
	bash scripts/demo-netns.sh

clean:
	rm -rf dist out
