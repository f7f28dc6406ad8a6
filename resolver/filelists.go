package resolver

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// readFilelists streams filelists.xml (uncompressed), calling fn with each
// package's pkgid, lowercased in a buffer of its own valid until fn
// returns, and the files of it that want has (all with want nil). Paths
// want lacks are never turned into strings: a repo's file lists run to
// millions of entries, and a resolve needs a handful of them.
//
// Most of the input is <file> elements, which the quick path
// (filelistsquick.go) reads without the scanner's tokens; everything else,
// and anything unusual, is read by the scanner.
func readFilelists(r io.Reader, want *pathSet, fn func(pkgid []byte, files []string) error) error {
	return newFilelistsReader(r, want, fn, true).read()
}

// filelistsReader is readFilelists' state between tokens, which the quick
// path and the scanner's tokens both move on.
type filelistsReader struct {
	s     *xmlScanner
	quick bool     // read <file> elements on the quick path
	want  *pathSet // nil: every path
	fn    func(pkgid []byte, files []string) error

	pkgid  []byte
	files  []string
	path   []byte // the <file> being read
	inPkg  bool
	inFile bool
	depth  int
}

func newFilelistsReader(r io.Reader, want *pathSet, fn func([]byte, []string) error, quick bool) *filelistsReader {
	fr := &filelistsReader{s: newXMLScanner(r), quick: quick, want: want, fn: fn}
	fr.s.general = !quick
	return fr
}

