package resolver_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/internal/safename"
	"github.com/rpmvault/rpmvault/resolver"
	"github.com/rpmvault/rpmvault/resolver/fetch"
	"github.com/rpmvault/rpmvault/resolver/rpmmd"
)

const primaryTail = `</name><arch>x86_64</arch><version epoch="0" ver="1" rel="1"/><location href="Packages/a.rpm"/></package></metadata>`

// cpuTime is the CPU time this process has used: unlike wall time it does
// not grow when other processes load the machine.
func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestPrimaryCommentSplitTextIsLinear is a complexity regression guard,
// not a speed goal: 4 MiB of a name split by comments took 89 s when each
// piece was appended to a string. The bound, 1 s of CPU time, is ~20x what
// the linear parse needs.
func TestPrimaryCommentSplitTextIsLinear(t *testing.T) {
	for _, piece := range []string{"a<!---->", "a<![CDATA[b]]>", "&amp;<!-- -->"} {
		var doc bytes.Buffer
		doc.WriteString(`<metadata><package type="rpm"><name>`)
		for doc.Len() < 4<<20 {
			doc.WriteString(piece)
		}
		doc.WriteString(primaryTail)
		start, wall := cpuTime(t), time.Now()
		err := resolver.ReadPrimary(bytes.NewReader(doc.Bytes()), "r", func(*resolver.Package) error { return nil })
		if d := cpuTime(t) - start; d > time.Second {
			t.Errorf("%q x %d: %v of CPU time, %v in all (must be linear)", piece, doc.Len()/len(piece), d, time.Since(wall))
		}
		// The name is far too long to be a file name: refused, by name.
		var ne *safename.Error
		if !errors.As(err, &ne) || ne.What != "package name" {
			t.Errorf("%q: %v, want a refused package name", piece, err)
		}
	}
}

