package graph

import (
	"fmt"
	"sort"
	"strings"

	"github.com/rpmvault/rpmvault/lock"
	"github.com/rpmvault/rpmvault/resolver"
)

// Graph is a closure: its packages in install order and the requirements
// between them.
type Graph struct {
	Name  string `json:"name"` // the manifest's name
	Steps int    `json:"steps"`
	Nodes []Node `json:"nodes"` // in install order (step, then name)
	Edges []Edge `json:"edges"` // sorted by from, then to
}

// Node is one pinned package.
type Node struct {
	ID         string `json:"id"` // NEVRA, unique in a closure
	Name       string `json:"name"`
	Epoch      int    `json:"epoch"`
	Version    string `json:"version"`
	Release    string `json:"release"`
	Arch       string `json:"arch"`
	Repo       string `json:"repo"`
	Size       int64  `json:"size"`
	Action     string `json:"action"` // install or upgrade
	Reason     string `json:"reason"` // the resolver's words, as in the lock
	Step       int    `json:"step"`
	SigningKey string `json:"signingKey,omitempty"`
	SHA256     string `json:"sha256,omitempty"`
	SourceRPM  string `json:"sourceRpm,omitempty"`
	// Requested is true for the packages the manifest asked for: the roots.
	Requested bool `json:"requested"`
	// Upgrades is the installed package of the baseline this one replaces.
	Upgrades string `json:"upgrades,omitempty"`
	// Known is false when the package's dependencies were not available
	// (no header or metadata record): it then has no outgoing edges.
	Known bool `json:"known"`
}

// EVR is the node's [epoch:]version-release.
func (n Node) EVR() string {
	return resolver.EVR{Epoch: n.Epoch, Version: n.Version, Release: n.Release}.String()
}

// Edge says From requires something To provides.
type Edge struct {
	From string `json:"from"`
	To   string `json:"to"`
	// Requirement is the first of From's requirements that To meets, as
	// rpm prints it ("libcgroup", "libdevmapper.so.1.02()(64bit)").
	Requirement string `json:"requirement"`
	// Why marks the edge that pulled To into the closure: the last link of
	// the shortest chain of requirements from a requested package.
	Why bool `json:"why"`
}

// reasonRequested is the reason the resolver records for a package the
// manifest asked for (the lock's "reason: requested"); resolver.Why starts
// its chains from the same packages.
const reasonRequested = "requested"

// Build makes the graph of a lock. deps holds the dependency records of the
// lock's packages by NEVRA (from repo metadata or RPM headers); a package
// without one is a node with no outgoing edges.
func Build(l *lock.Lock, deps map[string]*resolver.Package) *Graph {
	// Lists are [] in JSON when the closure is empty, never null.
	g := &Graph{Name: l.RPMVault.Manifest, Steps: l.RPMVault.Steps, Nodes: []Node{}, Edges: []Edge{}}
	installed := map[string]string{} // name.arch -> NEVRA of the baseline
	for _, nevra := range l.RPMVault.Baseline {
		if p, err := parseNEVRA(nevra); err == nil {
			installed[p.name+"."+p.arch] = nevra
		}
	}
	pkgs := l.Packages()
	sort.SliceStable(pkgs, func(i, j int) bool {
		if pkgs[i].Step != pkgs[j].Step {
			return pkgs[i].Step < pkgs[j].Step
		}
		return pkgs[i].NEVRA() < pkgs[j].NEVRA()
	})
	records := make([]*resolver.Package, len(pkgs))
	for i, p := range pkgs {
		n := Node{ID: p.NEVRA(), Name: p.Name, Epoch: p.Epoch, Version: p.Version, Release: p.Release, Arch: p.Arch,
			Repo: p.RepoID, Size: p.Size, Action: p.Action, Reason: p.Reason, Step: p.Step, SigningKey: p.SigningKey,
			SHA256: p.SHA256(), SourceRPM: p.SourceRPM, Requested: p.Reason == reasonRequested}
		if p.Action == string(resolver.ActionUpgrade) {
			n.Upgrades = installed[p.Name+"."+p.Arch]
			if n.Upgrades == "" {
				n.Upgrades = installed[p.Name+".noarch"]
			}
		}
		if r := deps[n.ID]; r != nil {
			records[i], n.Known = r, true
			if n.SourceRPM == "" {
				n.SourceRPM = r.SourceRPM
			}
		}
		g.Nodes = append(g.Nodes, n)
	}
	if e := edges(g.Nodes, records); e != nil {
		g.Edges = e
	}
	return g
}

