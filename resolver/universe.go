package resolver

import (
	"slices"
	"strings"

	"github.com/rpmvault/rpmvault/resolver/rpmmd"
)

// Universe is every package a solve may choose from. It holds them as the
// id pool holds them (see idpool.go): tens of thousands of packages with a
// million dependencies cost a fifth of what *Package records would, and a
// solve reads them without converting anything. Packages materialises
// *Package records for callers that want them. A solve interns its request
// and installed set into the pool, and file lists merge into the records,
// so solves of one Universe must not run at the same time.
type Universe struct {
	// Sources records the snapshot each repo was read from.
	Sources []SourceState
	// Warnings are what a person should know about the sources (a repo
	// skipped under skip_if_unavailable).
	Warnings []string
	// LoadFileLists, when set, merges complete file lists (rpm-md filelists)
	// into the packages and marks them as having their full file lists. The
	// solver calls it at most once, the first time a file requirement is not
	// met by the primary file lists, so the large filelists are only read
	// when they are needed. With wanted set, only those paths are kept (the
	// ones something can require): millions of file entries then cost no
	// memory.
	LoadFileLists func(wanted map[string]bool) error

	pool *idPool
	pkgs []uniPkg
	idx  *uniIndex // see index
	// added are the paths filelists added to packages (by index), beside
	// their records' (primary.xml's): a record read in place from the
	// parsed cache is not written to, as that would copy its page, and
	// the paths are not interned, as that would read the string index.
	added map[int32][]string
	// addedOwners inverts added; nil until a solve needs it, and again
	// whenever added changes.
	addedOwners map[string][]int32

	parsedCache ParsedCache // where Sources' parsed entries are saved; nil for none
}

// uniPkg is one package of a universe: its record of ids and what fetching
// it needs, as ids into the universe's pool. It holds no pointers and its
// layout is the parsed cache's (88 bytes, see parsedcache.go), so a cache
// entry's records are used where they lie.
type uniPkg struct {
	pkgRec
	repo, srpm, loc strID
	sumType, sumHex strID
	// files, filesEnd are the paths known (primary's, plus filelists' once
	// merged) as file positions of the pool.
	files, filesEnd uint32
	fullFiles       bool
	// hidden: the repo's exclude= or includepkgs= drops it. It stays so that
	// the repo's parsed-cache entry holds the repo as its metadata lists it.
	hidden           bool
	size             int64
	hdrStart, hdrEnd int64
}

// NewUniverse makes a universe of pkgs, in that order.
func NewUniverse(pkgs []*Package) *Universe {
	part := newRepoPart(len(pkgs))
	for _, p := range pkgs {
		part.add(p)
	}
	u := &Universe{}
	u.merge(part)
	return u
}

// Packages materialises every package, in universe order. Each call builds
// new records: a large universe is best read through a solve.
func (u *Universe) Packages() []*Package {
	out := make([]*Package, 0, len(u.pkgs))
	for i := range u.pkgs {
		if !u.pkgs[i].hidden {
			out = append(out, u.pkg(i, true))
		}
	}
	return out
}

// pkg materialises package i; without deps, only its identity and location
// fields are filled (what checks of a record need).
func (u *Universe) pkg(i int, deps bool) *Package {
	return u.pool.materialise(&u.pkgs[i], deps, u.added[int32(i)])
}

