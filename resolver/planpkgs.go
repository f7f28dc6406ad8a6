package resolver

import (
	"slices"
	"strings"

	"github.com/rpmvault/rpmvault/resolver/rpmmd"
)

// planMaker materialises a plan's packages together, in three passes,
// where making them one by one (Universe.pkg) reads each package's
// strings where they lie:
//
//  1. the records, dependencies and paths of the packages are copied out
//     of the pool, in ascending package order, and the strings they name
//     are noted;
//  2. those strings are copied, each once, in ascending id order, into
//     one arena: a parsed-cache entry numbers strings in the order a solve
//     reads them, so this reads its string table front to back, touching
//     each page once, and the pages read are released as it goes;
//  3. the *Package records are built from the copies, reading nothing of
//     the entry, with one slice each of Deps, paths and Packages cut into
//     per-package pieces.
//
// The strings are then the heap's own, as materialise makes them (see
// there), but a string the plan names many times (libc.so.6()(64bit)) is
// one copy, not one per package.
type planMaker struct {
	pool  *idPool
	u     *Universe
	slots []planSlot
	deps  []depRec // the slots' dependencies, slot by slot
	files []strID  // the slots' paths, slot by slot
	// ids are the strings wanted, sorted and unique once noted: the
	// base's (below pool.nbs) in the entry's order, then the heap's;
	// string ids[k] is arena[offs[k]:offs[k+1]].
	ids   []strID
	offs  []uint32
	arena string
	// read counts the records read since the entry was last released.
	read int
}

// planSlot is one package to materialise: a universe record's copy, with
// its dependencies at deps[dep:dep+ndeps] and its paths at
// files[file:file+nfiles] of the maker.
type planSlot struct {
	rec           uniPkg
	k             int32 // universe index
	dep, file     int
	ndep, nfile   int
	installedRepo bool
}

// planReleaseEvery is how many records planMaker.add reads between
// releases of a mapped entry: they are read in ascending order, so the
// pages resident are the few around the last ones read, with their
// reldeps.
const planReleaseEvery = 256

// planArenaRelease is how far planMaker reads into the entry's strings
// between releases of the entry.
const planArenaRelease = 512 << 10

// want notes string id for the arena.
func (m *planMaker) want(id strID) {
	if id != 0 {
		m.ids = append(m.ids, id)
	}
}

// wantEVR notes the strings of EVR id.
func (m *planMaker) wantEVR(id evrID) {
	e := m.pool.evrRec(id)
	m.want(e.ver)
	m.want(e.rel)
}

// wantDep notes the strings of dependency d.
func (m *planMaker) wantDep(d depRec) {
	m.want(d.name)
	m.wantEVR(d.evr)
}

// add notes universe package k and returns its slot. installed says it
// is to be materialised as an installed package.
func (m *planMaker) add(k int32, installed bool) int {
	pl := m.pool
	if pl.base.release != nil {
		if m.read++; m.read%planReleaseEvery == 0 {
			pl.releaseBase()
		}
	}
	r := m.u.pkgs[k]
	sl := planSlot{rec: r, k: k, dep: len(m.deps), file: len(m.files), installedRepo: installed}
	for _, id := range []strID{r.name, r.arch, r.srpm, r.repo, r.loc, r.sumType, r.sumHex} {
		m.want(id)
	}
	m.wantEVR(r.evr)
	for j := r.dep; j < r.obs; j++ {
		d := pl.depAt(j)
		m.deps = append(m.deps, d)
		m.wantDep(d)
	}
	for _, f := range pl.filesOf(&r) {
		m.files = append(m.files, f)
		m.want(f)
	}
	sl.ndep, sl.nfile = len(m.deps)-sl.dep, len(m.files)-sl.file
	m.slots = append(m.slots, sl)
	return len(m.slots) - 1
}

