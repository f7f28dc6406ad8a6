#!/usr/bin/env bash
# Builds SeaweedFS's `weed` (the S3 server the store tests run against) once
# per pinned version into a cache directory beside GOCACHE, and prints its path.
# Reruns reuse the cached binary. The module cache is read-only and its
# go.mod carries replace directives (so `go install mod@ver` refuses it), hence
# the copy into a temp dir and a plain `go build` there.
set -euo pipefail
GO=${GO:-go}
mod=github.com/seaweedfs/seaweedfs
ver=${SEAWEEDFS_VERSION:-v0.0.0-20261109003541-7506e5f91cd6}
cache="$("$GO" env GOCACHE)/../rpmvault-seaweedfs/$ver"
bin="$cache/weed"
if [ -x "$bin" ]; then echo "$bin"; exit 0; fi
dir=$(GOFLAGS=-mod=mod "$GO" mod download -json "$mod@$ver" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -d "$dir" ] || { echo "seaweedfs.sh: go mod download $mod@$ver gave no directory" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
cp -r "$dir" "$tmp/src"
chmod -R u+w "$tmp/src"
mkdir -p "$cache"
(cd "$tmp/src" && CGO_ENABLED=0 GOFLAGS=-mod=mod "$GO" build -trimpath -ldflags='-s -w' -o "$tmp/weed" ./weed) >&2
mv "$tmp/weed" "$bin.tmp.$$" && mv "$bin.tmp.$$" "$bin"
echo "$bin"
