package mirror_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/internal/seaweedfs"
	"github.com/rpmvault/rpmvault/lock"
	"github.com/rpmvault/rpmvault/mirror"
	"github.com/rpmvault/rpmvault/resolver"
	"github.com/rpmvault/rpmvault/resolver/fetch"
	"github.com/rpmvault/rpmvault/resolver/manifest"
	vault "github.com/rpmvault/rpmvault/store"
)

var (
	// weed is the SeaweedFS server of this test binary.
	weed       seaweedfs.Shared
	bucketOnce sync.Once
	bucketErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	weed.Stop()
	if signedWorld != nil {
		os.RemoveAll(signedWorld.Root) // the signed world, built once for the whole binary
	}
	os.Exit(code)
}

// s3Store opens a store in a fresh bucket of a real SeaweedFS (started once
// per test binary), with 5 MiB parts so that a 6 MiB package is a
// multipart upload.
func s3Store(t *testing.T) *vault.S3 {
	t.Helper()
	srv := weed.Get(t)
	// One bucket for every test (SeaweedFS gives each bucket volumes of
	// its own, and has few), a prefix for each.
	bucketOnce.Do(func() { bucketErr = srv.MakeBucket(context.Background(), "mirror") })
	if bucketErr != nil {
		t.Fatal(bucketErr)
	}
	prefix := strings.Trim(strings.ToLower(strings.NewReplacer("/", "-", "_", "-", ",", "-", " ", "-").Replace(t.Name())), "-")
	srv.SetEnv(t)
	s, err := vault.OpenS3(context.Background(), "s3://mirror/"+prefix, vault.S3Config{PartSize: 5 << 20, MultipartThreshold: 5 << 20})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// partialFiles lists what a mirror left in its directory of downloads in progress.
func partialFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// TestS3MirrorStreams: into an S3 store, pinned packages go from the
// download straight into the upload (no local file), through every check;
// a broken stream restarts, a lying server never gets a byte visible.
func TestS3MirrorStreams(t *testing.T) {
	tests := []struct {
		name     string
		faults   fixtures.Faults
		unsized  bool // the lock pins sha256 but no size
		mustFail bool
		retries  int // default 14: a truncating server yields half the rest per try
	}{
		{name: "clean"},
		{name: "sizes not pinned", unsized: true},
		{name: "every 3rd request 503", faults: fixtures.Faults{FailEvery: 3}},
		{name: "truncated bodies, now and then", faults: fixtures.Faults{TruncateEvery: 2}},
		// Every body cut off: the stream cannot finish, the resumable
		// partial file it falls back to can.
		{name: "dropped connections", faults: fixtures.Faults{DropAfter: 1000}},
		{name: "flipped byte", faults: fixtures.Faults{FlipByte: true}, mustFail: true, retries: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv := serveSigned(t)
			lk := worldLock(t, srv, lockManifest)
			if tt.unsized {
				for a := range lk.Arches {
					for i := range lk.Arches[a].Packages {
						lk.Arches[a].Packages[i].Size = 0
					}
				}
			}
			pinned := map[string]string{}
			for _, p := range lk.Packages() {
				pinned[p.NEVRA()] = p.SHA256()
			}
			s := s3Store(t)
			f := tt.faults
			f.PathPrefix = "/vault/6.6/"
			srv.SetFaults(f)
			partial := t.TempDir()
			if tt.retries == 0 {
				tt.retries = 14
			}
			_, err := mirror.Mirror(context.Background(), lk, mirror.Options{Store: s, PartialDir: partial, Rewrites: rewrites(srv),
				Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, Retries: tt.retries, Jobs: 3})
			assertStoreSound(t, s)
			if left := partialFiles(t, partial); len(left) > 0 && err == nil {
				t.Errorf("a complete mirror left local files: %v", left)
			}
			if tt.mustFail {
				var verr *mirror.VerifyError
				if !errors.As(err, &verr) || !strings.Contains(err.Error(), "/vault/6.6/") {
					t.Fatalf("want a VerifyError naming the URL, got %v", err)
				}
				for _, p := range lk.Packages() {
					if strings.Contains(p.URL, "/6.6/") && has(s, pinned[p.NEVRA()]) {
						t.Errorf("%s is visible though every copy of it was damaged", p.NEVRA())
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("transient faults must be survived: %v", err)
			}
			for _, p := range lk.Packages() {
				if !has(s, p.SHA256()) || p.Size <= 0 || p.SigningKey == "" {
					t.Errorf("%s not stored or not filled in: %+v", p.NEVRA(), p)
				}
			}
		})
	}
}

// TestS3MirrorChecksThePackageBeforeItIsVisible: bytes that hash to the
// pinned sha256 are still not stored when the RPM checks refuse them — a
// signature by a key the repo does not name, a header that is another
// package than the lock says — although they stream into the upload.
func TestS3MirrorChecksThePackageBeforeItIsVisible(t *testing.T) {
	tests := []struct {
		name   string
		change func(l *lock.Lock)
		want   string
	}{
		{"unknown key", func(l *lock.Lock) {
			for i := range l.RPMVault.Repos {
				l.RPMVault.Repos[i].GPGKeys = []string{"https://get.docker.com/gpg"} // the wrong key for vault
			}
		}, "signed by unknown key"},
		{"substituted package", func(l *lock.Lock) {
			for a := range l.Arches {
				for i := range l.Arches[a].Packages {
					l.Arches[a].Packages[i].Release += ".1"
				}
			}
		}, "a substituted package"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv := serveSigned(t)
			lk := worldLock(t, srv, lockManifest)
			tt.change(lk)
			s := s3Store(t)
			_, err := mirror.Mirror(context.Background(), lk, mirror.Options{Store: s, Rewrites: rewrites(srv), Backoff: time.Millisecond, Retries: 2})
			var verr *mirror.VerifyError
			if !errors.As(err, &verr) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("want a VerifyError saying %q, got %v", tt.want, err)
			}
			for _, p := range lk.Packages() {
				if p.RepoID != "docker" && has(s, p.SHA256()) {
					t.Errorf("%s is visible in the store though its checks failed", p.NEVRA())
				}
			}
			assertStoreSound(t, s)
		})
	}
}

