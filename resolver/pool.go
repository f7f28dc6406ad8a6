package resolver

import (
	"fmt"
	"iter"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/rpmvault/rpmvault/resolver/internal/sat"
)

// solver is one solve: the candidates numbered as libsolv numbers its
// solvables (0 unused, 1 the system, then the installed packages, then the
// repos' packages in metadata order), their rules and the SAT state.
// Everything the solve looks at is in the universe's id pool (see
// idpool.go); *Package records are only made for the plan.
type solver struct {
	req  Request
	u    *Universe
	pool *idPool // the universe's: the installed set and the request are interned into it
	recs []pkgRec
	// uidx is each package's index in u.pkgs; -1 for an installed package
	// no repo has, whose record is then in ext.
	uidx []int32
	ext  map[int32]*Package
	inst []bool // by id: an installed package
	prio []int  // by id: libsolv's priority (higher wins)
	// score is libsolv's arch score of each package, color its word size
	// (0 noarch, 1 32-bit, 2 64-bit), by id.
	score []uint32
	color []uint8
	// instEnd is one past the last installed id (they start at 2).
	instEnd int32
	// installed32 says the box has 32-bit x86 packages on x86_64: their
	// updates are candidates, as in dnf's pool (see archOK).
	installed32 bool

	byName    csr                // packages by name id, ascending ids
	whatProv  csr                // packages providing a name id (their own included), ascending
	files     map[strID][]int32  // owners of a path, ascending
	whatCache map[depRec][]int32 // whatProvides' answers
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
	planIDs  []int32   // the plan's packages, as plan() made it
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
	if u.pool == nil {
		u.pool = newIDPool(1)
	}
	pool := u.pool
	s := &solver{req: req, u: u, pool: pool, whatCache: map[depRec][]int32{}, ext: map[int32]*Package{}, choiceOrig: map[int32]int32{}}
	constraints := map[strID][]depRec{}
	for _, c := range req.Constraints {
		d, err := ParseDep(c)
		if err != nil {
			return nil, fmt.Errorf("constraint %q: %w", c, err)
		}
		dr := pool.internDep(d)
		constraints[dr.name] = append(constraints[dr.name], dr)
	}
	n := 2 + len(req.Installed) + len(u.pkgs)
	s.recs = make([]pkgRec, 2, n)
	s.uidx = append(make([]int32, 0, n), -1, -1)
	s.inst = append(make([]bool, 0, n), false, true)
	s.prio = append(make([]int, 0, n), 0, 0)
	// An installed-set listing carries no dependencies: take them from the
	// repo record of the same NEVRA when there is one.
	names := map[strID]bool{}
	for _, ip := range req.Installed {
		if id, ok := pool.lookup(ip.Name); ok {
			names[id] = true
		}
	}
	byNEVRA := map[string]int32{}
	for k := range u.pkgs {
		if r := &u.pkgs[k]; !r.hidden && names[r.name] {
			nevra := pool.str(r.name) + "-" + pool.evr(r.evr).String() + "." + pool.str(r.arch)
			byNEVRA[nevra] = int32(k) // the last of a NEVRA, as libsolv's pool has it
		}
	}
	var unknown []string
	for _, ip := range req.Installed {
		if k, ok := byNEVRA[ip.NEVRA()]; ok && len(ip.Provides) == 0 {
			s.addPkg(u.pkgs[k].pkgRec, k, true, -DefaultPriority)
			continue
		}
		if len(ip.Provides) == 0 {
			unknown = append(unknown, ip.NEVRA())
		}
		s.ext[int32(len(s.recs))] = ip
		s.addPkg(pool.addPkg(ip), -1, true, -DefaultPriority)
	}
	s.instEnd = int32(len(s.recs))
	for _, ip := range req.Installed {
		// A box with 32-bit packages (glibc.i686 beside glibc.x86_64)
		// upgrades them with their 64-bit twins, as dnf does: then the
		// 32-bit packages are candidates, as with multilib.
		if is32bitX86(ip.Arch) && s.req.Arch == "x86_64" {
			s.installed32 = true
		}
	}
	excluded := map[strID]bool{}
	prios := map[strID]int{}
	for k := range u.pkgs {
		r := &u.pkgs[k]
		if r.hidden || !s.archOK(pool.str(r.arch)) {
			continue
		}
		ex, ok := excluded[r.name]
		if !ok {
			ex = s.excluded(pool.str(r.name))
			excluded[r.name] = ex
		}
		if ex || !s.meets(r.pkgRec, constraints[r.name]) {
			continue
		}
		prio, ok := prios[r.repo]
		if !ok {
			prio = DefaultPriority
			if v, ok := req.RepoPriority[pool.str(r.repo)]; ok {
				prio = v
			}
			prios[r.repo] = prio
		}
		s.addPkg(r.pkgRec, int32(k), false, -prio)
	}
	if len(unknown) > 0 {
		s.warnings = append(s.warnings, fmt.Sprintf("%d installed packages are in no repo (e.g. %s), so their dependencies are unknown and upgrades they force may be missed: pass a capture of the box as the baseline (rpmvault capture), or add the repos of the target's release to the manifest",
			len(unknown), unknown[0]))
	}
	for _, spec := range req.Install {
		pool.intern(spec) // a path spec is looked up in the file index
	}
	s.index()
	if err := s.addRules(constraints); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *solver) addPkg(r pkgRec, uidx int32, installed bool, prio int) {
	s.recs = append(s.recs, r)
	s.uidx = append(s.uidx, uidx)
	s.inst = append(s.inst, installed)
	s.prio = append(s.prio, prio)
}

