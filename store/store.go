package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/rpmvault/rpmvault/internal/digest"
)

// Store is where verified package files and the caches live.
type Store interface {
	// Has reports whether the object named sha is present.
	Has(ctx context.Context, sha string) (bool, error)
	// Open opens the object named sha. Reading it from start to end
	// re-hashes it and fails with a *CorruptError at the end if the bytes
	// do not match the name; ReadAt/Seek serve ranges without that check.
	// A missing object gives an error matching fs.ErrNotExist.
	Open(ctx context.Context, sha string) (Object, error)
	// Put stores what r yields under sha, which it must hash to (and be
	// size bytes long, unless size < 0). Nothing becomes visible under sha
	// unless it does. An object already present is kept, never replaced:
	// Put is idempotent and safe for concurrent writers.
	Put(ctx context.Context, sha string, size int64, r io.Reader) error
	// List calls fn with the name of every object, in no particular order.
	List(ctx context.Context, fn func(sha string) error) error
	// Remove deletes the object named sha (store verify --repair).
	Remove(ctx context.Context, sha string) error
	// Claim asks to be the one writer fetching key (an object name, or any
	// other key that names a download). It waits while another live writer
	// holds it. A claim only saves duplicate work; correctness never depends
	// on it. Call release when done (or failed).
	Claim(ctx context.Context, key string) (release func(), err error)
	// GetCache opens the cache entry key ("metadata/sha256/…", "keys/…");
	// a missing entry gives an error matching fs.ErrNotExist.
	GetCache(ctx context.Context, key string) (CacheEntry, error)
	// PutCache writes the cache entry key whole or not at all.
	PutCache(ctx context.Context, key string, write func(io.Writer) error) error
	// RemoveCache deletes the cache entry key (one that proved unusable).
	RemoveCache(ctx context.Context, key string) error
	// ListCache calls fn with the key of every cache entry under prefix/.
	ListCache(ctx context.Context, prefix string, fn func(key string) error) error
	// String names the store for messages: a directory or s3://bucket/prefix.
	String() string
}

// Object is an open store object.
type Object interface {
	io.ReadSeekCloser
	io.ReaderAt
	Size() int64
	ModTime() time.Time
}

// CacheEntry is an open cache entry.
type CacheEntry interface {
	io.ReadCloser
	ModTime() time.Time
}

// CorruptError says an object's bytes do not hash to its name, or that what
// a writer offered Put is not what it claimed. Callers branch on it
// (errors.As): the CLI exits 4, store verify --repair removes the object.
type CorruptError struct {
	Name   string // object name (sha256) or what was being stored
	Detail string
}

func (e *CorruptError) Error() string { return fmt.Sprintf("object %s: %s", e.Name, e.Detail) }

// ValidName reports whether sha is a well-formed object name: 64 lower-case hex digits.
func ValidName(sha string) bool { return digest.ValidSHA256(sha) }

func checkName(sha string) error {
	if !ValidName(sha) {
		return fmt.Errorf("store: %q is not an object name (64 lower-case hex digits of a sha256)", sha)
	}
	return nil
}

// checkKey refuses cache keys that could leave the cache's namespace.
func checkKey(key string) error {
	if key == "" || path.IsAbs(key) || path.Clean(key) != key || key == ".." || strings.HasPrefix(key, "../") || strings.Contains(key, "\\") {
		return fmt.Errorf("store: cache key %q is not a clean relative path", key)
	}
	if strings.HasPrefix(key, "objects/") || strings.HasPrefix(key, "leases/") || strings.HasPrefix(key, "tmp/") {
		return fmt.Errorf("store: cache key %q is inside a reserved area", key)
	}
	return nil
}

// objectKey is the object's path relative to the store root, the same in
// every backend: objects/sha256/ab/abcdef….
func objectKey(sha string) string { return "objects/sha256/" + sha[:2] + "/" + sha }

// hashingReader hashes what it passes on and, before it hands over the last
// byte of an expected size, checks the sum: a mismatch is reported instead of
// those last bytes, so a consumer that commits on a complete body (an S3 PUT
// with its Content-Length, a multipart completion) never sees a whole wrong
// object. With size < 0 the check happens at EOF.
type hashingReader struct {
	r    io.Reader
	h    hash.Hash
	want string
	size int64
	n    int64
	err  error
	done bool // the sum was checked
}

