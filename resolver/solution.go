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
// each with the reason read from the rule that brought it in.
func (s *solver) plan() *Plan {
	plan := &Plan{Warnings: s.warnings}
	why := map[int32]int32{}
	for k, d := range s.sat.Queue {
		if d > 0 {
			why[int32(d)] = s.sat.Why[k]
		}
	}
	s.planIDs = nil
	for i := int32(2); i < s.n; i++ {
		if s.sat.Map[i] <= 0 || s.inst[i] {
			continue
		}
		pp := PlannedPackage{Package: s.pkg(i), Action: ActionInstall, Reason: s.reasonFor(i, why[i])}
		if r := s.replaces(i); r >= 0 {
			pp.Action, pp.Replaces = ActionUpgrade, s.pkg(r)
		}
		plan.Packages = append(plan.Packages, pp)
		s.planIDs = append(s.planIDs, i)
	}
	return plan
}

// reasonFor reads why package i was decided from the rule behind it.
func (s *solver) reasonFor(i int32, why int32) Reason {
	rule := why
	if rule < 0 {
		rule = -rule
	}
	if rule > 0 && rule < int32(len(s.info)) {
		c := s.info[rule]
		switch c.kind {
		case ruleJob:
			return Reason{Kind: ReasonRequested}
		case ruleRequires:
			return Reason{Kind: ReasonRequired, By: s.nevra(c.pkg), Dep: s.pool.dep(c.dep)}
		case ruleChoice:
			return Reason{Kind: ReasonRequired, By: s.nevra(c.pkg), Dep: s.pool.dep(s.info[c.other].dep)}
		case ruleUpdate, ruleFeature:
			return Reason{Kind: ReasonUpgrade, By: s.nevra(c.pkg)}
		}
	}
	for id := s.rng.job; id < s.rng.jobEnd; id++ {
		if slices.Contains(s.sat.Rules[id].Lits, lit(i)) {
			return Reason{Kind: ReasonRequested}
		}
	}
	// Forced some other way: name a requirer already in the solution.
	for id := int32(1); id < s.rng.pkgEnd; id++ {
		c := s.info[id]
		if c.kind == ruleRequires && s.sat.Map[c.pkg] > 0 && slices.Contains(s.sat.Rules[id].Lits, lit(i)) {
			return Reason{Kind: ReasonRequired, By: s.nevra(c.pkg), Dep: s.pool.dep(c.dep)}
		}
	}
	if r := s.replaces(i); r >= 0 {
		return Reason{Kind: ReasonUpgrade, By: s.nevra(r)}
	}
	return Reason{Kind: ReasonNeeded}
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
