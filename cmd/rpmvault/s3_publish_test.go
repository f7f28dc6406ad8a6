package main

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rpmvault/rpmvault/lock"
)

// TestPublishS3AndServe mirrors into an S3 store, publishes the lock to an
// S3 prefix, serves that prefix, and has real dnf install docker-engine
// from the served URL into an empty installroot.
func TestPublishS3AndServe(t *testing.T) {
	_, maps := fixtureWorld(t)
	srv := seaweed(t)
	b := bucket(t, srv)
	dir := t.TempDir()
	lockFile := filepath.Join(dir, "docker.lock.yaml")
	s3flags := []string{"--store", "s3://" + b + "/vault", "--s3-endpoint", srv.Endpoint}
	if code, _, stderr := rpmvault(t, append(append([]string{"resolve", "-m", shippedManifest, "--lock", lockFile}, s3flags...), maps...)...); code != 0 {
		t.Fatalf("resolve: exit %d: %s", code, stderr)
	}
	if code, _, stderr := rpmvault(t, append(append([]string{"mirror", "--lock", lockFile}, s3flags...), maps...)...); code != 0 {
		t.Fatalf("mirror: exit %d: %s", code, stderr)
	}
	pub := "s3://" + b + "/published"
	for run := 0; run < 2; run++ { // a second publish finds every package there
		code, stdout, stderr := rpmvault(t, append([]string{"publish", "--lock", lockFile, "--to", pub, "--name", "docker"}, s3flags...)...)
		if code != 0 {
			t.Fatalf("publish: exit %d: %s", code, stderr)
		}
		if run == 1 && !strings.Contains(stdout, " 0 packages written") {
			t.Errorf("second publish wrote packages again: %s", stdout)
		}
	}
	base := serveInProcess(t, pub, "--s3-endpoint", srv.Endpoint)
	lk, err := lock.Read(lockFile)
	if err != nil {
		t.Fatal(err)
	}
	s3 := openS3(t, "s3://"+b+"/vault", srv.Endpoint)
	checkServed(t, base, "docker", lk, func(sha string) []byte {
		o, err := s3.Open(context.Background(), sha)
		if err != nil {
			t.Fatal(err)
		}
		defer o.Close()
		data, err := io.ReadAll(o)
		if err != nil {
			t.Fatal(err)
		}
		return data
	})
	root := dnfInstallFrom(t, base+"/repos/docker/", "docker-engine")
	if out, err := rpmQ(t, root, "docker-engine", "device-mapper-libs", "libcgroup"); err != nil {
		t.Fatalf("not installed: %v %s", err, out)
	}
}
