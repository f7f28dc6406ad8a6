package resolver

import (
	"hash/maphash"
	"math/bits"
	"unsafe"
)

// strArena holds a pool's heap strings back to back in large chunks, as
// libsolv's stringpool does: a repo has hundreds of thousands of strings,
// and as Go strings each was an allocation, rounded up to its size class,
// behind a 16-byte header the collector traced. Here a string costs its
// bytes and 8 bytes of position, and the chunks hold no pointers. A chunk
// is never moved, and its bytes are never written again once a string is
// in them, so a string handed out stays valid (and keeps its chunk).
type strArena struct {
	chunks [][]byte // each filled up to its length, within its capacity
	// locs are the strings in order, each chunk<<32 | its end in the
	// chunk; a string starts where the one before it ends when that one
	// is in the same chunk, and at 0 otherwise.
	locs []uint64
}

// Chunks start small (a pool of a few installed packages) and double up
// to arenaChunk; a longer string has a chunk of its own.
const (
	arenaFirstChunk = 4 << 10
	arenaChunk      = 1 << 20
)

// newStrArena makes an arena with room for n strings' positions, holding
// "" as string 0.
func newStrArena(n int) strArena {
	a := strArena{locs: make([]uint64, 0, max(n, 1))}
	a.add(nil)
	return a
}

func (a *strArena) len() int { return len(a.locs) }

// at returns string k, a view of its chunk.
func (a *strArena) at(k uint32) string {
	loc := a.locs[k]
	c, end := loc>>32, uint32(loc)
	start := uint32(0)
	if k > 0 {
		if prev := a.locs[k-1]; prev>>32 == c {
			start = uint32(prev)
		}
	}
	if end == start {
		return ""
	}
	return unsafe.String(&a.chunks[c][start], end-start)
}

// add appends a copy of b as the next string and returns its index.
func (a *strArena) add(b []byte) uint32 {
	if len(a.chunks) == 0 && len(b) == 0 {
		a.locs = append(a.locs, 0) // "" needs no chunk
		return uint32(len(a.locs) - 1)
	}
	last := len(a.chunks) - 1
	if last < 0 || len(a.chunks[last])+len(b) > cap(a.chunks[last]) {
		size := arenaFirstChunk
		if last >= 0 {
			size = min(2*cap(a.chunks[last]), arenaChunk)
		}
		a.chunks = append(a.chunks, make([]byte, 0, max(size, len(b))))
		last++
	}
	a.chunks[last] = append(a.chunks[last], b...)
	a.locs = append(a.locs, uint64(last)<<32|uint64(len(a.chunks[last])))
	return uint32(len(a.locs) - 1)
}

// strIndex finds a string's id in a pool's table, as libsolv's stringpool
// hash does: an open-addressing table of ids over the strings themselves.
// A map[string]strID would cost some 40 bytes a string, and a large repo
// has hundreds of thousands of strings. A slot is 4 bytes: the string's
// id+1 in its low bits (as many as the table's length needs, as the
// table has more slots than strings) and the top bits of its hash above
// them, so that a probe of another string is almost always told apart by
// the slot alone: comparing strings means reading the arena's positions
// and bytes, two cache misses or three in a table of megabytes, which was
// most of the cost of interning a repo. With the hash in the slot the
// table can be fuller (three quarters at most).
type strIndex struct {
	seed  maphash.Seed
	slots []uint32 // hash tag | id+1; 0 is an empty slot; len is a power of two
	shift uint     // the low bits of a slot that hold id+1: log2(len(slots))
	n     int
	// dups counts strings found already in the table while building it: a
	// table with duplicates cannot stand for its strings by their ids.
	dups int
}

// build indexes every string of a, with room for as many as a has
// positions for: a pool made for a repo's strings fills without rehashing.
func (x *strIndex) build(a *strArena) {
	x.seed = maphash.MakeSeed()
	x.alloc(strTableSize(cap(a.locs)))
	x.n, x.dups = 0, 0
	for k := range a.len() {
		s := a.at(uint32(k))
		if _, ok := x.find(a, s); ok {
			x.dups++
			continue
		}
		x.add(a, strID(k))
	}
}

