package abi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/rpmvault/rpmvault/resolver"
	"github.com/rpmvault/rpmvault/resolver/rpmdb"
)

// Opener opens the RPM file of a package as verified bytes, named by their
// sha256: in rpmvault an object of the store, which the mirror fetched and
// verified (mirror.PackageOpener), so the check parses nothing unverified
// and downloads nothing itself. The caller closes the reader. Check calls
// it from several goroutines at once.
type Opener interface {
	OpenRPM(ctx context.Context, p *resolver.Package) (rc io.ReadCloser, sha256 string, err error)
}

// Options configure Check.
type Options struct {
	// Opener reads the RPMs of the closure, of the baseline's installed
	// versions and of the candidate versions for a fix.
	Opener Opener
	// Installed is the target's installed set (the baseline); nil for an empty root.
	Installed []*resolver.Package
	// Libraries are the installed packages' shared libraries as a capture
	// of the target recorded them (rpmdb.Baseline.Libraries, by NEVRA).
	// When set, an installed package's libraries are taken from here and
	// its RPM is never needed.
	Libraries map[string][]rpmdb.Library
	// Available are the packages whose RPMs can be opened, usually the
	// universe the plan was solved from. Without Libraries, an installed
	// package is read from the Available package of the same NEVRA; fixes
	// are searched here too. To check such a baseline whose versions are
	// not in the manifest's repos (CentOS 6.5 packages under a 6.6
	// manifest), capture the box (rpmvault capture) or add the archive
	// tree that has them (vault 6.5/os).
	Available []*resolver.Package
	// CacheDir holds per-package summaries keyed by the sha256 of the
	// verified object they were computed from; "" disables it.
	CacheDir string
}

// Check examines every ELF file in the payloads of plan's packages against
// the libraries that will provide their sonames on the target.
func Check(ctx context.Context, plan *resolver.Plan, opts Options) (*Report, error) {
	if opts.Opener == nil {
		return nil, errors.New("abi check: no Opener to read packages with")
	}
	c := &checker{opts: opts, cache: cache{dir: opts.CacheDir}, memo: map[*resolver.Package]*pkgSummary{},
		rep: &Report{Findings: []Finding{}}, fixes: map[string]fixResult{}, unverified: map[string]bool{}}
	return c.run(ctx, plan)
}

type checker struct {
	opts       Options
	cache      cache
	memo       map[*resolver.Package]*pkgSummary
	rep        *Report
	fixes      map[string]fixResult
	unverified map[string]bool

	closure []*resolver.Package
	target  []member
	libs    map[string]*libRef // by soname and class
}

type member struct {
	pkg       *resolver.Package
	installed bool
}

// libRef is the library that provides a soname on the target; obj is nil
// when it could not be verified.
type libRef struct {
	obj       *elfObject
	pkg       *resolver.Package
	installed bool
}

type fixResult struct {
	evr resolver.EVR
	ok  bool
}

func (c *checker) note(s string) {
	if !c.unverified[s] {
		c.unverified[s] = true
		c.rep.Unverified = append(c.rep.Unverified, s)
	}
}

func (c *checker) run(ctx context.Context, plan *resolver.Plan) (*Report, error) {
	for _, pp := range plan.Packages {
		if pp.Package != nil {
			c.closure = append(c.closure, pp.Package)
			c.target = append(c.target, member{pkg: pp.Package})
		}
	}
	for _, ip := range c.opts.Installed {
		if !shadowed(ip, plan) {
			c.target = append(c.target, member{pkg: ip, installed: true})
		}
	}
	c.rep.Packages = len(c.closure)
	if err := c.prefetch(ctx, c.closure); err != nil {
		return nil, err
	}
	for _, p := range c.closure {
		s, err := c.summary(ctx, p)
		if err != nil {
			return nil, err
		}
		for _, n := range s.Notes {
			c.note(p.NEVRA() + ": " + n)
		}
	}
	c.libs = map[string]*libRef{}
	for _, p := range c.closure {
		for _, o := range c.memo[p].Objects {
			c.rep.Objects++
			if err := c.checkObject(ctx, p, o); err != nil {
				return nil, err
			}
		}
	}
	sort.Slice(c.rep.Findings, func(i, j int) bool {
		a, b := c.rep.Findings[i], c.rep.Findings[j]
		if a.Package != b.Package {
			return a.Package < b.Package
		}
		if a.File != b.File {
			return a.File < b.File
		}
		return a.symbolString() < b.symbolString()
	})
	sort.Strings(c.rep.Unverified)
	return c.rep, nil
}

