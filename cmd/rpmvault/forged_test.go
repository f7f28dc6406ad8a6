package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rpmvault/rpmvault/bundle"
	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/installer"
	"github.com/rpmvault/rpmvault/lock"
	"github.com/rpmvault/rpmvault/mirror"
	"github.com/rpmvault/rpmvault/sbom"
)

// replaceBundleRPM puts data in place of the bundle's rpms/file and covers
// the tracks an attacker without the signing key can cover: the lock's pin
// and size, whatever else edit changes in the lock, and SHA256SUMS.
func replaceBundleRPM(t *testing.T, dir, file string, data []byte, edit func(*lock.Lock)) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "rpms", file), data, 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := lock.Read(filepath.Join(dir, "lock.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	found := false
	for ai := range l.Arches {
		for pi := range l.Arches[ai].Packages {
			p := &l.Arches[ai].Packages[pi]
			if p.FileName() == file {
				p.Checksum, p.Size, found = "sha256:"+hex.EncodeToString(sum[:]), int64(len(data)), true
			}
		}
	}
	if !found {
		t.Fatalf("%s is not in the lock", file)
	}
	if edit != nil {
		edit(l)
	}
	b, err := l.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "lock.yaml"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	// A forger writes the SBOM of the new contents too; when the header
	// itself gives the swap away (another NEVRA), there is none to write
	// and verification stops at the header first.
	_ = sbom.Write(dir, l)
	rewriteSums(t, dir)
}

// rewriteSums recomputes SHA256SUMS as sha256sum would.
func rewriteSums(t *testing.T, dir string) {
	t.Helper()
	var lines []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "SHA256SUMS" {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, fmt.Sprintf("%x  %s", sha256.Sum256(b), filepath.ToSlash(rel)))
		return nil
	})
	sort.Slice(lines, func(i, j int) bool { return lines[i][66:] < lines[j][66:] })
	if err := os.WriteFile(filepath.Join(dir, "SHA256SUMS"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func bashSpec(t *testing.T, w *fixtures.World) fixtures.Spec {
	t.Helper()
	for _, s := range w.Tree("vault/6.6/os/x86_64").Specs {
		if s.Name == "bash" {
			return s
		}
	}
	t.Fatal("no bash in the world")
	return fixtures.Spec{}
}

// TestForgedPayloadRefused: bash in a bundle with its header+payload tags
// renamed and its payload replaced (/bin/bash now says something else), the
// lock and SHA256SUMS made to agree: verify refuses it, and install
// --extract writes nothing.
func TestForgedPayloadRefused(t *testing.T) {
	w, _ := fixtureWorld(t)
	b, _, _, _ := makeBundle(t)
	const file = "bash-4.1.2-29.el6.x86_64.rpm"
	evil := bashSpec(t, w)
	evil.Files = append([]fixtures.File(nil), evil.Files...)
	for i, f := range evil.Files {
		if f.Path == "/bin/bash" {
			evil.Files[i].Body = []byte("#!/bin/sh\necho owned\n")
		}
	}
	donor, err := fixtures.BuildEL6(evil)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := bundle.Extract(b, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	genuine, err := os.ReadFile(filepath.Join(dir, "rpms", file))
	if err != nil {
		t.Fatal(err)
	}
	forged, err := fixtures.StripPayloadSignature(genuine, donor)
	if err != nil {
		t.Fatal(err)
	}
	replaceBundleRPM(t, dir, file, forged, nil)
	code, _, stderr := rpmvault(t, "verify", dir)
	if code != exitVerification || !strings.Contains(stderr, file) || !strings.Contains(stderr, "does not cover this payload") {
		t.Errorf("verify: exit %d, want 4 naming %s's uncovered payload: %s", code, file, stderr)
	}
	root := filepath.Join(t.TempDir(), "sysroot")
	// Even trusting the bundle's own keys, the forged payload is refused.
	code, _, stderr = rpmvault(t, "install", dir, "--extract", "--root", root, "--import-keys")
	if code != exitVerification {
		t.Errorf("install --extract: exit %d, want 4: %s", code, stderr)
	}
	if _, err := os.Lstat(root); !os.IsNotExist(err) {
		t.Errorf("install --extract of a forged bundle created %s", root)
	}
	// The extractor on its own (no verify before it) refuses the forged
	// content too: it checks each file against the header's digest.
	single := filepath.Join(t.TempDir(), file)
	if err := os.WriteFile(single, forged, 0o644); err != nil {
		t.Fatal(err)
	}
	var de *installer.DigestError
	if err := installer.Extract(root, []string{single}); !errors.As(err, &de) || de.Path != "/bin/bash" {
		t.Errorf("Extract of the forged package: want a DigestError for /bin/bash, got %v", err)
	}
	if _, err := os.Lstat(root); !os.IsNotExist(err) {
		t.Errorf("Extract of a forged package created %s", root)
	}
}

// TestBundleRefusesForgedMirror: a hostile mirror serves the forged bash
// with metadata that agrees with it; bundle (which mirrors first) refuses
// it and writes no bundle.
func TestBundleRefusesForgedMirror(t *testing.T) {
	w, _ := fixtureWorld(t)
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
	evil := bashSpec(t, w)
	evil.Files = append([]fixtures.File(nil), evil.Files...)
	for i := range evil.Files {
		if evil.Files[i].Path == "/bin/bash" {
			evil.Files[i].Body = []byte("#!/bin/sh\necho owned\n")
		}
	}
	donor, err := fixtures.BuildEL6(evil)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := fixtures.StripPayloadSignature(genuine, donor)
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
	var maps []string
	for dir, up := range fixtures.Upstreams {
		maps = append(maps, "--mirror-map", up+"="+srv.URL+"/"+dir)
	}
	out := filepath.Join(t.TempDir(), "docker.tar.gz")
	code, _, stderr := rpmvault(t, append([]string{"bundle", "-m", shippedManifest, "--no-abi", "--store", t.TempDir(),
		"--lock", filepath.Join(t.TempDir(), "l.yaml"), "-o", out, "--binary", os.Args[0]}, maps...)...)
	if code != exitVerification || !strings.Contains(stderr, "bash-4.1.2-29.el6.x86_64") || !strings.Contains(stderr, "does not cover this payload") {
		t.Errorf("bundle from a forging mirror: exit %d, want 4 naming bash's uncovered payload:\n%s", code, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a bundle was written")
	}
}
