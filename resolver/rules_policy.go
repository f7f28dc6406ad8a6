package resolver

import (
	"slices"
	"strings"

	"github.com/rpmvault/rpmvault/resolver/internal/sat"
)

// matchSpec finds the candidates a dnf-style spec names, in ascending ids,
// as libsolv's selection does: "name OP version" by packages of that name
// in that range, or by provides when no package has that name; otherwise
// by NEVRA forms, then by provides (a file path included).
func (s *solver) matchSpec(spec string) []int32 {
	if d, err := ParseDep(spec); err == nil && d.Flags != 0 {
		dr, ok := s.pool.lookupDep(d)
		if !ok {
			return nil
		}
		named := s.byName(dr.name)
		if len(named) == 0 {
			return s.whatProvides(dr)
		}
		var out []int32
		for _, q := range named {
			if s.matchNEVR(q, dr) {
				out = append(out, q)
			}
		}
		return out
	}
	// A NEVRA form starts with the name and goes on with "-" or "." (or
	// ends): look up each such prefix instead of trying every package.
	var out []int32
	for n := 1; n <= len(spec); n++ {
		if n < len(spec) && spec[n] != '-' && spec[n] != '.' {
			continue
		}
		id, ok := s.pool.lookup(spec[:n])
		if !ok {
			continue
		}
		for _, i := range s.byName(id) {
			if s.nevraMatches(i, spec) {
				out = append(out, i)
			}
		}
	}
	if len(out) > 0 {
		slices.Sort(out)
		return out
	}
	return s.whatProvidesDep(Dep{Name: spec})
}

func (s *solver) nevraMatches(i int32, spec string) bool {
	name := s.name(i)
	if !strings.HasPrefix(spec, name) {
		return false // most packages: no EVR to materialise
	}
	return nevraMatches(name, s.evr(i), s.arch(i), spec)
}

// nevraMatches: does spec name the package name-evr.arch, in one of the
// forms dnf accepts (name, name-version, name-version-release, with or
// without epoch and arch)?
func nevraMatches(name string, evr EVR, arch, spec string) bool {
	if !strings.HasPrefix(spec, name) {
		return false
	}
	forms := []string{
		name,
		name + "-" + evr.Version,
		name + "-" + evr.Version + "-" + evr.Release,
		name + "-" + evr.String(),
	}
	if evr.Epoch != 0 {
		forms = append(forms, name+"-"+evr.String()[:strings.IndexByte(evr.String(), ':')+1]+evr.Version)
	}
	for _, f := range forms {
		if spec == f || spec == f+"."+arch {
			return true
		}
	}
	return false
}

// archSetNames are the names whose inferior-arch rules a job switches
// off, as libsolv does: a spec that names an arch ("glibc.i686") and
// selects a package such a rule is about.
func (s *solver) archSetNames(jobMatches [][]int32) map[strID]bool {
	about := map[int32]bool{}
	for id := s.rng.infarch; id < int32(len(s.info)); id++ {
		about[s.info[id].pkg] = true
	}
	out := map[strID]bool{}
	for k, m := range jobMatches {
		for _, q := range m {
			if strings.HasSuffix(s.req.Install[k], "."+s.arch(q)) && about[q] {
				out[s.rec(q).name] = true
			}
		}
	}
	return out
}

