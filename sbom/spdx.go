package sbom

import (
	"bytes"
	"fmt"
	"regexp"
	"time"

	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx/v2/common"
	spdx "github.com/spdx/tools-golang/spdx/v2/v2_3"
)

// SPDX encodes the BOM as SPDX 2.3 JSON.
func (b *BOM) SPDX() ([]byte, error) {
	doc := &spdx.Document{
		SPDXVersion: spdx.Version, DataLicense: spdx.DataLicense, SPDXIdentifier: "DOCUMENT",
		DocumentName:      b.Name,
		DocumentNamespace: "urn:uuid:" + b.Serial,
		CreationInfo: &spdx.CreationInfo{
			Creators: []common.Creator{{CreatorType: "Tool", Creator: "rpmvault"}},
			Created:  b.Created.Format(time.RFC3339),
		},
	}
	ids := map[string]common.ElementID{}
	used := map[common.ElementID]bool{}
	licenses := map[string]string{} // RPM licence tag -> LicenseRef id
	for _, c := range b.Components {
		id := common.ElementID("Package-" + idChars.ReplaceAllString(c.NEVRA, "-"))
		for n := 2; used[id]; n++ {
			id = common.ElementID(fmt.Sprintf("Package-%s-%d", idChars.ReplaceAllString(c.NEVRA, "-"), n))
		}
		used[id], ids[c.NEVRA] = true, id
		p := &spdx.Package{
			PackageName: c.Name, PackageSPDXIdentifier: id, PackageVersion: c.VersionString(),
			PackageFileName:         fmt.Sprintf("%s-%s-%s.%s.rpm", c.Name, c.Version, c.Release, c.Arch),
			PackageDownloadLocation: "NOASSERTION", FilesAnalyzed: false,
			PackageChecksums: []common.Checksum{{Algorithm: common.SHA256, Value: c.SHA256}},
			PackageHomePage:  c.Homepage, PackageSummary: c.Summary,
			PackageLicenseConcluded: "NOASSERTION", PackageLicenseDeclared: "NOASSERTION", PackageCopyrightText: "NOASSERTION",
			PackageSupplier: &common.Supplier{Supplier: "NOASSERTION"},
			PackageExternalReferences: []*spdx.PackageExternalReference{
				{Category: common.CategoryPackageManager, RefType: common.TypePackageManagerPURL, Locator: c.PURL()},
			},
		}
		if c.URL != "" {
			p.PackageDownloadLocation = c.URL
		}
		if c.Vendor != "" {
			p.PackageSupplier = &common.Supplier{Supplier: c.Vendor, SupplierType: "Organization"}
		}
		if c.SourceRPM != "" {
			p.PackageSourceInfo = "built from source RPM " + c.SourceRPM
		}
		if c.License != "" {
			// RPM licence tags are not SPDX expressions: each becomes a
			// LicenseRef whose extracted text is the tag itself.
			ref, ok := licenses[c.License]
			if !ok {
				ref = fmt.Sprintf("LicenseRef-rpm-%d", len(licenses)+1)
				licenses[c.License] = ref
				doc.OtherLicenses = append(doc.OtherLicenses, &spdx.OtherLicense{LicenseIdentifier: ref, ExtractedText: c.License,
					LicenseName: c.License, LicenseComment: "the License tag of the RPM header"})
			}
			p.PackageLicenseDeclared = ref
		}
		doc.Packages = append(doc.Packages, p)
		doc.Relationships = append(doc.Relationships, &spdx.Relationship{
			RefA: common.MakeDocElementID("", "DOCUMENT"), RefB: common.MakeDocElementID("", string(id)), Relationship: common.TypeRelationshipDescribe})
	}
	for _, c := range b.Components {
		for _, to := range b.DependsOn[c.NEVRA] {
			doc.Relationships = append(doc.Relationships, &spdx.Relationship{
				RefA: common.MakeDocElementID("", string(ids[c.NEVRA])), RefB: common.MakeDocElementID("", string(ids[to])),
				Relationship: common.TypeRelationshipDependsOn})
		}
	}
	var out bytes.Buffer
	if err := spdxjson.Write(doc, &out, spdxjson.Indent("  "), spdxjson.EscapeHTML(false)); err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return out.Bytes(), nil
}

// idChars are the characters an SPDX id may not hold.
var idChars = regexp.MustCompile(`[^A-Za-z0-9.-]`)
