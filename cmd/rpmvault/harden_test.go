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
	"syscall"
	"testing"
	"time"

	"github.com/rpmvault/rpmvault/bundle"
	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/lock"
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

// TestStrictConfiguration: the environment and rpmvault.yaml are checked
// like the command line: RPMVAULT_OFFLINE=yes is honoured (no request is
// made), values that are not of the setting's type and unknown keys or
// variables are usage errors naming them and the valid ones.
func TestStrictConfiguration(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name string
		env  map[string]string
		file string
		want []string
	}{
		{"bad duration", map[string]string{"RPMVAULT_METADATA_EXPIRE": "banana"}, "", []string{"RPMVAULT_METADATA_EXPIRE", `"banana" is not a duration`}},
		{"bad bool", map[string]string{"RPMVAULT_OFFLINE": "maybe"}, "", []string{"RPMVAULT_OFFLINE", `"maybe" is not a boolean`}},
		{"bad int", map[string]string{"RPMVAULT_JOBS": "many"}, "", []string{"RPMVAULT_JOBS", "not a whole number"}},
		{"typo in the file", nil, "stroe: /x\n", []string{`unknown key "stroe"`, "store", "metadata-expire"}},
		{"bad value in the file", nil, "metadata-expire: banana\n", []string{"key metadata-expire", `"banana" is not a duration`}},
		{"nested typo in the file", nil, "mirror:\n  jobs: 3\n", []string{`unknown key "mirror.jobs"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			args := []string{"version"}
			if tt.file != "" {
				args = append(args, "--config", writeFile(t, filepath.Join(dir, "rpmvault.yaml"), tt.file))
			}
			code, _, stderr := rpmvault(t, args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d (usage); stderr: %s", code, exitUsage, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr does not say %q:\n%s", w, stderr)
				}
			}
		})
	}
	// An unknown RPMVAULT_ variable is named in a warning (scripts use the prefix too).
	t.Setenv("RPMVAULT_STOER", "/x")
	if code, _, stderr := rpmvault(t, "version"); code != 0 || !strings.Contains(stderr, "RPMVAULT_STOER is not a setting") || !strings.Contains(stderr, "store") {
		t.Errorf("unknown variable: exit %d, stderr %q", code, stderr)
	}
	for _, ok := range []map[string]string{{"RPMVAULT_METADATA_EXPIRE": "3600"}, {"RPMVAULT_OFFLINE": "no"}, {"RPMVAULT_QUIET": "on"}} {
		for k, v := range ok {
			t.Setenv(k, v)
		}
		if code, _, stderr := rpmvault(t, "version"); code != 0 {
			t.Errorf("%v: exit %d: %s", ok, code, stderr)
		}
	}
}

// TestOfflineYesIsHonoured: RPMVAULT_OFFLINE=yes means offline: resolving
// with an empty cache fails for want of it, and the server sees nothing.
func TestOfflineYesIsHonoured(t *testing.T) {
	_, maps := fixtureWorld(t)
	t.Setenv("RPMVAULT_OFFLINE", "yes")
	before := worldSrv.TotalRequests()
	code, _, stderr := rpmvault(t, append([]string{"resolve", "-m", shippedManifest, "--store", t.TempDir(), "--no-abi"}, maps...)...)
	if code == 0 || !strings.Contains(stderr, "--offline") {
		t.Errorf("exit %d, want the offline resolve to fail for want of a cache; stderr: %s", code, stderr)
	}
	if n := worldSrv.TotalRequests() - before; n != 0 {
		t.Errorf("RPMVAULT_OFFLINE=yes made %d network requests", n)
	}
}

// TestBundleWritesLockAsHelpSays: bundle -m M --lock FILE writes FILE, with
// every package pinned by sha256 (header-only sources too).
func TestBundleWritesLockAsHelpSays(t *testing.T) {
	_, maps := fixtureWorld(t)
	dir := t.TempDir()
	lockFile := filepath.Join(dir, "out.lock.yaml")
	code, _, stderr := rpmvault(t, append([]string{"bundle", "-m", shippedManifest, "--lock", lockFile, "--store", filepath.Join(dir, "store"),
		"-o", filepath.Join(dir, "b.tar.gz"), "--binary", os.Args[0], "--no-abi"}, maps...)...)
	if code != 0 {
		t.Fatalf("bundle: exit %d: %s", code, stderr)
	}
	data, err := os.ReadFile(lockFile)
	if err != nil {
		t.Fatalf("bundle -m --lock did not write the lock: %v", err)
	}
	if n := strings.Count(string(data), "checksum: sha256:"); n < 20 || strings.Contains(string(data), `checksum: ""`) {
		t.Errorf("lock pins %d packages by sha256:\n%s", n, data)
	}
}

// runAsRpmvault starts this test binary as rpmvault (see TestMain).
func runAsRpmvault(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer, <-chan error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "BE_RPMVAULT_FOR_TEST=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	return cmd, &stderr, done
}

// TestSignalStopsBundleAndRemovesTemporaries: SIGINT or SIGTERM while the
// bundle is being written stops it through the context; no .bundle-*
// temporary and no archive are left. --binary is a FIFO, so the test knows
// the bundle is mid-write when its open returns, and the write would block
// for ever unless the signal stops it.
func TestSignalStopsBundleAndRemovesTemporaries(t *testing.T) {
	_, lock, store, maps := makeBundle(t)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			fifo := filepath.Join(dir, "binary.fifo")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out")
			os.Mkdir(out, 0o755)
			cmd, stderr, done := runAsRpmvault(t, append([]string{"bundle", "--lock", lock, "--store", store, "--offline", "-o", filepath.Join(out, "b.tar.gz"), "--binary", fifo}, maps...)...)
			opened := make(chan *os.File, 1)
			go func() {
				f, err := os.OpenFile(fifo, os.O_WRONLY, 0) // returns once the bundle reads it
				if err == nil {
					opened <- f
				}
			}()
			select {
			case f := <-opened:
				defer f.Close()
				f.Write([]byte("part of a binary")) // and then nothing: the copy blocks
			case err := <-done:
				t.Fatalf("bundle ended before reading --binary: %v\n%s", err, stderr)
			case <-time.After(2 * time.Minute):
				t.Fatal("bundle never opened --binary")
			}
			if m, _ := filepath.Glob(filepath.Join(out, ".bundle-*")); len(m) == 0 {
				t.Fatal("no .bundle-* staging directory while the bundle is being written")
			}
			cmd.Process.Signal(sig)
			select {
			case err := <-done:
				if err == nil || !strings.Contains(stderr.String(), "interrupted") {
					t.Errorf("want an interrupted exit, got %v: %s", err, stderr)
				}
			case <-time.After(time.Minute):
				t.Fatalf("bundle did not stop on %v", sig)
			}
			if left, _ := os.ReadDir(out); len(left) > 0 {
				var names []string
				for _, e := range left {
					names = append(names, e.Name())
				}
				t.Errorf("left behind after %v: %v", sig, names)
			}
		})
	}
}

// TestSignalStopsMirror: SIGTERM while mirror waits on a server that never
// answers stops it at once, through the context.
func TestSignalStopsMirror(t *testing.T) {
	w, maps := fixtureWorld(t)
	dir := t.TempDir()
	lock := filepath.Join(dir, "l.yaml")
	if code, _, stderr := rpmvault(t, append([]string{"resolve", "-m", shippedManifest, "--lock", lock, "--no-abi", "--store", filepath.Join(dir, "meta")}, maps...)...); code != 0 {
		t.Fatalf("resolve: %s", stderr)
	}
	hang := serveDir(t, w.Root)
	arrived := make(chan string, 100)
	hang.SetFaults(fixtures.Faults{Hang: true, Arrived: arrived})
	var hangMaps []string
	for d, up := range fixtures.Upstreams {
		hangMaps = append(hangMaps, "--mirror-map", up+"="+hang.URL+"/"+d)
	}
	cmd, stderr, done := runAsRpmvault(t, append([]string{"mirror", "--lock", lock, "--store", filepath.Join(dir, "store"), "--header-timeout", "1h"}, hangMaps...)...)
	select {
	case <-arrived:
	case err := <-done:
		t.Fatalf("mirror ended before asking the server: %v\n%s", err, stderr)
	case <-time.After(2 * time.Minute):
		t.Fatal("mirror never asked the server")
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		if err == nil || !strings.Contains(stderr.String(), "interrupted") {
			t.Errorf("want an interrupted exit, got %v: %s", err, stderr)
		}
	case <-time.After(time.Minute):
		t.Fatal("mirror did not stop on SIGTERM")
	}
}

// TestStepwiseJournalStaysInRootAndIsCheckedAgainstRpmdb: the journal is
// keyed by the lock's sha256 inside --root, so a manifest name with "../"
// touches nothing outside; and a stale journal that lists every step as
// done cannot make an install skip them while the rpmdb lacks their
// packages ("installed N packages" with nothing installed).
func TestStepwiseJournalStaysInRootAndIsCheckedAgainstRpmdb(t *testing.T) {
	fixtures.NeedTool(t, "rpm")
	_, lockPath, store, maps := makeBundle(t)
	data, err := os.ReadFile(lockPath)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	victim := writeFile(t, filepath.Join(dir, "victim"), "outside the root: must survive\n")
	root := filepath.Join(dir, "a", "b", "root")
	os.MkdirAll(root, 0o755)
	// From root/var/lib/rpmvault, "journal-" + this name lands on the victim.
	climb := "/../../../../../../../victim"
	re := regexp.MustCompile(`(?m)^(\s+manifest: ).*$`)
	if !re.Match(data) {
		t.Fatalf("no manifest in the lock:\n%s", data)
	}
	hostile := writeFile(t, filepath.Join(dir, "hostile.lock.yaml"), re.ReplaceAllString(string(data), "${1}"+climb))
	b := filepath.Join(dir, "hostile.tar.gz")
	if code, _, stderr := rpmvault(t, append([]string{"bundle", "--lock", hostile, "--store", store, "--offline", "-o", b, "--binary", os.Args[0]}, maps...)...); code != 0 {
		t.Fatalf("bundle: exit %d: %s", code, stderr)
	}
	extracted, err := bundle.Extract(b, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	lockYAML, err := os.ReadFile(filepath.Join(extracted, "lock.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(lockYAML)
	// A stale journal claiming every step, under the old name and the new.
	journalDir := filepath.Join(root, "var", "lib", "rpmvault")
	os.MkdirAll(journalDir, 0o755)
	var allSteps string
	for i := 1; i <= 64; i++ {
		allSteps += fmt.Sprintf("%d\n", i)
	}
	writeFile(t, filepath.Join(journalDir, "journal-"+hex.EncodeToString(sum[:])), allSteps)
	writeFile(t, victim, allSteps) // what the old journal name points at

	code, stdout, stderr := rpmvault(t, "install", extracted, "--root", root, "--stepwise", "--lock-sha256", hex.EncodeToString(sum[:]))
	if code != 0 {
		t.Fatalf("install --stepwise: exit %d\n%s\n%s", code, stdout, stderr)
	}
	assertInstalledCleanly(t, root, "docker-engine-1.7.1-1.el6.x86_64", "setup-2.8.14-20.el6_4.1.noarch")
	if got, err := os.ReadFile(victim); err != nil || string(got) != allSteps {
		t.Errorf("the file outside the root was changed or removed: %v %q", err, got)
	}
	if ents, _ := os.ReadDir(journalDir); len(ents) > 0 {
		t.Errorf("journal left behind after a complete install: %v", ents)
	}
}

// TestStoreCorruptionIsCaught: a flipped byte in a stored object is refused
// by bundle (which hashes every object as it reads it), found by store
// verify, and repaired by store verify --repair (from the store's index or
// the lock's URLs) and by mirror --rehash.
func TestStoreCorruptionIsCaught(t *testing.T) {
	_, lockPath, store, maps := makeBundle(t)
	lk, err := lock.Read(lockPath)
	if err != nil {
		t.Fatal(err)
	}
	var sha, name string
	for _, p := range lk.Packages() {
		if p.Name == "libcgroup" {
			sha, name = p.SHA256(), p.NEVRA()
		}
	}
	if sha == "" {
		t.Fatal("libcgroup is not pinned by sha256")
	}
	object := filepath.Join(store, "objects", "sha256", sha[:2], sha)
	damage := func() {
		t.Helper()
		os.Chmod(object, 0o644)
		flipByte(t, object)
	}
	verifyStore := func(args ...string) (int, string, string) {
		return rpmvault(t, append(append([]string{"store", "verify", "--store", store}, args...), maps...)...)
	}

	// The last byte (payload: only hashing the whole object tells), then
	// the middle one (the header no longer parses).
	orig, err := os.ReadFile(object)
	if err != nil {
		t.Fatal(err)
	}
	lastByte := append([]byte(nil), orig...)
	lastByte[len(lastByte)-1] ^= 0xff
	for _, damaged := range [][]byte{lastByte, nil} {
		os.Chmod(object, 0o644)
		if damaged != nil {
			os.WriteFile(object, damaged, 0o444)
		} else {
			os.WriteFile(object, orig, 0o444)
			damage()
		}
		out := filepath.Join(t.TempDir(), "b.tar.gz")
		code, _, stderr := rpmvault(t, append([]string{"bundle", "--lock", lockPath, "--store", store, "--offline", "-o", out, "--binary", os.Args[0]}, maps...)...)
		if code != exitVerification || !strings.Contains(stderr, sha) || !strings.Contains(stderr, "store verify --repair") {
			t.Errorf("bundle of a damaged store: exit %d, want %d naming %s and the repair; stderr:\n%s", code, exitVerification, sha, stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Error("a bundle was written from a damaged store")
		}
	}
	code, stdout, stderr := verifyStore()
	if code != exitVerification || !strings.Contains(stdout, "DAMAGED "+sha) || !strings.Contains(stdout, name) || !strings.Contains(stderr, "--repair") {
		t.Errorf("store verify: exit %d\n%s\n%s", code, stdout, stderr)
	}
	// The index of earlier fetches knows the URLs.
	if code, stdout, stderr := verifyStore("--repair"); code != 0 || !strings.Contains(stdout, "repaired "+sha) {
		t.Fatalf("store verify --repair: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, stdout, stderr := verifyStore(); code != 0 || !strings.Contains(stdout, "OK") {
		t.Fatalf("store verify after the repair: exit %d\n%s\n%s", code, stdout, stderr)
	}

	// mirror --rehash notices, removes and fetches it again.
	damage()
	if code, _, stderr := rpmvault(t, append([]string{"mirror", "--lock", lockPath, "--store", store, "--rehash"}, maps...)...); code != 0 {
		t.Fatalf("mirror --rehash: exit %d: %s", code, stderr)
	}
	if code, stdout, stderr := verifyStore(); code != 0 {
		t.Fatalf("store verify after mirror --rehash: exit %d\n%s\n%s", code, stdout, stderr)
	}

	// Without the index, only the lock knows the URLs.
	damage()
	os.Remove(filepath.Join(store, "index.json"))
	os.RemoveAll(filepath.Join(store, "index"))
	if code, stdout, _ := verifyStore("--repair"); code != exitVerification || !strings.Contains(stdout, "no URL is known") {
		t.Errorf("repair without URLs: exit %d\n%s", code, stdout)
	}
	if code, stdout, stderr := verifyStore("--repair", "--lock", lockPath); code != 0 || !strings.Contains(stdout, "repaired") {
		t.Fatalf("store verify --repair --lock: exit %d\n%s\n%s", code, stdout, stderr)
	}
}