// materialise builds a *Package from a record of this pool, with the
// paths added beside it.
//
// Its strings are the heap's own (copied), not views of a mapped
// parsed-cache entry: a *Package outlives the solve and is read again
// and again (the plan, its order, the lock, the output), and every read
// of the entry keeps its page, and the pages around it, resident. Having
// copied them, it drops the entry's read-only pages every
// releaseEvery packages, so that materialising a plan of thousands of
// packages keeps a few of the entry's pages resident, not most of them.
func (p *idPool) materialise(r *uniPkg, deps bool, added []string) *Package {
	if p.base.release != nil {
		if p.materialised++; p.materialised%releaseEvery == 0 {
			p.releaseBase()
		}
	}
	s := p.copied
	evr := func(id evrID) EVR {
		e := p.evrRec(id)
		return EVR{Epoch: int(e.epoch), Version: s(e.ver), Release: s(e.rel)}
	}
	out := &Package{
		Name: s(r.name), EVR: evr(r.evr), Arch: s(r.arch),
		SourceRPM: s(r.srpm), Repo: s(r.repo), Location: s(r.loc),
		Checksum: rpmmd.Checksum{Type: s(r.sumType), Hex: s(r.sumHex)},
		Size:     r.size, HeaderStart: r.hdrStart, HeaderEnd: r.hdrEnd,
		FullFiles: r.fullFiles || p.fullRepos[r.repo],
	}
	if !deps {
		return out
	}
	depList := func(from, to uint32) []Dep {
		if from == to {
			return nil
		}
		out := make([]Dep, 0, to-from)
		for k := from; k < to; k++ {
			d := p.depAt(k)
			out = append(out, Dep{Name: s(d.name), Flags: Flags(d.flags), Phase: d.phase, EVR: evr(d.evr)})
		}
		return out
	}
	out.Provides = depList(r.dep, r.prov)
	out.Requires = depList(r.prov, r.req)
	out.Conflicts = depList(r.req, r.con)
	out.Obsoletes = depList(r.con, r.obs)
	if files := p.filesOf(r); len(files)+len(added) > 0 {
		out.Files = make([]string, 0, len(files)+len(added))
		for _, f := range files {
			out.Files = append(out.Files, s(f))
		}
		out.Files = append(out.Files, added...)
	}
	return out
}

// repoPart is one repo's packages with a pool of their own, so repos can be
// read in parallel; LoadUniverse merges the parts in repo order.
type repoPart struct {
	pool *idPool
	pkgs []uniPkg
	// entry is the parsed-cache entry the part reads in place; zero for a
	// part built on the heap.
	entry mapping
	// added are the paths the entry's file-lists entry adds (see
	// Universe.added).
	added map[int32][]string
}

func newRepoPart(n int) *repoPart {
	return &repoPart{pool: newIDPool(4 * n), pkgs: make([]uniPkg, 0, n)}
}

// partSizes are the capacities a repo part starts with.
type partSizes struct{ pkgs, strs, deps, files int }

// newRepoPartSized makes a part with room for z, its string index sized to
// match: a repo read from XML then fills it without copying it as it grows.
func newRepoPartSized(z partSizes) *repoPart {
	pl := &idPool{
		strs:  newStrArena(max(z.strs, 8)),
		evrs:  make([]evrRec, 1, 64),
		deps:  make([]depRec, 1, max(z.deps, 8)),
		files: make([]strID, 0, z.files),
	}
	pl.index()
	return &repoPart{pool: pl, pkgs: make([]uniPkg, 0, z.pkgs)}
}

// grow returns s with room for n more, at least doubling its capacity
// when it must grow: append grows large slices by a quarter, which for a
// repo's tables copies them over and over and leaves four times their size
// as garbage.
func grow[T any](s []T, n int) []T {
	if cap(s)-len(s) >= n {
		return s
	}
	return append(make([]T, 0, max(2*cap(s), len(s)+n)), s...)
}

// add interns p into the part.
func (rp *repoPart) add(p *Package) {
	pl := rp.pool
	r := uniPkg{pkgRec: pl.addPkg(p),
		repo: pl.intern(p.Repo), srpm: pl.intern(p.SourceRPM), loc: pl.intern(p.Location),
		sumType: pl.intern(p.Checksum.Type), sumHex: pl.intern(p.Checksum.Hex),
		size: p.Size, hdrStart: p.HeaderStart, hdrEnd: p.HeaderEnd, fullFiles: p.FullFiles}
	r.files = pl.nbf + uint32(len(pl.files))
	for _, f := range p.Files {
		pl.files = append(pl.files, pl.intern(f))
	}
	r.filesEnd = pl.nbf + uint32(len(pl.files))
	rp.pkgs = append(rp.pkgs, r)
}

// scannedPkg is a package as a metadata reader found it, its strings
// already ids of the part's pool: the readers of rpm-md intern what they
// scan straight into the pool, with no *Package in between.
type scannedPkg struct {
	name, arch, srpm, loc, sumType, sumHex strID
	evr                                    evrID
	size, hdrStart, hdrEnd                 int64
	deps                                   [4][]depRec // provides, requires, conflicts, obsoletes
	files                                  []strID     // copied: the reader reuses it
}

