package resolver_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/resolver"
	"github.com/rpmvault/rpmvault/resolver/fetch"
	"github.com/rpmvault/rpmvault/resolver/manifest"
)

func TestSourceRepoNaming(t *testing.T) {
	for _, tt := range []struct {
		id, partner string
		source      bool
	}{
		{"base", "base-source", false},
		{"base-source", "base-source-source", true},
		{"epel", "epel-source", false},
		{"rhel-7-server-rpms", "rhel-7-server-source-rpms", false},
		{"rhel-7-server-source-rpms", "rhel-7-server-source-source-rpms", true},
		{"sources", "sources-source", false},
	} {
		if got := resolver.SourcePartner(tt.id); got != tt.partner {
			t.Errorf("SourcePartner(%s) = %s, want %s", tt.id, got, tt.partner)
		}
		if got := manifest.IsSourceRepoID(tt.id); got != tt.source {
			t.Errorf("IsSourceRepoID(%s) = %v", tt.id, got)
		}
	}
}

// TestManifestSplitsSourceRepos: source repos (named ID-source or marked
// source: true) are not binary repos, and source: false overrides the name.
func TestManifestSplitsSourceRepos(t *testing.T) {
	m, err := manifest.Parse([]byte(`name: t
install: [a]
repos:
  - id: base
    baseurl: /b
  - id: base-source
    baseurl: /bs
  - id: srpms
    baseurl: /s
    source: true
  - id: odd-source
    baseurl: /o
    source: false
`))
	if err != nil {
		t.Fatal(err)
	}
	ids := func(rs []resolver.Repo) string {
		var out []string
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return strings.Join(out, " ")
	}
	if got := ids(m.Sources()); got != "base odd-source" {
		t.Errorf("binary repos %q", got)
	}
	if got := ids(m.SourceRepos()); got != "base-source srpms" {
		t.Errorf("source repos %q", got)
	}
}

// TestResolveSourcesPrefersThePartnerRepo: one source RPM in two source
// repos is taken from the one beside its binary's repo; two binaries of one
// source RPM give one entry; a missing one is a MissingSourceError naming
// the binary, its SOURCERPM and the repos searched, or with AllowMissing a
// warning.
func TestResolveSourcesPrefersThePartnerRepo(t *testing.T) {
	dir := t.TempDir()
	lvm, err := fixtures.SourceSpec("lvm2-2.02.111-2.el6.src.rpm", 0, "", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"other-source", "updates-source"} {
		if _, err := fixtures.WriteSRPM(filepath.Join(dir, d), lvm); err != nil {
			t.Fatal(err)
		}
	}
	m, err := manifest.Parse([]byte(`name: t
install: [a]
repos:
  - id: updates
    baseurl: /u
  - id: other-source
    packages: [` + filepath.Join(dir, "other-source") + `]
  - id: updates-source
    packages: [` + filepath.Join(dir, "updates-source") + `]
`))
	if err != nil {
		t.Fatal(err)
	}
	bin := func(name, srpm string) resolver.PlannedPackage {
		return resolver.PlannedPackage{Package: &resolver.Package{Name: name, EVR: resolver.EVR{Version: "1.02.90", Release: "2.el6"}, Arch: "x86_64", Repo: "updates", SourceRPM: srpm}}
	}
	plan := &resolver.Plan{Packages: []resolver.PlannedPackage{bin("device-mapper", "lvm2-2.02.111-2.el6.src.rpm"), bin("device-mapper-libs", "lvm2-2.02.111-2.el6.src.rpm")}}
	f := &fetch.HTTPFetcher{Client: fetch.NewHTTPClient(fetch.NetOptions{})}
	sp, err := resolver.ResolveSources(context.Background(), m.SourceRepos(), plan, resolver.SourceOptions{Fetcher: f})
	if err != nil {
		t.Fatal(err)
	}
	if len(sp.Packages) != 1 || sp.Packages[0].Package.Repo != "updates-source" || sp.Packages[0].Package.NEVRA() != "lvm2-2.02.111-2.el6.src" ||
		sp.Packages[0].Reason.String() != "source of device-mapper-1.02.90-2.el6.x86_64, device-mapper-libs-1.02.90-2.el6.x86_64" || len(sp.Packages[0].URLs) != 1 {
		t.Fatalf("sources %+v", sp.Packages)
	}

	plan.Packages = append(plan.Packages, bin("docker-engine", "docker-engine-1.7.1-1.el6.src.rpm"))
	_, err = resolver.ResolveSources(context.Background(), m.SourceRepos(), plan, resolver.SourceOptions{Fetcher: f})
	var me *resolver.MissingSourceError
	if !errors.As(err, &me) || len(me.Missing) != 1 || !strings.Contains(err.Error(), "docker-engine-1.02.90-2.el6.x86_64: its source docker-engine-1.7.1-1.el6.src.rpm is in none of the source repos other-source, updates-source") {
		t.Fatalf("missing source: %v", err)
	}
	sp, err = resolver.ResolveSources(context.Background(), m.SourceRepos(), plan, resolver.SourceOptions{Fetcher: f, AllowMissing: true})
	if err != nil || len(sp.Packages) != 1 || len(sp.Missing) != 1 || len(sp.Warnings) != 1 {
		t.Fatalf("AllowMissing: %v %+v", err, sp)
	}
}
