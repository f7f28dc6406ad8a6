package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rpmvault/rpmvault/bundle"
	"github.com/rpmvault/rpmvault/fixtures"
)

// handRepo writes a yum repo by hand below dir (primary.xml as given, the
// repomd.xml that pins it) and returns dir.
func handRepo(t *testing.T, dir, primary string) string {
	t.Helper()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(primary))
	zw.Close()
	sum := sha256.Sum256(gz.Bytes())
	md := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo"><data type="primary"><checksum type="sha256">%s</checksum><location href="repodata/primary.xml.gz"/><size>%d</size></data></repomd>`,
		hex.EncodeToString(sum[:]), gz.Len())
	if err := os.MkdirAll(filepath.Join(dir, "repodata"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"primary.xml.gz": gz.Bytes(), "repomd.xml": []byte(md)} {
		if err := os.WriteFile(filepath.Join(dir, "repodata", name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// serveDir serves dir with the fixture server for the test's lifetime.
func serveDir(t *testing.T, dir string) *fixtures.Server {
	t.Helper()
	srv, err := fixtures.Serve(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// findEscaped lists files named like prefix anywhere below dir.
func findEscaped(t *testing.T, dir, prefix string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), prefix) {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// TestResolveRefusesHostileNamesInPrimary: a repo (served over HTTP) whose
// primary.xml names a package "../../../../tmp/x" is refused at resolve,
// naming the package name, before anything could become a path.
func TestResolveRefusesHostileNamesInPrimary(t *testing.T) {
	dir := t.TempDir()
	repo := handRepo(t, filepath.Join(dir, "repo"), `<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="1">
<package type="rpm"><name>../../../../tmp/x</name><arch>x86_64</arch><version epoch="0" ver="1" rel="1"/>
<checksum type="sha256" pkgid="YES">`+strings.Repeat("ab", 32)+`</checksum><size package="10"/><location href="Packages/x.rpm"/>
<format><rpm:sourcerpm>x-1-1.src.rpm</rpm:sourcerpm></format></package></metadata>`)
	srv := serveDir(t, repo)
	manifest := writeFile(t, filepath.Join(dir, "m.yaml"), `name: hostile
arch: x86_64
repos:
  - id: evil
    baseurl: [`+srv.URL+`/]
    gpgcheck: false
install: [../../../../tmp/x]
`)
	code, _, stderr := rpmvault(t, "resolve", "-m", manifest, "--store", filepath.Join(dir, "store"), "--no-abi", "--lock", filepath.Join(dir, "l.yaml"))
	if code == 0 || !strings.Contains(stderr, `package name "../../../../tmp/x"`) || !strings.Contains(stderr, "file name") {
		t.Fatalf("exit %d, want the hostile name refused; stderr:\n%s", code, stderr)
	}
}

// TestBundleRefusesHostileLockNames: a lock whose package name climbs out
// (the object itself is genuine and in the store) is refused before the
// bundle writes anything, and nothing appears outside the output directory.
func TestBundleRefusesHostileLockNames(t *testing.T) {
	b, lock, store, maps := makeBundle(t)
	data, err := os.ReadFile(lock)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^(\s+)name: libcgroup$`)
	if !re.Match(data) {
		t.Fatalf("lock has no libcgroup entry:\n%s", data)
	}
	root := t.TempDir()
	out := filepath.Join(root, "a", "b", "c")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"../../../../escaped", "escaped/../../../../../x", "esc\x00aped"} {
		hostile := writeFile(t, filepath.Join(root, "hostile.lock.yaml"), re.ReplaceAllString(string(data), fmt.Sprintf("${1}name: %q", name)))
		code, _, stderr := rpmvault(t, append([]string{"bundle", "--lock", hostile, "--store", store, "--offline", "-o", filepath.Join(out, "x.tar.gz"), "--binary", os.Args[0]}, maps...)...)
		if code == 0 || !strings.Contains(stderr, "package name") || !strings.Contains(stderr, "file name") {
			t.Errorf("%q: exit %d, want the name refused; stderr:\n%s", name, code, stderr)
		}
		if esc := append(findEscaped(t, root, "escaped"), findEscaped(t, root, "x-")...); len(esc) > 0 {
			t.Errorf("%q: files written outside the bundle: %v", name, esc)
		}
	}
	if _, err := os.Stat(b); err != nil {
		t.Fatal(err)
	}
}

// readOnlyRun runs script with args from a read-only bind mount of dir (a
// private mount namespace: as if the bundle were on a CD), with TMPDIR
// pointing at a writable directory.
func readOnlyRun(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	fixtures.NeedTool(t, "unshare")
	probe := exec.Command("unshare", "-m", "sh", "-c", `mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" "$1"`, "sh", dir)
	if out, err := probe.CombinedOutput(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("a read-only bind mount is needed in CI (run as root): %v\n%s", err, out)
		}
		t.Skipf("cannot make a read-only bind mount here (%v): run as root", err)
	}
	script := `mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" "$1" || exit 99
touch "$1/probe" 2>/dev/null && { echo "bind mount is writable"; exit 98; }
shift; exec "$@"`
	cmd := exec.Command("unshare", append([]string{"-m", "sh", "-c", script, "sh", dir}, args...)...)
	cmd.Env = append(os.Environ(), "TMPDIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestInstallShFromReadOnlyMedia: install.sh from a read-only directory
// installs with real rpm into a scratch root, and still tells a damaged
// bundle apart (naming the damaged file) rather than calling every bundle
// damaged because it cannot write beside itself.
func TestInstallShFromReadOnlyMedia(t *testing.T) {
	fixtures.NeedTool(t, "rpm")
	fixtures.NeedTool(t, "dash")
	b, _, _, _ := makeBundle(t)
	dir, err := bundle.Extract(b, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	out, err := readOnlyRun(t, dir, "dash", filepath.Join(dir, "install.sh"), "--root", root)
	if err != nil {
		t.Fatalf("install.sh from read-only media: %v\n%s", err, out)
	}
	assertInstalledCleanly(t, root, "docker-engine-1.7.1-1.el6.x86_64", "tar-1.23-11.el6.x86_64")

	os.WriteFile(filepath.Join(dir, "rpms", "tar-1.23-11.el6.x86_64.rpm"), []byte("not an rpm"), 0o644)
	out, err = readOnlyRun(t, dir, "dash", filepath.Join(dir, "install.sh"), "--root", t.TempDir())
	if err == nil || !strings.Contains(out, "checksum verification failed") || !strings.Contains(out, "rpms/tar-1.23-11.el6.x86_64.rpm: FAILED") {
		t.Fatalf("damaged bundle from read-only media: %v\n%s", err, out)
	}
}
