package resolver

import (
	"cmp"
	"slices"
	"strings"

	"github.com/rpmvault/rpmvault/resolver/internal/sat"
)

// ruleKind says what a rule stands for; explanations read it.
type ruleKind uint8

const (
	rulePlaceholder ruleKind = iota
	ruleRequires
	ruleNothingProvides
	ruleConflicts
	ruleObsoletes
	ruleSameName
	ruleFeature // an installed package stays or is replaced by any other version
	ruleUpdate  // an installed package stays or is upgraded
	ruleJob
	ruleConstraint // an installed package fails a constraint
	ruleInfArch
	ruleChoice
)

// ruleInfo is a rule's kind, the package it is about, the other package of
// a binary rule and the dependency it comes from.
type ruleInfo struct {
	kind  ruleKind
	pkg   int32
	other int32
	dep   int32 // index into the pool's deps; 0 for none
	job   int   // job rules: index into s.jobs
}

// ruleRanges are the rules' sections, in libsolv's order: package rules,
// feature rules, update rules, job rules, inferior-arch rules, choice
// rules; learnt rules follow (sat.Solver.LearntStart).
type ruleRanges struct {
	pkgEnd, feature, update, job, jobEnd, infarch, choice, choiceEnd int32
}

func lit(id int32) sat.Lit    { return sat.Lit(id) }
func notLit(id int32) sat.Lit { return sat.Lit(-id) }

// pendingRule is a rule before it joins the SAT solver: its literals are
// solver.pendLits[off:off+n]. It holds no pointer, so that the hundreds of
// thousands a large solve makes are copied as plain memory when their
// slice grows, with no write barriers, and never scanned by the collector.
type pendingRule struct {
	off, n uint32
	info   ruleInfo
}

// ruleLits are r's literals; the caller must not change them.
func (s *solver) ruleLits(r pendingRule) []sat.Lit {
	return s.pendLits[r.off : r.off+r.n : r.off+r.n]
}

