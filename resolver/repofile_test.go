package resolver

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const centosBase = `# CentOS-Base.repo, as shipped with CentOS 6 and pointed at the vault
[main]
cachedir=/var/cache/yum

[base]
name=CentOS-$releasever - Base
baseurl=http://vault.centos.org/$releasever/os/$basearch/
        http://mirror.local/centos/$releasever/os/$basearch/
gpgcheck=1
gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-6

[updates]
name=CentOS-$releasever - Updates
mirrorlist=http://mirrorlist.centos.org/?release=$releasever&arch=$basearch&repo=updates
gpgcheck=0
priority=10

[centosplus]
baseurl=http://vault.centos.org/$releasever/centosplus/$basearch/
enabled=0
`

func TestParseRepoFile(t *testing.T) {
	repos, err := ParseRepoFile(strings.NewReader(centosBase), YumVars("6.6", "x86_64", nil))
	if err != nil {
		t.Fatal(err)
	}
	want := []FileRepo{
		{Repo: Repo{ID: "base", BaseURLs: []string{"http://vault.centos.org/6.6/os/x86_64/", "http://mirror.local/centos/6.6/os/x86_64/"},
			GPGKeys: []string{"file:///etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-6"}, GPGCheck: true, Priority: 99, Exclude: []string{}, IncludePkgs: []string{}}, Enabled: true},
		{Repo: Repo{ID: "updates", Mirrorlist: "http://mirrorlist.centos.org/?release=6.6&arch=x86_64&repo=updates", BaseURLs: []string{}, GPGKeys: []string{}, Priority: 10, Exclude: []string{}, IncludePkgs: []string{}}, Enabled: true},
		{Repo: Repo{ID: "centosplus", BaseURLs: []string{"http://vault.centos.org/6.6/centosplus/x86_64/"}, GPGKeys: []string{}, GPGCheck: true, Priority: 99, Exclude: []string{}, IncludePkgs: []string{}}},
	}
	if !reflect.DeepEqual(repos, want) {
		t.Errorf("got  %+v\nwant %+v", repos, want)
	}
	for _, bad := range []string{"baseurl=x\n", "[a]\nnonsense\n", "[a]\nname=x\n", "[a]\nbaseurl=/x\npriority=high\n", "[a]\nbaseurl=/x\nenabled=maybe\n"} {
		if _, err := ParseRepoFile(strings.NewReader(bad), YumVars("6", "x86_64", nil)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestManifestReadsRepoFiles(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "CentOS-Base.repo"), []byte(centosBase), 0o644)
	os.WriteFile(filepath.Join(dir, "m.yaml"), []byte("name: x\nreleasever: \"6.5\"\nrepofiles: [CentOS-Base.repo]\ninstall: [docker-engine]\n"), 0o644)
	m, err := LoadManifest(filepath.Join(dir, "m.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	src := m.Sources()
	if len(src) != 2 || src[0].BaseURLs[0] != "http://vault.centos.org/6.5/os/x86_64/" {
		t.Errorf("sources %+v", src)
	}
}
