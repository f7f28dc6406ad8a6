package resolver

import (
	"fmt"
	"iter"

	"github.com/rpmvault/rpmvault/resolver/internal/rpmarch"
	"github.com/rpmvault/rpmvault/resolver/internal/sat"
)

// solver is one solve: the packages numbered as libsolv numbers its
// solvables (0 unused, 1 the system, then the installed packages, then the
// repos' packages in metadata order), their rules and the SAT state.
// Everything the solve looks at is in the universe's id pool (see
// idpool.go); *Package records are only made for the plan.
//
// Every package of the universe has an id (universe package k is id
// instEnd+k), but only what the solve meets is looked at: a package
// becomes a candidate (or not: another arch, excluded, hidden, failing a
// constraint) when a look-up by name first returns it (isCand), and the
// look-ups read the universe's indexes (Universe.index), which a parsed
// cache stores. A solve of a small closure in a large repo then reads a
// small part of it. Ids of packages that are not candidates are never in
// a rule, so the SAT solver leaves them undecided, and the order of the
// candidates' ids, which breaks ties, is libsolv's.
type solver struct {
	req  Request
	u    *Universe
	pool *idPool // the universe's: the installed set and the request are interned into it
	idx  *uniIndex
	// recs are the installed packages' records (ids 2 to instEnd); the
	// others are the universe's (rec).
	recs []pkgRec
	// urecs are the universe's records, copied (copyRecs); nil to read
	// them in place.
	urecs []solveRec
	// uidx is each installed package's index in u.pkgs; -1 for one no
	// repo has, whose record is then in ext.
	uidx []int32
	ext  map[int32]*Package
	n    int32  // ids run from 0 to n-1
	inst []bool // by id: an installed package
	prio []int  // by id: libsolv's priority (higher wins)
	// score is libsolv's arch score of each package, color its word size
	// (0 noarch, 1 32-bit, 2 64-bit), by id; like multi and prio, they
	// are set when the package becomes a candidate.
	score []uint32
	color []uint8
	multi []bool // by id: install-only (several versions side by side)
	// instOnly are the ids of the install-only names (installOnly).
	instOnly map[strID]bool
	cand     []uint8 // by id: candUnknown, candYes or candNo
	// instEnd is one past the last installed id (they start at 2).
	instEnd int32
	// installed32 says the box has 32-bit x86 packages on x86_64: their
	// updates are candidates, as in dnf's pool (see archOK).
	installed32 bool
	constraints map[strID][]depRec
	memo        candMemo

	// instNamed and instProv index the installed packages by name and by
	// what they provide; named and provided cache the look-ups.
	instNamed, instProv map[strID][]int32
	named, provided     map[strID][]int32
	files               map[strID][]int32   // owners of a path, ascending (ownersOf)
	twins               map[int32][]int32   // universe index -> installed ids with its record
	extFiles            map[string][]int32  // paths of installed packages no repo has
	scanned             map[strID][]int32   // owners of wanted paths by the records' paths, without a stored index
	whatCache           map[depRec]listSpan // whatProvides' answers, in whatLists
	whatLists           []int32
	filesFull           bool

	sat       *sat.Solver
	info      []ruleInfo // by rule id
	rng       ruleRanges
	added     []bool // by id: the package's rules have been generated
	generated int    // packages whose rules have been generated, for releasing the pool's base
	// choiceOrig maps each choice rule to the package rule it narrows.
	choiceOrig map[int32]int32
	orphaned   []int32
	// installedPos is where the walk over installed packages resumes: the
	// package that ran into trouble last time.
	installedPos int32
	obsoleters   []int32 // candidates with obsoletes; nil until first needed
	// noUpdate marks installed packages a job replaces: they are kept or
	// left, never upgraded on their own.
	noUpdate map[int32]bool
	pendLits []sat.Lit // the literals of pending rules (pendingRule)
	jobs     []string  // the job rules' specs, by job index
	planIDs  []int32   // the plan's packages, as plan() made it
	// planEdges are the order's edges between them (orderEdges).
	planEdges [][]int
	warnings  []string
	err       error // an I/O error met while generating rules
}

