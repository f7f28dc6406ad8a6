package rpmmd

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestLocalFetcher: paths and file:// URLs are read whole or by range, the
// whole file's size is told on a ranged read, WithMaxSize holds a body to
// its declared size, and a network URL is refused rather than fetched.
func TestLocalFetcher(t *testing.T) {
	p := filepath.Join(t.TempDir(), "repomd.xml")
	if err := os.WriteFile(p, []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tt := range []struct {
		name       string
		url        string
		ctx        context.Context
		start, end int64
		want       string
		size       int64 // from Size(), 0 when the reader has none
		tooLarge   bool
	}{
		{name: "path", url: p, ctx: ctx, end: -1, want: "0123456789"},
		{name: "file URL", url: "file://" + p, ctx: ctx, end: -1, want: "0123456789"},
		{name: "range", url: p, ctx: ctx, start: 2, end: 5, want: "234", size: 10},
		{name: "to the end", url: p, ctx: ctx, start: 7, end: -1, want: "789"},
		{name: "within the declared size", url: p, ctx: WithMaxSize(ctx, 10), end: -1, want: "0123456789"},
		{name: "past the declared size", url: p, ctx: WithMaxSize(ctx, 4), end: -1, want: "0123", tooLarge: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rc, err := LocalFetcher{}.Fetch(tt.ctx, tt.url, tt.start, tt.end)
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			got, err := io.ReadAll(rc)
			var tl *TooLargeError
			if tt.tooLarge != errors.As(err, &tl) || (!tt.tooLarge && err != nil) {
				t.Fatalf("err %v, want too large: %v", err, tt.tooLarge)
			}
			if string(got) != tt.want {
				t.Errorf("read %q, want %q", got, tt.want)
			}
			if s, ok := rc.(interface{ Size() int64 }); tt.size != 0 && (!ok || s.Size() != tt.size) {
				t.Errorf("no size %d told for a ranged read", tt.size)
			}
		})
	}
	if _, err := (LocalFetcher{}).Fetch(ctx, "http://127.0.0.1:1/repomd.xml", 0, -1); err == nil {
		t.Error("LocalFetcher fetched an http URL")
	}
}