// addScanned appends sp's record; its dependencies and files are copied
// into the pool.
func (rp *repoPart) addScanned(sp *scannedPkg, repo strID) {
	pl := rp.pool
	r := uniPkg{pkgRec: pkgRec{name: sp.name, arch: sp.arch, evr: sp.evr},
		repo: repo, srpm: sp.srpm, loc: sp.loc, sumType: sp.sumType, sumHex: sp.sumHex,
		size: sp.size, hdrStart: sp.hdrStart, hdrEnd: sp.hdrEnd}
	r.files = pl.nbf + uint32(len(pl.files))
	pl.files = append(grow(pl.files, len(sp.files)), sp.files...)
	r.filesEnd = pl.nbf + uint32(len(pl.files))
	pl.deps = grow(pl.deps, len(sp.deps[0])+len(sp.deps[1])+len(sp.deps[2])+len(sp.deps[3]))
	r.dep = pl.ndeps()
	pl.deps = append(pl.deps, sp.deps[0]...)
	r.prov = pl.ndeps()
	pl.deps = append(pl.deps, sp.deps[1]...)
	r.req = pl.ndeps()
	pl.deps = append(pl.deps, sp.deps[2]...)
	r.con = pl.ndeps()
	pl.deps = append(pl.deps, sp.deps[3]...)
	r.obs = pl.ndeps()
	rp.pkgs = append(grow(rp.pkgs, 1), r)
}

// filter hides the packages keep refuses (given header-only records) and
// returns how many are left.
func (rp *repoPart) filter(keep func(*Package) bool) int {
	n := 0
	for i := range rp.pkgs {
		r := &rp.pkgs[i]
		if !r.hidden && !keep(rp.pool.materialise(r, false, nil)) {
			r.hidden = true // written only when it changes: a mapped record's page is then copied
		}
		if !r.hidden {
			n++
		}
	}
	return n
}

// merge appends part's packages. The first part's pool becomes the
// universe's as it is; a later part's ids are mapped into it.
func (u *Universe) merge(part *repoPart) (first int) {
	if u.pool == nil {
		u.pool, u.pkgs, u.added = part.pool, part.pkgs, part.added
		return 0
	}
	first = len(u.pkgs)
	from, to := part.pool, u.pool
	strMap := make([]strID, from.nstrs())
	for i := range strMap {
		strMap[i] = to.intern(from.str(strID(i)))
	}
	evrMap := make([]evrID, from.nevrs())
	for i := range evrMap {
		e := from.evrRec(evrID(i))
		evrMap[i] = to.internEVRRec(evrRec{epoch: e.epoch, ver: strMap[e.ver], rel: strMap[e.rel]})
	}
	// Each record's dependencies and paths are copied after what the pool
	// has; its ranges move with them.
	var files []strID
	for _, r := range part.pkgs {
		off := to.ndeps() - r.dep
		for k := r.dep; k < r.obs; k++ {
			d := from.depAt(k)
			to.deps = append(to.deps, depRec{name: strMap[d.name], evr: evrMap[d.evr], flags: d.flags, phase: d.phase})
		}
		r.dep, r.prov, r.req, r.con, r.obs = r.dep+off, r.prov+off, r.req+off, r.con+off, r.obs+off
		r.name, r.arch, r.evr = strMap[r.name], strMap[r.arch], evrMap[r.evr]
		r.fullFiles = r.fullFiles || from.fullRepos[r.repo]
		r.repo, r.srpm, r.loc, r.sumType, r.sumHex = strMap[r.repo], strMap[r.srpm], strMap[r.loc], strMap[r.sumType], strMap[r.sumHex]
		files = files[:0]
		for _, f := range from.filesOf(&r) {
			files = append(files, strMap[f])
		}
		to.setFiles(&r, files)
		if add := part.added[int32(len(u.pkgs)-first)]; len(add) > 0 {
			if u.added == nil {
				u.added = map[int32][]string{}
			}
			u.added[int32(len(u.pkgs))] = add
			u.addedOwners = nil
		}
		u.pkgs = append(u.pkgs, r)
	}
	return first
}

// namedBy: does spec name package k by NEVRA form, or by something it
// provides (a file path included)?
func (u *Universe) namedBy(k int, spec string) bool {
	r := &u.pkgs[k]
	pl := u.pool
	if nevraMatches(pl.str(r.name), pl.evr(r.evr), pl.str(r.arch), spec) {
		return true
	}
	id, ok := pl.lookup(spec)
	if !ok {
		return false
	}
	for k := r.dep; k < r.prov; k++ {
		if pl.depAt(k).name == id {
			return true
		}
	}
	return strings.HasPrefix(spec, "/") && (slices.Contains(pl.filesOf(r), id) || slices.Contains(u.added[int32(k)], spec))
}
