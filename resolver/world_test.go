package resolver_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/resolver"
	"github.com/rpmvault/rpmvault/resolver/fetch"
	"github.com/rpmvault/rpmvault/resolver/manifest"
	"github.com/rpmvault/rpmvault/resolver/rpmdb"
)

var (
	worldOnce sync.Once
	world     *fixtures.World
	worldSrv  *fixtures.Server
	worldErr  error
	worldDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if worldSrv != nil {
		worldSrv.Close()
	}
	for _, dir := range []string{worldDir, benchDir} {
		if dir != "" {
			os.RemoveAll(dir)
		}
	}
	os.Exit(code)
}

// servedWorld builds the unsigned fixture world once and serves it on loopback.
func servedWorld(t *testing.T) (*fixtures.World, *fixtures.Server) {
	t.Helper()
	worldOnce.Do(func() {
		dir, err := os.MkdirTemp("", "rpmvault-resolver-world-")
		if err != nil {
			worldErr = err
			return
		}
		worldDir = dir // TestMain removes it
		if world, worldErr = fixtures.BuildWorld(dir, fixtures.WorldOptions{}); worldErr == nil {
			worldSrv, worldErr = fixtures.Serve(dir)
		}
	})
	if worldErr != nil {
		t.Fatal(worldErr)
	}
	return world, worldSrv
}

// fetcher maps the real upstream URLs onto the fixture server, as
// --mirror-map does.
func fetcher(srv *fixtures.Server) *fetch.HTTPFetcher {
	var rw []fetch.Rewrite
	for dir, up := range fixtures.Upstreams {
		rw = append(rw, fetch.Rewrite{From: up, To: srv.URL + "/" + dir})
	}
	return &fetch.HTTPFetcher{Rewrites: rw}
}

const worldManifest = `
name: docker-engine-1.7.1-el6
arch: x86_64
releasever: "6.6"
repos:
  - id: base
    baseurl: [https://vault.centos.org/6.6/os/x86_64/]
  - id: updates
    baseurl: [https://vault.centos.org/6.6/updates/x86_64/]
  - id: docker
    packages: [https://get.docker.com/rpm/1.7.1/centos-6/RPMS/x86_64/docker-engine-1.7.1-1.el6.x86_64.rpm]
install: [docker-engine-1.7.1]
exclude: [docker-io]
`

