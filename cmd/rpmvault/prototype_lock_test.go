package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/lock"
)

// prototypeLock writes pkgs as konflux's rpm-lockfile-prototype writes
// rpms.lock.yaml (its documented format, by hand: no rpmvault key, arch
// only per section, sorted by URL, source and module_metadata lists).
func prototypeLock(pkgs []lock.Package) []byte {
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].URL < pkgs[j].URL })
	var b bytes.Buffer
	b.WriteString("---\nlockfileVersion: 1\nlockfileVendor: redhat\narches:\n- arch: x86_64\n  packages:\n")
	for _, p := range pkgs {
		fmt.Fprintf(&b, "  - url: %s\n    repoid: %s\n    size: %d\n    checksum: %s\n    name: %s\n    evr: %s\n    sourcerpm: %s\n",
			p.URL, p.RepoID, p.Size, p.Checksum, p.Name, p.EVR, p.SourceRPM)
	}
	b.WriteString("  source: []\n  module_metadata: []\n")
	// A lock for several arches has a section each, and lists a noarch
	// package under every one of them.
	b.WriteString("- arch: aarch64\n  packages:\n")
	for _, p := range pkgs {
		if strings.HasSuffix(p.URL, ".noarch.rpm") {
			fmt.Fprintf(&b, "  - url: %s\n    repoid: %s\n    size: %d\n    checksum: %s\n    name: %s\n    evr: %s\n    sourcerpm: %s\n",
				strings.ReplaceAll(p.URL, "x86_64", "aarch64"), p.RepoID, p.Size, p.Checksum, p.Name, p.EVR, p.SourceRPM)
		}
	}
	b.WriteString("  source: []\n  module_metadata: []\n")
	return b.Bytes()
}

// TestPrototypeLockDrivesMirrorAndBundle: an rpms.lock.yaml in
// rpm-lockfile-prototype's exact shape (two arch sections, noarch packages
// in both) is mirrored and bundled as is, for its x86_64 section, and the
// bundle installs with real rpm. The lock's packages are the fixture
// world's docker closure, pinned by a mirror run first.
func TestPrototypeLockDrivesMirrorAndBundle(t *testing.T) {
	fixtures.NeedTool(t, "rpm")
	_, maps := fixtureWorld(t)
	dir := t.TempDir()
	ours := filepath.Join(dir, "ours.lock.yaml")
	if code, _, stderr := rpmvault(t, append([]string{"mirror", "-m", shippedManifest, "--lock", ours, "--store", filepath.Join(dir, "pin")}, maps...)...); code != 0 {
		t.Fatalf("mirror -m: exit %d: %s", code, stderr)
	}
	pinned, err := lock.Read(ours)
	if err != nil {
		t.Fatal(err)
	}
	proto := filepath.Join(dir, "rpms.lock.yaml")
	text := prototypeLock(pinned.Packages())
	if err := os.WriteFile(proto, text, 0o644); err != nil {
		t.Fatal(err)
	}
	parsed, err := lock.Read(proto)
	if err != nil {
		t.Fatalf("the prototype's lock is refused: %v", err)
	}
	for _, p := range parsed.Packages() {
		if p.Name == "tar" && (p.Epoch != 2 || p.Version != "1.23" || p.Release != "11.el6" || p.Arch != "x86_64") {
			t.Errorf("tar from evr %q: %d:%s-%s.%s", p.EVR, p.Epoch, p.Version, p.Release, p.Arch)
		}
		if p.Name == "setup" && p.Arch != "noarch" {
			t.Errorf("noarch setup in the x86_64 section read as %s", p.Arch)
		}
	}

	store := filepath.Join(dir, "store")
	code, _, stderr := rpmvault(t, append([]string{"mirror", "--lock", proto, "--store", store}, maps...)...)
	if code != 0 || !strings.Contains(stderr, "no rpmvault section") {
		t.Fatalf("mirror --lock rpms.lock.yaml: exit %d: %s", code, stderr)
	}
	if after, _ := os.ReadFile(proto); !bytes.Equal(after, text) {
		t.Errorf("mirror rewrote another tool's lockfile")
	}
	b := filepath.Join(dir, "docker.tar.gz")
	if code, _, stderr := rpmvault(t, append([]string{"bundle", "--lock", proto, "--store", store, "-o", b, "--binary", os.Args[0]}, maps...)...); code != 0 {
		t.Fatalf("bundle --lock rpms.lock.yaml: exit %d: %s", code, stderr)
	}
	root := t.TempDir()
	if code, stdout, stderr := rpmvault(t, append([]string{"install", b, "--root", root}, lockAnchor(t, b)...)...); code != 0 {
		t.Fatalf("install: exit %d\n%s%s", code, stdout, stderr)
	}
	assertInstalledCleanly(t, root, "docker-engine-1.7.1-1.el6.x86_64", "setup-2.8.14-20.el6_4.1.noarch", "tar-1.23-11.el6.x86_64")

	// A package the prototype's lock leaves without sha256 cannot be trusted.
	firstSum := regexp.MustCompile(`checksum: sha256:[0-9a-f]{64}`).FindIndex(text)
	bad := append(append(append([]byte(nil), text[:firstSum[0]]...), "checksum: sha1:0000000000000000000000000000000000000000"...), text[firstSum[1]:]...)
	os.WriteFile(proto, bad, 0o644)
	if code, _, stderr := rpmvault(t, "mirror", "--lock", proto, "--store", store); code == 0 || !strings.Contains(stderr, "must pin every package by sha256") {
		t.Errorf("a foreign lock without sha256: exit %d: %s", code, stderr)
	}
}