// addRules generates every rule in libsolv's order and starts the SAT solver.
func (s *solver) addRules(constraints map[strID][]depRec) error {
	n := int(s.n)
	s.added = make([]bool, n)
	var pending []pendingRule
	// Package rules: for the installed packages, their possible updates and
	// the jobs' candidates, and everything those can need.
	for i := int32(2); i < s.instEnd; i++ {
		pending = s.pkgRules(i, pending)
	}
	for i := int32(2); i < s.instEnd; i++ {
		for _, q := range s.updates(i, true) {
			pending = s.pkgRules(q, pending)
		}
	}
	var jobMatches [][]int32
	for _, spec := range s.req.Install {
		m := s.matchSpec(spec)
		if len(m) == 0 {
			if s.err != nil {
				return s.err
			}
			return s.noMatch(spec)
		}
		jobMatches = append(jobMatches, m)
		for _, q := range m {
			pending = s.pkgRules(q, pending)
		}
	}
	if s.err != nil {
		return s.err
	}
	pending = s.unify(pending)
	s.sat = sat.New(n - 1)
	// Sized for the package rules and one feature, update and job rule
	// each: grown by appending, the rule tables of a large closure would
	// leave copies a few megabytes large behind for the collector.
	nrules := 1 + len(pending) + 2*int(s.instEnd-2) + len(jobMatches)
	s.sat.Rules = slices.Grow(s.sat.Rules, nrules)
	s.info = make([]ruleInfo, 1, nrules)
	add := func(lits []sat.Lit, info ruleInfo, weak bool) int32 {
		s.info = append(s.info, info)
		return s.sat.Add(lits, weak)
	}
	for _, r := range pending {
		add(s.ruleLits(r), r.info, false)
	}
	s.rng.pkgEnd = int32(len(s.info))

	// Feature and update rules, one each per installed package: keep it or
	// replace it (feature: by any version; update: by a newer one). A
	// feature rule equal to its update rule is dropped, the others are off.
	s.rng.feature = s.rng.pkgEnd
	ninst := s.instEnd - 2
	feats := make([][]sat.Lit, ninst)
	for i := int32(2); i < s.instEnd; i++ {
		feats[i-2] = append([]sat.Lit{lit(i)}, lits(s.updates(i, true))...)
	}
	ups := make([][]sat.Lit, ninst)
	for i := int32(2); i < s.instEnd; i++ {
		ups[i-2] = append([]sat.Lit{lit(i)}, lits(s.updates(i, false))...)
		if len(feats[i-2]) == 1 {
			s.orphaned = append(s.orphaned, i)
		}
	}
	for k, f := range feats {
		id := int32(k) + 2
		if slices.Equal(f, ups[k]) {
			add(nil, ruleInfo{kind: rulePlaceholder, pkg: id}, false)
			continue
		}
		add(f, ruleInfo{kind: ruleFeature, pkg: id}, false)
		s.sat.Rules[len(s.sat.Rules)-1].Disabled = true
	}
	s.rng.update = int32(len(s.info))
	for k, u := range ups {
		add(u, ruleInfo{kind: ruleUpdate, pkg: int32(k) + 2}, false)
	}

	// Job rules: one of each spec's candidates is installed.
	s.rng.job = int32(len(s.info))
	for k, m := range jobMatches {
		s.jobs = append(s.jobs, s.req.Install[k])
		add(lits(m), ruleInfo{kind: ruleJob, pkg: -1, job: k}, false)
	}
	for i := int32(2); i < s.instEnd; i++ {
		for _, c := range constraints[s.rec(i).name] {
			if !s.meets(s.rec(i), []depRec{c}) {
				add([]sat.Lit{notLit(i)}, ruleInfo{kind: ruleConstraint, pkg: i, dep: int32(s.pool.addDep(c))}, false)
			}
		}
	}
	s.rng.jobEnd = int32(len(s.info))

	s.rng.infarch = s.rng.jobEnd
	for _, r := range s.infArchRules() {
		add(s.ruleLits(r), r.info, false)
	}
	off := s.archSetNames(jobMatches)
	for id := s.rng.infarch; id < int32(len(s.info)); id++ {
		if off[s.rec(s.info[id].pkg).name] {
			s.sat.Rules[id].Disabled = true // the request names this arch
		}
	}
	s.rng.choice = int32(len(s.info))
	if s.instEnd > 2 {
		for _, r := range s.choiceRules() {
			id := add(s.ruleLits(r), r.info, true)
			s.choiceOrig[id] = r.info.other
		}
	}
	s.rng.choiceEnd = int32(len(s.info))
	if s.err != nil {
		return s.err
	}
	s.sat.Start()
	s.noUpdate = make(map[int32]bool)
	s.disableUpdates(jobMatches)
	return nil
}

func lits(ids []int32) []sat.Lit {
	out := make([]sat.Lit, len(ids))
	for k, id := range ids {
		out[k] = lit(id)
	}
	return out
}