func newSolver(u *Universe, req Request) (*solver, error) {
	if req.Arch == "" {
		req.Arch = "x86_64"
	}
	if req.InstallOnly == nil {
		req.InstallOnly = installOnlyNames()
	}
	if u.pool == nil {
		u.pool = newIDPool(1)
	}
	pool := u.pool
	s := &solver{req: req, u: u, pool: pool, idx: u.index(), whatCache: map[depRec]listSpan{}, ext: map[int32]*Package{},
		choiceOrig: map[int32]int32{}, constraints: map[strID][]depRec{}, memo: newCandMemo(),
		named: map[strID][]int32{}, provided: map[strID][]int32{}}
	for _, c := range req.Constraints {
		d, err := ParseDep(c)
		if err != nil {
			return nil, fmt.Errorf("constraint %q: %w", c, err)
		}
		dr := pool.internDep(d)
		s.constraints[dr.name] = append(s.constraints[dr.name], dr)
	}
	s.recs = make([]pkgRec, 2, 2+len(req.Installed))
	s.uidx = []int32{-1, -1}
	// An installed-set listing carries no dependencies: take them from the
	// repo record of the same NEVRA when there is one.
	byNEVRA := map[string]int32{}
	for _, ip := range req.Installed {
		id, ok := pool.lookup(ip.Name)
		if !ok {
			continue
		}
		for _, k := range s.idx.byName.of(id) {
			if r := &u.pkgs[k]; !r.hidden {
				nevra := pool.str(r.name) + "-" + pool.evr(r.evr).String() + "." + pool.str(r.arch)
				if prev, ok := byNEVRA[nevra]; !ok || prev < k {
					byNEVRA[nevra] = k // the last of a NEVRA, as libsolv's pool has it
				}
			}
		}
	}
	var unknown []string
	for _, ip := range req.Installed {
		if k, ok := byNEVRA[ip.NEVRA()]; ok && len(ip.Provides) == 0 {
			s.recs = append(s.recs, u.pkgs[k].pkgRec)
			s.uidx = append(s.uidx, k)
			continue
		}
		if len(ip.Provides) == 0 {
			unknown = append(unknown, ip.NEVRA())
		}
		s.ext[int32(len(s.recs))] = ip
		s.recs = append(s.recs, pool.addPkg(ip))
		s.uidx = append(s.uidx, -1)
	}
	s.instEnd = int32(len(s.recs))
	s.copyRecs()
	s.n = s.instEnd + int32(len(u.pkgs))
	for _, ip := range req.Installed {
		// A box with 32-bit packages (glibc.i686 beside glibc.x86_64)
		// upgrades them with their 64-bit twins, as dnf does: then the
		// 32-bit packages are candidates, as with multilib.
		if rpmarch.Is32bitX86(ip.Arch) && s.req.Arch == "x86_64" {
			s.installed32 = true
		}
	}
	s.instOnly = s.installOnlyIDs()
	n := int(s.n)
	s.inst, s.prio, s.cand = make([]bool, n), make([]int, n), make([]uint8, n)
	s.score, s.color, s.multi = make([]uint32, n), make([]uint8, n), make([]bool, n)
	s.instNamed, s.instProv = map[strID][]int32{}, map[strID][]int32{}
	for i := int32(2); i < s.instEnd; i++ {
		s.inst[i], s.prio[i], s.cand[i] = true, -DefaultPriority, candYes
		s.classify(i)
		r := s.recs[i]
		s.instNamed[r.name] = append(s.instNamed[r.name], i)
		s.instProv[r.name] = append(s.instProv[r.name], i)
		for k := r.dep; k < r.prov; k++ {
			if d := pool.depAt(k); d.name != r.name {
				if l := s.instProv[d.name]; len(l) == 0 || l[len(l)-1] != i {
					s.instProv[d.name] = append(l, i)
				}
			}
		}
	}
	if len(unknown) > 0 {
		s.warnings = append(s.warnings, fmt.Sprintf("%d installed packages are in no repo (e.g. %s), so their dependencies are unknown and upgrades they force may be missed: pass a capture of the box as the baseline (rpmvault capture), or add the repos of the target's release to the manifest",
			len(unknown), unknown[0]))
	}
	for _, spec := range req.Install {
		pool.intern(spec) // a path spec is looked up in the file index
	}
	s.files = map[strID][]int32{}
	if err := s.addRules(s.constraints); err != nil {
		return nil, err
	}
	return s, nil
}

