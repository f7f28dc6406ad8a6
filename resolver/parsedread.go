package resolver

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"unsafe"
)

// readParsed opens what writeParsed wrote as a repo part whose pool reads
// the entry in place. repo is the repo's id, which every record must name.
//
// A file is mapped (copy-on-write: a repo filter, or file lists read for
// some packages only, change a few records, and only their pages are
// copied) and the mapping is never unmapped. What leaves the resolver is
// copied out of it (materialise and dep clone the strings of packages,
// reasons and messages), but inside it views are everywhere and outlive
// any one solve: the pool's strings, a second repo merged into this pool
// (interned as views), a Universe kept for later solves. Nothing tracks
// them, so the mapping stays for the process's life. Entries are replaced
// by rename, never rewritten in place, so the mapped bytes cannot change;
// a process maps one entry per repo per load.
// Another reader (a test's in-memory entry) is read into an 8-byte aligned
// buffer on the heap and used the same way.
func readParsed(r io.Reader, repo string) (*repoPart, error) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		// Used in place, the entry's little-endian words would be read
		// wrongly: on such a host every resolve parses the XML.
		return nil, errors.New("parsed cache: entries are little-endian and this host is not")
	}
	m, ok := mapFile(r)
	if !ok {
		data, err := readAligned(r)
		if err != nil {
			return nil, fmt.Errorf("parsed cache: %w", err)
		}
		m = mapping{data: data}
	}
	part, err := openEntry(m, repo)
	if err != nil {
		if m.unmap != nil {
			m.unmap()
		}
		return nil, err
	}
	return part, nil
}

// mapping is an entry's bytes: mapped from its file, or on the heap.
type mapping struct {
	data []byte
	// release tells the kernel the process is done with b's pages for
	// now: opening reads every page once (the checksum, the checks), and
	// without this they would all stay resident, though a solve reads a
	// small part of them. They stay in the page cache, so reading one
	// again costs a minor fault. nil on the heap.
	release func(b []byte)
	// releaseClean is release for a part that may have been written to
	// (the package records): it keeps the pages this process copied.
	releaseClean func(b []byte)
	unmap        func()
}

// done releases b, a part of m's data, when m is a mapped file.
func (m mapping) done(b []byte) {
	if m.release != nil && len(b) > 0 {
		m.release(b)
	}
}

// readAligned reads r into a buffer that starts at a multiple of 8 bytes,
// as a mapped file does, so the same views work on it.
func readAligned(r io.Reader) ([]byte, error) {
	b, err := parsedReadAll(r)
	if err != nil || len(b) == 0 {
		return b, err
	}
	if uintptr(unsafe.Pointer(&b[0]))%8 == 0 {
		return b, nil
	}
	words := make([]uint64, (len(b)+7)/8)
	out := unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), len(b))
	copy(out, b)
	return out, nil
}

// view is n Ts at data[off:], in place. off is a multiple of 8 and data
// starts at one, so every T (whose alignment is at most 8) is aligned.
func view[T any](data []byte, off, n uint64) []T {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&data[off])), n)
}

func bytesOf[T any](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	var t T
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), uintptr(len(s))*unsafe.Sizeof(t))
}

// parsedLayoutOK: uniPkg is laid out as the entry is. Go lays out fields
// in order at their natural alignment, so this holds on every 64-bit and
// 32-bit platform Go has; it is checked rather than assumed.
func parsedLayoutOK() bool {
	var r uniPkg
	return unsafe.Sizeof(r) == parsedPkgSize && unsafe.Alignof(r) <= 8 &&
		unsafe.Sizeof(evrRec{}) == 16 && unsafe.Sizeof(depRec{}) == 12
}

// openEntry checks an entry and makes a repo part of it, in place.
func openEntry(m mapping, repo string) (*repoPart, error) {
	if !parsedLayoutOK() {
		return nil, errors.New("parsed cache: this platform lays out records differently")
	}
	data := m.data
	if _, err := checkParsedWith(data, parsedMagicPrefix, parsedMagic, m.done); err != nil {
		return nil, err
	}
	end := uint64(len(data)) - 32 // the sha256
	pos := uint64(len(parsedMagic))
	if end-pos < 4*parsedCounts {
		return nil, fmt.Errorf("parsed cache: %d bytes of counts, %d left", 4*parsedCounts, end-pos)
	}
	var c [parsedCounts]uint32
	for k := range c {
		c[k] = binary.LittleEndian.Uint32(data[pos+4*uint64(k):])
	}
	pos += 4 * parsedCounts
	var offs [parsedNSections]uint64
	names := parsedSectionNames
	for k, size := range parsedSections(c) {
		pos = align8(pos)
		if pos > end || size > end-pos {
			return nil, fmt.Errorf("parsed cache: %d bytes of %s, %d left", size, names[k], end-min(pos, end))
		}
		offs[k] = pos
		pos += size
	}
	if pos != end {
		return nil, fmt.Errorf("parsed cache: %d trailing bytes after the indexes", end-pos)
	}
	nStrs := uint64(c[1])
	b := poolBase{
		strOff:   view[uint32](data, offs[5], nStrs+1),
		strSlots: view[uint32](data, offs[6], uint64(c[7])),
		evrs:     view[evrRec](data, offs[1], uint64(c[3])),
		rels:     view[depRec](data, offs[2], uint64(c[4])),
		depIDs:   view[uint32](data, offs[3], uint64(c[5])),
		files:    view[strID](data, offs[4], uint64(c[6])),
	}
	if c[2] > 0 {
		b.blob = unsafe.String(&data[offs[7]], c[2])
	}
	pkgs := view[uniPkg](data, offs[0], uint64(c[0]))
	b.idx = &uniIndex{stored: true,
		byName:     csr{start: view[uint32](data, offs[8], nStrs+1), list: view[int32](data, offs[9], uint64(c[0]))},
		whatProv:   csr{start: view[uint32](data, offs[10], nStrs+1), list: view[int32](data, offs[11], uint64(c[8]))},
		fileOwners: csr{start: view[uint32](data, offs[12], nStrs+1), list: view[int32](data, offs[13], uint64(c[9]))},
		fileDeps:   view[strID](data, offs[14], uint64(c[10])),
		npkgs:      len(pkgs),
	}
	if err := checkEntry(m, &b, pkgs, repo); err != nil {
		return nil, fmt.Errorf("parsed cache: %w", err)
	}
	if m.release != nil {
		ro := [][]byte{bytesOf(b.strOff), bytesOf(b.strSlots), bytesOf(b.evrs), bytesOf(b.rels), bytesOf(b.depIDs), bytesOf(b.files),
			unsafe.Slice(unsafe.StringData(b.blob), len(b.blob)), bytesOf(b.idx.byName.start), bytesOf(b.idx.byName.list),
			bytesOf(b.idx.whatProv.start), bytesOf(b.idx.whatProv.list), bytesOf(b.idx.fileOwners.start),
			bytesOf(b.idx.fileOwners.list), bytesOf(b.idx.fileDeps)}
		recs := bytesOf(pkgs)
		b.release = func() {
			for _, s := range ro {
				m.done(s)
			}
			// The records are read for every package a solve looks at,
			// 88 bytes each, so by the end most of their pages are
			// resident; a few hold records the process wrote.
			if m.releaseClean != nil && len(recs) > 0 {
				m.releaseClean(recs)
			}
		}
	}
	pool := &idPool{base: b, nbs: uint32(nStrs), nbe: c[3], nbd: c[5], nbf: c[6]}
	return &repoPart{pool: pool, pkgs: pkgs, entry: m}, nil
}
