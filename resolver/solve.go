package resolver

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
)

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
	// InstallOnly names packages of which several versions may be installed
	// side by side (default: kernel, kernel-*).
	InstallOnly []string
	// RepoPriority maps repo ids to priorities (lower wins; default 99).
	RepoPriority map[string]int
}

// Solve computes the exact closure of req over u: every package to install or
// upgrade, in install order. It is complete (CDCL search): when a solution
// exists it is found; otherwise the error is an *UnsatisfiableError that says
// why. The choices among alternatives follow libsolv's policy: keep what is
// installed, then the request's best match, then for each requirement the
// best provider (repo priority, best arch and version per name, then name).
func Solve(u *Universe, req Request) (*Plan, error) {
	s, err := newSolver(u, req)
	if err != nil {
		return nil, err
	}
	if err := s.solve(); err != nil {
		return nil, err
	}
	plan := s.plan()
	order(plan, s)
	return plan, nil
}

// clauseKind says where a clause comes from, for explanations.
type clauseKind uint8

const (
	kindJob clauseKind = iota
	kindRequires
	kindConflicts
	kindObsoletes
	kindSameName
	kindKeepInstalled
	kindConstraint
	kindInfArch
	kindLearned
)

type clause struct {
	lits []lit
	kind clauseKind
	pkg  int    // the package the clause is about (requirer, conflicter, installed)
	dep  Dep    // the dependency, for requires/conflicts/obsoletes
	job  string // for job clauses
	// origins are the original clauses a learned clause was derived from.
	origins []int
}

// lit is a literal: +(v+1) means package v installed, -(v+1) not installed.
type lit int

func pos(v int) lit     { return lit(v + 1) }
func neg(v int) lit     { return lit(-(v + 1)) }
func (l lit) v() int    { return abs(int(l)) - 1 }
func (l lit) pos() bool { return l > 0 }

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

type solver struct {
	req         Request
	u           *Universe
	pkgs        []*Package // candidates; installed ones first
	installed   []bool
	priority    []int
	byName      map[string][]int
	provides    map[string][]int // dep name -> packages providing it
	files       map[string][]int
	filesFull   bool
	whatCache   map[Dep][]int
	clauses     []*clause
	occ         map[int][]int // var -> clauses mentioning it
	requiresOf  map[int][]int // var -> its requires clauses
	jobs        []int
	keeps       []int
	added       []bool // rules generated for package
	pairs       map[[2]int]bool
	conflicters []conflictRef    // every candidate's Conflicts, for reverse look-ups
	conflictsOn map[string][]int // dep name -> indexes into conflicters
	obsoleters  []int            // candidates that obsolete something

	// assignment
	value  []int8 // 0 unassigned, 1 true, -1 false
	level  []int
	reason []int // clause that forced it, -1 for decisions
	trail  []lit
	lim    []int // trail length at each decision level

	chosenFor map[int]string // package -> why it was decided
	warnings  []string

	// libsolv's walk over requirement rules (see resolveDependencies).
	reqOrder  []int
	reqSorted int
	cursor    int
	postponed int
}

