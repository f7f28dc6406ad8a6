package resolver

import "testing"

// SolveChecked is Solve that also verifies, for tests, that the answer
// satisfies every clause the solver generated.
func SolveChecked(t *testing.T, u *Universe, req Request) (*Plan, error) {
	t.Helper()
	s, err := newSolver(u, req)
	if err != nil {
		return nil, err
	}
	if err := s.solve(); err != nil {
		return nil, err
	}
	for id, c := range s.clauses {
		ok := false
		for _, l := range c.lits {
			v := s.value[l.v()]
			ok = ok || (l.pos() && v == 1) || (!l.pos() && v != 1)
		}
		if !ok {
			t.Errorf("solution violates clause %d (kind %d)", id, c.kind)
		}
	}
	plan := s.plan()
	order(plan, s)
	return plan, nil
}
