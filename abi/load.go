package abi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"strings"
	"sync"

	"github.com/rpmvault/rpmvault/internal/digest"
	"github.com/rpmvault/rpmvault/resolver"
	"github.com/rpmvault/rpmvault/resolver/rpmmd"
)

// summary returns the ELF summary of p's payload: from memory, from the
// disk cache (by sha256), or by reading the RPM through the Opener. When
// the metadata declares a checksum the bytes read are verified against it.
func (c *checker) summary(ctx context.Context, p *resolver.Package) (*pkgSummary, error) {
	if s, ok := c.memo[p]; ok {
		return s, nil
	}
	l, err := c.load(ctx, p)
	if err != nil {
		return nil, err
	}
	c.record(p, l)
	return l.s, nil
}

func (c *checker) record(p *resolver.Package, l loaded) {
	if l.read {
		c.rep.Read++
	}
	if l.cacheErr != nil {
		c.note(l.cacheErr.Error())
	}
	c.memo[p] = l.s
}

// prefetchWorkers bounds how many RPMs are read at once.
const prefetchWorkers = 4

// prefetch loads the summaries of pkgs concurrently: opening RPMs is
// mostly waiting on the network or the disk.
func (c *checker) prefetch(ctx context.Context, pkgs []*resolver.Package) error {
	type result struct {
		l   loaded
		err error
	}
	results := make([]result, len(pkgs))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < prefetchWorkers && w < len(pkgs); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i].l, results[i].err = c.load(ctx, pkgs[i])
			}
		}()
	}
	for i, p := range pkgs {
		if _, ok := c.memo[p]; !ok {
			next <- i
		}
	}
	close(next)
	wg.Wait()
	for i, p := range pkgs {
		if _, ok := c.memo[p]; ok {
			continue
		}
		if results[i].err != nil {
			return results[i].err
		}
		c.record(p, results[i].l)
	}
	return nil
}

type loaded struct {
	s        *pkgSummary
	read     bool  // the RPM was read (a cache miss)
	cacheErr error // the summary could not be cached
}

// load gets p's summary without touching the checker's state, so several
// loads may run at once (cache entries are written atomically). A summary
// is computed, and cached, only from the bytes the Opener vouches for, and
// only once they hashed to the sha256 it named.
func (c *checker) load(ctx context.Context, p *resolver.Package) (loaded, error) {
	known := ""
	if strings.EqualFold(p.Checksum.Type, "sha256") && digest.ValidSHA256(strings.ToLower(p.Checksum.Hex)) {
		known = strings.ToLower(p.Checksum.Hex)
		if s, ok := c.cache.get(known); ok {
			return loaded{s: s}, nil
		}
	}
	if err := ctx.Err(); err != nil {
		return loaded{}, err
	}
	rc, sha, err := c.opts.Opener.OpenRPM(ctx, p)
	if err != nil {
		return loaded{}, &OpenError{Package: p.NEVRA(), Err: err}
	}
	defer rc.Close()
	if known != "" && sha != known {
		return loaded{}, &OpenError{Package: p.NEVRA(), Err: &rpmmd.ChecksumMismatchError{What: p.NEVRA(),
			Want: rpmmd.Checksum{Type: "sha256", Hex: known}, Got: rpmmd.Checksum{Type: "sha256", Hex: sha}}}
	}
	// A header-only source declares no checksum: its cache entry is found
	// by the sha256 the store names it by.
	if s, ok := c.cache.get(sha); ok {
		return loaded{s: s}, nil
	}
	h := sha256.New()
	r := io.TeeReader(rc, h)
	s, err := summarizeRPM(p.NEVRA(), r)
	// Read to the end, so the content is hashed whole; damage is reported
	// as such rather than as whatever it did to the payload.
	if _, derr := io.Copy(io.Discard, r); derr != nil {
		return loaded{}, &OpenError{Package: p.NEVRA(), Err: derr}
	}
	if got := hexSum(h); got != sha {
		return loaded{}, &OpenError{Package: p.NEVRA(), Err: &rpmmd.ChecksumMismatchError{What: p.NEVRA(),
			Want: rpmmd.Checksum{Type: "sha256", Hex: sha}, Got: rpmmd.Checksum{Type: "sha256", Hex: got}}}
	}
	if err != nil {
		return loaded{}, err
	}
	return loaded{s: s, read: true, cacheErr: c.cache.put(sha, s)}, nil
}

func hexSum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }
