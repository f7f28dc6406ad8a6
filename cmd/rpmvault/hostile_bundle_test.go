package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rpmvault/rpmvault/bundle"
	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/internal/digest"
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

// TestBundlePrintsItsSHA256: --lock-sha256 anchors the lock and its
// packages, not install.sh or bin/rpmvault, which run before anything is
// verified and which a forger changes along with SHA256SUMS (verify then
// still passes: the lock is intact). bundle prints the archive's sha256,
// the anchor for those, and a tampered archive does not match it.
func TestBundlePrintsItsSHA256(t *testing.T) {
	_, lockFile, store, maps := makeBundle(t)
	out := filepath.Join(t.TempDir(), "docker.tar.gz")
	code, stdout, stderr := rpmvault(t, append([]string{"bundle", "--lock", lockFile, "--store", store, "-o", out, "--binary", os.Args[0]}, maps...)...)
	if code != 0 {
		t.Fatalf("bundle: exit %d: %s", code, stderr)
	}
	m := regexp.MustCompile(`bundle sha256 ([0-9a-f]{64}) \(on the target, before unpacking it: echo '([0-9a-f]{64})  docker.tar.gz' \| sha256sum -c\)`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("bundle does not print the archive's sha256 and how to check it:\n%s", stdout)
	}
	if got, err := digest.FileSHA256(out); err != nil || got != m[1] || m[2] != m[1] {
		t.Fatalf("bundle printed %s, the archive hashes to %s (%v)", m[1], got, err)
	}
	dir, err := bundle.Extract(out, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "install.sh"), []byte("#!/bin/sh\necho owned\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	rewriteSums(t, dir)
	anchor := lockAnchor(t, out)
	if code, stdout, stderr := rpmvault(t, append([]string{"verify", dir}, anchor...)...); code != 0 || !strings.Contains(stdout, "anchored") {
		t.Fatalf("verify of an intact lock with a changed install.sh: exit %d\n%s%s", code, stdout, stderr)
	}
	tampered := filepath.Join(t.TempDir(), "docker.tar.gz")
	if o, err := exec.Command("tar", "czf", tampered, "-C", filepath.Dir(dir), filepath.Base(dir)).CombinedOutput(); err != nil {
		t.Fatalf("tar: %v %s", err, o)
	}
	if got, _ := digest.FileSHA256(tampered); got == m[1] {
		t.Fatal("the tampered archive has the printed sha256")
	}
}

// TestImportKeysOnlyTheLocksSigners: keys/ is not anchored, and rpm
// --import trusts every key of a file. With an anchored lock, install
// --import-keys imports only keys the lock's packages were verified with:
// a forger's key appended to the distribution's key file is refused before
// anything is imported or installed. With the rpmdb's keys as the anchor
// (they signed every package), nothing of keys/ is imported.
func TestImportKeysOnlyTheLocksSigners(t *testing.T) {
	fixtures.NeedTool(t, "rpm")
	w, _ := fixtureWorld(t)
	b, _, _, _ := makeBundle(t)
	forger, err := fixtures.NewSigner(t.TempDir(), "Forger")
	if err != nil {
		t.Fatal(err)
	}
	forgerID := strings.ToLower(forger.KeyID[8:])
	for _, c := range []struct {
		name   string
		rpmdb  bool // the box trusts the world's keys already
		append bool // the forger's key joins the first key file, else a file of its own
	}{
		{"anchored lock, key appended", false, true},
		{"rpmdb anchor, key file added", true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir, err := bundle.Extract(b, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			keys, err := filepath.Glob(filepath.Join(dir, "keys", "*"))
			if err != nil || len(keys) == 0 {
				t.Fatalf("no keys in the bundle: %v", err)
			}
			target := filepath.Join(dir, "keys", "base-FORGER")
			body := forger.PublicKey
			if c.append {
				target = keys[0]
				genuine, err := os.ReadFile(target)
				if err != nil {
					t.Fatal(err)
				}
				body = append(append([]byte(nil), genuine...), forger.PublicKey...)
			}
			if err := os.WriteFile(target, body, 0o644); err != nil {
				t.Fatal(err)
			}
			rewriteSums(t, dir)
			root := t.TempDir()
			args := []string{"install", dir, "--root", root, "--import-keys"}
			if c.rpmdb {
				trusted := trustedKeyDir(t, w)
				for _, k := range []string{"RPM-GPG-KEY-CentOS-6", "gpg"} {
					if out, err := exec.Command("rpm", "--root", root, "--import", filepath.Join(trusted, k)).CombinedOutput(); err != nil {
						t.Fatalf("rpm --import: %v %s", err, out)
					}
				}
			} else {
				args = append(args, lockAnchor(t, b)...)
			}
			code, stdout, stderr := rpmvault(t, args...)
			imported, _ := rpmQ(t, root, "gpg-pubkey")
			if strings.Contains(imported, forgerID) {
				t.Errorf("the forger's key %s was imported:\n%s", forger.KeyID, imported)
			}
			if c.rpmdb {
				if code != 0 {
					t.Errorf("install: exit %d\n%s%s", code, stdout, stderr)
				}
				return
			}
			if code != exitVerification || !strings.Contains(stderr, forger.KeyID) || !strings.Contains(stderr, "keys/"+filepath.Base(target)) {
				t.Errorf("exit %d, want 4 naming the forger's key %s and its file:\n%s%s", code, forger.KeyID, stdout, stderr)
			}
			if out, _ := rpmQ(t, root, "-a"); strings.TrimSpace(out) != "" {
				t.Errorf("something was imported or installed:\n%s", out)
			}
		})
	}
}

// TestStepwiseJournalMustBeAFile: a stepwise journal that is a link (here
// to a file outside the root saying step 1 is done) is refused before any
// step runs: it was read through, and then appended to through the link
// only after the first step had been installed.
func TestStepwiseJournalMustBeAFile(t *testing.T) {
	fixtures.NeedTool(t, "rpm")
	b, _, _, _ := makeBundle(t)
	anchor := lockAnchor(t, b)
	root := t.TempDir()
	jdir := filepath.Join(root, "var", "lib", "rpmvault")
	if err := os.MkdirAll(jdir, 0o755); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "journal")
	if err := os.WriteFile(outside, []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	journal := filepath.Join(jdir, "journal-"+anchor[1])
	if err := os.Symlink(outside, journal); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := rpmvault(t, append([]string{"install", b, "--root", root, "--stepwise"}, anchor...)...)
	if code == 0 || !strings.Contains(stderr, journal) {
		t.Errorf("exit %d, want a failure naming the journal %s:\n%s%s", code, journal, stdout, stderr)
	}
	if out, _ := rpmQ(t, root, "-a"); strings.TrimSpace(out) != "" {
		t.Errorf("steps ran before the journal was refused:\n%s", out)
	}
	if got, _ := os.ReadFile(outside); string(got) != "1\n" {
		t.Errorf("the file behind the link was written: %q", got)
	}
}
