#!/bin/sh
# rpmvault bundle installer. Needs only sh, sha256sum and rpm (rpm 4.8 and
# later): verify every checksum, check the whole transaction with
# `rpm -U --test`, then apply it. Nothing is changed unless every check passes.
#
# usage: sh install.sh [--root DIR] [--import-keys]
# Keys in keys/ are imported into the rpmdb only with --import-keys: the
# bundle's maker controls them, so trusting them is the user's decision.
set -u

die() {
	echo "install.sh: $*" >&2
	exit "${code:-1}"
}

root=
import_keys=
while [ $# -gt 0 ]; do
	case "$1" in
	--root) [ $# -ge 2 ] || die "--root needs a directory"; root=$2; shift 2 ;;
	--root=*) root=${1#--root=}; shift ;;
	--import-keys) import_keys=yes; shift ;;
	-h|--help) echo "usage: sh install.sh [--root DIR] [--import-keys]"; exit 0 ;;
	*) code=2 die "unknown argument: $1 (usage: sh install.sh [--root DIR] [--import-keys])" ;;
	esac
done

here=$(cd "$(dirname "$0")" && pwd) || die "cannot find the bundle directory"
cd "$here" || die "cannot enter $here"

for tool in sha256sum rpm; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool is required but not installed"
done

echo "install.sh: verifying checksums of every file in the bundle"
# Nothing is written beside the bundle, which may be on read-only media (a
# CD or ISO): sha256sum's report is kept in a variable, not a file.
if ! sums=$(sha256sum -c SHA256SUMS 2>&1); then
	printf '%s\n' "$sums" | while IFS= read -r line; do
		case "$line" in *': OK') ;; *) echo "$line" >&2 ;; esac
	done
	code=4 die "checksum verification failed: the bundle is damaged or was changed; nothing was installed"
fi

set --
if [ -n "$root" ]; then
	set -- --root "$root"
fi

# The plan, in install order: "STEP NEVRA FILE" per line. Packages already
# installed at exactly that version are skipped.
files=
while read -r step nevra file; do
	case "$step" in ''|'#'*) continue ;; esac
	[ -f "$file" ] || code=4 die "$file is listed in plan.txt but missing"
	if rpm "$@" -q "$nevra" >/dev/null 2>&1; then
		echo "install.sh: $nevra is already installed"
		continue
	fi
	files="$files $file"
done < plan.txt

if [ -z "$files" ]; then
	echo "install.sh: everything in the bundle is already installed"
	exit 0
fi

echo "install.sh: checking the transaction with rpm --test"
# shellcheck disable=SC2086 # file names are rpm-generated and contain no spaces
rpm "$@" -U --test $files || code=5 die "rpm --test failed (see above): nothing was installed"

if [ -n "$import_keys" ]; then
	for key in keys/*; do
		[ -f "$key" ] && { rpm "$@" --import "$key" || die "cannot import $key"; }
	done
fi

echo "install.sh: installing"
# shellcheck disable=SC2086
rpm "$@" -Uvh $files || die "rpm -U failed (see above)"
echo "install.sh: done"