// threadCPU is the CPU time of the calling OS thread (lock it first).
func threadCPU(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_THREAD, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// FuzzPrimaryLinear repeats a fuzzed piece of XML inside a package record
// to 64 KiB and to 512 KiB and bounds the time per input: the larger must
// cost at most 32 times the smaller (linear: 8; quadratic: 64), in CPU
// time of this thread, so a loaded machine does not matter. The 89 s
// comment-split name costs ~60x here.
func FuzzPrimaryLinear(f *testing.F) {
	f.Add(`<name>`, `a<!---->`, `</name>`)
	f.Add(`<format><rpm:requires>`, `<rpm:entry name="a" flags="GE" ver="1"/>`, `</rpm:requires></format>`)
	f.Add(`<format>`, `<file>/a<![CDATA[b]]></file>`, `</format>`)
	f.Add(`<name>`, `&#x41;&amp;`, `</name>`)
	f.Add(`<x a="`, `&lt;`, `"/>`)
	f.Fuzz(func(t *testing.T, head, piece, tail string) {
		if piece == "" {
			return
		}
		doc := func(size int) string {
			var b strings.Builder
			b.WriteString(`<metadata><package type="rpm">` + head)
			for b.Len() < size {
				b.WriteString(piece)
			}
			b.WriteString(tail + `<arch>x86_64</arch><version epoch="0" ver="1" rel="1"/><location href="a.rpm"/></package></metadata>`)
			return b.String()
		}
		small, large := doc(64<<10), doc(512<<10)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		cost := func(d string) time.Duration {
			start := threadCPU(t)
			resolver.ReadPrimary(strings.NewReader(d), "r", func(*resolver.Package) error { return nil })
			return threadCPU(t) - start
		}
		cost(small) // warm up
		ts, tl := cost(small), cost(large)
		if tl > 32*ts+50*time.Millisecond {
			t.Fatalf("%q: 512 KiB cost %v, 64 KiB %v: super-linear", piece, tl, ts)
		}
	})
}

func TestHostileNamesAreRefused(t *testing.T) {
	tests := []struct{ field, xml string }{
		{"package name", `<name>../../../../tmp/x</name><arch>x86_64</arch><version epoch="0" ver="1" rel="1"/>`},
		{"package name", `<name>a/b</name><arch>x86_64</arch><version epoch="0" ver="1" rel="1"/>`},
		{"package name", `<name>a&#x0;b</name><arch>x86_64</arch><version epoch="0" ver="1" rel="1"/>`},
		{"arch", `<name>a</name><arch>../x86_64</arch><version epoch="0" ver="1" rel="1"/>`},
		{"version", `<name>a</name><arch>x86_64</arch><version epoch="0" ver="1/../../x" rel="1"/>`},
		{"release", `<name>a</name><arch>x86_64</arch><version epoch="0" ver="1" rel="..\x"/>`},
	}
	for _, tt := range tests {
		doc := `<metadata><package type="rpm">` + tt.xml + `<location href="Packages/a.rpm"/></package></metadata>`
		for name, read := range map[string]func(*bytes.Reader) error{
			"scanner": func(r *bytes.Reader) error {
				return resolver.ReadPrimary(r, "r", func(*resolver.Package) error { return nil })
			},
			"encoding/xml": func(r *bytes.Reader) error {
				return resolver.ReadPrimaryStd(r, "r", func(*resolver.Package) error { return nil })
			},
		} {
			err := read(bytes.NewReader([]byte(doc)))
			if name == "encoding/xml" && strings.Contains(tt.xml, "&#x0;") && err != nil {
				continue // encoding/xml refuses NUL itself
			}
			var ne *safename.Error
			if !errors.As(err, &ne) || ne.What != tt.field || !strings.Contains(err.Error(), "file name") {
				t.Errorf("%s: %s: %v, want the %s refused", name, tt.xml, err, tt.field)
			}
		}
	}
}

// shortNet are timeouts short enough for tests; the defaults are 30 s.
var shortNet = fetch.NetOptions{ConnectTimeout: time.Second, HeaderTimeout: 300 * time.Millisecond, SpeedLimit: 1000, SpeedTime: 300 * time.Millisecond}

// withinDeadline runs f and fails the test if it has not returned after
// d: a hang guard, so a regression fails instead of stalling the suite.
func withinDeadline[T any](t *testing.T, d time.Duration, f func() T) T {
	t.Helper()
	done := make(chan T, 1)
	go func() { done <- f() }()
	select {
	case v := <-done:
		return v
	case <-time.After(d):
		t.Fatalf("still running after %v: no timeout fired", d)
		panic("unreachable")
	}
}

// TestResolveTimesOutAndFailsOver: a base URL whose server never answers,
// stops after the headers or trickles 1 byte per 10 ms is abandoned by the
// timeouts, with an error that says so, and the next base URL is used.
func TestResolveTimesOutAndFailsOver(t *testing.T) {
	w, good := servedWorld(t)
	for _, tt := range []struct {
		name   string
		faults fixtures.Faults
		want   string
	}{
		{"never answers", fixtures.Faults{Hang: true}, "no answer within the timeouts"},
		{"stops after headers", fixtures.Faults{StallAfterHeaders: true}, "transfer slower than"},
		{"trickles", fixtures.Faults{ByteDelay: 10 * time.Millisecond}, "transfer slower than"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bad, err := fixtures.Serve(w.Root)
			if err != nil {
				t.Fatal(err)
			}
			defer bad.Close()
			bad.SetFaults(tt.faults)
			f := fetcher(good)
			f.Client = fetch.NewHTTPClient(shortNet)
			repo := func(bases ...string) []resolver.Repo {
				return []resolver.Repo{{ID: "base", BaseURLs: bases}}
			}
			badURL := bad.URL + "/vault/6.6/os/x86_64/"
			err = withinDeadline(t, 20*time.Second, func() error {
				_, err := resolver.LoadUniverse(context.Background(), repo(badURL), resolver.LoadOptions{Fetcher: f})
				return err
			})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), bad.URL) {
				t.Fatalf("want %q naming %s, got %v", tt.want, bad.URL, err)
			}
			u := withinDeadline(t, 20*time.Second, func() *resolver.Universe {
				u, err := resolver.LoadUniverse(context.Background(), repo(badURL, "https://vault.centos.org/6.6/os/x86_64/"), resolver.LoadOptions{Fetcher: f})
				if err != nil {
					t.Errorf("failover to the good base URL: %v", err)
				}
				return u
			})
			if u == nil || len(u.Packages()) == 0 {
				t.Fatal("no packages after failover")
			}
		})
	}
}

