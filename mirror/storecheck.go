package mirror

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"sort"
	"strings"

	"github.com/rpmvault/rpmvault/lock"
	"github.com/rpmvault/rpmvault/resolver/fetch"
	"github.com/rpmvault/rpmvault/resolver/rpmmd"
	"github.com/rpmvault/rpmvault/store"
)

// rehash reads the object named sha to the end through Open, which fails
// with a *store.CorruptError if its bytes no longer hash to its name.
func rehash(ctx context.Context, s store.Store, sha string) error {
	obj, err := s.Open(ctx, sha)
	if err != nil {
		return err
	}
	defer obj.Close()
	_, err = io.Copy(io.Discard, obj)
	return err
}

// removeObject deletes the object named sha (a damaged one).
func removeObject(ctx context.Context, s store.Store, sha string) error {
	err := s.Remove(ctx, sha)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// CheckOptions tunes CheckStore.
type CheckOptions struct {
	// Repair removes damaged objects and fetches them again.
	Repair bool
	// Lock, when set, gives the URLs (and sizes) to fetch damaged objects
	// from; the store's index of earlier fetches is used as well.
	Lock     *lock.Lock
	Rewrites []fetch.Rewrite // --mirror-map
	Client   *http.Client    // default fetch.NewHTTPClient(Net)
	Net      fetch.NetOptions
	Log      *slog.Logger
}

// BadObject is an object whose bytes do not hash to its name.
type BadObject struct {
	SHA256   string
	Names    []string // packages the index or the lock knows it as
	Repaired bool
	Err      error // why it could not be repaired
}

// CheckReport is what CheckStore found.
type CheckReport struct {
	Objects int
	Bad     []BadObject
}

// Damaged counts the bad objects that are still bad.
func (r CheckReport) Damaged() int {
	n := 0
	for _, b := range r.Bad {
		if !b.Repaired {
			n++
		}
	}
	return n
}

// CheckStore re-hashes every object of the store (rpmvault store verify).
// With Repair, a damaged object is removed and fetched again from the URLs
// the lock or the store's index know for it; only bytes that hash to its
// name get back in, so a repair can never put a different package there.
func CheckStore(ctx context.Context, s store.Store, opts CheckOptions) (CheckReport, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Client == nil {
		opts.Client = fetch.NewHTTPClient(opts.Net)
	}
	// No lock: a repair is a verified Put like any other, safe beside
	// running mirrors.
	objects, err := store.Names(ctx, s)
	if err != nil {
		return CheckReport{}, fmt.Errorf("list the store %s: %w", s, err)
	}
	idx := indexMap(ctx, s)
	rep := CheckReport{Objects: len(objects)}
	for _, sha := range objects {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		err := rehash(ctx, s, sha)
		var cerr *store.CorruptError
		if err == nil {
			continue
		}
		if !errors.As(err, &cerr) {
			return rep, fmt.Errorf("read object %s of the store %s: %w", sha, s, err)
		}
		bad := BadObject{SHA256: sha, Names: namesOf(idx, opts.Lock, sha)}
		if opts.Repair {
			bad.Err = repairObject(ctx, s, idx, sha, opts)
			bad.Repaired = bad.Err == nil
		}
		rep.Bad = append(rep.Bad, bad)
	}
	return rep, nil
}

// namesOf lists the packages the index and the lock know as sha.
func namesOf(idx map[string]string, lk *lock.Lock, sha string) []string {
	seen := map[string]bool{}
	for k, v := range idx {
		if v == sha && !strings.HasPrefix(k, "url:") {
			seen[k] = true
		}
	}
	if lk != nil {
		for _, p := range append(lk.Packages(), lk.Sources()...) {
			if p.SHA256() == sha {
				seen[p.RepoID+"/"+p.NEVRA()] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// repairObject removes the damaged object sha and fetches it again.
func repairObject(ctx context.Context, s store.Store, idx map[string]string, sha string, opts CheckOptions) error {
	var urls []string
	size := int64(maxUnpinnedSize)
	pinned := int64(-1)
	if opts.Lock != nil {
		local := localSources(opts.Lock)
		for _, p := range append(opts.Lock.Packages(), opts.Lock.Sources()...) {
			if p.SHA256() != sha {
				continue
			}
			if p.Size > 0 {
				size, pinned = p.Size, p.Size
			}
			for _, u := range append([]string{p.URL}, p.Mirrors...) {
				m := &mirrorer{local: local}
				if m.checkURL(&p, u) == nil {
					urls = append(urls, u)
				}
			}
		}
	}
	// The index records where earlier runs fetched it; only http(s)
	// addresses are taken from it.
	var known []string
	for k, v := range idx {
		if u, ok := strings.CutPrefix(k, "url:"); ok && v == sha && (strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")) {
			known = append(known, u)
		}
	}
	sort.Strings(known)
	urls = append(urls, known...)
	if len(urls) == 0 {
		return fmt.Errorf("no URL is known for it: pass the --lock that pins it")
	}
	if err := removeObject(ctx, s, sha); err != nil {
		return fmt.Errorf("remove it: %w", err)
	}
	fetcher := &fetch.HTTPFetcher{Client: opts.Client, Rewrites: opts.Rewrites}
	var errs []error
	for _, u := range dedupe(urls) {
		rc, err := fetcher.Fetch(rpmmd.WithMaxSize(ctx, size), u, 0, -1)
		if err == nil {
			// Without a lock the size is the server's Content-Length, if it
			// says one (the hash check catches a wrong one), else unknown:
			// an S3 store then buffers one part at a time.
			n := pinned
			if sz, ok := rc.(interface{ Size() int64 }); ok && n < 0 && sz.Size() > 0 {
				n = sz.Size()
			}
			err = s.Put(ctx, sha, n, rc) // Put keeps it only if it hashes to sha
			rc.Close()
		}
		if err == nil {
			err = s.Sync(ctx)
		}
		if err == nil {
			opts.Log.Info("repaired", "sha256", sha, "url", u)
			return nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", u, err))
		if ctx.Err() != nil {
			break
		}
	}
	return fmt.Errorf("fetch it again: %w", errors.Join(errs...))
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
