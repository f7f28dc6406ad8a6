// Package sbom describes a bundle's RPMs as software bills of materials:
// CycloneDX 1.5 JSON (sbom.cdx.json) and SPDX 2.3 JSON (sbom.spdx.json).
// Each RPM is a component with its package URL, sha256, licence, vendor
// and source RPM read from its header, and the requirement edges between
// the RPMs are its dependency relations. Both documents are a function of
// the bundle's lock and RPMs alone — no clock, no random serial — so two
// bundles of one lock stay byte-identical, and Verify can check a bundle's
// documents by writing them again.
package sbom
