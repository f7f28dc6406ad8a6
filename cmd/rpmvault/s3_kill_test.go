package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/lock"
	"github.com/rpmvault/rpmvault/mirror"
)

// bigPackageRepo serves a repo of one package large enough for a multipart
// upload (three 16 MiB parts, with --s3-multipart-mib 16).
func bigPackageRepo(t *testing.T) (url string) {
	t.Helper()
	dir := t.TempDir()
	body := make([]byte, 40<<20)
	x := uint64(88172645463325252)
	for i := range body {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		body[i] = byte(x)
	}
	s := fixtures.Spec{Name: "bigpkg", Version: "1", Release: "1", Arch: "noarch", Compressor: "gzip:1",
		Files: []fixtures.File{{Path: "/usr/share/bigpkg/blob", Body: body}}}
	if _, err := fixtures.WriteRPM(filepath.Join(dir, "Packages"), s); err != nil {
		t.Fatal(err)
	}
	if err := mirror.CreateRepo(dir); err != nil {
		t.Fatal(err)
	}
	srv, err := fixtures.Serve(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv.URL
}

// TestS3MirrorSIGKILLMidUpload kills a mirror while its multipart upload
// is half sent: nothing may be visible under the package's sha256, and a
// second run (which finds the dead writer's lease and waits out its TTL)
// must complete with a sound object.
func TestS3MirrorSIGKILLMidUpload(t *testing.T) {
	srv := seaweed(t)
	b := bucket(t, srv)
	proxy := newCountingProxy(t, srv.Endpoint)
	repo := bigPackageRepo(t)
	dir := t.TempDir()
	manifest := filepath.Join(dir, "big.yaml")
	os.WriteFile(manifest, []byte(fmt.Sprintf("name: big\narch: x86_64\nrepos:\n  - id: big\n    baseurl: [%s]\n    gpgcheck: false\ninstall: [bigpkg]\n", repo)), 0o644)
	lockFile := filepath.Join(dir, "big.lock.yaml")
	spec := "s3://" + b + "/vault"
	flags := []string{"--store", spec, "--s3-endpoint", proxy.URL, "--s3-lease", "2s", "--s3-multipart-mib", "16"}
	if code, _, stderr := rpmvault(t, "resolve", "-m", manifest, "--lock", lockFile, "--store", dir); code != 0 {
		t.Fatalf("resolve: exit %d: %s", code, stderr)
	}
	l, err := lock.Read(lockFile)
	if err != nil {
		t.Fatal(err)
	}
	sha := l.Packages()[0].SHA256()
	if sha == "" {
		t.Fatal("the lock does not pin bigpkg's sha256")
	}

	// Hold the second part of the object's upload until the client is gone.
	var holding atomic.Bool
	holding.Store(true)
	started := make(chan struct{})
	var once sync.Once
	proxy.hold = func(w http.ResponseWriter, r *http.Request) bool {
		if !holding.Load() || r.Method != http.MethodPut || r.URL.Query().Get("partNumber") != "2" {
			return false
		}
		once.Do(func() { close(started) })
		// Swallow the part and never answer: the writer waits for a
		// response until it is killed (which ends this request).
		io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
		return true
	}
	child := cli(append([]string{"mirror", "--lock", lockFile}, flags...)...)
	out := &syncBuffer{}
	child.Stdout, child.Stderr = out, out
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-time.After(3 * time.Minute):
		child.Process.Kill()
		t.Fatalf("the mirror never reached the second part:\n%s", out)
	}
	if err := child.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	child.Wait()
	holding.Store(false)

	s3 := openS3(t, spec, srv.Endpoint)
	ctx := context.Background()
	if ok, err := s3.Has(ctx, sha); err != nil || ok {
		t.Fatalf("after SIGKILL mid-upload: Has = %v, %v; want nothing visible", ok, err)
	}
	key := s3.Prefix() + "objects/sha256/" + sha[:2] + "/" + sha
	if _, err := s3.Client().StatObject(ctx, b, key, minio.StatObjectOptions{}); minio.ToErrorResponse(err).StatusCode != http.StatusNotFound {
		t.Fatalf("HEAD %s after the kill: %v, want 404", key, err)
	}
	incomplete := 0
	for u := range s3.Client().ListIncompleteUploads(ctx, b, key, true) {
		if u.Err == nil && u.Key == key {
			incomplete++
		}
	}
	t.Logf("after the kill: no object, %d incomplete upload(s) under its name (invisible)", incomplete)

	// The rerun finds the dead writer's lease, waits out its 2s TTL, and completes.
	if code, _, stderr := rpmvault(t, append([]string{"mirror", "--lock", lockFile}, flags...)...); code != 0 {
		t.Fatalf("rerun: exit %d: %s", code, stderr)
	}
	o, err := s3.Open(ctx, sha)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	h := sha256.New()
	if _, err := io.Copy(h, o); err != nil {
		t.Fatalf("reading the object back: %v", err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sha {
		t.Fatalf("object %s hashes to %s", sha, got)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b = append(s.b, p...)
	return len(p), nil
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.b)
}
