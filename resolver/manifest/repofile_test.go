package manifest

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rpmvault/rpmvault/resolver"
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
	repos, err := parseRepoFile(strings.NewReader(centosBase), yumVars("6.6", "x86_64", nil))
	if err != nil {
		t.Fatal(err)
	}
	want := []fileRepo{
		{Repo: resolver.Repo{ID: "base", BaseURLs: []string{"http://vault.centos.org/6.6/os/x86_64/", "http://mirror.local/centos/6.6/os/x86_64/"},
			GPGKeys: []string{"file:///etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-6"}, GPGCheck: true, Priority: 99, Exclude: []string{}, IncludePkgs: []string{}}, Enabled: true},
		{Repo: resolver.Repo{ID: "updates", Mirrorlist: "http://mirrorlist.centos.org/?release=6.6&arch=x86_64&repo=updates", BaseURLs: []string{}, GPGKeys: []string{}, Priority: 10, Exclude: []string{}, IncludePkgs: []string{}}, Enabled: true},
		{Repo: resolver.Repo{ID: "centosplus", BaseURLs: []string{"http://vault.centos.org/6.6/centosplus/x86_64/"}, GPGKeys: []string{}, GPGCheck: true, Priority: 99, Exclude: []string{}, IncludePkgs: []string{}}},
	}
	if !reflect.DeepEqual(repos, want) {
		t.Errorf("got  %+v\nwant %+v", repos, want)
	}
	for _, bad := range []string{"baseurl=x\n", "[a]\nnonsense\n", "[a]\nname=x\n", "[a]\nbaseurl=/x\npriority=high\n", "[a]\nbaseurl=/x\nenabled=maybe\n"} {
		if _, err := parseRepoFile(strings.NewReader(bad), yumVars("6", "x86_64", nil)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestManifestReadsRepoFiles(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "CentOS-Base.repo"), []byte(centosBase), 0o644)
	os.WriteFile(filepath.Join(dir, "m.yaml"), []byte("name: x\nreleasever: \"6.5\"\nrepofiles: [CentOS-Base.repo]\ninstall: [docker-engine]\n"), 0o644)
	m, err := Load(filepath.Join(dir, "m.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	src := m.Sources()
	if len(src) != 2 || src[0].BaseURLs[0] != "http://vault.centos.org/6.5/os/x86_64/" {
		t.Errorf("sources %+v", src)
	}
}

// TestParseRepoFileAsYumReadsIt: the .repo files admins have are read as
// yum's ConfigParser reads them, not only the tidy ones.
func TestParseRepoFileAsYumReadsIt(t *testing.T) {
	const vault = "http://vault.centos.org/6.6/os/x86_64/"
	for _, tt := range []struct {
		name, file string
		want       map[string][]string // repo id -> baseurls; nil: an error
		disabled   []string
	}{
		{"UTF-8 BOM and CRLF", "\ufeff# edited on Windows\r\n[base]\r\nbaseurl=http://vault.centos.org/$releasever/os/$basearch/\r\nenabled = 1\r\n",
			map[string][]string{"base": {vault}}, nil},
		{"comment after the section header", "[base] # the os tree\nbaseurl=" + vault + "\n",
			map[string][]string{"base": {vault}}, nil},
		{"key: value", "[base]\nbaseurl: " + vault + "\nenabled: 1\n",
			map[string][]string{"base": {vault}}, nil},
		{"inline ; comment", "[base]\nbaseurl=" + vault + " ; the vault\nenabled=1 ;on\n",
			map[string][]string{"base": {vault}}, nil},
		{"a later duplicate key wins", "[base]\nbaseurl=http://gone.example/\nbaseurl=" + vault + "\n",
			map[string][]string{"base": {vault}}, nil},
		{"a section named twice is one section", "[base]\nbaseurl=" + vault + "\n[base]\ngpgcheck=0\n",
			map[string][]string{"base": {vault}}, nil},
		{"a disabled repo without a URL is harmless", "[base]\nbaseurl=" + vault + "\n[media]\nname=CD\nenabled=0\n",
			map[string][]string{"base": {vault}, "media": {}}, []string{"media"}},
		{"an enabled repo without a URL is an error", "[base]\nname=x\n", nil, nil},
		{"garbage after the header", "[base] x\nbaseurl=" + vault + "\n", nil, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			repos, err := parseRepoFile(strings.NewReader(tt.file), yumVars("6.6", "x86_64", nil))
			if tt.want == nil {
				if err == nil {
					t.Fatalf("parsed: %+v", repos)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := map[string][]string{}
			var disabled []string
			for _, r := range repos {
				got[r.ID] = r.BaseURLs
				if !r.Enabled {
					disabled = append(disabled, r.ID)
				}
			}
			if !reflect.DeepEqual(got, tt.want) || !reflect.DeepEqual(disabled, tt.disabled) {
				t.Errorf("got %v (disabled %v), want %v (disabled %v)", got, disabled, tt.want, tt.disabled)
			}
		})
	}
	repos, err := parseRepoFile(strings.NewReader("[base]\nbaseurl="+vault+"\n[base]\ngpgcheck=0\n"), yumVars("6.6", "x86_64", nil))
	if err != nil || len(repos) != 1 || repos[0].GPGCheck {
		t.Errorf("the second [base] did not add to the first: %+v %v", repos, err)
	}
}

// TestManifestRepoIDsAreUnique: one repo id names one repo, across the
// manifest's repos and its .repo files (the lock records it per package).
func TestManifestRepoIDsAreUnique(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "CentOS-Base.repo"), []byte(centosBase), 0o644)
	os.WriteFile(filepath.Join(dir, "mine.repo"), []byte("[base]\nbaseurl=http://vault.centos.org/6.5/os/x86_64/\n"), 0o644)
	for _, tt := range []struct{ name, manifest string }{
		{"two files", "repofiles: [CentOS-Base.repo, mine.repo]\n"},
		{"a file and the manifest", "repofiles: [CentOS-Base.repo]\nrepos:\n  - id: base\n    baseurl: http://vault.centos.org/6.6/os/x86_64/\n"},
		{"enablerepo of a repo without a URL", "repofiles: [media.repo]\nenablerepo: [media]\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			os.WriteFile(filepath.Join(dir, "media.repo"), []byte("[media]\nname=CD\nenabled=0\n"), 0o644)
			os.WriteFile(filepath.Join(dir, "m.yaml"), []byte("name: x\nreleasever: \"6.6\"\ninstall: [bash]\n"+tt.manifest), 0o644)
			_, err := Load(filepath.Join(dir, "m.yaml"))
			if err == nil {
				t.Fatal("loaded")
			}
			if want := "base"; tt.name != "enablerepo of a repo without a URL" && !strings.Contains(err.Error(), `"`+want+`"`) {
				t.Errorf("error does not name the repo: %v", err)
			}
		})
	}
}

