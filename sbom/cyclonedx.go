package sbom

import (
	"bytes"
	"fmt"
	"strconv"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// CycloneDX encodes the BOM as CycloneDX 1.5 JSON.
func (b *BOM) CycloneDX() ([]byte, error) {
	bom := cdx.NewBOM()
	bom.SerialNumber = "urn:uuid:" + b.Serial
	root := "bundle:" + b.Name
	bom.Metadata = &cdx.Metadata{
		Timestamp: b.Created.Format(time.RFC3339),
		Tools:     &cdx.ToolsChoice{Components: &[]cdx.Component{{Type: cdx.ComponentTypeApplication, Name: "rpmvault"}}},
		Component: &cdx.Component{BOMRef: root, Type: cdx.ComponentTypeApplication, Name: b.Name,
			Description: "an rpmvault bundle: the RPMs of one lock and their dependency closure"},
	}
	comps := make([]cdx.Component, 0, len(b.Components))
	refs := map[string]string{}
	var roots []string
	for _, c := range b.Components {
		ref := c.PURL()
		refs[c.NEVRA] = ref
		if c.Requested {
			roots = append(roots, ref)
		}
		comp := cdx.Component{
			BOMRef: ref, Type: cdx.ComponentTypeLibrary, Name: c.Name, Version: c.VersionString(), PackageURL: ref,
			Description: c.Summary, Publisher: c.Vendor,
			Hashes: &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: c.SHA256}},
		}
		if c.Vendor != "" {
			comp.Supplier = &cdx.OrganizationalEntity{Name: c.Vendor}
		}
		if c.License != "" {
			// RPM licence tags are Fedora's short names ("GPLv2+"), not
			// SPDX expressions: they go in as names.
			comp.Licenses = &cdx.Licenses{{License: &cdx.License{Name: c.License}}}
		}
		var ext []cdx.ExternalReference
		if c.URL != "" {
			ext = append(ext, cdx.ExternalReference{Type: cdx.ERTypeDistribution, URL: c.URL})
		}
		if c.Homepage != "" {
			ext = append(ext, cdx.ExternalReference{Type: cdx.ERTypeWebsite, URL: c.Homepage})
		}
		if len(ext) > 0 {
			comp.ExternalReferences = &ext
		}
		props := []cdx.Property{{Name: "rpmvault:repo", Value: c.Repo}, {Name: "rpmvault:size", Value: strconv.FormatInt(c.Size, 10)}}
		if c.SourceRPM != "" {
			props = append(props, cdx.Property{Name: "rpmvault:sourcerpm", Value: c.SourceRPM})
		}
		if c.Packager != "" {
			props = append(props, cdx.Property{Name: "rpmvault:packager", Value: c.Packager})
		}
		comp.Properties = &props
		comps = append(comps, comp)
	}
	bom.Components = &comps
	deps := []cdx.Dependency{{Ref: root, Dependencies: &roots}}
	for _, c := range b.Components {
		on := []string{}
		for _, to := range b.DependsOn[c.NEVRA] {
			on = append(on, refs[to])
		}
		deps = append(deps, cdx.Dependency{Ref: refs[c.NEVRA], Dependencies: &on})
	}
	bom.Dependencies = &deps
	var out bytes.Buffer
	enc := cdx.NewBOMEncoder(&out, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	enc.SetEscapeHTML(false)
	if err := enc.EncodeVersion(bom, cdx.SpecVersion1_5); err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return out.Bytes(), nil
}
