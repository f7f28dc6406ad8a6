package sat

// Chooser picks the literal to decide for a rule that is not yet satisfied,
// among its open positive literals (at least two). It is where a policy
// plugs into Solve.
type Chooser func(rule int32, open []Lit) Lit

// Solve runs the plain CDCL loop over the rules: after the assertions, it
// takes the first rule (in rule order) whose negative literals all hold
// and none of whose literals is true, and decides one of its open positive
// literals (the first, or choose's pick). Open variables end up false,
// which satisfies every other rule. It reports whether a model exists;
// Map then holds it (positive for true).
func (s *Solver) Solve(choose Chooser) bool {
	level, u := s.Assert()
	if u != nil {
		return false
	}
	if level, u = s.Decide(level, 0, 0, 0); u != nil {
		return false
	}
	for {
		id, open := s.openRule()
		if id == 0 {
			return true
		}
		d := open[0]
		if choose != nil && len(open) > 1 {
			d = choose(id, open)
		}
		if level, u = s.Decide(level, d, id, 0); u != nil {
			return false
		}
	}
}

// openRule finds the first enabled rule that the open variables (taken as
// false) do not satisfy, with its open positive literals.
func (s *Solver) openRule() (int32, []Lit) {
	for id := int32(1); id < int32(len(s.Rules)); id++ {
		r := &s.Rules[id]
		if r.Disabled {
			continue
		}
		var open []Lit
		ok := false
		for _, l := range r.Lits {
			switch {
			case s.True(l):
				ok = true
			case l < 0 && s.Map[-l] == 0:
				ok = true // false by default
			case l > 0 && s.Map[l] == 0:
				open = append(open, l)
			}
			if ok {
				break
			}
		}
		if !ok && len(open) > 0 {
			return id, open
		}
	}
	return 0, nil
}
