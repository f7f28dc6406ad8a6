package mirror_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/mirror"
	"github.com/rpmvault/rpmvault/resolver"
	"github.com/rpmvault/rpmvault/resolver/fetch"
	"github.com/rpmvault/rpmvault/resolver/rpmmd"
)

// shortNet are timeouts short enough for tests; the defaults are 30 s.
var shortNet = fetch.NetOptions{ConnectTimeout: time.Second, HeaderTimeout: 300 * time.Millisecond, SpeedLimit: 1000, SpeedTime: 300 * time.Millisecond}

// largestFile returns the size and path of the largest file below dir.
func largestFile(t *testing.T, dir string) (int64, string) {
	t.Helper()
	var size int64
	var name string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if st, err := d.Info(); err == nil && st.Size() > size {
				size, name = st.Size(), p
			}
		}
		return nil
	})
	return size, name
}

// TestMirrorStopsAtPinnedSize: a server that follows each package with an
// endless stream of zeros (no Content-Length) gets the download cut at the
// size the lock pins; nothing larger is ever written to the store.
func TestMirrorStopsAtPinnedSize(t *testing.T) {
	_, srv := serveSigned(t)
	lock := worldLock(t, srv, lockManifest)
	var largest int64
	for _, p := range lock.Packages() {
		largest = max(largest, p.Size)
	}
	store, err := mirror.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv.SetFaults(fixtures.Faults{Endless: true, PathPrefix: "/vault/6.6/os/"})
	opts := mirrorOpts(t, srv, store)
	opts.Retries, opts.Net = 2, shortNet
	_, err = mirror.Mirror(context.Background(), lock, opts)
	var tl *rpmmd.TooLargeError
	if !errors.As(err, &tl) && !strings.Contains(err.Error(), "larger than the declared") {
		t.Fatalf("want the endless bodies cut at the pinned size, got %v", err)
	}
	if size, name := largestFile(t, store.Root()); size > largest {
		t.Errorf("%s holds %d bytes; no package is pinned above %d", name, size, largest)
	}
	assertStoreSound(t, store)
}

// TestMetadataCacheStopsAtDeclaredSize: the store's metadata cache takes
// no more of a metadata file than repomd.xml declares.
func TestMetadataCacheStopsAtDeclaredSize(t *testing.T) {
	w, srv := serveSigned(t)
	primary, _ := filepath.Glob(filepath.Join(w.Root, "vault/6.6/os/x86_64/repodata/*-primary.xml.gz"))
	if len(primary) != 1 {
		t.Fatalf("primary files: %v", primary)
	}
	st, err := os.Stat(primary[0])
	if err != nil {
		t.Fatal(err)
	}
	rel, _ := filepath.Rel(w.Root, primary[0])
	srv.SetFaults(fixtures.Faults{Endless: true, PathPrefix: "/" + rel})
	store, err := mirror.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f := &mirror.MetadataFetcher{Inner: &fetch.HTTPFetcher{Client: fetch.NewHTTPClient(shortNet)}, Store: store}
	_, err = resolver.LoadUniverse(context.Background(), []resolver.Repo{{ID: "base", BaseURLs: []string{srv.URL + "/vault/6.6/os/x86_64/"}}}, resolver.LoadOptions{Fetcher: f})
	if err == nil || !strings.Contains(err.Error(), "larger than the declared") {
		t.Fatalf("want the endless primary refused, got %v", err)
	}
	if size, name := largestFile(t, store.Root()); size > st.Size() {
		t.Errorf("%s holds %d bytes of a file declared at %d", name, size, st.Size())
	}
}

// TestMirrorRefusesLocalURLsInLock: a lock naming /dev/zero, a file:// URL
// or any path outside a local source of its repo is refused before a byte
// is read; a device inside a "local source" is no package either.
func TestMirrorRefusesLocalURLsInLock(t *testing.T) {
	_, srv := serveSigned(t)
	secret := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secret, []byte("not for the bundle"), 0o600)
	for _, tt := range []struct {
		name, url string
		bases     []string
		want      string
	}{
		{"dev zero", "/dev/zero", nil, "is not http(s)"},
		{"file url", "file:///dev/zero", nil, "is not http(s)"},
		{"any file", secret, nil, "is not http(s)"},
		{"climbing out of a local source", "/srv/repo/../../dev/zero", []string{"/srv/repo"}, "is not http(s)"},
		{"device in a local source", "/dev/zero", []string{"/dev"}, "not a regular file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			lock := worldLock(t, srv, lockManifest)
			p := &lock.Arches[0].Packages[0]
			p.URL, p.Mirrors = tt.url, nil
			for i := range lock.RPMVault.Repos {
				if lock.RPMVault.Repos[i].ID == p.RepoID {
					lock.RPMVault.Repos[i].BaseURLs = append(lock.RPMVault.Repos[i].BaseURLs, tt.bases...)
				}
			}
			store, _ := mirror.OpenStore(t.TempDir())
			opts := mirrorOpts(t, srv, store)
			opts.Retries = 1
			_, err := mirror.Mirror(context.Background(), lock, opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), p.NEVRA()) {
				t.Fatalf("want %q for %s, got %v", tt.want, p.NEVRA(), err)
			}
			if size, name := largestFile(t, filepath.Join(store.Root(), "partial")); size > 0 {
				t.Errorf("%s holds %d bytes", name, size)
			}
		})
	}
}

