package resolver

// The solver works on ids, as libsolv's Pool does: every name, version,
// release and arch string is interned once, an EVR is three ints, a
// dependency is (name, flags, evr) ids, and a package is a record of ids
// with its dependencies as ranges of one shared slice. Comparing names or
// EVRs for equality is then comparing ints, a dependency takes 12 bytes
// instead of Dep's 64, and the whatprovides index is two int slices.

// strID is an interned string; 0 is "".
type strID uint32

// evrID is an interned EVR; 0 is the empty EVR of an unversioned dependency.
type evrID uint32

// evrRec is an EVR of ids.
type evrRec struct {
	epoch    int64
	ver, rel strID
}

// depRec is a dependency of ids. Flags are only ever Less|Greater|Equal
// (every reader masks them), so a byte holds them.
type depRec struct {
	name  strID
	evr   evrID
	flags uint8
	phase Phase
}

// pkgRec is a package of ids. Its dependencies are deps[dep:prov],
// deps[prov:req], deps[req:con] and deps[con:obs] of the pool: provides,
// requires, conflicts, obsoletes.
type pkgRec struct {
	name, arch strID
	evr        evrID
	dep, prov  uint32
	req, con   uint32
	obs        uint32
}

// idPool holds the interned strings and EVRs and the records built from them.
type idPool struct {
	strs   []string
	strIdx strIndex
	evrs   []evrRec
	evrIdx map[evrRec]evrID
	// deps[0] is a placeholder, so that dependency index 0 means "none".
	deps []depRec
}

func newIDPool(sizeHint int) *idPool {
	sizeHint = max(sizeHint, 8)
	return &idPool{
		strs: make([]string, 1, sizeHint),
		evrs: make([]evrRec, 1, sizeHint/4),
		deps: make([]depRec, 1, 4*sizeHint),
	}
}

// index builds the look-ups from strings and EVRs to ids, the first time
// they are needed: a pool loaded from the parsed cache has its ids already,
// and a solve needs only a few look-ups.
func (p *idPool) index() {
	if p.evrIdx != nil {
		return
	}
	p.strIdx.build(p.strs)
	p.evrIdx = make(map[evrRec]evrID, len(p.evrs))
	for i, e := range p.evrs {
		p.evrIdx[e] = evrID(i)
	}
}

// intern returns s's id, adding it when new.
func (p *idPool) intern(s string) strID {
	p.index()
	if id, ok := p.strIdx.find(p.strs, s); ok {
		return id
	}
	p.strs = append(p.strs, s)
	return p.strIdx.add(p.strs, strID(len(p.strs)-1))
}

// internBytes is intern for a []byte, copying it only when new.
func (p *idPool) internBytes(b []byte) strID {
	p.index()
	if id, ok := p.strIdx.findBytes(p.strs, b); ok {
		return id
	}
	p.strs = append(p.strs, string(b))
	return p.strIdx.add(p.strs, strID(len(p.strs)-1))
}

// lookup returns s's id, or false when no record uses s.
func (p *idPool) lookup(s string) (strID, bool) {
	p.index()
	return p.strIdx.find(p.strs, s)
}

func (p *idPool) internEVR(e EVR) evrID {
	return p.internEVRRec(evrRec{epoch: int64(e.Epoch), ver: p.intern(e.Version), rel: p.intern(e.Release)})
}

func (p *idPool) internEVRRec(r evrRec) evrID {
	p.index()
	if id, ok := p.evrIdx[r]; ok {
		return id
	}
	id := evrID(len(p.evrs))
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
	r.dep = uint32(len(p.deps))
	for _, d := range pkg.Provides {
		p.deps = append(p.deps, p.internDep(d))
	}
	r.prov = uint32(len(p.deps))
	for _, d := range pkg.Requires {
		p.deps = append(p.deps, p.internDep(d))
	}
	r.req = uint32(len(p.deps))
	for _, d := range pkg.Conflicts {
		p.deps = append(p.deps, p.internDep(d))
	}
	r.con = uint32(len(p.deps))
	for _, d := range pkg.Obsoletes {
		p.deps = append(p.deps, p.internDep(d))
	}
	r.obs = uint32(len(p.deps))
	return r
}

// evr materialises an EVR.
func (p *idPool) evr(id evrID) EVR {
	r := p.evrs[id]
	return EVR{Epoch: int(r.epoch), Version: p.strs[r.ver], Release: p.strs[r.rel]}
}

// dep materialises the dependency at index k of deps.
func (p *idPool) dep(k int32) Dep {
	d := p.deps[k]
	return Dep{Name: p.strs[d.name], Flags: Flags(d.flags), Phase: d.phase, EVR: p.evr(d.evr)}
}

// cmpEVR orders two EVRs as EVR.Compare does.
func (p *idPool) cmpEVR(a, b evrID) int {
	if a == b {
		return 0
	}
	x, y := p.evrs[a], p.evrs[b]
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
	return Vercmp(p.strs[a], p.strs[b])
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
	pe, re := p.evrs[pr.evr], p.evrs[r.evr]
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

// csr is an index from ids to lists of package ids, as two slices: the
// list of id k is list[start[k]:start[k+1]]. It is built once, in two
// passes (count, then fill), with no per-key allocation.
type csr struct {
	start []uint32
	list  []int32
}

// newCSR builds the index over keys 0..nkeys-1 from each(emit), which must
// call emit(key, pkg) the same way both times it runs, with ascending pkg;
// a repeated (key, pkg) is kept once.
func newCSR(nkeys int, each func(emit func(key uint32, pkg int32))) csr {
	c := csr{start: make([]uint32, nkeys+1)}
	last := make([]int32, nkeys)
	each(func(k uint32, pkg int32) {
		if last[k] != pkg {
			last[k] = pkg
			c.start[k+1]++
		}
	})
	for k := 1; k <= nkeys; k++ {
		c.start[k] += c.start[k-1]
	}
	c.list = make([]int32, c.start[nkeys])
	fill := make([]uint32, nkeys)
	copy(fill, c.start[:nkeys])
	clear(last)
	each(func(k uint32, pkg int32) {
		if last[k] != pkg {
			last[k] = pkg
			c.list[fill[k]] = pkg
			fill[k]++
		}
	})
	return c
}

// of returns key k's packages; the caller must not change them.
func (c *csr) of(k strID) []int32 {
	if int(k)+1 >= len(c.start) {
		return nil
	}
	return c.list[c.start[k]:c.start[k+1]:c.start[k+1]]
}
