package mirror

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/rpmvault/rpmvault/lock"
	"github.com/rpmvault/rpmvault/resolver/fetch"
	"github.com/rpmvault/rpmvault/resolver/rpmmd"
	"github.com/rpmvault/rpmvault/store"
)

// loadRepoKeys fetches each repo's gpgkey (cached in the store for --offline).
func loadRepoKeys(ctx context.Context, lk *lock.Lock, opts Options) (map[string]*Keyring, error) {
	fetcher := &fetch.HTTPFetcher{Rewrites: opts.Rewrites, Client: opts.Client}
	out := map[string]*Keyring{}
	for _, r := range lk.RPMVault.Repos {
		if !r.GPGCheck {
			out[r.ID] = nil
			continue
		}
		if len(r.GPGKeys) == 0 {
			return nil, fmt.Errorf("repo %s has gpgcheck on but no gpgkey: add its key, or set gpgcheck: false deliberately", r.ID)
		}
		var blobs [][]byte
		for _, u := range r.GPGKeys {
			b, err := fetchKey(ctx, fetcher, opts, u)
			if err != nil && strings.HasPrefix(u, "file://") && errors.Is(err, fs.ErrNotExist) {
				// A stock .repo file names keys on the box it came from.
				return nil, fmt.Errorf("repo %s: gpg key %s is not on this machine (%w): copy it here, or map it to where its vendor publishes it, e.g. --mirror-map file:///etc/pki/rpm-gpg=https://vault.centos.org", r.ID, u, err)
			}
			if err != nil {
				return nil, fmt.Errorf("repo %s: gpg key %s: %w", r.ID, u, err)
			}
			blobs = append(blobs, b)
		}
		kr, err := ParseKeys(blobs...)
		if err != nil {
			return nil, fmt.Errorf("repo %s: %w", r.ID, err)
		}
		out[r.ID] = kr
	}
	return out, nil
}

func fetchKey(ctx context.Context, f *fetch.HTTPFetcher, opts Options, u string) ([]byte, error) {
	sum := sha256.Sum256([]byte(u))
	cache := "keys/" + hex.EncodeToString(sum[:8]) + ".asc"
	// A key fetched once is trusted from the store after, as yum keeps an
	// imported key: a second run makes no request at all.
	if b, err := store.ReadAllCache(ctx, opts.Store, cache, 1<<20); err == nil || opts.Offline {
		return b, err
	}
	// Only a key that parses is kept: a damaged or cut-off answer (armor
	// has a checksum) is asked for again.
	b, err := fetchChecked(ctx, opts, f, u, maxKeySize, func(b []byte) error {
		_, err := ParseKeys(b)
		return err
	})
	if err != nil {
		return nil, err
	}
	_ = store.PutCacheBytes(ctx, opts.Store, cache, b) // a cache: failing to keep it costs a refetch
	return b, nil
}

// fetchChecked fetches a small file (at most limit bytes) whole, and
// returns it once check accepts it, asking again as retry does.
func fetchChecked(ctx context.Context, opts Options, f rpmmd.Fetcher, u string, limit int64, check func([]byte) error) ([]byte, error) {
	return retry(ctx, opts, func() ([]byte, error) {
		rc, err := f.Fetch(rpmmd.WithMaxSize(ctx, limit), u, 0, -1)
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			return nil, err
		}
		if err := check(b); err != nil {
			return nil, fmt.Errorf("%s: %w", u, err)
		}
		return b, nil
	})
}

// maxKeySize bounds a repo's gpgkey file: real ones are a few kilobytes.
const maxKeySize = 1 << 20

// KeyBlobs returns the cached key files of the lock's repos, for bundling.
func KeyBlobs(ctx context.Context, st store.Store, lk *lock.Lock) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, r := range lk.RPMVault.Repos {
		for _, u := range r.GPGKeys {
			sum := sha256.Sum256([]byte(u))
			b, err := store.ReadAllCache(ctx, st, "keys/"+hex.EncodeToString(sum[:8])+".asc", 1<<20)
			if err != nil {
				return nil, fmt.Errorf("key %s of repo %s is not in the store (run rpmvault mirror first): %w", u, r.ID, err)
			}
			out[r.ID+"-"+filepath.Base(u)] = b
		}
	}
	return out, nil
}

func prefixed(p string, ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = p + s
	}
	return out
}
