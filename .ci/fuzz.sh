#!/usr/bin/env bash
# Runs every Fuzz target of the module for FUZZTIME each.
#
# A duration -fuzztime can end in "context deadline exceeded" with no failing
# input: a race in Go's fuzz coordinator at the deadline (go.dev/issue/75804,
# fixed in go1.27, present in go1.26.x). A real failure always writes its
# input under testdata/fuzz/NAME/, so a run fails when go test fails and
# either wrote a new input or failed for any other reason.
set -uo pipefail
cd "$(dirname "$0")/.."
go=${GO:-go}
fuzztime=${FUZZTIME:-10s}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

for f in $(grep -rlE '^func Fuzz' --include='*_test.go' .); do
  dir=$(dirname "$f")
  for name in $(sed -nE 's/^func (Fuzz[A-Za-z0-9_]+)\(.*/\1/p' "$f"); do
    echo "fuzz $dir $name ($fuzztime)"
    corpus="$dir/testdata/fuzz/$name"
    before=$(ls "$corpus" 2>/dev/null | sort)
    if "$go" test -run='^$' -fuzz="^$name\$" -fuzztime="$fuzztime" "$dir" 2>&1 | tee "$log"; then
      continue
    fi
    after=$(ls "$corpus" 2>/dev/null | sort)
    if [ "$before" = "$after" ] &&
      [ "$(grep -c -- '--- FAIL' "$log")" = 1 ] &&
      grep -qx '    context deadline exceeded' "$log"; then
      echo "fuzz $dir $name: no failing input; the deadline race of go.dev/issue/75804, not a finding"
      continue
    fi
    echo "fuzz $dir $name failed; its input, if any, is under $corpus" >&2
    exit 1
  done
done
