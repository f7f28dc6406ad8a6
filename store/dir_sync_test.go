package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"

	"github.com/rpmvault/rpmvault/store"
)

// TestDirVisibleObjectsAreComplete: the directory store batches the fsync
// of object directories (Sync), but never the object's own data: whatever
// name a reader can see — during concurrent Puts by two store handles on
// one directory (two processes), and after Sync — holds the complete
// object, which re-hashes to its name.
func TestDirVisibleObjectsAreComplete(t *testing.T) {
	dir := t.TempDir()
	writers := make([]*store.Dir, 2)
	for i := range writers {
		s, err := store.OpenDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		writers[i] = s
	}
	reader, _ := store.OpenDir(dir)
	ctx := context.Background()
	var bodies [][]byte
	for i := 0; i < 24; i++ {
		bodies = append(bodies, bytes.Repeat([]byte(fmt.Sprintf("object %d ", i)), 20000+i*997))
	}
	stop := make(chan struct{})
	var checked atomic.Int64
	observed := make(chan error, 1)
	go func() {
		// Re-hash every visible object, over and over, while they enter.
		defer close(observed)
		for {
			select {
			case <-stop:
				return
			default:
			}
			err := reader.List(ctx, func(sha string) error {
				o, err := reader.Open(ctx, sha)
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				if err != nil {
					return err
				}
				defer o.Close()
				if _, err := io.Copy(io.Discard, o); err != nil {
					return fmt.Errorf("visible object %s: %w", sha, err)
				}
				checked.Add(1)
				return nil
			})
			if err != nil {
				observed <- err
				return
			}
		}
	}()
	var wg sync.WaitGroup
	errs := make([]error, len(bodies)*len(writers))
	for i, b := range bodies {
		for w, s := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Small reads: the object is long in the writing.
				errs[i*len(writers)+w] = s.Put(ctx, sum(b), int64(len(b)), iotest.HalfReader(bytes.NewReader(b)))
			}()
		}
	}
	wg.Wait()
	for _, s := range writers {
		if err := s.Sync(ctx); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	if err := <-observed; err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	bad, err := store.Verify(ctx, reader, false)
	if err != nil || len(bad) != 0 {
		t.Fatalf("after Sync: bad objects %v, %v", bad, err)
	}
	names, _ := store.Names(ctx, reader)
	if len(names) != len(bodies) {
		t.Fatalf("%d objects visible, want %d", len(names), len(bodies))
	}
	if err := reader.Sync(ctx); err != nil { // nothing pending: a no-op
		t.Fatal(err)
	}
	t.Logf("%d reads of visible objects while they entered", checked.Load())
}