// listSpan is a list's place in a slice of lists: [off, off+n).
type listSpan struct{ off, n uint32 }

// rec is package i's record.
func (s *solver) rec(i int32) pkgRec {
	if i < s.instEnd {
		return s.recs[i]
	}
	if s.urecs != nil {
		return s.urecs[i-s.instEnd].pkgRec
	}
	return s.u.pkgs[i-s.instEnd].pkgRec
}

// solveRec is what a solve reads of a universe package's record.
type solveRec struct {
	pkgRec
	repo   strID
	hidden bool
}

// copyRecs gives the solve its own copy of what it reads of the
// universe's records when they are a mapped parsed-cache entry's. A solve
// reads the records of the packages it meets again and again, in no order,
// and each read maps the page around it (with large page-cache folios, a
// quarter of a megabyte): the records of a large closure then keep all
// 5 MB of the bench's 60,000 records resident. Copied in one pass, front
// to back, releasing as it goes, they take 40 of the 88 bytes each, on the
// heap, and the entry's records are left alone.
func (s *solver) copyRecs() {
	u := s.u
	if u.pool.base.release == nil || len(u.pkgs) == 0 {
		return
	}
	s.urecs = make([]solveRec, len(u.pkgs))
	for k := range u.pkgs {
		r := &u.pkgs[k]
		s.urecs[k] = solveRec{pkgRec: r.pkgRec, repo: r.repo, hidden: r.hidden}
		if k%copyRecsRelease == copyRecsRelease-1 {
			u.pool.releaseBase()
		}
	}
	u.pool.releaseBase()
}

// copyRecsRelease is how many records copyRecs reads between releases
// (half a megabyte of them).
const copyRecsRelease = 6000

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
	k := i - s.instEnd
	if i < s.instEnd {
		k = s.uidx[i]
	}
	if k >= 0 {
		p := s.u.pkg(int(k), true)
		if s.inst[i] {
			p.Repo = InstalledRepo
		}
		return p
	}
	return s.ext[i]
}

// Accessors of a package's record.
func (s *solver) name(i int32) string { return s.pool.str(s.rec(i).name) }
func (s *solver) arch(i int32) string { return s.pool.str(s.rec(i).arch) }
func (s *solver) evr(i int32) EVR     { return s.pool.evr(s.rec(i).evr) }

// provides are package i's provides, in order.
func (s *solver) provides(i int32) iter.Seq[depRec] {
	r := s.rec(i)
	return s.pool.depRange(r.dep, r.prov)
}

// obsoleteDeps are package i's obsoletes, in order.
func (s *solver) obsoleteDeps(i int32) iter.Seq[depRec] {
	r := s.rec(i)
	return s.pool.depRange(r.con, r.obs)
}

// self is the provide every package has of its own name and version.
func (s *solver) self(i int32) depRec {
	r := s.rec(i)
	return depRec{name: r.name, evr: r.evr, flags: uint8(Equal)}
}

// nevra is the package's name-[epoch:]version-release.arch.
func (s *solver) nevra(i int32) string {
	return s.name(i) + "-" + s.evr(i).String() + "." + s.arch(i)
}

// colorOK is colorMatch on ids.
func (s *solver) colorOK(i, j int32) bool {
	return s.color[i] == 0 || s.color[j] == 0 || s.color[i] == s.color[j]
}