// alloc makes an empty table of size slots (a power of two).
func (x *strIndex) alloc(size int) {
	x.slots = make([]uint32, size)
	x.shift = uint(bits.TrailingZeros(uint(size)))
}

// tableSize is the length of a table of n entries kept at most half full.
func tableSize(n int) int {
	size := 16
	for size < 2*n {
		size <<= 1
	}
	return size
}

// strTableSize is the length of a strIndex table for n strings, kept at
// most three quarters full.
func strTableSize(n int) int {
	size := 16
	for 3*size < 4*n {
		size <<= 1
	}
	return size
}

// tag is the part of a slot that h decides: its top bits, above the id.
// (A shift of 32 or more leaves none, and the id alone decides.)
func (x *strIndex) tag(h uint64) uint32 { return uint32(h>>32) >> x.shift << x.shift }

// idOf is the id a used slot holds.
func (x *strIndex) idOf(v uint32) strID { return strID(v&(1<<x.shift-1) - 1) }

// fits: can a slot of this table hold id? (Ids are below the table's
// length but for a table built over duplicates.)
func (x *strIndex) fits(id strID) bool { return uint64(id)+1 < 1<<x.shift }

// full: would one more string make the table more than three quarters full?
func (x *strIndex) full() bool { return 4*(x.n+1) > 3*len(x.slots) }

func (x *strIndex) find(a *strArena, s string) (strID, bool) {
	h := maphash.String(x.seed, s)
	mask, tag := uint64(len(x.slots)-1), x.tag(h)
	for i := h & mask; ; i = (i + 1) & mask {
		v := x.slots[i]
		if v == 0 {
			return 0, false
		}
		if v^tag < 1<<x.shift && a.at(uint32(x.idOf(v))) == s {
			return x.idOf(v), true
		}
	}
}

// internBytes returns b's id, adding a copy of it to a when new; the hash
// and the probe serve both.
func (x *strIndex) internBytes(a *strArena, b []byte) strID {
	h := maphash.Bytes(x.seed, b)
	mask, tag := uint64(len(x.slots)-1), x.tag(h)
	i := h & mask
	for ; ; i = (i + 1) & mask {
		v := x.slots[i]
		if v == 0 {
			break
		}
		if v^tag < 1<<x.shift && a.at(uint32(x.idOf(v))) == string(b) { // no allocation: the compiler compares in place
			return x.idOf(v)
		}
	}
	id := strID(a.add(b))
	if x.full() || !x.fits(id) {
		x.insert(a, h, id)
		return id
	}
	x.slots[i] = tag | uint32(id+1)
	x.n++
	return id
}

// add indexes string id of a, not in the table yet, and returns id.
func (x *strIndex) add(a *strArena, id strID) strID {
	x.insert(a, maphash.String(x.seed, a.at(uint32(id))), id)
	return id
}

// insert puts id, of hash h, in the table, growing it first when it is
// full or its slots cannot hold id.
func (x *strIndex) insert(a *strArena, h uint64, id strID) {
	for x.full() || !x.fits(id) {
		x.grow(a)
	}
	x.place(h, id)
}

// grow doubles the table; the strings are hashed again, as a slot holds
// fewer of their hash's bits than the new table needs.
func (x *strIndex) grow(a *strArena) {
	old, oldShift := x.slots, x.shift
	x.alloc(2 * len(old))
	x.n = 0
	for _, v := range old {
		if v != 0 {
			id := strID(v&(1<<oldShift-1) - 1)
			x.place(maphash.String(x.seed, a.at(uint32(id))), id)
		}
	}
}

// place puts id in the first free slot from h's.
func (x *strIndex) place(h uint64, id strID) {
	mask := uint64(len(x.slots) - 1)
	i := h & mask
	for x.slots[i] != 0 {
		i = (i + 1) & mask
	}
	x.slots[i] = x.tag(h) | uint32(id+1)
	x.n++
}