// TestMirrorTimesOutAndFailsOver: each package's first URL is a server
// that never answers, stops after the headers or trickles; the timeouts
// abandon it and the package comes from its next URL.
func TestMirrorTimesOutAndFailsOver(t *testing.T) {
	w, srv := serveSigned(t)
	for _, tt := range []struct {
		name   string
		faults fixtures.Faults
	}{
		{"never answers", fixtures.Faults{Hang: true}},
		{"stops after headers", fixtures.Faults{StallAfterHeaders: true}},
		{"trickles", fixtures.Faults{ByteDelay: 10 * time.Millisecond}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bad, err := fixtures.Serve(w.Root)
			if err != nil {
				t.Fatal(err)
			}
			defer bad.Close()
			bad.SetFaults(tt.faults)
			lock := worldLock(t, srv, lockManifest)
			for i := range lock.Arches[0].Packages {
				p := &lock.Arches[0].Packages[i]
				good := p.URL
				for dir, up := range fixtures.Upstreams {
					if rest, ok := strings.CutPrefix(good, up); ok {
						p.Mirrors = []string{bad.URL + "/" + dir + rest, good}
					}
				}
			}
			store, _ := mirror.OpenStore(t.TempDir())
			opts := mirrorOpts(t, srv, store)
			opts.Net = shortNet
			done := make(chan error, 1)
			go func() {
				_, err := mirror.Mirror(context.Background(), lock, opts)
				done <- err
			}()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("failover to the good URLs: %v", err)
				}
			case <-time.After(60 * time.Second):
				t.Fatal("mirror still running after 60 s: no timeout fired")
			}
			if bad.TotalRequests() == 0 {
				t.Error("the bad server was never asked")
			}
			assertStoreSound(t, store)
		})
	}
}

// TestBadRepomdIsNotCached: a 200 with an HTML page where repomd.xml
// should be, or a repomd.xml whose primary does not verify, is not cached,
// so the run after the server is fixed succeeds; a bad copy already in the
// cache is named in the error, with how to refresh it, and dropped.
func TestBadRepomdIsNotCached(t *testing.T) {
	w, srv := serveSigned(t)
	store, err := mirror.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	load := func(offline bool) error {
		f := &mirror.MetadataFetcher{Inner: &fetch.HTTPFetcher{}, Store: store, Expire: 6 * time.Hour, Offline: offline, Retries: 1}
		_, err := resolver.LoadUniverse(context.Background(), []resolver.Repo{{ID: "base", BaseURLs: []string{srv.URL + "/vault/6.6/os/x86_64/"}}}, resolver.LoadOptions{Fetcher: f})
		return err
	}
	cacheDir := filepath.Join(store.Root(), "metadata", "repomd")
	cachedCopies := func() []string {
		m, _ := filepath.Glob(filepath.Join(cacheDir, "*.xml"))
		return m
	}
	primary, _ := filepath.Glob(filepath.Join(w.Root, "vault/6.6/os/x86_64/repodata/*-primary.xml.gz"))
	rel, _ := filepath.Rel(w.Root, primary[0])
	for _, bad := range []fixtures.Faults{
		{Body: []byte("<html><body>Please log in to the proxy</body></html>"), PathPrefix: "/vault/6.6/os/x86_64/repodata/repomd.xml"},
		{FlipByte: true, PathPrefix: "/" + rel},
	} {
		os.RemoveAll(filepath.Join(store.Root(), "metadata")) // nothing cached from the last case
		srv.SetFaults(bad)
		if err := load(false); err == nil {
			t.Fatalf("%+v: a broken repo loaded", bad)
		}
		if c := cachedCopies(); len(c) > 0 {
			t.Fatalf("%+v: a broken repomd.xml was cached: %v", bad, c)
		}
		srv.SetFaults(fixtures.Faults{})
		if err := load(false); err != nil {
			t.Fatalf("after the server was fixed: %v", err)
		}
	}
	// A bad copy in the cache (as earlier versions kept them).
	if err := load(false); err != nil {
		t.Fatal(err)
	}
	c := cachedCopies()
	if len(c) != 1 {
		t.Fatalf("want one cached repomd.xml, got %v", c)
	}
	os.WriteFile(c[0], []byte("<html>stale portal page</html>"), 0o644)
	err = load(true)
	if err == nil || !strings.Contains(err.Error(), c[0]) || !strings.Contains(err.Error(), "--metadata-expire 0") {
		t.Fatalf("offline with a bad cached copy: want the cache %s and how to refresh it named, got %v", c[0], err)
	}
	err = load(false)
	if err == nil || !strings.Contains(err.Error(), c[0]) || !strings.Contains(err.Error(), "run again") {
		t.Fatalf("want the cache %s named and dropped, got %v", c[0], err)
	}
	if err := load(false); err != nil {
		t.Fatalf("the run after a bad cached copy was dropped: %v", err)
	}
}

