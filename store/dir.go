package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rpmvault/rpmvault/internal/atomicfile"
)

// Dir is a store in a directory on this machine. Layout:
// objects/sha256/ab/abcdef… (read-only files, entered by a synced rename),
// tmp/ (Puts in progress), claims/ (flock files), partial/ (downloads the
// mirror resumes), and cache entries at their keys (metadata/…, keys/…).
type Dir struct {
	dir string

	mu       sync.Mutex
	unsynced map[string]bool // object directories renamed into since the last Sync
}

// OpenDir opens (creating if needed) a store in dir.
func OpenDir(dir string) (*Dir, error) {
	for _, d := range []string{"objects/sha256", "partial", "tmp", "claims"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("open store %s: %w", dir, err)
		}
	}
	return &Dir{dir: dir}, nil
}

// Root returns the store's directory.
func (d *Dir) Root() string { return d.dir }

func (d *Dir) String() string { return d.dir }

// Path returns where the object named sha lives (sha must be valid).
func (d *Dir) Path(sha string) string {
	return filepath.Join(d.dir, filepath.FromSlash(objectKey(sha)))
}

// Has implements Store.
func (d *Dir) Has(_ context.Context, sha string) (bool, error) {
	if err := checkName(sha); err != nil {
		return false, err
	}
	_, err := os.Stat(d.Path(sha))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

type fileObject struct {
	*os.File
	size int64
	mod  time.Time
}

func (f fileObject) Size() int64        { return f.size }
func (f fileObject) ModTime() time.Time { return f.mod }

func openFile(p string) (fileObject, error) {
	f, err := os.Open(p)
	if err != nil {
		return fileObject{}, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fileObject{}, err
	}
	return fileObject{File: f, size: st.Size(), mod: st.ModTime()}, nil
}

// Open implements Store.
func (d *Dir) Open(_ context.Context, sha string) (Object, error) {
	if err := checkName(sha); err != nil {
		return nil, err
	}
	f, err := openFile(d.Path(sha))
	if err != nil {
		return nil, fmt.Errorf("store %s: object %s: %w", d.dir, sha, err)
	}
	return verifying(f, sha), nil
}

// Put implements Store: a temp file, hashed as written, fsynced, made
// read-only and renamed under its name. Two writers of one name rename the
// same bytes, so the loser's rename is harmless. The object directory's
// fsync is left to Sync (see there).
func (d *Dir) Put(_ context.Context, sha string, size int64, r io.Reader) error {
	if err := checkName(sha); err != nil {
		return err
	}
	if _, err := os.Stat(d.Path(sha)); err == nil {
		return nil
	}
	tmp, err := atomicfile.Create(filepath.Join(d.dir, "tmp"), "put-*")
	if err != nil {
		return fmt.Errorf("store %s: %w", d.dir, err)
	}
	defer tmp.Abort()
	hr := hashing(r, sha, size)
	if _, err := io.Copy(tmp, hr); err != nil {
		return corrupt(err)
	}
	if !hr.Verified() {
		return corrupt(hr.Finish())
	}
	dst := d.Path(sha)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if err := tmp.CommitUnsynced(dst, 0o444); err != nil {
		return err
	}
	d.unsyncedDir(filepath.Dir(dst))
	return nil
}

// commit renames f, whose content hashes to sha, into place. Its data is
// fsynced before the rename, so a name that is visible (now, or after a
// crash) always holds the complete object; the directory's fsync, which
// makes the name itself survive a crash, is batched: the directory is
// remembered and synced by Sync, once for every object that went into it.
// A name lost in a crash before Sync only costs fetching the object again.
func (d *Dir) commit(f *os.File, sha string) error {
	dst := d.Path(sha)
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := atomicfile.RenameUnsynced(f, dst, 0o444); err != nil {
		return err
	}
	d.unsyncedDir(dir)
	return nil
}

func (d *Dir) unsyncedDir(dirs ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.unsynced == nil {
		d.unsynced = map[string]bool{}
	}
	for _, dir := range dirs {
		d.unsynced[dir] = true
	}
}

// Sync implements Store: one fsync per object directory that objects were
// renamed into since the last Sync (and one of objects/sha256, which may
// have gained directories), so their names survive a crash.
func (d *Dir) Sync(_ context.Context) error {
	d.mu.Lock()
	dirs := make([]string, 0, len(d.unsynced)+1)
	for dir := range d.unsynced {
		dirs = append(dirs, dir)
	}
	d.unsynced = nil
	d.mu.Unlock()
	if len(dirs) == 0 {
		return nil
	}
	sort.Strings(dirs)
	dirs = append(dirs, filepath.Join(d.dir, "objects", "sha256"))
	for i, dir := range dirs {
		if err := atomicfile.SyncDir(dir); err != nil {
			d.unsyncedDir(dirs[i:]...) // a later Sync tries them again
			return fmt.Errorf("store %s: %w", d.dir, err)
		}
	}
	return nil
}

// List implements Store.
func (d *Dir) List(_ context.Context, fn func(sha string) error) error {
	return filepath.WalkDir(filepath.Join(d.dir, "objects", "sha256"), func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !ValidName(e.Name()) {
			return err
		}
		return fn(e.Name())
	})
}

