package mirror_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/lock"
	"github.com/rpmvault/rpmvault/mirror"
	"github.com/rpmvault/rpmvault/resolver"
	"github.com/rpmvault/rpmvault/resolver/fetch"
	"github.com/rpmvault/rpmvault/resolver/manifest"
	vault "github.com/rpmvault/rpmvault/store"
)

const lockManifest = `
name: docker
arch: x86_64
releasever: "6.6"
repos:
  - id: base
    baseurl: [https://vault.centos.org/6.6/os/x86_64/]
    gpgkey: https://vault.centos.org/RPM-GPG-KEY-CentOS-6
  - id: updates
    baseurl: [https://vault.centos.org/6.6/updates/x86_64/]
    gpgkey: https://vault.centos.org/RPM-GPG-KEY-CentOS-6
  - id: docker
    packages: [https://get.docker.com/rpm/1.7.1/centos-6/RPMS/x86_64/docker-engine-1.7.1-1.el6.x86_64.rpm]
    gpgkey: https://get.docker.com/gpg
install: [docker-engine]
`

func rewrites(srv *fixtures.Server) []fetch.Rewrite {
	var rw []fetch.Rewrite
	for dir, up := range fixtures.Upstreams {
		rw = append(rw, fetch.Rewrite{From: up, To: srv.URL + "/" + dir})
	}
	return rw
}

// worldLock resolves docker-engine on the served signed world into a lock.
func worldLock(t *testing.T, srv *fixtures.Server, text string) *lock.Lock {
	t.Helper()
	m, err := manifest.Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	plan, u, err := resolver.Resolve(context.Background(), m.Sources(), m.Request(), &fetch.HTTPFetcher{Rewrites: rewrites(srv)})
	if err != nil {
		t.Fatal(err)
	}
	return lock.New(m, plan, u.Sources, nil)
}

