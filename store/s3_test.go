package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/rpmvault/rpmvault/internal/seaweedfs"
	"github.com/rpmvault/rpmvault/store"
)

// weed is the SeaweedFS server of this test binary.
var weed seaweedfs.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	weed.Stop()
	os.Exit(code)
}

// s3Store opens a store in a fresh bucket of a real SeaweedFS (started once).
func s3Store(t *testing.T, ttl time.Duration) *store.S3 {
	t.Helper()
	srv := weed.Get(t)
	name := "t" + sum([]byte(t.Name()))[:20]
	if err := srv.MakeBucket(context.Background(), name); err != nil {
		t.Fatal(err)
	}
	srv.SetEnv(t)
	s, err := store.OpenS3(context.Background(), "s3://"+name+"/some/prefix", store.S3Config{LeaseTTL: ttl, PartSize: 5 << 20, MultipartThreshold: 5 << 20})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestS3Contract: the directory store's contract on SeaweedFS, with an
// object large enough for a three-part multipart upload.
func TestS3Contract(t *testing.T) {
	contract(t, s3Store(t, time.Minute), 12<<20)
}

func TestS3MissingBucketIsAClearError(t *testing.T) {
	s := s3Store(t, time.Minute)
	_, err := store.OpenS3(context.Background(), "s3://no-such-bucket-here/x", store.S3Config{})
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("opening a missing bucket: %v", err)
	}
	_ = s
}

// TestS3ClaimExcludesAndExpires: a second claimant waits while the first
// holds (and renews) the lease, gets it at once on release, and takes over
// a lease whose holder stopped renewing after one TTL.
func TestS3ClaimExcludesAndExpires(t *testing.T) {
	ttl := 900 * time.Millisecond
	s := s3Store(t, ttl)
	ctx := context.Background()
	key := sum([]byte("claimed"))
	release, err := s.Claim(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	// Held and renewed: a waiter with a deadline of 3 TTLs times out.
	short, cancel := context.WithTimeout(ctx, 3*ttl)
	defer cancel()
	if _, err := s.Claim(short, key); err == nil {
		t.Fatal("a second writer got a claim that is held and renewed")
	}
	release()
	r2, err := s.Claim(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	// A holder that dies: simulate by a store whose renewals never happen
	// (a different store value with a huge TTL took the lease, then
	// "crashed" without releasing).
	r2()
	dead, err := store.OpenS3(ctx, s.String(), store.S3Config{LeaseTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dead.Claim(ctx, key); err != nil { // never released, renews only hourly
		t.Fatal(err)
	}
	start := time.Now()
	r3, err := s.Claim(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	r3()
	if waited := time.Since(start); waited < ttl {
		t.Fatalf("took over a live-looking lease after %v, before one TTL (%v)", waited, ttl)
	}
}

// TestS3PutInOneRequestUpToTheThreshold: an object of known size goes up
// in one PUT up to MultipartThreshold and in parts above it, as its ETag
// shows (a multipart object's ends in -PARTS).
func TestS3PutInOneRequestUpToTheThreshold(t *testing.T) {
	srv := weed.Get(t)
	name := "t" + sum([]byte(t.Name()))[:20]
	if err := srv.MakeBucket(context.Background(), name); err != nil {
		t.Fatal(err)
	}
	srv.SetEnv(t)
	data := bytes.Repeat([]byte("0123456789abcdef"), 12<<20/16)
	sha := sum(data)
	tests := []struct {
		name      string
		threshold uint64
		wantParts string // "" for one PUT
	}{
		{"default threshold", 0, ""},
		{"threshold below the object", 5 << 20, "-3"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := store.OpenS3(context.Background(), fmt.Sprintf("s3://%s/p%d", name, i), store.S3Config{PartSize: 5 << 20, MultipartThreshold: tt.threshold})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Put(context.Background(), sha, int64(len(data)), bytes.NewReader(data)); err != nil {
				t.Fatal(err)
			}
			st, err := s.Client().StatObject(context.Background(), s.Bucket(), s.Prefix()+"objects/sha256/"+sha[:2]+"/"+sha, minio.StatObjectOptions{})
			if err != nil {
				t.Fatal(err)
			}
			etag := strings.Trim(st.ETag, `"`)
			if _, parts, _ := strings.Cut(etag, "-"); (parts != "") != (tt.wantParts != "") || tt.wantParts != "" && "-"+parts != tt.wantParts {
				t.Errorf("ETag %q, want parts %q", st.ETag, tt.wantParts)
			}
		})
	}
}

// TestS3PutAbsentSkipsTheHEAD: PutAbsent sends an object without first
// asking whether it is there (Put asks); wrong bytes are still refused and
// never visible, and over an object that is there the conditional write
// keeps it and reports no error. Requests are counted at a proxy in front
// of the server.
func TestS3PutAbsentSkipsTheHEAD(t *testing.T) {
	srv := weed.Get(t)
	name := "t" + sum([]byte(t.Name()))[:20]
	if err := srv.MakeBucket(context.Background(), name); err != nil {
		t.Fatal(err)
	}
	srv.SetEnv(t)
	target, err := url.Parse(srv.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	heads := 0
	rp := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead && strings.Contains(r.URL.Path, "/objects/") {
			mu.Lock()
			heads++
			mu.Unlock()
		}
		rp.ServeHTTP(w, r)
	}))
	defer proxy.Close()
	headCount := func() int {
		mu.Lock()
		defer mu.Unlock()
		return heads
	}
	ctx := context.Background()
	s, err := store.OpenS3(ctx, "s3://"+name+"/p", store.S3Config{Endpoint: proxy.URL})
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("an rpm, honestly")
	sha := sum(data)
	var cerr *store.CorruptError
	if err := store.PutAbsent(ctx, s, sha, int64(len(data)), bytes.NewReader([]byte("an rpm, honestlY"))); !errors.As(err, &cerr) {
		t.Fatalf("wrong bytes: %v, want a *CorruptError", err)
	}
	if headCount() != 0 {
		t.Fatalf("PutAbsent sent %d HEADs", headCount())
	}
	if ok, err := s.Has(ctx, sha); err != nil || ok {
		t.Fatalf("refused bytes are visible (%v)", err)
	}
	before := headCount() // Has's own
	// Absent, then already there.
	for i := 0; i < 2; i++ {
		if err := store.PutAbsent(ctx, s, sha, int64(len(data)), bytes.NewReader(data)); err != nil {
			t.Fatalf("PutAbsent #%d: %v", i+1, err)
		}
	}
	if got := headCount() - before; got != 0 {
		t.Fatalf("PutAbsent sent %d HEADs", got)
	}
	if err := s.Put(ctx, sha, int64(len(data)), bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if got := headCount() - before; got != 1 {
		t.Fatalf("Put sent %d HEADs, want the one that finds the object there", got)
	}
	o, err := s.Open(ctx, sha)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if got, err := io.ReadAll(o); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("stored %q, %v", got, err)
	}
}