// pkgRules generates the rules of package start and, transitively, of every
// package that can be chosen to satisfy them (libsolv's
// solver_addpkgrulesforsolvable).
func (s *solver) pkgRules(start int32, out []pendingRule) []pendingRule {
	work := []int32{start}
	for len(work) > 0 {
		n := work[0]
		work = work[1:]
		if s.added[n] {
			continue
		}
		s.added[n] = true
		// The rules hold ids only, so the entry's pages read so far can go:
		// with fault-around mapping 64 KiB around each page read, the
		// scattered reads of a large closure would otherwise leave most of
		// a mapped entry resident (see idPool.releaseBase).
		if s.generated++; s.generated%rulesReleaseEvery == 0 {
			s.pool.releaseBase()
		}
		r := s.rec(n)
		dontfix := s.inst[n] // broken dependencies of installed packages stay as they are
		for k := int32(r.prov); k < int32(r.req); k++ {
			d := s.pool.depAt(uint32(k))
			if strings.HasPrefix(s.pool.str(d.name), "rpmlib(") {
				continue
			}
			dp := s.whatProvides(d)
			if dontfix && !slices.ContainsFunc(dp, func(q int32) bool { return s.inst[q] }) {
				continue
			}
			if len(dp) == 0 {
				out = append(out, s.newRule(ruleInfo{kind: ruleNothingProvides, pkg: n, dep: k}, notLit(n), nil))
				continue
			}
			if slices.Contains(dp, n) {
				continue
			}
			out = append(out, s.newRule(ruleInfo{kind: ruleRequires, pkg: n, dep: k}, notLit(n), dp))
			for _, q := range dp {
				if !s.added[q] {
					work = append(work, q)
				}
			}
		}
		for k := int32(r.req); k < int32(r.con); k++ {
			for _, q := range s.whatProvides(s.pool.depAt(uint32(k))) {
				if q == n || (dontfix && s.inst[q]) {
					continue
				}
				out = append(out, s.binRule(n, q, ruleInfo{kind: ruleConflicts, pkg: n, other: q, dep: k}))
			}
		}
		for k := int32(r.con); k < int32(r.obs); k++ {
			d := s.pool.depAt(uint32(k))
			for _, q := range s.whatProvides(d) {
				if q == n || (dontfix && s.inst[q]) || !s.matchNEVR(q, d) {
					continue
				}
				out = append(out, s.binRule(n, q, ruleInfo{kind: ruleObsoletes, pkg: n, other: q, dep: k}))
			}
		}
		if !dontfix {
			// Two packages of one name (and word size) exclude each other.
			for _, q := range s.byName(r.name) {
				qr := s.rec(q)
				if q == n || !s.colorOK(n, q) {
					continue
				}
				if s.multi[n] && (qr.evr != r.evr || qr.arch != r.arch) && (s.inst[q] || s.multi[q]) {
					continue
				}
				out = append(out, s.binRule(n, q, ruleInfo{kind: ruleSameName, pkg: n, other: q}))
			}
		}
		// Lock-step: a 32-bit package brings its 64-bit twin along.
		if a := s.score[n]; a > 1 {
			for _, q := range s.byName(r.name) {
				if s.rec(q).evr != r.evr || s.added[q] {
					continue
				}
				if pa := s.score[q]; pa > 1 && pa < a {
					work = append(work, q)
				}
			}
		}
	}
	return out
}

// binRule is a rule (-a | -b) with its literals in ascending order, as
// libsolv stores binary package rules.
func (s *solver) binRule(a, b int32, info ruleInfo) pendingRule {
	x, y := notLit(a), notLit(b)
	if x > y {
		x, y = y, x
	}
	return s.newRule(info, x, nil, y)
}

// newRule makes a pending rule of the literals first, the packages of
// rest, then more.
func (s *solver) newRule(info ruleInfo, first sat.Lit, rest []int32, more ...sat.Lit) pendingRule {
	off := len(s.pendLits)
	s.pendLits = append(s.pendLits, first)
	for _, q := range rest {
		s.pendLits = append(s.pendLits, sat.Lit(q))
	}
	s.pendLits = append(s.pendLits, more...)
	return pendingRule{off: uint32(off), n: uint32(len(s.pendLits) - off), info: info}
}

// ruleCmp is libsolv's unifyrules_sortcmp: by first literal, then by the
// rest; a binary rule sorts before a longer one it agrees with.
func ruleCmp(a, b []sat.Lit) int {
	if a[0] != b[0] {
		return int(a[0] - b[0])
	}
	second := func(l []sat.Lit) sat.Lit {
		if len(l) > 1 {
			return l[1]
		}
		return 0
	}
	switch {
	case len(a) <= 2 && len(b) <= 2:
		return int(second(a) - second(b))
	case len(a) <= 2:
		if x := int(second(a) - b[1]); x != 0 {
			return x
		}
		return -1
	case len(b) <= 2:
		if x := int(a[1] - second(b)); x != 0 {
			return x
		}
		return 1
	}
	ad, bd := a[1:], b[1:]
	for k := range bd {
		if k >= len(ad) {
			return int(-bd[k])
		}
		if x := int(ad[k] - bd[k]); x != 0 {
			return x
		}
	}
	if len(ad) > len(bd) {
		return int(ad[len(bd)])
	}
	return 0
}

