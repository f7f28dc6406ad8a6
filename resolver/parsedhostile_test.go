package resolver

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"strings"
	"testing"
	"unsafe"
)

// parsedLayout returns the file offsets of an entry's sections (see
// parsedSections) and of its counts.
func parsedLayout(b []byte) (counts int, offs [parsedNSections]int) {
	counts = len(parsedMagic)
	var c [parsedCounts]uint32
	for k := range c {
		c[k] = binary.LittleEndian.Uint32(b[counts+4*k:])
	}
	pos := uint64(counts + 4*parsedCounts)
	for k, size := range parsedSections(c) {
		pos = align8(pos)
		offs[k] = int(pos)
		pos += size
	}
	return counts, offs
}

// Bodies with a valid checksum but hostile content must be refused without
// panicking or allocating for the counts they claim.
func TestParsedHostileBody(t *testing.T) {
	// The sample, and a second owner and provider of /bin/sh that also
	// requires it: every index has a key with two packages.
	sample := append(parsedSample(), &Package{Name: "dash", Repo: "base", Location: "Packages/dash.rpm",
		Provides: []Dep{{Name: "/bin/sh"}}, Requires: []Dep{{Name: "/bin/sh"}}, Files: []string{"/bin/sh"}})
	enc := parsedEncode(t, sample)
	le := binary.LittleEndian
	// Section indexes of parsedSections.
	const pkgs, evrs, rels, deps, files, offsets, index = 0, 1, 2, 3, 4, 5, 6
	const byNameStart, byNameList, provList, ownerStart, ownerList, fileDeps = 8, 9, 11, 12, 13, 14
	var r uniPkg
	field := func(f uintptr) func(b []byte, offs [parsedNSections]int) []byte {
		return func(b []byte, offs [parsedNSections]int) []byte { le.PutUint32(b[offs[pkgs]+int(f):], 999); return b }
	}
	for _, tc := range []struct {
		name string
		edit func(b []byte, offs [parsedNSections]int) []byte
		want string
	}{
		{"huge package count", func(b []byte, _ [parsedNSections]int) []byte {
			le.PutUint32(b[len(parsedMagic):], 0xffffffff)
			return b
		}, "bytes of packages"},
		{"huge string count", func(b []byte, _ [parsedNSections]int) []byte {
			le.PutUint32(b[len(parsedMagic)+4:], 0xfffffffe)
			return b
		}, "bytes of string offsets"},
		{"huge string bytes", func(b []byte, _ [parsedNSections]int) []byte {
			le.PutUint32(b[len(parsedMagic)+8:], 0xffffffff)
			return b
		}, "bytes of string bytes"},
		{"huge index", func(b []byte, _ [parsedNSections]int) []byte {
			le.PutUint32(b[len(parsedMagic)+28:], 0xffffffff)
			return b
		}, "bytes of string index"},
		{"trailing bytes", func(b []byte, _ [parsedNSections]int) []byte {
			return append(b[:len(b)-sha256.Size], make([]byte, 8+sha256.Size)...)
		}, "trailing"},
		{"first string not empty", func(b []byte, offs [parsedNSections]int) []byte { le.PutUint32(b[offs[offsets]+4:], 1); return b }, "entry 0"},
		{"offsets fall", func(b []byte, offs [parsedNSections]int) []byte { le.PutUint32(b[offs[offsets]+8:], 1<<20); return b }, "offsets fall"},
		{"offsets end short", func(b []byte, offs [parsedNSections]int) []byte {
			last := offs[index] - 4
			for le.Uint32(b[last:]) == 0 { // padding
				last -= 4
			}
			le.PutUint32(b[last:], le.Uint32(b[last:])-1)
			return b
		}, "string offsets end"},
		{"index slot out of range", func(b []byte, offs [parsedNSections]int) []byte { return setSlot(b, offs, 0, 1<<20) }, "slot names string"},
		{"index names a string twice", func(b []byte, offs [parsedNSections]int) []byte { return setSlot(b, offs, 0, 1) }, "twice"},
		{"index misses a string", func(b []byte, offs [parsedNSections]int) []byte { return setSlot(b, offs, 1, 0) }, "strings are in it"},
		{"EVR string out of range", func(b []byte, offs [parsedNSections]int) []byte { le.PutUint32(b[offs[evrs]+16+8:], 1<<20); return b }, "EVR 1: string index"},
		{"EVR 0 not empty", func(b []byte, offs [parsedNSections]int) []byte { le.PutUint32(b[offs[evrs]+8:], 1); return b }, "EVR table: entry 0"},
		{"reldep name out of range", func(b []byte, offs [parsedNSections]int) []byte { le.PutUint32(b[offs[rels]+12:], 1<<20); return b }, "reldep 1: string index"},
		{"reldep EVR out of range", func(b []byte, offs [parsedNSections]int) []byte { le.PutUint32(b[offs[rels]+16:], 1<<20); return b }, "reldep 1: EVR index"},
		{"reldep flags", func(b []byte, offs [parsedNSections]int) []byte { b[offs[rels]+12+8] = 1 << 4; return b }, "unknown bits"},
		{"dep out of range", func(b []byte, offs [parsedNSections]int) []byte { le.PutUint32(b[offs[deps]+4:], 1<<20); return b }, "reldep index"},
		{"file out of range", func(b []byte, offs [parsedNSections]int) []byte { le.PutUint32(b[offs[files]:], 1<<20); return b }, "file 0: string index"},
		{"package name out of range", field(unsafe.Offsetof(r.name)), "string index 999"},
		{"package location out of range", field(unsafe.Offsetof(r.loc)), "string index 999"},
		{"package EVR out of range", field(unsafe.Offsetof(r.evr)), "EVR index 999"},
		{"deps past the table", field(unsafe.Offsetof(r.obs)), "do not follow"},
		{"deps out of order", field(unsafe.Offsetof(r.prov)), "do not follow"},
		{"files past the table", field(unsafe.Offsetof(r.filesEnd)), "files ["},
		{"fewer deps used than declared", func(b []byte, offs [parsedNSections]int) []byte {
			// Package 1 loses a requirement, the later ones follow it.
			at := func(p int, f uintptr) []byte { return b[offs[pkgs]+p*parsedPkgSize+int(f):] }
			for p := 1; p < len(sample); p++ {
				for _, f := range []uintptr{unsafe.Offsetof(r.dep), unsafe.Offsetof(r.prov), unsafe.Offsetof(r.req), unsafe.Offsetof(r.con), unsafe.Offsetof(r.obs)} {
					if p > 1 || f != unsafe.Offsetof(r.dep) && f != unsafe.Offsetof(r.prov) {
						le.PutUint32(at(p, f), le.Uint32(at(p, f))-1)
					}
				}
			}
			return b
		}, "more than the packages use"},
		{"bool not 0 or 1", func(b []byte, offs [parsedNSections]int) []byte {
			b[offs[pkgs]+int(unsafe.Offsetof(r.fullFiles))] = 2
			return b
		}, "not 0 or 1"},
		{"by-name starts fall", func(b []byte, offs [parsedNSections]int) []byte {
			le.PutUint32(b[offs[byNameStart]+4:], 1<<20)
			return b
		}, "by-name index: key 0: starts"},
		{"by-name starts end short", func(b []byte, offs [parsedNSections]int) []byte {
			end := offs[byNameList] - 4
			for le.Uint32(b[end:]) == 0 { // padding
				end -= 4
			}
			le.PutUint32(b[end:], le.Uint32(b[end:])-1)
			return b
		}, "by-name index: starts run"},
		{"whatprovides package out of range", func(b []byte, offs [parsedNSections]int) []byte { le.PutUint32(b[offs[provList]:], 4); return b }, "whatprovides index: key"},
		{"whatprovides package negative", func(b []byte, offs [parsedNSections]int) []byte {
			le.PutUint32(b[offs[provList]:], 0xffffffff)
			return b
		}, "out of range or out of order"},
		{"file owners out of order", func(b []byte, offs [parsedNSections]int) []byte {
			return twoInOrder(b, offs[ownerStart], offs[ownerList])
		}, "file-owner index: key"},
		{"file deps out of order", func(b []byte, offs [parsedNSections]int) []byte {
			le.PutUint32(b[offs[fileDeps]+4:], le.Uint32(b[offs[fileDeps]:]))
			return b
		}, "file deps: entry 1"},
		{"hidden stored", func(b []byte, offs [parsedNSections]int) []byte {
			b[offs[pkgs]+int(unsafe.Offsetof(r.hidden))] = 1
			return b
		}, "not 0 or 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := bytes.Clone(enc)
			_, offs := parsedLayout(b)
			in := parsedResum(tc.edit(b, offs))
			_, err := readParsedPkgs(bytes.NewReader(in), "base")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
	// A sound entry of another repo is refused: records name their repo.
	if _, err := readParsedPkgs(bytes.NewReader(enc), "other"); err == nil || !strings.Contains(err.Error(), "repo is") {
		t.Errorf("another repo's entry: err = %v", err)
	}
}

// setSlot sets the n-th used slot (n-th empty one when v is 1) of an
// entry's string index to v.
func setSlot(b []byte, offs [parsedNSections]int, n int, v uint32) []byte {
	le := binary.LittleEndian
	for at := offs[6]; at < offs[7]; at += 4 {
		used := le.Uint32(b[at:]) != 0
		if used == (v != 1) {
			if n == 0 {
				le.PutUint32(b[at:], v)
				return b
			}
			n--
		}
	}
	panic("no such slot")
}

// twoInOrder swaps the first two packages of the first key of a csr with
// two, so that they are out of order.
func twoInOrder(b []byte, start, list int) []byte {
	le := binary.LittleEndian
	for k := start; ; k += 4 {
		from, to := le.Uint32(b[k:]), le.Uint32(b[k+4:])
		if to-from >= 2 {
			at := list + 4*int(from)
			x, y := le.Uint32(b[at:]), le.Uint32(b[at+4:])
			le.PutUint32(b[at:], y)
			le.PutUint32(b[at+4:], x)
			return b
		}
	}
}