// shadowed reports whether the plan replaces an installed package: a
// planned package of the same name and arch, or one that says it replaces
// or obsoletes it.
func shadowed(ip *resolver.Package, plan *resolver.Plan) bool {
	for _, pp := range plan.Packages {
		p := pp.Package
		if p == nil {
			continue
		}
		if p.Name == ip.Name && (p.Arch == ip.Arch || p.Arch == "noarch" || ip.Arch == "noarch") {
			return true
		}
		if pp.Replaces != nil && pp.Replaces.NEVRA() == ip.NEVRA() {
			return true
		}
		for _, o := range p.Obsoletes {
			if o.Name == ip.Name {
				return true
			}
		}
	}
	return false
}

func (c *checker) checkObject(ctx context.Context, p *resolver.Package, o *elfObject) error {
	resolved := map[string]*libRef{}
	for _, soname := range o.Needed {
		l, err := c.lib(ctx, soname, o, p)
		if err != nil {
			return err
		}
		resolved[soname] = l
	}
	var unversioned []elfImport
	for _, imp := range o.Imports {
		if imp.Weak {
			continue // the loader leaves a missing weak symbol at zero
		}
		if imp.Library == "" {
			unversioned = append(unversioned, imp)
			continue
		}
		l, seen := resolved[imp.Library]
		if !seen {
			var err error
			if l, err = c.lib(ctx, imp.Library, o, p); err != nil {
				return err
			}
			resolved[imp.Library] = l
		}
		if l == nil || l.obj == nil || l.obj.exports(imp.Name, imp.Version) {
			continue
		}
		if err := c.addFinding(ctx, p, o, imp, l); err != nil {
			return err
		}
	}
	// Unversioned references are looked up in the executable's whole global
	// scope, so they are checked only for executables (a library may rely on
	// symbols of whatever loads it) and only when every library of that
	// scope could be read.
	if len(unversioned) == 0 || !o.Interp {
		return nil
	}
	scope, complete, err := c.scope(ctx, o, p)
	if err != nil {
		return err
	}
	if !complete {
		c.note(fmt.Sprintf("%s (%s): %d unversioned imports not checked: not every library it loads could be read", o.Path, p.NEVRA(), len(unversioned)))
		return nil
	}
	for _, imp := range unversioned {
		found := false
		for _, l := range scope {
			if l.obj.exports(imp.Name, "") {
				found = true
				break
			}
		}
		if found {
			continue
		}
		// Blame the first directly needed library with a version that exports it.
		var blame *libRef
		var soname string
		for _, n := range o.Needed {
			l := resolved[n]
			if l == nil || l.obj == nil {
				continue
			}
			if blame == nil {
				blame, soname = l, n
			}
			fr, err := c.findFix(ctx, l, n, o, imp)
			if err != nil {
				return err
			}
			if fr.ok {
				blame, soname = l, n
				break
			}
		}
		if blame == nil {
			continue
		}
		imp.Library = soname
		if err := c.addFinding(ctx, p, o, imp, blame); err != nil {
			return err
		}
	}
	return nil
}

// scope returns the libraries the loader would search for o's unversioned
// symbols: its DT_NEEDED, breadth first, transitively.
func (c *checker) scope(ctx context.Context, o *elfObject, p *resolver.Package) ([]*libRef, bool, error) {
	var out []*libRef
	seen := map[string]bool{}
	queue := append([]string(nil), o.Needed...)
	for len(queue) > 0 && len(seen) < 4096 {
		n := queue[0]
		queue = queue[1:]
		if seen[n] {
			continue
		}
		seen[n] = true
		l, err := c.lib(ctx, n, o, p)
		if err != nil {
			return nil, false, err
		}
		if l == nil || l.obj == nil {
			return nil, false, nil
		}
		out = append(out, l)
		queue = append(queue, l.obj.Needed...)
	}
	return out, true, nil
}

func (c *checker) addFinding(ctx context.Context, p *resolver.Package, o *elfObject, imp elfImport, l *libRef) error {
	f := Finding{
		File: o.Path, Package: p.NEVRA(), Symbol: imp.Name, Version: imp.Version,
		Library: imp.Library, Provider: l.pkg.NEVRA(), ProviderName: l.pkg.Name, Installed: l.installed,
	}
	fr, err := c.findFix(ctx, l, imp.Library, o, imp)
	if err != nil {
		return err
	}
	if fr.ok {
		f.FixEVR = fr.evr
		f.Fix = l.pkg.Name + " >= " + fr.evr.String()
	}
	c.rep.Findings = append(c.rep.Findings, f)
	return nil
}

// depName is the Provides entry rpm generates for a soname of that class.
func depName(soname string, bits int) string {
	if bits == 64 {
		return soname + "()(64bit)"
	}
	return soname
}

// lib finds the library that provides soname to o on the target. nil means
// no package provides it (the metadata would have said so); a libRef with
// a nil obj means its provider could not be read as ELF.
func (c *checker) lib(ctx context.Context, soname string, o *elfObject, self *resolver.Package) (*libRef, error) {
	key := fmt.Sprintf("%s/%d/%s", soname, o.Bits, o.Machine)
	if l, ok := c.libs[key]; ok {
		return l, nil
	}
	l, err := c.findLib(ctx, soname, o, self)
	if err != nil {
		return nil, err
	}
	c.libs[key] = l
	return l, nil
}

