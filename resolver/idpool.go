package resolver

import (
	"iter"
	"strings"
	"unsafe"
)

// The solver works on ids, as libsolv's Pool does: every name, version,
// release and arch string is interned once, an EVR is three ints, a
// dependency is (name, flags, evr) ids, and a package is a record of ids
// with its dependencies as ranges of one shared table. Comparing names or
// EVRs for equality is then comparing ints, and a dependency takes 12
// bytes instead of Dep's 64.
//
// A pool has two layers. The base is a parsed-cache entry read in place
// (see parsedcache.go): its tables are the entry's bytes, mapped from the
// file, so loading it copies nothing and only the pages a solve touches
// are ever read. Everything interned after it (the request, the installed
// set, another repo merged in, or a whole repo parsed from XML, whose pool
// has no base) is on the heap, with ids following the base's. A range of
// a package's dependencies or files is always all in one layer.

// strID is an interned string; 0 is "".
type strID uint32

// evrID is an interned EVR; 0 is the empty EVR of an unversioned dependency.
type evrID uint32

// evrRec is an EVR of ids. Its layout is the parsed cache's (16 bytes).
type evrRec struct {
	epoch    int64
	ver, rel strID
}

// depRec is a dependency of ids. Flags are only ever Less|Greater|Equal
// (every reader masks them), so a byte holds them. Its layout is the
// parsed cache's (12 bytes, the last two zero).
type depRec struct {
	name  strID
	evr   evrID
	flags uint8
	phase Phase
}

// pkgRec is a package of ids. Its dependencies are the dependency
// positions [dep,prov), [prov,req), [req,con) and [con,obs) of the pool:
// provides, requires, conflicts, obsoletes.
type pkgRec struct {
	name, arch strID
	evr        evrID
	dep, prov  uint32
	req, con   uint32
	obs        uint32
}

// idPool holds the interned strings and EVRs and the records built from them.
type idPool struct {
	base poolBase
	// nbs, nbe, nbd and nbf are the base's string, EVR, dependency and
	// file counts: the first heap id of each.
	nbs, nbe, nbd, nbf uint32

	strs   strArena // strings from nbs on
	strIdx strIndex // over strs, by their index in it
	evrs   []evrRec // EVRs from nbe on
	// evrIdx finds every EVR, the base's included; it is built on the
	// first look-up (index), as a warm solve may need none.
	evrIdx map[evrRec]evrID
	// deps are dependency positions from nbd on. Position 0 is a
	// placeholder, so that dependency index 0 means "none".
	deps         []depRec
	files        []strID // file positions from nbf on
	materialised int     // packages materialise made, for releasing the base
	// fullRepos are the repos whose every package has its full file list
	// (as their records' fullFiles would say): a parsed-cache entry's
	// file lists set it for the repo rather than writing every record.
	fullRepos map[strID]bool
	// uidx is the look-ups of the universe whose pool this is, once built
	// (Universe.index), in the pool's ids; the parsed-cache writer of a
	// repo that is the whole universe renumbers its lists instead of
	// building them again (see writeParsedIndexed). uidxOf is the first
	// package of the universe's slice, to tell it from another's.
	uidx   *uniIndex
	uidxOf *uniPkg
}

// poolBase is a parsed-cache entry's tables, read in place. The bytes
// they view stay valid for the life of the process (see readParsed).
type poolBase struct {
	blob     string   // every string's bytes
	strOff   []uint32 // string k is blob[strOff[k]:strOff[k+1]]
	strSlots []uint32 // open-addressing index of the strings (cacheHash): id+1, 0 empty
	evrs     []evrRec
	rels     []depRec // the distinct dependencies, libsolv's reldeps
	depIDs   []uint32 // dependency positions, as indexes into rels
	files    []strID  // file positions
	// idx is the entry's look-ups by name, valid for a universe of its
	// packages alone; nil on the heap.
	idx *uniIndex
	// release drops the process's mapping of the entry's sections (see
	// mapping.done); nil when there is nothing to drop. The sections but
	// the package records are views nothing writes to, so their pages
	// are the file's and reading them again maps them again. A record may
	// have been written, which only this process's copy of its page
	// holds: of the records, only the pages still the file's are dropped
	// (mapping.releaseClean).
	release func()
}

// releaseEvery is how many packages materialise makes between releases
// of a mapped base (see materialise).
const releaseEvery = 64

// rulesReleaseEvery is how many packages rule generation reads between
// releases of a mapped base (see solver.pkgRules).
const rulesReleaseEvery = 1024