func newSolver(u *Universe, req Request) (*solver, error) {
	if req.Arch == "" {
		req.Arch = "x86_64"
	}
	if req.InstallOnly == nil {
		req.InstallOnly = []string{"kernel", "kernel-*"}
	}
	s := &solver{req: req, u: u,
		whatCache: map[Dep][]int{}, pairs: map[[2]int]bool{}, occ: map[int][]int{}, requiresOf: map[int][]int{}, chosenFor: map[int]string{}}

	constraints := map[string][]Dep{}
	for _, c := range req.Constraints {
		d, err := ParseDep(c)
		if err != nil {
			return nil, fmt.Errorf("constraint %q: %w", c, err)
		}
		constraints[d.Name] = append(constraints[d.Name], d)
	}
	// Installed packages: use the repo's record of the same NEVRA when there
	// is one, since an installed-set listing carries no dependencies.
	repoByNEVRA := map[string]*Package{}
	installedNames := map[string]bool{}
	for _, ip := range req.Installed {
		installedNames[ip.Name] = true
	}
	for _, p := range u.Packages {
		if installedNames[p.Name] {
			repoByNEVRA[p.NEVRA()] = p
		}
	}
	seen := map[string]bool{}
	var unknown []string
	for _, ip := range req.Installed {
		p := ip
		if rp, ok := repoByNEVRA[ip.NEVRA()]; ok && len(ip.Provides) == 0 {
			cp := *rp
			cp.Repo = InstalledRepo
			p = &cp
		} else if len(p.Provides) == 0 {
			unknown = append(unknown, ip.NEVRA())
			cp := *ip
			cp.Provides = []Dep{{Name: ip.Name, Flags: Equal, EVR: ip.EVR}}
			p = &cp
		}
		seen[p.NEVRA()] = true
		s.add(p, true, 0)
	}
	for _, p := range u.Packages {
		if (installedNames[p.Name] && seen[p.NEVRA()]) || !s.archOK(p.Arch) || s.excluded(p.Name) || !meets(p, constraints[p.Name]) {
			continue
		}
		prio := DefaultPriority
		if v, ok := req.RepoPriority[p.Repo]; ok {
			prio = v
		}
		s.add(p, false, prio)
	}
	if len(unknown) > 0 {
		s.warnings = append(s.warnings, fmt.Sprintf("%d installed packages are in no repo (e.g. %s), so their dependencies are unknown and upgrades they force may be missed: add the repos of the target's release (e.g. its os tree) to the manifest",
			len(unknown), unknown[0]))
	}
	s.index()
	n := len(s.pkgs)
	s.value, s.level, s.reason = make([]int8, n), make([]int, n), make([]int, n)
	s.added = make([]bool, n)
	for _, spec := range req.Install {
		if err := s.addJob(spec); err != nil {
			return nil, err
		}
	}
	for i, p := range s.pkgs {
		if !s.installed[i] {
			continue
		}
		s.addRules(i)
		s.addKeep(i)
		// An installed package that fails a constraint must be upgraded.
		for _, c := range constraints[p.Name] {
			if !meets(p, []Dep{c}) {
				s.addClause(&clause{lits: []lit{neg(i)}, kind: kindConstraint, pkg: i, dep: c})
			}
		}
	}
	return s, nil
}

func (s *solver) add(p *Package, installed bool, prio int) {
	s.pkgs = append(s.pkgs, p)
	s.installed = append(s.installed, installed)
	s.priority = append(s.priority, prio)
}

// index builds the look-ups over the candidates, the two largest on other
// goroutines: on a big repo this is a good part of a warm resolve. The maps
// are sized up front for the same reason.
func (s *solver) index() {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		n := 0
		for _, p := range s.pkgs {
			n += len(p.Provides)
		}
		s.provides = make(map[string][]int, n/2)
		for i, p := range s.pkgs {
			for _, d := range p.Provides {
				s.provides[d.Name] = append(s.provides[d.Name], i)
			}
		}
	}()
	go func() {
		defer wg.Done()
		s.indexFiles()
	}()
	s.byName = make(map[string][]int, len(s.pkgs)/2)
	s.conflictsOn = map[string][]int{}
	for i, p := range s.pkgs {
		s.byName[p.Name] = append(s.byName[p.Name], i)
		for _, d := range p.Conflicts {
			s.conflictsOn[d.Name] = append(s.conflictsOn[d.Name], len(s.conflicters))
			s.conflicters = append(s.conflicters, conflictRef{i, d})
		}
		if len(p.Obsoletes) > 0 {
			s.obsoleters = append(s.obsoleters, i)
		}
	}
	wg.Wait()
}

