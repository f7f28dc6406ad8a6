package lock

import (
	"strings"
	"testing"
)

// rpmsLock is rpm-lockfile-prototype's rpms.lock.yaml shape, by hand.
const rpmsLock = `---
lockfileVersion: 1
lockfileVendor: redhat
arches:
- arch: x86_64
  packages:
  - url: https://vault.centos.org/6.6/os/x86_64/Packages/setup-2.8.14-20.el6_4.1.noarch.rpm
    repoid: base
    size: 148000
    checksum: sha256:` + "1111111111111111111111111111111111111111111111111111111111111111" + `
    name: setup
    evr: 2.8.14-20.el6_4.1
    sourcerpm: setup-2.8.14-20.el6_4.1.src.rpm
  - url: https://vault.centos.org/6.6/os/x86_64/Packages/tar-1.23-11.el6.x86_64.rpm
    repoid: base
    size: 810000
    checksum: sha256:` + "2222222222222222222222222222222222222222222222222222222222222222" + `
    name: tar
    evr: 2:1.23-11.el6
    sourcerpm: tar-1.23-11.el6.src.rpm
  source:
  - url: https://vault.centos.org/6.6/os/Source/SPackages/tar-1.23-11.el6.src.rpm
    repoid: base-source
    size: 2000000
    checksum: sha256:` + "3333333333333333333333333333333333333333333333333333333333333333" + `
    name: tar
    evr: 2:1.23-11.el6
  module_metadata:
  - url: https://example.invalid/repodata/modules.yaml.gz
    repoid: appstream
    size: 1234
    checksum: sha256:` + "4444444444444444444444444444444444444444444444444444444444444444" + `
`

func TestParsePrototypeLock(t *testing.T) {
	l, err := Parse([]byte(rpmsLock))
	if err != nil {
		t.Fatal(err)
	}
	if !l.Foreign() || strings.Join(l.RPMVault.Install, ",") != "setup,tar" || len(l.RPMVault.Repos) != 2 || l.RPMVault.Repos[0].GPGCheck ||
		l.RPMVault.Repos[1].ID != "base-source" || !l.RPMVault.Repos[1].Source {
		t.Errorf("foreign %v install %v repos %+v", l.Foreign(), l.RPMVault.Install, l.RPMVault.Repos)
	}
	a := l.Arches[0]
	for _, tt := range []struct {
		p                  Package
		epoch              int
		version, rel, arch string
	}{
		{a.Packages[0], 0, "2.8.14", "20.el6_4.1", "noarch"},
		{a.Packages[1], 2, "1.23", "11.el6", "x86_64"},
		{a.Source[0], 2, "1.23", "11.el6", "src"},
	} {
		if tt.p.Epoch != tt.epoch || tt.p.Version != tt.version || tt.p.Release != tt.rel || tt.p.Arch != tt.arch {
			t.Errorf("%s: %d:%s-%s.%s", tt.p.URL, tt.p.Epoch, tt.p.Version, tt.p.Release, tt.p.Arch)
		}
	}
	if len(a.ModuleMetadata) != 1 || a.ModuleMetadata[0].RepoID != "appstream" {
		t.Errorf("module_metadata %+v", a.ModuleMetadata)
	}
	if src := l.Sources(); len(src) != 1 || src[0].NEVRA() != "tar-2:1.23-11.el6.src" || src[0].SHA256() == "" {
		t.Errorf("sources %+v", src)
	}
	if got := l.Packages(); got[0].Name != "setup" || got[1].Name != "tar" {
		t.Errorf("a lock without steps keeps its URL order: %v", got)
	}
}

// TestPrototypeLockOfSeveralArches: the prototype writes one section per
// arch and lists a noarch package under each; SelectArch keeps one.
func TestPrototypeLockOfSeveralArches(t *testing.T) {
	two := rpmsLock + `- arch: aarch64
  packages:
  - url: https://example.invalid/aarch64/Packages/setup-2.8.14-20.el6_4.1.noarch.rpm
    repoid: base-aarch64
    size: 148000
    checksum: sha256:` + strings.Repeat("1", 64) + `
    name: setup
    evr: 2.8.14-20.el6_4.1
    sourcerpm: setup-2.8.14-20.el6_4.1.src.rpm
`
	l, err := Parse([]byte(two))
	if err != nil {
		t.Fatalf("a lock of two arches is refused: %v", err)
	}
	if got := strings.Join(l.ArchNames(), ","); got != "x86_64,aarch64" {
		t.Errorf("arches %s", got)
	}
	if err := l.SelectArch("ppc64le"); err == nil || !strings.Contains(err.Error(), "x86_64, aarch64") {
		t.Errorf("a missing arch: %v", err)
	}
	if err := l.SelectArch("aarch64"); err != nil {
		t.Fatal(err)
	}
	if len(l.Packages()) != 1 || len(l.RPMVault.Repos) != 1 || l.RPMVault.Repos[0].ID != "base-aarch64" || strings.Join(l.RPMVault.Install, ",") != "setup" {
		t.Errorf("after SelectArch: packages %v repos %+v install %v", l.Packages(), l.RPMVault.Repos, l.RPMVault.Install)
	}
	for name, bad := range map[string]string{
		"one package twice in one section": strings.Replace(rpmsLock, "  source:\n", "  - url: https://x/setup-2.8.14-20.el6_4.1.noarch.rpm\n    name: setup\n    evr: 2.8.14-20.el6_4.1\n    checksum: sha256:"+strings.Repeat("1", 64)+"\n  source:\n", 1),
		"one arch in two sections":         rpmsLock + "- arch: x86_64\n  packages: []\n",
	} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}

// TestUnpinnedChecksumLeftOut: a package without a checksum yet is written
// without the key, never as checksum: "" (Hermeto splits a checksum that
// is there into algorithm and digest).
func TestUnpinnedChecksumLeftOut(t *testing.T) {
	l := &Lock{LockfileVersion: 1, LockfileVendor: Vendor, Arches: []Arch{{Arch: "x86_64", Packages: []Package{
		{URL: "https://get.docker.com/rpm/1.7.1/centos-6/RPMS/x86_64/docker-engine-1.7.1-1.el6.x86_64.rpm", RepoID: "docker",
			Size: 1, Name: "docker-engine", EVR: "1.7.1-1.el6", Version: "1.7.1", Release: "1.el6", Arch: "x86_64"}}}}}
	l.RPMVault.Manifest = "m"
	data, err := l.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "checksum") {
		t.Errorf("an unpinned package has a checksum key:\n%s", data)
	}
	if _, err := Parse(data); err != nil {
		t.Errorf("read back: %v", err)
	}
}
