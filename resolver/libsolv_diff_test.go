package resolver_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/mirror"
	"github.com/rpmvault/rpmvault/resolver"
	"github.com/rpmvault/rpmvault/resolver/fetch"
	"github.com/rpmvault/rpmvault/resolver/rpmmd"
)

// diffCase is one randomly generated resolution problem.
type diffCase struct {
	seed int64
	repo []*resolver.Package
	// repos splits repo over several repos (when set), with their
	// priorities (lower wins, as in yum and dnf).
	repos     [][]*resolver.Package
	prio      []int
	installed []*resolver.Package
	install   []string
}

// randomCase builds a repo with the shapes that make resolution hard:
// several versions per name, epochs, exact-version families, virtual provides
// with several providers, file requires only file lists can answer, conflicts,
// obsoletes, multilib pairs and cycles (requires are drawn at random).
func randomCase(seed int64) diffCase {
	r := rand.New(rand.NewSource(seed))
	c := diffCase{seed: seed}
	nNames := 6 + r.Intn(14)
	type named struct {
		name string
		vers []*resolver.Package
	}
	names := make([]named, nNames)
	for i := range names {
		names[i].name = fmt.Sprintf("p%d", i)
	}
	mk := func(name, arch string, epoch int, ver, rel string) *resolver.Package {
		p := &resolver.Package{Name: name, Arch: arch, EVR: resolver.EVR{Epoch: epoch, Version: ver, Release: rel}}
		p.Provides = []resolver.Dep{{Name: name, Flags: resolver.Equal, EVR: p.EVR}}
		p.Files = []string{"/usr/bin/" + name, "/opt/" + name + "/data"}
		p.FullFiles = true
		return p
	}
	for i := range names {
		nv := 1 + r.Intn(3)
		arch := "x86_64"
		if r.Intn(5) == 0 {
			arch = "noarch"
		}
		for v := 0; v < nv; v++ {
			epoch := 0
			ver := fmt.Sprintf("%d.%d", 1+v, r.Intn(3))
			if v == nv-1 && nv > 1 && r.Intn(6) == 0 {
				epoch, ver = 1, "0.9" // an epoch beats a higher version
			}
			p := mk(names[i].name, arch, epoch, ver, fmt.Sprintf("%d.el6", 1+r.Intn(2)))
			names[i].vers = append(names[i].vers, p)
			if arch == "x86_64" && r.Intn(6) == 0 { // a library with a multilib twin
				p.Provides = append(p.Provides, resolver.Dep{Name: "lib" + names[i].name + ".so.1()(64bit)"})
				twin := mk(names[i].name, "i686", epoch, ver, p.EVR.Release)
				twin.Provides = append(twin.Provides, resolver.Dep{Name: "lib" + names[i].name + ".so.1"})
				twin.Files = []string{"/usr/lib/lib" + names[i].name + ".so.1"}
				names[i].vers = append(names[i].vers, twin)
			}
		}
	}
	pick := func() named { return names[r.Intn(len(names))] }
	nVirt := 1 + r.Intn(3)
	for _, n := range names {
		for _, p := range n.vers {
			if r.Intn(4) == 0 {
				p.Provides = append(p.Provides, resolver.Dep{Name: fmt.Sprintf("virt%d", r.Intn(nVirt))})
			}
			// A virtual provide named like a real package (sysvinit-utils
			// provides lsb-base), sometimes also conflicting with that
			// package (libsdl1.2-compat-shim provides and conflicts with
			// libsdl1.2debian).
			if r.Intn(8) == 0 {
				if t := pick(); t.name != p.Name {
					p.Provides = append(p.Provides, resolver.Dep{Name: t.name})
					if r.Intn(2) == 0 {
						p.Conflicts = append(p.Conflicts, resolver.Dep{Name: t.name})
					}
				}
			}
			for k := r.Intn(4); k > 0; k-- {
				t := pick()
				tv := t.vers[r.Intn(len(t.vers))]
				var d resolver.Dep
				switch r.Intn(8) {
				case 0:
					d = resolver.Dep{Name: t.name, Flags: resolver.Greater | resolver.Equal, EVR: resolver.EVR{Epoch: tv.EVR.Epoch, Version: tv.EVR.Version}}
				case 1:
					d = resolver.Dep{Name: t.name, Flags: resolver.Equal, EVR: tv.EVR} // exact-version family
				case 2:
					d = resolver.Dep{Name: fmt.Sprintf("virt%d", r.Intn(nVirt))}
				case 3:
					d = resolver.Dep{Name: "/usr/bin/" + t.name}
				case 4:
					d = resolver.Dep{Name: "/opt/" + t.name + "/data"} // only filelists know it
				case 5:
					d = resolver.Dep{Name: t.name, Flags: resolver.Less, EVR: resolver.EVR{Version: "2.0"}}
				default:
					d = resolver.Dep{Name: t.name}
				}
				if d.Name != p.Name {
					p.Requires = append(p.Requires, d)
				}
			}
			if r.Intn(12) == 0 {
				if t := pick(); t.name != p.Name {
					p.Conflicts = append(p.Conflicts, resolver.Dep{Name: t.name})
				}
			}
			if r.Intn(15) == 0 {
				if t := pick(); t.name != p.Name {
					p.Obsoletes = append(p.Obsoletes, resolver.Dep{Name: t.name, Flags: resolver.Less, EVR: resolver.EVR{Version: "2.0"}})
				}
			}
		}
	}
	for _, n := range names {
		c.repo = append(c.repo, n.vers...)
	}
	// An installed set (in one case of two): some version of some names,
	// then whatever of it has a requirement the set does not meet, or a
	// conflict inside the set, is dropped, until the set is consistent.
	if r.Intn(2) == 0 {
		for _, n := range names {
			if r.Intn(2) == 0 {
				cp := *n.vers[r.Intn(len(n.vers))]
				c.installed = append(c.installed, &cp)
			}
		}
		c.installed = consistent(c.installed)
	}
	// Several repos (in one case of three), as a box with its release's os
	// tree, the next release's and updates: each package in one of them,
	// some in two (the same NEVRA in os 6.5 and 6.6), priorities sometimes.
	if r.Intn(3) == 0 {
		nr := 2 + r.Intn(2)
		c.repos = make([][]*resolver.Package, nr)
		for _, p := range c.repo {
			k := r.Intn(nr)
			c.repos[k] = append(c.repos[k], p)
			if r.Intn(5) == 0 {
				k2 := (k + 1 + r.Intn(nr-1)) % nr
				c.repos[k2] = append(c.repos[k2], p)
			}
		}
		for k := 0; k < nr; k++ {
			// A repo with no packages is refused as a misconfiguration:
			// give it one (as the same NEVRA in two trees).
			if len(c.repos[k]) == 0 {
				c.repos[k] = append(c.repos[k], c.repo[r.Intn(len(c.repo))])
			}
			prio := resolver.DefaultPriority
			if r.Intn(3) == 0 {
				prio = []int{10, 50, 99}[r.Intn(3)]
			}
			c.prio = append(c.prio, prio)
		}
	}
	// Install specs as people write them: a name, name.arch, name-version
	// or "name >= version".
	for k := 1 + r.Intn(2); k > 0; k-- {
		t := pick()
		v := t.vers[r.Intn(len(t.vers))]
		switch r.Intn(6) {
		case 0:
			c.install = append(c.install, t.name+"."+v.Arch)
		case 1:
			c.install = append(c.install, t.name+"-"+v.EVR.Version)
		case 2:
			c.install = append(c.install, t.name+" >= "+v.EVR.Version)
		default:
			c.install = append(c.install, t.name)
		}
	}
	return c
}

