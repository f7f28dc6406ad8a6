package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/rpmvault/rpmvault/lock"
)

// TestS3StoreVerifyRepairsFromTheIndex: a damaged object of an S3 store is
// found by store verify and fetched again by --repair from the URL the
// store's index recorded, with no --lock: the size comes from the server
// (Put checks it with the hash), so a package only the index knows is
// repaired as a pinned one is.
func TestS3StoreVerifyRepairsFromTheIndex(t *testing.T) {
	_, maps := fixtureWorld(t)
	srv := seaweed(t)
	spec := "s3://" + bucket(t, srv) + "/vault"
	s3flags := []string{"--store", spec, "--s3-endpoint", srv.Endpoint}
	dir := t.TempDir()
	lockFile := filepath.Join(dir, "docker.lock.yaml")
	if code, _, stderr := rpmvault(t, append(append([]string{"resolve", "-m", shippedManifest, "--lock", lockFile}, s3flags...), maps...)...); code != 0 {
		t.Fatalf("resolve: exit %d: %s", code, stderr)
	}
	if code, _, stderr := rpmvault(t, append(append([]string{"mirror", "--lock", lockFile, "--no-abi"}, s3flags...), maps...)...); code != 0 {
		t.Fatalf("mirror: exit %d: %s", code, stderr)
	}
	lk, err := lock.Read(lockFile)
	if err != nil {
		t.Fatal(err)
	}
	var sha, name string
	for _, p := range lk.Packages() {
		if p.Name == "docker-engine" { // header-only source: only the index knows its URL
			sha, name = p.SHA256(), p.NEVRA()
		}
	}
	if sha == "" {
		t.Fatal("docker-engine is not pinned by sha256")
	}
	// Rot behind the store's back: the object rewritten with its last byte flipped.
	s3 := openS3(t, spec, srv.Endpoint)
	ctx := context.Background()
	key := s3.Prefix() + "objects/sha256/" + sha[:2] + "/" + sha
	o, err := s3.Client().GetObject(ctx, s3.Bucket(), key, minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(o)
	o.Close()
	if err != nil {
		t.Fatal(err)
	}
	body[len(body)-1] ^= 0xff
	if _, err := s3.Client().PutObject(ctx, s3.Bucket(), key, bytes.NewReader(body), int64(len(body)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	verifyStore := func(args ...string) (int, string, string) {
		return rpmvault(t, append(append(append([]string{"store", "verify"}, s3flags...), args...), maps...)...)
	}
	code, stdout, stderr := verifyStore()
	if code != exitVerification || !strings.Contains(stdout, "DAMAGED "+sha) || !strings.Contains(stdout, name) {
		t.Fatalf("store verify: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, stdout, stderr := verifyStore("--repair"); code != 0 || !strings.Contains(stdout, "repaired "+sha) {
		t.Fatalf("store verify --repair without --lock: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, stdout, stderr := verifyStore(); code != 0 || !strings.Contains(stdout, "OK") {
		t.Fatalf("store verify after the repair: exit %d\n%s\n%s", code, stdout, stderr)
	}
}