// unify sorts package rules as libsolv does and drops duplicates, of
// equal rules keeping the first made. The sort is of keys, each rule's
// first two literals as ruleCmp orders them (a rule of one literal has 0
// second) and its index: the stable sort of the rules themselves, its
// merges and the comparator's reads of their literals, was a quarter of
// a large solve's own time. Only rules agreeing on both are compared in
// full.
func (s *solver) unify(rules []pendingRule) []pendingRule {
	type keyed struct {
		key uint64
		k   uint32
	}
	// A literal's sign bit flipped orders it as an unsigned number.
	ord := func(l sat.Lit) uint64 { return uint64(uint32(l) ^ 1<<31) }
	ks := make([]keyed, len(rules))
	for k, r := range rules {
		l := s.ruleLits(r)
		second := sat.Lit(0)
		if len(l) > 1 {
			second = l[1]
		}
		ks[k] = keyed{ord(l[0])<<32 | ord(second), uint32(k)}
	}
	slices.SortFunc(ks, func(a, b keyed) int {
		if a.key != b.key {
			return cmp.Compare(a.key, b.key)
		}
		if c := ruleCmp(s.ruleLits(rules[a.k]), s.ruleLits(rules[b.k])); c != 0 {
			return c
		}
		return cmp.Compare(a.k, b.k)
	})
	// The rules put in that order in place, cycle by cycle: rule j is
	// the one that was at ks[j].k.
	const placed = ^uint32(0)
	for i := range ks {
		if ks[i].k == placed {
			continue
		}
		first, j := rules[i], i
		for {
			from := ks[j].k
			ks[j].k = placed
			if int(from) == i {
				rules[j] = first
				break
			}
			rules[j], j = rules[from], int(from)
		}
	}
	out := rules[:0]
	for _, r := range rules {
		if len(out) > 0 && ruleCmp(s.ruleLits(out[len(out)-1]), s.ruleLits(r)) == 0 {
			continue
		}
		out = append(out, r)
	}
	return out
}

// updates lists what may replace installed package i (libsolv's
// policy_findupdatepackages): other versions of its name of the same word
// size (with all, downgrades too; without, no arch change either), and
// packages obsoleting it.
func (s *solver) updates(i int32, all bool) []int32 {
	p := s.rec(i)
	var out []int32
	haveObs := false
	for _, q := range s.providers(p.name) {
		if q == i {
			continue
		}
		qp := s.rec(q)
		if qp.name == p.name {
			if !s.colorOK(i, q) || (!all && s.pool.cmpEVR(p.evr, qp.evr) > 0) {
				continue
			}
		} else {
			if qp.obs == qp.con || !s.colorOK(i, q) || !s.obsoletes(q, i) {
				continue
			}
			haveObs = true
		}
		if !all && s.illegalArchChange(i, q) {
			continue
		}
		out = append(out, q)
	}
	if s.multi[i] {
		out = slices.DeleteFunc(out, func(q int32) bool {
			qp := s.rec(q)
			return qp.name == p.name && (qp.evr != p.evr || qp.arch != p.arch)
		})
	}
	if haveObs {
		return out
	}
	// Packages of other names that obsolete i.
	for _, q := range s.obsoleterList() {
		if s.rec(q).name == p.name || !s.colorOK(i, q) || slices.Contains(out, q) || !s.obsoletes(q, i) {
			continue
		}
		if !all && s.illegalArchChange(i, q) {
			continue
		}
		out = append(out, q)
	}
	return out
}

// obsoletes: does package q obsolete package i?
func (s *solver) obsoletes(q, i int32) bool {
	for d := range s.obsoleteDeps(q) {
		if s.matchNEVR(i, d) && slices.Contains(s.whatProvides(d), i) {
			return true
		}
	}
	return false
}

// illegalArchChange: would replacing package i by q change its arch class?
func (s *solver) illegalArchChange(i, q int32) bool {
	a, b := s.rec(i).arch, s.rec(q).arch
	if a == b || s.color[i] == 0 || s.color[q] == 0 {
		return false
	}
	return (s.score[i]^s.score[q])&0xffff0000 != 0
}
