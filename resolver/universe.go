package resolver

import (
	"slices"
	"strings"
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

	parsedCache ParsedCache // where Sources' parsed entries are saved; nil for none
}

// uniPkg is one package of a universe: its record of ids and what fetching
// it needs, as ids into the universe's pool.
type uniPkg struct {
	pkgRec
	repo, srpm, loc  strID
	sumType, sumHex  strID
	size             int64
	hdrStart, hdrEnd int64
	files            []strID // paths known: primary's, plus filelists' once merged
	fullFiles        bool
	// hidden: the repo's exclude= or includepkgs= drops it. It stays so that
	// the repo's parsed-cache entry holds the repo as its metadata lists it.
	hidden bool
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
	return u.pool.materialise(&u.pkgs[i], deps)
}

// materialise builds a *Package from a record of this pool.
func (p *idPool) materialise(r *uniPkg, deps bool) *Package {
	s := p.strs
	out := &Package{
		Name: s[r.name], EVR: p.evr(r.evr), Arch: s[r.arch],
		SourceRPM: s[r.srpm], Repo: s[r.repo], Location: s[r.loc],
		Checksum: Checksum{Type: s[r.sumType], Hex: s[r.sumHex]},
		Size:     r.size, HeaderStart: r.hdrStart, HeaderEnd: r.hdrEnd,
		FullFiles: r.fullFiles,
	}
	if !deps {
		return out
	}
	out.Provides = p.depList(r.dep, r.prov)
	out.Requires = p.depList(r.prov, r.req)
	out.Conflicts = p.depList(r.req, r.con)
	out.Obsoletes = p.depList(r.con, r.obs)
	if len(r.files) > 0 {
		out.Files = make([]string, len(r.files))
		for k, f := range r.files {
			out.Files[k] = s[f]
		}
	}
	return out
}

func (p *idPool) depList(from, to uint32) []Dep {
	if from == to {
		return nil
	}
	out := make([]Dep, 0, to-from)
	for k := from; k < to; k++ {
		out = append(out, p.dep(int32(k)))
	}
	return out
}

// repoPart is one repo's packages with a pool of their own, so repos can be
// read in parallel; LoadUniverse merges the parts in repo order.
type repoPart struct {
	pool *idPool
	pkgs []uniPkg
}

func newRepoPart(n int) *repoPart {
	return &repoPart{pool: newIDPool(4 * n), pkgs: make([]uniPkg, 0, n)}
}

// add interns p into the part.
func (rp *repoPart) add(p *Package) {
	pl := rp.pool
	r := uniPkg{pkgRec: pl.addPkg(p),
		repo: pl.intern(p.Repo), srpm: pl.intern(p.SourceRPM), loc: pl.intern(p.Location),
		sumType: pl.intern(p.Checksum.Type), sumHex: pl.intern(p.Checksum.Hex),
		size: p.Size, hdrStart: p.HeaderStart, hdrEnd: p.HeaderEnd, fullFiles: p.FullFiles}
	if len(p.Files) > 0 {
		r.files = make([]strID, len(p.Files))
		for k, f := range p.Files {
			r.files[k] = pl.intern(f)
		}
	}
	rp.pkgs = append(rp.pkgs, r)
}

// filter hides the packages keep refuses (given header-only records) and
// returns how many are left.
func (rp *repoPart) filter(keep func(*Package) bool) int {
	n := 0
	for i := range rp.pkgs {
		r := &rp.pkgs[i]
		r.hidden = r.hidden || !keep(rp.pool.materialise(r, false))
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
		u.pool, u.pkgs = part.pool, part.pkgs
		return 0
	}
	first = len(u.pkgs)
	from := part.pool
	strMap := make([]strID, len(from.strs))
	for i, s := range from.strs {
		strMap[i] = u.pool.intern(s)
	}
	evrMap := make([]evrID, len(from.evrs))
	for i, e := range from.evrs {
		evrMap[i] = u.pool.internEVRRec(evrRec{epoch: e.epoch, ver: strMap[e.ver], rel: strMap[e.rel]})
	}
	// Dependencies are copied in one block; records shift by its offset.
	off := uint32(len(u.pool.deps)) - 1
	for _, d := range from.deps[1:] {
		u.pool.deps = append(u.pool.deps, depRec{name: strMap[d.name], evr: evrMap[d.evr], flags: d.flags, phase: d.phase})
	}
	for _, r := range part.pkgs {
		r.name, r.arch, r.evr = strMap[r.name], strMap[r.arch], evrMap[r.evr]
		r.dep, r.prov, r.req, r.con, r.obs = r.dep+off, r.prov+off, r.req+off, r.con+off, r.obs+off
		r.repo, r.srpm, r.loc, r.sumType, r.sumHex = strMap[r.repo], strMap[r.srpm], strMap[r.loc], strMap[r.sumType], strMap[r.sumHex]
		files := make([]strID, len(r.files))
		for k, f := range r.files {
			files[k] = strMap[f]
		}
		r.files = files
		u.pkgs = append(u.pkgs, r)
	}
	return first
}

// namedBy: does spec name package k by NEVRA form, or by something it
// provides (a file path included)?
func (u *Universe) namedBy(k int, spec string) bool {
	r := &u.pkgs[k]
	pl := u.pool
	if nevraMatches(pl.strs[r.name], pl.evr(r.evr), pl.strs[r.arch], spec) {
		return true
	}
	id, ok := pl.lookup(spec)
	if !ok {
		return false
	}
	for _, d := range pl.deps[r.dep:r.prov] {
		if d.name == id {
			return true
		}
	}
	return strings.HasPrefix(spec, "/") && slices.Contains(r.files, id)
}

// checked makes checkRepoPackage's checks of the part's packages without
// materialising them, checking each distinct name part once.
func (rp *repoPart) checked() bool {
	ok := map[strID]bool{}
	part := func(what string, id strID) bool {
		if ok[id] {
			return true
		}
		ok[id] = CheckNamePart(what, rp.pool.strs[id]) == nil
		return ok[id]
	}
	for i := range rp.pkgs {
		r := &rp.pkgs[i]
		e := rp.pool.evrs[r.evr]
		// CheckNamePart refuses "", so no part may be empty but the release.
		if !part("package name", r.name) || !part("version", e.ver) || !part("arch", r.arch) ||
			(e.rel != 0 && !part("release", e.rel)) {
			return false
		}
		if CheckHref(rp.pool.strs[r.loc]) != nil || r.size < 0 || r.hdrStart < 0 || r.hdrEnd < r.hdrStart {
			return false
		}
	}
	return true
}
