package sbom

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	rpmutils "github.com/sassoftware/go-rpmutils"

	"github.com/rpmvault/rpmvault/graph"
	"github.com/rpmvault/rpmvault/internal/rpmfile"
	"github.com/rpmvault/rpmvault/lock"
	"github.com/rpmvault/rpmvault/resolver"
)

// The file names of the documents in a bundle.
const (
	CycloneDXFile = "sbom.cdx.json"
	SPDXFile      = "sbom.spdx.json"
	// SourcesDir is the bundle directory of the source RPMs.
	SourcesDir = "sources"
)

// BOM is what both documents say: the bundle's RPMs and who requires whom.
type BOM struct {
	Name       string // the manifest's name
	Serial     string // a UUID (version 5) named by the lock's packages and their sha256
	Created    time.Time
	Components []Component // in the lock's install order
	// DependsOn lists, by NEVRA, the components whose provides meet each
	// component's requirements.
	DependsOn map[string][]string
}

// Component is one RPM.
type Component struct {
	NEVRA                               string
	Name                                string
	Epoch                               int
	Version, Release, Arch              string
	SHA256                              string
	Size                                int64
	License, Vendor, Packager, Homepage string
	Summary, SourceRPM, URL, Repo       string
	Requested                           bool
}

// PURL is the component's package URL in canonical form,
// pkg:rpm/centos/NAME@VERSION-RELEASE?arch=ARCH&distro=centos-6&epoch=E
// (qualifiers sorted by key, as the purl spec's canonical form has them, so
// tools that compare purls as strings match ours; the epoch always, 0
// included, so the purl names the exact EVR; the distro from the release's
// elN tag, when it has one).
func (c Component) PURL() string {
	q := "arch=" + url.QueryEscape(c.Arch)
	if d := distro(c.Release); d != "" {
		q += "&distro=" + d
	}
	q += fmt.Sprintf("&epoch=%d", c.Epoch)
	return "pkg:rpm/centos/" + purlEscape(c.Name) + "@" + purlEscape(c.Version+"-"+c.Release) + "?" + q
}

// VersionString is [epoch:]version-release, as rpm prints it.
func (c Component) VersionString() string {
	return resolver.EVR{Epoch: c.Epoch, Version: c.Version, Release: c.Release}.String()
}

var elTag = regexp.MustCompile(`(?:^|\.)el(\d+)`)

// distro names the CentOS release a package was built for from its
// release's elN tag ("1.el6_6" -> "centos-6").
func distro(release string) string {
	if m := elTag.FindStringSubmatch(release); m != nil {
		return "centos-" + m[1]
	}
	return ""
}

func purlEscape(s string) string {
	return strings.NewReplacer("%", "%25", "@", "%40", "?", "%3F", "#", "%23", " ", "%20", "/", "%2F").Replace(s)
}

// FromBundle reads the BOM of a bundle directory: the lock's packages and
// the headers of their RPMs under rpms/. The caller has verified the RPMs
// against the lock (bundle.Verify does), so the lock's sha256 are theirs.
func FromBundle(dir string, l *lock.Lock) (*BOM, error) {
	b := &BOM{Name: l.RPMVault.Manifest, DependsOn: map[string][]string{}}
	records := map[string]*resolver.Package{}
	var latest int64
	for _, p := range l.Packages() {
		c := Component{NEVRA: p.NEVRA(), Name: p.Name, Epoch: p.Epoch, Version: p.Version, Release: p.Release, Arch: p.Arch,
			SHA256: p.SHA256(), Size: p.Size, SourceRPM: p.SourceRPM, URL: p.URL, Repo: p.RepoID}
		if c.SHA256 == "" {
			return nil, fmt.Errorf("%s has no sha256 in the lock", c.NEVRA)
		}
		rec, built, err := readHeader(filepath.Join(dir, "rpms", p.FileName()), &c)
		if err != nil {
			return nil, err
		}
		records[c.NEVRA] = rec
		latest = max(latest, built)
		b.Components = append(b.Components, c)
	}
	// The source RPMs (resolve --source), under sources/, after the
	// binaries: components of arch src, which nothing depends on.
	var srcs []Component
	for _, p := range l.Sources() {
		c := Component{NEVRA: p.NEVRA(), Name: p.Name, Epoch: p.Epoch, Version: p.Version, Release: p.Release, Arch: p.Arch,
			SHA256: p.SHA256(), Size: p.Size, URL: p.URL, Repo: p.RepoID}
		if c.SHA256 == "" {
			return nil, fmt.Errorf("source %s has no sha256 in the lock", c.NEVRA)
		}
		_, built, err := readHeader(filepath.Join(dir, SourcesDir, p.FileName()), &c)
		if err != nil {
			return nil, err
		}
		latest = max(latest, built)
		srcs = append(srcs, c)
	}
	g := graph.Build(l, records)
	requested := map[string]bool{}
	for _, n := range g.Nodes {
		requested[n.ID] = n.Requested
	}
	for i := range b.Components {
		b.Components[i].Requested = requested[b.Components[i].NEVRA]
	}
	for _, e := range g.Edges {
		b.DependsOn[e.From] = append(b.DependsOn[e.From], e.To)
	}
	b.Components = append(b.Components, srcs...)
	// The documents' creation time is the newest build time of what they
	// describe (the reproducible-builds convention), not the clock.
	b.Created = time.Unix(latest, 0).UTC()
	b.Serial = serial(l)
	return b, nil
}

