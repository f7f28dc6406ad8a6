package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/lock"
)

var (
	worldOnce sync.Once
	world     *fixtures.World
	worldSrv  *fixtures.Server
	worldErr  error
	worldDir  string
)

// fixtureWorld serves the signed fixture world and returns the --mirror-map
// flags that point the real upstream URLs at it.
func fixtureWorld(t *testing.T) (*fixtures.World, []string) {
	t.Helper()
	fixtures.NeedTool(t, "gpg1")
	fixtures.NeedTool(t, "rpmsign")
	worldOnce.Do(func() {
		dir, err := os.MkdirTemp("", "rpmvault-cmd-world-")
		if err != nil {
			worldErr = err
			return
		}
		worldDir = dir // TestMain removes it
		if world, worldErr = fixtures.BuildWorld(dir, fixtures.WorldOptions{Sign: true, ELF: true}); worldErr == nil {
			worldSrv, worldErr = fixtures.Serve(dir)
		}
	})
	if worldErr != nil {
		t.Fatal(worldErr)
	}
	var maps []string
	for dir, up := range fixtures.Upstreams {
		maps = append(maps, "--mirror-map", up+"="+worldSrv.URL+"/"+dir)
	}
	return world, maps
}

const shippedManifest = "../../manifests/docker-engine-1.7.1-el6.yaml"

func TestResolveJSONAndLock(t *testing.T) {
	_, maps := fixtureWorld(t)
	lockFile := filepath.Join(t.TempDir(), "docker.lock.yaml")
	code, stdout, stderr := rpmvault(t, append([]string{"resolve", "-m", shippedManifest, "--json", "--lock", lockFile}, maps...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var out struct {
		Packages []map[string]any `json:"packages"`
		Steps    int              `json:"steps"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("resolve --json is not JSON: %v\n%s", err, stdout)
	}
	if out.Steps < 2 || len(out.Packages) < 20 {
		t.Fatalf("plan too small: %d packages, %d steps", len(out.Packages), out.Steps)
	}
	keys := []string{"name", "epoch", "version", "release", "arch", "repo", "action", "reason", "step", "url", "size"}
	for _, p := range out.Packages {
		for _, k := range keys {
			if _, ok := p[k]; !ok {
				t.Fatalf("package %v lacks %q", p, k)
			}
		}
		if p["name"] == "docker-engine" && p["url"] != "https://get.docker.com/rpm/1.7.1/centos-6/RPMS/x86_64/docker-engine-1.7.1-1.el6.x86_64.rpm" {
			t.Errorf("docker-engine url %v: lock and output carry the real URL, not the mirror-mapped one", p["url"])
		}
	}
	l, err := lock.Read(lockFile)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(l.Packages()); got != len(out.Packages) || l.RPMVault.Repos[0].RepomdSHA256 == "" {
		t.Errorf("lock has %d packages (want %d), repos %+v", got, len(out.Packages), l.RPMVault.Repos)
	}
}

func TestResolveUnsatisfiableExits3(t *testing.T) {
	_, maps := fixtureWorld(t)
	baseline := filepath.Join(t.TempDir(), "installed.txt")
	os.WriteFile(baseline, []byte("docker-io 0 1.7.1 2.el6 x86_64\n"), 0o644)
	code, _, stderr := rpmvault(t, append([]string{"resolve", "-m", shippedManifest, "--baseline", baseline}, maps...)...)
	if code != exitUnresolvable || !strings.Contains(stderr, "conflicts with installed docker-io-1.7.1-2.el6.x86_64") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
}

func TestWhy(t *testing.T) {
	_, maps := fixtureWorld(t)
	code, stdout, stderr := rpmvault(t, append([]string{"why", "-m", shippedManifest, "device-mapper"}, maps...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := "docker-engine-1.7.1-1.el6.x86_64 requires libdevmapper.so.1.02()(64bit) (provided by device-mapper-libs-1.02.90-2.el6_6.1.x86_64)\n" +
		"device-mapper-libs-1.02.90-2.el6_6.1.x86_64 requires device-mapper = 1.02.90-2.el6_6.1 (provided by device-mapper-1.02.90-2.el6_6.1.x86_64)\n"
	if stdout != want {
		t.Errorf("why device-mapper:\n%s\nwant:\n%s", stdout, want)
	}
	if code, _, _ := rpmvault(t, append([]string{"why", "-m", shippedManifest, "lvm2"}, maps...)...); code != exitError {
		t.Errorf("why of a package outside the closure: exit %d, want 1", code)
	}
}

func TestResolveCachesMetadataAndWorksOffline(t *testing.T) {
	_, maps := fixtureWorld(t)
	store := t.TempDir()
	args := append([]string{"resolve", "-m", shippedManifest, "--json", "--store", store}, maps...)
	code, first, stderr := rpmvault(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	primary := func() int {
		n := 0
		for _, tree := range []string{"os", "updates"} {
			dir := filepath.Join(world.Root, "vault/6.6", tree, "x86_64/repodata")
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				if strings.HasSuffix(e.Name(), "-primary.xml.gz") {
					n += worldSrv.Requests("/vault/6.6/" + tree + "/x86_64/repodata/" + e.Name())
				}
			}
		}
		return n
	}
	before, requests := primary(), worldSrv.TotalRequests()
	if code, _, stderr := rpmvault(t, args...); code != 0 {
		t.Fatalf("second resolve: exit %d: %s", code, stderr)
	}
	if primary() != before {
		t.Errorf("the second resolve fetched primary.xml again")
	}
	// Within metadata-expire only the header-only source is read again (its
	// header, and the package for the ABI check: it has no checksum to cache by).
	if n := worldSrv.TotalRequests() - requests; n > 2 {
		t.Errorf("the second resolve made %d requests", n)
	}
	requests = worldSrv.TotalRequests()
	if code, _, stderr := rpmvault(t, append(args, "--metadata-expire", "0")...); code != 0 {
		t.Fatalf("resolve with expired metadata: exit %d: %s", code, stderr)
	}
	if n := worldSrv.TotalRequests() - requests; n < 3 {
		t.Errorf("with --metadata-expire 0 the repomd files must be asked for again (%d requests)", n)
	}
	// Mirror once so the header-only docker-engine is in the store, then
	// resolve with the server refusing everything.
	if code, _, stderr := rpmvault(t, append([]string{"mirror", "-m", shippedManifest, "--store", store, "--lock", filepath.Join(t.TempDir(), "l.yaml")}, maps...)...); code != 0 {
		t.Fatalf("mirror: exit %d: %s", code, stderr)
	}
	worldSrv.SetFaults(fixtures.Faults{FailEvery: 1})
	defer worldSrv.SetFaults(fixtures.Faults{})
	code, offline, stderr := rpmvault(t, append(args, "--offline")...)
	if code != 0 || offline != first {
		t.Fatalf("offline resolve: exit %d, same answer %v: %s", code, offline == first, stderr)
	}
}
