package resolver_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/resolver"
	"github.com/rpmvault/rpmvault/resolver/rpmmd"
)

func readAll(t *testing.T, read func(io.Reader, string, func(*resolver.Package) error) error, data []byte) []resolver.Package {
	t.Helper()
	var out []resolver.Package
	if err := read(bytes.NewReader(data), "r", func(p *resolver.Package) error { out = append(out, *p); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// metadataOf returns a repo's metadata file of the given kind ("primary",
// "filelists"), uncompressed.
func metadataOf(t testing.TB, repo, kind string) []byte {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(repo, "repodata", "*"+kind+".xml*"))
	if len(m) != 1 {
		t.Fatalf("no %s in %s", kind, repo)
	}
	f, err := os.Open(m[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := rpmmd.Decompress(f, m[0], 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestScannerAgreesWithEncodingXML reads real metadata (ours, createrepo_c's
// and a generated repo) with the fast scanner and with encoding/xml.
func TestScannerAgreesWithEncodingXML(t *testing.T) {
	dir := t.TempDir()
	w, err := fixtures.BuildWorld(filepath.Join(dir, "world"), fixtures.WorldOptions{})
	if err != nil {
		t.Fatal(err)
	}
	repos := []string{filepath.Join(w.Root, "vault/6.6/os/x86_64"), filepath.Join(w.Root, "vault/6.5/os/x86_64")}
	if _, err := fixtures.GenerateLargeRepo(filepath.Join(dir, "large"), fixtures.LargeRepoOptions{Seed: 3, Packages: 1500, Files: 4}); err != nil {
		t.Fatal(err)
	}
	repos = append(repos, filepath.Join(dir, "large"))
	if _, err := exec.LookPath("createrepo_c"); err == nil {
		out := filepath.Join(dir, "createrepo")
		os.MkdirAll(out, 0o755)
		if b, err := exec.Command("createrepo_c", "-q", "-o", out, repos[0]).CombinedOutput(); err != nil {
			t.Fatalf("%v %s", err, b)
		}
		repos = append(repos, out)
	}
	for _, repo := range repos {
		data := metadataOf(t, repo, "primary")
		fast, std := readAll(t, resolver.ReadPrimary, data), readAll(t, resolver.ReadPrimaryStd, data)
		if len(fast) == 0 || !reflect.DeepEqual(fast, std) {
			t.Errorf("%s: scanner and encoding/xml disagree (%d vs %d packages)", repo, len(fast), len(std))
			for i := range fast {
				if i < len(std) && !reflect.DeepEqual(fast[i], std[i]) {
					t.Errorf("first difference:\n fast %+v\n std  %+v", fast[i], std[i])
					break
				}
			}
		}
	}
}

// TestChecksumTypeNames: both readers name a package's checksum type as
// the rest of rpmvault does, whatever case or old spelling createrepo
// wrote ("sha" in repos of the CentOS 5 era); a lock refuses "sha:".
func TestChecksumTypeNames(t *testing.T) {
	for _, tt := range []struct{ written, want string }{
		{"sha", "sha1"}, {"SHA", "sha1"}, {"sha1", "sha1"}, {"SHA256", "sha256"}, {"sha256", "sha256"}, {"Sha512", "sha512"},
	} {
		var doc strings.Builder
		doc.WriteString(`<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="2">`)
		// Two packages, so the reader's memory of the last type is used.
		for _, name := range []string{"a", "b"} {
			fmt.Fprintf(&doc, `<package type="rpm"><name>%s</name><arch>noarch</arch><version epoch="0" ver="1" rel="1"/>`+
				`<checksum type="%s" pkgid="YES">ab</checksum><location href="%s.rpm"/><format/></package>`, name, tt.written, name)
		}
		doc.WriteString(`</metadata>`)
		data := []byte(doc.String())
		fast, std := readAll(t, resolver.ReadPrimary, data), readAll(t, resolver.ReadPrimaryStd, data)
		if len(fast) != 2 || !reflect.DeepEqual(fast, std) {
			t.Fatalf("type %q: readers disagree:\n fast %+v\n std  %+v", tt.written, fast, std)
		}
		for _, p := range fast {
			if p.Checksum.Type != tt.want {
				t.Errorf("type %q read as %q, want %q", tt.written, p.Checksum.Type, tt.want)
			}
		}
	}
}

func TestScannerXMLDetails(t *testing.T) {
	const doc = `<?xml version="1.0" encoding="UTF-8"?>
<!-- a comment -->
<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="1">
<package type="rpm">
  <name>a&amp;b</name>
  <arch>noarch</arch>
  <version epoch='1' ver="2&#46;0" rel="3"/>
  <checksum type="sha256" pkgid="YES">AB</checksum>
  <summary><![CDATA[x < y]]></summary>
  <location href="Packages/a&amp;b.rpm"/>
  <format>
    <rpm:requires><rpm:entry name="c &gt; d" flags="GE" epoch="0" ver="1"/></rpm:requires>
    <file>/usr/bin/a&#x26;b</file>
    <file type="dir">/etc/a</file>
  </format>
</package>
</metadata>`
	fast := readAll(t, resolver.ReadPrimary, []byte(doc))
	std := readAll(t, resolver.ReadPrimaryStd, []byte(doc))
	if !reflect.DeepEqual(fast, std) || len(fast) != 1 {
		t.Fatalf("fast %+v\nstd  %+v", fast, std)
	}
	p := fast[0]
	if p.Name != "a&b" || p.EVR.String() != "1:2.0-3" || p.Requires[0].Name != "c > d" || p.Files[0] != "/usr/bin/a&b" || p.Location != "Packages/a&b.rpm" {
		t.Errorf("decoded %+v", p)
	}
	for _, bad := range []string{
		`<metadata><package><name>a</name></metadata>`,
		`<metadata><package><name>a</package></metadata>`,
		`<metadata><package><name x=1>a</name></package></metadata>`,
		`<metadata><package><name>&bogus;</name></package></metadata>`,
		`<metadata><package><name>a</name>`,
	} {
		err := resolver.ReadPrimary(strings.NewReader(bad), "r", func(*resolver.Package) error { return nil })
		if err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

// FuzzScannerAgreesWithEncodingXML: whenever both readers accept an input,
// they must decode the same packages.
func FuzzScannerAgreesWithEncodingXML(f *testing.F) {
	f.Add(`<metadata><package><name>a&amp;b</name><arch>noarch</arch><version epoch="0" ver="1" rel="1"/><location href="a.rpm"/><format><rpm:provides><rpm:entry name="a" flags="EQ" ver="1"/></rpm:provides><file>/x</file></format></package></metadata>`)
	f.Fuzz(func(t *testing.T, doc string) {
		var fast, std []resolver.Package
		errFast := resolver.ReadPrimary(strings.NewReader(doc), "r", func(p *resolver.Package) error { fast = append(fast, *p); return nil })
		errStd := resolver.ReadPrimaryStd(strings.NewReader(doc), "r", func(p *resolver.Package) error { std = append(std, *p); return nil })
		if errFast == nil && errStd == nil && !reflect.DeepEqual(fast, std) {
			t.Fatalf("readers disagree on %q:\n fast %+v\n std  %+v", doc, fast, std)
		}
	})
}
