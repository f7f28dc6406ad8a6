package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rpmvault/rpmvault/bundle"
	"github.com/rpmvault/rpmvault/fixtures"
)

// makeBundle runs resolve → bundle on the fixture world and returns the
// bundle path and the lock it was made from.
func makeBundle(t *testing.T, extraResolve ...string) (bundlePath, lock, store string, maps []string) {
	return makeBundleFrom(t, shippedManifest, extraResolve...)
}

func makeBundleFrom(t *testing.T, manifest string, extraResolve ...string) (bundlePath, lock, store string, maps []string) {
	t.Helper()
	_, maps = fixtureWorld(t)
	dir := t.TempDir()
	lock, store = filepath.Join(dir, "docker.lock.yaml"), filepath.Join(dir, "store")
	args := append([]string{"resolve", "-m", manifest, "--lock", lock}, extraResolve...)
	if code, _, stderr := rpmvault(t, append(args, maps...)...); code != 0 {
		t.Fatalf("resolve: exit %d: %s", code, stderr)
	}
	bundlePath = filepath.Join(dir, "docker-1.7.1-el6.tar.gz")
	if code, _, stderr := rpmvault(t, append([]string{"bundle", "--lock", lock, "--store", store, "-o", bundlePath, "--binary", os.Args[0]}, maps...)...); code != 0 {
		t.Fatalf("bundle: exit %d: %s", code, stderr)
	}
	return bundlePath, lock, store, maps
}

func rpmQ(t *testing.T, root string, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command("rpm", append([]string{"--root", root, "-q"}, args...)...).CombinedOutput()
	return string(out), err
}

func assertInstalledCleanly(t *testing.T, root string, want ...string) {
	t.Helper()
	out, err := rpmQ(t, root, append([]string{"--qf", "%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}\n"}, namesOf(want)...)...)
	if err != nil {
		t.Fatalf("rpm -q: %v\n%s", err, out)
	}
	for _, w := range want {
		if !strings.Contains(out, w+"\n") {
			t.Errorf("%s not installed; rpm -q says:\n%s", w, out)
		}
	}
	if va, err := exec.Command("rpm", "--root", root, "-Va").CombinedOutput(); err != nil || len(bytes.TrimSpace(va)) > 0 {
		t.Errorf("rpm -Va reports problems (%v):\n%s", err, va)
	}
}

func namesOf(nvras []string) []string {
	var out []string
	for _, n := range nvras {
		parts := strings.Split(n, "-")
		out = append(out, strings.Join(parts[:len(parts)-2], "-"))
	}
	return out
}

func TestBundleInstallIntoEmptyRoot(t *testing.T) {
	fixtures.NeedTool(t, "rpm")
	b, _, _, _ := makeBundle(t)
	root := t.TempDir()
	// An empty root's rpmdb trusts no key: --import-keys says to trust the bundle's.
	code, stdout, stderr := rpmvault(t, "install", b, "--root", root, "--import-keys")
	if code != 0 {
		t.Fatalf("install: exit %d\n%s\n%s", code, stdout, stderr)
	}
	assertInstalledCleanly(t, root, "docker-engine-1.7.1-1.el6.x86_64", "device-mapper-libs-1.02.90-2.el6_6.1.x86_64", "libcgroup-0.40.rc1-15.el6_6.x86_64")
	// A second install, anchored by the keys now in the rpmdb, finds nothing to do.
	if code, _, stderr := rpmvault(t, "install", b, "--root", root); code != 0 || !strings.Contains(stderr, "already installed") || !strings.Contains(stderr, "anchored: every package is signed") {
		t.Errorf("second install: exit %d: %s", code, stderr)
	}
}

func TestInstallExtractAndDryRun(t *testing.T) {
	b, _, _, _ := makeBundle(t)
	root := filepath.Join(t.TempDir(), "sysroot")
	if code, _, stderr := rpmvault(t, append([]string{"install", b, "--extract", "--root", root}, lockAnchor(t, b)...)...); code != 0 {
		t.Fatalf("extract: exit %d: %s", code, stderr)
	}
	if target, err := os.Readlink(filepath.Join(root, "bin/sh")); err != nil || target != "bash" {
		t.Errorf("sysroot /bin/sh: %q %v", target, err)
	}
	if _, err := os.Stat(filepath.Join(root, "usr/bin/docker")); err != nil {
		t.Error(err)
	}
	fixtures.NeedTool(t, "rpm")
	empty := t.TempDir()
	code, stdout, stderr := rpmvault(t, "install", b, "--root", empty, "--dry-run")
	if code != 0 || !strings.Contains(stdout, "docker-engine-1.7.1-1.el6.x86_64") {
		t.Fatalf("dry run: exit %d\n%s%s", code, stdout, stderr)
	}
	if q, _ := rpmQ(t, empty, "-a"); strings.TrimSpace(q) != "" {
		t.Errorf("--dry-run changed the root: %s", q)
	}
}

