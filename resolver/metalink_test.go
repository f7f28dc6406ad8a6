package resolver_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/resolver"
	"github.com/rpmvault/rpmvault/resolver/fetch"
)

// TestMetalinkChecksMirrors: a mirror whose repomd.xml differs from the
// metalink's size and checksums is passed over for the next one, and a
// metalink whose every mirror is stale is an error that says so.
func TestMetalinkChecksMirrors(t *testing.T) {
	w, srv := servedWorld(t)
	good := srv.URL + "/epel/6/x86_64/"
	md, err := os.ReadFile(filepath.Join(w.Root, "epel/6/x86_64/repodata/repomd.xml"))
	if err != nil {
		t.Fatal(err)
	}
	// A stale mirror: the 6.6 os tree's repomd.xml where EPEL's should be.
	stale := srv.URL + "/vault/6.6/os/x86_64/"
	dir := t.TempDir()
	write := func(name string, body []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, body, 0o644)
		return p
	}
	tests := []struct {
		name, list string
		metalink   bool
		wantBase   string
		wantErr    string
	}{
		{name: "metalink=", list: write("ml1", fixtures.Metalink(md, stale+"repodata/repomd.xml", good+"repodata/repomd.xml")), metalink: true, wantBase: good},
		{name: "metalink in mirrorlist=", list: write("ml2", fixtures.Metalink(md, stale+"repodata/repomd.xml", good+"repodata/repomd.xml")), wantBase: good},
		{name: "every mirror stale", list: write("ml3", fixtures.Metalink(md, stale+"repodata/repomd.xml")), metalink: true, wantErr: "the metalink says"},
		{name: "plain mirrorlist", list: write("ml4", []byte("# mirrors\n"+good+"\n")), wantBase: good},
		{name: "mirrorlist answers an error", list: write("ml5", []byte("Invalid release/repo/arch combination\n")), wantErr: "is not a URL"},
		{name: "metalink without hashes", list: write("ml6", []byte(`<?xml version="1.0"?><metalink><files><file name="repomd.xml"><resources><url protocol="https">https://x/repodata/repomd.xml</url></resources></file></files></metalink>`)), metalink: true, wantErr: "no sha256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := resolver.Repo{ID: "epel", Priority: 99}
			if tt.metalink {
				r.Metalink = tt.list
			} else {
				r.Mirrorlist = tt.list
			}
			u, err := resolver.LoadUniverse(context.Background(), []resolver.Repo{r}, resolver.LoadOptions{Fetcher: &fetch.HTTPFetcher{}})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("want error %q, got %v", tt.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if u.Sources[0].BaseURL != tt.wantBase || len(u.Packages()) != 1 {
				t.Errorf("read from %s (%d packages), want %s", u.Sources[0].BaseURL, len(u.Packages()), tt.wantBase)
			}
			eff := resolver.EffectiveRepos([]resolver.Repo{r}, u.Sources)
			if eff[0].BaseURLs[0] != tt.wantBase {
				t.Errorf("effective base URLs %v", eff[0].BaseURLs)
			}
		})
	}
}

func TestRepoFiltersAndSkip(t *testing.T) {
	_, srv := servedWorld(t)
	os66 := srv.URL + "/vault/6.6/os/x86_64/"
	load := func(r resolver.Repo) (*resolver.Universe, error) {
		r.Priority = 99
		return resolver.LoadUniverse(context.Background(), []resolver.Repo{r}, resolver.LoadOptions{Fetcher: &fetch.HTTPFetcher{}})
	}
	names := func(u *resolver.Universe) string {
		var s []string
		for _, p := range u.Packages() {
			s = append(s, p.Name+"."+p.Arch)
		}
		return " " + strings.Join(s, " ") + " "
	}
	tests := []struct {
		exclude, include []string
		in, out          []string
	}{
		{exclude: []string{"rsyslog"}, in: []string{" sysklogd.x86_64 "}, out: []string{" rsyslog."}},
		{exclude: []string{"*.i686"}, in: []string{" glibc.x86_64 "}, out: []string{".i686 "}},
		{exclude: []string{"glibc-2.12-1.149.el6.i686"}, in: []string{" glibc.x86_64 "}, out: []string{" glibc.i686 "}},
		{exclude: []string{"device-mapper*", "lvm2*"}, in: []string{" bash.x86_64 "}, out: []string{" device-mapper", " lvm2"}},
		{include: []string{"bash", "tar"}, in: []string{" bash.x86_64 ", " tar.x86_64 "}, out: []string{" glibc."}},
		{include: []string{"2:tar-1.23-11.el6.x86_64"}, in: []string{" tar.x86_64 "}, out: []string{" bash."}},
	}
	for _, tt := range tests {
		u, err := load(resolver.Repo{ID: "os", BaseURLs: []string{os66}, Exclude: tt.exclude, IncludePkgs: tt.include})
		if err != nil {
			t.Fatalf("exclude %v include %v: %v", tt.exclude, tt.include, err)
		}
		got := names(u)
		for _, in := range tt.in {
			if !strings.Contains(got, in) {
				t.Errorf("exclude %v include %v: %q missing from %s", tt.exclude, tt.include, in, got)
			}
		}
		for _, out := range tt.out {
			if strings.Contains(got, out) {
				t.Errorf("exclude %v include %v: %q kept in %s", tt.exclude, tt.include, out, got)
			}
		}
	}
	// skip_if_unavailable: a dead repo is a warning, not an error.
	dead := resolver.Repo{ID: "dead", BaseURLs: []string{srv.URL + "/nowhere/"}, SkipIfUnavailable: true, Priority: 99}
	u, err := resolver.LoadUniverse(context.Background(), []resolver.Repo{dead, {ID: "os", BaseURLs: []string{os66}, Priority: 99}}, resolver.LoadOptions{Fetcher: &fetch.HTTPFetcher{}})
	if err != nil || len(u.Warnings) != 1 || !strings.Contains(u.Warnings[0], "repo dead skipped (skip_if_unavailable=1)") {
		t.Fatalf("skip_if_unavailable: %v, warnings %v", err, u.Warnings)
	}
	dead.SkipIfUnavailable = false
	if _, err := load(dead); err == nil || !strings.Contains(err.Error(), "repo dead") {
		t.Errorf("without skip_if_unavailable a dead repo must fail: %v", err)
	}
}
