package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rpmvault/rpmvault/bundle"
	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/lock"
)

// serveInProcess runs `rpmvault serve` on a free loopback port until the
// test ends and returns its base URL once it answers.
func serveInProcess(t *testing.T, args ...string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan string, 1)
	go func() {
		var out, errOut bytes.Buffer
		code := run(ctx, append([]string{"serve", "--addr", addr}, args...), &out, &errOut)
		done <- fmt.Sprintf("exit %d: %s%s", code, out.String(), errOut.String())
	}()
	t.Cleanup(func() { cancel(); <-done })
	base := "http://" + addr
	for deadline := time.Now().Add(30 * time.Second); ; {
		if resp, err := http.Get(base + "/"); err == nil {
			resp.Body.Close()
			return base
		}
		select {
		case msg := <-done:
			t.Fatalf("serve stopped: %s", msg)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("serve did not come up")
		}
	}
}

// dnfInstallFrom installs specs with real dnf from one repo URL into an
// empty installroot and returns the root.
func dnfInstallFrom(t *testing.T, repoURL string, specs ...string) string {
	t.Helper()
	fixtures.NeedTool(t, "dnf")
	fixtures.NeedTool(t, "rpm")
	dir := t.TempDir()
	conf := filepath.Join(dir, "dnf.conf")
	if err := os.WriteFile(conf, []byte("[main]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "root")
	// --nogpgcheck: the fixture packages carry CentOS 6 style V3/SHA1
	// signatures, which today's rpm refuses; signatures are rpmvault's
	// business before publishing (mirror verifies every one).
	args := []string{"--config=" + conf, "--setopt=reposdir=" + dir, "--installroot=" + root,
		"--setopt=cachedir=" + filepath.Join(dir, "cache"), "--releasever=6", "--forcearch=x86_64", "--nogpgcheck",
		"--setopt=install_weak_deps=False", "--repofrompath=published," + repoURL, "--repo=published", "-y", "install"}
	out, err := exec.Command("dnf", append(args, specs...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("dnf install from %s: %v\n%s", repoURL, err, out)
	}
	return root
}

// checkServed checks Range, HEAD and the 404s of a served published tree.
func checkServed(t *testing.T, base, repo string, lk *lock.Lock, object func(sha string) []byte) {
	t.Helper()
	p := lk.Packages()[0]
	for _, pp := range lk.Packages() {
		if pp.Name == "docker-engine" {
			p = pp
		}
	}
	want := object(p.SHA256())
	u := base + "/repos/" + repo + "/rpms/" + p.SHA256() + "/" + p.FileName()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Range", "bytes=100-1123")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(got, want[100:1124]) {
		t.Errorf("Range bytes=100-1123 of %s: %s, %d bytes, equal=%v", u, resp.Status, len(got), bytes.Equal(got, want[100:1124]))
	}
	resp, err = http.Head(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.ContentLength != int64(len(want)) {
		t.Errorf("HEAD %s: %s, length %d, want 200 and %d", u, resp.Status, resp.ContentLength, len(want))
	}
	for _, path := range []string{
		"/", "/objects/sha256/" + p.SHA256()[:2] + "/" + p.SHA256(), "/leases/x", "/index/x", "/metadata/x",
		"/etc/passwd", "/repos/" + repo + "/../../objects/sha256/" + p.SHA256()[:2] + "/" + p.SHA256(),
		"/rpms/" + p.SHA256() + "/../../../etc/passwd", "/repos/", "/repos/" + repo + "/", "/repos/nope/repodata/repomd.xml",
	} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %s, want 404", path, resp.Status)
		}
	}
	resp, err = http.Post(u, "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST %s: %s, want 405", u, resp.Status)
	}
}

// TestPublishBundleToDirAndServe publishes a bundle into a directory and
// serves it: dnf installs docker-engine from the served URL.
func TestPublishBundleToDirAndServe(t *testing.T) {
	bundlePath, _, _, _ := makeBundle(t)
	dest := t.TempDir()
	if code, stdout, stderr := rpmvault(t, "publish", bundlePath, "--to", dest, "--name", "docker"); code != 0 {
		t.Fatalf("publish: exit %d: %s %s", code, stdout, stderr)
	}
	base := serveInProcess(t, dest)
	// The bundle's own lock pins every sha256 (header-only sources included).
	_, lk, cleanup, err := bundle.OpenVerified(bundlePath)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	checkServed(t, base, "docker", lk, func(sha string) []byte {
		for _, p := range lk.Packages() {
			if p.SHA256() == sha {
				b, err := os.ReadFile(filepath.Join(dest, "rpms", sha, p.FileName()))
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
		}
		t.Fatalf("%s not in the lock", sha)
		return nil
	})
	root := dnfInstallFrom(t, base+"/repos/docker/", "docker-engine")
	if out, err := rpmQ(t, root, "docker-engine"); err != nil {
		t.Fatalf("docker-engine not installed: %v %s", err, out)
	}
	// The directory itself is a yum repo too (repos/docker/rpms links to ../../rpms).
	rf, err := os.ReadFile(filepath.Join(dest, "repos", "docker", "docker.repo"))
	if err != nil || !strings.Contains(string(rf), "baseurl=http://127.0.0.1:8080/repos/docker/") {
		t.Errorf("repo file: %v\n%s", err, rf)
	}
}

// TestServeBundleDirectly: `serve BUNDLE.tar.gz` verifies the bundle and
// serves it as a published repo (repos/NAME/, its .repo file pointing at
// the served address): real dnf installs docker-engine from it, Range and
// HEAD give the package's bytes, and paths outside it are 404.
func TestServeBundleDirectly(t *testing.T) {
	bundlePath, _, _, _ := makeBundle(t)
	base := serveInProcess(t, bundlePath)
	dir, lk, cleanup, err := bundle.OpenVerified(bundlePath)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	name := bundle.Name(bundlePath)
	checkServed(t, base, name, lk, func(sha string) []byte {
		for _, p := range lk.Packages() {
			if p.SHA256() == sha {
				b, err := os.ReadFile(filepath.Join(dir, "rpms", p.FileName()))
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
		}
		t.Fatalf("%s not in the lock", sha)
		return nil
	})
	resp, err := http.Get(base + "/repos/" + name + "/" + name + ".repo")
	if err != nil {
		t.Fatal(err)
	}
	rf, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(rf), "baseurl="+base+"/repos/"+name+"/") {
		t.Errorf("served .repo file: %s\n%s", resp.Status, rf)
	}
	root := dnfInstallFrom(t, base+"/repos/"+name+"/", "docker-engine")
	if out, err := rpmQ(t, root, "docker-engine"); err != nil {
		t.Fatalf("docker-engine not installed: %v %s", err, out)
	}
}

// TestServeRefusesATamperedBundle: a bundle that does not verify is not served.
func TestServeRefusesATamperedBundle(t *testing.T) {
	bundlePath, _, _, _ := makeBundle(t)
	b, err := os.ReadFile(bundlePath)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	bad := filepath.Join(t.TempDir(), "tampered.tar.gz")
	if err := os.WriteFile(bad, b, 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := rpmvault(t, "serve", "--addr", "127.0.0.1:0", bad)
	if code == 0 || !strings.Contains(stderr, "tampered.tar.gz") {
		t.Fatalf("serve of a tampered bundle: exit %d\n%s%s", code, stdout, stderr)
	}
}
