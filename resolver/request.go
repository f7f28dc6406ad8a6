package resolver

// Request is what to solve: the manifest's install specs, constraints and
// excludes, against an installed set.
type Request struct {
	// Install holds dnf-style specs: name, name-version, name-version-release
	// (each optionally with .arch), a provide ("libcgroup.so.1()(64bit)", a
	// file path) or "name OP version".
	Install []string
	// Constraints restrict candidates: "device-mapper-libs >= 1.02.90".
	Constraints []string
	// Exclude drops candidates by name (shell globs allowed).
	Exclude []string
	// Installed is the target's installed set.
	Installed []*Package
	// Arch is the target architecture (default x86_64); noarch always fits.
	Arch string
	// Multilib lets 32-bit packages (i686) be chosen on x86_64.
	Multilib bool
	// InstallOnly names what packages of which several versions may be
	// installed side by side provide (their own name counts), as dnf's
	// installonlypkgs (default: dnf's and yum's list: kernel, kernel-devel,
	// installonlypkg(kernel-module), ...).
	InstallOnly []string
	// RepoPriority maps repo ids to priorities (lower wins; default 99).
	RepoPriority map[string]int
}

// Solve computes the exact closure of req over u: every package to install or
// upgrade, in install order. It reproduces libsolv's (dnf's) answer: the same
// rules, the same order of decisions and the same policy for choosing among
// alternatives (see run.go and policy.go). When no solution exists the error
// is an *UnsatisfiableError that says why; an error reading file lists is
// returned as it is.
func Solve(u *Universe, req Request) (*Plan, error) {
	s, err := newSolver(u, req)
	if err != nil {
		return nil, err
	}
	if err := s.run(); err != nil {
		return nil, err
	}
	// What the solve read of a mapped parsed-cache entry is not what the
	// plan reads (its packages' records, dependencies and strings): drop
	// it, so that peak memory is the larger phase's, not their sum.
	u.pool.releaseBase()
	plan := s.plan()
	order(plan, s)
	// order read the planned packages' dependencies from the pool; what
	// follows (the lock, the output) reads the materialised plan only.
	u.pool.releaseBase()
	return plan, nil
}
