package resolver

import (
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"strings"
	"unsafe"
)

// The parsed cache holds one repo's packages as the id pool holds them (the
// role libsolv's .solv files play), in the pool's own layout: fixed-width
// little-endian records and arrays, each section 8-byte aligned, so that
// on a little-endian host the entry is used where it lies (mapped from
// the file, see readParsed) with no decoding and no copy. Layout:
//
//	magic    "rpmvault-parsed 6\n"
//	counts   uint32 packages, strings, string bytes, EVRs, reldeps,
//	         dependency positions, file positions, index slots,
//	         whatprovides entries, file owners, file dependencies
//	packages uniPkg records (88 bytes each)
//	evrs     evrRec records (16 bytes); EVR 0 is empty
//	reldeps  the distinct dependencies, depRec records (12 bytes)
//	deps     one uint32 reldep index per dependency position, package by
//	         package; position 0 is a placeholder (index 0 means none)
//	files    one string id per file position, package by package
//	offsets  nstrings+1 uint32s: string k is bytes[offsets[k]:offsets[k+1]]
//	index    the strings' open-addressing table (cacheHash): id+1, 0 empty
//	bytes    the strings' bytes; string 0 is "", and the strings are
//	         numbered as the solver reads them (names and EVRs first, then
//	         what only fetching needs, then paths), so the pages a solve
//	         touches are few
//	by name  the packages of each name, a csr by string id: nstrings+1
//	         uint32 starts, then one int32 package index per package
//	provides the packages providing each name (their own included), a csr
//	files    the packages listing each path, a csr
//	filedeps the string ids of the paths anything requires, conflicts
//	         with or obsoletes, ascending
//	sha256   of everything before it
//
// The indexes are built once, here, so that a solve reads the lists of
// the names it meets instead of building them for every package.
//
// Each section starts at the next multiple of 8 bytes from the file's
// start, after zero padding.
// The version went to 6 when checksum types were first normalised: an
// entry of 5 may hold old createrepo's "sha" where "sha1" is meant.
const (
	parsedMagicPrefix = "rpmvault-parsed "
	parsedMagic       = parsedMagicPrefix + "6\n"
	parsedCounts      = 11
	parsedNSections   = 15
	parsedPkgSize     = 88 // unsafe.Sizeof(uniPkg{}), checked in parsedLayoutOK
)

// parsedSections are the sizes in bytes of an entry's sections, in order,
// for its counts (see parsedSectionNames).
func parsedSections(c [parsedCounts]uint32) [parsedNSections]uint64 {
	n := func(k int) uint64 { return uint64(c[k]) }
	starts := (n(1) + 1) * 4
	return [parsedNSections]uint64{n(0) * parsedPkgSize, n(3) * 16, n(4) * 12, n(5) * 4, n(6) * 4, starts, n(7) * 4, n(2),
		starts, n(0) * 4, starts, n(8) * 4, starts, n(9) * 4, n(10) * 4}
}

var parsedSectionNames = [parsedNSections]string{"packages", "EVRs", "reldeps", "deps", "files", "string offsets", "string index", "string bytes",
	"by-name starts", "by-name list", "whatprovides starts", "whatprovides list", "file-owner starts", "file-owner list", "file deps"}

func align8(n uint64) uint64 { return (n + 7) &^ 7 }

// parsedWriter numbers what an entry holds: strings and EVRs renumbered
// for these packages only, and the distinct dependencies.
type parsedWriter struct {
	pool   *idPool
	strMap []uint32 // pool id -> entry id; 0: not yet (string 0 is "" in both)
	evrMap []uint32
	strs   []strID
	evrs   []evrRec
	rels   relTable
}

// relOf returns the entry's index of the dependency at pool position k,
// adding it when new.
func (w *parsedWriter) relOf(k uint32) uint32 {
	d := w.pool.depAt(k)
	return w.rels.id(depRec{name: strID(w.str(d.name)), evr: evrID(w.evr(d.evr)), flags: d.flags, phase: d.phase})
}

func (w *parsedWriter) str(id strID) uint32 {
	if id == 0 {
		return 0
	}
	if w.strMap[id] == 0 {
		w.strs = append(w.strs, id)
		w.strMap[id] = uint32(len(w.strs) - 1)
	}
	return w.strMap[id]
}

func (w *parsedWriter) evr(id evrID) uint32 {
	if id == 0 {
		return 0
	}
	if w.evrMap[id] == 0 {
		e := w.pool.evrRec(id)
		w.evrs = append(w.evrs, evrRec{epoch: e.epoch, ver: strID(w.str(e.ver)), rel: strID(w.str(e.rel))})
		w.evrMap[id] = uint32(len(w.evrs) - 1)
	}
	return w.evrMap[id]
}