func (fr *filelistsReader) read() error {
	s := fr.s
	for {
		if fr.quick {
			if err := fr.quickRead(); err != nil {
				return err
			}
		}
		err := s.next()
		if err == errXMLEOF {
			if fr.depth != 0 {
				return errors.New("filelists.xml: ends inside an element")
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("filelists.xml %w", err)
		}
		switch s.kind {
		case tokStart:
			fr.start(s.name, s.empty)
		case tokText:
			fr.text(s.text)
		case tokEnd:
			if err := fr.end(s.name); err != nil {
				return err
			}
		}
	}
}

// start is a start tag; the scanner's current token when it is a package.
func (fr *filelistsReader) start(name []byte, empty bool) {
	if !empty {
		fr.depth++
	}
	switch string(name) {
	case "package":
		fr.pkgid, fr.files, fr.inPkg = appendLower(fr.pkgid[:0], fr.s.attr("pkgid")), nil, !empty
	case "file":
		if fr.inPkg && !empty {
			fr.path, fr.inFile = fr.path[:0], true
		}
	}
}

func (fr *filelistsReader) text(b []byte) {
	if fr.inFile {
		fr.path = append(fr.path, b...)
	}
}

func (fr *filelistsReader) end(name []byte) error {
	fr.depth--
	switch string(name) {
	case "file":
		fr.endFile(fr.path)
	case "package":
		fr.inPkg = false
		return fr.fn(fr.pkgid, fr.files)
	}
	return nil
}

// endFile ends a <file> whose text is path.
func (fr *filelistsReader) endFile(path []byte) {
	if fr.inFile && (fr.want == nil || fr.want.has(path)) {
		fr.files = append(fr.files, string(path))
	}
	fr.inFile = false
}

// appendLower appends strings.ToLower(b) to dst, without a string for the
// ASCII a pkgid is.
func appendLower(dst, b []byte) []byte {
	for _, c := range b {
		if c >= 0x80 {
			return append(dst, strings.ToLower(string(b))...)
		}
	}
	for _, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// pathSet is the set of paths a resolve wants from filelists, with a
// filter in front: a repo's filelists has millions of paths and a resolve
// wants a few hundred to a few thousand, so nearly every path is turned
// away by two bit tests on a hash of its length and last sixteen bytes,
// without hashing it for the map. A resolve's wanted paths are often
// alike at the end (file02 in a thousand directories): two bits of a hash
// of both words keep those from passing the filter together.
type pathSet struct {
	want  map[string]bool
	bloom [1 << 10]uint64 // bits pathBits(p) set for each wanted p
}

func newPathSet(want map[string]bool) *pathSet {
	ps := &pathSet{want: want}
	for p := range want {
		a, b := pathBits([]byte(p))
		ps.bloom[a>>6] |= 1 << (a & 63)
		ps.bloom[b>>6] |= 1 << (b & 63)
	}
	return ps
}

// pathBits hashes a path's length and last sixteen bytes (where the paths
// of one directory, and the same name in many, differ) to two bits.
func pathBits(p []byte) (uint64, uint64) {
	switch n := len(p); {
	case n >= 16:
		return mixPath(binary.LittleEndian.Uint64(p[n-8:]), binary.LittleEndian.Uint64(p[n-16:]), n)
	case n >= 8:
		return mixPath(binary.LittleEndian.Uint64(p[n-8:]), binary.LittleEndian.Uint64(p[:8]), n)
	}
	var lo uint64
	for _, c := range p {
		lo = lo<<8 | uint64(c)
	}
	return mixPath(lo, 0, len(p))
}

func mixPath(lo, hi uint64, n int) (uint64, uint64) {
	h := (lo ^ uint64(n)<<56 ^ hi*0xc2b2ae3d27d4eb4f) * 0x9e3779b97f4a7c15
	return h >> 48, h >> 32 & 0xffff
}

func (ps *pathSet) has(p []byte) bool {
	var a, b uint64
	if n := len(p); n >= 16 {
		// pathBits' common case, without a call for each of millions
		a, b = mixPath(binary.LittleEndian.Uint64(p[n-8:]), binary.LittleEndian.Uint64(p[n-16:]), n)
	} else {
		a, b = pathBits(p)
	}
	return ps.bloom[a>>6]&(1<<(a&63)) != 0 && ps.bloom[b>>6]&(1<<(b&63)) != 0 && ps.want[string(p)]
}

// filelistsMatch finds the package a filelists entry is about: pkgid is
// the checksum primary.xml gives, an id of the pool already. Where two
// packages share one, the later is meant, as it always was.
//
// Filelists lists the packages in primary's order, so the package after
// the last one found is tried first, by comparing its checksum's text:
// looking the pkgid up in the pool's index of every string misses the
// cache twice or more, for each of a repo's tens of thousands of packages.
type filelistsMatch struct {
	u    *Universe
	repo strID
	// bySum is the repo's packages as checksum id<<32 | index, sorted: the
	// later of two sharing a checksum last. Half the memory of a map, it
	// is live while the file lists are read, when the heap is at its
	// largest.
	bySum []uint64
	// shadowed marks (a bit each, by index) the packages whose checksum a
	// later package of the repo shares: never the one meant.
	shadowed []uint64
	next     int // the package after the last found
}

func newFilelistsMatch(u *Universe, repo strID) *filelistsMatch {
	m := &filelistsMatch{u: u, repo: repo}
	n := 0
	for k := range u.pkgs {
		if r := &u.pkgs[k]; r.repo == repo && r.sumHex != 0 {
			n++
		}
	}
	m.bySum = make([]uint64, 0, n)
	for k := range u.pkgs {
		if r := &u.pkgs[k]; r.repo == repo && r.sumHex != 0 {
			m.bySum = append(m.bySum, uint64(r.sumHex)<<32|uint64(k))
		}
	}
	slices.Sort(m.bySum)
	for i := 1; i < len(m.bySum); i++ {
		if prev := m.bySum[i-1]; prev>>32 == m.bySum[i]>>32 {
			if m.shadowed == nil {
				m.shadowed = make([]uint64, (len(u.pkgs)+63)/64)
			}
			k := uint32(prev)
			m.shadowed[k/64] |= 1 << (k % 64)
		}
	}
	return m
}

func (m *filelistsMatch) find(pkgid []byte) (int, bool) {
	k, ok := m.guess(pkgid)
	if !ok {
		id, found := m.u.pool.lookup(bytesView(pkgid)) // a look-up keeps no reference to it
		if !found {
			return 0, false
		}
		// The last package with the checksum: just before where one with
		// it and an index past any package's would go.
		i, _ := slices.BinarySearch(m.bySum, uint64(id)<<32|math.MaxUint32)
		if i == 0 || m.bySum[i-1]>>32 != uint64(id) {
			return 0, false
		}
		k = int(uint32(m.bySum[i-1]))
	}
	m.next = k + 1
	return k, true
}

// guess reports whether the package after the last found is the one
// pkgid means.
func (m *filelistsMatch) guess(pkgid []byte) (int, bool) {
	k := m.next
	if k >= len(m.u.pkgs) || m.shadowed != nil && m.shadowed[k/64]&(1<<(k%64)) != 0 {
		return 0, false
	}
	r := &m.u.pkgs[k]
	return k, r.repo == m.repo && r.sumHex != 0 && m.u.pool.str(r.sumHex) == string(pkgid)
}
