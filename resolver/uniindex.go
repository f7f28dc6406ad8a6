package resolver

import (
	"slices"
	"strings"
)

// uniIndex is a universe's look-ups by name, in universe package indexes
// (ascending in every list): what a solve reads instead of scanning the
// packages. A parsed-cache entry stores them for its repo (stored), so a
// universe of that one repo reads them in place; any other universe
// builds them once.
type uniIndex struct {
	byName   csr // the packages of each name
	whatProv csr // the packages providing each name, their own included
	// fileOwners are the packages listing each path as the entry has them
	// (primary.xml's paths); only when stored.
	fileOwners csr
	// fileDeps are the paths any package requires, conflicts with or
	// obsoletes, ascending.
	fileDeps []strID
	stored   bool
	npkgs    int // the packages the index covers
}

// index returns the universe's look-ups, made or found on the first call.
// The packages must not change after it: it is called by solves, after
// loading.
func (u *Universe) index() *uniIndex {
	if u.idx != nil && u.idx.npkgs == len(u.pkgs) {
		return u.idx
	}
	if u.pool == nil {
		u.pool = newIDPool(1)
	}
	if b := u.pool.base.idx; b != nil && b.npkgs == len(u.pkgs) {
		u.idx = b
		return b
	}
	pool, n := u.pool, u.pool.nstrs()
	idx := &uniIndex{npkgs: len(u.pkgs)}
	idx.byName = newSparseCSR(n, func(emit func(uint32, int32)) {
		for k := range u.pkgs {
			emit(uint32(u.pkgs[k].name), int32(k))
		}
	})
	idx.whatProv = newSparseCSR(n, func(emit func(uint32, int32)) {
		for k := range u.pkgs {
			r := &u.pkgs[k]
			emit(uint32(r.name), int32(k))
			for j := r.dep; j < r.prov; j++ {
				emit(uint32(pool.depAt(j).name), int32(k))
			}
		}
	})
	// Each name's string is read once: a map of the paths seen, looked up
	// for each of the hundreds of thousands of requirements, and their
	// strings read again, were most of the time of building the index,
	// which a cold solve waits for.
	const (
		unknown = iota
		path
		notPath
	)
	kind := make([]uint8, n)
	for k := range u.pkgs {
		r := &u.pkgs[k]
		for j := r.prov; j < r.obs; j++ {
			d := pool.depAt(j)
			if kind[d.name] != unknown {
				continue
			}
			kind[d.name] = notPath
			if strings.HasPrefix(pool.str(d.name), "/") {
				kind[d.name] = path
				idx.fileDeps = append(idx.fileDeps, d.name)
			}
		}
	}
	slices.Sort(idx.fileDeps)
	u.idx, pool.uidx, pool.uidxOf = idx, idx, nil
	if len(u.pkgs) > 0 {
		pool.uidxOf = &u.pkgs[0]
	}
	return idx
}