// copyStrings is the second pass: the noted strings into the arena.
func (m *planMaker) copyStrings() {
	slices.Sort(m.ids)
	m.ids = slices.Clip(slices.Compact(m.ids))
	pl := m.pool
	total := 0
	for _, id := range m.ids {
		total += len(pl.str(id))
	}
	// The offsets just read are what the copy reads again: the copy
	// faults them back a few at a time, as it releases.
	pl.releaseBase()
	var sb strings.Builder
	sb.Grow(total)
	m.offs = make([]uint32, len(m.ids)+1)
	last := uint32(0)
	for k, id := range m.ids {
		// Heap strings (ids from nbs on) are copied too: a view of the
		// pool's arena would keep its chunk alive as long as the plan.
		sb.WriteString(pl.str(id))
		m.offs[k+1] = uint32(sb.Len())
		if uint32(id) < pl.nbs {
			if from := pl.base.strOff[id]; from-last >= planArenaRelease {
				pl.releaseBase()
				last = from
			}
		}
	}
	m.arena = sb.String()
	pl.releaseBase()
}

// str is string id's value, from the arena.
func (m *planMaker) str(id strID) string {
	if id == 0 {
		return ""
	}
	k, ok := slices.BinarySearch(m.ids, id)
	if !ok {
		// Every string the third pass reads was noted in the first; were
		// one not, its copy is still the right value.
		return m.pool.copied(id)
	}
	return m.arena[m.offs[k]:m.offs[k+1]]
}

func (m *planMaker) evr(id evrID) EVR {
	e := m.pool.evrRec(id)
	return EVR{Epoch: int(e.epoch), Version: m.str(e.ver), Release: m.str(e.rel)}
}

func (m *planMaker) dep(d depRec) Dep {
	return Dep{Name: m.str(d.name), Flags: Flags(d.flags), Phase: d.phase, EVR: m.evr(d.evr)}
}

// packages is the third pass: the slots' *Package records, as
// materialise makes them (with deps), in slot order.
func (m *planMaker) packages() []*Package {
	pkgs := make([]Package, len(m.slots))
	deps := make([]Dep, len(m.deps))
	for k, d := range m.deps {
		deps[k] = m.dep(d)
	}
	nfiles := len(m.files)
	for _, sl := range m.slots {
		nfiles += len(m.u.added[sl.k])
	}
	files := make([]string, 0, nfiles)
	out := make([]*Package, len(m.slots))
	for k, sl := range m.slots {
		r := &sl.rec
		p := &pkgs[k]
		*p = Package{
			Name: m.str(r.name), EVR: m.evr(r.evr), Arch: m.str(r.arch),
			SourceRPM: m.str(r.srpm), Repo: m.str(r.repo), Location: m.str(r.loc),
			Checksum: rpmmd.Checksum{Type: m.str(r.sumType), Hex: m.str(r.sumHex)},
			Size:     r.size, HeaderStart: r.hdrStart, HeaderEnd: r.hdrEnd,
			FullFiles: r.fullFiles || m.pool.fullRepos[r.repo],
		}
		if sl.installedRepo {
			p.Repo = InstalledRepo
		}
		// Full slice expressions: appending to one package's list must
		// not write into the next one's.
		cut := func(from, to uint32) []Dep {
			if from == to {
				return nil
			}
			a, b := sl.dep+int(from-r.dep), sl.dep+int(to-r.dep)
			return deps[a:b:b]
		}
		p.Provides, p.Requires = cut(r.dep, r.prov), cut(r.prov, r.req)
		p.Conflicts, p.Obsoletes = cut(r.req, r.con), cut(r.con, r.obs)
		if added := m.u.added[sl.k]; sl.nfile+len(added) > 0 {
			from := len(files)
			for _, f := range m.files[sl.file : sl.file+sl.nfile] {
				files = append(files, m.str(f))
			}
			files = append(files, added...)
			p.Files = files[from:len(files):len(files)]
		}
		out[k] = p
	}
	return out
}
