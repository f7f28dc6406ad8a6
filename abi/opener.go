package abi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/rpmvault/rpmvault/resolver"
)

// Store is the part of mirror.Store an opener needs.
type Store interface {
	Has(sha string) bool
	Open(sha string) (io.ReadCloser, error)
}

// URLOpener opens a package from the store when it holds the package's
// sha256, else from the package's URLs in its repo (base URLs in failover
// order, or the absolute location of a header-only source).
type URLOpener struct {
	Fetcher resolver.Fetcher
	Repos   []resolver.Repo
	Store   Store // optional
}

// OpenRPM implements Opener.
func (o URLOpener) OpenRPM(ctx context.Context, p *resolver.Package) (io.ReadCloser, error) {
	if o.Store != nil && strings.EqualFold(p.Checksum.Type, "sha256") {
		sha := strings.ToLower(p.Checksum.Hex)
		if o.Store.Has(sha) {
			f, err := o.Store.Open(sha)
			if err == nil {
				return f, nil
			}
		}
	}
	if o.Fetcher == nil {
		return nil, errors.New("no fetcher and not in the store")
	}
	plan := &resolver.Plan{Packages: []resolver.PlannedPackage{{Package: p}}}
	resolver.AttachURLs(plan, o.Repos)
	urls := plan.Packages[0].URLs
	if len(urls) == 0 {
		return nil, fmt.Errorf("no URL for %s (repo %q)", p.NEVRA(), p.Repo)
	}
	var errs []error
	for _, u := range urls {
		rc, err := o.Fetcher.Fetch(ctx, u, 0, -1)
		if err == nil {
			return rc, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", u, err))
	}
	return nil, errors.Join(errs...)
}