// consistent drops packages whose requirements the set does not meet, or
// that conflict with or obsolete another of the set, until none is left.
func consistent(set []*resolver.Package) []*resolver.Package {
	meets := func(q *resolver.Package, d resolver.Dep) bool {
		self := resolver.Dep{Name: q.Name, Flags: resolver.Equal, EVR: q.EVR}
		if self.Satisfies(d) {
			return true
		}
		for _, pd := range q.Provides {
			if pd.Satisfies(d) {
				return true
			}
		}
		return slices.Contains(q.Files, d.Name)
	}
	for {
		var keep []*resolver.Package
		for _, p := range set {
			ok := true
			for _, d := range p.Requires {
				if !slices.ContainsFunc(set, func(q *resolver.Package) bool { return meets(q, d) }) {
					ok = false
				}
			}
			for _, d := range append(append([]resolver.Dep(nil), p.Conflicts...), p.Obsoletes...) {
				if slices.ContainsFunc(set, func(q *resolver.Package) bool { return q != p && meets(q, d) }) {
					ok = false
				}
			}
			if ok {
				keep = append(keep, p)
			}
		}
		if len(keep) == len(set) {
			return keep
		}
		set = keep
	}
}

// repoSets are the case's repos: repo alone, or its split.
func (c diffCase) repoSets() [][]*resolver.Package {
	if c.repos != nil {
		return c.repos
	}
	return [][]*resolver.Package{c.repo}
}

func (c diffCase) priority(k int) int {
	if c.prio != nil {
		return c.prio[k]
	}
	return resolver.DefaultPriority
}

