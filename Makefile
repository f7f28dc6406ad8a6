# rpmvault — see README.md. `make demo` and `make test` work on a fresh machine.
GO          ?= go
# CentOS 6 runs kernel 2.6.32; Go 1.23 is the last release whose binaries run there.
TARGET_GO   ?= go1.23.12
FUZZTIME    ?= 10s
APT_PACKAGES = rpm createrepo-c dnf python3-solv gnupg gnupg1 cpio rpm2cpio dash gcc curl xz-utils bzip2 graphviz chromium
VERSION     ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
REVISION    ?= $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS      = -s -w -X main.version=$(VERSION) -X main.revision=$(REVISION)

.PHONY: all build host-build target-binary deps test unit fuzz lint demo bench clean

all: build

# bin/rpmvault is the static go1.23.12 build: the binary bundles carry by
# default (bundle ships the running executable), which must run on CentOS 6
# (kernel 2.6.32, no glibc needed). `make host-build` is the host Go's.
build:
	GOTOOLCHAIN=$(TARGET_GO) CGO_ENABLED=0 $(GO) build -trimpath -ldflags='$(LDFLAGS)' -o bin/rpmvault ./cmd/rpmvault
	@GOTOOLCHAIN=$(TARGET_GO) $(GO) version bin/rpmvault

host-build:
	$(GO) build -trimpath -ldflags='$(LDFLAGS)' -o bin/rpmvault-host ./cmd/rpmvault

# The same static build under the name older scripts use.
target-binary: build
	cp bin/rpmvault bin/rpmvault-el6

# The real tools the tests and the demo drive: rpm, createrepo_c, dnf, libsolv, gpg1;
# Graphviz's dot lays out the report's graph, headless chromium checks the page.
deps:
	@missing=; for t in rpm rpmsign createrepo_c dnf gpg1 cpio dash gcc curl xz bzip2 dot chromium; do \
	  command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	/usr/bin/python3 -c 'import solv' 2>/dev/null || missing="$$missing python3-solv"; \
	if [ -n "$$missing" ]; then \
	  echo "installing missing tools:$$missing"; \
	  sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  $$sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q $(APT_PACKAGES); \
	fi

lint:
	@unformatted=$$(gofmt -l .); if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	GOTOOLCHAIN=$(TARGET_GO) $(GO) vet ./...

# The S3 store's tests run against a real SeaweedFS: .ci/seaweedfs.sh builds
# its weed once per version (cached beside GOCACHE) and prints the path.
# (Not RPMVAULT_*: rpmvault refuses environment settings it does not know.)
WEED_ENV = SEAWEEDFS_WEED="$${SEAWEEDFS_WEED:-$$(./.ci/seaweedfs.sh)}"

unit:
	$(WEED_ENV) $(GO) test -count=1 ./...
	$(GO) test -count=1 -tags demo -run '^TestDemo$$' ./cmd/rpmvault

# Every fuzz target runs briefly: hostile input must never panic.
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) .ci/fuzz.sh

test: deps lint target-binary unit fuzz

# The demo runs a static go1.23.12 binary, which is also what it bundles.
# Only this build (-tags demo) carries the fixture world; releases do not.
demo: deps
	GOTOOLCHAIN=$(TARGET_GO) CGO_ENABLED=0 $(GO) build -tags demo -trimpath -ldflags='$(LDFLAGS)' -o bin/rpmvault-demo ./cmd/rpmvault
	bin/rpmvault-demo demo

# Go benchmarks of the hot paths, then rpmvault beside dnf and libsolv on a
# generated 60,000-package repo and mirroring 1 GiB beside curl, in one report.
bench: deps build
	$(GO) test -run='^$$' -bench=. -skip=Mirror1GiB -benchmem ./...
	$(WEED_ENV) $(GO) run ./bench -rpmvault bin/rpmvault

clean:
	rm -rf bin