// readHeader fills c from the RPM's header and returns its dependency
// record and build time.
func readHeader(path string, c *Component) (*resolver.Package, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	pkg, err := rpmfile.Read(f)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	h := pkg.Header
	fromHeader := resolver.PackageFromHeader
	if pkg.Raw.Source {
		fromHeader = resolver.SourceFromHeader
	}
	rec, err := fromHeader(h)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	if rec.NEVRA() != c.NEVRA {
		return nil, 0, fmt.Errorf("%s: header says %s, the lock %s", filepath.Base(path), rec.NEVRA(), c.NEVRA)
	}
	tag := func(t int) string {
		if !h.HasTag(t) {
			return ""
		}
		s, _ := h.GetString(t)
		return strings.TrimSpace(s)
	}
	c.License, c.Vendor, c.Packager, c.Homepage, c.Summary = tag(rpmutils.LICENSE), tag(rpmutils.VENDOR), tag(rpmutils.PACKAGER), tag(rpmutils.URL), tag(rpmutils.SUMMARY)
	if c.SourceRPM == "" {
		c.SourceRPM = rec.SourceRPM
	}
	var built int64
	if h.HasTag(rpmutils.BUILDTIME) {
		if v, err := h.GetInts(rpmutils.BUILDTIME); err == nil && len(v) > 0 {
			built = int64(v[0])
		}
	}
	return rec, built, nil
}

// serial is a version 5 UUID named by the lock's packages and their sha256:
// the same lock always gets the same serial, another lock another one.
func serial(l *lock.Lock) string {
	var names []string
	for _, p := range append(l.Packages(), l.Sources()...) {
		names = append(names, p.NEVRA()+" "+p.Checksum)
	}
	sort.Strings(names)
	sum := sha256.Sum256([]byte(l.RPMVault.Manifest + "\n" + strings.Join(names, "\n")))
	// RFC 4122 §4.3 over the URL namespace, with the digest as the name.
	ns := []byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}
	h := sha1.Sum(append(ns, []byte(fmt.Sprintf("urn:rpmvault:lock:%x", sum))...))
	u := h[:16]
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// Write writes both documents into the bundle directory dir.
func Write(dir string, l *lock.Lock) error {
	b, err := FromBundle(dir, l)
	if err != nil {
		return fmt.Errorf("sbom: %w", err)
	}
	docs, err := b.documents()
	if err != nil {
		return err
	}
	for _, name := range []string{CycloneDXFile, SPDXFile} {
		if err := os.WriteFile(filepath.Join(dir, name), docs[name], 0o644); err != nil {
			return err
		}
	}
	return nil
}

func (b *BOM) documents() (map[string][]byte, error) {
	cdx, err := b.CycloneDX()
	if err != nil {
		return nil, fmt.Errorf("sbom: CycloneDX: %w", err)
	}
	spdx, err := b.SPDX()
	if err != nil {
		return nil, fmt.Errorf("sbom: SPDX: %w", err)
	}
	return map[string][]byte{CycloneDXFile: cdx, SPDXFile: spdx}, nil
}

// MismatchError is a bundle's SBOM that does not describe its RPMs.
type MismatchError struct {
	File   string
	Detail string
}

func (e *MismatchError) Error() string { return e.File + ": " + e.Detail }

// Verify checks that the bundle directory's documents are exactly what its
// lock and RPMs give: every component, hash, licence and relation.
func Verify(dir string, l *lock.Lock) error {
	b, err := FromBundle(dir, l)
	if err != nil {
		return fmt.Errorf("sbom: %w", err)
	}
	want, err := b.documents()
	if err != nil {
		return err
	}
	for _, name := range []string{CycloneDXFile, SPDXFile} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) {
			return &MismatchError{File: name, Detail: "is missing (every bundle carries its SBOM)"}
		}
		if err != nil {
			return err
		}
		if !bytes.Equal(got, want[name]) {
			return &MismatchError{File: name, Detail: "does not describe the bundle's RPMs: " + firstDifference(got, want[name])}
		}
	}
	return nil
}

// firstDifference names the first line where got departs from want.
func firstDifference(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) && i < len(w); i++ {
		if g[i] != w[i] {
			return fmt.Sprintf("line %d is %q, the RPMs give %q", i+1, strings.TrimSpace(g[i]), strings.TrimSpace(w[i]))
		}
	}
	return fmt.Sprintf("%d lines, the RPMs give %d", len(g), len(w))
}
