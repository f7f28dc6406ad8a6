package mirror

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/rpmvault/rpmvault/internal/rpmfile"
	"github.com/rpmvault/rpmvault/lock"
	"github.com/rpmvault/rpmvault/resolver"
	"github.com/rpmvault/rpmvault/store"
)

// OpenStore opens (creating if needed) a directory store; see store.Open
// for a store that may also be s3://BUCKET/PREFIX.
func OpenStore(dir string) (*store.Dir, error) { return store.OpenDir(dir) }

// verifyStored checks a stored object for lock entry p as a download of it
// is checked: an object is named by its bytes, not by who verified it or
// against which keys, and a store is shared by locks of different repos
// (one may have gpgcheck off, or a lock's own keys). With keys (the
// entry's repo has gpgcheck on) the whole object is read: digests, a
// signature covering the payload by one of keys, and its sha256 again;
// without, its header. Either way its header must name p's package.
func verifyStored(ctx context.Context, s store.Store, p *lock.Package, sha string, keys *Keyring) (*RPMFacts, error) {
	if keys == nil {
		f, err := facts(ctx, s, sha)
		if err != nil {
			return nil, err
		}
		return f, f.Matches(*p)
	}
	o, err := s.Open(ctx, sha)
	if err != nil {
		return nil, err
	}
	defer o.Close()
	f, err := VerifyRPM(o, keys)
	if err != nil {
		return nil, err
	}
	if f.SHA256 != sha {
		return nil, fmt.Errorf("sha256 %s, stored as %s", f.SHA256, sha)
	}
	return f, f.Matches(*p)
}

// facts describes a stored object the way verification did when it entered:
// size and signer (objects are verified on entry, so only the header is read).
func facts(ctx context.Context, s store.Store, sha string) (*RPMFacts, error) {
	o, err := s.Open(ctx, sha)
	if err != nil {
		return nil, err
	}
	defer o.Close()
	raw, err := rpmfile.ReadRawHeader(o)
	if err != nil {
		return nil, err
	}
	keyID, err := signerKeyID(raw)
	if err != nil {
		return nil, err
	}
	f := &RPMFacts{SHA256: sha, Size: o.Size(), KeyID: keyID}
	h, err := rpmfile.ParseHeader(raw)
	if err != nil {
		return nil, err
	}
	if n, err := h.GetNEVRA(); err == nil {
		f.Name, f.Epoch, f.Version, f.Release, f.Arch = n.Name, n.Epoch, n.Version, n.Release, n.Arch
		if raw.Source {
			f.Arch = resolver.SourceArch // a source header's ARCH is its build host's
		}
	}
	return f, nil
}

// The index maps "repo/NEVRA" and "url:URL" to object names, so a lock
// without sha256 pins (a header-only source) finds what an earlier run
// fetched. Each entry is its own cache entry, index/HASH, written once per
// fetch: concurrent writers on one store never rewrite a shared file, so no
// entry is lost to a read-modify-write race.
func indexKey(entry string) string {
	sum := sha256.Sum256([]byte(entry))
	return "index/" + hex.EncodeToString(sum[:16])
}

// lookupIndex returns the object name recorded for entry, or "".
func lookupIndex(ctx context.Context, s store.Store, entry string) (string, error) {
	b, err := store.ReadAllCache(ctx, s, indexKey(entry), 256)
	if errors.Is(err, fs.ErrNotExist) {
		return legacyIndex(s, entry)
	}
	if err != nil {
		return "", err
	}
	var e struct{ Entry, SHA256 string }
	if err := json.Unmarshal(b, &e); err != nil || e.Entry != entry || !store.ValidName(e.SHA256) {
		return "", fmt.Errorf("store %s: index entry %s for %s is corrupt (delete it; objects are kept)", s, indexKey(entry), entry)
	}
	return e.SHA256, nil
}

func recordIndex(ctx context.Context, s store.Store, entry, sha string) error {
	b, err := json.Marshal(struct{ Entry, SHA256 string }{entry, sha})
	if err != nil {
		return err
	}
	return store.PutCacheBytes(ctx, s, indexKey(entry), b)
}

// legacyIndex reads index.json, where directory stores kept the whole index
// before it was split into entries.
func legacyIndex(s store.Store, entry string) (string, error) {
	d, ok := s.(*store.Dir)
	if !ok {
		return "", nil
	}
	data, err := os.ReadFile(filepath.Join(d.Root(), "index.json"))
	if err != nil {
		return "", nil
	}
	idx := map[string]string{}
	if err := json.Unmarshal(data, &idx); err != nil {
		return "", fmt.Errorf("store index %s is corrupt (delete it; objects are kept): %w", filepath.Join(d.Root(), "index.json"), err)
	}
	if sha := strings.ToLower(idx[entry]); store.ValidName(sha) {
		return sha, nil
	}
	return "", nil
}

// indexMap reads every index entry (and an older store's index.json):
// store verify names damaged objects and finds their URLs with it.
func indexMap(ctx context.Context, s store.Store) map[string]string {
	idx := map[string]string{}
	if d, ok := s.(*store.Dir); ok {
		if data, err := os.ReadFile(filepath.Join(d.Root(), "index.json")); err == nil {
			_ = json.Unmarshal(data, &idx)
		}
	}
	_ = s.ListCache(ctx, "index", func(key string) error {
		b, err := store.ReadAllCache(ctx, s, key, 64<<10)
		if err != nil {
			return nil
		}
		var e struct{ Entry, SHA256 string }
		if json.Unmarshal(b, &e) == nil && indexKey(e.Entry) == key && store.ValidName(e.SHA256) {
			idx[e.Entry] = e.SHA256
		}
		return nil
	})
	return idx
}
