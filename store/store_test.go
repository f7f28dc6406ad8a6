package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"sort"
	"strings"
	"testing"

	"github.com/rpmvault/rpmvault/store"
)

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// contract runs the behaviour every backend must share.
func contract(t *testing.T, s store.Store, big int) {
	ctx := context.Background()
	small := []byte("an rpm, honestly")
	large := bytes.Repeat([]byte("0123456789abcdef"), big/16)
	// Sizes nobody told Put (a repair by an index URL without a
	// Content-Length): one that fits a part, one that does not.
	smallUnsized := []byte("an rpm of unknown size")
	largeUnsized := bytes.Repeat([]byte("fedcba9876543210"), big/16+1)
	for _, tc := range []struct {
		name    string
		body    []byte
		sha     string
		size    int64
		corrupt bool
	}{
		{"wrong bytes", []byte("an rpm, honestlY"), sum(small), int64(len(small)), true},
		{"short", small[:5], sum(small), int64(len(small)), true},
		{"long", append(append([]byte{}, small...), 'x'), sum(small), int64(len(small)), true},
		{"large, last byte wrong", append(append([]byte{}, large[:len(large)-1]...), 'X'), sum(large), int64(len(large)), true},
		{"small", small, sum(small), int64(len(small)), false},
		{"large", large, sum(large), int64(len(large)), false},
		{"unsized, wrong bytes", []byte("an rpm of unknown sizE"), sum(smallUnsized), -1, true},
		{"unsized large, last byte wrong", append(append([]byte{}, largeUnsized[:len(largeUnsized)-1]...), 'X'), sum(largeUnsized), -1, true},
		{"unsized", smallUnsized, sum(smallUnsized), -1, false},
		{"unsized large", largeUnsized, sum(largeUnsized), -1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, err := s.Has(ctx, tc.sha)
			if err != nil {
				t.Fatal(err)
			}
			err = s.Put(ctx, tc.sha, tc.size, bytes.NewReader(tc.body))
			var ce *store.CorruptError
			if tc.corrupt != errors.As(err, &ce) {
				t.Fatalf("Put: %v, want corrupt=%v", err, tc.corrupt)
			}
			if !tc.corrupt && err != nil {
				t.Fatal(err)
			}
			has, err := s.Has(ctx, tc.sha)
			if err != nil {
				t.Fatal(err)
			}
			// A body longer than declared may leave the right object (its
			// first size bytes) in a backend that sends only size bytes;
			// what is there is read back and checked below either way.
			if has != (before || !tc.corrupt) && tc.name != "long" {
				t.Fatalf("Has after Put = %v", has)
			}
			if !has {
				return
			}
			o, err := s.Open(ctx, tc.sha)
			if err != nil {
				t.Fatal(err)
			}
			defer o.Close()
			got, err := io.ReadAll(o)
			if err != nil {
				t.Fatal(err)
			}
			if sum(got) != tc.sha || o.Size() != int64(len(got)) {
				t.Fatalf("read back %d bytes hashing to %s", len(got), sum(got))
			}
			// A range: Seek then read.
			if _, err := o.Seek(3, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			b := make([]byte, 4)
			if _, err := io.ReadFull(o, b); err != nil || !bytes.Equal(b, got[3:7]) {
				t.Fatalf("range read %q, %v; want %q", b, err, got[3:7])
			}
		})
	}
	// Put again is a no-op.
	if err := s.Put(ctx, sum(small), int64(len(small)), bytes.NewReader(small)); err != nil {
		t.Fatal(err)
	}
	var names []string
	if err := s.List(ctx, func(sha string) error { names = append(names, sha); return nil }); err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	want := []string{sum(small), sum(large), sum(smallUnsized), sum(largeUnsized)}
	sort.Strings(want)
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("List = %v, want %v", names, want)
	}
	if _, err := s.Open(ctx, sum([]byte("absent"))); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open of an absent object: %v, want fs.ErrNotExist", err)
	}
	if _, err := s.GetCache(ctx, "metadata/x"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("GetCache of an absent entry: %v", err)
	}
	if err := store.PutCacheBytes(ctx, s, "metadata/x", []byte("cached")); err != nil {
		t.Fatal(err)
	}
	if b, err := store.ReadAllCache(ctx, s, "metadata/x", 100); err != nil || string(b) != "cached" {
		t.Fatalf("ReadAllCache = %q, %v", b, err)
	}
	var keys []string
	if err := s.ListCache(ctx, "metadata", func(k string) error { keys = append(keys, k); return nil }); err != nil || strings.Join(keys, ",") != "metadata/x" {
		t.Fatalf("ListCache(metadata) = %v, %v", keys, err)
	}
	for _, bad := range []string{"../x", "/etc/passwd", "objects/sha256/aa/x", "a/../../b", ""} {
		if err := store.PutCacheBytes(ctx, s, bad, nil); err == nil {
			t.Errorf("PutCache(%q) accepted", bad)
		}
	}
	if err := s.Remove(ctx, sum(small)); err != nil {
		t.Fatal(err)
	}
	if has, _ := s.Has(ctx, sum(small)); has {
		t.Fatal("Remove left the object")
	}
	release, err := s.Claim(ctx, sum(large))
	if err != nil {
		t.Fatal(err)
	}
	release()
}

func TestDirContract(t *testing.T) {
	s, err := store.OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	contract(t, s, 1<<20)
}

// TestDirPutCacheVolatile: an entry written without fsync reads back
// like any other, and replaces the one before it.
func TestDirPutCacheVolatile(t *testing.T) {
	s, err := store.OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, body := range []string{"first", "second"} {
		if err := s.PutCacheVolatile(ctx, "metadata/parsed/k", func(w io.Writer) error { _, err := io.WriteString(w, body); return err }); err != nil {
			t.Fatal(err)
		}
		b, err := store.ReadAllCache(ctx, s, "metadata/parsed/k", 1<<10)
		if err != nil || string(b) != body {
			t.Fatalf("read back %q, %v; want %q", b, err, body)
		}
	}
}

func TestOpenedObjectDetectsRot(t *testing.T) {
	dir := t.TempDir()
	s, _ := store.OpenDir(dir)
	body := []byte("payload")
	sha := sum(body)
	if err := s.Put(context.Background(), sha, -1, bytes.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	p := s.Path(sha)
	if err := chmodWrite(p, []byte("paylоad")); err != nil { // a Cyrillic o: same look, other bytes
		t.Fatal(err)
	}
	o, err := s.Open(context.Background(), sha)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	_, err = io.ReadAll(o)
	var ce *store.CorruptError
	if !errors.As(err, &ce) {
		t.Fatalf("reading a rotten object: %v, want *CorruptError", err)
	}
}
