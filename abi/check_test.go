package abi_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/rpmvault/rpmvault/abi"
	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/mirror"
	"github.com/rpmvault/rpmvault/resolver"
	"github.com/rpmvault/rpmvault/resolver/fetch"
	"github.com/rpmvault/rpmvault/resolver/rpmdb"
	"github.com/rpmvault/rpmvault/resolver/rpmmd"
)

const (
	dmOld     = "1.02.79-8.el6"     // CentOS 6.5 os
	dmNew     = "1.02.90-2.el6"     // CentOS 6.6 os
	dmUpdates = "1.02.90-2.el6_6.1" // CentOS 6.6 updates
)

// miniWorld is a small CentOS-6-shaped world around the ABI case: the
// device-mapper pair at three versions over three rpm-md repos, and
// docker-engine in a header-only source, with real ELF payloads.
type miniWorld struct {
	dir   string
	repos []resolver.Repo
	u     *resolver.Universe
	files map[string]string // NVRA -> .rpm path
}

func splitVR(vr string) (string, string) {
	i := strings.LastIndex(vr, "-")
	return vr[:i], vr[i+1:]
}

func dmFamily(vr string, lib fixtures.File) []fixtures.Spec {
	v, r := splitVR(vr)
	return []fixtures.Spec{
		{Name: "device-mapper-libs", Version: v, Release: r,
			Provides: []string{"libdevmapper.so.1.02()(64bit)", "libdevmapper.so.1.02(Base)(64bit)"},
			Requires: []string{"device-mapper = " + vr},
			Files:    []fixtures.File{lib}},
		{Name: "device-mapper", Version: v, Release: r,
			Requires: []string{"device-mapper-libs = " + vr, "libdevmapper.so.1.02()(64bit)"},
			Files:    []fixtures.File{{Path: "/sbin/dmsetup", Mode: 0o755, Body: []byte("#!/bin/sh\necho dmsetup " + vr + "\n")}}},
	}
}

func dockerEngine(e *fixtures.ELFFiles) fixtures.Spec {
	return fixtures.Spec{Name: "docker-engine", Version: "1.7.1", Release: "1.el6",
		Requires: []string{"libdevmapper.so.1.02()(64bit)", "libdevmapper.so.1.02(Base)(64bit)"},
		Files: []fixtures.File{e.DockerFile(),
			{Path: "/etc/sysconfig/docker", Body: []byte("other_args=\n")}}}
}

