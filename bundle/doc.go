// Package bundle is rpmvault's bundle format: one deterministic .tar.gz with
// the RPMs of a lock, yum repodata over them, the lock and install plan, the
// repos' keys, its SBOM (CycloneDX and SPDX, see package sbom),
// SHA256SUMS, a static rpmvault and a POSIX install.sh. It
// writes, extracts (refusing hostile archives) and verifies bundles.
package bundle
