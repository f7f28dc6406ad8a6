package resolver

import (
	"cmp"
	"fmt"
	"hash/maphash"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/rpmvault/rpmvault/resolver/internal/sat"
)

// solver is one solve: the candidates numbered as libsolv numbers its
// solvables (0 unused, 1 the system, then the installed packages, then the
// repos' packages in metadata order), their rules and the SAT state.
type solver struct {
	req  Request
	u    *Universe
	pkgs []*Package // by id
	inst []bool     // by id: an installed package
	prio []int      // by id: libsolv's priority (higher wins)
	// instEnd is one past the last installed id (they start at 2).
	instEnd int32
	// instFrom is, for an installed record copied from a repo record, that
	// record (its file lists may grow later).
	instFrom map[int32]*Package

	byName    map[string][]int32 // packages by name, ascending ids
	provIdx   []provEntry        // (hash of a provided name, package), sorted
	seed      maphash.Seed
	files     map[string][]int32 // owners of a path, ascending
	whatCache map[Dep][]int32
	filesFull bool
	multi     []bool // by id: install-only (several versions side by side)

	sat   *sat.Solver
	info  []ruleInfo // by rule id
	rng   ruleRanges
	added []bool // by id: the package's rules have been generated
	// choiceOrig maps each choice rule to the package rule it narrows.
	choiceOrig map[int32]int32
	orphaned   []int32
	// installedPos is where the walk over installed packages resumes: the
	// package that ran into trouble last time.
	installedPos int32
	obsoleters   []int32 // packages with obsoletes
	// noUpdate marks installed packages a job replaces: they are kept or
	// left, never upgraded on their own.
	noUpdate map[int32]bool
	litBuf   []sat.Lit // backing store of rule literals
	jobs     []string  // the job rules' specs, by job index
	warnings []string
	err      error // an I/O error met while generating rules
}

func newSolver(u *Universe, req Request) (*solver, error) {
	if req.Arch == "" {
		req.Arch = "x86_64"
	}
	if req.InstallOnly == nil {
		req.InstallOnly = []string{"kernel", "kernel-*"}
	}
	s := &solver{req: req, u: u, whatCache: map[Dep][]int32{}, instFrom: map[int32]*Package{}, choiceOrig: map[int32]int32{}}
	constraints := map[string][]Dep{}
	for _, c := range req.Constraints {
		d, err := ParseDep(c)
		if err != nil {
			return nil, fmt.Errorf("constraint %q: %w", c, err)
		}
		constraints[d.Name] = append(constraints[d.Name], d)
	}
	s.pkgs = []*Package{nil, nil}
	s.inst = []bool{false, true}
	s.prio = []int{0, 0}
	s.multi = []bool{false, false}
	// An installed-set listing carries no dependencies: take them from the
	// repo record of the same NEVRA when there is one.
	byNEVRA := map[string]*Package{}
	names := map[string]bool{}
	for _, ip := range req.Installed {
		names[ip.Name] = true
	}
	for _, p := range u.Packages {
		if names[p.Name] {
			byNEVRA[p.NEVRA()] = p
		}
	}
	var unknown []string
	for _, ip := range req.Installed {
		p := ip
		if rp, ok := byNEVRA[ip.NEVRA()]; ok && len(ip.Provides) == 0 {
			cp := *rp
			cp.Repo = InstalledRepo
			p = &cp
			s.instFrom[int32(len(s.pkgs))] = rp
		} else if len(p.Provides) == 0 {
			unknown = append(unknown, ip.NEVRA())
		}
		s.addPkg(p, true, -DefaultPriority)
	}
	s.instEnd = int32(len(s.pkgs))
	for _, p := range u.Packages {
		if !s.archOK(p.Arch) || s.excluded(p.Name) || !meets(p, constraints[p.Name]) {
			continue
		}
		prio := DefaultPriority
		if v, ok := req.RepoPriority[p.Repo]; ok {
			prio = v
		}
		s.addPkg(p, false, -prio)
	}
	if len(unknown) > 0 {
		s.warnings = append(s.warnings, fmt.Sprintf("%d installed packages are in no repo (e.g. %s), so their dependencies are unknown and upgrades they force may be missed: pass a capture of the box as the baseline (rpmvault capture), or add the repos of the target's release to the manifest",
			len(unknown), unknown[0]))
	}
	s.index()
	if err := s.addRules(constraints); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *solver) addPkg(p *Package, installed bool, prio int) {
	s.pkgs = append(s.pkgs, p)
	s.inst = append(s.inst, installed)
	s.prio = append(s.prio, prio)
	s.multi = append(s.multi, false)
}

