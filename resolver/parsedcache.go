package resolver

import (
	"bufio"
	"crypto/sha256"
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
//	magic    "rpmvault-parsed 5\n"
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
const (
	parsedMagicPrefix = "rpmvault-parsed "
	parsedMagic       = parsedMagicPrefix + "5\n"
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
	strMap []uint32 // pool id -> entry id + 1; 0: not yet
	evrMap []uint32
	strs   []strID
	evrs   []evrRec
	relIdx map[depRec]uint32
	rels   []depRec
	depIDs []uint32
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

// writeParsed encodes pkgs, all of one repo, from pool.
func writeParsed(out io.Writer, pool *idPool, pkgs []uniPkg) error {
	// Sized once: grown by append, these tables were copied over and over
	// and left several times their size as garbage beside a cold solve.
	ndeps := 0
	for i := range pkgs {
		ndeps += int(pkgs[i].obs - pkgs[i].dep)
	}
	w := &parsedWriter{pool: pool, strMap: make([]uint32, pool.nstrs()), evrMap: make([]uint32, pool.nevrs()),
		strs: append(make([]strID, 0, pool.nstrs()), 0), evrs: []evrRec{{}}, relIdx: make(map[depRec]uint32, ndeps/4),
		rels: append(make([]depRec, 0, ndeps/4), depRec{}), depIDs: append(make([]uint32, 0, ndeps+1), 0)}
	w.relIdx[depRec{}] = 0
	// Strings a solve reads first: names, arches, EVRs, dependencies.
	for i := range pkgs {
		w.str(pkgs[i].name)
		w.str(pkgs[i].arch)
		w.evr(pkgs[i].evr)
	}
	nfiles := 0
	for i := range pkgs {
		for k := pkgs[i].dep; k < pkgs[i].obs; k++ {
			d := pool.depAt(k)
			d = depRec{name: strID(w.str(d.name)), evr: evrID(w.evr(d.evr)), flags: d.flags, phase: d.phase}
			id, ok := w.relIdx[d]
			if !ok {
				id = uint32(len(w.rels))
				w.relIdx[d] = id
				w.rels = append(w.rels, d)
			}
			w.depIDs = append(w.depIDs, id)
		}
		nfiles += len(pool.filesOf(&pkgs[i]))
	}
	w.relIdx = nil
	// Then what only fetching and the lock read, then paths.
	for i := range pkgs {
		p := &pkgs[i]
		for _, id := range []strID{p.repo, p.srpm, p.loc, p.sumType, p.sumHex} {
			w.str(id)
		}
	}
	for i := range pkgs {
		for _, f := range pool.filesOf(&pkgs[i]) {
			w.str(f)
		}
	}

	blob := 0
	for _, id := range w.strs {
		blob += len(pool.str(id))
	}
	slots := cacheSlots(len(w.strs))
	idx := w.indexes(pkgs)
	counts := [parsedCounts]uint32{uint32(len(pkgs)), uint32(len(w.strs)), uint32(blob), uint32(len(w.evrs)),
		uint32(len(w.rels)), uint32(len(w.depIDs)), uint32(nfiles), uint32(slots),
		uint32(len(idx.whatProv.list)), uint32(len(idx.fileOwners.list)), uint32(len(idx.fileDeps))}
	if uint64(blob) > 1<<31 || len(w.depIDs) > 1<<30 {
		return fmt.Errorf("parsed cache: repo too large for an entry")
	}

	h := sha256.New()
	bw := &alignedWriter{w: bufio.NewWriterSize(io.MultiWriter(out, h), 256<<10)}
	bw.WriteString(parsedMagic)
	var cb []byte
	for _, c := range counts {
		cb = binary.LittleEndian.AppendUint32(cb, c)
	}
	bw.Write(cb)
	// Packages, numbered into the entry: dependency and file positions
	// restart at the entry's.
	bw.align()
	dep, file := uint32(1), uint32(0)
	rec := make([]byte, parsedPkgSize)
	for i := range pkgs {
		p := &pkgs[i]
		nf := uint32(len(pool.filesOf(p)))
		q := uniPkg{
			pkgRec: pkgRec{name: strID(w.str(p.name)), arch: strID(w.str(p.arch)), evr: evrID(w.evr(p.evr)),
				dep: dep, prov: dep + p.prov - p.dep, req: dep + p.req - p.dep, con: dep + p.con - p.dep, obs: dep + p.obs - p.dep},
			repo: strID(w.str(p.repo)), srpm: strID(w.str(p.srpm)), loc: strID(w.str(p.loc)),
			sumType: strID(w.str(p.sumType)), sumHex: strID(w.str(p.sumHex)),
			files: file, filesEnd: file + nf, fullFiles: p.fullFiles,
			size: p.size, hdrStart: p.hdrStart, hdrEnd: p.hdrEnd,
		}
		dep, file = q.obs, file+nf
		bw.Write(encodePkg(rec, &q))
	}
	bw.align()
	var b []byte
	for _, e := range w.evrs {
		b = binary.LittleEndian.AppendUint64(b[:0], uint64(e.epoch))
		b = binary.LittleEndian.AppendUint32(b, uint32(e.ver))
		bw.Write(binary.LittleEndian.AppendUint32(b, uint32(e.rel)))
	}
	bw.align()
	for _, d := range w.rels {
		b = binary.LittleEndian.AppendUint32(b[:0], uint32(d.name))
		b = binary.LittleEndian.AppendUint32(b, uint32(d.evr))
		bw.Write(append(b, d.flags, byte(d.phase), 0, 0))
	}
	bw.align()
	bw.words(w.depIDs)
	bw.align()
	for i := range pkgs {
		for _, f := range pool.filesOf(&pkgs[i]) {
			bw.words([]uint32{w.str(f)})
		}
	}
	bw.align()
	off := uint32(0)
	bw.words([]uint32{0})
	for _, id := range w.strs {
		off += uint32(len(pool.str(id)))
		bw.words([]uint32{off})
	}
	bw.align()
	table := make([]uint32, slots)
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
	for _, c := range []csr{idx.byName, idx.whatProv, idx.fileOwners} {
		bw.align()
		bw.words(c.start)
		bw.align()
		for _, v := range c.list {
			bw.words([]uint32{uint32(v)})
		}
	}
	bw.align()
	for _, id := range idx.fileDeps {
		bw.words([]uint32{uint32(id)})
	}
	if err := bw.w.Flush(); err != nil {
		return fmt.Errorf("parsed cache: %w", err)
	}
	if _, err := out.Write(h.Sum(nil)); err != nil {
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

// alignedWriter counts what it writes, so sections can start at multiples
// of 8 bytes.
type alignedWriter struct {
	w *bufio.Writer
	n uint64
}

func (a *alignedWriter) Write(b []byte) {
	a.w.Write(b)
	a.n += uint64(len(b))
}

func (a *alignedWriter) WriteString(s string) {
	a.w.WriteString(s)
	a.n += uint64(len(s))
}

func (a *alignedWriter) align() {
	var zero [8]byte
	a.Write(zero[:align8(a.n)-a.n])
}

func (a *alignedWriter) words(ws []uint32) {
	var b [4]byte
	for _, v := range ws {
		binary.LittleEndian.PutUint32(b[:], v)
		a.Write(b[:])
	}
}

// indexes builds the entry's look-ups, in entry string ids and package
// indexes (a universe of this one repo reads them as they are).
func (w *parsedWriter) indexes(pkgs []uniPkg) *uniIndex {
	pool, n := w.pool, len(w.strs)
	idx := &uniIndex{stored: true}
	idx.byName = newCSR(n, func(emit func(uint32, int32)) {
		for i := range pkgs {
			emit(w.strMap[pkgs[i].name], int32(i))
		}
	})
	idx.whatProv = newCSR(n, func(emit func(uint32, int32)) {
		for i := range pkgs {
			emit(w.strMap[pkgs[i].name], int32(i))
			for k := pkgs[i].dep; k < pkgs[i].prov; k++ {
				emit(w.strMap[pool.depAt(k).name], int32(i))
			}
		}
	})
	idx.fileOwners = newCSR(n, func(emit func(uint32, int32)) {
		for i := range pkgs {
			for _, f := range pool.filesOf(&pkgs[i]) {
				emit(w.strMap[f], int32(i))
			}
		}
	})
	seen := make([]bool, n)
	for i := range pkgs {
		for k := pkgs[i].prov; k < pkgs[i].obs; k++ {
			if d := pool.depAt(k); !seen[w.strMap[d.name]] && strings.HasPrefix(pool.str(d.name), "/") {
				seen[w.strMap[d.name]] = true
				idx.fileDeps = append(idx.fileDeps, strID(w.strMap[d.name]))
			}
		}
	}
	slices.Sort(idx.fileDeps)
	return idx
}
