package graph

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rpmvault/rpmvault/lock"
	"github.com/rpmvault/rpmvault/resolver"
)

func dep(t *testing.T, s string) resolver.Dep {
	t.Helper()
	d, err := resolver.ParseDep(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// world is a small closure shaped like docker's on a 6.5 box.
func world(t *testing.T) (*lock.Lock, map[string]*resolver.Package) {
	pkg := func(name, ver, rel string, step int, action, reason string, provides, requires []string, files ...string) (lock.Package, *resolver.Package) {
		lp := lock.Package{Name: name, Version: ver, Release: rel, EVR: ver + "-" + rel, Arch: "x86_64", RepoID: "base",
			Step: step, Action: action, Reason: reason, Size: 1000, URL: "http://x/" + name + ".rpm"}
		p := &resolver.Package{Name: name, EVR: resolver.EVR{Version: ver, Release: rel}, Arch: "x86_64", Files: files}
		for _, s := range provides {
			p.Provides = append(p.Provides, dep(t, s))
		}
		for _, s := range requires {
			p.Requires = append(p.Requires, dep(t, s))
		}
		return lp, p
	}
	l := &lock.Lock{LockfileVersion: 1}
	l.RPMVault.Manifest, l.RPMVault.Steps = "docker", 3
	l.RPMVault.Baseline = []string{"device-mapper-libs-1.02.79-8.el6.x86_64", "bash-4.1.2-15.el6.x86_64"}
	deps := map[string]*resolver.Package{}
	la := lock.Arch{Arch: "x86_64"}
	for _, x := range []struct {
		name, ver, rel string
		step           int
		action, reason string
		provides       []string
		requires       []string
		files          []string
	}{
		{"docker-engine", "1.7.1", "1.el6", 3, "install", "requested", []string{"docker-engine = 1.7.1-1.el6"},
			[]string{"/bin/sh", "libcgroup", "libdevmapper.so.1.02()(64bit)", "device-mapper-libs >= 1.02.90"}, nil},
		{"libcgroup", "0.40.rc1", "15.el6_6", 2, "install", "required by docker-engine-1.7.1-1.el6.x86_64 (libcgroup)",
			[]string{"libcgroup = 0.40.rc1-15.el6_6"}, []string{"/bin/sh"}, nil},
		{"bash", "4.1.2", "29.el6", 1, "upgrade", "required by docker-engine-1.7.1-1.el6.x86_64 (/bin/sh)",
			[]string{"bash = 4.1.2-29.el6"}, nil, []string{"/bin/sh", "/bin/bash"}},
		{"device-mapper-libs", "1.02.90", "2.el6_6.1", 1, "upgrade", "upgrade of installed device-mapper-libs-1.02.79-8.el6.x86_64",
			[]string{"device-mapper-libs = 1.02.90-2.el6_6.1", "libdevmapper.so.1.02()(64bit)"}, nil, nil},
		{"lvm2", "2.02.111", "2.el6_6.1", 1, "upgrade", "upgrade of installed lvm2-2.02.100-8.el6.x86_64", nil, nil, nil},
	} {
		lp, p := pkg(x.name, x.ver, x.rel, x.step, x.action, x.reason, x.provides, x.requires, x.files...)
		la.Packages = append(la.Packages, lp)
		deps[p.NEVRA()] = p
	}
	l.Arches = []lock.Arch{la}
	return l, deps
}

func TestBuild(t *testing.T) {
	l, deps := world(t)
	g := Build(l, deps)
	if len(g.Nodes) != 5 {
		t.Fatalf("%d nodes", len(g.Nodes))
	}
	if g.Nodes[len(g.Nodes)-1].Name != "docker-engine" || !g.Nodes[len(g.Nodes)-1].Requested {
		t.Errorf("last node %+v: want the requested docker-engine, installed last", g.Nodes[len(g.Nodes)-1])
	}
	docker := "docker-engine-1.7.1-1.el6.x86_64"
	tests := []struct {
		to, from, req string
		why           bool
	}{
		{"libcgroup-0.40.rc1-15.el6_6.x86_64", docker, "libcgroup", true},
		{"bash-4.1.2-29.el6.x86_64", docker, "/bin/sh", true},                                          // a file requirement
		{"device-mapper-libs-1.02.90-2.el6_6.1.x86_64", docker, "libdevmapper.so.1.02()(64bit)", true}, // the first one met
	}
	for _, tt := range tests {
		e, ok := g.Why(tt.to)
		if !ok || e.From != tt.from || e.Requirement != tt.req {
			t.Errorf("why %s: %+v %v, want from %s by %q", tt.to, e, ok, tt.from, tt.req)
		}
	}
	// libcgroup needs /bin/sh too, but bash was reached from docker first.
	var shEdges int
	for _, e := range g.Edges {
		if e.To == "bash-4.1.2-29.el6.x86_64" {
			shEdges++
		}
	}
	if shEdges != 2 {
		t.Errorf("%d edges into bash, want 2 (docker-engine and libcgroup)", shEdges)
	}
	if _, ok := g.Why("lvm2-2.02.111-2.el6_6.1.x86_64"); ok {
		t.Error("lvm2 is forced by the baseline, not required: it has no why edge")
	}
	up := map[string]string{}
	for _, n := range g.Nodes {
		up[n.Name] = n.Upgrades
	}
	if up["device-mapper-libs"] != "device-mapper-libs-1.02.79-8.el6.x86_64" || up["bash"] != "bash-4.1.2-15.el6.x86_64" || up["libcgroup"] != "" {
		t.Errorf("upgrades: %v", up)
	}
}

func TestBuildWithoutRecords(t *testing.T) {
	l, _ := world(t)
	g := Build(l, nil)
	if len(g.Nodes) != 5 || len(g.Edges) != 0 {
		t.Fatalf("%d nodes, %d edges", len(g.Nodes), len(g.Edges))
	}
	for _, n := range g.Nodes {
		if n.Known {
			t.Errorf("%s marked known without a record", n.ID)
		}
	}
}

func TestEncodings(t *testing.T) {
	l, deps := world(t)
	g := Build(l, deps)
	data, err := g.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var back Graph
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Nodes) != len(g.Nodes) || len(back.Edges) != len(g.Edges) {
		t.Errorf("JSON round trip lost something: %d/%d nodes, %d/%d edges", len(back.Nodes), len(g.Nodes), len(back.Edges), len(g.Edges))
	}
	for _, opts := range []DOTOptions{{}, {WhyOnly: true}, {WhyOnly: true, ExternalLabels: true}} {
		var b bytes.Buffer
		if err := g.WriteDOT(&b, opts); err != nil {
			t.Fatal(err)
		}
		dot := b.String()
		label := "label"
		if opts.ExternalLabels {
			label = "xlabel"
		}
		for _, want := range []string{
			`"docker-engine-1.7.1-1.el6.x86_64" -> "libcgroup-0.40.rc1-15.el6_6.x86_64" [id="e:docker-engine-1.7.1-1.el6.x86_64>libcgroup-0.40.rc1-15.el6_6.x86_64", class="why", ` + label + `="libcgroup"`,
			`class="pkg step-1 upgrade"`, `class="pkg step-3 requested"`, `{ rank=same; "step:3"; "docker-engine-1.7.1-1.el6.x86_64"; }`,
		} {
			if !strings.Contains(dot, want) {
				t.Errorf("%+v: DOT lacks %s:\n%s", opts, want, dot)
			}
		}
		if got := strings.Contains(dot, `class="req"`); got == opts.WhyOnly {
			t.Errorf("%+v: non-why edges present: %v", opts, got)
		}
	}
}

func TestParseNEVRA(t *testing.T) {
	for _, tt := range []struct{ in, name, arch string }{
		{"device-mapper-libs-1.02.79-8.el6.x86_64", "device-mapper-libs", "x86_64"},
		{"tar-2:1.23-11.el6.x86_64", "tar", "x86_64"},
		{"setup-2.8.14-20.el6_4.1.noarch", "setup", "noarch"},
	} {
		got, err := parseNEVRA(tt.in)
		if err != nil || got.name != tt.name || got.arch != tt.arch {
			t.Errorf("%s: %+v %v", tt.in, got, err)
		}
	}
	for _, bad := range []string{"", "noarch", "a.b", "-1-2.x"} {
		if _, err := parseNEVRA(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// FuzzParseNEVRA: baseline lines come from the lock, which a bundle's maker
// controls; no input may panic, and a parse names a non-empty package.
func FuzzParseNEVRA(f *testing.F) {
	for _, s := range []string{"tar-2:1.23-11.el6.x86_64", "a-1-2.noarch", "", "-", "..--"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if p, err := parseNEVRA(s); err == nil && (p.name == "" || !strings.HasPrefix(s, p.name)) {
			t.Errorf("%q parsed to %+v", s, p)
		}
	})
}

// TestEmptyClosureJSON: a lock with nothing to install (the box has it
// all) is a graph of empty lists, not nulls.
func TestEmptyClosureJSON(t *testing.T) {
	l := &lock.Lock{LockfileVersion: 1, Arches: []lock.Arch{{Arch: "x86_64"}}}
	l.RPMVault.Manifest = "docker"
	data, err := Build(l, nil).JSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"nodes", "edges"} {
		if list, ok := doc[key].([]any); !ok || len(list) != 0 {
			t.Errorf("%s is %v, want []", key, doc[key])
		}
	}
}