func worldManifestOf(t *testing.T, extra string) *manifest.Manifest {
	t.Helper()
	m, err := manifest.Parse([]byte(worldManifest + extra))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func nevras(plan *resolver.Plan) []string {
	var out []string
	for _, pp := range plan.Packages {
		out = append(out, pp.Package.NEVRA())
	}
	sort.Strings(out)
	return out
}

// dnfAnswer asks dnf (libsolv) what it would install into root.
func dnfAnswer(t *testing.T, w *fixtures.World, root string, repoPaths []string, specs ...string) []string {
	t.Helper()
	repos := map[string]string{}
	for i, p := range repoPaths {
		repos["r"+string(rune('a'+i))] = filepath.Join(w.Root, p)
	}
	return w.DNFInstallSet(t, root, repos, specs...)
}

// installBaseline65 installs the CentOS 6.5 baseline into a scratch root with rpm.
func installBaseline65(t *testing.T, w *fixtures.World) string {
	t.Helper()
	fixtures.NeedTool(t, "rpm")
	root := t.TempDir()
	args := []string{"--root", root, "-i"}
	for _, s := range w.Baseline65Specs() {
		args = append(args, w.RPMPath("vault/6.5/os/x86_64", s.NEVRA()))
	}
	if out, err := exec.Command("rpm", args...).CombinedOutput(); err != nil {
		t.Fatalf("install baseline: %v\n%s", err, out)
	}
	return root
}

func TestResolveAgreesWithDnf(t *testing.T) {
	w, srv := servedWorld(t)
	baseline65, err := rpmdb.ParseInstalled(strings.NewReader(w.Baseline65()))
	if err != nil {
		t.Fatal(err)
	}
	base65 := "  - id: base65\n    baseurl: [https://vault.centos.org/6.5/os/x86_64/]\n"
	tests := []struct {
		name      string
		extra     string
		installed []*resolver.Package
		dnfSpecs  []string
		onBase65  bool
		want      []string // must be in our plan
		unwanted  []string // must not be
	}{
		{
			name: "empty root", dnfSpecs: []string{"docker-engine"},
			want:     []string{"device-mapper-libs-1.02.90-2.el6_6.1.x86_64", "glibc-2.12-1.149.el6.x86_64", "tar-2:1.23-11.el6.x86_64", "rsyslog-5.8.10-9.el6.x86_64"},
			unwanted: []string{"sysklogd", ".i686", "lvm2"},
		},
		{
			name: "empty root with constraint", extra: "constraints: [\"device-mapper-libs >= 1.02.90\"]\n",
			dnfSpecs: []string{"docker-engine", "device-mapper-libs >= 1.02.90"},
			want:     []string{"device-mapper-libs-1.02.90-2.el6_6.1.x86_64"},
		},
		{
			name: "CentOS 6.5 baseline", installed: baseline65, onBase65: true, dnfSpecs: []string{"docker-engine"},
			want:     []string{"docker-engine-1.7.1-1.el6.x86_64", "libcgroup-0.40.rc1-15.el6_6.x86_64", "xz-4.999.9-0.3.beta.20091007git.el6.x86_64"},
			unwanted: []string{"device-mapper", "glibc"},
		},
		{
			name: "CentOS 6.5 baseline with constraint", installed: baseline65, onBase65: true,
			extra:    "constraints: [\"device-mapper-libs >= 1.02.90\"]\n",
			dnfSpecs: []string{"docker-engine", "device-mapper-libs >= 1.02.90"},
			// The exact-version couplings drag the whole family along.
			want: []string{"device-mapper-libs-1.02.90-2.el6_6.1.x86_64", "device-mapper-1.02.90-2.el6_6.1.x86_64",
				"device-mapper-event-1.02.90-2.el6_6.1.x86_64", "device-mapper-event-libs-1.02.90-2.el6_6.1.x86_64",
				"lvm2-2.02.111-2.el6_6.1.x86_64", "lvm2-libs-2.02.111-2.el6_6.1.x86_64"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := worldManifest + tt.extra
			if tt.onBase65 {
				text = strings.Replace(text, "repos:\n", "repos:\n"+base65, 1)
			}
			m, err := manifest.Parse([]byte(text))
			if err != nil {
				t.Fatal(err)
			}
			req := m.Request()
			req.Installed = tt.installed
			plan, _, err := resolver.Resolve(context.Background(), m.Sources(), req, fetcher(srv))
			if err != nil {
				t.Fatal(err)
			}
			ours := nevras(plan)
			joined := " " + strings.Join(ours, " ") + " "
			for _, w := range tt.want {
				if !strings.Contains(joined, " "+w+" ") {
					t.Errorf("plan lacks %s", w)
				}
			}
			for _, u := range tt.unwanted {
				if strings.Contains(joined, u) {
					t.Errorf("plan must not contain %s: %v", u, ours)
				}
			}
			root := t.TempDir()
			repos := []string{"vault/6.6/os/x86_64", "vault/6.6/updates/x86_64"}
			if tt.onBase65 {
				root = installBaseline65(t, w)
				repos = append(repos, "vault/6.5/os/x86_64")
			}
			theirs := dnfAnswer(t, w, root, repos, tt.dnfSpecs...)
			if strings.Join(ours, " ") != strings.Join(theirs, " ") {
				t.Errorf("rpmvault and dnf disagree:\n rpmvault %v\n dnf      %v", ours, theirs)
			}
			installPlanStepwise(t, w, root, plan)
		})
	}
}

// installPlanStepwise applies the plan with real rpm, one transaction per
// step, so any step ordered before its dependencies fails.
func installPlanStepwise(t *testing.T, w *fixtures.World, root string, plan *resolver.Plan) {
	t.Helper()
	fixtures.NeedTool(t, "rpm")
	for step := 1; step <= plan.Steps; step++ {
		args := []string{"--root", root, "-Uv"}
		for _, pp := range plan.Packages {
			if pp.Step == step {
				args = append(args, worldFile(t, w, pp))
			}
		}
		if out, err := exec.Command("rpm", args...).CombinedOutput(); err != nil {
			t.Fatalf("step %d of %d: rpm %v: %v\n%s", step, plan.Steps, args, err, out)
		}
	}
	out, err := exec.Command("rpm", "--root", root, "-q", "docker-engine").CombinedOutput()
	if err != nil {
		t.Fatalf("docker-engine not installed after the plan: %s", out)
	}
	if out, err := exec.Command("rpm", "--root", root, "-Va").CombinedOutput(); err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("rpm -Va after the plan (%v):\n%s", err, out)
	}
}