// infArchRules are libsolv's rules against inferior arches (with dnf's
// multilib setting): a 32-bit package on x86_64 may only be installed in
// lock-step with the same version of its name for a better arch (or
// noarch), unless nothing of a better arch has that name.
func (s *solver) infArchRules() []pendingRule {
	var out []pendingRule
	sameClass := func(a, b uint32) bool { return (a^b)&0xffff0000 == 0 }
	for i := int32(2); i < s.n; i++ {
		if !s.added[i] {
			continue
		}
		named := s.byName(s.rec(i).name)
		var group []int32
		for _, p := range named {
			if s.added[p] {
				group = append(group, p)
			}
		}
		if group[0] != i {
			continue // not the first of its name
		}
		var best uint32
		var bestArch strID
		var allowed []strID
		for _, p := range group {
			a := s.score[p]
			if a != 1 && s.inst[p] {
				if !slices.Contains(allowed, s.rec(p).arch) {
					allowed = append(allowed, s.rec(p).arch)
				}
				continue
			}
			if a != 0 && a != 1 && (best == 0 || a < best) {
				best, bestArch = a, s.rec(p).arch
			}
		}
		if best == 0 {
			continue
		}
		if len(allowed) == 1 && allowed[0] == bestArch {
			allowed = nil
		}
		if len(allowed) > 0 {
			// An installed inferior arch may stay only when it is not
			// lock-stepped with a better one.
			allowed = nil
			for _, p := range group {
				if !s.inst[p] {
					continue
				}
				a := s.score[p]
				if a == 1 || sameClass(a, best) {
					continue
				}
				if !s.lockStepped(p, best) && !slices.Contains(allowed, s.rec(p).arch) {
					allowed = append(allowed, s.rec(p).arch)
				}
			}
		}
		var bad []int32
		for _, p := range group {
			a := s.score[p]
			if a == 1 || sameClass(a, best) {
				continue
			}
			if s.inst[p] {
				bad = append(bad, p)
				continue
			}
			ok := false
			for _, aa := range allowed {
				if sa := s.archScore(s.pool.str(aa)); aa == s.rec(p).arch || (sa != 0 && sameClass(a, sa)) {
					ok = true
				}
			}
			if !ok {
				bad = append(bad, p)
			}
		}
		for _, p := range bad {
			var partners []int32
			haveInst := false
			for _, q := range named {
				if q == p || s.rec(q).evr != s.rec(p).evr || s.rec(q).arch == s.rec(p).arch {
					continue
				}
				if a := s.score[q]; a != 0 && (a == 1 || sameClass(a, best)) {
					partners = append(partners, q)
					haveInst = haveInst || s.inst[q]
				}
			}
			if s.inst[p] && !haveInst {
				continue
			}
			out = append(out, s.newRule(ruleInfo{kind: ruleInfArch, pkg: p}, notLit(p), partners))
		}
	}
	return out
}

// lockStepped: has package p a twin of its version for a better arch?
func (s *solver) lockStepped(p int32, best uint32) bool {
	for _, q := range s.byName(s.rec(p).name) {
		if q == p || s.rec(q).evr != s.rec(p).evr || s.rec(q).arch == s.rec(p).arch {
			continue
		}
		if a := s.score[q]; a != 0 && (a == 1 || (a^best)&0xffff0000 == 0) {
			return true
		}
	}
	return false
}

// choiceRules are libsolv's weak choice rules: when a requirement can be met
// by an installed package (or one replacing an installed package) and by an
// unrelated one, and replacing that installed package may lose the
// provide, the requirement is to be met from the installed side.
func (s *solver) choiceRules() []pendingRule {
	var out []pendingRule
	mneg := map[int32]bool{}
	for rid := s.rng.infarch; rid < int32(len(s.info)); rid++ {
		if l := s.sat.Rules[rid].Lits; len(l) == 1 && l[0] < 0 {
			mneg[-int32(l[0])] = true
		}
	}
	var lastP sat.Lit
	var lastQ []sat.Lit
	for rid := int32(1); rid < s.rng.pkgEnd; rid++ {
		r := s.sat.Rules[rid].Lits
		if r[0] >= 0 || (len(r) <= 2 && (len(r) < 2 || r[1] <= 0)) {
			continue // only requires rules
		}
		var qi [][2]int32
		haveChoice := false
		for _, l := range r {
			if l < 0 {
				continue
			}
			p := int32(l)
			if s.inst[p] {
				qi = append(qi, [2]int32{p, p})
				continue
			}
			if p2 := s.findInstalled(p); p2 != 0 {
				if mneg[p] || s.illegalReplace(p2, p) {
					continue
				}
				qi = append(qi, [2]int32{p2, p})
				continue
			}
			haveChoice = true
		}
		if !haveChoice || len(qi) == 0 {
			continue
		}
		m := map[sat.Lit]bool{}
		for _, l := range r {
			if l > 0 {
				m[l] = true
			}
		}
		needed := false
		for _, pair := range qi {
			for _, l := range s.sat.Rules[s.rng.update+pair[0]-2].Lits {
				if !m[l] {
					needed = true
				}
			}
		}
		if !needed {
			continue
		}
		var q []sat.Lit
		for _, l := range r[1:] {
			if l < 0 {
				q = append(q, l)
			}
		}
		for _, pair := range qi {
			q = append(q, lit(pair[1]))
		}
		if r[0] == lastP && slices.Equal(q, lastQ) {
			continue
		}
		lastP, lastQ = r[0], q
		out = append(out, s.newRule(ruleInfo{kind: ruleChoice, pkg: -int32(r[0]), other: rid}, r[0], nil, q...))
	}
	return out
}

