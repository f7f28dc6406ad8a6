package sbom

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/lock"
)

// bundleDir lays out rpms/ of three real RPMs (docker-engine requires
// libcgroup by name and /bin/sh by file) and the lock that pins them.
func bundleDir(t *testing.T) (string, *lock.Lock) {
	t.Helper()
	dir := t.TempDir()
	rpms := filepath.Join(dir, "rpms")
	if err := os.MkdirAll(rpms, 0o755); err != nil {
		t.Fatal(err)
	}
	l := &lock.Lock{LockfileVersion: 1, LockfileVendor: lock.Vendor}
	l.RPMVault.Manifest, l.RPMVault.Steps = "docker-engine-1.7.1-el6", 3
	arch := lock.Arch{Arch: "x86_64"}
	for i, s := range []fixtures.Spec{
		{Name: "bash", Version: "4.1.2", Release: "29.el6", License: "GPLv3+", Summary: "The GNU Bourne Again shell",
			Files: []fixtures.File{{Path: "/bin/bash", Body: []byte("#!bash"), Mode: 0o755}, {Path: "/bin/sh", LinkTo: "bash"}}},
		{Name: "libcgroup", Version: "0.40.rc1", Release: "15.el6_6", License: "LGPLv2+", Requires: []string{"/bin/sh"}},
		{Name: "docker-engine", Epoch: 2, Version: "1.7.1", Release: "1.el6", License: "ASL 2.0", Requires: []string{"libcgroup", "/bin/sh"}},
	} {
		path, err := fixtures.WriteRPM(rpms, s)
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		reason := "required by docker-engine-2:1.7.1-1.el6.x86_64"
		if s.Name == "docker-engine" {
			reason = "requested"
		}
		evr := s.Version + "-" + s.Release
		if s.Epoch > 0 {
			evr = "2:" + evr
		}
		arch.Packages = append(arch.Packages, lock.Package{URL: "https://vault.centos.org/6.6/os/x86_64/Packages/" + filepath.Base(path),
			RepoID: "base", Size: int64(len(data)), Checksum: "sha256:" + hex.EncodeToString(sum[:]), Name: s.Name, EVR: evr,
			Epoch: s.Epoch, Version: s.Version, Release: s.Release, Arch: "x86_64", Action: "install", Reason: reason, Step: i + 1})
	}
	l.Arches = []lock.Arch{arch}
	return dir, l
}