// TestMetadataStopsAtDeclaredSize: a server sending an endless body where
// repomd.xml declares the primary file's size is cut off at that size.
func TestMetadataStopsAtDeclaredSize(t *testing.T) {
	w, _ := servedWorld(t)
	srv, err := fixtures.Serve(w.Root)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	primary, _ := filepath.Glob(filepath.Join(w.Root, "vault/6.6/os/x86_64/repodata/*-primary.xml.gz"))
	if len(primary) != 1 {
		t.Fatalf("primary files: %v", primary)
	}
	rel, _ := filepath.Rel(w.Root, primary[0])
	srv.SetFaults(fixtures.Faults{Endless: true, PathPrefix: "/" + rel})
	f := &fetch.HTTPFetcher{Client: fetch.NewHTTPClient(shortNet)}
	var counted countingFetcher
	counted.inner = f
	err = withinDeadline(t, 60*time.Second, func() error {
		_, err := resolver.LoadUniverse(context.Background(), []resolver.Repo{{ID: "base", BaseURLs: []string{srv.URL + "/vault/6.6/os/x86_64/"}}}, resolver.LoadOptions{Fetcher: &counted})
		return err
	})
	var tl *rpmmd.TooLargeError
	if !errors.As(err, &tl) || !strings.Contains(err.Error(), "primary") {
		t.Fatalf("want the endless primary cut off at its declared size, got %v", err)
	}
	if counted.max > tl.Max {
		t.Errorf("read %d bytes of a file declared at %d", counted.max, tl.Max)
	}
}

// countingFetcher records the most bytes read from one metadata file
// (repomd.xml aside).
type countingFetcher struct {
	inner rpmmd.Fetcher
	max   int64
}

func (c *countingFetcher) Fetch(ctx context.Context, u string, start, end int64) (io.ReadCloser, error) {
	rc, err := c.inner.Fetch(ctx, u, start, end)
	if err != nil || strings.HasSuffix(u, "repomd.xml") {
		return rc, err
	}
	return &countingBody{rc: rc, c: c}, nil
}

type countingBody struct {
	rc io.ReadCloser
	c  *countingFetcher
	n  int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	b.n += int64(n)
	b.c.max = max(b.c.max, b.n)
	return n, err
}

func (b *countingBody) Close() error { return b.rc.Close() }

