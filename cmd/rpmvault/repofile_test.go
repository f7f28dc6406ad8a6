package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rpmvault/rpmvault/lock"
)

// stockRepos is where CentOS 6's and EPEL 6's .repo files are, as shipped.
var stockRepos, _ = filepath.Abs("testdata/yum.repos.d")

const dockerRepo = `  - id: docker
    packages: [https://get.docker.com/rpm/1.7.1/centos-6/RPMS/x86_64/docker-engine-1.7.1-1.el6.x86_64.rpm]
    gpgkey: https://get.docker.com/gpg
`

// writeManifest writes a docker manifest with the given source keys.
func writeManifest(t *testing.T, sources string) string {
	t.Helper()
	m := "name: docker-stock-repos\narch: x86_64\nreleasever: \"6.6\"\n" + sources +
		"install: [docker-engine-1.7.1]\nexclude: [docker-io]\nbaseline: empty\n"
	path := filepath.Join(t.TempDir(), "m.yaml")
	if err := os.WriteFile(path, []byte(m), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestStockRepoFiles: CentOS 6's CentOS-Base.repo (mirrorlist only),
// CentOS-Vault.repo (every repo disabled) and epel.repo (a metalink in
// mirrorlist=), as shipped, resolve the same set as explicit baseurls, with
// the mirror services pointed at the fixture world by --mirror-map.
func TestStockRepoFiles(t *testing.T) {
	_, maps := fixtureWorld(t)
	srv := worldSrv.URL
	// CentOS-Vault.repo says http://vault.centos.org.
	maps = append(maps, "--mirror-map", "http://vault.centos.org="+srv+"/vault")
	explicit := writeManifest(t, `repos:
  - id: base
    baseurl: https://vault.centos.org/6.6/os/x86_64/
  - id: updates
    baseurl: https://vault.centos.org/6.6/updates/x86_64/
  - id: extras
    baseurl: https://vault.centos.org/6.6/extras/x86_64/
  - id: epel
    baseurl: https://archives.fedoraproject.org/pub/archive/epel/6/x86_64/
`+dockerRepo)
	stock := writeManifest(t, fmt.Sprintf("repofiles: [%s/CentOS-Base.repo, %s/epel.repo]\nrepos:\n%s", stockRepos, stockRepos, dockerRepo))
	vault := writeManifest(t, fmt.Sprintf("repofiles: [%s/CentOS-Vault.repo, %s/epel.repo]\nenablerepo: [c6.6-base, c6.6-updates, 'C6.6-ext*']\nrepos:\n%s", stockRepos, stockRepos, dockerRepo))

	dir := t.TempDir()
	locks := map[string]*lock.Lock{}
	for name, m := range map[string]string{"explicit": explicit, "stock": stock, "vault": vault} {
		lockFile := filepath.Join(dir, name+".lock.yaml")
		code, _, stderr := rpmvault(t, append([]string{"resolve", "-m", m, "--no-abi", "--lock", lockFile}, maps...)...)
		if code != 0 {
			t.Fatalf("%s: resolve exit %d: %s", name, code, stderr)
		}
		l, err := lock.Read(lockFile)
		if err != nil {
			t.Fatal(err)
		}
		locks[name] = l
	}
	set := func(l *lock.Lock, withURL bool) string {
		var out []string
		for _, p := range l.Packages() {
			s := p.Name + "-" + p.EVR + "." + p.Arch
			if withURL {
				s += " " + p.URL
			}
			out = append(out, s)
		}
		return strings.Join(sortedCopy(out), "\n")
	}
	if set(locks["stock"], true) != set(locks["explicit"], true) {
		t.Errorf("CentOS-Base.repo + epel.repo resolve differently from explicit baseurls:\n%s\n--- explicit:\n%s", set(locks["stock"], true), set(locks["explicit"], true))
	}
	if set(locks["vault"], false) != set(locks["explicit"], false) {
		t.Errorf("CentOS-Vault.repo with enablerepo resolves differently:\n%s\n--- explicit:\n%s", set(locks["vault"], false), set(locks["explicit"], false))
	}
	if !strings.Contains(set(locks["vault"], true), "http://vault.centos.org/6.6/os/x86_64/Packages/") {
		t.Errorf("vault lock URLs are not CentOS-Vault.repo's:\n%s", set(locks["vault"], true))
	}

	// The stock files name their keys on the box: mirror says which repo
	// and how to map them.
	store := t.TempDir()
	code, _, stderr := rpmvault(t, append([]string{"mirror", "--lock", filepath.Join(dir, "stock.lock.yaml"), "--store", store}, maps...)...)
	if code == 0 || !strings.Contains(stderr, "file:///etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-6 is not on this machine") || !strings.Contains(stderr, "--mirror-map") {
		t.Fatalf("mirror with the box's file:// keys: exit %d: %s", code, stderr)
	}
	keyMaps := []string{
		"--mirror-map", "file:///etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-6=" + srv + "/vault/RPM-GPG-KEY-CentOS-6",
		"--mirror-map", "file:///etc/pki/rpm-gpg/RPM-GPG-KEY-EPEL-6=" + srv + "/epel/RPM-GPG-KEY-EPEL-6",
	}
	if code, _, stderr := rpmvault(t, append(append([]string{"mirror", "--lock", filepath.Join(dir, "stock.lock.yaml"), "--store", store}, maps...), keyMaps...)...); code != 0 {
		t.Fatalf("mirror with the keys mapped: exit %d: %s", code, stderr)
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func TestRepoFileMistakesAreNamed(t *testing.T) {
	_, maps := fixtureWorld(t)
	tests := []struct {
		name, sources string
		want          []string
	}{
		{"all disabled", fmt.Sprintf("repofiles: [%s/CentOS-Vault.repo]\n", stockRepos),
			[]string{"CentOS-Vault.repo: every repo is disabled (enabled=0): C6.0-base", "enablerepo: [C6.0-base]"}},
		{"enablerepo typo", fmt.Sprintf("repofiles: [%s/CentOS-Vault.repo]\nenablerepo: [c6.6-bsae]\n", stockRepos),
			[]string{`enablerepo "c6.6-bsae" matches no repo`, "C6.6-base"}},
		{"empty repo", "repos:\n  - id: wrongdir\n    baseurl: https://vault.centos.org/6.6/os/\n" + dockerRepo,
			[]string{"repo wrongdir", "repodata/repomd.xml"}},
		{"a tree without repodata as a baseurl (docker.repo at get.docker.com)", "repos:\n  - id: dockerrepo\n    baseurl: https://get.docker.com/rpm/1.7.1/centos-6/RPMS/x86_64/\n",
			[]string{"repo dockerrepo: no base URL has repodata/repomd.xml", "under packages:"}},
		{"includepkgs leaves nothing", "repos:\n  - id: base\n    baseurl: https://vault.centos.org/6.6/os/x86_64/\n    includepkgs: [nosuch*]\n" + dockerRepo,
			[]string{"repo base contributes no packages: exclude= includepkgs=nosuch* leave none of its"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := writeManifest(t, tt.sources)
			code, _, stderr := rpmvault(t, append([]string{"resolve", "-m", m, "--no-abi"}, maps...)...)
			if code == 0 {
				t.Fatalf("resolve succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("error lacks %q:\n%s", w, stderr)
				}
			}
		})
	}
}

// TestRepoFileExcludeAsDNF: exclude= in a .repo file changes the answer
// (rsyslog excluded, sysklogd provides syslog instead) exactly as dnf,
// reading the same file, changes it.
func TestRepoFileExcludeAsDNF(t *testing.T) {
	w, maps := fixtureWorld(t)
	repoFile := filepath.Join(t.TempDir(), "local.repo")
	os.WriteFile(repoFile, []byte(fmt.Sprintf(`[os]
name=CentOS 6.6 os, without rsyslog
baseurl=file://%s/vault/6.6/os/x86_64/
exclude=rsyslog* glibc*.i686
gpgcheck=0

[updates]
name=CentOS 6.6 updates
baseurl=file://%s/vault/6.6/updates/x86_64/
gpgcheck=0
`, w.Root, w.Root)), 0o644)
	m := writeManifest(t, fmt.Sprintf("repofiles: [%s]\nrepos:\n%s", repoFile, dockerRepo))
	ours, _ := planNEVRAs(t, append([]string{"-m", m, "--no-abi"}, maps...)...)
	joined := strings.Join(ours, " ")
	if strings.Contains(joined, "rsyslog") || !strings.Contains(joined, "sysklogd-") {
		t.Errorf("exclude=rsyslog* ignored: %v", ours)
	}
	theirs := w.DNFRepoFileInstallSet(t, t.TempDir(), repoFile, "docker-engine")
	if joined != strings.Join(theirs, " ") {
		t.Errorf("with exclude=, rpmvault and dnf disagree:\n rpmvault %v\n dnf      %v", ours, theirs)
	}
}