func TestBundleInstallShAlone(t *testing.T) {
	fixtures.NeedTool(t, "rpm")
	fixtures.NeedTool(t, "dash")
	b, _, _, _ := makeBundle(t)
	dir, err := bundle.Extract(b, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	// dash is the strictest POSIX sh at hand, close to what CentOS 6's sh accepts.
	out, err := exec.Command("dash", filepath.Join(dir, "install.sh"), "--root", root).CombinedOutput()
	if err != nil {
		t.Fatalf("install.sh: %v\n%s", err, out)
	}
	assertInstalledCleanly(t, root, "docker-engine-1.7.1-1.el6.x86_64", "tar-1.23-11.el6.x86_64")
	if q, err := rpmQ(t, root, "gpg-pubkey"); err == nil {
		t.Errorf("install.sh imported the bundle's keys without --import-keys:\n%s", q)
	}

	// A damaged bundle is refused before anything happens.
	os.WriteFile(filepath.Join(dir, "rpms", "tar-1.23-11.el6.x86_64.rpm"), []byte("not an rpm"), 0o644)
	root2 := t.TempDir()
	out, err = exec.Command("dash", filepath.Join(dir, "install.sh"), "--root", root2).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "checksum verification failed") {
		t.Fatalf("damaged bundle: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(root2, "var/lib/rpm")); err == nil {
		if q, _ := rpmQ(t, root2, "-a"); strings.TrimSpace(q) != "" {
			t.Errorf("a damaged bundle changed the root: %s", q)
		}
	}
}

func TestBundleOntoCentOS65Baseline(t *testing.T) {
	fixtures.NeedTool(t, "rpm")
	w, _ := fixtureWorld(t)
	baseline := filepath.Join(t.TempDir(), "installed.txt")
	os.WriteFile(baseline, []byte(w.Baseline65()), 0o644)
	// The manifest for a 6.5 box names the 6.5 tree too, so the resolver
	// knows what the installed packages require.
	data, err := os.ReadFile(shippedManifest)
	if err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(t.TempDir(), "docker-on-6.5.yaml")
	os.WriteFile(manifest, bytes.Replace(data, []byte("repos:\n"), []byte("repos:\n  - id: base65\n    baseurl: [https://vault.centos.org/6.5/os/x86_64/]\n    gpgkey: https://vault.centos.org/RPM-GPG-KEY-CentOS-6\n"), 1), 0o644)
	b, _, _, _ := makeBundleFrom(t, manifest, "--baseline", baseline)
	// A root that really is the 6.5 baseline.
	root := seedBaseline65(t, w)
	code, stdout, stderr := rpmvault(t, "install", b, "--root", root, "--stepwise", "--import-keys")
	if code != 0 {
		t.Fatalf("install: exit %d\n%s\n%s", code, stdout, stderr)
	}
	// The constraint forced the device-mapper family up, all of it.
	assertInstalledCleanly(t, root, "docker-engine-1.7.1-1.el6.x86_64",
		"device-mapper-libs-1.02.90-2.el6_6.1.x86_64", "device-mapper-1.02.90-2.el6_6.1.x86_64",
		"device-mapper-event-1.02.90-2.el6_6.1.x86_64", "lvm2-2.02.111-2.el6_6.1.x86_64")
}

func TestStepwiseInstallResumes(t *testing.T) {
	fixtures.NeedTool(t, "rpm")
	b, _, _, _ := makeBundle(t)
	dir, err := bundle.Extract(b, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// The first step went in before the box lost power.
	plan, err := os.ReadFile(filepath.Join(dir, "plan.txt"))
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	args := []string{"--root", root, "-U", "--nosignature"}
	for _, line := range strings.Split(string(plan), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "1" {
			args = append(args, filepath.Join(dir, f[2]))
		}
	}
	if len(args) == 4 {
		t.Fatal("no step 1 in plan.txt")
	}
	if out, err := exec.Command("rpm", args...).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	code, _, stderr := rpmvault(t, "install", dir, "--root", root, "--stepwise", "--import-keys")
	if code != 0 {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	if strings.Contains(stderr, "step 1/") && strings.Contains(stderr, "setup") {
		t.Errorf("the finished step ran again: %s", stderr)
	}
	assertInstalledCleanly(t, root, "docker-engine-1.7.1-1.el6.x86_64", "setup-2.8.14-20.el6_4.1.noarch")
	if _, err := os.Stat(filepath.Join(root, "var/lib/rpmvault")); err == nil {
		if ents, _ := os.ReadDir(filepath.Join(root, "var/lib/rpmvault")); len(ents) > 0 {
			t.Errorf("journal left behind after a complete install: %v", ents)
		}
	}
}

func TestInstallRefusesConflictAndChangesNothing(t *testing.T) {
	fixtures.NeedTool(t, "rpm")
	w, _ := fixtureWorld(t)
	b, _, _, _ := makeBundle(t)
	root := t.TempDir()
	// docker-io from EPEL is on the box.
	dockerIO := w.RPMPath("epel/6/x86_64", "docker-io-1.7.1-2.el6.x86_64")
	if out, err := exec.Command("rpm", "--root", root, "-i", "--nodeps", "--nosignature", dockerIO).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	before, _ := rpmQ(t, root, "-a")
	code, _, stderr := rpmvault(t, "install", b, "--root", root, "--import-keys")
	if code != exitUnresolvable || !strings.Contains(stderr, "conflicts with installed docker-io-1.7.1-2.el6.x86_64") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if after, _ := rpmQ(t, root, "-a"); after != before {
		t.Errorf("the rpmdb changed:\nbefore %s\nafter %s", before, after)
	}
}

func TestBundleDeterministicAndTamperEvident(t *testing.T) {
	b, lock, store, maps := makeBundle(t)
	b2 := filepath.Join(t.TempDir(), filepath.Base(b))
	if code, _, stderr := rpmvault(t, append([]string{"bundle", "--lock", lock, "--store", store, "-o", b2, "--binary", os.Args[0]}, maps...)...); code != 0 {
		t.Fatalf("bundle: %s", stderr)
	}
	one, _ := os.ReadFile(b)
	two, _ := os.ReadFile(b2)
	if !bytes.Equal(one, two) {
		t.Fatal("two bundles of one lock differ")
	}
	if code, stdout, stderr := rpmvault(t, "verify", b); code != 0 {
		t.Fatalf("verify: exit %d %s %s", code, stdout, stderr)
	}
	tests := []struct {
		name   string
		tamper func(dir string)
		want   string
	}{
		{"flipped byte", func(dir string) { flipByte(t, filepath.Join(dir, "rpms", "bash-4.1.2-29.el6.x86_64.rpm")) }, "rpms/bash-4.1.2-29.el6.x86_64.rpm"},
		{"missing file", func(dir string) { os.Remove(filepath.Join(dir, "rpms", "tar-1.23-11.el6.x86_64.rpm")) }, "rpms/tar-1.23-11.el6.x86_64.rpm"},
		{"extra file", func(dir string) { os.WriteFile(filepath.Join(dir, "rpms", "evil.rpm"), []byte("x"), 0o644) }, "rpms/evil.rpm"},
		{"renamed file", func(dir string) {
			os.Rename(filepath.Join(dir, "install.sh"), filepath.Join(dir, "install2.sh"))
		}, "install2.sh"},
		{"edited sbom", func(dir string) {
			p := filepath.Join(dir, "sbom.cdx.json")
			b, _ := os.ReadFile(p)
			os.WriteFile(p, bytes.Replace(b, []byte(`"name": "docker-engine"`), []byte(`"name": "docker-engine-fixed"`), 1), 0o644)
		}, "sbom.cdx.json"},
		{"edited lock", func(dir string) {
			p := filepath.Join(dir, "lock.yaml")
			b, _ := os.ReadFile(p)
			os.WriteFile(p, bytes.Replace(b, []byte("reason: requested"), []byte("reason: tampered"), 1), 0o644)
		}, "lock.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, err := bundle.Extract(b, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			tt.tamper(dir)
			code, _, stderr := rpmvault(t, "verify", dir)
			if code != exitVerification || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, want 4 naming %s; stderr: %s", code, tt.want, stderr)
			}
			// With --json the verdict is on stdout too.
			code, stdout, _ := rpmvault(t, "verify", dir, "--json")
			var verdict struct {
				OK    *bool
				Error string
			}
			if err := json.Unmarshal([]byte(stdout), &verdict); code != exitVerification || err != nil || verdict.OK == nil || *verdict.OK || !strings.Contains(verdict.Error, tt.want) {
				t.Errorf("verify --json: exit %d, %v, stdout %q", code, err, stdout)
			}
		})
	}
}

func flipByte(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// seedBaseline65 installs the fixture CentOS 6.5 baseline into a new root.
func seedBaseline65(t *testing.T, w *fixtures.World) string {
	t.Helper()
	root := t.TempDir()
	args := []string{"--root", root, "-i", "--nosignature"}
	for _, s := range w.Baseline65Specs() {
		args = append(args, w.RPMPath("vault/6.5/os/x86_64", s.NEVRA()))
	}
	if out, err := exec.Command("rpm", args...).CombinedOutput(); err != nil {
		t.Fatalf("seed the 6.5 root: %v\n%s", err, out)
	}
	return root
}
