package store

import (
	"context"
	"errors"
	"fmt"
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
	// Sync makes the names of the objects Put (or committed) so far survive
	// a crash. A visible name always holds a complete object; until Sync,
	// a crash may lose the name (the directory store batches its directory
	// fsyncs here), which only costs fetching the object again.
	Sync(ctx context.Context) error
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

// PutAbsent is s.Put for a caller that has just found sha absent (Has)
// while holding its claim (Claim), as the mirror does before each
// download. A store whose Put asks whether the object is there before
// sending it (S3: a HEAD, one request of the few each package costs) skips
// that question: it only spares sending an object that another writer
// stored meanwhile, which the claim makes rare, and the conditional write
// (If-None-Match) keeps the store right whether or not it was asked.
func PutAbsent(ctx context.Context, s Store, sha string, size int64, r io.Reader) error {
	if a, ok := s.(absentPutter); ok {
		return a.putAbsent(ctx, sha, size, r)
	}
	return s.Put(ctx, sha, size, r)
}

type absentPutter interface {
	putAbsent(ctx context.Context, sha string, size int64, r io.Reader) error
}

// hashing wraps r in the one verifying reader (digest.Reader) for sha and
// size, or returns r itself when it already is one for them (the mirror
// hands Put a reader that is checking the download on its way through, so
// the bytes are hashed once, not twice).
func hashing(r io.Reader, sha string, size int64) *digest.Reader {
	if dr, ok := r.(*digest.Reader); ok && dr.Want() == sha && dr.Size() == max(size, -1) && dr.N() == 0 {
		return dr
	}
	return digest.NewReader(r, sha, size)
}

// corrupt turns the verifying reader's mismatch into a *CorruptError, the
// store's one error for bytes that are not what their name says.
func corrupt(err error) error {
	var me *digest.MismatchError
	if errors.As(err, &me) {
		return &CorruptError{Name: me.Want, Detail: me.Detail}
	}
	return err
}

// verifyingObject re-hashes an object while it is read from start to end.
type verifyingObject struct {
	Object
	hr     *digest.Reader
	ranged bool
}

func verifying(o Object, sha string) Object {
	return &verifyingObject{Object: o, hr: digest.NewReader(o, sha, o.Size())}
}

func (v *verifyingObject) Read(p []byte) (int, error) {
	if v.ranged {
		return v.Object.Read(p)
	}
	n, err := v.hr.Read(p)
	if ce, ok := corrupt(err).(*CorruptError); ok {
		ce.Detail += " (the store is damaged: rpmvault store verify --repair)"
		return n, ce
	}
	return n, err
}

func (v *verifyingObject) Seek(off int64, whence int) (int64, error) {
	n, err := v.Object.Seek(off, whence)
	if err == nil && !(n == 0 && !v.ranged && v.hr.N() == 0) {
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