func newHashingReader(r io.Reader, want string, size int64) *hashingReader {
	return &hashingReader{r: r, h: sha256.New(), want: want, size: size}
}

func (v *hashingReader) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	if v.size >= 0 && v.n >= v.size {
		// Anything beyond the declared size is a lie about the content.
		var one [1]byte
		if k, _ := io.ReadFull(v.r, one[:]); k > 0 {
			v.err = &CorruptError{Name: v.want, Detail: fmt.Sprintf("longer than its %d bytes", v.size)}
			return 0, v.err
		}
		if !v.done {
			if err := v.check(); err != nil {
				return 0, err
			}
		}
		return 0, io.EOF
	}
	if v.size >= 0 && int64(len(p)) > v.size-v.n {
		p = p[:v.size-v.n]
	}
	k, err := v.r.Read(p)
	v.h.Write(p[:k])
	v.n += int64(k)
	if v.size >= 0 && v.n == v.size {
		if err := v.check(); err != nil {
			return 0, err
		}
		return k, nil
	}
	if err == io.EOF {
		if v.size >= 0 {
			v.err = &CorruptError{Name: v.want, Detail: fmt.Sprintf("%d bytes, want %d", v.n, v.size)}
			return 0, v.err
		}
		if err := v.check(); err != nil {
			return 0, err
		}
	}
	if err != nil && err != io.EOF {
		v.err = err
	}
	return k, err
}

// finish reads to the end, so a reader that holds more than the declared
// size is caught, and reports whether the content checked out.
func (v *hashingReader) finish() error {
	if _, err := io.Copy(io.Discard, v); err != nil {
		return err
	}
	if v.n != v.size && v.size >= 0 {
		return &CorruptError{Name: v.want, Detail: fmt.Sprintf("%d bytes, want %d", v.n, v.size)}
	}
	return v.err
}

func (v *hashingReader) check() error {
	v.done = true
	if got := hex.EncodeToString(v.h.Sum(nil)); got != v.want {
		v.err = &CorruptError{Name: v.want, Detail: "content hashes to sha256 " + got}
		return v.err
	}
	return nil
}

// verifyingObject re-hashes an object while it is read from start to end.
type verifyingObject struct {
	Object
	hr      *hashingReader
	ranged  bool
	current int64
}

func verifying(o Object, sha string) Object {
	return &verifyingObject{Object: o, hr: newHashingReader(o, sha, o.Size())}
}

func (v *verifyingObject) Read(p []byte) (int, error) {
	if v.ranged {
		return v.Object.Read(p)
	}
	n, err := v.hr.Read(p)
	if ce, ok := err.(*CorruptError); ok && !strings.Contains(ce.Detail, "--repair") {
		ce.Detail += " (the store is damaged: rpmvault store verify --repair)"
	}
	return n, err
}

func (v *verifyingObject) Seek(off int64, whence int) (int64, error) {
	n, err := v.Object.Seek(off, whence)
	if err == nil && !(n == 0 && !v.ranged && v.hr.n == 0) {
		v.ranged = true // a range cannot be checked against the name
	}
	return n, err
}

// ErrNotFound is wrapped by errors for missing objects and cache entries; it
// is fs.ErrNotExist, so os.IsNotExist-style checks work across backends.
var ErrNotFound = fs.ErrNotExist

// ReadAllCache reads a whole cache entry (at most limit bytes).
func ReadAllCache(ctx context.Context, s Store, key string, limit int64) ([]byte, error) {
	e, err := s.GetCache(ctx, key)
	if err != nil {
		return nil, err
	}
	defer e.Close()
	b, err := io.ReadAll(io.LimitReader(e, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("store %s: cache entry %s is larger than %d bytes", s, key, limit)
	}
	return b, nil
}

// PutCacheBytes writes a whole cache entry.
func PutCacheBytes(ctx context.Context, s Store, key string, b []byte) error {
	return s.PutCache(ctx, key, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}
