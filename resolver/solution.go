package resolver

import (
	"slices"

	"github.com/rpmvault/rpmvault/resolver/internal/sat"
)

// dropWeak handles an unsolvable conflict whose proof has a weak rule: as
// libsolv, the last such rule is disabled (a choice rule with the choice
// rules that narrow the same providers) and solving starts over.
func (s *solver) dropWeak(u *sat.Unsolvable) bool {
	last := int32(0)
	for _, id := range u.Proof {
		if s.sat.Rules[id].Weak && id > last {
			last = id
		}
	}
	if last == 0 {
		return false
	}
	s.disableChoiceRules(last)
	s.sat.Reset()
	return true
}

// disableChoiceRules turns off choice rule id and every other choice rule
// whose package rule offers a provider this one left out.
func (s *solver) disableChoiceRules(id int32) {
	rules := s.sat.Rules
	rules[id].Disabled = true
	m := map[sat.Lit]bool{}
	for _, l := range rules[s.choiceOrig[id]].Lits {
		if l > 0 {
			m[l] = true
		}
	}
	for _, l := range rules[id].Lits {
		delete(m, l)
	}
	for rid := s.rng.choice; rid < s.rng.choiceEnd; rid++ {
		if rules[rid].Disabled {
			continue
		}
		for _, l := range rules[s.choiceOrig[rid]].Lits {
			if l > 0 && m[l] {
				rules[rid].Disabled = true
				break
			}
		}
	}
}

// unneededChoiceRules disables the choice rules whose package rule ended
// up met by a provider they left out; true means solve again.
func (s *solver) unneededChoiceRules() bool {
	rules := s.sat.Rules
	again := false
	for rid := s.rng.choice; rid < s.rng.choiceEnd; rid++ {
		if rules[rid].Disabled || rules[s.choiceOrig[rid]].Disabled {
			continue
		}
		for _, l := range rules[s.choiceOrig[rid]].Lits {
			if l < 0 || s.sat.Map[l] <= 0 {
				continue
			}
			if !slices.Contains(rules[rid].Lits, l) {
				s.disableChoiceRules(rid)
				again = true
				break
			}
		}
	}
	return again
}

// plan collects the packages to install: decided in, not installed yet,
// each with the reason read from the rule that brought it in. What it
// needs of the SAT state (reasons, replaced packages, the order's edges)
// is read as ids first; then that state is dropped, so that the rules and
// the plan's *Package records are not on the heap at once, and the
// packages are made together (planMaker).
func (s *solver) plan() *Plan {
	plan := &Plan{Warnings: s.warnings}
	why := map[int32]int32{}
	for k, d := range s.sat.Queue {
		if d > 0 {
			why[int32(d)] = s.sat.Why[k]
		}
	}
	type entry struct {
		reason   reasonRef
		replaces int32
	}
	var entries []entry
	s.planIDs = nil
	for i := int32(2); i < s.n; i++ {
		if s.sat.Map[i] <= 0 || s.inst[i] {
			continue
		}
		entries = append(entries, entry{reason: s.reasonFor(i, why[i]), replaces: s.replaces(i)})
		s.planIDs = append(s.planIDs, i)
	}
	// The rules and the SAT state have been read: they go before the
	// plan's packages are made, whose memory then reuses theirs.
	s.sat, s.info, s.pendLits, s.choiceOrig = nil, nil, nil, nil
	m := &planMaker{pool: s.pool, u: s.u}
	index := make(map[int32]int, len(s.planIDs)) // plan index (and slot) by id
	for j, i := range s.planIDs {
		m.add(i-s.instEnd, false)
		index[i] = j
	}
	s.planEdges = s.orderEdges(m, index)
	// Only the reasons and the replaced packages are left to read, from
	// the records; the look-ups by dependency can go too.
	s.whatCache, s.whatLists, s.provided = map[depRec]listSpan{}, nil, map[strID][]int32{}
	// The packages named as reasons and replaced are made after the
	// plan's own, in slots of their own (ext: installed packages no repo
	// has, which are made already).
	slotOf := func(i int32) int {
		k := i - s.instEnd
		if i < s.instEnd {
			k = s.uidx[i]
		}
		if k < 0 {
			return -1
		}
		return m.add(k, s.inst[i])
	}
	repl := make([]int, len(entries))
	reasons := make([]reasonIDs, len(entries))
	for j, e := range entries {
		repl[j] = -1
		if e.replaces >= 0 {
			repl[j] = slotOf(e.replaces)
		}
		// The package named is nearly always planned too: its record
		// and dependencies are read from its slot, not from the entry
		// again, in an order its pages are not in.
		slot, inPlan := index[e.reason.by]
		if by := e.reason.by; by > 0 {
			r := s.rec
			if inPlan {
				r = func(int32) pkgRec { return m.slots[slot].rec.pkgRec }
			}
			rec := r(by)
			reasons[j].by = [3]uint32{uint32(rec.name), uint32(rec.evr), uint32(rec.arch)}
			m.want(rec.name)
			m.want(rec.arch)
			m.wantEVR(rec.evr)
		}
		if k := e.reason.dep; k >= 0 {
			if sl := &m.slots[slot]; inPlan && uint32(k) >= sl.rec.dep && uint32(k) < sl.rec.obs {
				reasons[j].dep = m.deps[sl.dep+int(uint32(k)-sl.rec.dep)]
			} else {
				reasons[j].dep = s.pool.depAt(uint32(k))
			}
			m.wantDep(reasons[j].dep)
		}
	}
	m.copyStrings()
	pkgs := m.packages()
	plan.Packages = make([]PlannedPackage, len(entries))
	for j, e := range entries {
		pp := PlannedPackage{Package: pkgs[j], Action: ActionInstall, Reason: reasons[j].reason(m, e.reason)}
		if e.replaces >= 0 {
			pp.Action, pp.Replaces = ActionUpgrade, s.ext[e.replaces]
			if repl[j] >= 0 {
				pp.Replaces = pkgs[repl[j]]
			}
		}
		plan.Packages[j] = pp
	}
	return plan
}

