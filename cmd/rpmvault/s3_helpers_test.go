package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/rpmvault/rpmvault/internal/seaweedfs"
	"github.com/rpmvault/rpmvault/store"
)

// weed is the SeaweedFS server of this test binary; TestMain stops it.
var weed seaweedfs.Shared

// seaweed returns the running SeaweedFS with its S3 gateway.
func seaweed(t *testing.T) *seaweedfs.Server { return weed.Get(t) }

// bucket makes a fresh bucket for one test and points the AWS variables
// at the server (what a user's environment would do).
func bucket(t *testing.T, srv *seaweedfs.Server) string {
	t.Helper()
	name := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	if len(name) > 50 {
		name = name[:50]
	}
	name = strings.Trim(name, "-")
	if err := srv.MakeBucket(context.Background(), name); err != nil {
		t.Fatal(err)
	}
	srv.SetEnv(t)
	return name
}

// countingProxy sits between rpmvault and the S3 gateway and counts the
// requests that write objects, per key: the request-count evidence of how
// often each object was uploaded. hold, when set, may take over a request
// (and block it, to kill a writer mid-upload): it returns true when it did.
type countingProxy struct {
	*httptest.Server
	mu     sync.Mutex
	writes map[string]int // "PUT key" (single PUT), "POST key" (multipart complete)
	hold   func(w http.ResponseWriter, r *http.Request) bool
}

func newCountingProxy(t *testing.T, target string) *countingProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &countingProxy{writes: map[string]int{}}
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(u)
		r.Out.Host = r.In.Host // the client signed this Host
	}}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch {
		case r.Method == http.MethodPut && !q.Has("partNumber"):
			p.count("PUT " + r.URL.Path)
		case r.Method == http.MethodPost && q.Has("uploadId"):
			p.count("POST " + r.URL.Path)
		}
		if p.hold != nil && p.hold(w, r) {
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *countingProxy) count(k string) {
	p.mu.Lock()
	p.writes[k]++
	p.mu.Unlock()
}

// objectWrites returns the write counts of object keys (not caches or leases).
func (p *countingProxy) objectWrites() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]int{}
	for k, n := range p.writes {
		if i := strings.Index(k, "/objects/sha256/"); i >= 0 {
			out[k[strings.LastIndexByte(k, '/')+1:]] += n
		}
	}
	return out
}

// cli starts the rpmvault CLI as a separate process (this test binary in
// CLI mode).
func cli(args ...string) *exec.Cmd {
	c := exec.Command(os.Args[0], args...)
	c.Env = append(os.Environ(), "BE_RPMVAULT_FOR_TEST=1")
	return c
}

func openS3(t *testing.T, spec, endpoint string) *store.S3 {
	t.Helper()
	s, err := store.OpenS3(context.Background(), spec, store.S3Config{Endpoint: endpoint})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
