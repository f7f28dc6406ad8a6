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
	"github.com/rpmvault/rpmvault/lock"
)

// lockAnchor returns --lock-sha256 for the lock a bundle carries (for tests
// about something else that need an anchored install).
func lockAnchor(t *testing.T, b string) []string {
	t.Helper()
	dir, cleanup, err := bundle.Open(b)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	data, err := os.ReadFile(filepath.Join(dir, "lock.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return []string{"--lock-sha256", lockDigest(data)}
}

// trustedKeyDir holds the world's vault and docker keys, as a box's
// /etc/pki/rpm-gpg would.
func trustedKeyDir(t *testing.T, w *fixtures.World) string {
	t.Helper()
	dir := t.TempDir()
	for _, k := range []string{"vault/RPM-GPG-KEY-CentOS-6", "docker/gpg"} {
		b, err := os.ReadFile(filepath.Join(w.Root, k))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(k)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestTrustAnchors: the attack of issue 11 item 5 — bash swapped for an
// unsigned one, gpgcheck set to false in the bundle's lock, pins and
// SHA256SUMS recomputed — is refused from every anchor, and said to be
// unanchored without one; a genuine bundle passes from each anchor, and
// installing it imports no key unless asked.
func TestTrustAnchors(t *testing.T) {
	w, maps := fixtureWorld(t)
	_, lockFile, store, _ := makeBundle(t)
	// bundle prints the sha256 that anchors the lock it packs.
	b2 := filepath.Join(t.TempDir(), "again.tar.gz")
	code, stdout, stderr := rpmvault(t, append([]string{"bundle", "--lock", lockFile, "--store", store, "-o", b2, "--binary", os.Args[0]}, maps...)...)
	if code != 0 {
		t.Fatalf("bundle: exit %d: %s", code, stderr)
	}
	m := regexp.MustCompile(`lock sha256 ([0-9a-f]{64})`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("bundle does not print the lock's sha256:\n%s", stdout)
	}
	good := m[1]
	if got := lockAnchor(t, b2)[1]; got != good {
		t.Fatalf("bundle printed %s, its lock.yaml hashes to %s", good, got)
	}
	keys := trustedKeyDir(t, w)
	// resolve --lock prints the sha256 of the lock it writes.
	relock := filepath.Join(t.TempDir(), "re.lock.yaml")
	code, _, stderr = rpmvault(t, append([]string{"resolve", "-m", shippedManifest, "--lock", relock}, maps...)...)
	if code != 0 {
		t.Fatalf("resolve: exit %d: %s", code, stderr)
	}
	if data, err := os.ReadFile(relock); err != nil || !strings.Contains(stderr, "sha256 "+lockDigest(data)) {
		t.Errorf("resolve --lock does not print the sha256 of %s (%v):\n%s", relock, err, stderr)
	}

	const file = "bash-4.1.2-29.el6.x86_64.rpm"
	evil := bashSpec(t, w)
	evil.Files = append([]fixtures.File(nil), evil.Files...)
	for i := range evil.Files {
		if evil.Files[i].Path == "/bin/bash" {
			evil.Files[i].Body = []byte("#!/bin/sh\necho owned\n")
		}
	}
	unsigned, err := fixtures.Build(evil)
	if err != nil {
		t.Fatal(err)
	}
	swapped, err := bundle.Extract(b2, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	replaceBundleRPM(t, swapped, file, unsigned, func(l *lock.Lock) {
		for i := range l.RPMVault.Repos {
			l.RPMVault.Repos[i].GPGCheck = false
		}
	})

	// Without an anchor the swap is self-consistent: verify passes but says so.
	code, stdout, _ = rpmvault(t, "verify", swapped)
	if code != 0 || !strings.Contains(stdout, "\nNOT anchored: ") {
		t.Errorf("verify without an anchor: exit %d, want 0 saying NOT anchored:\n%s", code, stdout)
	}
	refused := []struct {
		name string
		args []string
		want string
	}{
		{"verify --lock-sha256", []string{"verify", swapped, "--lock-sha256", good}, "not the lock you trusted"},
		{"verify --trusted-keys", []string{"verify", swapped, "--trusted-keys", keys}, "rpms/" + file + ": is not signed, so no key from --trusted-keys"},
		{"install --extract, no anchor", []string{"install", swapped, "--extract", "--root", filepath.Join(t.TempDir(), "r")}, "nothing outside the bundle vouches"},
		// Trusting the bundle's keys is not trusting its lock's gpgcheck: false.
		{"install --extract --import-keys", []string{"install", swapped, "--extract", "--root", filepath.Join(t.TempDir(), "r"), "--import-keys"}, "is not signed, so no key from the bundle's own keys/"},
		{"install --extract --lock-sha256", []string{"install", swapped, "--extract", "--root", filepath.Join(t.TempDir(), "r"), "--lock-sha256", good}, "not the lock you trusted"},
	}
	for _, r := range refused {
		t.Run(r.name, func(t *testing.T) {
			code, stdout, stderr := rpmvault(t, r.args...)
			if code != exitVerification || !strings.Contains(stderr, r.want) {
				t.Errorf("exit %d, want 4 saying %q:\n%s%s", code, r.want, stdout, stderr)
			}
		})
	}

	// A genuinely signed but older bash under the newer one's name: the
	// header's NEVRA gives it away, anchored or not.
	older, err := os.ReadFile(w.RPMPath("vault/6.5/os/x86_64", "bash-4.1.2-15.el6_4.x86_64"))
	if err != nil {
		t.Fatal(err)
	}
	downgraded, err := bundle.Extract(b2, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	replaceBundleRPM(t, downgraded, file, older, nil)
	for _, args := range [][]string{{"verify", downgraded}, {"verify", downgraded, "--trusted-keys", keys}} {
		code, _, stderr := rpmvault(t, args...)
		if code != exitVerification || !strings.Contains(stderr, "header says bash-0:4.1.2-15.el6_4.x86_64") {
			t.Errorf("%v: exit %d, want 4 naming the header's NEVRA: %s", args, code, stderr)
		}
	}

	// The genuine bundle, from each anchor.
	for _, anchor := range [][]string{{"--lock-sha256", good}, {"--trusted-keys", keys}} {
		code, stdout, stderr := rpmvault(t, append([]string{"verify", b2}, anchor...)...)
		if code != 0 || !strings.Contains(stdout, "\nanchored: ") {
			t.Errorf("verify %v: exit %d:\n%s%s", anchor, code, stdout, stderr)
		}
	}
	if code, _, stderr := rpmvault(t, "verify", b2, "--lock-sha256", strings.Repeat("0", 64)); code != exitVerification {
		t.Errorf("verify with a wrong --lock-sha256: exit %d: %s", code, stderr)
	}

	fixtures.NeedTool(t, "rpm")
	// A real install anchored by the lock imports no key...
	root := t.TempDir()
	if code, stdout, stderr := rpmvault(t, "install", b2, "--root", root, "--lock-sha256", good); code != 0 {
		t.Fatalf("anchored install: exit %d\n%s%s", code, stdout, stderr)
	}
	if out, err := rpmQ(t, root, "gpg-pubkey"); err == nil {
		t.Errorf("install imported keys without --import-keys:\n%s", out)
	}
	// ...and the swapped bundle is refused by the keys that root's rpmdb
	// holds once the distribution's key is imported, as on a CentOS box.
	box := t.TempDir()
	if out, err := exec.Command("rpm", "--root", box, "--import", filepath.Join(keys, "RPM-GPG-KEY-CentOS-6")).CombinedOutput(); err != nil {
		t.Fatalf("rpm --import: %v %s", err, out)
	}
	code, _, stderr = rpmvault(t, "install", swapped, "--root", box)
	if code != exitVerification || !strings.Contains(stderr, "the rpmdb of "+box) {
		t.Errorf("install of the swapped bundle onto a box trusting the CentOS key: exit %d, want 4 naming the rpmdb: %s", code, stderr)
	}
	if out, _ := rpmQ(t, box, "-a"); strings.Contains(out, "bash") {
		t.Errorf("something was installed:\n%s", out)
	}
}
