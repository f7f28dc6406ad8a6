package resolver_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rpmvault/rpmvault/resolver"
	"github.com/rpmvault/rpmvault/resolver/fetch"
)

// TestInstallOnlyAgainstLibsolv: a CentOS-6-like box with a kernel, its
// firmware and headers, kernel-devel and a kernel module installed, and
// newer versions of each in a repo. dnf installs kernels, kernel-devel and
// what provides installonlypkg(kernel-module) beside the old ones, and
// upgrades kernel-firmware and kernel-headers in place (two versions of
// them conflict on their files): the same packages are installed and the
// same installed ones replaced as libsolv does with dnf's installonlypkgs.
func TestInstallOnlyAgainstLibsolv(t *testing.T) {
	needLibsolv(t)
	const old, cur = "2.6.32-431.el6", "2.6.32-504.el6"
	// dnf's installonlypkgs default (dnf.conf(5)) and what yum 3.2.29
	// adds, written out here rather than taken from the resolver, so a
	// wrong default is caught.
	dnfInstallOnly := []string{"kernel", "kernel-PAE", "installonlypkg(kernel)", "installonlypkg(kernel-module)", "installonlypkg(vm)", "multiversion(kernel)",
		"kernel-bigmem", "kernel-enterprise", "kernel-smp", "kernel-debug", "kernel-unsupported", "kernel-source", "kernel-devel", "kernel-PAE-debug"}
	pkg := func(name, vr, arch string, requires ...resolver.Dep) *resolver.Package {
		v, r, _ := strings.Cut(vr, "-")
		p := &resolver.Package{Name: name, Arch: arch, EVR: resolver.EVR{Version: v, Release: r}, Requires: requires}
		p.Provides = []resolver.Dep{{Name: name, Flags: resolver.Equal, EVR: p.EVR}}
		return p
	}
	atLeast := func(name, vr string) resolver.Dep {
		v, r, _ := strings.Cut(vr, "-")
		return resolver.Dep{Name: name, Flags: resolver.Greater | resolver.Equal, EVR: resolver.EVR{Version: v, Release: r}}
	}
	kmod := func(vr string) *resolver.Package {
		p := pkg("kmod-e1000e", vr, "x86_64")
		p.Provides = append(p.Provides, resolver.Dep{Name: "installonlypkg(kernel-module)"})
		return p
	}
	world := func(vr string) []*resolver.Package {
		return []*resolver.Package{
			pkg("kernel", vr, "x86_64", atLeast("kernel-firmware", vr)),
			pkg("kernel-firmware", vr, "noarch"),
			pkg("kernel-headers", vr, "x86_64"),
			pkg("kernel-devel", vr, "x86_64"),
			pkg("kernel-tools", vr, "x86_64"),
			kmod(strings.Replace(vr, "2.6.32", "3.2.6", 1)),
		}
	}
	repo := append(world(cur),
		pkg("glibc-headers", "2.12-1.149.el6", "x86_64", atLeast("kernel-headers", cur)),
		pkg("vboxguest", "4.3-1", "x86_64", atLeast("kernel", cur), atLeast("kernel-devel", cur), atLeast("kernel-tools", cur)))
	installed := world(old)

	root := t.TempDir()
	writeRepo(t, filepath.Join(root, "repo"), repo)
	writeRepo(t, filepath.Join(root, "installed"), installed)
	load := func(id string) *resolver.Universe {
		u, err := resolver.LoadUniverse(context.Background(), []resolver.Repo{{ID: id, BaseURLs: []string{filepath.Join(root, strings.TrimPrefix(id, "@"))}}},
			resolver.LoadOptions{Fetcher: &fetch.HTTPFetcher{}})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	u := load("repo")
	iu := load(resolver.InstalledRepo)
	if err := iu.LoadFileLists(nil); err != nil {
		t.Fatal(err)
	}

	// Asking for an installed name installs nothing, with dnf as with us;
	// a version or a requirement asks for the new one.
	requests := [][]string{
		{"kernel"}, {"kernel-" + cur}, {"kernel-headers-" + cur}, {"glibc-headers"}, {"kmod-e1000e-3.2.6-504.el6"},
		{"kernel-devel-" + cur}, {"kernel-tools-" + cur}, {"vboxguest"}, {"kernel-" + cur, "kernel-headers-" + cur, "kernel-devel-" + cur},
	}
	var jobs []map[string]any
	for _, install := range requests {
		jobs = append(jobs, map[string]any{
			"install":             install,
			"repos":               []map[string]any{{"primary": mdFile(t, filepath.Join(root, "repo"), "primary")}},
			"installed_primary":   mdFile(t, filepath.Join(root, "installed"), "primary"),
			"installed_filelists": mdFile(t, filepath.Join(root, "installed"), "filelists"),
			"multiversion":        dnfInstallOnly,
		})
	}
	answers := runLibsolv(t, root, jobs)
	t.Logf("libsolv's multiversion names: %v", dnfInstallOnly)
	sideBySide := 0
	for i, install := range requests {
		plan, err := resolver.SolveChecked(t, u, resolver.Request{Install: install, Installed: iu.Packages()})
		var ue *resolver.UnsatisfiableError
		if errors.As(err, &ue) || answers[i].Unsat {
			t.Errorf("%v: rpmvault %v, libsolv unsat=%v %s", install, err, answers[i].Unsat, answers[i].Why)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		var replaced []string
		for _, pp := range plan.Packages {
			if pp.Replaces != nil {
				replaced = append(replaced, pp.Replaces.NEVRA())
			} else if slices.ContainsFunc(installed, func(p *resolver.Package) bool { return p.Name == pp.Package.Name }) {
				sideBySide++
			}
		}
		slices.Sort(replaced)
		ours := fmt.Sprintf("install %v replace %v", nevras(plan), replaced)
		theirs := fmt.Sprintf("install %v replace %v", answers[i].Install, answers[i].Erase)
		if ours != theirs {
			t.Errorf("%v:\n rpmvault %s\n libsolv  %s", install, ours, theirs)
		}
	}
	// The property under test must have been exercised: some new version
	// went in beside an installed one.
	if sideBySide == 0 {
		t.Error("no request installed a package beside an installed version of it")
	}
}
