package resolver

import (
	"slices"
	"strings"
)

// The policy chooses among packages that could all satisfy a rule, as
// libsolv's policy_filter_unwanted does: keep the best repo priority, then
// the best arch, then per name the best version, drop what another
// candidate obsoletes; when choosing (not just checking whether a choice
// is clear), reorder: older versions of a name last, packages providing an
// older version of a shared "X = v" provide after the others, packages
// with an installed package of their name first. The first one left wins;
// names compare as strings.

type policyMode uint8

const (
	policyChoose          policyMode = iota // prune and reorder
	policyChooseNoReorder                   // prune only: is the choice clear?
)

func (s *solver) filterUnwanted(dq []int32, mode policyMode) []int32 {
	if len(dq) > 1 {
		dq = s.pruneToHighestPrio(dq)
	}
	if len(dq) > 1 {
		dq = s.pruneToBestArch(dq)
	}
	if len(dq) > 1 {
		dq = s.pruneToBestVersion(dq)
	}
	// (prune_to_recommended: nothing is recommended in rpm-md el6 repos.)
	if len(dq) > 1 && mode == policyChoose {
		dq = s.dislikeOldVersions(dq)
		dq = s.sortByCommonDep(dq)
		dq = s.moveInstalledToFront(dq)
	}
	return dq
}

// pruneToHighestPrio keeps the candidates of the best repo priority;
// installed packages always stay.
func (s *solver) pruneToHighestPrio(dq []int32) []int32 {
	best, set := 0, false
	for _, p := range dq {
		if s.inst[p] {
			continue
		}
		if !set || s.prio[p] > best {
			best, set = s.prio[p], true
		}
	}
	if !set {
		return dq
	}
	out := dq[:0]
	for _, p := range dq {
		if s.prio[p] == best || s.inst[p] {
			out = append(out, p)
		}
	}
	return out
}