// TestYumVarsBasearch: yum's $basearch of a 32-bit x86 box is i386 (the
// trees are .../6.6/os/i386/), $arch the machine's own.
func TestYumVarsBasearch(t *testing.T) {
	for arch, want := range map[string]string{"x86_64": "x86_64", "i686": "i386", "i386": "i386", "noarch": "noarch"} {
		v := yumVars("6.6", arch, nil)
		if v["basearch"] != want || v["arch"] != arch {
			t.Errorf("%s: basearch %q arch %q, want %q %q", arch, v["basearch"], v["arch"], want, arch)
		}
	}
	if got := expandVars("http://vault.centos.org/$releasever/os/$basearch/", yumVars("6.6", "i686", nil)); got != "http://vault.centos.org/6.6/os/i386/" {
		t.Errorf("i686 baseurl %s", got)
	}
}

func TestYumVars(t *testing.T) {
	t.Setenv("YUM0", "el6")
	vars := yumVars("6.6", "x86_64", map[string]string{"infra": "container"})
	for in, want := range map[string]string{
		"http://mirrorlist.centos.org/?release=$releasever&arch=$basearch&repo=os&infra=$infra": "http://mirrorlist.centos.org/?release=6.6&arch=x86_64&repo=os&infra=container",
		"http://mirror.centos.org/$contentdir/${releasever}/os/$arch/":                          "http://mirror.centos.org/centos/6.6/os/x86_64/",
		"http://mirror.local/$YUM0/":    "http://mirror.local/el6/",
		"http://mirror.local/$archive/": "http://mirror.local/$archive/",
	} {
		repos, err := parseRepoFile(strings.NewReader("[a]\nbaseurl="+in+"\n"), vars)
		if err != nil {
			t.Fatal(err)
		}
		if got := repos[0].BaseURLs[0]; got != want {
			t.Errorf("%s\n got %s\nwant %s", in, got, want)
		}
	}
	for _, arch := range []string{"aarch64", "i686", "i386"} {
		if d := yumVars("7", arch, nil)["contentdir"]; d != "altarch" {
			t.Errorf("contentdir on %s: %q", arch, d)
		}
	}
}

func FuzzParseRepoFile(f *testing.F) {
	f.Add("[base]\nmirrorlist=http://mirrorlist.centos.org/?release=$releasever&arch=$basearch&repo=os&infra=$infra\nexclude=kernel* ,docker*\nenabled=0\n")
	f.Add("[a]\nbaseurl=http://x/$YUM0/\n  http://y/\nskip_if_unavailable=1\n")
	f.Fuzz(func(t *testing.T, s string) {
		repos, err := parseRepoFile(strings.NewReader(s), yumVars("6", "x86_64", nil))
		if err != nil {
			return
		}
		for _, r := range repos {
			// A disabled repo may lack a URL (yum ignores it); an enabled one may not.
			if r.ID == "" || (r.Enabled && len(r.BaseURLs) == 0 && r.Mirrorlist == "" && r.Metalink == "") {
				t.Fatalf("repo without id, or enabled without a source, from %q: %+v", s, r)
			}
		}
	})
}
