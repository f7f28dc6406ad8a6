package resolver

import (
	"github.com/rpmvault/rpmvault/resolver/internal/sat"
)

// Why a level's decision was taken (kept per level, for taking a branch again).
const (
	reasonJob int32 = iota + 1
	reasonUpdate
	reasonKeep
	reasonResolve
	reasonOrphan
	reasonErase
)

// run is libsolv's solver_run_sat: make the assertions, then the request's
// choices, then keep (or upgrade) installed packages, then satisfy open
// requirements in rule order; at the end, if a choice made earlier turned
// out to be installed anyway by a later decision, retake that choice with
// it (minimization). A conflict at level 1 is unsolvable, unless only a
// weak (choice) rule is to blame: then that rule goes and solving restarts.
func (s *solver) run() error {
	level, system := int32(0), int32(1)
	for {
		var u *sat.Unsolvable
		var done bool
		level, system, u, done = s.pass(level, system)
		if u != nil {
			if s.dropWeak(u) {
				level = 0
				continue
			}
			return s.unsat(u)
		}
		if done {
			return nil
		}
	}
}

// pass is one round of the main loop; it ends early (done false) whenever
// a step jumped back below where it started, so the round starts over.
func (s *solver) pass(level, system int32) (int32, int32, *sat.Unsolvable, bool) {
	st := s.sat
	var u *sat.Unsolvable
	if level <= 0 {
		if level, u = st.Assert(); u == nil {
			level, u = st.Decide(level, 0, 0, 0)
		}
		if u != nil {
			return 0, system, u, false
		}
		system = level + 1
	}
	if level < system {
		old := level
		if level, u = s.resolveJobs(level); u != nil || level < old {
			return level, system, u, false
		}
		system = level + 1
	}
	if level < system && s.instEnd > 2 {
		old := level
		if level, u = s.resolveInstalled(level); u != nil || level < old {
			return level, system, u, false
		}
		system = level + 1
	}
	if level < system {
		system = level
	}
	old := level
	if level, u = s.resolveDependencies(level); u != nil || level < old {
		return level, system, u, false
	}
	if len(s.orphaned) > 0 {
		var rerun bool
		if level, u, rerun = s.resolveOrphaned(level); u != nil || rerun {
			return level, system, u, false
		}
	}
	// Installed packages nothing decided on are removed.
	old = level
	for p := int32(2); p < s.instEnd; p++ {
		if st.Map[p] != 0 {
			continue
		}
		if level, u = st.Decide(level, notLit(p), 0, reasonErase); u != nil || level < old {
			return level, system, u, false
		}
	}
	if s.rng.choice != s.rng.choiceEnd && s.unneededChoiceRules() {
		st.Reset()
		return 0, system, nil, false
	}
	var again bool
	if level, u, again = s.minimize(level); u != nil || again {
		return level, system, u, false
	}
	return level, system, nil, true
}

// decideOne is libsolv's selectandinstall: the policy orders the
// candidates, several open a branch, the first is decided.
func (s *solver) decideOne(level int32, dq []int32, rule int32, reason int32) (int32, *sat.Unsolvable) {
	if len(dq) > 1 {
		dq = s.filterUnwanted(dq, policyChoose)
	}
	if len(dq) > 1 {
		cands := append([]int32{-dq[0]}, dq[1:]...)
		s.sat.Branches = append(s.sat.Branches, sat.Branch{Cands: cands, Rule: rule, Level: level})
	}
	return s.sat.Decide(level, lit(dq[0]), rule, reason)
}

// openLits returns the undecided positive literals of rule id if its
// negative literals all hold and no literal is true; ok is false otherwise.
func (s *solver) openLits(id int32) (dq []int32, ok bool) {
	st := s.sat
	for _, l := range st.Rules[id].Lits {
		if l < 0 {
			if st.Map[-l] <= 0 {
				return nil, false
			}
			continue
		}
		if st.Map[l] > 0 {
			return nil, false
		}
		if st.Map[l] == 0 {
			dq = append(dq, int32(l))
		}
	}
	return dq, true
}

func (s *solver) resolveJobs(level int32) (int32, *sat.Unsolvable) {
	st := s.sat
	start := level
	for i := s.rng.job; i < s.rng.jobEnd; i++ {
		if st.Rules[i].Disabled {
			continue
		}
		dq, ok := s.openLits(i)
		if !ok || len(dq) == 0 {
			continue
		}
		// What is installed already meets the request: keep it.
		if len(dq) > 1 && s.instEnd > 2 {
			var inst []int32
			for _, p := range dq {
				if s.inst[p] {
					inst = append(inst, p)
				}
			}
			if len(inst) > 0 {
				dq = inst
			}
		}
		old := level
		var u *sat.Unsolvable
		if level, u = s.decideOne(level, dq, i, reasonJob); u != nil {
			return level, u
		}
		if level <= old {
			if level == old {
				i--
				continue
			}
			if level < start {
				return level, nil
			}
			i = s.rng.job - 1
		}
	}
	return level, nil
}

