package resolver

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/rpmvault/rpmvault/resolver/internal/rpmarch"
)

// Whether a package is a candidate: not known yet, or known.
const (
	candUnknown uint8 = iota
	candYes
	candNo
)

// candMemo keeps what isCand decided per name, arch and repo, so each
// pattern match and priority look-up is made once per distinct string.
type candMemo struct {
	arch, excluded map[strID]bool
	prio           map[strID]int
}

func newCandMemo() candMemo {
	return candMemo{arch: map[strID]bool{}, excluded: map[strID]bool{}, prio: map[strID]int{}}
}

// isCand says whether package i may be chosen: installed, or a universe
// package its repo's filter keeps, of an arch the policy allows, not
// excluded and meeting the constraints on its name. The first time it is
// asked about a package it also sets the package's priority and policy
// attributes (classify).
func (s *solver) isCand(i int32) bool {
	switch s.cand[i] {
	case candYes:
		return true
	case candNo:
		return false
	}
	var r solveRec
	if s.urecs != nil {
		r = s.urecs[i-s.instEnd]
	} else {
		up := &s.u.pkgs[i-s.instEnd]
		r = solveRec{pkgRec: up.pkgRec, repo: up.repo, hidden: up.hidden}
	}
	m := &s.memo
	archOK, ok := m.arch[r.arch]
	if !ok {
		archOK = s.archOK(s.pool.str(r.arch))
		m.arch[r.arch] = archOK
	}
	ex, ok := m.excluded[r.name]
	if !ok {
		ex = s.excluded(s.pool.str(r.name))
		m.excluded[r.name] = ex
	}
	if r.hidden || !archOK || ex || !s.meets(r.pkgRec, s.constraints[r.name]) {
		s.cand[i] = candNo
		return false
	}
	prio, ok := m.prio[r.repo]
	if !ok {
		prio = DefaultPriority
		if v, ok := s.req.RepoPriority[s.pool.str(r.repo)]; ok {
			prio = v
		}
		m.prio[r.repo] = prio
	}
	s.prio[i], s.cand[i] = -prio, candYes
	s.classify(i)
	return true
}

// classify sets a candidate's install-only flag, arch score and color.
func (s *solver) classify(i int32) {
	s.multi[i] = s.installOnly(i)
	arch := s.pool.str(s.rec(i).arch)
	s.score[i] = s.archScore(arch)
	switch {
	case arch == "noarch":
	case strings.Contains(arch, "64"):
		s.color[i] = 2
	default:
		s.color[i] = 1
	}
}

// candidates returns the installed packages of list inst, then the
// candidates among the universe packages of list univ, as ids: ascending,
// as every universe list is, and installed ids come first.
func (s *solver) candidates(inst []int32, univ []int32) []int32 {
	out := append([]int32(nil), inst...)
	for _, k := range univ {
		if id := s.instEnd + k; s.isCand(id) {
			out = append(out, id)
		}
	}
	return out[:len(out):len(out)]
}

// byName returns the candidates named name, in ascending ids. The caller
// must not change the slice.
func (s *solver) byName(name strID) []int32 {
	l, ok := s.named[name]
	if !ok {
		l = s.candidates(s.instNamed[name], s.idx.byName.of(name))
		s.named[name] = l
	}
	return l
}

// providers returns the candidates providing name (their own name
// included), in ascending ids. The caller must not change the slice.
func (s *solver) providers(name strID) []int32 {
	l, ok := s.provided[name]
	if !ok {
		l = s.candidates(s.instProv[name], s.idx.whatProv.of(name))
		s.provided[name] = l
	}
	return l
}

// obsoleterList returns the candidates with obsoletes, in ascending ids.
// Only updates of installed packages need it, and it reads every record,
// so it is made the first time they do.
func (s *solver) obsoleterList() []int32 {
	if s.obsoleters == nil {
		s.obsoleters = []int32{}
		for i := int32(2); i < s.n; i++ {
			if r := s.rec(i); r.obs > r.con && (i < s.instEnd || s.isCand(i)) {
				s.obsoleters = append(s.obsoleters, i)
			}
		}
	}
	return s.obsoleters
}

