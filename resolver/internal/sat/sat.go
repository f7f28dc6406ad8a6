package sat

// Lit is a literal: +v means variable v is true, -v that it is false.
type Lit int32

// Var returns the literal's variable.
func (l Lit) Var() int32 {
	if l < 0 {
		return int32(-l)
	}
	return int32(l)
}

// Rule is a clause: at least one of Lits holds. Lits[0] is libsolv's "p";
// a rule of one literal is an assertion, of two a binary rule, and longer
// rules move their second watch over Lits[1:].
type Rule struct {
	Lits     []Lit
	Disabled bool
	// Weak rules may be dropped when they alone make the problem unsolvable.
	Weak   bool
	w1, w2 Lit
	n1, n2 int32 // next rule on the watch list of w1, w2
}

// Branch is a choice point: a decision taken among several candidates.
// Candidates already tried are negative.
type Branch struct {
	Cands []int32
	Rule  int32 // the rule the choice was made for
	Level int32 // the level before the decision
}

// Solver holds rules, the assignment and the decision queue.
type Solver struct {
	nvars   int32
	Rules   []Rule // Rules[0] is unused
	watches []int32
	// Map holds each variable's decision: +level true, -level false, 0 open.
	Map []int32
	// Queue lists the decided literals in order; Why the rule that forced
	// each (<= 0: a free decision, minus the rule it was made for).
	Queue     []Lit
	Why       []int32
	propIndex int
	// LearntStart is the id of the first learnt rule: rules before it are
	// the problem's own, fixed before solving starts.
	LearntStart int32
	learntWhy   [][]int32
	assertions  []int32
	Branches    []Branch
	// Reasons holds, per level, the caller's reason for that level's decision.
	Reasons []int32
}

// New makes a solver over variables 1..nvars.
func New(nvars int) *Solver {
	return &Solver{nvars: int32(nvars), Rules: make([]Rule, 1), Map: make([]int32, nvars+1)}
}

// Add appends a rule and returns its id. Rules must all be added before
// Start; learnt rules come later, from conflicts.
func (s *Solver) Add(lits []Lit, weak bool) int32 {
	r := Rule{Lits: lits, Weak: weak}
	if len(lits) > 0 {
		r.w1 = lits[0]
	}
	if len(lits) > 1 {
		r.w2 = lits[1]
	}
	s.Rules = append(s.Rules, r)
	return int32(len(s.Rules) - 1)
}

// Start ends the problem's rules: it sets up the watches, as libsolv's
// makewatches does (lists built from the last rule to the first, so each
// list runs in rule order), and records the assertions.
func (s *Solver) Start() {
	s.LearntStart = int32(len(s.Rules))
	s.watches = make([]int32, 2*s.nvars+1)
	for i := len(s.Rules) - 1; i >= 1; i-- {
		r := &s.Rules[i]
		if len(r.Lits) == 1 {
			continue
		}
		if len(r.Lits) == 0 {
			continue
		}
		r.n1 = s.watches[s.nvars+int32(r.w1)]
		s.watches[s.nvars+int32(r.w1)] = int32(i)
		r.n2 = s.watches[s.nvars+int32(r.w2)]
		s.watches[s.nvars+int32(r.w2)] = int32(i)
	}
	for i := 1; i < len(s.Rules); i++ {
		if len(s.Rules[i].Lits) == 1 {
			s.assertions = append(s.assertions, int32(i))
		}
	}
}

// True reports whether l holds under the current assignment.
func (s *Solver) True(l Lit) bool {
	if l > 0 {
		return s.Map[l] > 0
	}
	return s.Map[-l] < 0
}

// False reports whether l is contradicted by the current assignment.
func (s *Solver) False(l Lit) bool {
	if l > 0 {
		return s.Map[l] < 0
	}
	return s.Map[-l] > 0
}

func abs32(x int32) int32 {
	if x < 0 {
		return -x
	}
	return x
}

func (s *Solver) set(l Lit, level int32, why int32) {
	if l > 0 {
		s.Map[l] = level
	} else {
		s.Map[-l] = -level
	}
	s.Queue = append(s.Queue, l)
	s.Why = append(s.Why, why)
}

// Propagate runs unit propagation over the decisions not yet propagated;
// it returns the id of a rule all of whose literals are false, or 0.
func (s *Solver) Propagate(level int32) int32 {
	nv := s.nvars
	for s.propIndex < len(s.Queue) {
		pkg := -s.Queue[s.propIndex]
		s.propIndex++
		rp := &s.watches[nv+int32(pkg)]
		for *rp != 0 {
			id := *rp
			r := &s.Rules[id]
			var next *int32
			var other Lit
			if pkg == r.w1 {
				other, next = r.w2, &r.n1
			} else {
				other, next = r.w1, &r.n2
			}
			if r.Disabled || s.True(other) {
				rp = next
				continue
			}
			if len(r.Lits) > 2 {
				var p Lit
				if r.Lits[0] != other && !s.False(r.Lits[0]) {
					p = r.Lits[0]
				} else {
					for _, x := range r.Lits[1:] {
						if x != other && !s.False(x) {
							p = x
							break
						}
					}
				}
				if p != 0 {
					// Move this watch to p: unlink the rule here and put it
					// at the head of p's list.
					*rp = *next
					if pkg == r.w1 {
						r.w1, r.n1 = p, s.watches[nv+int32(p)]
					} else {
						r.w2, r.n2 = p, s.watches[nv+int32(p)]
					}
					s.watches[nv+int32(p)] = id
					continue
				}
			}
			if s.False(other) {
				return id
			}
			s.set(other, level, id)
			rp = next
		}
	}
	return 0
}

// Level is the current decision level (0 before Assert).
func (s *Solver) Level() int32 { return int32(len(s.Reasons)) - 1 }

// Revert undoes every decision above level, and the branches opened there.
func (s *Solver) Revert(level int32) {
	for len(s.Queue) > 0 {
		v := s.Queue[len(s.Queue)-1].Var()
		if l := abs32(s.Map[v]); l <= level {
			break
		}
		s.Map[v] = 0
		s.Queue = s.Queue[:len(s.Queue)-1]
		s.Why = s.Why[:len(s.Why)-1]
		s.propIndex = len(s.Queue)
	}
	for len(s.Branches) > 0 && s.Branches[len(s.Branches)-1].Level >= level {
		s.Branches = s.Branches[:len(s.Branches)-1]
	}
	if int(level)+1 < len(s.Reasons) {
		s.Reasons = s.Reasons[:level+1]
	}
}

// Reset undoes all decisions and re-derives which learnt rules still hold
// (a learnt rule is disabled when a rule it came from is).
func (s *Solver) Reset() {
	for _, l := range s.Queue {
		s.Map[l.Var()] = 0
	}
	s.Queue, s.Why, s.propIndex, s.Branches, s.Reasons = s.Queue[:0], s.Why[:0], 0, nil, nil
	for i := s.LearntStart; i < int32(len(s.Rules)); i++ {
		off := false
		for _, w := range s.learntWhy[i-s.LearntStart] {
			if s.Rules[w].Disabled {
				off = true
				break
			}
		}
		s.Rules[i].Disabled = off
	}
}
