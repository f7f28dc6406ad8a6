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
	"strings"
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
// same bytes, so the loser's rename is harmless.
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
	if _, err := io.Copy(tmp, newHashingReader(r, sha, size)); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(d.Path(sha)), 0o755); err != nil {
		return err
	}
	return tmp.Commit(d.Path(sha), 0o444)
}

// Adopt moves a file of this machine into the store as sha without copying
// it, after re-hashing it; the file must be on the store's filesystem.
func (d *Dir) Adopt(p, sha string) error {
	if err := checkName(sha); err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sha {
		return &CorruptError{Name: sha, Detail: fmt.Sprintf("%s hashes to sha256 %s", p, got)}
	}
	return d.commit(f, sha)
}

func (d *Dir) commit(f *os.File, sha string) error {
	dst := d.Path(sha)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return atomicfile.Rename(f, dst, 0o444)
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
	p, err := d.cachePath(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(p, 0o644, write)
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
// verified download enters without a second pass over a large file.
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