func (s *solver) resolveInstalled(level int32) (int32, *sat.Unsolvable) {
	st := s.sat
	start := level
	pos := s.installedPos
	if pos == 0 {
		pos = 2
	}
	defer func() { s.installedPos = pos }()
	for {
		pass := level
		i, n := pos, int32(2)
		for ; n < s.instEnd; i, n = i+1, n+1 {
			if i == s.instEnd {
				i = 2
			}
			if st.Map[i] > 0 {
				continue
			}
			r := s.rng.update + i - 2
			rr := r
			if st.Rules[rr].Disabled && len(st.Rules[rr-(s.instEnd-2)].Lits) > 0 {
				rr -= s.instEnd - 2
			}
			var dq []int32
			if lits := st.Rules[rr].Lits; !s.noUpdate[i] && (st.Map[i] < 0 || int32(lits[0]) != i) {
				for _, l := range lits {
					if st.Map[l] > 0 {
						dq = nil
						break
					}
					if st.Map[l] == 0 {
						dq = append(dq, int32(l))
					}
				}
			}
			if len(dq) > 0 {
				old := level
				var u *sat.Unsolvable
				if level, u = s.decideOne(level, dq, rr, reasonUpdate); u != nil {
					return level, u
				}
				if level <= old {
					if level < pass {
						break
					}
					if level < old {
						n = 2
					}
					i, n = i-1, n-1
					continue
				}
			}
			if st.Map[i] == 0 {
				old := level
				var u *sat.Unsolvable
				if level, u = st.Decide(level, lit(i), r, reasonKeep); u != nil {
					return level, u
				}
				if level <= old {
					if level < pass {
						break
					}
					if level < old {
						n = 2
					}
					i, n = i-1, n-1
					continue
				}
			}
		}
		if n < s.instEnd {
			pos = i
			if level < start {
				return level, nil
			}
			continue
		}
		pos = 2
		return level, nil
	}
}

// resolveDependencies walks all rules round-robin from where the last
// choice was made; a rule whose best candidate is not clear is postponed
// until no clear one is left.
func (s *solver) resolveDependencies(level int32) (int32, *sat.Unsolvable) {
	st := s.sat
	start := level
	postponed := int32(0)
	for i, n := int32(1), int32(1); ; i, n = i+1, n+1 {
		nrules := int32(len(st.Rules))
		if n >= nrules {
			if postponed <= 0 {
				break
			}
			i, postponed, n = postponed, -1, 1
		}
		if i == nrules {
			i = 1
		}
		r := &st.Rules[i]
		lits := r.Lits
		if r.Disabled || len(lits) == 0 {
			continue
		}
		if lits[0] < 0 && (len(lits) <= 2 || st.Map[-lits[0]] <= 0) {
			continue // binary rules with a negative first literal never need a choice
		}
		var dq []int32
		if len(lits) <= 2 {
			if len(lits) < 2 || lits[1] <= 0 || st.Map[lits[0]] != 0 || st.Map[lits[1]] != 0 {
				continue
			}
			dq = []int32{int32(lits[0]), int32(lits[1])}
		} else {
			var ok bool
			if dq, ok = s.openLits(i); !ok || len(dq) == 0 {
				continue
			}
		}
		if len(dq) > 1 && postponed >= 0 {
			dq = s.filterUnwanted(dq, policyChooseNoReorder)
			if len(dq) > 1 {
				if postponed == 0 {
					postponed = i
				}
				continue
			}
		}
		var u *sat.Unsolvable
		if level, u = s.decideOne(level, dq, i, reasonResolve); u != nil {
			return level, u
		}
		if level < start {
			break
		}
		n = 0
	}
	return level, nil
}

func (s *solver) resolveOrphaned(level int32) (int32, *sat.Unsolvable, bool) {
	st := s.sat
	done := false
	for _, p := range s.orphaned {
		if st.Map[p] != 0 {
			continue
		}
		old := level
		var u *sat.Unsolvable
		if level, u = st.Decide(level, lit(p), 0, reasonOrphan); u != nil {
			return level, u, true
		}
		done = true
		if level < old {
			break
		}
	}
	return level, nil, done
}

// minimize is libsolv's auto-minimization: find the earliest choice point
// with an alternative that a later decision installed anyway, and retake
// that choice with it.
func (s *solver) minimize(level int32) (int32, *sat.Unsolvable, bool) {
	st := s.sat
	last := -1
	lastB := -1
	for b := len(st.Branches) - 1; b >= 0; b-- {
		br := st.Branches[b]
		for k, p := range br.Cands {
			if p > 0 && st.Map[p] > br.Level {
				last, lastB = k, b
				break
			}
		}
	}
	if last < 0 {
		return level, nil, false
	}
	br := &st.Branches[lastB]
	p := br.Cands[last]
	br.Cands[last] = -p
	l := br.Level
	// The branch itself must survive the revert.
	br.Level = 0
	why := int32(0)
	for k, d := range st.Queue {
		if abs32(st.Map[d.Var()]) == l+1 && st.Why[k] <= 0 {
			why = -st.Why[k]
			break
		}
	}
	reason := st.Reasons[l+1]
	st.Revert(l)
	st.Branches[lastB].Level = l
	level, u := st.Decide(l, lit(p), why, reason)
	return level, u, true
}

func abs32(x int32) int32 {
	if x < 0 {
		return -x
	}
	return x
}
