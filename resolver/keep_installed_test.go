package resolver_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/rpmvault/rpmvault/resolver"
)

// A CentOS-6.5-like box: the 6.5 os tree installed, the 6.5 os repo plus
// the 6.6 os and updates repos in the manifest. tzdata (noarch) has newer
// versions in both 6.6 repos but nothing needs them: dnf keeps the
// installed one and installs exactly docker-engine, libcgroup and xz.
func TestInstalledNoarchStaysWhenNewerInTwoRepos(t *testing.T) {
	pkg := func(repo, name, ver, rel, arch string, requires ...string) *resolver.Package {
		p := &resolver.Package{Name: name, Arch: arch, Repo: repo, EVR: resolver.EVR{Version: ver, Release: rel}}
		p.Provides = []resolver.Dep{{Name: name, Flags: resolver.Equal, EVR: p.EVR}}
		for _, r := range requires {
			d, err := resolver.ParseDep(r)
			if err != nil {
				t.Fatal(err)
			}
			p.Requires = append(p.Requires, d)
		}
		return p
	}
	os65 := []*resolver.Package{
		pkg("os65", "tzdata", "2013g", "1.el6", "noarch"),
		pkg("os65", "glibc-common", "2.12", "1.132.el6", "x86_64", "tzdata >= 2003a"),
		pkg("os65", "glibc", "2.12", "1.132.el6", "x86_64", "glibc-common = 2.12-1.132.el6"),
		pkg("os65", "bash", "4.1.2", "15.el6_4", "x86_64", "glibc"),
		pkg("os65", "tar", "1.23", "11.el6", "x86_64", "glibc"),
	}
	os65[3].Files = []string{"/bin/sh", "/bin/bash"}
	os66 := []*resolver.Package{
		pkg("os66", "tzdata", "2014g", "1.el6", "noarch"),
		pkg("os66", "libcgroup", "0.40.rc1", "15.el6_6", "x86_64", "glibc", "/bin/sh"),
		pkg("os66", "xz", "4.999.9", "0.5.beta.20091007git.el6", "x86_64", "glibc"),
	}
	updates := []*resolver.Package{
		pkg("updates", "tzdata", "2015g", "1.el6", "noarch"),
	}
	docker := pkg("docker", "docker-engine", "1.7.1", "1.el6", "x86_64", "/bin/sh", "libcgroup", "xz", "tar", "glibc")
	u := resolver.NewUniverse(slices.Concat(os65, os66, updates, []*resolver.Package{docker}))
	var installed []*resolver.Package
	for _, p := range os65 { // as an rpm -qa listing: no dependencies
		installed = append(installed, &resolver.Package{Name: p.Name, EVR: p.EVR, Arch: p.Arch, Repo: resolver.InstalledRepo})
	}
	plan, err := resolver.SolveChecked(t, u, resolver.Request{Install: []string{"docker-engine"}, Installed: installed})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, pp := range plan.Packages {
		got = append(got, pp.Package.NEVRA())
	}
	slices.Sort(got)
	want := []string{"docker-engine-1.7.1-1.el6.x86_64", "libcgroup-0.40.rc1-15.el6_6.x86_64", "xz-4.999.9-0.5.beta.20091007git.el6.x86_64"}
	if !slices.Equal(got, want) {
		t.Errorf("plan %v, want %v (the installed tzdata stays, as with dnf)", got, want)
	}

	// Asked for by name, the installed tzdata still stays (dnf: "already
	// installed"); asked for a newer version, the newest one meeting it comes.
	plan, err = resolver.SolveChecked(t, u, resolver.Request{Install: []string{"tzdata"}, Installed: installed})
	if err != nil || len(plan.Packages) != 0 {
		t.Errorf("install tzdata on a box that has it: %v, %v", plan, err)
	}
	plan, err = resolver.SolveChecked(t, u, resolver.Request{Install: []string{"tzdata >= 2014a"}, Installed: installed})
	if err != nil || len(plan.Packages) != 1 || plan.Packages[0].Package.NEVRA() != "tzdata-2015g-1.el6.noarch" || plan.Packages[0].Action != resolver.ActionUpgrade {
		t.Errorf("install tzdata >= 2014a: %+v, %v", plan, err)
	}
}

// A file requirement only the file lists can answer, and reading them
// fails: that is an I/O error (exit 1), not "nothing provides" (exit 3).
func TestFileListErrorIsNotUnsatisfiable(t *testing.T) {
	a := &resolver.Package{Name: "a", Arch: "x86_64", EVR: resolver.EVR{Version: "1", Release: "1"},
		Requires: []resolver.Dep{{Name: "/opt/b/data"}}}
	b := &resolver.Package{Name: "b", Arch: "x86_64", EVR: resolver.EVR{Version: "1", Release: "1"}}
	failure := errors.New("filelists.xml.gz: unexpected EOF")
	u := resolver.NewUniverse([]*resolver.Package{a, b})
	u.LoadFileLists = func(map[string]bool) error { return failure }
	_, err := resolver.Solve(u, resolver.Request{Install: []string{"a"}})
	var ue *resolver.UnsatisfiableError
	if !errors.Is(err, failure) || errors.As(err, &ue) {
		t.Fatalf("got %v, want the file lists' error", err)
	}
	// Once the file lists load, b's file meets the requirement.
	u.LoadFileLists = func(map[string]bool) error { resolver.MergeFiles(u, "b", []string{"/opt/b/data"}); return nil }
	plan, err := resolver.Solve(u, resolver.Request{Install: []string{"a"}})
	if err != nil || len(plan.Packages) != 2 {
		t.Fatalf("got %+v, %v", plan, err)
	}
}
