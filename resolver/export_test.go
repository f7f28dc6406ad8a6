package resolver

import (
	"fmt"
	"io"
	"testing"

	"github.com/rpmvault/rpmvault/resolver/internal/sat"
)

// SolveChecked is Solve that also verifies, for tests, that the answer
// satisfies every rule the solver has enabled.
func SolveChecked(t *testing.T, u *Universe, req Request) (*Plan, error) {
	t.Helper()
	s, err := newSolver(u, req)
	if err != nil {
		return nil, err
	}
	if err := s.run(); err != nil {
		return nil, err
	}
	for id := int32(1); id < int32(len(s.sat.Rules)); id++ {
		r := s.sat.Rules[id]
		if r.Disabled || len(r.Lits) == 0 {
			continue
		}
		if !holds(s, r.Lits) {
			t.Errorf("solution violates rule %d (kind %d, package %d)", id, s.kindOf(id), s.pkgOf(id))
		}
	}
	plan := s.plan()
	order(plan, s)
	return plan, nil
}

func (s *solver) kindOf(id int32) ruleKind {
	if id < int32(len(s.info)) {
		return s.info[id].kind
	}
	return 255
}

func (s *solver) pkgOf(id int32) int32 {
	if id < int32(len(s.info)) {
		return s.info[id].pkg
	}
	return -1
}

func holds(s *solver, lits []sat.Lit) bool {
	for _, l := range lits {
		if (l > 0 && s.sat.Map[l] > 0) || (l < 0 && s.sat.Map[-l] <= 0) {
			return true
		}
	}
	return false
}

// ValidAnswer reports whether installing exactly nevras (keeping the
// installed packages they do not replace) satisfies every hard rule
// rpmvault derives for req.
func ValidAnswer(u *Universe, req Request, nevras []string) error {
	s, err := newSolver(u, req)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, n := range nevras {
		want[n] = true
	}
	var extra []pendingRule
	for i := int32(2); i < s.n; i++ {
		if !s.inst[i] && s.isCand(i) && want[s.nevra(i)] {
			delete(want, s.nevra(i)) // one copy, when two repos have it
			s.sat.Map[i] = 1
			extra = s.pkgRules(i, extra)
		}
	}
	for i := int32(2); i < s.instEnd; i++ {
		s.sat.Map[i] = 1
		for j := s.instEnd; j < s.n; j++ {
			if s.sat.Map[j] > 0 && ((s.rec(j).name == s.rec(i).name && s.colorOK(i, j)) || s.obsoletes(j, i)) {
				s.sat.Map[i] = -1
			}
		}
	}
	for id := int32(1); id < int32(len(s.sat.Rules)); id++ {
		r := s.sat.Rules[id]
		if r.Disabled || r.Weak || len(r.Lits) == 0 {
			continue
		}
		if !holds(s, r.Lits) {
			return fmt.Errorf("violates rule %d (kind %d, package %d)", id, s.info[id].kind, s.info[id].pkg)
		}
	}
	for _, r := range extra {
		if !holds(s, s.ruleLits(r)) {
			return fmt.Errorf("violates a rule of kind %d of package %d", r.info.kind, r.info.pkg)
		}
	}
	return nil
}

// ReadFilelists is readFilelists keeping the paths of want, with the pkgid
// as a string, for the benchmark outside the package.
func ReadFilelists(r io.Reader, want map[string]bool, fn func(pkgid string, files []string) error) error {
	return readFilelists(r, newPathSet(want), func(pkgid []byte, files []string) error { return fn(string(pkgid), files) })
}

// ReadPrimaryStd is the encoding/xml reference reader of primary.xml.
var ReadPrimaryStd = readPrimaryStd

// MergeFiles merges paths into the file lists of u's packages named name,
// as LoadFileLists does from filelists.xml.
func MergeFiles(u *Universe, name string, paths []string) {
	for k := range u.pkgs {
		if r := &u.pkgs[k]; u.pool.str(r.name) == name {
			u.addPaths(k, paths)
			r.fullFiles = true
		}
	}
}