func (c *checker) findLib(ctx context.Context, soname string, o *elfObject, self *resolver.Package) (*libRef, error) {
	// The package itself, then any closure package whose payload has it.
	for _, p := range append([]*resolver.Package{self}, c.closure...) {
		if obj := findObject(c.memo[p], soname, o); obj != nil {
			return &libRef{obj: obj, pkg: p}, nil
		}
	}
	dep := depName(soname, o.Bits)
	var provider *member
	for i := range c.target {
		rec := c.target[i].pkg
		if c.target[i].installed && len(rec.Provides) == 0 {
			// An installed-set listing has no dependencies: use the repo's
			// record of the same NEVRA, as the solver does.
			if a := c.available(rec); a != nil {
				rec = a
			}
		}
		if rec.ProvidesName(dep) {
			provider = &c.target[i]
			break
		}
	}
	if provider == nil {
		c.note(fmt.Sprintf("%s: no package on the target provides %s", soname, dep))
		return nil, nil
	}
	ref := &libRef{pkg: provider.pkg, installed: provider.installed}
	if provider.installed && c.opts.Libraries != nil {
		if ref.obj = findObject(capturedSummary(c.opts.Libraries[provider.pkg.NEVRA()]), soname, o); ref.obj == nil {
			c.note(fmt.Sprintf("%s: installed %s provides %s but the capture records no library with that soname", soname, provider.pkg.NEVRA(), dep))
		}
		return ref, nil
	}
	src := provider.pkg
	if provider.installed {
		src = c.available(provider.pkg)
		if src == nil {
			c.note(fmt.Sprintf("%s: provided by installed %s, whose RPM is in none of the repos: capture the box (rpmvault capture) or add the repo of the baseline's release to check it", soname, provider.pkg.NEVRA()))
			return ref, nil
		}
	}
	s, err := c.summary(ctx, src)
	if err != nil {
		var oe *OpenError
		if provider.installed && errors.As(err, &oe) {
			c.note(fmt.Sprintf("%s: provided by installed %s: %v", soname, provider.pkg.NEVRA(), err))
			return ref, nil
		}
		return nil, err
	}
	if ref.obj = findObject(s, soname, o); ref.obj == nil {
		c.note(fmt.Sprintf("%s: %s provides %s but ships no ELF library with that soname", soname, provider.pkg.NEVRA(), dep))
	}
	return ref, nil
}

// findObject returns the library of s with that soname (or, lacking a
// DT_SONAME, that file name) and the same class and machine as o.
func findObject(s *pkgSummary, soname string, o *elfObject) *elfObject {
	if s == nil {
		return nil
	}
	var byName *elfObject
	for _, x := range s.Objects {
		if x.Bits != o.Bits || x.Machine != o.Machine {
			continue
		}
		if x.Soname == soname {
			return x
		}
		if x.Soname == "" && path.Base(x.Path) == soname && byName == nil {
			byName = x
		}
	}
	return byName
}

// available returns the package of ip's NEVRA among the openable ones.
func (c *checker) available(ip *resolver.Package) *resolver.Package {
	for _, p := range c.opts.Available {
		if p.Name == ip.Name && p.Arch == ip.Arch && p.EVR.Compare(ip.EVR) == 0 && p.EVR.Release == ip.EVR.Release {
			return p
		}
	}
	return nil
}

// findFix returns the lowest version above l's of l's package (same name
// and arch) whose library exports imp.
func (c *checker) findFix(ctx context.Context, l *libRef, soname string, o *elfObject, imp elfImport) (fixResult, error) {
	key := strings.Join([]string{l.pkg.Name, l.pkg.Arch, l.pkg.EVR.String(), soname, imp.Name, imp.Version}, "\x00")
	if fr, ok := c.fixes[key]; ok {
		return fr, nil
	}
	var cands []*resolver.Package
	for _, p := range c.opts.Available {
		if p.Name == l.pkg.Name && p.Arch == l.pkg.Arch && p.EVR.Compare(l.pkg.EVR) > 0 {
			cands = append(cands, p)
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].EVR.Compare(cands[j].EVR) < 0 })
	var fr fixResult
	for _, p := range cands {
		s, err := c.summary(ctx, p)
		if err != nil {
			var oe *OpenError
			if errors.As(err, &oe) {
				c.note(fmt.Sprintf("fix candidate %s: %v", p.NEVRA(), err))
				continue
			}
			return fixResult{}, err
		}
		if lib := findObject(s, soname, o); lib != nil && lib.exports(imp.Name, imp.Version) {
			fr = fixResult{evr: p.EVR, ok: true}
			break
		}
	}
	c.fixes[key] = fr
	return fr, nil
}
