package resolver

import "hash/maphash"

// strIndex finds a string's id in a pool's table, as libsolv's stringpool
// hash does: an open-addressing table of ids (4 bytes a slot, half full at
// most) over the strings themselves. A map[string]strID would cost some 40
// bytes a string, and a large repo has hundreds of thousands of strings.
type strIndex struct {
	seed  maphash.Seed
	slots []uint32 // id+1; 0 is an empty slot; len is a power of two
	n     int
	// dups counts strings found already in the table while building it: a
	// table with duplicates cannot stand for its strings by their ids.
	dups int
}

// build indexes every string of strs, with room for as many as strs has
// capacity for: a pool made for a repo's strings fills without rehashing.
func (x *strIndex) build(strs []string) {
	x.seed = maphash.MakeSeed()
	x.slots = make([]uint32, tableSize(cap(strs)))
	x.n, x.dups = 0, 0
	for i, s := range strs {
		if _, ok := x.find(strs, s); ok {
			x.dups++
			continue
		}
		x.insert(strs, strID(i))
	}
}

func tableSize(n int) int {
	size := 16
	for size < 2*n {
		size <<= 1
	}
	return size
}

func (x *strIndex) find(strs []string, s string) (strID, bool) {
	mask := uint64(len(x.slots) - 1)
	for i := maphash.String(x.seed, s) & mask; ; i = (i + 1) & mask {
		v := x.slots[i]
		if v == 0 {
			return 0, false
		}
		if strs[v-1] == s {
			return strID(v - 1), true
		}
	}
}

func (x *strIndex) findBytes(strs []string, b []byte) (strID, bool) {
	mask := uint64(len(x.slots) - 1)
	for i := maphash.Bytes(x.seed, b) & mask; ; i = (i + 1) & mask {
		v := x.slots[i]
		if v == 0 {
			return 0, false
		}
		if strs[v-1] == string(b) { // no allocation: the compiler compares in place
			return strID(v - 1), true
		}
	}
}

// add indexes strs[id], a string not in the table yet, and returns id.
func (x *strIndex) add(strs []string, id strID) strID {
	if 2*(x.n+1) > len(x.slots) {
		old := x.slots
		x.slots = make([]uint32, 2*len(old))
		x.n = 0
		for _, v := range old {
			if v != 0 {
				x.insert(strs, strID(v-1))
			}
		}
	}
	x.insert(strs, id)
	return id
}

func (x *strIndex) insert(strs []string, id strID) {
	mask := uint64(len(x.slots) - 1)
	i := maphash.String(x.seed, strs[id]) & mask
	for x.slots[i] != 0 {
		i = (i + 1) & mask
	}
	x.slots[i] = uint32(id) + 1
	x.n++
}