// pruneToBestArch drops every candidate of an arch class worse than the
// best one among them (noarch always stays).
func (s *solver) pruneToBestArch(dq []int32) []int32 {
	var best uint32
	for _, p := range dq {
		if a := s.score[p]; a != 0 && a != 1 && (best == 0 || a < best) {
			best = a
		}
	}
	if best == 0 {
		return dq
	}
	out := make([]int32, 0, len(dq))
	for _, p := range dq {
		a := s.score[p]
		if a == 0 || (a != 1 && (a^best)&0xffff0000 != 0) {
			continue
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return dq
	}
	return out
}

// pruneToBestVersion keeps per name the newest version (installed first
// among equals), sorted by name, then drops candidates another obsoletes.
func (s *solver) pruneToBestVersion(dq []int32) []int32 {
	slices.SortFunc(dq, func(a, b int32) int {
		pa, pb := s.rec(a), s.rec(b)
		if pa.name != pb.name {
			return strings.Compare(s.pool.str(pa.name), s.pool.str(pb.name))
		}
		if pa.arch != pb.arch {
			aa, ab := s.score[a], s.score[b]
			if aa != ab && aa > 1 && ab > 1 {
				if aa < ab {
					return -1
				}
				return 1
			}
		}
		if s.inst[a] != s.inst[b] {
			if s.inst[a] {
				return -1
			}
			return 1
		}
		return int(a - b)
	})
	out := dq[:0]
	best := int32(0)
	for _, p := range dq {
		if best == 0 {
			best = p
			continue
		}
		if s.rec(best).name != s.rec(p).name {
			out = append(out, best)
			best = p
			continue
		}
		if s.pool.cmpEVR(s.rec(best).evr, s.rec(p).evr) < 0 {
			best = p
		}
	}
	out = append(out, best)
	if len(out) == 2 {
		return s.pruneObsoleted2(out)
	}
	if len(out) > 2 {
		return s.pruneObsoleted(out)
	}
	return out
}

// obsoletesOther: does p obsolete q, q of another name?
func (s *solver) obsoletesOther(p, q int32) bool {
	if s.rec(p).name == s.rec(q).name {
		return false
	}
	return s.obsoletes(p, q)
}

func (s *solver) pruneObsoleted2(dq []int32) []int32 {
	m := 0
	if s.obsoletesOther(dq[0], dq[1]) {
		m |= 1
	}
	if s.obsoletesOther(dq[1], dq[0]) {
		m |= 2
	}
	switch m {
	case 1:
		return dq[:1]
	case 2:
		return dq[1:]
	}
	return dq
}

// pruneObsoleted drops candidates obsoleted by others, keeping groups that
// obsolete each other (libsolv's Tarjan walk over the obsoletes graph:
// only a cycle reached first survives).
func (s *solver) pruneObsoleted(dq []int32) []int32 {
	n := len(dq)
	low := make([]int, n)
	// stack is indexed like libsolv's, by visit number.
	stack := make([]int, 2*n+2)
	idx, first, nstack := 1, 0, 0
	var visit func(node int)
	visit = func(node int) {
		my := idx
		low[node] = idx
		idx++
		start := nstack
		stack[nstack] = node
		nstack++
		for i := 0; i < n; i++ {
			if i == node || !s.obsoletesOther(dq[node], dq[i]) {
				continue
			}
			l := low[i]
			if l == 0 {
				if r := s.rec(dq[i]); r.obs == r.con {
					idx++
					low[i] = -1
					continue
				}
				visit(i)
				l = low[i]
			}
			if l < 0 {
				continue
			}
			if l < first {
				// An older group is obsoleted: drop it.
				for k := l; k < len(stack) && low[stack[k]] == l; k++ {
					low[stack[k]] = -1
				}
			} else if l < low[node] {
				low[node] = l
			}
		}
		if low[node] == my {
			if my != first {
				my = -1
			}
			for _, k := range stack[start:nstack] {
				low[k] = my
			}
			nstack = start
		}
	}
	for i := 0; i < n; i++ {
		if low[i] != 0 {
			continue
		}
		if r := s.rec(dq[i]); r.obs > r.con {
			first, nstack = idx, idx
			visit(i)
		} else {
			low[i] = idx
			stack[idx] = i
			idx++
		}
	}
	out := dq[:0]
	for i, p := range dq {
		if low[i] >= 0 {
			out = append(out, p)
		}
	}
	return out
}

// dislikeOldVersions moves candidates with a newer version (or a better
// priority) of their name and arch elsewhere to the back.
func (s *solver) dislikeOldVersions(dq []int32) []int32 {
	var good, bad []int32
	for _, p := range dq {
		if s.inst[p] || !s.hasBetter(p) {
			good = append(good, p)
		} else {
			bad = append(bad, p)
		}
	}
	return append(good, bad...)
}

func (s *solver) hasBetter(p int32) bool {
	pp := s.rec(p)
	for _, q := range s.byName(pp.name) {
		qp := s.rec(q)
		if q == p || qp.arch != pp.arch {
			continue
		}
		if s.prio[p] != s.prio[q] {
			if s.prio[p] > s.prio[q] {
				continue
			}
			return true
		}
		if s.pool.cmpEVR(qp.evr, pp.evr) > 0 {
			return true
		}
	}
	return false
}

// sortByCommonDep puts candidates that provide an older version of an
// "X = v" (or "X < v") another candidate provides newer after the others.
func (s *solver) sortByCommonDep(dq []int32) []int32 {
	type ent struct {
		k   int
		dep Dep
	}
	var ents []ent
	for k, p := range dq {
		for d := range s.provides(p) {
			if f := Flags(d.flags); f == Equal || f == Less|Equal || f == Less {
				dep := Dep{Name: s.pool.str(d.name), Flags: f, EVR: s.pool.evr(d.evr)}
				if f == Equal && isHash(dep.EVR.String()) {
					continue
				}
				ents = append(ents, ent{k, dep})
			}
		}
	}
	if len(ents) < 2 {
		return dq
	}
	cmp := func(a, b ent) int {
		if c := strings.Compare(a.dep.Name, b.dep.Name); c != 0 {
			return c
		}
		c := matchReleaseCompare(b.dep.EVR, a.dep.EVR)
		la, lb := a.dep.Flags == Less, b.dep.Flags == Less
		if c == 0 && (la || lb) && la != lb {
			if !lb {
				return 1
			}
			return -1
		}
		return c
	}
	slices.SortStableFunc(ents, cmp)
	badness := make([]int, len(dq))
	bad, haveBad := 0, false
	for i := range ents {
		if i > 0 && ents[i].dep.Name == ents[i-1].dep.Name {
			if ents[i].k != ents[i-1].k && cmp(ents[i-1], ents[i]) == -1 {
				bad++
				haveBad = true
			}
		} else {
			bad = 0
		}
		badness[ents[i].k] += bad
	}
	if !haveBad {
		return dq
	}
	for k, p := range dq {
		if s.inst[p] {
			badness[k] = 0
		}
	}
	idx := make([]int, len(dq))
	for k := range idx {
		idx[k] = k
	}
	slices.SortStableFunc(idx, func(a, b int) int { return badness[a] - badness[b] })
	out := make([]int32, len(dq))
	for k, i := range idx {
		out[k] = dq[i]
	}
	return out
}

func isHash(v string) bool {
	if len(v) < 4 {
		return false
	}
	for _, c := range v {
		if !(c >= 'a' && c <= 'f' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// matchReleaseCompare compares EVRs ignoring the release when either has none.
func matchReleaseCompare(a, b EVR) int {
	if a.Release == "" || b.Release == "" {
		a.Release, b.Release = "", ""
	}
	return a.Compare(b)
}

// moveInstalledToFront brings candidates with an installed package of
// their name to the front, keeping the order otherwise.
func (s *solver) moveInstalledToFront(dq []int32) []int32 {
	var front, rest []int32
	for _, p := range dq {
		if s.inst[p] || s.nameInstalled(s.rec(p).name) {
			front = append(front, p)
		} else {
			rest = append(rest, p)
		}
	}
	return append(front, rest...)
}

func (s *solver) nameInstalled(name strID) bool {
	for _, q := range s.byName(name) {
		if s.inst[q] {
			return true
		}
	}
	return false
}