// writeParsed encodes pkgs, all of one repo, from pool. When they are
// all of the pool's universe and its look-ups are built, the entry's are
// renumbered from them.
func writeParsed(out io.Writer, pool *idPool, pkgs []uniPkg) error {
	var idx *uniIndex
	if len(pkgs) > 0 && &pkgs[0] == pool.uidxOf {
		idx = pool.uidx
	}
	return writeParsedIndexed(out, pool, pkgs, func() *uniIndex { return idx })
}

// writeParsedIndexed is writeParsed given lookups, which returns the
// look-ups of a universe of exactly pkgs in pool's ids (Universe.index)
// or nil: the entry's by-name and whatprovides lists are then those lists
// renumbered, not built again. A cold resolve writes its entry beside
// the solve, which builds them; on two cores building them again cost as
// much as the solve. lookups is called once the entry's strings and
// dependencies are numbered, so that numbering them runs while the
// universe's look-ups are built (see Universe.startSaving).
func writeParsedIndexed(out io.Writer, pool *idPool, pkgs []uniPkg, lookups func() *uniIndex) error {
	// Sized once: grown by append, these tables were copied over and over
	// and left several times their size as garbage beside a cold solve.
	// The generated 60,000-package repo has one distinct dependency in
	// three (212,000 of 659,000); too small a guess costs a rehash.
	ndeps, nfiles := 0, 0
	for i := range pkgs {
		ndeps += int(pkgs[i].obs - pkgs[i].dep)
		nfiles += len(pool.filesOf(&pkgs[i]))
	}
	w := &parsedWriter{pool: pool, strMap: make([]uint32, pool.nstrs()), evrMap: make([]uint32, pool.nevrs()),
		strs: append(make([]strID, 0, pool.nstrs()), 0), evrs: []evrRec{{}}, rels: newRelTable(ndeps / 3)}
	// Strings a solve reads first: names, arches, EVRs, dependencies.
	for i := range pkgs {
		w.str(pkgs[i].name)
		w.str(pkgs[i].arch)
		w.evr(pkgs[i].evr)
	}
	// Each position's dependency index, kept for the deps section:
	// looking each up again as it was written was a third of the writer's
	// time, the table's reads at random. The table goes as soon as the
	// numbering is done, and the kept indexes, once written, become the
	// string index's table.
	ids := make([]uint32, 1, ndeps+1)
	for i := range pkgs {
		for k := pkgs[i].dep; k < pkgs[i].obs; k++ {
			ids = append(ids, w.relOf(k))
		}
	}
	w.rels.slots = nil
	// Then what only fetching and the lock read, then paths.
	for i := range pkgs {
		p := &pkgs[i]
		w.str(p.repo)
		w.str(p.srpm)
		w.str(p.loc)
		w.str(p.sumType)
		w.str(p.sumHex)
	}
	for i := range pkgs {
		for _, f := range pool.filesOf(&pkgs[i]) {
			w.str(f)
		}
	}
	rels := w.rels.rels

	blob := 0
	for _, id := range w.strs {
		blob += len(pool.str(id))
	}
	if uint64(blob) > 1<<31 || ndeps >= 1<<30 {
		return fmt.Errorf("parsed cache: repo too large for an entry")
	}
	var idx *uniIndex
	if lookups != nil {
		idx = lookups()
	}
	if idx != nil && idx.npkgs != len(pkgs) {
		idx = nil
	}
	ents := w.indexes(pkgs, idx, nfiles)
	slots := cacheSlots(len(w.strs))
	counts := [parsedCounts]uint32{uint32(len(pkgs)), uint32(len(w.strs)), uint32(blob), uint32(len(w.evrs)),
		uint32(len(rels)), uint32(ndeps + 1), uint32(nfiles), uint32(slots),
		uint32(ents.nProv), uint32(len(ents.owners)), uint32(len(ents.fileDeps))}

	bw := newEntrySink(out)
	defer bw.close(true)
	bw.WriteString(parsedMagic)
	for _, c := range counts {
		bw.word(c)
	}
	// Packages, numbered into the entry: dependency and file positions
	// restart at the entry's.
	bw.align()
	dep, file := uint32(1), uint32(0)
	rec := make([]byte, parsedPkgSize)
	for i := range pkgs {
		p := &pkgs[i]
		nf := uint32(len(pool.filesOf(p)))
		q := uniPkg{
			pkgRec: pkgRec{name: strID(w.strMap[p.name]), arch: strID(w.strMap[p.arch]), evr: evrID(w.evrMap[p.evr]),
				dep: dep, prov: dep + p.prov - p.dep, req: dep + p.req - p.dep, con: dep + p.con - p.dep, obs: dep + p.obs - p.dep},
			repo: strID(w.strMap[p.repo]), srpm: strID(w.strMap[p.srpm]), loc: strID(w.strMap[p.loc]),
			sumType: strID(w.strMap[p.sumType]), sumHex: strID(w.strMap[p.sumHex]),
			files: file, filesEnd: file + nf, fullFiles: p.fullFiles,
			size: p.size, hdrStart: p.hdrStart, hdrEnd: p.hdrEnd,
		}
		dep, file = q.obs, file+nf
		bw.Write(encodePkg(rec, &q))
	}
	bw.align()
	for _, e := range w.evrs {
		bw.word(uint32(e.epoch))
		bw.word(uint32(uint64(e.epoch) >> 32))
		bw.word(uint32(e.ver))
		bw.word(uint32(e.rel))
	}
	bw.align()
	for _, d := range rels {
		bw.word(uint32(d.name))
		bw.word(uint32(d.evr))
		bw.word(uint32(d.flags) | uint32(d.phase)<<8)
	}
	bw.align()
	bw.words(ids)
	bw.align()
	for i := range pkgs {
		for _, f := range pool.filesOf(&pkgs[i]) {
			bw.word(w.strMap[f])
		}
	}
	bw.align()
	off := uint32(0)
	bw.word(0)
	for _, id := range w.strs {
		off += uint32(len(pool.str(id)))
		bw.word(off)
	}
	bw.align()
	// The positions' indexes are written: their buffer is often as long.
	table := ids
	w.rels = relTable{}
	if cap(table) < slots {
		table = make([]uint32, slots)
	}
	table = table[:slots]
	clear(table)
	mask := uint64(slots - 1)
	for k, id := range w.strs {
		i := cacheHash(pool.str(id)) & mask
		for table[i] != 0 {
			i = (i + 1) & mask
		}
		table[i] = uint32(k) + 1
	}
	bw.words(table)
	bw.align()
	for _, id := range w.strs {
		bw.WriteString(pool.str(id))
	}
	if idx != nil {
		// The pool's lists, key by key in the entry's order, their starts
		// made in one buffer in turn.
		starts := table[:0]
		for _, c := range []*csr{&idx.byName, &idx.whatProv} {
			starts = append(starts[:0], 0)
			for _, id := range w.strs {
				starts = append(starts, starts[len(starts)-1]+uint32(len(c.of(id))))
			}
			bw.align()
			bw.words(starts)
			bw.align()
			for _, id := range w.strs {
				bw.int32s(c.of(id))
			}
		}
	} else {
		for _, c := range []*csr{&ents.byName, &ents.whatProv} {
			bw.align()
			bw.words(c.start)
			bw.align()
			bw.int32s(c.list)
		}
	}
	bw.align()
	// The file owners' starts, as their running count: string k's owners
	// are the pairs of strings below k+1.
	bw.word(0)
	j := 0
	for k := range len(w.strs) {
		for j < len(ents.owners) && ents.owners[j]>>32 == uint64(k) {
			j++
		}
		bw.word(uint32(j))
	}
	bw.align()
	for _, o := range ents.owners {
		bw.word(uint32(o))
	}
	bw.align()
	for _, id := range ents.fileDeps {
		bw.word(uint32(id))
	}
	if err := bw.close(false); err != nil {
		return fmt.Errorf("parsed cache: %w", err)
	}
	return nil
}

