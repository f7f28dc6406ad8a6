package sat

import (
	"math/rand"
	"testing"
)

// build makes a solver over n variables (plus the system variable 1, so
// problem variable i is i+1) with the given clauses.
func build(n int, clauses [][]int) *Solver {
	s := New(n + 1)
	for _, c := range clauses {
		lits := make([]Lit, len(c))
		for i, x := range c {
			if x > 0 {
				lits[i] = Lit(x + 1)
			} else {
				lits[i] = Lit(x - 1)
			}
		}
		s.Add(lits, false)
	}
	s.Start()
	return s
}

func satisfies(s *Solver, clauses [][]int) bool {
	for _, c := range clauses {
		ok := false
		for _, x := range c {
			v := s.Map[abs32(int32(x))+1] > 0
			if (x > 0) == v {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func bruteForce(n int, clauses [][]int) bool {
	for m := 0; m < 1<<n; m++ {
		all := true
		for _, c := range clauses {
			ok := false
			for _, x := range c {
				v := m&(1<<(abs32(int32(x))-1)) != 0
				if (x > 0) == v {
					ok = true
					break
				}
			}
			if !ok {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// pigeonhole: n+1 pigeons in n holes is unsatisfiable; n in n is not.
func pigeonhole(pigeons, holes int) [][]int {
	v := func(p, h int) int { return p*holes + h + 1 }
	var cs [][]int
	for p := 0; p < pigeons; p++ {
		var c []int
		for h := 0; h < holes; h++ {
			c = append(c, v(p, h))
		}
		cs = append(cs, c)
	}
	for h := 0; h < holes; h++ {
		for a := 0; a < pigeons; a++ {
			for b := a + 1; b < pigeons; b++ {
				cs = append(cs, []int{-v(a, h), -v(b, h)})
			}
		}
	}
	return cs
}

func TestPigeonhole(t *testing.T) {
	for holes := 1; holes <= 6; holes++ {
		cs := pigeonhole(holes+1, holes)
		if s := build((holes+1)*holes, cs); s.Solve(nil) {
			t.Errorf("%d pigeons in %d holes: solver found a model", holes+1, holes)
		}
		cs = pigeonhole(holes, holes)
		s := build(holes*holes, cs)
		if !s.Solve(nil) {
			t.Errorf("%d pigeons in %d holes: solver found none", holes, holes)
		} else if !satisfies(s, cs) {
			t.Errorf("%d pigeons in %d holes: model breaks a clause", holes, holes)
		}
	}
}

func TestRandom3SATAgainstBruteForce(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	var sat, unsat int
	for i := 0; i < 3000; i++ {
		n := 3 + r.Intn(10)
		m := 1 + r.Intn(6*n)
		var cs [][]int
		for j := 0; j < m; j++ {
			k := 1 + r.Intn(3)
			var c []int
			for ; k > 0; k-- {
				x := 1 + r.Intn(n)
				if r.Intn(2) == 0 {
					x = -x
				}
				c = append(c, x)
			}
			cs = append(cs, c)
		}
		want := bruteForce(n, cs)
		s := build(n, cs)
		var choose Chooser
		if i%2 == 1 { // exercise the decision interface: pick the last open literal
			choose = func(_ int32, open []Lit) Lit { return open[len(open)-1] }
		}
		got := s.Solve(choose)
		if got != want {
			t.Fatalf("case %d (%d vars): solver says %v, brute force %v: %v", i, n, got, want, cs)
		}
		if got && !satisfies(s, cs) {
			t.Fatalf("case %d: model breaks a clause: %v", i, cs)
		}
		if got {
			sat++
		} else {
			unsat++
		}
	}
	if sat < 500 || unsat < 500 {
		t.Errorf("unbalanced sample: %d satisfiable, %d not", sat, unsat)
	}
}