func serveSigned(t *testing.T) (*fixtures.World, *fixtures.Server) {
	t.Helper()
	w := signed(t)
	srv, err := fixtures.Serve(w.Root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return w, srv
}

func mirrorOpts(t *testing.T, srv *fixtures.Server, store *vault.Dir) mirror.Options {
	return mirror.Options{Store: store, Rewrites: rewrites(srv), Backoff: time.Millisecond, Jobs: 3}
}

func assertStoreSound(t *testing.T, store vault.Store) {
	t.Helper()
	bad, err := vault.Verify(context.Background(), store, false)
	if err != nil || len(bad) > 0 {
		t.Fatalf("store holds bad objects %v (%v)", bad, err)
	}
}

func TestMirrorTwiceFetchesNothingTheSecondTime(t *testing.T) {
	_, srv := serveSigned(t)
	lock := worldLock(t, srv, lockManifest)
	store, err := mirror.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sum, err := mirror.Mirror(context.Background(), lock, mirrorOpts(t, srv, store))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Packages != len(lock.Packages()) || sum.FromCache != 0 || sum.Bytes == 0 {
		t.Errorf("first run: %s", sum)
	}
	for _, p := range lock.Packages() {
		if p.SHA256() == "" || !has(store, p.SHA256()) || p.SigningKey == "" {
			t.Errorf("%s not pinned or not stored: %+v", p.NEVRA(), p)
		}
	}
	assertStoreSound(t, store)
	before := srv.TotalRequests()
	opts := mirrorOpts(t, srv, store)
	var bar bytes.Buffer
	opts.Progress = &bar
	sum, err = mirror.Mirror(context.Background(), lock, opts)
	if err != nil {
		t.Fatal(err)
	}
	if sum.FromCache != sum.Packages || srv.TotalRequests() != before {
		t.Errorf("second run fetched again: %s, %d requests", sum, srv.TotalRequests()-before)
	}
	// The progress bar ends its line, so the summary after it starts its own.
	if !strings.Contains(bar.String(), "100%") || !strings.HasSuffix(bar.String(), "\n") {
		t.Errorf("progress bar output does not end its line: %q", bar.String())
	}
}

func TestMirrorUnderFaults(t *testing.T) {
	tests := []struct {
		name   string
		faults fixtures.Faults
		// mustFail: the fault is permanent, so the run must fail, naming it.
		mustFail   bool
		wantVerify bool
	}{
		{name: "every 3rd request 503", faults: fixtures.Faults{FailEvery: 3}},
		{name: "truncated bodies", faults: fixtures.Faults{Truncate: true}},
		{name: "flipped byte", faults: fixtures.Faults{FlipByte: true}, mustFail: true, wantVerify: true},
		{name: "dropped connection", faults: fixtures.Faults{DropAfter: 1000}},
		{name: "slow", faults: fixtures.Faults{ChunkDelay: time.Millisecond}},
		{name: "ignores range", faults: fixtures.Faults{IgnoreRange: true, Truncate: true}, mustFail: true},
		{name: "lies about range", faults: fixtures.Faults{LieRange: true, DropAfter: 1500}, mustFail: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv := serveSigned(t)
			lock := worldLock(t, srv, lockManifest)
			store, err := mirror.OpenStore(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			f := tt.faults
			f.PathPrefix = "/vault/6.6/" // metadata was read before; packages misbehave
			srv.SetFaults(f)
			opts := mirrorOpts(t, srv, store)
			opts.Retries = 14 // a truncating server yields half the rest per try
			opts.MaxBackoff = 5 * time.Millisecond
			_, err = mirror.Mirror(context.Background(), lock, opts)
			assertStoreSound(t, store)
			var verr *mirror.VerifyError
			switch {
			case tt.mustFail && err == nil:
				t.Fatal("a permanently broken server produced a clean mirror")
			case tt.mustFail:
				if tt.wantVerify && !errors.As(err, &verr) {
					t.Errorf("want a VerifyError, got %v", err)
				}
				if !strings.Contains(err.Error(), "/vault/6.6/") {
					t.Errorf("error does not name the URL: %v", err)
				}
			case err != nil:
				t.Fatalf("transient faults must be survived: %v", err)
			default:
				for _, p := range lock.Packages() {
					if !has(store, p.SHA256()) {
						t.Errorf("%s missing after a successful run", p.NEVRA())
					}
				}
			}
		})
	}
}

func TestMirrorRefusesWhatTheLockDoesNotPin(t *testing.T) {
	w, srv := serveSigned(t)
	tests := []struct {
		name   string
		change func(l *lock.Lock)
		want   string
	}{
		{"sha256 mismatch", func(l *lock.Lock) {
			p := &l.Arches[0].Packages[0]
			p.Checksum = "sha256:" + strings.Repeat("ab", 32)
		}, "the lock says"},
		{"unknown key", func(l *lock.Lock) {
			for i := range l.RPMVault.Repos {
				l.RPMVault.Repos[i].GPGKeys = []string{"https://get.docker.com/gpg"} // the wrong key for vault
			}
		}, "signed by unknown key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lock := worldLock(t, srv, lockManifest)
			tt.change(lock)
			store, _ := mirror.OpenStore(t.TempDir())
			_, err := mirror.Mirror(context.Background(), lock, mirrorOpts(t, srv, store))
			var verr *mirror.VerifyError
			if !errors.As(err, &verr) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("want a VerifyError saying %q, got %v", tt.want, err)
			}
			assertStoreSound(t, store)
		})
	}
	// An unsigned package from a repo with gpgcheck on is refused.
	dir := t.TempDir()
	if _, err := fixtures.WriteRPM(filepath.Join(dir, "Packages"), fixtures.DockerEngine()); err != nil {
		t.Fatal(err)
	}
	if err := mirror.CreateRepo(dir); err != nil {
		t.Fatal(err)
	}
	text := fmt.Sprintf("name: x\nrepos:\n  - id: local\n    baseurl: [%s]\n    gpgkey: %s\ninstall: [docker-engine]\n", dir, filepath.Join(w.Root, "docker/gpg"))
	m, _ := manifest.Parse([]byte(text))
	u, err := resolver.LoadUniverse(context.Background(), m.Sources(), resolver.LoadOptions{Fetcher: &fetch.HTTPFetcher{}})
	if err != nil {
		t.Fatal(err)
	}
	plan := &resolver.Plan{Packages: []resolver.PlannedPackage{{Package: u.Packages()[0], Action: resolver.ActionInstall}}}
	resolver.AttachURLs(plan, m.Sources())
	lock := lock.New(m, plan, u.Sources, nil)
	store, _ := mirror.OpenStore(t.TempDir())
	_, err = mirror.Mirror(context.Background(), lock, mirror.Options{Store: store, Backoff: time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "not signed") {
		t.Fatalf("unsigned package with gpgcheck on: %v", err)
	}
}

