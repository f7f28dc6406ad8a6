package resolver

import (
	"encoding/binary"
	"math/bits"
	"unsafe"
)

// csr is an index from ids to lists of package ids, as two slices: the
// list of id k is list[start[k]:start[k+1]]. It is built once, in two
// passes (count, then fill), with no per-key allocation; a parsed-cache
// entry stores its packages' indexes in this form.
//
// A sparse csr (newSparseCSR) has starts only for the keys with a list,
// which present marks: the list of present key k is
// list[start[r]:start[r+1]] where r is k's rank among them. A universe's
// look-ups are keyed by every string of the pool, a few in three of
// which are names: dense starts were megabytes beside a cold solve.
type csr struct {
	start []uint32
	list  []int32
	// present has bit k%64 of word k/64 set when key k has a list; rank
	// holds, for each word, how many keys of the words before it have.
	// nil for a dense csr.
	present []uint64
	rank    []uint32
}

// newCSR builds the index over keys 0..nkeys-1 from each(emit), which must
// call emit(key, pkg) the same way both times it runs, with ascending pkg;
// a repeated (key, pkg) is kept once.
func newCSR(nkeys int, each func(emit func(key uint32, pkg int32))) csr {
	c := csr{start: make([]uint32, nkeys+1)}
	last := make([]int32, nkeys)
	for k := range last {
		last[k] = -1
	}
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
	for k := range last {
		last[k] = -1
	}
	// Each key's start is its fill cursor: filled, it is the next key's
	// start, and the starts move up one place (no cursor array of their
	// size, megabytes for a large repo's strings).
	each(func(k uint32, pkg int32) {
		if last[k] != pkg {
			last[k] = pkg
			c.list[c.start[k]] = pkg
			c.start[k]++
		}
	})
	copy(c.start[1:], c.start[:nkeys])
	c.start[0] = 0
	return c
}

// of returns key k's packages; the caller must not change them.
func (c *csr) of(k strID) []int32 {
	if c.present != nil {
		w := int(k >> 6)
		if w >= len(c.present) {
			return nil
		}
		bit := uint64(1) << (k & 63)
		if c.present[w]&bit == 0 {
			return nil
		}
		k = strID(c.rank[w] + uint32(bits.OnesCount64(c.present[w]&(bit-1))))
	}
	if int(k)+1 >= len(c.start) {
		return nil
	}
	return c.list[c.start[k]:c.start[k+1]:c.start[k+1]]
}

// newSparseCSR is newCSR for a sparse index: each(emit) runs three
// times (mark the keys, count, fill), and what it keeps per key is for
// the keys with lists only.
func newSparseCSR(nkeys int, each func(emit func(key uint32, pkg int32))) csr {
	c := csr{present: make([]uint64, (nkeys+63)/64)}
	each(func(k uint32, _ int32) { c.present[k>>6] |= 1 << (k & 63) })
	c.rank = make([]uint32, len(c.present))
	n := uint32(0)
	for w, b := range c.present {
		c.rank[w] = n
		n += uint32(bits.OnesCount64(b))
	}
	rankOf := func(k uint32) uint32 {
		return c.rank[k>>6] + uint32(bits.OnesCount64(c.present[k>>6]&(1<<(k&63)-1)))
	}
	c.start = make([]uint32, n+1)
	last := make([]int32, n)
	for r := range last {
		last[r] = -1
	}
	each(func(k uint32, pkg int32) {
		if r := rankOf(k); last[r] != pkg {
			last[r] = pkg
			c.start[r+1]++
		}
	})
	for r := uint32(1); r <= n; r++ {
		c.start[r] += c.start[r-1]
	}
	c.list = make([]int32, c.start[n])
	for r := range last {
		last[r] = -1
	}
	// As in newCSR, each start is its key's fill cursor, then moves up.
	each(func(k uint32, pkg int32) {
		if r := rankOf(k); last[r] != pkg {
			last[r] = pkg
			c.list[c.start[r]] = pkg
			c.start[r]++
		}
	})
	copy(c.start[1:], c.start[:n])
	c.start[0] = 0
	return c
}

// cacheHash is the parsed cache's string hash. It is fixed (unlike the
// heap index's maphash, whose seed changes per process) because the
// entry stores its index: a writer and every later reader must agree.
// Only strings of a local, checksummed file are hashed with it; strings
// from the network go to the heap index.
func cacheHash(s string) uint64 {
	const m = 0x9e3779b97f4a7c15
	h := uint64(len(s)) * m
	for len(s) >= 8 {
		h = (h ^ binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s), 8))) * m
		h ^= h >> 31
		s = s[8:]
	}
	var tail uint64
	for i := len(s) - 1; i >= 0; i-- {
		tail = tail<<8 | uint64(s[i])
	}
	h = (h ^ tail) * m
	h ^= h >> 29
	h *= 0xbf58476d1ce4e5b9
	return h ^ h>>32
}

// cacheSlots is the size of the stored index for n strings: a power of
// two, at most three quarters full.
func cacheSlots(n int) int {
	size := 16
	for size < n+n/3+1 {
		size <<= 1
	}
	return size
}

// find looks s up in the base's stored index. A probe never runs past
// the table's size, so even an index with no empty slot (which opening
// refuses) cannot loop.
func (b *poolBase) find(s string) (strID, bool) {
	n := len(b.strSlots)
	if n == 0 {
		return 0, false
	}
	mask := uint64(n - 1)
	i := cacheHash(s) & mask
	for range n {
		v := b.strSlots[i]
		if v == 0 {
			return 0, false
		}
		if b.blob[b.strOff[v-1]:b.strOff[v]] == s {
			return strID(v - 1), true
		}
		i = (i + 1) & mask
	}
	return 0, false
}

// bytesView is b as a string without a copy, for look-ups only: the
// string must not outlive the call.
func bytesView(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}
