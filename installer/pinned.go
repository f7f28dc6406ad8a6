package installer

import (
	"fmt"
	"path/filepath"

	"github.com/rpmvault/rpmvault/lock"
	"github.com/rpmvault/rpmvault/resolver"
)

// UnpinnedError is a package the re-plan chose from the bundle's repodata
// that the bundle's lock does not pin. The trust anchor vouches for the
// lock and for the files it pins, not for repodata/ (whoever made the
// bundle wrote that), so such a package is a tampered bundle. The CLI
// exits 4 on it.
type UnpinnedError struct {
	Package string // the NEVRA the repodata offers
	Href    string // where the repodata says its file is
}

func (e *UnpinnedError) Error() string {
	return fmt.Sprintf("the bundle's repodata offers %s (at %s), which its lock.yaml does not pin: repodata/ is not covered by the trust anchor, so the bundle was tampered with; nothing was installed (rebuild the bundle from its lock)",
		e.Package, e.Href)
}

// pinFiles points every package of plan at the file the bundle's lock pins
// for it, rpms/NAME-VERSION-RELEASE.ARCH.rpm, which verification checked
// (sha256, header NEVRA, signature). The repodata's hrefs are never used:
// they could name any file in the bundle, verified or not.
func pinFiles(dir string, l *lock.Lock, plan *resolver.Plan) error {
	type nevra struct {
		name, version, release, arch string
		epoch                        int
	}
	pinned := map[nevra]lock.Package{}
	for _, p := range l.Packages() {
		pinned[nevra{p.Name, p.Version, p.Release, p.Arch, p.Epoch}] = p
	}
	rpms := filepath.Join(dir, "rpms")
	for i := range plan.Packages {
		p := plan.Packages[i].Package
		lp, ok := pinned[nevra{p.Name, p.EVR.Version, p.EVR.Release, p.Arch, p.EVR.Epoch}]
		if !ok {
			return &UnpinnedError{Package: p.NEVRA(), Href: p.Location}
		}
		file, err := lp.FilePath(rpms)
		if err != nil {
			return err
		}
		plan.Packages[i].URLs = []string{file}
	}
	return nil
}
