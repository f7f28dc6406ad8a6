package resolver

import (
	"encoding/binary"
	"unsafe"
)

// csr is an index from ids to lists of package ids, as two slices: the
// list of id k is list[start[k]:start[k+1]]. It is built once, in two
// passes (count, then fill), with no per-key allocation; a parsed-cache
// entry stores its packages' indexes in this form.
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
	if int(k)+1 >= len(c.start) {
		return nil
	}
	return c.list[c.start[k]:c.start[k+1]:c.start[k+1]]
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