func schema(t *testing.T, id string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	files, err := filepath.Glob("testdata/schema/*.json")
	if err != nil || len(files) != 4 {
		t.Fatalf("vendored schemas: %v %v", files, err)
	}
	for _, f := range files {
		r, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(r)
		r.Close()
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if err := c.AddResource(doc.(map[string]any)["$id"].(string), doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	s, err := c.Compile(id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validate(t *testing.T, s *jsonschema.Schema, data []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(inst)
}

// TestSchemasBite makes sure the vendored schemas reject what they should,
// so a pass of rpmvault's documents means something.
func TestSchemasBite(t *testing.T) {
	cdx := schema(t, "http://cyclonedx.org/schema/bom-1.5.schema.json")
	spdx := schema(t, "http://spdx.org/rdf/terms/2.3")
	for _, tt := range []struct {
		name string
		s    *jsonschema.Schema
		doc  string
	}{
		{"cdx component type", cdx, `{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"type":"nonsense","name":"x"}]}`},
		{"cdx serial", cdx, `{"bomFormat":"CycloneDX","specVersion":"1.5","serialNumber":"42"}`},
		{"spdx no creationInfo", spdx, `{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","name":"x","dataLicense":"CC0-1.0","documentNamespace":"urn:x"}`},
		{"spdx package without downloadLocation", spdx, `{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","name":"x","dataLicense":"CC0-1.0","documentNamespace":"urn:x","creationInfo":{"created":"2015-01-01T00:00:00Z","creators":["Tool: x"]},"packages":[{"SPDXID":"SPDXRef-a","name":"a"}]}`},
	} {
		if validate(t, tt.s, []byte(tt.doc)) == nil {
			t.Errorf("%s: an invalid document validates", tt.name)
		}
	}
}

// TestDocumentsValidate checks both documents against the official
// CycloneDX 1.5 and SPDX 2.3 schemas, and what they say.
func TestDocumentsValidate(t *testing.T) {
	dir, l := bundleDir(t)
	if err := Write(dir, l); err != nil {
		t.Fatal(err)
	}
	cdxData, _ := os.ReadFile(filepath.Join(dir, CycloneDXFile))
	spdxData, _ := os.ReadFile(filepath.Join(dir, SPDXFile))
	t.Run("CycloneDX 1.5", func(t *testing.T) {
		if err := validate(t, schema(t, "http://cyclonedx.org/schema/bom-1.5.schema.json"), cdxData); err != nil {
			t.Fatalf("sbom.cdx.json does not validate against CycloneDX 1.5: %v", err)
		}
		var doc struct {
			SpecVersion  string `json:"specVersion"`
			SerialNumber string `json:"serialNumber"`
			Components   []struct {
				Name, Version, Purl string
				Hashes              []struct{ Alg, Content string }
				Licenses            []struct{ License struct{ Name string } }
				Supplier            struct{ Name string }
				Properties          []struct{ Name, Value string }
			}
			Dependencies []struct {
				Ref       string
				DependsOn []string
			}
		}
		if err := json.Unmarshal(cdxData, &doc); err != nil {
			t.Fatal(err)
		}
		if doc.SpecVersion != "1.5" || !strings.HasPrefix(doc.SerialNumber, "urn:uuid:") || len(doc.Components) != 3 {
			t.Fatalf("spec %s serial %s, %d components", doc.SpecVersion, doc.SerialNumber, len(doc.Components))
		}
		docker := doc.Components[2]
		if docker.Purl != "pkg:rpm/centos/docker-engine@1.7.1-1.el6?arch=x86_64&distro=centos-6&epoch=2" || docker.Version != "2:1.7.1-1.el6" {
			t.Errorf("docker-engine: purl %s version %s", docker.Purl, docker.Version)
		}
		if len(docker.Licenses) != 1 || docker.Licenses[0].License.Name != "ASL 2.0" || docker.Supplier.Name != "rpmvault fixtures" {
			t.Errorf("docker-engine: licences %+v supplier %+v", docker.Licenses, docker.Supplier)
		}
		if docker.Hashes[0].Alg != "SHA-256" || "sha256:"+docker.Hashes[0].Content != l.Arches[0].Packages[2].Checksum {
			t.Errorf("docker-engine hash %+v", docker.Hashes)
		}
		var src string
		for _, p := range docker.Properties {
			if p.Name == "rpmvault:sourcerpm" {
				src = p.Value
			}
		}
		if src != "docker-engine-1.7.1-1.el6.src.rpm" {
			t.Errorf("source rpm %q", src)
		}
		deps := map[string][]string{}
		for _, d := range doc.Dependencies {
			deps[d.Ref] = d.DependsOn
		}
		want := []string{"pkg:rpm/centos/bash@4.1.2-29.el6?arch=x86_64&distro=centos-6&epoch=0",
			"pkg:rpm/centos/libcgroup@0.40.rc1-15.el6_6?arch=x86_64&distro=centos-6&epoch=0"}
		if got := deps[docker.Purl]; strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("docker-engine depends on %v, want %v", got, want)
		}
		if got := deps["bundle:docker-engine-1.7.1-el6"]; len(got) != 1 || got[0] != docker.Purl {
			t.Errorf("the bundle depends on %v, want the requested docker-engine", got)
		}
	})
	t.Run("SPDX 2.3", func(t *testing.T) {
		if err := validate(t, schema(t, "http://spdx.org/rdf/terms/2.3"), spdxData); err != nil {
			t.Fatalf("sbom.spdx.json does not validate against SPDX 2.3: %v", err)
		}
		var doc struct {
			SPDXVersion string `json:"spdxVersion"`
			Packages    []struct {
				SPDXID, Name, VersionInfo, LicenseDeclared, Supplier, SourceInfo string
				Checksums                                                        []struct{ Algorithm, ChecksumValue string }
				ExternalRefs                                                     []struct{ ReferenceType, ReferenceLocator string }
			}
			HasExtractedLicensingInfos []struct{ LicenseID, ExtractedText string }
			Relationships              []struct{ SpdxElementID, RelationshipType, RelatedSpdxElement string }
		}
		if err := json.Unmarshal(spdxData, &doc); err != nil {
			t.Fatal(err)
		}
		if doc.SPDXVersion != "SPDX-2.3" || len(doc.Packages) != 3 {
			t.Fatalf("%s, %d packages", doc.SPDXVersion, len(doc.Packages))
		}
		docker := doc.Packages[2]
		if docker.ExternalRefs[0].ReferenceType != "purl" || !strings.HasPrefix(docker.ExternalRefs[0].ReferenceLocator, "pkg:rpm/centos/docker-engine@1.7.1-1.el6?") ||
			docker.Supplier != "Organization: rpmvault fixtures" || docker.SourceInfo != "built from source RPM docker-engine-1.7.1-1.el6.src.rpm" {
			t.Errorf("docker-engine: %+v", docker)
		}
		licence := map[string]string{}
		for _, x := range doc.HasExtractedLicensingInfos {
			licence[x.LicenseID] = x.ExtractedText
		}
		if licence[docker.LicenseDeclared] != "ASL 2.0" {
			t.Errorf("docker-engine licence %s = %q", docker.LicenseDeclared, licence[docker.LicenseDeclared])
		}
		var describes, dependsOn int
		for _, r := range doc.Relationships {
			switch r.RelationshipType {
			case "DESCRIBES":
				describes++
			case "DEPENDS_ON":
				dependsOn++
			}
		}
		// docker-engine -> libcgroup, bash; libcgroup -> bash.
		if describes != 3 || dependsOn != 3 {
			t.Errorf("%d DESCRIBES, %d DEPENDS_ON; want 3 and 3", describes, dependsOn)
		}
	})
}

// TestDeterministicAndVerified writes the documents twice (same bytes),
// verifies them, and refuses documents that do not match the RPMs.
func TestDeterministicAndVerified(t *testing.T) {
	dir, l := bundleDir(t)
	if err := Write(dir, l); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(filepath.Join(dir, SPDXFile))
	firstCDX, _ := os.ReadFile(filepath.Join(dir, CycloneDXFile))
	if err := Write(dir, l); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(filepath.Join(dir, SPDXFile))
	secondCDX, _ := os.ReadFile(filepath.Join(dir, CycloneDXFile))
	if !bytes.Equal(first, second) || !bytes.Equal(firstCDX, secondCDX) {
		t.Fatal("two writes of one lock differ")
	}
	if err := Verify(dir, l); err != nil {
		t.Fatalf("verify: %v", err)
	}
	tests := []struct {
		name, file string
		tamper     func(path string)
	}{
		{"licence edited", CycloneDXFile, func(p string) { replaceIn(t, p, `"name": "ASL 2.0"`, `"name": "MIT"`) }},
		{"hash edited", SPDXFile, func(p string) { replaceIn(t, p, l.Arches[0].Packages[0].SHA256(), strings.Repeat("0", 64)) }},
		{"missing", SPDXFile, func(p string) { os.Remove(p) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, l := bundleDir(t)
			if err := Write(dir, l); err != nil {
				t.Fatal(err)
			}
			tt.tamper(filepath.Join(dir, tt.file))
			err := Verify(dir, l)
			var m *MismatchError
			if !errors.As(err, &m) || m.File != tt.file {
				t.Fatalf("got %v, want a mismatch in %s", err, tt.file)
			}
		})
	}
}

func replaceIn(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(old)) {
		t.Fatalf("%s does not contain %q", path, old)
	}
	if err := os.WriteFile(path, bytes.Replace(data, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestPURL(t *testing.T) {
	for _, tt := range []struct {
		c    Component
		want string
	}{
		{Component{Name: "tar", Epoch: 2, Version: "1.23", Release: "11.el6", Arch: "x86_64"}, "pkg:rpm/centos/tar@1.23-11.el6?arch=x86_64&distro=centos-6&epoch=2"},
		{Component{Name: "setup", Version: "2.8.14", Release: "20.el6_4.1", Arch: "noarch"}, "pkg:rpm/centos/setup@2.8.14-20.el6_4.1?arch=noarch&distro=centos-6&epoch=0"},
		{Component{Name: "docker-engine", Version: "1.7.1", Release: "1", Arch: "x86_64"}, "pkg:rpm/centos/docker-engine@1.7.1-1?arch=x86_64&epoch=0"},
		{Component{Name: "libstdc++", Version: "4.4.7", Release: "11.el6", Arch: "x86_64"}, "pkg:rpm/centos/libstdc++@4.4.7-11.el6?arch=x86_64&distro=centos-6&epoch=0"},
	} {
		if got := tt.c.PURL(); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.c.Name, got, tt.want)
		}
	}
}