// index builds the name, provides and file look-ups; the file index on
// another goroutine, as on a large repo this is a good part of a warm
// resolve. Every package provides its own name at its version, as libsolv
// adds that provide.
func (s *solver) index() {
	n := len(s.pkgs)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.indexFiles()
	}()
	nprov := 0
	for _, p := range s.pkgs[2:] {
		nprov += 1 + len(p.Provides)
	}
	s.seed = maphash.MakeSeed()
	s.byName = make(map[string][]int32, n/2)
	s.provIdx = make([]provEntry, 0, nprov)
	for i := 2; i < n; i++ {
		p := s.pkgs[i]
		id := int32(i)
		s.byName[p.Name] = append(s.byName[p.Name], id)
		s.provIdx = append(s.provIdx, provEntry{maphash.String(s.seed, p.Name), id})
		for _, d := range p.Provides {
			if d.Name != p.Name {
				s.provIdx = append(s.provIdx, provEntry{maphash.String(s.seed, d.Name), id})
			}
		}
		s.multi[i] = s.installOnly(p.Name)
		if len(p.Obsoletes) > 0 {
			s.obsoleters = append(s.obsoleters, id)
		}
	}
	slices.SortFunc(s.provIdx, func(a, b provEntry) int {
		if a.h != b.h {
			return cmp.Compare(a.h, b.h)
		}
		return cmp.Compare(a.id, b.id)
	})
	s.provIdx = slices.Compact(s.provIdx)
	wg.Wait()
}

// provEntry says package id provides a name with hash h. A sorted slice
// of these is the whatprovides index: a tenth of the memory of a map from
// names to packages, which matters with hundreds of thousands of names.
type provEntry struct {
	h  uint64
	id int32
}

// providers returns the packages providing name (its own name included),
// in ascending ids.
func (s *solver) providers(name string) []int32 {
	h := maphash.String(s.seed, name)
	i, _ := slices.BinarySearchFunc(s.provIdx, h, func(e provEntry, h uint64) int { return cmp.Compare(e.h, h) })
	var out []int32
	for ; i < len(s.provIdx) && s.provIdx[i].h == h; i++ {
		id := s.provIdx[i].id
		p := s.pkgs[id]
		if p.Name == name || slices.ContainsFunc(p.Provides, func(d Dep) bool { return d.Name == name }) {
			out = append(out, id)
		}
	}
	return out
}

// indexFiles indexes the owners of the paths something can ask for (file
// requirements, conflicts, obsoletes and path specs), not of every path:
// on a large repo that is a few hundred paths against millions.
func (s *solver) indexFiles() {
	want := s.wantedPaths()
	s.files = make(map[string][]int32, len(want))
	for i := 2; i < len(s.pkgs); i++ {
		for _, f := range s.pkgs[i].Files {
			if !want[f] {
				continue
			}
			if l := s.files[f]; len(l) == 0 || l[len(l)-1] != int32(i) {
				s.files[f] = append(l, int32(i))
			}
		}
	}
}

// primaryPath: rpm-md's primary.xml lists every file matching these, so a
// requirement on such a path never needs the (large) file lists.
func primaryPath(p string) bool {
	return strings.HasPrefix(p, "/etc/") || strings.Contains(p, "bin/") || p == "/usr/lib/sendmail"
}

