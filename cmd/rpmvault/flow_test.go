package main

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/lock"
	"github.com/rpmvault/rpmvault/mirror"
	"github.com/rpmvault/rpmvault/store"
)

// ownServer serves the fixture world from a server of the test's own, so
// its faults and request counts are the test's alone, and returns the
// --mirror-map flags pointing the real URLs at it.
func ownServer(t *testing.T) (*fixtures.Server, []string) {
	t.Helper()
	w, _ := fixtureWorld(t)
	srv, err := fixtures.Serve(w.Root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	var maps []string
	for dir, up := range fixtures.Upstreams {
		maps = append(maps, "--mirror-map", up+"="+srv.URL+"/"+dir)
	}
	return srv, maps
}

func assertStoreClean(t *testing.T, dir string, atLeast int) {
	t.Helper()
	s, err := mirror.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	bad, err := store.Verify(context.Background(), s, false)
	if err != nil || len(bad) > 0 {
		t.Errorf("store %s does not re-hash clean: %v %v", dir, bad, err)
	}
	objs, _ := store.Names(context.Background(), s)
	if len(objs) < atLeast {
		t.Errorf("store %s holds only %d objects, want at least %d", dir, len(objs), atLeast)
	}
}

// TestFlakyMirrorPipeline runs the pipeline against a mirror having a bad
// day: every 4th request a 503, every 7th body cut short, every 9th with a
// flipped byte. mirror -m and bundle -m succeed in one run each on a cold
// store with the ABI check on, nothing bad enters a store, and abi still
// finds the deferred-remove symbol on the 6.5 baseline.
func TestFlakyMirrorPipeline(t *testing.T) {
	fixtures.NeedTool(t, "gcc")
	srv, maps := ownServer(t)
	srv.SetFaults(fixtures.Faults{FailEvery: 4, TruncateEvery: 7, FlipEvery: 9})
	dir := t.TempDir()

	storeA, lockFile := filepath.Join(dir, "a"), filepath.Join(dir, "docker.lock.yaml")
	if code, _, stderr := rpmvault(t, append([]string{"mirror", "-m", shippedManifest, "--store", storeA, "--lock", lockFile}, maps...)...); code != 0 {
		t.Fatalf("mirror -m: exit %d\n%s", code, stderr)
	}
	assertStoreClean(t, storeA, 20)
	l, err := lock.Read(lockFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range l.Packages() {
		if p.SHA256() == "" {
			t.Errorf("%s is not pinned by sha256", p.NEVRA())
		}
	}

	storeB, out := filepath.Join(dir, "b"), filepath.Join(dir, "docker.tar.gz")
	if code, _, stderr := rpmvault(t, append([]string{"bundle", "-m", shippedManifest, "--store", storeB, "-o", out, "--binary", os.Args[0]}, maps...)...); code != 0 {
		t.Fatalf("bundle -m: exit %d\n%s", code, stderr)
	}
	assertStoreClean(t, storeB, 20)
	if code, stdout, stderr := rpmvault(t, "verify", out); code != 0 {
		t.Fatalf("verify: exit %d %s %s", code, stdout, stderr)
	}

	manifest, baseline := on65(t)
	code, stdout, stderr := rpmvault(t, append([]string{"abi", "-m", manifest, "--baseline", baseline, "--store", filepath.Join(dir, "c")}, maps...)...)
	if code != exitUnresolvable || strings.Count(stdout, "dm_task_get_info_with_deferred_remove") != 1 ||
		!strings.Contains(stdout, "device-mapper-libs-1.02.79-8.el6") || !strings.Contains(stdout, "fix: device-mapper-libs >= 1.02.90") {
		t.Fatalf("abi on the flaky mirror: exit %d\n%s%s", code, stdout, stderr)
	}
	assertStoreClean(t, filepath.Join(dir, "c"), 3) // docker-engine, the installed and the fixed device-mapper-libs
	if srv.TotalRequests() < 100 {
		t.Errorf("only %d requests: the faults were hardly exercised", srv.TotalRequests())
	}
}

// TestEachRPMCrossesTheNetworkOnce runs abi then bundle -m on one cold
// store and counts what the server sent: one whole GET per package of the
// closure, and nothing more for any .rpm in the second command.
func TestEachRPMCrossesTheNetworkOnce(t *testing.T) {
	fixtures.NeedTool(t, "gcc")
	srv, maps := ownServer(t)
	dir := t.TempDir()
	store, lockFile := filepath.Join(dir, "store"), filepath.Join(dir, "l.yaml")
	if code, stdout, stderr := rpmvault(t, append([]string{"abi", "-m", shippedManifest, "--store", store}, maps...)...); code != 0 {
		t.Fatalf("abi: exit %d\n%s%s", code, stdout, stderr)
	}
	rpmRequests := func() map[string]int {
		out := map[string]int{}
		for p, n := range srv.Paths() {
			if strings.HasSuffix(p, ".rpm") {
				out[p] = n
			}
		}
		return out
	}
	afterABI := rpmRequests()
	if code, _, stderr := rpmvault(t, append([]string{"bundle", "-m", shippedManifest, "--store", store, "--lock", lockFile, "-o", filepath.Join(dir, "b.tar.gz"), "--binary", os.Args[0]}, maps...)...); code != 0 {
		t.Fatalf("bundle -m: exit %d\n%s", code, stderr)
	}
	after := rpmRequests()
	for p, n := range after {
		if afterABI[p] != n {
			t.Errorf("bundle -m asked for %s again (%d requests, %d after abi)", p, n, afterABI[p])
		}
	}
	l, err := lock.Read(lockFile)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, p := range l.Packages() {
		path := strings.TrimPrefix(p.URL, fixtures.Upstreams["vault"])
		if path == p.URL {
			path = "/docker" + strings.TrimPrefix(p.URL, fixtures.Upstreams["docker"])
		} else {
			path = "/vault" + path
		}
		paths = append(paths, path)
		if got := srv.FullGets(path); got != 1 {
			t.Errorf("%s: %d whole GETs of %s, want 1", p.NEVRA(), got, path)
		}
	}
	// Nothing else was fetched whole; the header-only source's header
	// was read with a range before its package was fetched once.
	sort.Strings(paths)
	for p := range after {
		if i := sort.SearchStrings(paths, p); i == len(paths) || paths[i] != p {
			t.Errorf("%s was requested but is not in the closure", p)
		}
	}
	if len(paths) < 20 {
		t.Fatalf("closure of %d packages", len(paths))
	}
}

// TestResolveMetadataOnlyRepo resolves against a repo whose repodata is
// served but whose RPM files are not: resolve reads metadata only.
func TestResolveMetadataOnlyRepo(t *testing.T) {
	w, _ := fixtureWorld(t)
	root := t.TempDir()
	for _, tree := range []string{"os", "updates"} {
		src := filepath.Join(w.Root, "vault/6.6", tree, "x86_64/repodata")
		dst := filepath.Join(root, "vault/6.6", tree, "x86_64/repodata")
		if err := os.MkdirAll(dst, 0o755); err != nil {
			t.Fatal(err)
		}
		ents, err := os.ReadDir(src)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			b, err := os.ReadFile(filepath.Join(src, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644)
		}
	}
	srv, err := fixtures.Serve(root)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	manifest := filepath.Join(t.TempDir(), "meta-only.yaml")
	os.WriteFile(manifest, []byte(`name: meta-only
arch: x86_64
releasever: "6.6"
repos:
  - id: base
    baseurl: [`+srv.URL+`/vault/6.6/os/x86_64/]
    gpgcheck: false
  - id: updates
    baseurl: [`+srv.URL+`/vault/6.6/updates/x86_64/]
    gpgcheck: false
install: [libcgroup, device-mapper-libs, tar]
`), 0o644)
	code, stdout, stderr := rpmvault(t, "resolve", "-m", manifest, "--store", t.TempDir())
	if code != 0 || !strings.Contains(stdout, "device-mapper-libs-1.02.90") {
		t.Fatalf("resolve: exit %d\n%s%s", code, stdout, stderr)
	}
	paths := srv.Paths()
	if len(paths) == 0 {
		t.Fatal("the server saw no request")
	}
	for p := range paths {
		if strings.HasSuffix(p, ".rpm") {
			t.Errorf("resolve asked for %s", p)
		}
	}
}
