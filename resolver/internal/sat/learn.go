package sat

// Unsolvable is returned when a conflict reaches level 1: Proof holds every
// rule involved (learnt rules replaced by the rules they came from), in the
// order libsolv would record them.
type Unsolvable struct {
	Proof []int32
}

// Assert makes the level-1 decisions: variable 1 (the system, always true)
// and every enabled non-weak assertion, in rule order. A learnt assertion
// that contradicts an earlier one is disabled. It returns 1, or -1 with the
// two rules in conflict as the proof.
func (s *Solver) Assert() (int32, *Unsolvable) {
	s.Reasons = append(s.Reasons[:0], 0, 0)
	s.set(1, 1, 0)
	for _, ri := range s.assertions {
		r := &s.Rules[ri]
		if r.Disabled || r.Weak {
			continue
		}
		v := r.Lits[0]
		vv := v.Var()
		if s.Map[vv] == 0 {
			s.set(v, 1, ri)
			continue
		}
		if s.True(v) {
			continue
		}
		if ri >= s.LearntStart {
			r.Disabled = true
			continue
		}
		proof := []int32{ri}
		for i, d := range s.Queue {
			if d == -v && s.Why[i] > 0 {
				proof = append(proof, s.Why[i])
			}
		}
		return -1, &Unsolvable{Proof: s.expand(proof)}
	}
	return 1, nil
}

// Decide makes decision (a free choice for rule, with the caller's reason)
// one level above level, then propagates, learning from every conflict and
// jumping back, as libsolv's setpropagatelearn. It returns the new level, or
// -1 and the proof when the conflict reaches level 1. A zero decision only
// propagates.
func (s *Solver) Decide(level int32, decision Lit, rule int32, reason int32) (int32, *Unsolvable) {
	if decision != 0 {
		level++
		s.set(decision, level, -rule)
		s.Reasons = append(s.Reasons, reason)
	}
	for {
		c := s.Propagate(level)
		if c == 0 {
			return level, nil
		}
		if level == 1 {
			return -1, s.unsolvable(c)
		}
		var lr int32
		level, lr = s.analyze(level, c)
		p := s.Rules[lr].Lits[0]
		s.set(p, level, lr)
	}
}

// analyze derives a learnt rule from conflict rule c at level: the first
// unique implication point plus the literals of lower levels (level-1
// literals are left out, their reasons go to the learnt rule's origins).
// It reverts to the level the learnt rule becomes unit at and returns it
// with the new rule's id.
func (s *Solver) analyze(level int32, c int32) (int32, int32) {
	rlevel := int32(1)
	seen := make([]bool, s.nvars+1)
	var q []Lit
	var why []int32
	num, l1num := 0, 0
	var p Lit
	idx := len(s.Queue)
	for {
		why = append(why, c)
		for _, v := range s.Rules[c].Lits {
			if s.True(v) {
				continue
			}
			vv := v.Var()
			if seen[vv] {
				continue
			}
			seen[vv] = true
			l := abs32(s.Map[vv])
			switch {
			case l == 1:
				l1num++
			case l == level:
				num++
			default:
				q = append(q, v)
				rlevel = max(rlevel, l)
			}
		}
	l1retry:
		if num == 0 {
			l1num--
			if l1num == 0 {
				break
			}
		}
		var v Lit
		for {
			idx--
			v = s.Queue[idx]
			if seen[v.Var()] {
				break
			}
		}
		seen[v.Var()] = false
		if num != 0 {
			num--
			if num == 0 {
				p = -v
				if l1num == 0 {
					break
				}
				for _, x := range q {
					seen[x.Var()] = false
				}
				l1num++
				goto l1retry
			}
		}
		w := s.Why[idx]
		if w <= 0 {
			goto l1retry
		}
		c = w
	}
	s.Revert(rlevel)
	lits := append([]Lit{p}, q...)
	id := int32(len(s.Rules))
	s.Rules = append(s.Rules, Rule{Lits: lits, w1: p})
	s.learntWhy = append(s.learntWhy, why)
	r := &s.Rules[id]
	switch {
	case len(lits) == 1:
		s.assertions = append(s.assertions, id)
	default:
		r.w2 = lits[1]
		if len(lits) > 2 {
			// The second watch goes on the literal decided last, so the
			// rule wakes up as soon as it matters after a backjump.
			wl := int32(0)
			for _, x := range lits[1:] {
				if l := abs32(s.Map[x.Var()]); l > wl {
					r.w2, wl = x, l
				}
			}
		}
		nv := s.nvars
		r.n1 = s.watches[nv+int32(r.w1)]
		s.watches[nv+int32(r.w1)] = id
		r.n2 = s.watches[nv+int32(r.w2)]
		s.watches[nv+int32(r.w2)] = id
	}
	return rlevel, id
}

// unsolvable collects the rules behind a conflict at level 1: the conflict
// rule and the reasons of every level-1 decision it involves.
func (s *Solver) unsolvable(c int32) *Unsolvable {
	involved := make([]bool, s.nvars+1)
	proof := []int32{c}
	for _, v := range s.Rules[c].Lits {
		involved[v.Var()] = true
	}
	for idx := len(s.Queue) - 1; idx >= 0; idx-- {
		v := s.Queue[idx]
		vv := v.Var()
		if !involved[vv] || vv == 1 {
			continue
		}
		w := s.Why[idx]
		if w <= 0 {
			continue
		}
		proof = append(proof, w)
		for _, x := range s.Rules[w].Lits {
			if !s.True(x) {
				involved[x.Var()] = true
			}
		}
	}
	return &Unsolvable{Proof: s.expand(proof)}
}

// expand replaces learnt rules by the problem rules they derive from.
func (s *Solver) expand(ids []int32) []int32 {
	var out []int32
	seen := map[int32]bool{}
	var walk func(id int32)
	walk = func(id int32) {
		if seen[id] {
			return
		}
		seen[id] = true
		if id >= s.LearntStart {
			for _, w := range s.learntWhy[id-s.LearntStart] {
				walk(w)
			}
			return
		}
		out = append(out, id)
	}
	for _, id := range ids {
		walk(id)
	}
	return out
}

// Learnt returns the number of learnt rules.
func (s *Solver) Learnt() int { return len(s.Rules) - int(s.LearntStart) }
