package resolver

import (
	"path"
	"strconv"
)

// repoFilter is a repo's exclude= and includepkgs= as yum applies them:
// shell globs matched against name, name.arch, name-version,
// name-version-release, name-version-release.arch and the NEVRA forms.
type repoFilter struct{ exclude, include []string }

func (f repoFilter) keep(p *Package) bool {
	if matchAny(f.exclude, p) {
		return false
	}
	return len(f.include) == 0 || matchAny(f.include, p)
}

func matchAny(globs []string, p *Package) bool {
	if len(globs) == 0 {
		return false
	}
	v, r := p.EVR.Version, p.EVR.Release
	e := strconv.Itoa(p.EVR.Epoch)
	forms := []string{p.Name, p.Name + "." + p.Arch, p.Name + "-" + v, p.Name + "-" + v + "-" + r,
		p.Name + "-" + v + "-" + r + "." + p.Arch, p.Name + "-" + e + ":" + v + "-" + r + "." + p.Arch, e + ":" + p.Name + "-" + v + "-" + r + "." + p.Arch}
	for _, g := range globs {
		for _, f := range forms {
			if ok, _ := path.Match(g, f); ok {
				return true
			}
		}
	}
	return false
}