func writeRepo(t *testing.T, dir string, pkgs []*resolver.Package) {
	t.Helper()
	var entries []mirror.RepoEntry
	for _, p := range pkgs {
		cp := *p
		sum := sha256.Sum256([]byte(p.NEVRA()))
		cp.Checksum = rpmmd.Checksum{Type: "sha256", Hex: hex.EncodeToString(sum[:])}
		cp.Location = cp.NVRA() + ".rpm"
		cp.SourceRPM = p.Name + "-" + p.EVR.Version + "-" + p.EVR.Release + ".src.rpm"
		entries = append(entries, mirror.RepoEntry{Pkg: &cp})
	}
	if err := mirror.WriteRepodata(dir, entries); err != nil {
		t.Fatal(err)
	}
}

// mdFile finds a metadata file of a repo written by writeRepo.
func mdFile(t *testing.T, dir, kind string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "repodata", "*-"+kind+".xml.gz"))
	if len(m) != 1 {
		t.Fatalf("no %s in %s", kind, dir)
	}
	return m[0]
}

type libsolvAnswer struct {
	Install []string `json:"install"`
	Erase   []string `json:"erase"` // installed packages the transaction removes or replaces
	Unsat   bool     `json:"unsat"`
	Valid   bool     `json:"valid"`
	Why     string   `json:"why"`
}

// needLibsolv fails under CI, and skips elsewhere, without python3-solv.
func needLibsolv(t *testing.T) {
	t.Helper()
	fixtures.NeedTool(t, "/usr/bin/python3")
	if err := exec.Command("/usr/bin/python3", "-c", "import solv").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("python3-solv is required in CI")
		}
		t.Skip("python3-solv not installed")
	}
}