// worldFile maps a planned package's URL back to the fixture file.
func worldFile(t *testing.T, w *fixtures.World, pp resolver.PlannedPackage) string {
	t.Helper()
	for dir, up := range fixtures.Upstreams {
		if rest, ok := strings.CutPrefix(pp.URLs[0], up+"/"); ok {
			return filepath.Join(w.Root, dir, rest)
		}
	}
	t.Fatalf("no fixture file for %s", pp.URLs[0])
	return ""
}

func TestPlanOrderAndReasons(t *testing.T) {
	_, srv := servedWorld(t)
	m := worldManifestOf(t, "")
	plan, _, err := resolver.Resolve(context.Background(), m.Sources(), m.Request(), fetcher(srv))
	if err != nil {
		t.Fatal(err)
	}
	step := map[string]int{}
	reason := map[string]resolver.Reason{}
	for _, pp := range plan.Packages {
		step[pp.Package.Name] = pp.Step
		reason[pp.Package.Name] = pp.Reason
	}
	if step["glibc"] != step["glibc-common"] {
		t.Errorf("the glibc <-> glibc-common cycle must share a step: %d vs %d", step["glibc"], step["glibc-common"])
	}
	for _, before := range [][2]string{{"setup", "filesystem"}, {"chkconfig", "docker-engine"}, {"bash", "initscripts"}, {"device-mapper-libs", "docker-engine"}} {
		if step[before[0]] >= step[before[1]] {
			t.Errorf("%s (step %d) must come before %s (step %d)", before[0], step[before[0]], before[1], step[before[1]])
		}
	}
	if reason["docker-engine"].Kind != resolver.ReasonRequested || reason["libcgroup"].Kind != resolver.ReasonRequired ||
		reason["libcgroup"].By != "docker-engine-1.7.1-1.el6.x86_64" || reason["libcgroup"].Dep.Name != "libcgroup" {
		t.Errorf("reasons: docker-engine %q, libcgroup %q", reason["docker-engine"], reason["libcgroup"])
	}
	chain, err := resolver.Why(plan, "ncurses-base")
	if err != nil {
		t.Fatal(err)
	}
	if len(chain) != 3 || !strings.HasPrefix(chain[0], "docker-engine") || !strings.Contains(chain[2], "provided by ncurses-base") {
		t.Errorf("why ncurses-base: %q", chain)
	}
	// Header-only source: the URL is the real get.docker.com one, and only the
	// header was read from the server.
	for _, pp := range plan.Packages {
		if pp.Package.Name == "docker-engine" && pp.URLs[0] != "https://get.docker.com/rpm/1.7.1/centos-6/RPMS/x86_64/docker-engine-1.7.1-1.el6.x86_64.rpm" {
			t.Errorf("docker-engine URL %v", pp.URLs)
		}
	}
}

func TestUnsatisfiableExplains(t *testing.T) {
	_, srv := servedWorld(t)
	dockerIO := &resolver.Package{Name: "docker-io", EVR: resolver.EVR{Version: "1.7.1", Release: "2.el6"}, Arch: "x86_64"}
	tests := []struct {
		name      string
		extra     string
		installed []*resolver.Package
		want      []string
	}{
		{
			name: "installed docker-io", installed: []*resolver.Package{dockerIO},
			want: []string{"docker-engine-1.7.1-1.el6.x86_64 conflicts with installed docker-io-1.7.1-2.el6.x86_64"},
		},
		{
			name: "libcgroup excluded", extra: "exclude: [docker-io, libcgroup]\n",
			want: []string{"docker-engine-1.7.1-1.el6.x86_64 requires libcgroup; no enabled repo provides it"},
		},
		{
			name: "impossible constraint", extra: "constraints: [\"device-mapper-libs >= 2.0\"]\n",
			want: []string{"requires libdevmapper.so.1.02()(64bit); no enabled repo provides it"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := worldManifest + tt.extra
			if strings.HasPrefix(tt.extra, "exclude:") {
				text = strings.Replace(worldManifest, "exclude: [docker-io]\n", tt.extra, 1)
			}
			m, err := manifest.Parse([]byte(text))
			if err != nil {
				t.Fatal(err)
			}
			req := m.Request()
			req.Installed = tt.installed
			_, _, err = resolver.Resolve(context.Background(), m.Sources(), req, fetcher(srv))
			var ue *resolver.UnsatisfiableError
			if !errors.As(err, &ue) {
				t.Fatalf("want an UnsatisfiableError, got %v", err)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("explanation lacks %q:\n%v", want, err)
				}
			}
		})
	}
}