// copied returns string id's value as a string of its own: not a view of
// the mapped entry (see materialise) nor of the heap's arena, whose chunk
// it would keep alive.
func (p *idPool) copied(id strID) string {
	return strings.Clone(p.str(id))
}

// releaseBase drops the pages of the base's read-only sections, when it
// has a mapping: between the phases of a resolve, so that the next one
// has resident only what it reads. See poolBase.release.
func (p *idPool) releaseBase() {
	if p.base.release != nil {
		p.base.release()
	}
}

func newIDPool(sizeHint int) *idPool {
	sizeHint = max(sizeHint, 8)
	return &idPool{
		strs: newStrArena(sizeHint),
		evrs: make([]evrRec, 1, sizeHint/4),
		deps: make([]depRec, 1, 4*sizeHint),
	}
}

// str returns string id's value. A base string is a view of the entry's
// bytes, not a copy.
func (p *idPool) str(id strID) string {
	if uint32(id) < p.nbs {
		return p.base.blob[p.base.strOff[id]:p.base.strOff[id+1]]
	}
	return p.strs.at(uint32(id) - p.nbs)
}

// nstrs is how many strings the pool has.
func (p *idPool) nstrs() int { return int(p.nbs) + p.strs.len() }

func (p *idPool) evrRec(id evrID) evrRec {
	if uint32(id) < p.nbe {
		return p.base.evrs[id]
	}
	return p.evrs[uint32(id)-p.nbe]
}

func (p *idPool) nevrs() int { return int(p.nbe) + len(p.evrs) }

// depAt returns the dependency at position k.
func (p *idPool) depAt(k uint32) depRec {
	if k < p.nbd {
		return p.base.rels[p.base.depIDs[k]]
	}
	return p.deps[k-p.nbd]
}

// depRange yields the dependencies at positions [from,to).
func (p *idPool) depRange(from, to uint32) iter.Seq[depRec] {
	return func(yield func(depRec) bool) {
		for k := from; k < to; k++ {
			if !yield(p.depAt(k)) {
				return
			}
		}
	}
}

func (p *idPool) ndeps() uint32 { return p.nbd + uint32(len(p.deps)) }

// addDep appends d as a new dependency position and returns it.
func (p *idPool) addDep(d depRec) uint32 {
	p.deps = append(p.deps, d)
	return p.ndeps() - 1
}

// filesOf returns r's known paths; the caller must not change them.
func (p *idPool) filesOf(r *uniPkg) []strID {
	if r.files == r.filesEnd {
		return nil
	}
	if r.filesEnd <= p.nbf {
		return p.base.files[r.files:r.filesEnd:r.filesEnd]
	}
	return p.files[r.files-p.nbf : r.filesEnd-p.nbf : r.filesEnd-p.nbf]
}

// setFiles gives r the paths ids, appended to the heap's file positions.
func (p *idPool) setFiles(r *uniPkg, ids []strID) {
	r.files = p.nbf + uint32(len(p.files))
	p.files = append(p.files, ids...)
	r.filesEnd = p.nbf + uint32(len(p.files))
}

// index builds the look-ups from strings and EVRs to ids, the first time
// they are needed: a pool loaded from the parsed cache has its ids already,
// and a solve needs only a few look-ups.
func (p *idPool) index() {
	if p.evrIdx != nil {
		return
	}
	p.strIdx.build(&p.strs)
	p.evrIdx = make(map[evrRec]evrID, p.nevrs())
	for i := range p.nevrs() {
		p.evrIdx[p.evrRec(evrID(i))] = evrID(i)
	}
}

// intern returns s's id, adding it when new.
func (p *idPool) intern(s string) strID {
	if id, ok := p.lookup(s); ok {
		return id
	}
	return p.strIdx.add(&p.strs, strID(p.strs.add(unsafe.Slice(unsafe.StringData(s), len(s))))) + strID(p.nbs)
}

// internBytes is intern for a []byte, copying it only when new.
func (p *idPool) internBytes(b []byte) strID {
	p.index()
	if id, ok := p.base.find(bytesView(b)); ok {
		return id
	}
	return p.strIdx.internBytes(&p.strs, b) + strID(p.nbs)
}

// lookup returns s's id, or false when no record uses s.
func (p *idPool) lookup(s string) (strID, bool) {
	p.index()
	if id, ok := p.base.find(s); ok {
		return id, true
	}
	id, ok := p.strIdx.find(&p.strs, s)
	return id + strID(p.nbs), ok
}

func (p *idPool) internEVR(e EVR) evrID {
	return p.internEVRRec(evrRec{epoch: int64(e.Epoch), ver: p.intern(e.Version), rel: p.intern(e.Release)})
}