// findInstalled is the installed package p would replace (p itself if
// installed), or 0.
func (s *solver) findInstalled(p int32) int32 {
	if s.inst[p] {
		return p
	}
	name := s.rec(p).name
	for _, q := range s.providers(name) {
		if s.inst[q] && s.rec(q).name == name && s.colorOK(p, q) {
			return q
		}
	}
	for d := range s.obsoleteDeps(p) {
		for _, q := range s.whatProvides(d) {
			if s.inst[q] && s.matchNEVR(q, d) {
				return q
			}
		}
	}
	return 0
}

// illegalReplace: may installed package i not be replaced by p (a
// downgrade or an arch change)?
func (s *solver) illegalReplace(i, p int32) bool {
	a, b := s.rec(i), s.rec(p)
	if a.name == b.name && s.pool.cmpEVR(a.evr, b.evr) > 0 {
		return true
	}
	return s.illegalArchChange(i, p)
}

// specSets is what a spec pins of the packages it selects (libsolv's
// SOLVER_SET* bits, derived from the job as libsolv derives them).
type specSets struct{ name, ev, evr, arch bool }

func (s *solver) specSets(spec string) specSets {
	if d, err := ParseDep(spec); err == nil && d.Flags != 0 {
		id, ok := s.pool.lookup(d.Name)
		return specSets{name: ok && len(s.byName(id)) > 0}
	}
	var set specSets
	for _, q := range s.byName(specName(s, spec)) {
		if !s.nevraMatches(q, spec) {
			continue
		}
		name, arch := s.name(q), s.arch(q)
		set.name = true
		rest := strings.TrimSuffix(strings.TrimPrefix(spec, name), "."+arch)
		set.arch = set.arch || rest != strings.TrimPrefix(spec, name)
		if rest != "" {
			if strings.Contains(rest[1:], "-") {
				set.evr = true
			} else {
				set.ev = true
			}
		}
	}
	return set
}

// specName finds the package name a NEVRA-form spec starts with (0: none).
func specName(s *solver, spec string) strID {
	for n := len(spec); n > 0; n-- {
		if id, ok := s.pool.lookup(spec[:n]); ok && len(s.byName(id)) > 0 && (n == len(spec) || spec[n] == '-' || spec[n] == '.') {
			return id
		}
	}
	return 0
}

// disableUpdates is libsolv's jobtodisablelist for install jobs: when every
// candidate of a job replaces the same installed package, and may (a
// downgrade is fine when the spec pins another version), that package's
// update and feature rules are switched off, so the job can replace it.
func (s *solver) disableUpdates(jobMatches [][]int32) {
	if s.instEnd == 2 {
		return
	}
	for k, m := range jobMatches {
		set := s.specSets(s.req.Install[k])
		if !set.name {
			continue
		}
		if slices.ContainsFunc(m, func(p int32) bool { return s.inst[p] }) {
			continue
		}
		var common []int32
		for n, p := range m {
			var obs []int32
			for q := int32(2); q < s.instEnd; q++ {
				same := s.rec(q).name == s.rec(p).name && s.colorOK(p, q)
				if same || s.obsoletes(p, q) {
					obs = append(obs, q)
				}
			}
			if n == 0 {
				common = obs
			} else {
				common = slices.DeleteFunc(common, func(q int32) bool { return !slices.Contains(obs, q) })
			}
			if len(common) == 0 {
				break
			}
		}
		for _, q := range common {
			legal := true
			for _, p := range m {
				is, ps := s.rec(q), s.rec(p)
				downgrade := !set.evr && is.name == ps.name && s.pool.cmpEVR(is.evr, ps.evr) > 0
				if downgrade && set.ev {
					ie, pe := s.pool.evrRec(is.evr), s.pool.evrRec(ps.evr)
					if ie.epoch != pe.epoch || s.pool.vercmp(ie.ver, pe.ver) != 0 {
						downgrade = false
					}
				}
				if downgrade || (!set.arch && s.illegalArchChange(q, p)) {
					legal = false
					break
				}
			}
			if legal {
				s.noUpdate[q] = true
				s.sat.Rules[s.rng.update+q-2].Disabled = true
				if f := &s.sat.Rules[s.rng.feature+q-2]; len(f.Lits) > 0 {
					f.Disabled = true
				}
			}
		}
	}
}
