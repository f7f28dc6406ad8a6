package mirror

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/rpmvault/rpmvault/resolver/fetch"
	"github.com/rpmvault/rpmvault/resolver/rpmmd"
	"github.com/rpmvault/rpmvault/store"
)

// MetadataFetcher is a rpmmd.Fetcher that keeps repo metadata in the
// store: rpm-md files by their checksum (so they are fetched once), and the
// last repomd.xml of each URL (so --offline can resolve from the cache alone).
type MetadataFetcher struct {
	Inner rpmmd.Fetcher
	// Rewrites are applied before fetching (--mirror-map); the cache is keyed
	// by the URL actually fetched, so two mirrors never share an entry.
	Rewrites []fetch.Rewrite
	Store    store.Store
	Offline  bool
	// Expire is how long a cached repomd.xml is used without asking the
	// server again, like yum's metadata_expire (yum's default is 6h).
	// Zero asks every time.
	Expire time.Duration
	// Retries is how often a metadata file is asked for before giving up
	// (default 6); a file that fails its checksum or does not parse is
	// asked for again, never kept.
	Retries int
	// Backoff is the first delay between tries, doubled each time (default 500ms).
	Backoff time.Duration

	mu        sync.Mutex
	fromCache map[string]bool // repomd.xml URLs last served from the cache
}

func (f *MetadataFetcher) retryOptions() Options {
	o := Options{Retries: f.Retries, Backoff: f.Backoff, MaxBackoff: 10 * time.Second}
	if o.Retries <= 0 {
		o.Retries = 6
	}
	if o.Backoff <= 0 {
		o.Backoff = 500 * time.Millisecond
	}
	return o
}

// repomdKey is the cache entry of the last good repomd.xml of rawURL.
func (f *MetadataFetcher) repomdKey(rawURL string) string {
	sum := sha256.Sum256([]byte(fetch.ApplyRewrites(f.Rewrites, rawURL)))
	return metadataKey("repomd", hex.EncodeToString(sum[:16])+".xml")
}

func (f *MetadataFetcher) servedFromCache(rawURL string, cached bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fromCache == nil {
		f.fromCache = map[string]bool{}
	}
	f.fromCache[rawURL] = cached
}

// KeepRepomd caches a repomd.xml that parsed and whose primary metadata
// verified (rpmmd.RepomdCache): a broken answer, such as a proxy's HTML
// page, is never kept.
func (f *MetadataFetcher) KeepRepomd(rawURL string, raw []byte) error {
	f.mu.Lock()
	cached := f.fromCache[rawURL]
	f.mu.Unlock()
	if f.Offline || cached {
		return nil // rewriting a cached copy would restart its expiry
	}
	return store.PutCacheBytes(context.Background(), f.Store, f.repomdKey(rawURL), raw) // also restarts its expiry
}

// ForgetRepomd is told a repomd.xml proved unusable (rpmmd.RepomdCache).
// A cached copy is removed, so the next run asks the server, and the
// returned hint names it; offline it is kept, and the hint says how to
// refresh it.
func (f *MetadataFetcher) ForgetRepomd(rawURL string) string {
	f.mu.Lock()
	cached := f.fromCache[rawURL]
	f.mu.Unlock()
	if !cached {
		return ""
	}
	path := f.Store.String() + "/" + f.repomdKey(rawURL)
	if f.Offline {
		return fmt.Sprintf("it came from the metadata cache %s; refresh it online with --metadata-expire 0", path)
	}
	if err := f.Store.RemoveCache(context.Background(), f.repomdKey(rawURL)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Sprintf("it came from the metadata cache %s, which could not be removed (%v): delete it, or run with --metadata-expire 0", path, err)
	}
	return fmt.Sprintf("it came from the metadata cache %s, now removed: run again to fetch it afresh (or use --metadata-expire 0)", path)
}

func metadataKey(parts ...string) string {
	return path.Join(append([]string{"metadata"}, parts...)...)
}