// encodePkg puts r into b in its in-memory layout, little-endian, at the
// offsets the compiler gives uniPkg's fields, so reading it in place
// reads the same record.
func encodePkg(b []byte, r *uniPkg) []byte {
	clear(b)
	le := binary.LittleEndian
	for _, f := range []struct {
		off uintptr
		v   uint32
	}{
		{unsafe.Offsetof(r.name), uint32(r.name)}, {unsafe.Offsetof(r.arch), uint32(r.arch)}, {unsafe.Offsetof(r.evr), uint32(r.evr)},
		{unsafe.Offsetof(r.dep), r.dep}, {unsafe.Offsetof(r.prov), r.prov}, {unsafe.Offsetof(r.req), r.req},
		{unsafe.Offsetof(r.con), r.con}, {unsafe.Offsetof(r.obs), r.obs},
		{unsafe.Offsetof(r.repo), uint32(r.repo)}, {unsafe.Offsetof(r.srpm), uint32(r.srpm)}, {unsafe.Offsetof(r.loc), uint32(r.loc)},
		{unsafe.Offsetof(r.sumType), uint32(r.sumType)}, {unsafe.Offsetof(r.sumHex), uint32(r.sumHex)},
		{unsafe.Offsetof(r.files), r.files}, {unsafe.Offsetof(r.filesEnd), r.filesEnd},
	} {
		le.PutUint32(b[f.off:], f.v)
	}
	if r.fullFiles {
		b[unsafe.Offsetof(r.fullFiles)] = 1
	}
	// hidden is never stored: it is the manifest's filter, not the repo's.
	le.PutUint64(b[unsafe.Offsetof(r.size):], uint64(r.size))
	le.PutUint64(b[unsafe.Offsetof(r.hdrStart):], uint64(r.hdrStart))
	le.PutUint64(b[unsafe.Offsetof(r.hdrEnd):], uint64(r.hdrEnd))
	return b
}