// reasonRef is a Reason as ids: the package named (0 for none) and the
// dependency position (-1 for none).
type reasonRef struct {
	kind ReasonKind
	by   int32
	dep  int32
}

// reasonIDs are the ids a reasonRef names, copied while the records are
// read: the package's name, EVR and arch, and the dependency.
type reasonIDs struct {
	by  [3]uint32
	dep depRec
}

// reason materialises r, whose ids are these, with m's strings.
func (ids reasonIDs) reason(m *planMaker, r reasonRef) Reason {
	out := Reason{Kind: r.kind}
	if r.by > 0 {
		out.By = m.str(strID(ids.by[0])) + "-" + m.evr(evrID(ids.by[1])).String() + "." + m.str(strID(ids.by[2]))
	}
	if r.dep >= 0 {
		out.Dep = m.dep(ids.dep)
	}
	return out
}

// reasonFor reads why package i was decided from the rule behind it.
func (s *solver) reasonFor(i int32, why int32) reasonRef {
	rule := why
	if rule < 0 {
		rule = -rule
	}
	if rule > 0 && rule < int32(len(s.info)) {
		c := s.info[rule]
		switch c.kind {
		case ruleJob:
			return reasonRef{kind: ReasonRequested, dep: -1}
		case ruleRequires:
			return reasonRef{kind: ReasonRequired, by: c.pkg, dep: c.dep}
		case ruleChoice:
			return reasonRef{kind: ReasonRequired, by: c.pkg, dep: s.info[c.other].dep}
		case ruleUpdate, ruleFeature:
			return reasonRef{kind: ReasonUpgrade, by: c.pkg, dep: -1}
		}
	}
	for id := s.rng.job; id < s.rng.jobEnd; id++ {
		if slices.Contains(s.sat.Rules[id].Lits, lit(i)) {
			return reasonRef{kind: ReasonRequested, dep: -1}
		}
	}
	// Forced some other way: name a requirer already in the solution.
	for id := int32(1); id < s.rng.pkgEnd; id++ {
		c := s.info[id]
		if c.kind == ruleRequires && s.sat.Map[c.pkg] > 0 && slices.Contains(s.sat.Rules[id].Lits, lit(i)) {
			return reasonRef{kind: ReasonRequired, by: c.pkg, dep: c.dep}
		}
	}
	if r := s.replaces(i); r >= 0 {
		return reasonRef{kind: ReasonUpgrade, by: r, dep: -1}
	}
	return reasonRef{kind: ReasonNeeded, dep: -1}
}

// replaces returns the installed package that i upgrades or obsoletes, or -1.
func (s *solver) replaces(i int32) int32 {
	for _, q := range s.byName(s.rec(i).name) {
		if s.inst[q] && s.sat.Map[q] <= 0 && s.colorOK(i, q) {
			return q
		}
	}
	for q := int32(2); q < s.instEnd; q++ {
		if s.sat.Map[q] <= 0 && s.obsoletes(i, q) {
			return q
		}
	}
	return -1
}

// installedRecord returns the solver's record (with dependencies) of an
// installed package.
func (s *solver) installedRecord(p *Package) *Package {
	id, _ := s.pool.lookup(p.Name)
	for _, i := range s.byName(id) {
		if s.inst[i] && s.nevra(i) == p.NEVRA() {
			return s.pkg(i)
		}
	}
	return p
}
