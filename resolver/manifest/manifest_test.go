package manifest

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rpmvault/rpmvault/resolver"
)

func TestParseManifest(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "manifests", "docker-engine-1.7.1-el6.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse(data)
	if err != nil {
		t.Fatalf("shipped manifest does not parse: %v", err)
	}
	if m.Name != "docker-engine-1.7.1-el6" || m.Arch != "x86_64" || m.Releasever != "6.6" {
		t.Errorf("header fields: got %q %q %q", m.Name, m.Arch, m.Releasever)
	}
	repos := m.Sources()
	ids := []string{}
	for _, r := range repos {
		ids = append(ids, r.ID)
		if !r.GPGCheck || r.Priority != resolver.DefaultPriority {
			t.Errorf("repo %s: want yum defaults gpgcheck on, priority 99, got %v %d", r.ID, r.GPGCheck, r.Priority)
		}
	}
	if want := []string{"base", "updates", "docker"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("repo ids %v, want %v", ids, want)
	}
	if len(repos[2].BaseURLs) != 0 || len(repos[2].Packages) != 1 {
		t.Errorf("docker repo must be header-only with one package: %+v", repos[2])
	}
	if got := m.Constraints; len(got) != 1 || got[0] != "device-mapper-libs >= 1.02.90" {
		t.Errorf("constraints %v", got)
	}
}

func TestParseManifestErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"empty", "", "empty manifest"},
		{"unknown key", "name: x\nconstraint: [a]\n", `unknown key "constraint"; did you mean "constraints"?`},
		{"no install", "name: x\nrepos: [{id: a, baseurl: /r}]\n", "install lists nothing"},
		{"no repos", "name: x\ninstall: [a]\n", "nowhere to take packages from"},
		{"dup id", "name: x\ninstall: [a]\nrepos: [{id: a, baseurl: /r}, {id: a, baseurl: /s}]\n", `repo id "a" is used twice`},
		{"no source", "name: x\ninstall: [a]\nrepos: [{id: a}]\n", `repo "a" has no baseurl, mirrorlist, metalink or packages`},
		{"bad constraint", "name: x\ninstall: [a]\nrepos: [{id: a, baseurl: /r}]\nconstraints: ['a ~ 1']\n", "bad operator"},
		{"bad type", "name: x\ninstall: [a]\nrepos: [{id: a, baseurl: {x: 1}}]\n", "want a string or a list"},
		{"install as a string", "name: x\ninstall: bash\nrepos: [{id: a, baseurl: /r}]\n", "line 2: install: want a list of strings, e.g. [a, b], got a string (bash)"},
		{"repos as a map", "name: x\ninstall: [a]\nrepos:\n  id: a\n  baseurl: /r\n", `line 4: repos: want a list of repos, each starting with "- id:", got a map`},
		{"gpgcheck not a bool", "name: x\ninstall: [a]\nrepos:\n  - id: a\n    baseurl: /r\n    gpgcheck: maybe\n", "line 6: repos[0].gpgcheck: want true or false, got a string (maybe)"},
		{"priority not a number", "name: x\ninstall: [a]\nrepos: [{id: a, baseurl: /r, priority: high}]\n", "repos[0].priority: want a whole number"},
		{"vars as a list", "name: x\ninstall: [a]\nrepos: [{id: a, baseurl: /r}]\nvars: [a]\n", "vars: want a map of NAME: VALUE, got a list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestManifestSourcesExpandAndAnchor(t *testing.T) {
	m, err := Parse([]byte(`
name: local
releasever: "6.5"
repos:
  - id: os
    baseurl: http://mirror.local/centos/$releasever/os/$basearch/ repo/$basearch
    gpgkey: keys/RPM-GPG-KEY-CentOS-6
    gpgcheck: false
    priority: 10
install: [docker-engine]
baseline: installed.txt
`))
	if err != nil {
		t.Fatal(err)
	}
	m.Dir = "/srv/manifests"
	r := m.Sources()[0]
	want := []string{"http://mirror.local/centos/6.5/os/x86_64/", "/srv/manifests/repo/x86_64"}
	if !reflect.DeepEqual(r.BaseURLs, want) {
		t.Errorf("baseurls %v, want %v", r.BaseURLs, want)
	}
	if r.GPGCheck || r.Priority != 10 || r.GPGKeys[0] != "/srv/manifests/keys/RPM-GPG-KEY-CentOS-6" {
		t.Errorf("repo %+v", r)
	}
	if got := m.BaselinePath(); got != "/srv/manifests/installed.txt" {
		t.Errorf("baseline %q", got)
	}
}