func (p *idPool) internEVRRec(r evrRec) evrID {
	p.index()
	if id, ok := p.evrIdx[r]; ok {
		return id
	}
	id := evrID(p.nevrs())
	p.evrs = append(p.evrs, r)
	p.evrIdx[r] = id
	return id
}

// internDep returns d as ids, interning what is new.
func (p *idPool) internDep(d Dep) depRec {
	r := depRec{name: p.intern(d.Name), flags: uint8(d.Flags & (Less | Greater | Equal)), phase: d.Phase}
	if d.EVR != (EVR{}) {
		r.evr = p.internEVR(d.EVR) // kept even without flags, as the record had it
	}
	return r
}

// lookupDep returns d as ids without interning; false when its name is
// unknown (then nothing provides it).
func (p *idPool) lookupDep(d Dep) (depRec, bool) {
	name, ok := p.lookup(d.Name)
	if !ok {
		return depRec{}, false
	}
	r := depRec{name: name, flags: uint8(d.Flags & (Less | Greater | Equal)), phase: d.Phase}
	if d.EVR == (EVR{}) {
		return r, true
	}
	// An EVR no record has is interned: it only costs an entry.
	r.evr = p.internEVR(d.EVR)
	return r, true
}

// addPkg appends pkg's record, interning its strings.
func (p *idPool) addPkg(pkg *Package) pkgRec {
	r := pkgRec{name: p.intern(pkg.Name), arch: p.intern(pkg.Arch), evr: p.internEVR(pkg.EVR)}
	r.dep = p.ndeps()
	for _, d := range pkg.Provides {
		p.deps = append(p.deps, p.internDep(d))
	}
	r.prov = p.ndeps()
	for _, d := range pkg.Requires {
		p.deps = append(p.deps, p.internDep(d))
	}
	r.req = p.ndeps()
	for _, d := range pkg.Conflicts {
		p.deps = append(p.deps, p.internDep(d))
	}
	r.con = p.ndeps()
	for _, d := range pkg.Obsoletes {
		p.deps = append(p.deps, p.internDep(d))
	}
	r.obs = p.ndeps()
	return r
}

// evr materialises an EVR.
func (p *idPool) evr(id evrID) EVR {
	r := p.evrRec(id)
	return EVR{Epoch: int(r.epoch), Version: p.str(r.ver), Release: p.str(r.rel)}
}

// dep materialises the dependency at position k, with strings of its own
// (see materialise): it goes into reasons and messages.
func (p *idPool) dep(k int32) Dep {
	d := p.depAt(uint32(k))
	e := p.evrRec(d.evr)
	return Dep{Name: p.copied(d.name), Flags: Flags(d.flags), Phase: d.phase,
		EVR: EVR{Epoch: int(e.epoch), Version: p.copied(e.ver), Release: p.copied(e.rel)}}
}

// cmpEVR orders two EVRs as EVR.Compare does.
func (p *idPool) cmpEVR(a, b evrID) int {
	if a == b {
		return 0
	}
	x, y := p.evrRec(a), p.evrRec(b)
	if x.epoch != y.epoch {
		if x.epoch < y.epoch {
			return -1
		}
		return 1
	}
	if c := p.vercmp(x.ver, y.ver); c != 0 {
		return c
	}
	return p.vercmp(x.rel, y.rel)
}

func (p *idPool) vercmp(a, b strID) int {
	if a == b {
		return 0
	}
	return Vercmp(p.str(a), p.str(b))
}

// satisfies is Dep.Satisfies on ids: does provide pr meet requirement r?
func (p *idPool) satisfies(pr, r depRec) bool {
	if pr.name != r.name {
		return false
	}
	rf, pf := Flags(r.flags), Flags(pr.flags)
	if rf == 0 || pf == 0 {
		return true
	}
	if pf&rf&(Less|Greater) != 0 {
		return true // two ranges open the same way always meet
	}
	pe, re := p.evrRec(pr.evr), p.evrRec(r.evr)
	c := 0
	switch {
	case pe.epoch != re.epoch:
		c = 1
		if pe.epoch < re.epoch {
			c = -1
		}
	default:
		c = p.vercmp(pe.ver, re.ver)
	}
	if c == 0 {
		switch {
		case pe.rel == 0 && re.rel != 0:
			return pf&Equal != 0
		case pe.rel != 0 && re.rel == 0:
			return rf&Equal != 0
		}
		c = p.vercmp(pe.rel, re.rel)
	}
	switch {
	case c < 0:
		return pf&Greater != 0 || rf&Less != 0
	case c > 0:
		return pf&Less != 0 || rf&Greater != 0
	}
	return pf&rf&Equal != 0
}
