package fetch

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rpmvault/rpmvault/resolver/rpmmd"
)

// TestHTTPFetcher: over loopback, a range is asked for and the whole
// file's size told, --mirror-map rewrites reach the server, a missing file
// is an *rpmmd.HTTPStatusError that says the status in words, and a body
// longer than WithMaxSize declares stops with an *rpmmd.TooLargeError.
func TestHTTPFetcher(t *testing.T) {
	body := []byte("0123456789")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/repo/repodata/repomd.xml" {
			http.NotFound(w, r)
			return
		}
		http.ServeContent(w, r, "repomd.xml", time.Time{}, bytes.NewReader(body))
	}))
	defer srv.Close()
	f := &HTTPFetcher{Rewrites: []Rewrite{{From: "https://vault.centos.org", To: srv.URL + "/repo"}}}
	ctx := context.Background()
	read := func(ctx context.Context, u string, start, end int64) (string, io.ReadCloser, error) {
		rc, err := f.Fetch(ctx, u, start, end)
		if err != nil {
			return "", nil, err
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		return string(b), rc, err
	}

	got, rc, err := read(ctx, "https://vault.centos.org/repodata/repomd.xml", 2, 5)
	if err != nil || got != "234" {
		t.Fatalf("rewritten range: %q, %v", got, err)
	}
	if s, ok := rc.(interface{ Size() int64 }); !ok || s.Size() != int64(len(body)) {
		t.Errorf("a ranged read does not tell the file's size")
	}

	_, _, err = read(ctx, srv.URL+"/repo/missing", 0, -1)
	var se *rpmmd.HTTPStatusError
	if !errors.As(err, &se) || se.Status != http.StatusNotFound || err.Error() != "GET "+srv.URL+"/repo/missing: HTTP 404 Not Found" {
		t.Errorf("missing file: %v", err)
	}

	got, _, err = read(rpmmd.WithMaxSize(ctx, 4), srv.URL+"/repo/repodata/repomd.xml", 0, -1)
	var tl *rpmmd.TooLargeError
	if !errors.As(err, &tl) || tl.Max != 4 || len(got) > 4 {
		t.Errorf("past the declared size: read %q, %v", got, err)
	}
}

// TestParseRewrites: FROM=TO pairs lose a trailing slash, a prefix matches
// only whole path segments, and a pair without both sides is refused.
func TestParseRewrites(t *testing.T) {
	rw, err := ParseRewrites([]string{"https://vault.centos.org/=http://127.0.0.1:8080/vault/"})
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"https://vault.centos.org/6.6/os/x86_64/": "http://127.0.0.1:8080/vault/6.6/os/x86_64/",
		"https://vault.centos.org":                "http://127.0.0.1:8080/vault",
		"https://vault.centos.org.evil/x":         "https://vault.centos.org.evil/x",
	} {
		if got := ApplyRewrites(rw, in); got != want {
			t.Errorf("ApplyRewrites(%q) = %q, want %q", in, got, want)
		}
	}
	for _, bad := range []string{"no-equals", "=http://x", "http://x="} {
		if _, err := ParseRewrites([]string{bad}); err == nil {
			t.Errorf("ParseRewrites(%q) accepted", bad)
		}
	}
}