// TestS3MirrorStreamsMultipart: a package larger than a part streams as a
// multipart upload; a copy with a flipped byte in its middle fails the
// payload digest, and the upload is never completed.
func TestS3MirrorStreamsMultipart(t *testing.T) {
	dir := t.TempDir()
	spec := fixtures.Spec{Name: "bigpkg", Version: "1", Release: "1", Arch: "x86_64", Compressor: "gzip:1",
		Files: []fixtures.File{{Path: "/usr/share/bigpkg/blob", Body: incompressible(6 << 20)}}}
	if _, err := fixtures.WriteRPM(filepath.Join(dir, "Packages"), spec); err != nil {
		t.Fatal(err)
	}
	if err := mirror.CreateRepo(dir); err != nil {
		t.Fatal(err)
	}
	srv, err := fixtures.Serve(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	m, _ := manifest.Parse([]byte(fmt.Sprintf("name: big\nrepos:\n  - id: big\n    baseurl: [%s]\n    gpgcheck: false\ninstall: [bigpkg]\n", srv.URL)))
	plan, u, err := resolver.Resolve(context.Background(), m.Sources(), m.Request(), &fetch.HTTPFetcher{})
	if err != nil {
		t.Fatal(err)
	}
	s := s3Store(t)
	lk := lock.New(m, plan, u.Sources, nil)
	sha := lk.Packages()[0].SHA256()
	srv.SetFaults(fixtures.Faults{FlipByte: true})
	_, err = mirror.Mirror(context.Background(), lk, mirror.Options{Store: s, Backoff: time.Millisecond, Retries: 2})
	var verr *mirror.VerifyError
	if !errors.As(err, &verr) || has(s, sha) {
		t.Fatalf("a flipped byte: err %v, visible %v", err, has(s, sha))
	}
	srv.SetFaults(fixtures.Faults{})
	if _, err := mirror.Mirror(context.Background(), lk, mirror.Options{Store: s, Backoff: time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	o, err := s.Client().StatObject(context.Background(), s.Bucket(), s.Prefix()+"objects/sha256/"+sha[:2]+"/"+sha, minio.StatObjectOptions{})
	if err != nil || !strings.Contains(o.ETag, "-") {
		t.Errorf("want a multipart object (ETag with a part count), got %q, %v", o.ETag, err)
	}
	assertStoreSound(t, s)
}
