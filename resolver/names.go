package resolver

import (
	"fmt"

	"github.com/rpmvault/rpmvault/internal/safename"
	"github.com/rpmvault/rpmvault/resolver/rpmmd"
)

// CheckPackageNames checks the parts of p's file name (name-version-release.arch.rpm).
func CheckPackageNames(p *Package) error {
	for _, part := range []struct{ what, v string }{
		{"package name", p.Name}, {"version", p.EVR.Version}, {"release", p.EVR.Release}, {"arch", p.Arch},
	} {
		if part.v == "" && part.what == "release" {
			continue // a missing release is legal in rpm
		}
		if err := safename.Check(part.what, part.v); err != nil {
			return err
		}
	}
	return nil
}

// checkRepoPackage refuses a repo's package record that names no package or
// points outside the repo, whether it came from XML or the parsed cache.
func checkRepoPackage(p *Package) error {
	if p.Name == "" || p.Arch == "" || p.EVR.Version == "" {
		return fmt.Errorf("package entry lacks name, arch or version")
	}
	if err := CheckPackageNames(p); err != nil {
		return err
	}
	if err := rpmmd.CheckHref(p.Location); err != nil {
		return fmt.Errorf("package %s: %w", p.NEVRA(), err)
	}
	if p.Size < 0 || p.HeaderStart < 0 || p.HeaderEnd < p.HeaderStart {
		return fmt.Errorf("package %s: negative size or header range", p.NEVRA())
	}
	return nil
}
