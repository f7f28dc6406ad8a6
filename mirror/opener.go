package mirror

import (
	"context"
	"fmt"
	"io"

	"github.com/rpmvault/rpmvault/lock"
	"github.com/rpmvault/rpmvault/resolver"
)

// PackageOpener opens resolved packages as verified store objects, for
// the ABI check (it is an abi.Opener): a package the store holds is opened
// by its sha256; one it lacks — an installed package's provider, a
// candidate version for a fix — is fetched first through the session,
// with the same retries and verification as every mirrored package. No
// byte reaches the check any other way.
type PackageOpener struct {
	Session *Session
	// Repos are the manifest's repos, to find URLs for packages the lock
	// does not pin.
	Repos []resolver.Repo
}

// OpenRPM returns the package's store object and its sha256.
func (o *PackageOpener) OpenRPM(ctx context.Context, p *resolver.Package) (io.ReadCloser, string, error) {
	plan := &resolver.Plan{Packages: []resolver.PlannedPackage{{Package: p}}}
	resolver.AttachURLs(plan, o.Repos)
	lp := lock.PackageOf(plan.Packages[0])
	if lp.URL == "" {
		return nil, "", fmt.Errorf("no URL for %s (repo %q)", p.NEVRA(), p.Repo)
	}
	if err := o.Session.Fetch(ctx, &lp); err != nil {
		return nil, "", err
	}
	sha := lp.SHA256()
	rc, err := o.Session.Store().Open(ctx, sha)
	if err != nil {
		return nil, "", err
	}
	return rc, sha, nil
}