// TestMetadataStopsAtDeclaredOpenSize: a primary.xml.gz whose compressed
// size and checksum agree with repomd.xml but that expands far past the
// open-size repomd.xml declares (a bomb: 16 MiB of blanks in 16 KiB) is
// cut off at open-size, before the parser sees more; a file of exactly
// its open-size loads.
func TestMetadataStopsAtDeclaredOpenSize(t *testing.T) {
	const head, tail = `<?xml version="1.0"?><metadata packages="1">`, `<package type="rpm"><name>a` + primaryTail
	for _, tt := range []struct {
		name     string
		blanks   int
		openSize func(n int) int
		want     string // "" loads
	}{
		{"bomb", 16 << 20, func(int) int { return 100 }, "exceeds the limit of 100 bytes"},
		{"one byte over", 10, func(n int) int { return n - 1 }, "exceeds the limit"},
		{"exactly open-size", 10, func(n int) int { return n }, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			xml := head + strings.Repeat(" ", tt.blanks) + tail
			var gz bytes.Buffer
			zw := gzip.NewWriter(&gz)
			zw.Write([]byte(xml))
			zw.Close()
			sum := sha256.Sum256(gz.Bytes())
			if err := os.MkdirAll(filepath.Join(dir, "repodata"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "repodata", "primary.xml.gz"), gz.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			repomd := fmt.Sprintf(`<?xml version="1.0"?><repomd><data type="primary"><checksum type="sha256">%x</checksum><location href="repodata/primary.xml.gz"/><size>%d</size><open-size>%d</open-size></data></repomd>`,
				sum, gz.Len(), tt.openSize(len(xml)))
			if err := os.WriteFile(filepath.Join(dir, "repodata", "repomd.xml"), []byte(repomd), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := resolver.LoadUniverse(context.Background(), []resolver.Repo{{ID: "r", BaseURLs: []string{dir}}},
				resolver.LoadOptions{Fetcher: &fetch.HTTPFetcher{}})
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("a primary of exactly its open-size: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("got %v, want an error saying %q", err, tt.want)
			}
		})
	}
}

// TestGzipFilesServedWithContentEncoding: a web server that labels .gz
// files "Content-Encoding: gzip" (Apache's AddEncoding, common on mirrors)
// serves primary.xml.gz as it is; the bytes repomd.xml's checksum covers
// are the compressed file, so the client must not decode it (as curl and
// librepo do not: they never ask for an encoding).
func TestGzipFilesServedWithContentEncoding(t *testing.T) {
	w, _ := servedWorld(t)
	files := http.FileServer(http.Dir(w.Root))
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".gz") {
			rw.Header().Set("Content-Encoding", "gzip")
			rw.Header().Set("Content-Type", "application/x-gzip")
		}
		files.ServeHTTP(rw, r)
	}))
	defer srv.Close()
	u, err := resolver.LoadUniverse(context.Background(), []resolver.Repo{{ID: "base", BaseURLs: []string{srv.URL + "/vault/6.6/os/x86_64/"}}},
		resolver.LoadOptions{Fetcher: &fetch.HTTPFetcher{Client: fetch.NewHTTPClient(shortNet)}})
	if err != nil {
		t.Fatalf("a mirror that labels .gz files with Content-Encoding: %v", err)
	}
	if len(u.Packages()) == 0 {
		t.Fatal("no packages read")
	}
}

// TestRemoteMirrorlistNamesNoLocalFiles: a mirrorlist or metalink fetched
// over the network that names a file:// base URL (here a real repo on this
// machine) is refused: a server's answer may not make rpmvault read local
// files, nor make them a local source of the lock.
func TestRemoteMirrorlistNamesNoLocalFiles(t *testing.T) {
	w, _ := servedWorld(t)
	local := "file://" + w.Root + "/epel/6/x86_64/"
	md, err := os.ReadFile(filepath.Join(w.Root, "epel/6/x86_64/repodata/repomd.xml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name     string
		body     []byte
		metalink bool
	}{
		{"mirrorlist", []byte(local + "\n"), false},
		{"metalink", fixtures.Metalink(md, local+"repodata/repomd.xml"), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { rw.Write(tt.body) }))
			defer srv.Close()
			r := resolver.Repo{ID: "epel", Priority: 99, Mirrorlist: srv.URL + "/mirrorlist"}
			if tt.metalink {
				r.Mirrorlist, r.Metalink = "", srv.URL+"/metalink"
			}
			_, err := resolver.LoadUniverse(context.Background(), []resolver.Repo{r}, resolver.LoadOptions{Fetcher: &fetch.HTTPFetcher{Client: fetch.NewHTTPClient(shortNet)}})
			if err == nil || !strings.Contains(err.Error(), "not an http(s) URL") {
				t.Fatalf("got %v, want the file:// answer refused", err)
			}
		})
	}
}
