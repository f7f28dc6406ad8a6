package abi_test

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rpmvault/rpmvault/abi"
	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/mirror"
	"github.com/rpmvault/rpmvault/resolver"
	"github.com/rpmvault/rpmvault/resolver/fetch"
	"github.com/rpmvault/rpmvault/resolver/manifest"
	"github.com/rpmvault/rpmvault/resolver/rpmdb"
)

// elfWorld builds the CentOS 6 fixture world and gives its docker-engine
// and x86_64 device-mapper-libs the real ELF files, rewriting those RPMs and
// the repodata. (The world may already carry them; rewriting is then a no-op
// on the content.)
func elfWorld(t *testing.T) *fixtures.World {
	t.Helper()
	fixtures.NeedTool(t, "gcc")
	w, err := fixtures.BuildWorld(t.TempDir(), fixtures.WorldOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := fixtures.BuildELF(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for ti := range w.Trees {
		tr := &w.Trees[ti]
		changed := false
		for si := range tr.Specs {
			s := &tr.Specs[si]
			var repl fixtures.File
			switch {
			case s.Arch == "src": // the source trees' packages carry no binaries
				continue
			case s.Name == "docker-engine":
				repl = e.DockerFile()
			case s.Name == "device-mapper-libs" && (s.Arch == "x86_64" || s.Arch == ""):
				repl = e.LibDevmapperFile(resolver.Vercmp(s.Version, "1.02.90") >= 0)
			default:
				continue
			}
			files := append([]fixtures.File(nil), s.Files...)
			for fi := range files {
				if files[fi].Path == repl.Path {
					files[fi] = repl
				}
			}
			s.Files = files
			if _, err := fixtures.WriteRPM(filepath.Join(w.Root, tr.Path, tr.PackageDir), *s); err != nil {
				t.Fatal(err)
			}
			changed = true
		}
		if changed && tr.Repodata {
			if err := mirror.CreateRepo(filepath.Join(w.Root, tr.Path)); err != nil {
				t.Fatal(err)
			}
		}
	}
	return w
}

const worldManifest = `
name: docker-engine-1.7.1-el6
arch: x86_64
releasever: "6.6"
repos:
  - id: base65
    baseurl: [https://vault.centos.org/6.5/os/x86_64/]
  - id: base
    baseurl: [https://vault.centos.org/6.6/os/x86_64/]
  - id: updates
    baseurl: [https://vault.centos.org/6.6/updates/x86_64/]
  - id: docker
    packages: [https://get.docker.com/rpm/1.7.1/centos-6/RPMS/x86_64/docker-engine-1.7.1-1.el6.x86_64.rpm]
install: [docker-engine-1.7.1]
exclude: [docker-io]
`

// worldFile finds the .rpm of a planned package in the world's trees.
func worldFile(t *testing.T, w *fixtures.World, p *resolver.Package) string {
	t.Helper()
	for _, tr := range w.Trees {
		if f := w.RPMPath(tr.Path, p.NVRA()); f != "" {
			return f
		}
	}
	t.Fatalf("%s is in no tree", p.NVRA())
	return ""
}

// TestFixtureWorld is the demonstration on the CentOS 6 fixture
// world: onto the 6.5 baseline exactly one finding; --fix upgrades the whole
// device-mapper family; real rpm installs it and docker runs where it died.
func TestFixtureWorld(t *testing.T) {
	rpm := fixtures.NeedTool(t, "rpm")
	w := elfWorld(t)
	ctx := context.Background()
	var rw []fetch.Rewrite
	for dir, up := range fixtures.Upstreams {
		rw = append(rw, fetch.Rewrite{From: up, To: filepath.Join(w.Root, dir)})
	}
	fetcher := &fetch.HTTPFetcher{Rewrites: rw}
	m, err := manifest.Parse([]byte(worldManifest))
	if err != nil {
		t.Fatal(err)
	}
	baseline, err := rpmdb.ParseInstalled(strings.NewReader(w.Baseline65()))
	if err != nil {
		t.Fatal(err)
	}
	resolveWith := func(inst []*resolver.Package) abi.ResolveFunc {
		return func(ctx context.Context, extra []string) (*resolver.Plan, *resolver.Universe, error) {
			req := m.Request()
			req.Installed, req.Constraints = inst, append(req.Constraints, extra...)
			return resolver.Resolve(ctx, m.Sources(), req, fetcher)
		}
	}
	opts := func(inst []*resolver.Package) abi.Options {
		return abi.Options{Opener: &fetchOpener{Fetcher: fetcher, Repos: m.Sources()}, Installed: inst, CacheDir: t.TempDir()}
	}

	t.Run("empty root", func(t *testing.T) {
		res, err := abi.Fix(ctx, resolveWith(nil), opts(nil))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Initial.Findings) != 0 || len(res.Constraints) != 0 || res.Initial.Objects != 2 {
			t.Fatalf("findings %v constraints %v objects %d (unverified %v)", res.Initial.Findings, res.Constraints, res.Initial.Objects, res.Initial.Unverified)
		}
	})

	res, err := abi.Fix(ctx, resolveWith(baseline), opts(baseline))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Initial.Findings) != 1 {
		t.Fatalf("want exactly one finding on the 6.5 baseline, got %v (unverified %v)", res.Initial.Findings, res.Initial.Unverified)
	}
	f := res.Initial.Findings[0]
	want := "/usr/bin/docker (docker-engine-1.7.1-1.el6.x86_64) needs dm_task_get_info_with_deferred_remove@Base from libdevmapper.so.1.02, which device-mapper-libs-1.02.79-8.el6.x86_64 (installed) does not export; fix: device-mapper-libs >= 1.02.90-2.el6"
	if f.String() != want {
		t.Errorf("finding\n got %s\nwant %s", f, want)
	}
	if len(res.Final.Findings) != 0 || strings.Join(res.Constraints, ";") != "device-mapper-libs >= 1.02.90-2.el6" {
		t.Fatalf("after fix: findings %v constraints %v", res.Final.Findings, res.Constraints)
	}
	upgraded := map[string]string{}
	var upgradeFiles []string
	for _, pp := range res.Plan.Packages {
		if pp.Action == resolver.ActionUpgrade {
			upgraded[pp.Package.Name] = pp.Package.EVR.String()
			upgradeFiles = append(upgradeFiles, worldFile(t, w, pp.Package))
		}
	}
	for name, evr := range map[string]string{
		"device-mapper-libs": "1.02.90-2.el6_6.1", "device-mapper": "1.02.90-2.el6_6.1",
		"device-mapper-event": "1.02.90-2.el6_6.1", "device-mapper-event-libs": "1.02.90-2.el6_6.1",
		"lvm2": "2.02.111-2.el6_6.1", "lvm2-libs": "2.02.111-2.el6_6.1",
	} {
		if upgraded[name] != evr {
			t.Errorf("fixed plan upgrades %s to %q, want %s (upgrades %v)", name, upgraded[name], evr, upgraded)
		}
	}

	// Real rpm: the 6.5 box, the plain closure, docker dies; the fix, it runs.
	root := t.TempDir()
	rpmRoot := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(rpm, append([]string{"--root", root}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("rpm %v: %v\n%s", args, err, out)
		}
	}
	install := []string{"-i"}
	for _, s := range w.Baseline65Specs() {
		install = append(install, w.RPMPath("vault/6.5/os/x86_64", s.NEVRA()))
	}
	rpmRoot(install...)
	initial, _, err := resolveWith(baseline)(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	apply := []string{"-Uvh"}
	for _, pp := range initial.Packages {
		apply = append(apply, worldFile(t, w, pp.Package))
	}
	rpmRoot(apply...)
	docker := func() (string, string, error) {
		cmd := exec.Command(filepath.Join(root, "usr/bin/docker"))
		cmd.Env = []string{"LD_LIBRARY_PATH=" + filepath.Join(root, "lib64"), "LC_ALL=C"}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}
	if _, stderr, err := docker(); err == nil || !fixtures.IsDeferredRemoveLoadError([]byte(stderr)) {
		t.Fatalf("on the 6.5 box docker should die in the loader: %v %q", err, stderr)
	}
	t.Logf("finding: %s; upgrades: %v", f, upgraded)
	rpmRoot(append([]string{"-Uvh"}, upgradeFiles...)...)
	if stdout, stderr, err := docker(); err != nil || stdout != fixtures.DockerOutput {
		t.Fatalf("after the fix docker should run: %v %q %q", err, stdout, stderr)
	}
}
