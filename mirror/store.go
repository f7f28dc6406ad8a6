package mirror

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"

	"github.com/rpmvault/rpmvault/internal/atomicfile"
	"github.com/rpmvault/rpmvault/internal/digest"
	"github.com/rpmvault/rpmvault/lock"
)

// Store is a content-addressed store of package files: each object is named
// by its sha256 and only ever enters through a verified, synced rename, so
// the store cannot hold an object whose content does not match its name.
//
// Layout: objects/sha256/ab/abcdef…, partial/ (downloads in progress, kept
// across runs so a killed mirror resumes), index.json (NEVRA → object),
// lock (flock while a process writes).
type Store struct {
	dir string
}

// OpenStore opens (creating if needed) a store in dir.
func OpenStore(dir string) (*Store, error) {
	for _, d := range []string{"objects/sha256", "partial", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("open store %s: %w", dir, err)
		}
	}
	return &Store{dir: dir}, nil
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

// Lock takes the store's exclusive file lock, waiting for another process
// that holds it; the returned function releases it.
func (s *Store) Lock() (func(), error) {
	f, err := os.OpenFile(filepath.Join(s.dir, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock store %s: %w", s.dir, err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// path returns where the object with this sha256 lives. It is the only
// place that knows the layout; everything else names objects by sha256.
func (s *Store) path(sha string) string {
	return filepath.Join(s.dir, "objects", "sha256", sha[:2], sha)
}

// Has reports whether the object is in the store.
func (s *Store) Has(sha string) bool {
	if !digest.ValidSHA256(sha) {
		return false
	}
	_, err := os.Stat(s.path(sha))
	return err == nil
}

// Open opens the object with this sha256 for reading. Objects were
// verified when they entered; the reader checks again as it goes and fails
// at EOF with a *VerifyError if the content no longer hashes to its name
// (a damaged disk), so a caller that reads to the end has read verified bytes.
func (s *Store) Open(sha string) (io.ReadCloser, error) {
	if !digest.ValidSHA256(sha) {
		return nil, fmt.Errorf("store %s: %q is not a sha256", s.dir, sha)
	}
	f, err := os.Open(s.path(sha))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("object %s is not in the store %s: %w", sha, s.dir, ErrNotStored)
		}
		return nil, err
	}
	return &objectReader{f: f, h: sha256.New(), want: sha}, nil
}

// ErrNotStored says an object is not in the store.
var ErrNotStored = errors.New("not in the store")

// Size is the object's size in bytes (-1 if the file cannot say).
func (r *objectReader) Size() int64 {
	st, err := r.f.Stat()
	if err != nil {
		return -1
	}
	return st.Size()
}

// objectReader hashes a store object as it is read.
type objectReader struct {
	f    *os.File
	h    hash.Hash
	want string
}

func (o *objectReader) Read(p []byte) (int, error) {
	n, err := o.f.Read(p)
	o.h.Write(p[:n])
	if err == io.EOF {
		if got := hex.EncodeToString(o.h.Sum(nil)); got != o.want {
			return n, &VerifyError{Package: "store object " + o.want, Detail: "content hashes to " + got + " (the store is damaged: rpmvault store verify --repair)"}
		}
	}
	return n, err
}

func (o *objectReader) Close() error { return o.f.Close() }

// partialPath is where a download of p accumulates.
func (s *Store) partialPath(p *lock.Package) (string, error) {
	return p.FilePath(filepath.Join(s.dir, "partial"))
}

// Put copies r into the store, hashing as it goes; if want is not empty the
// content must hash to it. It returns the object's sha256.
func (s *Store) Put(r io.Reader, want string) (string, error) {
	tmp, err := atomicfile.Create(filepath.Join(s.dir, "tmp"), "put-*")
	if err != nil {
		return "", err
	}
	defer tmp.Abort()
	got, _, err := digest.SHA256(io.TeeReader(r, tmp))
	if err != nil {
		return "", err
	}
	if err := s.check(tmp.Name(), got, want); err != nil {
		return "", err
	}
	if err := s.mkdir(got); err != nil {
		return "", err
	}
	return got, tmp.Commit(s.path(got), 0o444)
}

// Adopt moves a downloaded file into the store after re-hashing it.
func (s *Store) Adopt(path, want string) (string, error) {
	got, err := digest.FileSHA256(path)
	if err != nil {
		return "", err
	}
	if err := s.check(path, got, want); err != nil {
		return "", err
	}
	if err := s.adoptVerified(path, got); err != nil {
		return "", err
	}
	return got, atomicfile.SyncDir(filepath.Dir(s.path(got)))
}

// adoptVerified moves a file into the store under a sha256 that VerifyRPM
// has just computed over its whole content (the file is ours, under the
// store lock, so it cannot have changed since). The object's directory is
// not synced: the caller syncs it (syncObjectDirs), once for many objects.
func (s *Store) adoptVerified(path, sha string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := s.mkdir(sha); err != nil {
		return err
	}
	return atomicfile.RenameUnsynced(f, s.path(sha), 0o444)
}

// syncObjectDirs makes the names of objects adopted so far durable: one
// fsync per object directory they went into.
func (s *Store) syncObjectDirs(shas []string) error {
	done := map[string]bool{}
	for _, sha := range shas {
		dir := filepath.Dir(s.path(sha))
		if done[dir] {
			continue
		}
		done[dir] = true
		if err := atomicfile.SyncDir(dir); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) check(name, got, want string) error {
	if want != "" && got != want {
		return &VerifyError{Package: filepath.Base(name), Detail: fmt.Sprintf("sha256 %s, want %s", got, want)}
	}
	return nil
}

func (s *Store) mkdir(sha string) error {
	return os.MkdirAll(filepath.Dir(s.path(sha)), 0o755)
}

// facts describes a stored object the way verification did when it entered:
// size and signer (objects are verified on entry, so only the header is read).
func (s *Store) facts(sha string) (*RPMFacts, error) {
	f, err := os.Open(s.path(sha))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	keyID, err := signerKeyID(f)
	if err != nil {
		return nil, err
	}
	return &RPMFacts{SHA256: sha, Size: st.Size(), KeyID: keyID}, nil
}

// Verify re-hashes every object and returns the names of those whose
// content does not match (which Put and Adopt never let in).
func (s *Store) Verify() ([]string, error) {
	var bad []string
	root := filepath.Join(s.dir, "objects", "sha256")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		got, err := digest.FileSHA256(path)
		if err != nil {
			return err
		}
		if got != d.Name() {
			bad = append(bad, path)
		}
		return nil
	})
	sort.Strings(bad)
	return bad, err
}

// Objects lists the sha256 of every object in the store.
func (s *Store) Objects() ([]string, error) {
	var out []string
	err := filepath.WalkDir(filepath.Join(s.dir, "objects", "sha256"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, d.Name())
		}
		return err
	})
	sort.Strings(out)
	return out, err
}

// index maps "repo/NEVRA" to object sha256, so a lock without sha256 pins
// (a header-only source) finds what an earlier run fetched.
func (s *Store) readIndex() (map[string]string, error) {
	idx := map[string]string{}
	data, err := os.ReadFile(filepath.Join(s.dir, "index.json"))
	if os.IsNotExist(err) {
		return idx, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, fmt.Errorf("store index %s is corrupt (delete it; objects are kept): %w", filepath.Join(s.dir, "index.json"), err)
	}
	return idx, nil
}

func (s *Store) writeIndex(idx map[string]string) error {
	data, err := json.MarshalIndent(idx, "", " ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(s.dir, "index.json"), data, 0o644)
}