func (s *solver) indexFiles() {
	n := 0
	for _, p := range s.pkgs {
		n += len(p.Files)
	}
	s.files = make(map[string][]int, n)
	for i, p := range s.pkgs {
		for _, f := range p.Files {
			s.files[f] = append(s.files[f], i)
		}
	}
}

// requestsArch: does a spec name p with its arch ("glibc.i686")?
func requestsArch(specs []string, p *Package) bool {
	for _, spec := range specs {
		if strings.HasSuffix(spec, "."+p.Arch) && nevraMatches(p, spec) {
			return true
		}
	}
	return false
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
		return arch == "i686" || arch == "i586" || arch == "i486" || arch == "i386"
	}
	return false
}

// archScore ranks arches for "best arch" (higher is better).
func (s *solver) archScore(arch string) int {
	switch arch {
	case s.req.Arch:
		return 3
	case "noarch":
		return 2
	}
	return 1
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

// whatProvides returns the candidates satisfying d: by provides, and for
// paths by file lists (loading full file lists once if needed).
func (s *solver) whatProvides(d Dep) []int {
	if r, ok := s.whatCache[d]; ok {
		return r
	}
	var out []int
	for _, i := range s.provides[d.Name] {
		for _, pd := range s.pkgs[i].Provides {
			if pd.Satisfies(d) {
				out = append(out, i)
				break
			}
		}
	}
	if strings.HasPrefix(d.Name, "/") {
		files := s.files[d.Name]
		// Primary lists only some paths: when no available package is known
		// to have the file, read the complete file lists (once).
		if !s.filesFull && s.u.LoadFileLists != nil && !s.anyAvailable(out) && !s.anyAvailable(files) {
			s.filesFull = true
			if err := s.u.LoadFileLists(s.wantedPaths()); err == nil {
				s.indexFiles()
				files = s.files[d.Name]
			}
		}
		for _, i := range files {
			if !containsInt(out, i) {
				out = append(out, i)
			}
		}
	}
	sort.Ints(out)
	s.whatCache[d] = out
	return out
}

// wantedPaths are the file paths anything could ask the solver for: file
// requires, conflicts and obsoletes of every candidate, and path specs.
func (s *solver) wantedPaths() map[string]bool {
	want := map[string]bool{}
	for _, p := range s.pkgs {
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

func (s *solver) anyAvailable(pkgs []int) bool {
	for _, i := range pkgs {
		if !s.installed[i] {
			return true
		}
	}
	return false
}

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func (s *solver) addClause(c *clause) int {
	id := len(s.clauses)
	s.clauses = append(s.clauses, c)
	for _, l := range c.lits {
		s.occ[l.v()] = append(s.occ[l.v()], id)
	}
	return id
}

// addRules generates the clauses of package i and, transitively, of every
// package that could be chosen to satisfy them.
func (s *solver) addRules(start int) {
	queue := []int{start}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		if s.added[i] {
			continue
		}
		s.added[i] = true
		p := s.pkgs[i]
		for _, d := range p.Requires {
			prov := s.whatProvides(d)
			if containsInt(prov, i) {
				continue // provided by itself
			}
			lits := []lit{neg(i)}
			for _, q := range prov {
				lits = append(lits, pos(q))
				queue = append(queue, q)
			}
			id := s.addClause(&clause{lits: lits, kind: kindRequires, pkg: i, dep: d})
			s.requiresOf[i] = append(s.requiresOf[i], id)
			s.reqOrder = append(s.reqOrder, id)
		}
		for _, d := range p.Conflicts {
			for _, q := range s.whatProvides(d) {
				if q != i {
					s.addClause(&clause{lits: []lit{neg(i), neg(q)}, kind: kindConflicts, pkg: i, dep: d})
				}
			}
		}
		// Conflicts declared by others against i.
		for _, q := range s.reverseConflicts(i) {
			s.addClause(&clause{lits: []lit{neg(q.pkg), neg(i)}, kind: kindConflicts, pkg: q.pkg, dep: q.dep})
		}
		for _, d := range p.Obsoletes {
			for _, q := range s.byName[d.Name] {
				if q == i {
					continue
				}
				self := Dep{Name: s.pkgs[q].Name, Flags: Equal, EVR: s.pkgs[q].EVR}
				if self.Satisfies(d) {
					s.addClause(&clause{lits: []lit{neg(i), neg(q)}, kind: kindObsoletes, pkg: i, dep: d})
				}
			}
		}
		queue = append(queue, s.addInfArch(i)...)
		if !s.installOnly(p.Name) {
			for _, q := range s.byName[p.Name] {
				key := [2]int{min(i, q), max(i, q)}
				if q != i && s.sameSlot(i, q) && !s.pairs[key] {
					s.pairs[key] = true
					s.addClause(&clause{lits: []lit{neg(key[0]), neg(key[1])}, kind: kindSameName, pkg: i})
				}
			}
		}
	}
}

// addInfArch is libsolv's lock-step rule for multilib (dnf's setting): a
// package of an inferior arch (i686 on x86_64) may only be installed beside
// the same name and version of the target arch, unless a spec asks for that
// arch by name or it is already installed.
// It returns the lock-step partners, whose rules are needed too.
func (s *solver) addInfArch(i int) []int {
	p := s.pkgs[i]
	if p.Arch == s.req.Arch || p.Arch == "noarch" || s.installed[i] || requestsArch(s.req.Install, p) {
		return nil
	}
	lits := []lit{neg(i)}
	hasBest := false
	for _, q := range s.byName[p.Name] {
		qa := s.pkgs[q].Arch
		if qa == s.req.Arch {
			hasBest = true
		}
		if (qa == s.req.Arch || qa == "noarch") && s.pkgs[q].EVR == p.EVR {
			lits = append(lits, pos(q))
		}
	}
	if !hasBest {
		return nil // nothing better exists: the 32-bit package stands alone
	}
	s.addClause(&clause{lits: lits, kind: kindInfArch, pkg: i})
	partners := make([]int, 0, len(lits)-1)
	for _, l := range lits[1:] {
		partners = append(partners, l.v())
	}
	return partners
}

type conflictRef struct {
	pkg int
	dep Dep
}

// reverseConflicts finds candidates whose Conflicts match package i.
func (s *solver) reverseConflicts(i int) []conflictRef {
	// Only conflicts on a name i provides or a path it has can match.
	var idx []int
	p := s.pkgs[i]
	for _, d := range p.Provides {
		idx = append(idx, s.conflictsOn[d.Name]...)
	}
	for _, f := range p.Files {
		idx = append(idx, s.conflictsOn[f]...)
	}
	slices.Sort(idx)
	var out []conflictRef
	for _, k := range slices.Compact(idx) {
		c := s.conflicters[k]
		if c.pkg != i && containsInt(s.whatProvides(c.dep), i) {
			out = append(out, c)
		}
	}
	return out
}

// sameSlot: two packages of one name exclude each other unless they are of
// different real arches (multilib: glibc.x86_64 beside glibc.i686).
func (s *solver) sameSlot(a, b int) bool {
	pa, pb := s.pkgs[a].Arch, s.pkgs[b].Arch
	return pa == pb || pa == "noarch" || pb == "noarch"
}

// addJob turns an install spec into a clause: one of its matches is installed.
func (s *solver) addJob(spec string) error {
	matches := s.matchSpec(spec)
	if len(matches) == 0 {
		return s.noMatch(spec)
	}
	lits := make([]lit, 0, len(matches))
	for _, m := range matches {
		lits = append(lits, pos(m))
		s.addRules(m)
	}
	id := s.addClause(&clause{lits: lits, kind: kindJob, job: spec, pkg: -1})
	s.jobs = append(s.jobs, id)
	return nil
}

// addKeep says an installed package stays, or is replaced by an upgrade of
// itself or a package obsoleting it.
func (s *solver) addKeep(i int) {
	p := s.pkgs[i]
	lits := []lit{pos(i)}
	for _, q := range s.byName[p.Name] {
		if q != i && !s.installed[q] && s.sameSlot(i, q) && s.pkgs[q].EVR.Compare(p.EVR) > 0 {
			lits = append(lits, pos(q))
			s.addRules(q)
		}
	}
	for _, q := range s.obsoleters {
		if s.installed[q] {
			continue
		}
		for _, d := range s.pkgs[q].Obsoletes {
			if d.Name == p.Name && (Dep{Name: p.Name, Flags: Equal, EVR: p.EVR}).Satisfies(d) {
				lits = append(lits, pos(q))
				s.addRules(q)
			}
		}
	}
	id := s.addClause(&clause{lits: lits, kind: kindKeepInstalled, pkg: i})
	s.keeps = append(s.keeps, id)
}

// matchSpec finds the candidates a dnf-style spec names: by NEVRA forms
// first, then by provides (including file paths).
func (s *solver) matchSpec(spec string) []int {
	if d, err := ParseDep(spec); err == nil && d.Flags != 0 {
		return s.whatProvides(d)
	}
	var out []int
	for i, p := range s.pkgs {
		if nevraMatches(p, spec) {
			out = append(out, i)
		}
	}
	if len(out) > 0 {
		return out
	}
	return s.whatProvides(Dep{Name: spec})
}

func nevraMatches(p *Package, spec string) bool {
	if !strings.HasPrefix(spec, p.Name) {
		return false
	}
	forms := []string{
		p.Name,
		p.Name + "-" + p.EVR.Version,
		p.Name + "-" + p.EVR.Version + "-" + p.EVR.Release,
		p.Name + "-" + p.EVR.String(),
	}
	if p.EVR.Epoch != 0 {
		forms = append(forms, fmt.Sprintf("%s-%d:%s", p.Name, p.EVR.Epoch, p.EVR.Version))
	}
	for _, f := range forms {
		if spec == f || spec == f+"."+p.Arch {
			return true
		}
	}
	return false
}

// --- search -------------------------------------------------------------

func (s *solver) val(l lit) int8 {
	v := s.value[l.v()]
	if !l.pos() {
		return -v
	}
	return v
}

func (s *solver) assign(l lit, reason int) {
	v := l.v()
	if l.pos() {
		s.value[v] = 1
	} else {
		s.value[v] = -1
	}
	s.level[v] = len(s.lim)
	s.reason[v] = reason
	s.trail = append(s.trail, l)
}

// propagate runs unit propagation from trail position head; it returns the
// id of a falsified clause, or -1.
func (s *solver) propagate(head int) int {
	for head < len(s.trail) {
		l := s.trail[head]
		head++
		for _, id := range s.occ[l.v()] {
			c := s.clauses[id]
			var unassigned lit
			nUn, sat := 0, false
			for _, x := range c.lits {
				switch s.val(x) {
				case 1:
					sat = true
				case 0:
					nUn++
					unassigned = x
				}
				if sat {
					break
				}
			}
			switch {
			case sat:
			case nUn == 0:
				return id
			case nUn == 1:
				s.assign(unassigned, id)
			}
		}
	}
	return -1
}

func (s *solver) backjump(level int) {
	for len(s.lim) > level {
		start := s.lim[len(s.lim)-1]
		for _, l := range s.trail[start:] {
			s.value[l.v()] = 0
		}
		s.trail = s.trail[:start]
		s.lim = s.lim[:len(s.lim)-1]
	}
}

// analyze derives a learned clause from a conflict (first UIP) and the level
// to jump back to.
func (s *solver) analyze(confl int) (*clause, int) {
	seen := map[int]bool{}
	var learnt []lit
	origins := map[int]bool{}
	counter := 0
	cur := len(s.lim)
	idx := len(s.trail) - 1
	var p lit
	c := confl
	for {
		cl := s.clauses[c]
		s.addOrigins(origins, c)
		for _, q := range cl.lits {
			if p != 0 && q == p {
				continue
			}
			v := q.v()
			if seen[v] || s.level[v] == 0 {
				if s.level[v] == 0 && s.reason[v] >= 0 {
					s.addOrigins(origins, s.reason[v])
				}
				continue
			}
			seen[v] = true
			if s.level[v] == cur {
				counter++
			} else {
				learnt = append(learnt, q)
			}
		}
		for !seen[s.trail[idx].v()] {
			idx--
		}
		p = s.trail[idx]
		idx--
		seen[p.v()] = false
		counter--
		if counter <= 0 {
			break
		}
		c = s.reason[p.v()]
	}
	learnt = append([]lit{-p}, learnt...)
	back := 0
	for _, q := range learnt[1:] {
		back = max(back, s.level[q.v()])
	}
	ids := make([]int, 0, len(origins))
	for id := range origins {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	return &clause{lits: learnt, kind: kindLearned, pkg: -1, origins: ids}, back
}

func (s *solver) addOrigins(set map[int]bool, id int) {
	c := s.clauses[id]
	if c.kind == kindLearned {
		for _, o := range c.origins {
			set[o] = true
		}
		return
	}
	set[id] = true
}

func (s *solver) solve() error {
	if confl := s.propagateAll(); confl >= 0 {
		return s.unsat(confl)
	}
	for {
		d := s.nextDecision()
		if d == 0 {
			return nil
		}
		s.lim = append(s.lim, len(s.trail))
		head := len(s.trail)
		s.assign(d, -1)
		for {
			confl := s.propagate(head)
			if confl < 0 {
				break
			}
			if len(s.lim) == 0 {
				return s.unsat(confl)
			}
			learnt, back := s.analyze(confl)
			s.backjump(back)
			s.cursor, s.postponed = 0, 0 // libsolv starts its walk over
			id := s.addClause(learnt)
			head = len(s.trail)
			if len(learnt.lits) == 1 || s.val(learnt.lits[0]) == 0 {
				s.assign(learnt.lits[0], id)
			}
			if len(s.lim) == 0 {
				if c := s.propagate(0); c >= 0 {
					return s.unsat(c)
				}
				head = len(s.trail)
			}
		}
	}
}

// propagateAll asserts unit clauses at level 0 and propagates.
func (s *solver) propagateAll() int {
	for id, c := range s.clauses {
		if len(c.lits) == 1 {
			switch s.val(c.lits[0]) {
			case 0:
				s.assign(c.lits[0], id)
			case -1:
				return id
			}
		}
	}
	return s.propagate(0)
}

// nextDecision picks the next package to install, in libsolv's order: the
// request's jobs, then keeping installed packages, then the requirements of
// packages already chosen (in the order they were chosen), then anything a
// learned clause still needs. It returns 0 when every clause holds with all
// undecided packages left out.
func (s *solver) nextDecision() lit {
	for _, id := range s.jobs {
		if l := s.open(id); l != nil {
			return s.choose(l, id)
		}
	}
	for _, id := range s.keeps {
		c := s.clauses[id]
		if s.open(id) != nil && s.value[c.pkg] == 0 {
			s.chosenFor[c.pkg] = "installed"
			return pos(c.pkg)
		}
		if l := s.open(id); l != nil {
			return s.choose(l, id)
		}
	}
	if l := s.resolveDependencies(); l != 0 {
		return l
	}
	for id := range s.clauses {
		if cands := s.open(id); cands != nil {
			return s.choose(cands, id)
		}
	}
	return 0
}

// resolveDependencies picks the next requirement to satisfy the way
// libsolv's resolve_dependencies does, so that ties come out as dnf's: it
// walks the requirement rules in libsolv's rule order (requirers from the
// highest package id down) round-robin from where the last choice was made;
// requirements whose best candidate is clear go first, and one where the
// policy leaves several names to pick from is postponed until no clear one
// is left (after that pass nothing is postponed any more).
func (s *solver) resolveDependencies() lit {
	if len(s.reqOrder) != s.reqSorted {
		sort.SliceStable(s.reqOrder, func(a, b int) bool {
			ra, rb := s.rank(s.clauses[s.reqOrder[a]].pkg), s.rank(s.clauses[s.reqOrder[b]].pkg)
			if ra != rb {
				return ra > rb
			}
			return s.reqOrder[a] < s.reqOrder[b]
		})
		s.reqSorted = len(s.reqOrder)
	}
	n := len(s.reqOrder)
	if n == 0 {
		return 0
	}
	i := s.cursor % n
	for k := 1; ; i, k = i+1, k+1 {
		if k > n {
			if s.postponed <= 0 {
				return 0
			}
			i, s.postponed, k = s.postponed-1, -1, 1
		}
		if i >= n {
			i = 0
		}
		id := s.reqOrder[i]
		if s.value[s.clauses[id].pkg] != 1 {
			continue
		}
		cands := s.open(id)
		if cands == nil {
			continue
		}
		if len(cands) > 1 && s.postponed >= 0 && len(s.pruneToBest(cands)) > 1 {
			if s.postponed == 0 {
				s.postponed = i + 1
			}
			continue
		}
		s.cursor = i + 1
		return s.choose(cands, id)
	}
}

// rank orders packages as libsolv numbers them in dnf: the installed ones
// first (dnf loads @System first), then repo packages in metadata order.
func (s *solver) rank(i int) int { return i }

// open returns the undecided packages that could satisfy clause id if it is
// not yet satisfied (counting undecided packages as not installed), else nil.
func (s *solver) open(id int) []int {
	var cands []int
	for _, l := range s.clauses[id].lits {
		switch s.val(l) {
		case 1:
			return nil
		case 0:
			if !l.pos() {
				return nil // an undecided package stays out: satisfied
			}
			cands = append(cands, l.v())
		}
	}
	return cands
}

// choose applies the policy to pick one of cands.
func (s *solver) choose(cands []int, clauseID int) lit {
	best := s.policy(cands)
	c := s.clauses[clauseID]
	switch c.kind {
	case kindJob:
		s.chosenFor[best] = "requested"
	case kindRequires:
		s.chosenFor[best] = fmt.Sprintf("required by %s (%s)", s.pkgs[c.pkg].NEVRA(), c.dep)
	case kindKeepInstalled:
		s.chosenFor[best] = "upgrade of installed " + s.pkgs[c.pkg].NEVRA()
	}
	return pos(best)
}

// pruneToBest keeps what libsolv's policy filter keeps before it has to
// break a tie between different names: installed packages if any, the best
// repo priority, and per name the best arch and newest version.
func (s *solver) pruneToBest(cands []int) []int {
	var inst []int
	for _, c := range cands {
		if s.installed[c] {
			inst = append(inst, c)
		}
	}
	if len(inst) > 0 {
		cands = inst
	}
	bestPrio := s.priority[cands[0]]
	for _, c := range cands {
		bestPrio = min(bestPrio, s.priority[c])
	}
	best := map[string]int{}
	for _, c := range cands {
		if s.priority[c] != bestPrio {
			continue
		}
		n := s.pkgs[c].Name
		if b, ok := best[n]; !ok || s.better(c, b) {
			best[n] = c
		}
	}
	out := make([]int, 0, len(best))
	for _, c := range best {
		out = append(out, c)
	}
	return out
}

// better: same name, is a preferable to b (arch, then EVR)?
func (s *solver) better(a, b int) bool {
	if sa, sb := s.archScore(s.pkgs[a].Arch), s.archScore(s.pkgs[b].Arch); sa != sb {
		return sa > sb
	}
	return s.pkgs[a].EVR.Compare(s.pkgs[b].EVR) > 0
}

// policy orders candidates as libsolv does for a choice: installed first,
// then repo priority, then per name the best arch and newest EVR, then name.
func (s *solver) policy(cands []int) int {
	sorted := append([]int(nil), cands...)
	sort.SliceStable(sorted, func(a, b int) bool {
		i, j := sorted[a], sorted[b]
		if s.installed[i] != s.installed[j] {
			return s.installed[i]
		}
		if s.priority[i] != s.priority[j] {
			return s.priority[i] < s.priority[j]
		}
		pi, pj := s.pkgs[i], s.pkgs[j]
		if pi.Name != pj.Name {
			return pi.Name < pj.Name
		}
		if ai, aj := s.archScore(pi.Arch), s.archScore(pj.Arch); ai != aj {
			return ai > aj
		}
		if c := pi.EVR.Compare(pj.EVR); c != 0 {
			return c > 0
		}
		return i < j
	})
	return sorted[0]
}

// plan collects the installed-to-be packages that are not installed yet.
func (s *solver) plan() *Plan {
	plan := &Plan{Warnings: s.warnings}
	requiredBy := s.firstRequirers()
	for i, p := range s.pkgs {
		if s.value[i] != 1 || s.installed[i] {
			continue
		}
		pp := PlannedPackage{Package: p, Action: ActionInstall, Reason: s.reasonFor(i, requiredBy)}
		if r := s.replaces(i); r >= 0 {
			pp.Action, pp.Replaces = ActionUpgrade, s.pkgs[r]
		}
		plan.Packages = append(plan.Packages, pp)
	}
	return plan
}

// installedRecord returns the solver's record (with dependencies) of an
// installed package.
func (s *solver) installedRecord(p *Package) *Package {
	for _, i := range s.byName[p.Name] {
		if s.installed[i] && s.pkgs[i].NEVRA() == p.NEVRA() {
			return s.pkgs[i]
		}
	}
	return p
}

// replaces returns the installed package that i upgrades or obsoletes, or -1.
func (s *solver) replaces(i int) int {
	p := s.pkgs[i]
	for _, q := range s.byName[p.Name] {
		if s.installed[q] && s.value[q] != 1 && s.sameSlot(i, q) {
			return q
		}
	}
	for _, d := range p.Obsoletes {
		for _, q := range s.byName[d.Name] {
			if s.installed[q] && s.value[q] != 1 {
				return q
			}
		}
	}
	return -1
}

// firstRequirers maps each package to the first requires clause, in trail
// order, of a chosen package that it can satisfy.
func (s *solver) firstRequirers() map[int]int {
	first := map[int]int{}
	for _, t := range s.trail {
		if !t.pos() {
			continue
		}
		for _, id := range s.requiresOf[t.v()] {
			for _, l := range s.clauses[id].lits[1:] {
				if _, ok := first[l.v()]; !ok && l.pos() {
					first[l.v()] = id
				}
			}
		}
	}
	return first
}

// reasonFor explains why package i is in the plan.
func (s *solver) reasonFor(i int, requiredBy map[int]int) string {
	if r, ok := s.chosenFor[i]; ok && r != "installed" {
		return r
	}
	for _, id := range s.jobs {
		for _, l := range s.clauses[id].lits {
			if l == pos(i) {
				return "requested"
			}
		}
	}
	// Forced by propagation: name the first chosen package that needs it.
	if id, ok := requiredBy[i]; ok {
		c := s.clauses[id]
		return fmt.Sprintf("required by %s (%s)", s.pkgs[c.pkg].NEVRA(), c.dep)
	}
	if r := s.replaces(i); r >= 0 {
		return "upgrade of installed " + s.pkgs[r].NEVRA()
	}
	return "needed by the solution"
}