// TestStoreObjectIsVerifiedForEachLock: a store is shared, and an object is
// named by its bytes, not by who verified it. A hostile lock (its docker
// repo with gpgcheck off) puts an unsigned docker-engine into the store
// under the genuine one's NEVRA; a later mirror of the genuine lock
// (docker's key on) must not take it from the store: for the header-only
// docker-engine, whose lock entry pins nothing yet, it fetches the genuine
// package; for bash, pinned by (hostile) metadata to the unsigned object,
// it refuses.
func TestStoreObjectIsVerifiedForEachLock(t *testing.T) {
	w, srv := serveSigned(t)
	const dockerTree = "docker/rpm/1.7.1/centos-6/RPMS/x86_64"
	for _, c := range []struct{ name, tree, pkg string }{
		{"index hint for a header-only package", dockerTree, "docker-engine"},
		{"pin of a signed repo's package", "vault/6.6/os/x86_64", "bash"},
	} {
		t.Run(c.name, func(t *testing.T) {
			evil := worldSpec(t, w, c.tree, c.pkg)
			evil.Files = append([]fixtures.File{{Path: "/etc/cron.d/evil", Body: []byte("* * * * * root evil\n")}}, evil.Files...)
			data, err := fixtures.Build(evil) // unsigned
			if err != nil {
				t.Fatal(err)
			}
			evilDir := t.TempDir()
			if err := os.WriteFile(filepath.Join(evilDir, evil.FileName()), data, 0o644); err != nil {
				t.Fatal(err)
			}
			evilSrv, err := fixtures.Serve(evilDir)
			if err != nil {
				t.Fatal(err)
			}
			defer evilSrv.Close()
			sum := sha256.Sum256(data)
			evilSHA := hex.EncodeToString(sum[:])

			store, err := mirror.OpenStore(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			genuine := worldLock(t, srv, lockManifest)
			hostile := worldLock(t, srv, lockManifest)
			for i := range hostile.RPMVault.Repos {
				hostile.RPMVault.Repos[i].GPGCheck = false
			}
			for ai := range hostile.Arches {
				for pi := range hostile.Arches[ai].Packages {
					p := &hostile.Arches[ai].Packages[pi]
					if p.Name == c.pkg {
						p.URL, p.Mirrors = evilSrv.URL+"/"+evil.FileName(), nil
						p.Checksum, p.Size = "", 0
						if c.pkg == "bash" {
							p.Checksum, p.Size = "sha256:"+evilSHA, int64(len(data))
						}
					}
				}
			}
			if _, err := mirror.Mirror(context.Background(), hostile, mirrorOpts(t, srv, store)); err != nil {
				t.Fatalf("the hostile lock (gpgcheck off) mirrors: %v", err)
			}
			if !has(store, evilSHA) {
				t.Fatal("the hostile lock did not store its package")
			}
			if c.pkg == "bash" {
				// The signed repo's metadata, as a hostile mirror serves it, pins the unsigned object.
				for ai := range genuine.Arches {
					for pi := range genuine.Arches[ai].Packages {
						if p := &genuine.Arches[ai].Packages[pi]; p.Name == "bash" {
							p.Checksum, p.Size = "sha256:"+evilSHA, int64(len(data))
						}
					}
				}
			}
			_, err = mirror.Mirror(context.Background(), genuine, mirrorOpts(t, srv, store))
			for _, p := range genuine.Packages() {
				if p.Name == c.pkg && p.SHA256() == evilSHA && err == nil {
					t.Fatalf("the genuine lock took the unsigned %s from the store", p.NEVRA())
				}
			}
			var verr *mirror.VerifyError
			switch c.pkg {
			case "bash":
				if !errors.As(err, &verr) || !strings.Contains(err.Error(), evilSHA) || !strings.Contains(err.Error(), "not signed") {
					t.Fatalf("want a VerifyError naming the unsigned object, got %v", err)
				}
			default:
				if err != nil {
					t.Fatalf("the genuine lock: %v", err)
				}
			}
		})
	}
}
