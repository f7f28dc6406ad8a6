package resolver

// installOnlyNames are what dnf installs side by side rather than as an
// upgrade (its installonlypkgs default) together with the names yum 3.2.29
// of CentOS 6 adds: both match them against what a package provides, so a
// kernel module providing installonlypkg(kernel-module) is one too, and
// kernel-headers or kernel-firmware are not (they are upgraded in place:
// two versions of them conflict on their files).
func installOnlyNames() []string {
	return []string{
		"kernel", "kernel-PAE", "installonlypkg(kernel)", "installonlypkg(kernel-module)",
		"installonlypkg(vm)", "multiversion(kernel)",
		// yum 3.2.29
		"kernel-bigmem", "kernel-enterprise", "kernel-smp", "kernel-debug",
		"kernel-unsupported", "kernel-source", "kernel-devel", "kernel-PAE-debug",
	}
}

// installOnlyIDs are the ids of the request's install-only names that the
// pool holds: a name the pool lacks is provided by no package.
func (s *solver) installOnlyIDs() map[strID]bool {
	ids := map[strID]bool{}
	for _, n := range s.req.InstallOnly {
		if id, ok := s.pool.lookup(n); ok {
			ids[id] = true
		}
	}
	return ids
}

// installOnly says whether package i may be installed beside other
// versions of itself: it provides an install-only name (its own name
// included, as every package provides it).
func (s *solver) installOnly(i int32) bool {
	if len(s.instOnly) == 0 {
		return false
	}
	if s.instOnly[s.rec(i).name] {
		return true
	}
	for d := range s.provides(i) {
		if s.instOnly[d.name] {
			return true
		}
	}
	return false
}