// runLibsolv hands cases to testdata/libsolv_solve.py in one process.
func runLibsolv(t *testing.T, dir string, cases []map[string]any) []libsolvAnswer {
	t.Helper()
	input, _ := json.Marshal(cases)
	inFile := filepath.Join(dir, fmt.Sprintf("cases-%d.json", len(cases)))
	if err := os.WriteFile(inFile, input, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("/usr/bin/python3", filepath.Join("testdata", "libsolv_solve.py"), inFile).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("libsolv script: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var answers []libsolvAnswer
	if err := json.Unmarshal(out, &answers); err != nil || len(answers) != len(cases) {
		t.Fatalf("libsolv script answered %d of %d cases: %v", len(answers), len(cases), err)
	}
	return answers
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		t.Fatalf("%s=%q: want a number", name, v)
	}
	return n
}

// TestDifferentialAgainstLibsolv solves hundreds of random problems with
// rpmvault and with libsolv and compares the package sets.
func TestDifferentialAgainstLibsolv(t *testing.T) {
	needLibsolv(t)
	// RPMVAULT_DIFF_SEED and RPMVAULT_DIFF_CASES try other random problems
	// than CI's fixed ones (a new seed range is a new set of inputs).
	first, n := envInt(t, "RPMVAULT_DIFF_SEED", 1000), envInt(t, "RPMVAULT_DIFF_CASES", 600)
	root := t.TempDir()
	var cases []diffCase
	var jobs []map[string]any
	for i := 0; i < n; i++ {
		c := randomCase(int64(first + i))
		dir := filepath.Join(root, fmt.Sprint(i))
		job := map[string]any{"install": c.install}
		var repos []map[string]any
		for k, pkgs := range c.repoSets() {
			rd := filepath.Join(dir, fmt.Sprintf("repo%d", k))
			writeRepo(t, rd, pkgs)
			repos = append(repos, map[string]any{"primary": mdFile(t, rd, "primary"), "filelists": mdFile(t, rd, "filelists"), "priority": c.priority(k)})
		}
		job["repos"] = repos
		if len(c.installed) > 0 {
			writeRepo(t, filepath.Join(dir, "installed"), c.installed)
			job["installed_primary"] = mdFile(t, filepath.Join(dir, "installed"), "primary")
			job["installed_filelists"] = mdFile(t, filepath.Join(dir, "installed"), "filelists")
		}
		cases = append(cases, c)
		jobs = append(jobs, job)
	}
	answers := runLibsolv(t, root, jobs)
	agree, unsat, upgrades := 0, 0, 0
	var differ []string
	var checks []map[string]any
	withInstalled, withRepos := 0, 0
	for i, c := range cases {
		if len(c.installed) > 0 {
			withInstalled++
		}
		if c.repos != nil {
			withRepos++
		}
		dir := filepath.Join(root, fmt.Sprint(i))
		var repos []resolver.Repo
		prio := map[string]int{}
		for k := range c.repoSets() {
			id := fmt.Sprintf("repo%d", k)
			repos = append(repos, resolver.Repo{ID: id, BaseURLs: []string{filepath.Join(dir, id)}})
			prio[id] = c.priority(k)
		}
		u, err := resolver.LoadUniverse(context.Background(), repos, resolver.LoadOptions{Fetcher: &fetch.HTTPFetcher{}})
		if err != nil {
			t.Fatal(err)
		}
		var installed []*resolver.Package
		if len(c.installed) > 0 {
			iu, err := resolver.LoadUniverse(context.Background(), []resolver.Repo{{ID: resolver.InstalledRepo, BaseURLs: []string{filepath.Join(dir, "installed")}}},
				resolver.LoadOptions{Fetcher: &fetch.HTTPFetcher{}})
			if err != nil {
				t.Fatal(err)
			}
			if err := iu.LoadFileLists(nil); err != nil {
				t.Fatal(err)
			}
			installed = iu.Packages()
		}
		// SolveChecked also verifies that our answer satisfies every rule.
		plan, err := resolver.SolveChecked(t, u, resolver.Request{Install: c.install, Installed: installed, Multilib: true, RepoPriority: prio})
		var ours []string
		ourUnsat := false
		var ue *resolver.UnsatisfiableError
		switch {
		case errors.As(err, &ue):
			ourUnsat = true
		case err != nil:
			t.Fatalf("case %d: %v", i, err)
		default:
			ours = nevras(plan)
		}
		theirs := answers[i]
		sort.Strings(theirs.Install)
		if ourUnsat == theirs.Unsat && strings.Join(ours, " ") == strings.Join(theirs.Install, " ") {
			agree++
			if ourUnsat {
				unsat++
			}
			upgrades += checkUpgradesNeeded(t, u, resolver.Request{Install: c.install, Installed: installed, Multilib: true, RepoPriority: prio}, plan, i)
			continue
		}
		desc := fmt.Sprintf("case %d (seed %d, install %v, %d installed):\n rpmvault unsat=%v %v\n libsolv  unsat=%v %v %s",
			i, c.seed, c.install, len(c.installed), ourUnsat, ours, theirs.Unsat, theirs.Install, theirs.Why)
		// A disagreement is explained when both found an answer and libsolv's
		// satisfies every rule we derive: the two chose differently among
		// valid alternatives. Anything else is a semantic difference: a bug.
		if ourUnsat || theirs.Unsat {
			t.Errorf("semantic disagreement, %s", desc)
			continue
		}
		if err := resolver.ValidAnswer(u, resolver.Request{Install: c.install, Installed: installed, Multilib: true, RepoPriority: prio}, theirs.Install); err != nil {
			t.Errorf("libsolv's answer breaks our rules (%v): %s", err, desc)
			continue
		}
		differ = append(differ, desc)
		check := map[string]any{}
		for k, v := range jobs[i] {
			check[k] = v
		}
		check["check"] = ours
		checks = append(checks, check)
	}
	// And ours must be valid for libsolv: installable as is, needing nothing more.
	if len(checks) > 0 {
		for i, v := range runLibsolv(t, root, checks) {
			if !v.Valid {
				t.Errorf("libsolv rejects our answer %v: %s", checks[i]["check"], v.Why)
			}
		}
	}
	t.Logf("agreement with libsolv: %d of %d random cases identical (%d unsatisfiable on both sides, %d with an installed set, %d over several repos); %d upgrades of installed packages, each one needed",
		agree, n, unsat, withInstalled, withRepos, upgrades)
	for _, d := range differ {
		t.Error(d)
	}
}

// checkUpgradesNeeded is the property that no installed package is changed
// unless the request needs it: putting back the installed version of any
// one upgrade in the plan must break a rule. It returns the upgrades checked.
func checkUpgradesNeeded(t *testing.T, u *resolver.Universe, req resolver.Request, plan *resolver.Plan, i int) int {
	t.Helper()
	if plan == nil {
		return 0
	}
	n := 0
	for k, pp := range plan.Packages {
		if pp.Action != resolver.ActionUpgrade {
			continue
		}
		n++
		var rest []string
		for j, q := range plan.Packages {
			if j != k {
				rest = append(rest, q.Package.NEVRA())
			}
		}
		if err := resolver.ValidAnswer(u, req, rest); err == nil {
			t.Errorf("case %d: upgrading installed %s to %s is not needed: the plan without it breaks no rule",
				i, pp.Replaces.NEVRA(), pp.Package.NEVRA())
		}
	}
	return n
}