// wantedIDs are the paths anything could ask the solver for: the file
// requirements, conflicts and obsoletes of the universe's packages and of
// installed packages no repo has, and path specs.
func (s *solver) wantedIDs() map[strID]bool {
	want := make(map[strID]bool, len(s.idx.fileDeps))
	for _, id := range s.idx.fileDeps {
		want[id] = true
	}
	for i := int32(2); i < s.instEnd; i++ {
		if s.uidx[i] >= 0 {
			continue
		}
		r := s.recs[i]
		for k := r.prov; k < r.obs; k++ {
			if d := s.pool.depAt(k); strings.HasPrefix(s.pool.str(d.name), "/") {
				want[d.name] = true
			}
		}
	}
	for _, spec := range s.req.Install {
		if strings.HasPrefix(spec, "/") {
			id, _ := s.pool.lookup(spec) // interned by newSolver
			want[id] = true
		}
	}
	return want
}

// wantedPaths is wantedIDs as strings, as LoadFileLists takes them.
func (s *solver) wantedPaths() map[string]bool {
	want := map[string]bool{}
	for id := range s.wantedIDs() {
		want[s.pool.str(id)] = true
	}
	return want
}

// ownersOf returns the candidates listing path id, in ascending ids,
// worked out the first time a solve asks: on a large repo a solve asks
// about a few paths of the thousands something requires. A universe read
// from the parsed cache has the owners of its primary.xml paths stored;
// otherwise every package's paths are read once, for the paths anything
// can ask about (wantedIDs). Paths filelists added are looked up by
// their text (Universe.added). The caller must not change the slice.
func (s *solver) ownersOf(id strID) []int32 {
	if l, ok := s.files[id]; ok {
		return l
	}
	if s.twins == nil {
		s.twins = map[int32][]int32{}
		s.extFiles = map[string][]int32{}
		for i := int32(2); i < s.instEnd; i++ {
			if k := s.uidx[i]; k >= 0 {
				s.twins[k] = append(s.twins[k], i)
				continue
			}
			for _, f := range s.ext[i].Files {
				s.extFiles[f] = append(s.extFiles[f], i)
			}
		}
	}
	u, path := s.u, s.pool.str(id)
	if u.addedOwners == nil {
		u.addedOwners = map[string][]int32{}
		for k, files := range u.added {
			for _, f := range files {
				u.addedOwners[f] = append(u.addedOwners[f], k)
			}
		}
	}
	var univ []int32
	if s.idx.stored {
		univ = s.idx.fileOwners.of(id)
	} else {
		if s.scanned == nil {
			want := s.wantedIDs()
			s.scanned = map[strID][]int32{}
			for k := range u.pkgs {
				for _, f := range s.pool.filesOf(&u.pkgs[k]) {
					if want[f] {
						s.scanned[f] = append(s.scanned[f], int32(k))
					}
				}
			}
		}
		univ = s.scanned[id]
	}
	out := append([]int32(nil), s.extFiles[path]...)
	for _, list := range [][]int32{univ, u.addedOwners[path]} {
		for _, k := range list {
			out = append(out, s.twins[k]...)
			if i := s.instEnd + k; s.isCand(i) {
				out = append(out, i)
			}
		}
	}
	slices.Sort(out)
	out = slices.Compact(out)
	s.files[id] = out
	return out
}

// primaryPath: rpm-md's primary.xml lists every file matching these, so a
// requirement on such a path never needs the (large) file lists.
func primaryPath(p string) bool {
	return strings.HasPrefix(p, "/etc/") || strings.Contains(p, "bin/") || p == "/usr/lib/sendmail"
}

