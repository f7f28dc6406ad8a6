package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rpmvault/rpmvault/lock"
	"github.com/rpmvault/rpmvault/store"
)

// overlappingManifests writes manifests over the shipped one's repos that
// ask for different, overlapping closures.
func overlappingManifests(t *testing.T, dir string, installs ...[]string) []string {
	t.Helper()
	data, err := os.ReadFile(shippedManifest)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i, inst := range installs {
		m := strings.Replace(string(data), "install: [docker-engine-1.7.1]", "install: ["+strings.Join(inst, ", ")+"]", 1)
		m = strings.Replace(m, "name: docker-engine-1.7.1-el6", fmt.Sprintf("name: overlap-%d", i), 1)
		p := filepath.Join(dir, fmt.Sprintf("overlap-%d.yaml", i))
		if err := os.WriteFile(p, []byte(m), 0o644); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// TestS3FourConcurrentMirrors: four mirror processes with overlapping locks
// on one SeaweedFS S3 store at once. Every object must re-hash to its name,
// each must have been written exactly once (counted at a proxy in front of
// the server), and a bundle from the S3 store must equal, byte for byte,
// one from a directory store.
func TestS3FourConcurrentMirrors(t *testing.T) {
	_, maps := fixtureWorld(t)
	srv := seaweed(t)
	b := bucket(t, srv)
	proxy := newCountingProxy(t, srv.Endpoint)
	spec := "s3://" + b + "/vault"
	s3flags := []string{"--store", spec, "--s3-endpoint", proxy.URL}
	dir := t.TempDir()
	manifests := overlappingManifests(t, dir, []string{"docker-engine-1.7.1"}, []string{"lvm2"}, []string{"iptables", "tar"}, []string{"libcgroup", "xz", "sqlite"})
	var locks []string
	want := map[string]bool{}
	for i, m := range manifests {
		lockFile := filepath.Join(dir, fmt.Sprintf("overlap-%d.lock.yaml", i))
		// Resolving through the S3 store keeps repo metadata there too.
		if code, _, stderr := rpmvault(t, append(append([]string{"resolve", "-m", m, "--lock", lockFile}, s3flags...), maps...)...); code != 0 {
			t.Fatalf("resolve %s: exit %d: %s", m, code, stderr)
		}
		locks = append(locks, lockFile)
	}
	var wg sync.WaitGroup
	outs := make([][]byte, len(locks))
	errs := make([]error, len(locks))
	for i, lockFile := range locks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i] = cli(append(append([]string{"mirror", "--lock", lockFile, "--jobs", "3"}, s3flags...), maps...)...).CombinedOutput()
		}()
	}
	wg.Wait()
	shared := 0
	seen := map[string]int{}
	for i, lockFile := range locks {
		if errs[i] != nil {
			t.Fatalf("mirror %s: %v\n%s", lockFile, errs[i], outs[i])
		}
		l, err := lock.Read(lockFile)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range l.Packages() {
			if p.SHA256() == "" {
				t.Fatalf("%s: %s not pinned after mirror", lockFile, p.NEVRA())
			}
			want[p.SHA256()] = true
			if seen[p.SHA256()]++; seen[p.SHA256()] == 2 {
				shared++
			}
		}
	}
	if shared < 5 {
		t.Fatalf("the manifests share only %d packages; the test needs overlap", shared)
	}
	s3 := openS3(t, spec, srv.Endpoint)
	ctx := context.Background()
	names, err := store.Names(ctx, s3)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != len(want) {
		t.Errorf("store holds %d objects, the locks pin %d", len(names), len(want))
	}
	for _, n := range names {
		if !want[n] {
			t.Errorf("object %s is pinned by no lock", n)
		}
	}
	bad, err := store.Verify(ctx, s3, false)
	if err != nil || len(bad) > 0 {
		t.Fatalf("objects that do not hash to their names: %v (%v)", bad, err)
	}
	writes := proxy.objectWrites()
	for sha := range want {
		if writes[sha] != 1 {
			t.Errorf("object %s was written %d times, want once", sha, writes[sha])
		}
	}
	t.Logf("%d objects, %d shared between locks, object writes per name: %v", len(names), shared, histogram(writes))

	// The same bundle from the S3 store and from a directory store.
	bundleOf := func(storeFlags []string, out string) []byte {
		args := append(append([]string{"bundle", "--lock", locks[0], "-o", out, "--binary", os.Args[0]}, storeFlags...), maps...)
		if code, _, stderr := rpmvault(t, args...); code != 0 {
			t.Fatalf("bundle: exit %d: %s", code, stderr)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	fromS3 := bundleOf(s3flags, filepath.Join(t.TempDir(), "docker.tar.gz"))
	fromDir := bundleOf([]string{"--store", filepath.Join(dir, "dirstore")}, filepath.Join(t.TempDir(), "docker.tar.gz"))
	if !bytes.Equal(fromS3, fromDir) {
		t.Fatalf("bundles differ: %d bytes from S3, %d from a directory store", len(fromS3), len(fromDir))
	}
}

func histogram(writes map[string]int) map[int]int {
	h := map[int]int{}
	for _, n := range writes {
		h[n]++
	}
	return h
}
