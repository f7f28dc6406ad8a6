package resolver

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// readFilelists streams filelists.xml (uncompressed), calling fn with each
// package's pkgid, lowercased in a buffer of its own valid until fn
// returns, and the files of it that keep accepts (all with keep nil).
// Paths keep refuses are never turned into strings: a repo's file lists
// run to millions of entries, and a resolve needs a handful of them.
func readFilelists(r io.Reader, keep func(path []byte) bool, fn func(pkgid []byte, files []string) error) error {
	s := newXMLScanner(r)
	var (
		pkgid  []byte
		files  []string
		path   []byte // the <file> being read
		inPkg  bool
		inFile bool
		depth  int
	)
	for {
		err := s.next()
		if err == errXMLEOF {
			if depth != 0 {
				return errors.New("filelists.xml: ends inside an element")
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("filelists.xml %w", err)
		}
		switch s.kind {
		case tokStart:
			if !s.empty {
				depth++
			}
			switch string(s.name) {
			case "package":
				pkgid, files, inPkg = appendLower(pkgid[:0], s.attr("pkgid")), nil, !s.empty
			case "file":
				if inPkg && !s.empty {
					path, inFile = path[:0], true
				}
			}
		case tokText:
			if inFile {
				path = append(path, s.text...)
			}
		case tokEnd:
			depth--
			switch string(s.name) {
			case "file":
				if inFile && (keep == nil || keep(path)) {
					files = append(files, string(path))
				}
				inFile = false
			case "package":
				inPkg = false
				if err := fn(pkgid, files); err != nil {
					return err
				}
			}
		}
	}
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
// wants a few hundred, so nearly every path is turned away by a bit test
// on its length and last bytes, without hashing it for the map.
type pathSet struct {
	want  map[string]bool
	bloom [1 << 10]uint64 // bit pathBit(p) set for each wanted p
}

func newPathSet(want map[string]bool) *pathSet {
	ps := &pathSet{want: want}
	for p := range want {
		b := pathBit([]byte(p))
		ps.bloom[b>>6] |= 1 << (b & 63)
	}
	return ps
}

// pathBit mixes a path's length with its last eight bytes, where the paths
// of one directory differ.
func pathBit(p []byte) uint64 {
	var tail uint64
	for _, c := range p[max(0, len(p)-8):] {
		tail = tail<<8 | uint64(c)
	}
	h := (tail ^ uint64(len(p))<<56) * 0x9e3779b97f4a7c15
	return h >> (64 - 16)
}

func (ps *pathSet) has(p []byte) bool {
	b := pathBit(p)
	return ps.bloom[b>>6]&(1<<(b&63)) != 0 && ps.want[string(p)]
}

// filelistsMatch finds the package a filelists entry is about: pkgid is
// the checksum primary.xml gives, an id of the pool already. Where two
// packages share one, the later is meant, as it always was.
type filelistsMatch struct {
	pool  *idPool
	bySum map[strID]int32
}

func newFilelistsMatch(u *Universe, repo strID) *filelistsMatch {
	// Sized at once: grown from empty, the map of a large repo's
	// checksums left several times its size as garbage.
	m := &filelistsMatch{pool: u.pool, bySum: make(map[strID]int32, len(u.pkgs))}
	for k := range u.pkgs {
		if r := &u.pkgs[k]; r.repo == repo && r.sumHex != 0 {
			m.bySum[r.sumHex] = int32(k)
		}
	}
	return m
}

func (m *filelistsMatch) find(pkgid []byte) (int, bool) {
	id, ok := m.pool.lookup(bytesView(pkgid)) // a look-up keeps no reference to it
	if !ok {
		return 0, false
	}
	k, ok := m.bySum[id]
	return int(k), ok
}