// TestMirrorResumesAfterSIGKILL kills a real mirror process mid-download and
// checks that the next run resumes the partial file and refetches nothing
// that was complete.
func TestMirrorResumesAfterSIGKILL(t *testing.T) {
	if os.Getenv("RPMVAULT_MIRROR_CHILD") != "" {
		return // the child's work is in TestMirrorChildProcess
	}
	dir := t.TempDir()
	big := fixtures.Spec{Name: "bigpkg", Version: "1", Release: "1", Arch: "x86_64",
		Files: []fixtures.File{{Path: "/usr/share/bigpkg/blob", Body: incompressible(3 << 20)}}}
	small := fixtures.Spec{Name: "smallpkg", Version: "1", Release: "1", Arch: "noarch"}
	for _, s := range []fixtures.Spec{big, small} {
		if _, err := fixtures.WriteRPM(filepath.Join(dir, "repo", "Packages"), s); err != nil {
			t.Fatal(err)
		}
	}
	if err := mirror.CreateRepo(filepath.Join(dir, "repo")); err != nil {
		t.Fatal(err)
	}
	srv, err := fixtures.Serve(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	m, _ := manifest.Parse([]byte(fmt.Sprintf("name: x\nrepos:\n  - id: r\n    baseurl: [%s/repo]\n    gpgcheck: false\ninstall: [bigpkg, smallpkg]\n", srv.URL)))
	plan, u, err := resolver.Resolve(context.Background(), m.Sources(), m.Request(), &fetch.HTTPFetcher{})
	if err != nil {
		t.Fatal(err)
	}
	lockFile := filepath.Join(dir, "lock.yaml")
	if err := lock.Write(lockFile, lock.New(m, plan, u.Sources, nil)); err != nil {
		t.Fatal(err)
	}
	storeDir := filepath.Join(dir, "store")
	srv.SetFaults(fixtures.Faults{ChunkDelay: 20 * time.Millisecond, PathPrefix: "/repo/Packages/bigpkg"})

	child := exec.Command(os.Args[0], "-test.run=^TestMirrorChildProcess$")
	child.Env = append(os.Environ(), "RPMVAULT_MIRROR_CHILD=1", "RPMVAULT_LOCK="+lockFile, "RPMVAULT_STORE="+storeDir)
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	part := filepath.Join(storeDir, "partial", "bigpkg-1-1.x86_64.rpm.part")
	deadline := time.Now().Add(30 * time.Second)
	for {
		if st, err := os.Stat(part); err == nil && st.Size() > 256<<10 {
			break
		}
		if time.Now().After(deadline) {
			child.Process.Kill()
			t.Fatal("the child never got a partial download going")
		}
		time.Sleep(10 * time.Millisecond) // polling a real process's progress, not synchronising goroutines
	}
	child.Process.Kill() // SIGKILL: no cleanup runs
	child.Wait()
	st, err := os.Stat(part)
	if err != nil {
		t.Fatal(err)
	}
	partial := st.Size()
	smallRequests := srv.Requests("/repo/Packages/smallpkg-1-1.noarch.rpm")
	servedBefore := srv.BytesServed()

	srv.SetFaults(fixtures.Faults{})
	lock, err := lock.Read(lockFile)
	if err != nil {
		t.Fatal(err)
	}
	store, _ := mirror.OpenStore(storeDir)
	if _, err := mirror.Mirror(context.Background(), lock, mirror.Options{Store: store, Backoff: time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	assertStoreSound(t, store)
	var bigSize int64
	for _, p := range lock.Packages() {
		if !has(store, p.SHA256()) {
			t.Errorf("%s not in the store", p.NEVRA())
		}
		if p.Name == "bigpkg" {
			bigSize = p.Size
		}
	}
	resumed := srv.BytesServed() - servedBefore
	if resumed > bigSize-partial+64<<10 {
		t.Errorf("resume downloaded %d bytes; %d of %d were already there", resumed, partial, bigSize)
	}
	if smallRequests > 0 && srv.Requests("/repo/Packages/smallpkg-1-1.noarch.rpm") != smallRequests {
		t.Errorf("a package completed before the kill was fetched again")
	}
}

// TestMirrorChildProcess is the mirror process TestMirrorResumesAfterSIGKILL kills.
func TestMirrorChildProcess(t *testing.T) {
	if os.Getenv("RPMVAULT_MIRROR_CHILD") == "" {
		t.Skip("helper process for TestMirrorResumesAfterSIGKILL")
	}
	lock, err := lock.Read(os.Getenv("RPMVAULT_LOCK"))
	if err != nil {
		t.Fatal(err)
	}
	// A directory, or s3://BUCKET/PREFIX with the AWS variables set (the S3 benchmark).
	store, err := vault.Open(context.Background(), os.Getenv("RPMVAULT_STORE"), vault.S3Config{})
	if err != nil {
		t.Fatal(err)
	}
	jobs := 2
	if j, err := strconv.Atoi(os.Getenv("RPMVAULT_JOBS")); err == nil {
		jobs = j
	}
	if _, err := mirror.Mirror(context.Background(), lock, mirror.Options{Store: store, Jobs: jobs}); err != nil {
		t.Log(err)
		if os.Getenv("RPMVAULT_MIRROR_MUST_SUCCEED") != "" {
			os.Exit(3)
		}
	}
	// The peak resident memory of this process image alone (rusage's maxrss
	// would include the parent's memory from before exec).
	status, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			fmt.Println(line)
		}
	}
}

// incompressible returns n bytes gzip cannot shrink, so the RPM is as big as asked.
func incompressible(n int) []byte {
	b := make([]byte, n)
	x := uint64(88172645463325252)
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x)
	}
	return b
}

func has(s vault.Store, sha string) bool {
	ok, err := s.Has(context.Background(), sha)
	return ok && err == nil
}
