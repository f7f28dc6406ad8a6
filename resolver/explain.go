package resolver

import (
	"fmt"
	"sort"
	"strings"

	"github.com/rpmvault/rpmvault/resolver/internal/sat"
)

// UnsatisfiableError says why a request cannot be met, as statements a person
// can act on ("X conflicts with installed Y", "X requires Z; no enabled repo
// provides it").
type UnsatisfiableError struct {
	Problems []string
}

func (e *UnsatisfiableError) Error() string {
	var b strings.Builder
	b.WriteString("the request cannot be resolved:")
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p)
	}
	return b.String()
}

// noMatch explains an install spec that matches no candidate.
func (s *solver) noMatch(spec string) error {
	var excluded, otherArch, constrained []string
	for k := range s.u.pkgs {
		if s.u.pkgs[k].hidden || !s.u.namedBy(k, spec) {
			continue
		}
		p := s.u.pkg(k, false)
		switch {
		case s.excluded(p.Name):
			excluded = append(excluded, p.NEVRA())
		case !s.archOK(p.Arch):
			otherArch = append(otherArch, p.NEVRA())
		default:
			constrained = append(constrained, p.NEVRA())
		}
	}
	msg := fmt.Sprintf("no package matches %q in the enabled repos (check the spelling, or add the repo that has it)", spec)
	switch {
	case len(constrained) > 0:
		msg = fmt.Sprintf("%q matches only packages the constraints %v rule out: %s", spec, s.req.Constraints, strings.Join(constrained, ", "))
	case len(excluded) > 0:
		msg = fmt.Sprintf("%q matches only excluded packages: %s (see exclude)", spec, strings.Join(excluded, ", "))
	case len(otherArch) > 0:
		msg = fmt.Sprintf("%q matches only packages of another arch: %s (set multilib to allow 32-bit packages)", spec, strings.Join(otherArch, ", "))
	}
	return &UnsatisfiableError{Problems: []string{msg}}
}

// unsat explains a conflict at level 1 from the rules of its proof,
// rendered in order of how actionable they are.
func (s *solver) unsat(u *sat.Unsolvable) error {
	type line struct {
		rank int
		text string
	}
	var lines []line
	done := map[string]bool{}
	add := func(rank int, text string) {
		if !done[text] {
			done[text] = true
			lines = append(lines, line{rank, text})
		}
	}
	for _, id := range u.Proof {
		c := s.info[id]
		ls := s.sat.Rules[id].Lits
		switch c.kind {
		case ruleJob:
			add(0, fmt.Sprintf("the request %q needs one of: %s", s.jobs[c.job], s.names(ls)))
		case ruleNothingProvides:
			add(1, fmt.Sprintf("%s requires %s; no enabled repo provides it%s", s.label(c.pkg), s.pool.dep(c.dep), s.filteredProviders(s.pool.dep(c.dep))))
		case ruleRequires:
			add(3, fmt.Sprintf("%s requires %s, provided by %s", s.label(c.pkg), s.pool.dep(c.dep), s.names(ls[1:])))
		case ruleChoice:
			add(3, fmt.Sprintf("%s requires %s, to be met by %s", s.label(c.pkg), s.pool.dep(s.info[c.other].dep), s.names(ls[1:])))
		case ruleConflicts:
			add(2, fmt.Sprintf("%s conflicts with %s (%s)", s.label(c.pkg), s.label(c.other), s.pool.dep(c.dep)))
		case ruleObsoletes:
			add(2, fmt.Sprintf("%s obsoletes %s (%s)", s.label(c.pkg), s.label(c.other), s.pool.dep(c.dep)))
		case ruleSameName:
			add(4, fmt.Sprintf("only one of %s and %s can be installed", s.label(c.pkg), s.label(c.other)))
		case ruleConstraint:
			add(2, fmt.Sprintf("installed %s fails the constraint %s and must be upgraded", s.nevra(c.pkg), s.pool.dep(c.dep)))
		case ruleInfArch:
			add(4, fmt.Sprintf("%s has an inferior architecture: it may only be installed beside the same version for %s", s.label(c.pkg), s.req.Arch))
		case ruleUpdate, ruleFeature:
			add(5, fmt.Sprintf("installed %s may be kept or upgraded, not removed", s.nevra(c.pkg)))
		}
	}
	sort.Slice(lines, func(i, j int) bool {
		if lines[i].rank != lines[j].rank {
			return lines[i].rank < lines[j].rank
		}
		return lines[i].text < lines[j].text
	})
	const maxLines = 20
	err := &UnsatisfiableError{}
	for i, l := range lines {
		if i == maxLines {
			err.Problems = append(err.Problems, fmt.Sprintf("... and %d more", len(lines)-maxLines))
			break
		}
		err.Problems = append(err.Problems, l.text)
	}
	return err
}

// label names a package, marking installed ones.
func (s *solver) label(i int32) string {
	if s.inst[i] {
		return "installed " + s.nevra(i)
	}
	return s.nevra(i)
}

func (s *solver) names(lits []sat.Lit) string {
	var out []string
	for _, l := range lits {
		if l > 0 {
			out = append(out, s.label(int32(l)))
		}
	}
	return strings.Join(out, ", ")
}

// filteredProviders mentions providers that exist but were ruled out.
func (s *solver) filteredProviders(d Dep) string {
	var out []string
	dr, ok := s.pool.lookupDep(d)
	for k := range s.u.pkgs {
		r := &s.u.pkgs[k]
		if !ok {
			break // no package has that name at all
		}
		if r.hidden {
			continue
		}
		for j := r.dep; j < r.prov; j++ {
			if s.pool.satisfies(s.pool.depAt(j), dr) {
				out = append(out, s.u.pkg(k, false).NEVRA())
				break
			}
		}
	}
	if len(out) == 0 {
		return ""
	}
	return " (ruled out by arch, exclude or constraints: " + strings.Join(out, ", ") + ")"
}