// whatProvides returns, in ascending ids, the candidates satisfying d: by
// provides (self-provides included), and for a path by file lists. A path
// primary.xml does not cover makes the complete file lists load, once; an
// error doing so is kept in s.err and ends rule generation.
func (s *solver) whatProvides(d Dep) []int32 {
	if r, ok := s.whatCache[d]; ok {
		return r
	}
	var out []int32
	for _, i := range s.providers(d.Name) {
		if s.providesDep(i, d) {
			out = append(out, i)
		}
	}
	if strings.HasPrefix(d.Name, "/") {
		if !s.filesFull && !primaryPath(d.Name) && s.u.LoadFileLists != nil && s.err == nil {
			s.filesFull = true
			if err := s.u.LoadFileLists(s.wantedPaths()); err != nil {
				s.err = fmt.Errorf("reading file lists for %s: %w", d.Name, err)
			} else {
				for id, rp := range s.instFrom {
					s.pkgs[id].Files, s.pkgs[id].FullFiles = rp.Files, rp.FullFiles
				}
				s.indexFiles()
			}
		}
		if f := s.files[d.Name]; len(f) > 0 {
			out = append(out, f...)
			slices.Sort(out)
			out = slices.Compact(out)
		}
	}
	s.whatCache[d] = out
	return out
}

func (s *solver) providesDep(i int32, d Dep) bool {
	p := s.pkgs[i]
	if p.Name == d.Name && (Dep{Name: p.Name, Flags: Equal, EVR: p.EVR}).Satisfies(d) {
		return true
	}
	for _, pd := range p.Provides {
		if pd.Satisfies(d) {
			return true
		}
	}
	return false
}

// matchNEVR is libsolv's pool_match_nevr: the package itself (its name and
// version) meets d, as obsoletes are matched.
func (s *solver) matchNEVR(i int32, d Dep) bool {
	p := s.pkgs[i]
	return p.Name == d.Name && (Dep{Name: p.Name, Flags: Equal, EVR: p.EVR}).Satisfies(d)
}

// wantedPaths are the file paths anything could ask the solver for: file
// requires, conflicts and obsoletes of every candidate, and path specs.
func (s *solver) wantedPaths() map[string]bool {
	want := map[string]bool{}
	for _, p := range s.pkgs[2:] {
		for _, deps := range [][]Dep{p.Requires, p.Conflicts, p.Obsoletes} {
			for _, d := range deps {
				if strings.HasPrefix(d.Name, "/") {
					want[d.Name] = true
				}
			}
		}
	}
	for _, spec := range s.req.Install {
		if strings.HasPrefix(spec, "/") {
			want[spec] = true
		}
	}
	return want
}

func meets(p *Package, cons []Dep) bool {
	self := Dep{Name: p.Name, Flags: Equal, EVR: p.EVR}
	for _, c := range cons {
		if !self.Satisfies(c) {
			return false
		}
	}
	return true
}

// archOK is the arch policy: the target arch and noarch; 32-bit x86 on
// x86_64 only with multilib.
func (s *solver) archOK(arch string) bool {
	switch {
	case arch == s.req.Arch || arch == "noarch":
		return true
	case s.req.Multilib && s.req.Arch == "x86_64":
		return arch == "i686" || arch == "i586" || arch == "i486" || arch == "i386" || arch == "athlon"
	}
	return false
}

// archScore is libsolv's arch score for the target's policy
// (x86_64:athlon:i686:i586:i486:i386): 1 for noarch, otherwise lower is
// better, and arches of different classes differ in the high 16 bits.
func (s *solver) archScore(arch string) uint32 {
	if arch == "noarch" {
		return 1
	}
	if arch == s.req.Arch {
		return 0x10001
	}
	order := []string{"athlon", "i686", "i586", "i486", "i386"}
	for k, a := range order {
		if a == arch {
			return uint32(0x20001 + k*0x10000)
		}
	}
	return 0
}

// colorMatch is libsolv's pool_colormatch: same arch, or noarch on either
// side, or both of one word size.
func colorMatch(a, b string) bool {
	if a == b || a == "noarch" || b == "noarch" {
		return true
	}
	return strings.Contains(a, "64") == strings.Contains(b, "64")
}

func (s *solver) excluded(name string) bool {
	for _, pat := range s.req.Exclude {
		if ok, _ := path.Match(pat, name); ok || pat == name {
			return true
		}
	}
	return false
}

func (s *solver) installOnly(name string) bool {
	for _, pat := range s.req.InstallOnly {
		if ok, _ := path.Match(pat, name); ok {
			return true
		}
	}
	return false
}