// littleEndian: the host's words are the entry's as they lie.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// entryIndexes are an entry's look-ups, in entry string ids and package
// indexes. Given the pool's (see writeParsedIndexed), the by-name and
// whatprovides lists are left there and only nProv, the length of the
// latter, is known here.
type entryIndexes struct {
	uniIndex
	nProv int
	// owners are the file owners: path id<<32 | package index, ascending
	// (the file-owner lists, not as a csr: see indexes).
	owners []uint64
}

// indexes builds the entry's look-ups (a universe of this one repo reads
// them as they are): renumbered from idx, the pool's, when given.
func (w *parsedWriter) indexes(pkgs []uniPkg, idx *uniIndex, nfiles int) *entryIndexes {
	pool, n := w.pool, len(w.strs)
	e := &entryIndexes{}
	if idx != nil {
		for _, id := range w.strs {
			e.nProv += len(idx.whatProv.of(id))
		}
		for _, id := range idx.fileDeps {
			e.fileDeps = append(e.fileDeps, strID(w.strMap[id]))
		}
	} else {
		e.byName = newCSR(n, func(emit func(uint32, int32)) {
			for i := range pkgs {
				emit(w.strMap[pkgs[i].name], int32(i))
			}
		})
		e.whatProv = newCSR(n, func(emit func(uint32, int32)) {
			for i := range pkgs {
				emit(w.strMap[pkgs[i].name], int32(i))
				for k := pkgs[i].dep; k < pkgs[i].prov; k++ {
					emit(w.strMap[pool.depAt(k).name], int32(i))
				}
			}
		})
		e.nProv = len(e.whatProv.list)
		seen := make([]bool, n)
		for i := range pkgs {
			for k := pkgs[i].prov; k < pkgs[i].obs; k++ {
				if d := pool.depAt(k); !seen[w.strMap[d.name]] && strings.HasPrefix(pool.str(d.name), "/") {
					seen[w.strMap[d.name]] = true
					e.fileDeps = append(e.fileDeps, strID(w.strMap[d.name]))
				}
			}
		}
	}
	slices.Sort(e.fileDeps)
	// The file owners as (path, package) pairs, sorted: mostly sorted
	// already, as paths are numbered package by package. A csr's starts
	// and cursors for every string, most of which no package lists, were
	// megabytes beside the solve.
	e.owners = make([]uint64, 0, nfiles)
	for i := range pkgs {
		for _, f := range pool.filesOf(&pkgs[i]) {
			e.owners = append(e.owners, uint64(w.strMap[f])<<32|uint64(i))
		}
	}
	slices.Sort(e.owners)
	e.owners = slices.Compact(e.owners)
	return e
}

// relTable numbers an entry's distinct dependencies (libsolv's reldeps)
// in the order they are first met: an open-addressing table of their
// indexes, as a Go map of depRec cost a quarter of the writer's time.
// Dependency 0 is the empty one.
type relTable struct {
	rels  []depRec
	slots []uint32 // rel+1, 0 empty; a power of two long, at most half full
}

func newRelTable(hint int) relTable {
	t := relTable{rels: make([]depRec, 0, max(hint, 1)), slots: make([]uint32, tableSize(hint))}
	t.id(depRec{})
	return t
}

func relHash(d depRec) uint64 {
	h := (uint64(d.name) | uint64(d.evr)<<32) * 0x9e3779b97f4a7c15
	h ^= uint64(d.flags) | uint64(d.phase)<<8
	h *= 0xbf58476d1ce4e5b9
	return h ^ h>>31
}

// id returns d's index, adding it when new.
func (t *relTable) id(d depRec) uint32 {
	if 2*(len(t.rels)+1) > len(t.slots) {
		t.slots = make([]uint32, 2*len(t.slots))
		for k := range t.rels {
			t.place(relHash(t.rels[k]), uint32(k))
		}
	}
	mask := uint64(len(t.slots) - 1)
	for i := relHash(d) & mask; ; i = (i + 1) & mask {
		v := t.slots[i]
		if v == 0 {
			t.rels = append(t.rels, d)
			t.slots[i] = uint32(len(t.rels))
			return uint32(len(t.rels) - 1)
		}
		if t.rels[v-1] == d {
			return v - 1
		}
	}
}

func (t *relTable) place(h uint64, k uint32) {
	mask := uint64(len(t.slots) - 1)
	i := h & mask
	for t.slots[i] != 0 {
		i = (i + 1) & mask
	}
	t.slots[i] = k + 1
}