// Fetch serves repomd.xml through the cache and everything else (RPM
// headers of header-only sources) from the network, unless offline.
func (f *MetadataFetcher) Fetch(ctx context.Context, rawURL string, start, end int64) (io.ReadCloser, error) {
	if !strings.HasSuffix(rawURL, "/repodata/repomd.xml") {
		// A package URL (a header-only source's header) that an earlier
		// mirror stored is read from the store: the package crosses the
		// network once per store. Its file name carries its NEVRA, so the
		// same URL is the same package.
		rc, err := f.fromStore(ctx, rawURL, start, end)
		if err == nil || f.Offline {
			return rc, err
		}
		return f.Inner.Fetch(ctx, fetch.ApplyRewrites(f.Rewrites, rawURL), start, end)
	}
	effective := fetch.ApplyRewrites(f.Rewrites, rawURL)
	cached := f.repomdKey(rawURL)
	if f.Offline {
		b, err := store.ReadAllCache(ctx, f.Store, cached, rpmmd.MaxRepomdSize)
		if err != nil {
			return nil, fmt.Errorf("--offline: no cached copy of %s (run once online first)", rawURL)
		}
		f.servedFromCache(rawURL, true)
		return io.NopCloser(bytes.NewReader(b)), nil
	}
	if f.Expire > 0 {
		if e, err := f.Store.GetCache(ctx, cached); err == nil {
			fresh := time.Since(e.ModTime()) < f.Expire
			b, err := io.ReadAll(io.LimitReader(e, rpmmd.MaxRepomdSize))
			e.Close()
			if fresh && err == nil {
				f.servedFromCache(rawURL, true)
				return io.NopCloser(bytes.NewReader(b)), nil
			}
		}
	}
	// Only a repomd.xml that parses is used; it is kept once the primary
	// metadata it names verified too (KeepRepomd).
	f.servedFromCache(rawURL, false)
	b, err := fetchChecked(ctx, f.retryOptions(), f.Inner, effective, rpmmd.MaxRepomdSize, func(b []byte) error {
		_, err := rpmmd.ParseRepomd(bytes.NewReader(b))
		return err
	})
	if err != nil {
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// fromStore serves a package URL that an earlier mirror stored.
func (f *MetadataFetcher) fromStore(ctx context.Context, rawURL string, start, end int64) (io.ReadCloser, error) {
	sha, err := lookupIndex(ctx, f.Store, "url:"+rawURL)
	if err != nil {
		return nil, err
	}
	if sha == "" {
		return nil, &rpmmd.OfflineError{URL: rawURL}
	}
	obj, err := f.Store.Open(ctx, sha)
	if err != nil {
		return nil, &rpmmd.OfflineError{URL: rawURL, Err: err}
	}
	// Ranges asked of a stored package are its headers, at its start: read
	// through, so the bytes pass the object's hash check when read to the end.
	if _, err := io.CopyN(io.Discard, obj, start); err != nil {
		obj.Close()
		return nil, err
	}
	if end < 0 {
		return obj, nil
	}
	// The whole package's size goes with its header's range, as a server's
	// Content-Range gives it: a plan shows the same size offline.
	size := int64(-1)
	if s, ok := obj.(interface{ Size() int64 }); ok {
		size = s.Size()
	}
	return sizedRange{io.LimitReader(obj, end-start), obj, size}, nil
}

// FetchMetadata serves a metadata file by its checksum from the store,
// fetching and verifying it first if it is not there yet.
//
// Each byte is hashed once. A file fetched now is hashed on its way into
// the store and read back from the very file it was written to (not
// found again by name), so it is handed on Verified (rpmmd.Verified) and
// the caller's VerifyingReader does not hash it again. A stored file is
// handed on through a reader that checks it as it is read, and also says
// so; one that proves damaged is removed, so the next run fetches it
// afresh instead of failing on it for good.
//
// Entries are not fsynced where the store can skip that: they are checked
// at every reading and can be fetched again, and syncing the 6 MB primary
// of a 60,000-package repo took 6-18 ms of a cold resolve's critical path
// on the bench VM. A crash may leave one empty or cut short, which its
// next reading then refuses and removes.
func (f *MetadataFetcher) FetchMetadata(ctx context.Context, rawURL string, sum rpmmd.Checksum) (io.ReadCloser, error) {
	key := metadataKey(sum.Type, sum.Hex)
	if e, err := f.Store.GetCache(ctx, key); err == nil {
		return f.checkedEntry(ctx, key, e, sum, rawURL)
	}
	if f.Offline {
		return nil, fmt.Errorf("--offline: %s (%s) is not in the cache", rawURL, sum)
	}
	put := f.Store.PutCache
	if v, ok := f.Store.(interface {
		PutCacheVolatile(ctx context.Context, key string, write func(io.Writer) error) error
	}); ok {
		put = v.PutCacheVolatile
	}
	// The file enters the cache only when its checksum matched; a damaged
	// or cut-off answer is asked for again.
	var written *os.File // the file the verified bytes went to, opened again
	defer func() {
		if written != nil {
			written.Close()
		}
	}()
	buf := make([]byte, 128<<10) // a 6 MB file in 48 reads and writes, not 190
	_, err := retry(ctx, f.retryOptions(), func() (struct{}, error) {
		rc, err := f.Inner.Fetch(ctx, fetch.ApplyRewrites(f.Rewrites, rawURL), 0, -1)
		if err != nil {
			return struct{}{}, err
		}
		defer rc.Close()
		vr, err := rpmmd.VerifyingReader(rc, sum, -1, rawURL)
		if err != nil {
			return struct{}{}, err
		}
		return struct{}{}, put(ctx, key, func(w io.Writer) error {
			if _, err := io.CopyBuffer(struct{ io.Writer }{w}, vr, buf); err != nil {
				return err
			}
			// A store writing a file of this machine names it: read back
			// from there, the bytes are those just hashed.
			if named, ok := w.(interface{ Name() string }); ok {
				if written != nil {
					written.Close() // of an attempt whose commit failed
				}
				written, _ = os.Open(named.Name())
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	if written != nil {
		v := &verifiedFile{File: written, sum: sum}
		written = nil
		return v, nil
	}
	e, err := f.Store.GetCache(ctx, key)
	if err != nil {
		return nil, err
	}
	return f.checkedEntry(ctx, key, e, sum, rawURL)
}

// verifiedFile is a metadata file just fetched, verified and stored,
// read back from the file it was written to.
type verifiedFile struct {
	*os.File
	sum rpmmd.Checksum
}

func (v *verifiedFile) VerifiedAs() rpmmd.Checksum { return v.sum }

// checkedEntry hands on a stored metadata file through a reader that
// checks it as it is read, and removes the entry when it proves damaged.
func (f *MetadataFetcher) checkedEntry(ctx context.Context, key string, e io.ReadCloser, sum rpmmd.Checksum, rawURL string) (io.ReadCloser, error) {
	vr, err := rpmmd.VerifyingReader(e, sum, -1, rawURL)
	if err != nil {
		e.Close()
		return nil, err
	}
	return &checkedMetadata{r: vr, c: e, sum: sum, drop: func() string {
		path := f.Store.String() + "/" + key
		if err := f.Store.RemoveCache(context.WithoutCancel(ctx), key); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Sprintf("the metadata cache's copy %s, which could not be removed (%v): delete it", path, err)
		}
		return fmt.Sprintf("the metadata cache's copy %s, now removed: run again to fetch it afresh", path)
	}}, nil
}

// checkedMetadata reads a stored metadata file, checking it (rpmmd.Verified).
type checkedMetadata struct {
	r    io.Reader // a VerifyingReader of the entry
	c    io.Closer
	sum  rpmmd.Checksum
	drop func() string // removes the entry and says so
	end  bool          // the reading ended: at EOF, or with an error
}

func (c *checkedMetadata) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil {
		c.end = true
	}
	var mismatch *rpmmd.ChecksumMismatchError
	if errors.As(err, &mismatch) {
		err = fmt.Errorf("%w (%s)", err, c.drop())
	}
	return n, err
}

// Close checks the rest of an entry whose reader stopped early: a parser
// that fails on a damaged copy (a gzip stream cut short by a crash) stops
// before the checksum is known, and the copy must not stay to fail every
// run after.
func (c *checkedMetadata) Close() error {
	if !c.end {
		var mismatch *rpmmd.ChecksumMismatchError
		if _, err := io.Copy(io.Discard, c.r); errors.As(err, &mismatch) {
			c.drop()
		}
	}
	return c.c.Close()
}

func (c *checkedMetadata) VerifiedAs() rpmmd.Checksum { return c.sum }

// OpenParsed opens the parsed form of a repo (resolver.ParsedCache).
func (f *MetadataFetcher) OpenParsed(key string) (io.ReadCloser, error) {
	return f.Store.GetCache(context.Background(), metadataKey("parsed", path.Base(key)))
}

// SaveParsed keeps the parsed form of a repo (resolver.ParsedCache).
func (f *MetadataFetcher) SaveParsed(key string, write func(io.Writer) error) error {
	// An entry ends in the sha256 of what precedes it, checked when it is
	// opened, and is only ever a faster way to what the metadata gives: it
	// is not fsynced where the store can skip that. Syncing the 26 MB
	// entry of a 60,000-package repo took a quarter to most of a second of
	// a cold resolve that otherwise takes one.
	if v, ok := f.Store.(interface {
		PutCacheVolatile(ctx context.Context, key string, write func(io.Writer) error) error
	}); ok {
		return v.PutCacheVolatile(context.Background(), metadataKey("parsed", path.Base(key)), write)
	}
	return f.Store.PutCache(context.Background(), metadataKey("parsed", path.Base(key)), write)
}

// sizedRange is a range of a stored object that knows the object's size.
type sizedRange struct {
	io.Reader
	io.Closer
	size int64
}

func (s sizedRange) Size() int64 { return s.size }