func buildMiniWorld(t testing.TB) *miniWorld {
	t.Helper()
	fixtures.NeedTool(t, "gcc")
	e, err := fixtures.BuildELF(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	w := &miniWorld{dir: t.TempDir(), files: map[string]string{}}
	trees := []struct {
		id    string
		specs []fixtures.Spec
	}{
		{"os65", dmFamily(dmOld, e.LibDevmapperFile(false))},
		{"os66", dmFamily(dmNew, e.LibDevmapperFile(true))},
		{"updates", dmFamily(dmUpdates, e.LibDevmapperFile(true))},
	}
	for _, tr := range trees {
		d := filepath.Join(w.dir, tr.id)
		for _, s := range tr.specs {
			p, err := fixtures.WriteRPM(filepath.Join(d, "Packages"), s)
			if err != nil {
				t.Fatal(err)
			}
			w.files[strings.TrimSuffix(s.FileName(), ".rpm")] = p
		}
		if err := mirror.CreateRepo(d); err != nil {
			t.Fatal(err)
		}
		w.repos = append(w.repos, resolver.Repo{ID: tr.id, BaseURLs: []string{d}, Priority: 99})
	}
	dp, err := fixtures.WriteRPM(filepath.Join(w.dir, "docker"), dockerEngine(e))
	if err != nil {
		t.Fatal(err)
	}
	w.files["docker-engine-1.7.1-1.el6.x86_64"] = dp
	w.repos = append(w.repos, resolver.Repo{ID: "docker", Packages: []string{dp}, Priority: 99})
	if w.u, err = resolver.LoadUniverse(context.Background(), w.repos, resolver.LoadOptions{Fetcher: &fetch.HTTPFetcher{}}); err != nil {
		t.Fatal(err)
	}
	return w
}

func installed(t testing.TB, lines ...string) []*resolver.Package {
	t.Helper()
	pkgs, err := rpmdb.ParseInstalled(strings.NewReader(strings.Join(lines, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

func (w *miniWorld) baseline(t testing.TB, vr string) []*resolver.Package {
	v, r := splitVR(vr)
	return installed(t, "device-mapper-libs (none) "+v+" "+r+" x86_64", "device-mapper (none) "+v+" "+r+" x86_64")
}

func (w *miniWorld) resolveFunc(inst []*resolver.Package) abi.ResolveFunc {
	return func(ctx context.Context, extra []string) (*resolver.Plan, *resolver.Universe, error) {
		plan, err := resolver.Solve(w.u, resolver.Request{Install: []string{"docker-engine"}, Constraints: extra, Installed: inst, Arch: "x86_64"})
		if err != nil {
			return nil, nil, err
		}
		resolver.AttachURLs(plan, w.repos)
		return plan, w.u, nil
	}
}

func (w *miniWorld) options(inst []*resolver.Package, cacheDir string) abi.Options {
	return abi.Options{
		Opener:    &fetchOpener{Fetcher: &fetch.HTTPFetcher{}, Repos: w.repos},
		Installed: inst, Available: w.u.Packages(), CacheDir: cacheDir,
	}
}

func planNames(p *resolver.Plan) []string {
	var out []string
	for _, pp := range p.Packages {
		out = append(out, pp.Package.NVRA())
	}
	sort.Strings(out)
	return out
}

func TestCheck(t *testing.T) {
	w := buildMiniWorld(t)
	want := abi.Finding{
		File: "/usr/bin/docker", Package: "docker-engine-1.7.1-1.el6.x86_64",
		Symbol: "dm_task_get_info_with_deferred_remove", Version: "Base",
		Library: "libdevmapper.so.1.02", Provider: "device-mapper-libs-" + dmOld + ".x86_64",
		ProviderName: "device-mapper-libs", Installed: true,
		Fix: "device-mapper-libs >= " + dmNew,
	}
	for _, tc := range []struct {
		name      string
		installed []*resolver.Package
		findings  int
	}{
		{"CentOS 6.5 baseline", w.baseline(t, dmOld), 1},
		{"empty root", nil, 0},
		{"6.6 device-mapper installed", w.baseline(t, dmNew), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			plan, _, err := w.resolveFunc(tc.installed)(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := abi.Check(ctx, plan, w.options(tc.installed, ""))
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Findings) != tc.findings {
				t.Fatalf("%d findings, want %d: %v (plan %v, unverified %v)", len(rep.Findings), tc.findings, rep.Findings, planNames(plan), rep.Unverified)
			}
			if rep.Objects == 0 {
				t.Error("no ELF object examined")
			}
			if len(rep.Unverified) != 0 {
				t.Errorf("unverified: %v", rep.Unverified)
			}
			if tc.findings == 0 {
				return
			}
			got := rep.Findings[0]
			got.FixEVR = resolver.EVR{}
			if got != want {
				t.Errorf("finding\n got %+v\nwant %+v", got, want)
			}
			for _, s := range []string{"/usr/bin/docker", "dm_task_get_info_with_deferred_remove@Base", "libdevmapper.so.1.02", "device-mapper-libs-1.02.79-8.el6.x86_64 (installed)", "fix: device-mapper-libs >= 1.02.90-2.el6"} {
				if !strings.Contains(rep.Findings[0].String(), s) {
					t.Errorf("%q lacks %q", rep.Findings[0].String(), s)
				}
			}
			if c := abi.FixConstraints(rep.Findings); len(c) != 1 || c[0] != want.Fix {
				t.Errorf("FixConstraints = %v", c)
			}
		})
	}
}

// TestCheckInstalledNotInRepos: when the baseline's version is in no repo,
// its library cannot be read; the check says so instead of guessing.
func TestCheckInstalledNotInRepos(t *testing.T) {
	w := buildMiniWorld(t)
	inst := w.baseline(t, dmOld)
	plan, _, err := w.resolveFunc(inst)(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	opts := w.options(inst, "")
	var avail []*resolver.Package
	for _, p := range w.u.Packages() {
		if p.Repo != "os65" {
			avail = append(avail, p)
		}
	}
	opts.Available = avail
	// The installed record still needs its provides: give them as the
	// solver had them.
	for _, ip := range opts.Installed {
		for _, p := range w.u.Packages() {
			if p.NEVRA() == ip.NEVRA() {
				ip.Provides = p.Provides
			}
		}
	}
	rep, err := abi.Check(context.Background(), plan, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 0 || len(rep.Unverified) != 1 || !strings.Contains(rep.Unverified[0], "in none of the repos") {
		t.Fatalf("findings %v unverified %v", rep.Findings, rep.Unverified)
	}
}

// TestFixInstallsAndRuns is the demonstration with real rpm: onto
// the 6.5-like root the plain closure installs and docker dies in the
// loader; the fixed closure upgrades the device-mapper pair and docker runs.
func TestFixInstallsAndRuns(t *testing.T) {
	rpm := fixtures.NeedTool(t, "rpm")
	w := buildMiniWorld(t)
	ctx := context.Background()
	inst := w.baseline(t, dmOld)
	res, err := abi.Fix(ctx, w.resolveFunc(inst), w.options(inst, t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Initial.Findings) != 1 || len(res.Final.Findings) != 0 {
		t.Fatalf("initial %v final %v", res.Initial.Findings, res.Final.Findings)
	}
	if len(res.Constraints) != 1 || res.Constraints[0] != "device-mapper-libs >= "+dmNew {
		t.Fatalf("constraints %v", res.Constraints)
	}
	// The solver takes the newest allowed and drags device-mapper along.
	wantFixed := []string{"device-mapper-" + dmUpdates + ".x86_64", "device-mapper-libs-" + dmUpdates + ".x86_64", "docker-engine-1.7.1-1.el6.x86_64"}
	if got := planNames(res.Plan); strings.Join(got, " ") != strings.Join(wantFixed, " ") {
		t.Fatalf("fixed plan %v, want %v", got, wantFixed)
	}
	initial, _, err := w.resolveFunc(inst)(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := planNames(initial); len(got) != 1 || got[0] != "docker-engine-1.7.1-1.el6.x86_64" {
		t.Fatalf("initial plan %v: the old device-mapper-libs should satisfy the metadata", got)
	}

	root := t.TempDir()
	rpmRun := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(rpm, append([]string{"--root", root}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("rpm %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	files := func(plan *resolver.Plan) []string {
		var out []string
		for _, pp := range plan.Packages {
			out = append(out, w.files[pp.Package.NVRA()])
		}
		return out
	}
	rpmRun("-Uvh", w.files["device-mapper-libs-"+dmOld+".x86_64"], w.files["device-mapper-"+dmOld+".x86_64"])
	rpmRun(append([]string{"-Uvh"}, files(initial)...)...)
	runDocker := func() (string, string, error) {
		cmd := exec.Command(filepath.Join(root, "usr/bin/docker"))
		cmd.Env = []string{"LD_LIBRARY_PATH=" + filepath.Join(root, "lib64"), "LC_ALL=C"}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}
	if _, stderr, err := runDocker(); err == nil || !fixtures.IsDeferredRemoveLoadError([]byte(stderr)) {
		t.Fatalf("before the fix docker should die in the loader: err %v, stderr %q", err, stderr)
	}
	// Apply the fixed plan's upgrades (docker-engine is already there).
	var upgrades []string
	for _, pp := range res.Plan.Packages {
		if pp.Action == resolver.ActionUpgrade {
			upgrades = append(upgrades, w.files[pp.Package.NVRA()])
		}
	}
	if len(upgrades) != 2 {
		t.Fatalf("upgrades %v, want the device-mapper pair", upgrades)
	}
	rpmRun(append([]string{"-Uvh"}, upgrades...)...)
	if out := rpmRun("-q", "device-mapper-libs", "device-mapper", "docker-engine"); out != fmt.Sprintf("device-mapper-libs-%s.x86_64\ndevice-mapper-%s.x86_64\ndocker-engine-1.7.1-1.el6.x86_64\n", dmUpdates, dmUpdates) {
		t.Fatalf("installed: %q", out)
	}
	stdout, stderr, err := runDocker()
	if err != nil || stdout != fixtures.DockerOutput {
		t.Fatalf("after the fix docker should run: err %v stdout %q stderr %q", err, stdout, stderr)
	}
}

// countingOpener counts the RPMs read and can corrupt them.
type countingOpener struct {
	inner   abi.Opener
	mu      sync.Mutex
	opened  map[string]int
	corrupt bool
}

func (c *countingOpener) OpenRPM(ctx context.Context, p *resolver.Package) (io.ReadCloser, string, error) {
	c.mu.Lock()
	c.opened[p.NEVRA()]++
	c.mu.Unlock()
	rc, sha, err := c.inner.OpenRPM(ctx, p)
	if err != nil || !c.corrupt {
		return rc, sha, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, "", err
	}
	b[len(b)-1] ^= 0xff
	return io.NopCloser(bytes.NewReader(b)), sha, nil
}

func TestCheckCache(t *testing.T) {
	w := buildMiniWorld(t)
	ctx := context.Background()
	inst := w.baseline(t, dmOld)
	plan, _, err := w.resolveFunc(inst)(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	cacheDir := t.TempDir()
	run := func() (*abi.Report, map[string]int) {
		t.Helper()
		co := &countingOpener{inner: &fetchOpener{Fetcher: &fetch.HTTPFetcher{}, Repos: w.repos}, opened: map[string]int{}}
		opts := w.options(inst, cacheDir)
		opts.Opener = co
		rep, err := abi.Check(ctx, plan, opts)
		if err != nil {
			t.Fatal(err)
		}
		return rep, co.opened
	}
	first, opened1 := run()
	second, opened2 := run()
	if len(first.Findings) != 1 || len(second.Findings) != 1 || first.Findings[0] != second.Findings[0] {
		t.Fatalf("findings differ between runs: %v / %v", first.Findings, second.Findings)
	}
	// First run: docker-engine, the installed device-mapper-libs and the
	// fix candidate. Second run: none. docker-engine, whose header-only
	// source declares no sha256, is opened for the sha256 that names it,
	// and its summary comes from the cache.
	if first.Read != 3 || second.Read != 0 || opened2["docker-engine-1.7.1-1.el6.x86_64"] != 1 || len(opened2) != 1 {
		t.Errorf("reads: first %d %v, second %d %v", first.Read, opened1, second.Read, opened2)
	}
	// A damaged cache entry is a miss, not an error.
	var entries []string
	filepath.Walk(cacheDir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(p, ".json") {
			entries = append(entries, p)
		}
		return nil
	})
	if len(entries) != 3 {
		t.Fatalf("cache entries %v", entries)
	}
	for _, e := range entries {
		if err := os.WriteFile(e, []byte("{not json"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	third, _ := run()
	if third.Read != 3 || len(third.Findings) != 1 {
		t.Errorf("after damaging the cache: read %d findings %v", third.Read, third.Findings)
	}
}

func TestCheckRefusesCorruptRPM(t *testing.T) {
	w := buildMiniWorld(t)
	ctx := context.Background()
	plan, _, err := w.resolveFunc(nil)(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	opts := w.options(nil, t.TempDir())
	opts.Opener = &countingOpener{inner: opts.Opener, opened: map[string]int{}, corrupt: true}
	_, err = abi.Check(ctx, plan, opts)
	// The damage is reported as a checksum mismatch of the download, not as
	// whatever it did to the payload.
	var mismatch *rpmmd.ChecksumMismatchError
	var oe *abi.OpenError
	if !errors.As(err, &mismatch) || !errors.As(err, &oe) {
		t.Fatalf("want an *OpenError with a checksum mismatch, got %v", err)
	}
	if testing.Verbose() {
		t.Log(err)
	}
}