// whatProvides returns, in ascending ids, the candidates satisfying d: by
// provides (self-provides included), and for a path by file lists. A path
// primary.xml does not cover makes the complete file lists load, once; an
// error doing so is kept in s.err and ends rule generation. The caller
// must not change the slice.
func (s *solver) whatProvides(d depRec) []int32 {
	if sp, ok := s.whatCache[d]; ok {
		return s.whatLists[sp.off : sp.off+sp.n : sp.off+sp.n]
	}
	var out []int32
	for _, i := range s.providers(d.name) {
		if s.providesDep(i, d) {
			out = append(out, i)
		}
	}
	if name := s.pool.str(d.name); strings.HasPrefix(name, "/") {
		if !s.filesFull && !primaryPath(name) && s.u.LoadFileLists != nil && s.err == nil {
			s.filesFull = true
			if err := s.u.LoadFileLists(s.wantedPaths()); err != nil {
				s.err = fmt.Errorf("reading file lists for %s: %w", name, err)
			} else {
				clear(s.files) // the file lists grew
			}
		}
		if f := s.ownersOf(d.name); len(f) > 0 {
			out = append(out, f...)
			slices.Sort(out)
			out = slices.Compact(out)
		}
	}
	// Kept back to back in one pointer-free slice: a large solve asks
	// about some 10,000 dependencies, mostly with one or two providers,
	// and a slice each cost more than its answer. A slice handed out
	// before the list grows still holds its answer.
	sp := listSpan{off: uint32(len(s.whatLists)), n: uint32(len(out))}
	s.whatLists = append(s.whatLists, out...)
	s.whatCache[d] = sp
	if sp.n == 0 {
		return nil
	}
	return s.whatLists[sp.off : sp.off+sp.n : sp.off+sp.n]
}

// whatProvidesDep is whatProvides for a dependency given as strings.
func (s *solver) whatProvidesDep(d Dep) []int32 {
	r, ok := s.pool.lookupDep(d)
	if !ok {
		return nil
	}
	return s.whatProvides(r)
}

func (s *solver) providesDep(i int32, d depRec) bool {
	if s.pool.satisfies(s.self(i), d) {
		return true
	}
	r := s.rec(i)
	for k := r.dep; k < r.prov; k++ {
		if s.pool.satisfies(s.pool.depAt(k), d) {
			return true
		}
	}
	return false
}

// matchNEVR is libsolv's pool_match_nevr: the package itself (its name and
// version) meets d, as obsoletes are matched.
func (s *solver) matchNEVR(i int32, d depRec) bool {
	return s.pool.satisfies(s.self(i), d)
}

// archOK is the arch policy: the target arch and noarch; 32-bit x86 on
// x86_64 only with multilib.
func (s *solver) archOK(arch string) bool {
	switch {
	case arch == s.req.Arch || arch == "noarch":
		return true
	case (s.req.Multilib || s.installed32) && s.req.Arch == "x86_64":
		return rpmarch.Is32bitX86(arch)
	}
	return false
}

// archScore is libsolv's arch score for the target's policy
// (x86_64:athlon:i686:i586:i486:i386): 1 for noarch, otherwise lower is
// better, and arches of different classes differ in the high 16 bits.
func (s *solver) archScore(arch string) uint32 {
	if arch == "noarch" {
		return 1
	}
	if arch == s.req.Arch {
		return 0x10001
	}
	if k := rpmarch.X86Rank(arch); k >= 0 {
		return uint32(0x20001 + k*0x10000)
	}
	return 0
}

// colorMatch is libsolv's pool_colormatch: same arch, or noarch on either
// side, or both of one word size.
func colorMatch(a, b string) bool {
	if a == b || a == "noarch" || b == "noarch" {
		return true
	}
	return strings.Contains(a, "64") == strings.Contains(b, "64")
}

func (s *solver) excluded(name string) bool {
	for _, pat := range s.req.Exclude {
		if ok, _ := path.Match(pat, name); ok || pat == name {
			return true
		}
	}
	return false
}