// meets: does package r pass every constraint (all on its name)?
func (s *solver) meets(r pkgRec, cons []depRec) bool {
	self := depRec{name: r.name, evr: r.evr, flags: uint8(Equal)}
	for _, c := range cons {
		if !s.pool.satisfies(self, c) {
			return false
		}
	}
	return true
}

// pkg materialises package i for the plan.
func (s *solver) pkg(i int32) *Package {
	if k := s.uidx[i]; k >= 0 {
		p := s.u.pkg(int(k), true)
		if s.inst[i] {
			p.Repo = InstalledRepo
		}
		return p
	}
	return s.ext[i]
}

// Accessors of a package's record.
func (s *solver) name(i int32) string { return s.pool.str(s.recs[i].name) }
func (s *solver) arch(i int32) string { return s.pool.str(s.recs[i].arch) }
func (s *solver) evr(i int32) EVR     { return s.pool.evr(s.recs[i].evr) }

// provides are package i's provides, in order.
func (s *solver) provides(i int32) iter.Seq[depRec] {
	return s.pool.depRange(s.recs[i].dep, s.recs[i].prov)
}

// obsoleteDeps are package i's obsoletes, in order.
func (s *solver) obsoleteDeps(i int32) iter.Seq[depRec] {
	return s.pool.depRange(s.recs[i].con, s.recs[i].obs)
}

// self is the provide every package has of its own name and version.
func (s *solver) self(i int32) depRec {
	return depRec{name: s.recs[i].name, evr: s.recs[i].evr, flags: uint8(Equal)}
}

// nevra is the package's name-[epoch:]version-release.arch.
func (s *solver) nevra(i int32) string {
	return s.name(i) + "-" + s.evr(i).String() + "." + s.arch(i)
}

// colorOK is colorMatch on ids.
func (s *solver) colorOK(i, j int32) bool {
	return s.color[i] == 0 || s.color[j] == 0 || s.color[i] == s.color[j]
}

// index builds the name, provides and file look-ups; the file index on
// another goroutine, as on a large repo this is a good part of a warm
// resolve. Every package provides its own name at its version, as libsolv
// adds that provide.
func (s *solver) index() {
	n := len(s.recs)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.indexFiles()
	}()
	nstr := s.pool.nstrs()
	s.byName = newCSR(nstr, func(emit func(uint32, int32)) {
		for i := int32(2); i < int32(n); i++ {
			emit(uint32(s.recs[i].name), i)
		}
	})
	s.whatProv = newCSR(nstr, func(emit func(uint32, int32)) {
		for i := int32(2); i < int32(n); i++ {
			emit(uint32(s.recs[i].name), i)
			for k := s.recs[i].dep; k < s.recs[i].prov; k++ {
				emit(uint32(s.pool.depAt(k).name), i)
			}
		}
	})
	s.multi = make([]bool, n)
	s.score = make([]uint32, n)
	s.color = make([]uint8, n)
	multi := map[strID]bool{}
	for i := int32(2); i < int32(n); i++ {
		r := &s.recs[i]
		m, ok := multi[r.name]
		if !ok {
			m = s.installOnly(s.pool.str(r.name))
			multi[r.name] = m
		}
		s.multi[i] = m
		arch := s.pool.str(r.arch)
		s.score[i] = s.archScore(arch)
		switch {
		case arch == "noarch":
		case strings.Contains(arch, "64"):
			s.color[i] = 2
		default:
			s.color[i] = 1
		}
		if r.obs > r.con {
			s.obsoleters = append(s.obsoleters, i)
		}
	}
	wg.Wait()
}

