package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rpmvault/rpmvault/bundle"
	"github.com/rpmvault/rpmvault/fixtures"
)

// TestInstallOnlyInstallsPinnedPackages: the trust anchor covers lock.yaml
// and the files it pins, not repodata/, which install re-plans from. A
// forger who adds an unsigned, newer bash under evil/, regenerates
// repodata/ with createrepo_c over the whole bundle and recomputes
// SHA256SUMS keeps the anchored lock intact: verify passes, and install
// must still hand rpm nothing but the files the lock pins.
func TestInstallOnlyInstallsPinnedPackages(t *testing.T) {
	w, _ := fixtureWorld(t)
	fixtures.NeedTool(t, "createrepo_c")
	fixtures.NeedTool(t, "rpm")
	b, _, _, _ := makeBundle(t)
	anchor := lockAnchor(t, b)

	evil := bashSpec(t, w)
	evil.Release = "99.el6"
	evil.Files = append([]fixtures.File(nil), evil.Files...)
	for i := range evil.Files {
		if evil.Files[i].Path == "/bin/bash" {
			evil.Files[i].Body = []byte("#!/bin/sh\necho owned\n")
		}
	}
	data, err := fixtures.Build(evil)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := bundle.Extract(b, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "evil"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "evil", "bash-4.1.2-99.el6.x86_64.rpm"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "repodata")); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("createrepo_c", "-q", "--no-database", dir).CombinedOutput(); err != nil {
		t.Fatalf("createrepo_c: %v\n%s", err, out)
	}
	rewriteSums(t, dir)
	if code, stdout, stderr := rpmvault(t, append([]string{"verify", dir}, anchor...)...); code != 0 {
		t.Fatalf("verify: the lock and its pins are intact, so verify passes; got exit %d\n%s%s", code, stdout, stderr)
	}
	for _, args := range [][]string{
		{"install", dir, "--dry-run"},
		{"install", dir, "--root", t.TempDir()},
		{"install", dir, "--root", t.TempDir(), "--stepwise"},
	} {
		root := ""
		if len(args) > 3 {
			root = args[3]
		}
		t.Run(strings.Join(args[2:], " "), func(t *testing.T) {
			code, stdout, stderr := rpmvault(t, append(args, anchor...)...)
			if code != exitVerification || !strings.Contains(stderr, "bash-4.1.2-99.el6.x86_64") || !strings.Contains(stderr, "does not pin") {
				t.Errorf("exit %d, want 4 naming the unpinned bash:\n%s%s", code, stdout, stderr)
			}
			if root != "" {
				if out, err := rpmQ(t, root, "-a"); strings.TrimSpace(out) != "" {
					t.Errorf("something was installed (%v):\n%s", err, out)
				}
			}
		})
	}
}