// TestOurLockKeepsThePrototypeFormat: every key rpm-lockfile-prototype's
// rpms.lock.yaml has is in ours, with the same YAML type, so tools that
// read that format (Hermeto, the prototype itself) read our locks.
func TestOurLockKeepsThePrototypeFormat(t *testing.T) {
	_, maps := fixtureWorld(t)
	dir := t.TempDir()
	resolved := filepath.Join(dir, "resolved.lock.yaml")
	if code, _, stderr := rpmvault(t, append([]string{"resolve", "-m", shippedManifest, "--lock", resolved, "--store", filepath.Join(dir, "store")}, maps...)...); code != 0 {
		t.Fatalf("resolve: exit %d: %s", code, stderr)
	}
	// Before mirror pins it, a header-only package (docker-engine) has no
	// checksum: the key is left out, as Hermeto splits one that is there
	// at ':' into algorithm and digest.
	resolvedData, err := os.ReadFile(resolved)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`(?m)^\s*checksum:.*$`).FindAllString(string(resolvedData), -1) {
		if !regexp.MustCompile(`checksum: (sha256:[0-9a-f]{64}|sha1:[0-9a-f]{40})$`).MatchString(m) {
			t.Errorf("resolve --lock wrote %q, which Hermeto cannot split into algorithm:digest", strings.TrimSpace(m))
		}
	}
	// Pinned by mirror, every package has every key of the prototype's.
	ourFile := filepath.Join(dir, "docker.lock.yaml")
	if code, _, stderr := rpmvault(t, append([]string{"mirror", "-m", shippedManifest, "--no-abi", "--lock", ourFile, "--store", filepath.Join(dir, "store")}, maps...)...); code != 0 {
		t.Fatalf("mirror -m: exit %d: %s", code, stderr)
	}
	ourData, err := os.ReadFile(ourFile)
	if err != nil {
		t.Fatal(err)
	}
	theirs := prototypeLock([]lock.Package{{URL: "https://x/a-1-1.noarch.rpm", RepoID: "r", Size: 1, Checksum: "sha256:" + strings.Repeat("a", 64), Name: "a", EVR: "1-1", SourceRPM: "a-1-1.src.rpm"}})
	var ourDoc, theirDoc yaml.Node
	if err := yaml.Unmarshal(ourData, &ourDoc); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(theirs, &theirDoc); err != nil {
		t.Fatal(err)
	}
	// sameShape checks that every key of want is in got with the same
	// YAML type, recursing into mappings and the first item of sequences.
	var sameShape func(where string, want, got *yaml.Node)
	sameShape = func(where string, want, got *yaml.Node) {
		if want.Kind == yaml.DocumentNode {
			want, got = want.Content[0], got.Content[0]
		}
		if want.Kind != got.Kind || (want.Kind == yaml.ScalarNode && want.Tag != got.Tag) {
			t.Errorf("%s: ours is %v %s, the prototype's %v %s", where, got.Kind, got.Tag, want.Kind, want.Tag)
			return
		}
		switch want.Kind {
		case yaml.MappingNode:
			for i := 0; i < len(want.Content); i += 2 {
				key := want.Content[i].Value
				var found *yaml.Node
				for j := 0; j < len(got.Content); j += 2 {
					if got.Content[j].Value == key {
						found = got.Content[j+1]
					}
				}
				if found == nil {
					t.Errorf("%s: our lock lacks %q", where, key)
					continue
				}
				sameShape(where+"."+key, want.Content[i+1], found)
			}
		case yaml.SequenceNode:
			if len(want.Content) > 0 && len(got.Content) > 0 {
				sameShape(where+"[0]", want.Content[0], got.Content[0])
			}
		}
	}
	sameShape("", &theirDoc, &ourDoc)
	l, err := lock.Parse(ourData)
	if err != nil {
		t.Fatal(err)
	}
	var urls []string
	for _, p := range l.Arches[0].Packages {
		urls = append(urls, p.URL)
		if p.Step == 0 || p.Reason == "" {
			t.Errorf("%s lost its step or reason", p.NEVRA())
		}
	}
	if !sort.StringsAreSorted(urls) {
		t.Errorf("our lock's packages are not sorted by URL: %v", urls)
	}
}