// Remove implements Store.
func (d *Dir) Remove(_ context.Context, sha string) error {
	if err := checkName(sha); err != nil {
		return err
	}
	return os.Remove(d.Path(sha))
}

// Claim implements Store with an flock on claims/KEY: the kernel drops it
// when the holder exits, however it dies.
func (d *Dir) Claim(ctx context.Context, key string) (func(), error) {
	sum := sha256.Sum256([]byte(key))
	f, err := os.OpenFile(filepath.Join(d.dir, "claims", hex.EncodeToString(sum[:16])), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("store %s: claim %s: %w", d.dir, key, err)
	}
	// Poll a non-blocking flock so a cancelled context is honoured.
	delay := 10 * time.Millisecond
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("store %s: claim %s: %w", d.dir, key, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, 500*time.Millisecond)
	}
}

func (d *Dir) cachePath(key string) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	return filepath.Join(d.dir, filepath.FromSlash(key)), nil
}

// GetCache implements Store.
func (d *Dir) GetCache(_ context.Context, key string) (CacheEntry, error) {
	p, err := d.cachePath(key)
	if err != nil {
		return nil, err
	}
	f, err := openFile(p)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// PutCache implements Store: temp file, fsync, rename.
func (d *Dir) PutCache(_ context.Context, key string, write func(io.Writer) error) error {
	return d.putCache(key, write, atomicfile.Write)
}

// PutCacheVolatile is PutCache without fsync (atomicfile.WriteVolatile),
// for cache entries that carry their own checksum and can be made again: a
// crash may leave one cut short, which its reader then refuses.
func (d *Dir) PutCacheVolatile(_ context.Context, key string, write func(io.Writer) error) error {
	return d.putCache(key, write, atomicfile.WriteVolatile)
}

func (d *Dir) putCache(key string, write func(io.Writer) error, put func(string, fs.FileMode, func(io.Writer) error) error) error {
	p, err := d.cachePath(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return put(p, 0o644, write)
}

// RemoveCache implements Store.
func (d *Dir) RemoveCache(_ context.Context, key string) error {
	p, err := d.cachePath(key)
	if err != nil {
		return err
	}
	return os.Remove(p)
}

// ListCache implements Store.
func (d *Dir) ListCache(_ context.Context, prefix string, fn func(key string) error) error {
	root, err := d.cachePath(prefix)
	if err != nil {
		return err
	}
	err = filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			return err
		}
		rel, err := filepath.Rel(d.dir, p)
		if err != nil {
			return err
		}
		return fn(filepath.ToSlash(rel))
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// PartialDir is where the mirror keeps downloads in progress for this store.
func (d *Dir) PartialDir() string { return filepath.Join(d.dir, "partial") }

// Commit moves a file of this machine into the store as sha without
// copying or re-reading it. The caller must have just hashed every byte of
// it to sha (the mirror's verification does) and own it: it is how a
// verified download enters without a second pass over a large file. As
// with Put, the directory's fsync waits for Sync.
func (d *Dir) Commit(p, sha string) error {
	if err := checkName(sha); err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return d.commit(f, sha)
}
