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
	if !l.Foreign() || strings.Join(l.RPMVault.Install, ",") != "setup,tar" || len(l.RPMVault.Repos) != 1 || l.RPMVault.Repos[0].GPGCheck {
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
	if got := l.Packages(); got[0].Name != "setup" || got[1].Name != "tar" {
		t.Errorf("a lock without steps keeps its URL order: %v", got)
	}
}