// providers returns the packages providing name (its own name included),
// in ascending ids. The caller must not change the slice.
func (s *solver) providers(name strID) []int32 { return s.whatProv.of(name) }

// indexFiles indexes the owners of the paths something can ask for (file
// requirements, conflicts, obsoletes and path specs), not of every path:
// on a large repo that is a few hundred paths against millions.
func (s *solver) indexFiles() {
	want := map[strID]bool{}
	for path := range s.wantedPaths() {
		id, _ := s.pool.lookup(path) // every wanted path is interned: a dep name or a spec
		want[id] = true
	}
	s.files = make(map[strID][]int32, len(want))
	add := func(id strID, i int32) {
		if l := s.files[id]; len(l) == 0 || l[len(l)-1] != i {
			s.files[id] = append(l, i)
		}
	}
	for i := int32(2); i < int32(len(s.recs)); i++ {
		if k := s.uidx[i]; k >= 0 {
			for _, f := range s.pool.filesOf(&s.u.pkgs[k]) {
				if want[f] {
					add(f, i)
				}
			}
			continue
		}
		for _, f := range s.ext[i].Files {
			if id, ok := s.pool.lookup(f); ok && want[id] {
				add(id, i)
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
// error doing so is kept in s.err and ends rule generation. The caller
// must not change the slice.
func (s *solver) whatProvides(d depRec) []int32 {
	if r, ok := s.whatCache[d]; ok {
		return r
	}
	var out []int32
	for _, i := range s.providers(d.name) {
		if s.providesDep(i, d) {
			out = append(out, i)
		}
	}
	if name := s.pool.str(d.name); strings.HasPrefix(name, "/") {
		if !s.filesFull && !primaryPath(name) && s.u.LoadFileLists != nil && s.err == nil {
			s.filesFull = true
			if err := s.u.LoadFileLists(s.wantedPaths()); err != nil {
				s.err = fmt.Errorf("reading file lists for %s: %w", name, err)
			} else {
				s.indexFiles()
			}
		}
		if f := s.files[d.name]; len(f) > 0 {
			out = append(out, f...)
			slices.Sort(out)
			out = slices.Compact(out)
		}
	}
	s.whatCache[d] = out
	return out
}

// whatProvidesDep is whatProvides for a dependency given as strings.
func (s *solver) whatProvidesDep(d Dep) []int32 {
	r, ok := s.pool.lookupDep(d)
	if !ok {
		return nil
	}
	return s.whatProvides(r)
}

func (s *solver) providesDep(i int32, d depRec) bool {
	if s.pool.satisfies(s.self(i), d) {
		return true
	}
	r := &s.recs[i]
	for k := r.dep; k < r.prov; k++ {
		if s.pool.satisfies(s.pool.depAt(k), d) {
			return true
		}
	}
	return false
}

// matchNEVR is libsolv's pool_match_nevr: the package itself (its name and
// version) meets d, as obsoletes are matched.
func (s *solver) matchNEVR(i int32, d depRec) bool {
	return s.pool.satisfies(s.self(i), d)
}

// wantedPaths are the file paths anything could ask the solver for: file
// requires, conflicts and obsoletes of every candidate, and path specs.
func (s *solver) wantedPaths() map[string]bool {
	want := map[string]bool{}
	for i := 2; i < len(s.recs); i++ {
		r := &s.recs[i]
		for k := r.prov; k < r.obs; k++ {
			if name := s.pool.str(s.pool.depAt(k).name); strings.HasPrefix(name, "/") {
				want[name] = true
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

// archOK is the arch policy: the target arch and noarch; 32-bit x86 on
// x86_64 only with multilib.
func (s *solver) archOK(arch string) bool {
	switch {
	case arch == s.req.Arch || arch == "noarch":
		return true
	case (s.req.Multilib || s.installed32) && s.req.Arch == "x86_64":
		return is32bitX86(arch)
	}
	return false
}

func is32bitX86(arch string) bool {
	return arch == "i686" || arch == "i586" || arch == "i486" || arch == "i386" || arch == "athlon"
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
