package resolver

import (
	"fmt"
	"testing"
)

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

// ValidAnswer reports whether installing exactly nevras (plus keeping the
// installed packages they do not replace) satisfies every rule rpmvault
// derives for req: a libsolv answer that differs from ours but passes is a
// different choice among valid alternatives, not a disagreement on semantics.
func ValidAnswer(u *Universe, req Request, nevras []string) error {
	s, err := newSolver(u, req)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, n := range nevras {
		want[n] = true
	}
	names := map[string]bool{}
	for i, p := range s.pkgs {
		if !s.installed[i] && want[p.NEVRA()] {
			s.value[i] = 1
			s.addRules(i)
			names[p.Name+"."+p.Arch] = true
		}
	}
	for i, p := range s.pkgs {
		if s.installed[i] && !names[p.Name+"."+p.Arch] {
			s.value[i] = 1 // kept
		}
	}
	for i := range s.pkgs {
		if s.value[i] == 0 {
			s.value[i] = -1
		}
	}
	for id, c := range s.clauses {
		ok := false
		for _, l := range c.lits {
			ok = ok || s.val(l) == 1
		}
		if !ok {
			return fmt.Errorf("violates clause %d (kind %d, package %d)", id, c.kind, c.pkg)
		}
	}
	return nil
}

// ReadPrimaryStd is the encoding/xml reference reader of primary.xml.
var ReadPrimaryStd = readPrimaryStd