// edges finds, for every package, which packages of the closure meet its
// requirements, then marks the why edges by a breadth-first walk from the
// requested packages (in install order, requirements in header order: the
// walk resolver.Why makes).
func edges(nodes []Node, records []*resolver.Package) []Edge {
	idx := newProviderIndex(records)
	type link struct {
		to  int
		req string
	}
	out := make([][]link, len(nodes))
	for i, r := range records {
		if r == nil {
			continue
		}
		seen := map[int]bool{i: true}
		for _, d := range r.Requires {
			for _, j := range idx.providers(d) {
				if !seen[j] {
					seen[j] = true
					out[i] = append(out[i], link{j, d.String()})
				}
			}
		}
	}
	why := map[[2]int]bool{}
	reached := make([]bool, len(nodes))
	var queue []int
	for i, n := range nodes {
		if n.Requested {
			reached[i] = true
			queue = append(queue, i)
		}
	}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		for _, l := range out[i] {
			if !reached[l.to] {
				reached[l.to] = true
				why[[2]int{i, l.to}] = true
				queue = append(queue, l.to)
			}
		}
	}
	var es []Edge
	for i, ls := range out {
		for _, l := range ls {
			es = append(es, Edge{From: nodes[i].ID, To: nodes[l.to].ID, Requirement: l.req, Why: why[[2]int{i, l.to}]})
		}
	}
	sort.Slice(es, func(a, b int) bool {
		if es[a].From != es[b].From {
			return es[a].From < es[b].From
		}
		return es[a].To < es[b].To
	})
	return es
}

// providerIndex answers "which packages of the closure meet this requirement".
type providerIndex struct {
	byName map[string][]provide
	byFile map[string][]int
}

type provide struct {
	pkg int
	dep resolver.Dep
}

func newProviderIndex(records []*resolver.Package) *providerIndex {
	x := &providerIndex{byName: map[string][]provide{}, byFile: map[string][]int{}}
	for i, r := range records {
		if r == nil {
			continue
		}
		for _, d := range r.Provides {
			x.byName[d.Name] = append(x.byName[d.Name], provide{i, d})
		}
		for _, f := range r.Files {
			x.byFile[f] = append(x.byFile[f], i)
		}
	}
	return x
}

func (x *providerIndex) providers(d resolver.Dep) []int {
	var out []int
	for _, p := range x.byName[d.Name] {
		if p.dep.Satisfies(d) {
			out = append(out, p.pkg)
		}
	}
	if strings.HasPrefix(d.Name, "/") {
		out = append(out, x.byFile[d.Name]...)
	}
	return out
}

// Why returns the why edge that pulled the node id in, if any: requested
// packages and upgrades forced by the baseline have none.
func (g *Graph) Why(id string) (Edge, bool) {
	for _, e := range g.Edges {
		if e.To == id && e.Why {
			return e, true
		}
	}
	return Edge{}, false
}

type nevra struct{ name, arch string }

// parseNEVRA splits name-[epoch:]version-release.arch far enough to match
// an installed package with its upgrade.
func parseNEVRA(s string) (nevra, error) {
	dot := strings.LastIndexByte(s, '.')
	if dot < 0 {
		return nevra{}, fmt.Errorf("%q is not name-version-release.arch", s)
	}
	rest := s[:dot]
	for k := 0; k < 2; k++ {
		dash := strings.LastIndexByte(rest, '-')
		if dash <= 0 {
			return nevra{}, fmt.Errorf("%q is not name-version-release.arch", s)
		}
		rest = rest[:dash]
	}
	return nevra{name: rest, arch: s[dot+1:]}, nil
}
