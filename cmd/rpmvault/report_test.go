package main

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/graph"
)

// manifest65 writes the shipped manifest with the CentOS 6.5 tree added and
// the 6.5 baseline file, as for a box that runs 6.5.
func manifest65(t *testing.T, w *fixtures.World) (manifest, baseline string) {
	t.Helper()
	dir := t.TempDir()
	baseline = filepath.Join(dir, "installed.txt")
	if err := os.WriteFile(baseline, []byte(w.Baseline65()), 0o644); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(shippedManifest)
	if err != nil {
		t.Fatal(err)
	}
	manifest = filepath.Join(dir, "docker-on-6.5.yaml")
	data = bytes.Replace(data, []byte("repos:\n"), []byte("repos:\n  - id: base65\n    baseurl: [https://vault.centos.org/6.5/os/x86_64/]\n    gpgkey: https://vault.centos.org/RPM-GPG-KEY-CentOS-6\n"), 1)
	if err := os.WriteFile(manifest, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return manifest, baseline
}

// domElement is an element of a dumped DOM: its id, classes and text.
type domElement struct {
	id, class, text string
}

// svgGroups returns the <g> elements with an id and class, as dot writes
// them and chromium serialises them, with the text of their <text> children.
func svgGroups(dom string) map[string]domElement {
	out := map[string]domElement{}
	start := regexp.MustCompile(`<g id="([^"]*)" class="([^"]*)">`)
	text := regexp.MustCompile(`<text[^>]*>([^<]*)</text>`)
	for _, m := range start.FindAllStringSubmatchIndex(dom, -1) {
		id, class := html.UnescapeString(dom[m[2]:m[3]]), dom[m[4]:m[5]]
		body := dom[m[1]:]
		if end := strings.Index(body, "</g>"); end >= 0 {
			body = body[:end]
		}
		var texts []string
		for _, t := range text.FindAllStringSubmatch(body, -1) {
			texts = append(texts, html.UnescapeString(t[1]))
		}
		out[id] = domElement{id: id, class: class, text: strings.Join(texts, "\n")}
	}
	return out
}

// tableRows returns the package table's rows by NEVRA, with their action.
func tableRows(dom string) map[string]string {
	out := map[string]string{}
	re := regexp.MustCompile(`<tr data-nevra="([^"]*)" data-action="([^"]*)"`)
	for _, m := range re.FindAllStringSubmatch(dom, -1) {
		out[html.UnescapeString(m[1])] = m[2]
	}
	return out
}

func hasClass(el domElement, c string) bool {
	for _, f := range strings.Fields(el.class) {
		if f == c {
			return true
		}
	}
	return false
}

// TestReportInChromium renders the fixture world's report on the CentOS 6.5
// baseline and on an empty box, opens each in headless chromium and checks
// what the page shows from its DOM, after its script ran.
func TestReportInChromium(t *testing.T) {
	fixtures.NeedTool(t, "dot")
	chromium := fixtures.NeedChromium(t)
	w, maps := fixtureWorld(t)
	m65, base65 := manifest65(t, w)
	tests := []struct {
		name     string
		args     []string
		upgrades []string // names that must be marked as upgrades
		png      string   // screenshot for docs/
	}{
		{"empty box", []string{"-m", shippedManifest}, nil, "report-fixture.png"},
		{"centos 6.5 baseline", []string{"-m", m65, "--baseline", base65},
			[]string{"device-mapper", "device-mapper-libs", "device-mapper-event", "device-mapper-event-libs", "lvm2", "lvm2-libs"}, "report-fixture-6.5.png"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			page := filepath.Join(dir, "report.html")
			code, _, stderr := rpmvault(t, append(append([]string{"report", "-o", page}, tt.args...), maps...)...)
			if code != 0 {
				t.Fatalf("report: exit %d: %s", code, stderr)
			}
			// The graph as JSON, from the same closure: what the page must show.
			code, stdout, stderr := rpmvault(t, append(append([]string{"graph", "--format", "json"}, tt.args...), maps...)...)
			if code != 0 {
				t.Fatalf("graph: exit %d: %s", code, stderr)
			}
			var g graph.Graph
			if err := json.Unmarshal([]byte(stdout), &g); err != nil {
				t.Fatal(err)
			}
			if len(g.Nodes) < 8 {
				t.Fatalf("closure of %d packages: too small to be the fixture world", len(g.Nodes))
			}
			dom, err := chromium.DumpDOM(context.Background(), page)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(dom, `data-ready="1"`) {
				t.Fatalf("the page's script did not finish:\n%.2000s", dom)
			}
			groups, rows := svgGroups(dom), tableRows(dom)
			for _, n := range g.Nodes {
				if _, ok := groups[graph.NodeID(n.ID)]; !ok {
					t.Errorf("%s has no node in the graph picture", n.ID)
				}
				action, ok := rows[n.ID]
				if !ok {
					t.Errorf("%s has no row in the package table", n.ID)
				}
				if action != n.Action {
					t.Errorf("%s: table says %q, closure says %q", n.ID, action, n.Action)
				}
			}
			if len(rows) != len(g.Nodes) {
				t.Errorf("table has %d rows, closure %d packages", len(rows), len(g.Nodes))
			}
			// libcgroup hangs from docker-engine by the requirement "libcgroup".
			var cg, docker string
			for _, n := range g.Nodes {
				switch n.Name {
				case "libcgroup":
					cg = n.ID
				case "docker-engine":
					docker = n.ID
				}
			}
			edge, ok := groups[graph.EdgeID(docker, cg)]
			if !ok || !hasClass(edge, "why") {
				t.Fatalf("no why edge %s -> %s in the picture (%+v)", docker, cg, edge)
			}
			if edge.text != "libcgroup" {
				t.Errorf("why edge of libcgroup is labelled %q, want %q", edge.text, "libcgroup")
			}
			upgraded := map[string]bool{}
			for _, n := range g.Nodes {
				if hasClass(groups[graph.NodeID(n.ID)], "upgrade") {
					upgraded[n.Name] = true
					if rows[n.ID] != "upgrade" {
						t.Errorf("%s is marked as an upgrade in the picture, not in the table", n.ID)
					}
				}
			}
			for _, name := range tt.upgrades {
				if !upgraded[name] {
					t.Errorf("%s is not marked as an upgrade (marked: %v)", name, upgraded)
				}
			}
			if len(tt.upgrades) == 0 && len(upgraded) > 0 {
				t.Errorf("upgrades marked on an empty box: %v", upgraded)
			}
			// RPMVAULT_DOCS_DIR=docs refreshes the README's screenshots.
			if docs := os.Getenv("RPMVAULT_DOCS_DIR"); docs != "" {
				png := filepath.Join(docs, tt.png)
				if err := chromium.Screenshot(context.Background(), page, png, 1400, 1000); err != nil {
					t.Fatal(err)
				}
				t.Logf("screenshot of %d packages: %s", len(g.Nodes), png)
			}
		})
	}
}

// TestReportAndGraphFromBundleAndLock: the same closure read from a
// verified bundle (edges from its RPMs' headers) and from a lock with its
// store (edges from the store's objects) gives the same graph as -m.
func TestReportAndGraphFromBundleAndLock(t *testing.T) {
	fixtures.NeedTool(t, "dot")
	b, lockFile, store, maps := makeBundle(t)
	graphOf := func(args ...string) graph.Graph {
		t.Helper()
		code, stdout, stderr := rpmvault(t, append(append([]string{"graph", "--format", "json"}, args...), maps...)...)
		if code != 0 {
			t.Fatalf("graph %v: exit %d: %s", args, code, stderr)
		}
		var g graph.Graph
		if err := json.Unmarshal([]byte(stdout), &g); err != nil {
			t.Fatal(err)
		}
		return g
	}
	fromManifest := graphOf("-m", shippedManifest)
	// mirror --lock pins what the lock could not know yet (docker-engine's
	// sha256: get.docker.com has no metadata), so the store's copy is found.
	if code, _, stderr := rpmvault(t, append([]string{"mirror", "--lock", lockFile, "--store", store}, maps...)...); code != 0 {
		t.Fatalf("mirror: exit %d: %s", code, stderr)
	}
	for name, g := range map[string]graph.Graph{"bundle": graphOf(b), "lock": graphOf("--lock", lockFile, "--store", store)} {
		if len(g.Nodes) != len(fromManifest.Nodes) || len(g.Edges) != len(fromManifest.Edges) {
			t.Errorf("%s: %d nodes, %d edges; from the manifest %d, %d", name, len(g.Nodes), len(g.Edges), len(fromManifest.Nodes), len(fromManifest.Edges))
		}
		for _, n := range g.Nodes {
			e, ok := g.Why(n.ID)
			m, mok := fromManifest.Why(n.ID)
			if ok != mok || e != m {
				t.Errorf("%s: why %s is %+v, from the manifest %+v", name, n.ID, e, m)
			}
		}
	}
	page := filepath.Join(t.TempDir(), "bundle.html")
	if code, _, stderr := rpmvault(t, "report", b, "-o", page); code != 0 {
		t.Fatalf("report of the bundle: exit %d: %s", code, stderr)
	}
	if data, _ := os.ReadFile(page); !bytes.Contains(data, []byte("(verified)")) {
		t.Error("the report does not say it was made from a verified bundle")
	}
	if code, _, stderr := rpmvault(t, "report", "-m", shippedManifest, "--lock", lockFile, "-o", page); code != exitUsage {
		t.Errorf("-m with --lock: exit %d (%s), want a usage error", code, stderr)
	}
	if code, _, stderr := rpmvault(t, "report", b, "-o", page, "--dot", "/nonexistent/dot"); code == 0 || !strings.Contains(stderr, "install graphviz") {
		t.Errorf("missing dot: exit %d: %s", code, stderr)
	}
}

// TestReportShowsABIFindings: on a 6.5 box without the constraint, the
// report of -m --abi shows the relocation error the metadata does not
// say, with its fix, and is still written (it is for looking).
func TestReportShowsABIFindings(t *testing.T) {
	fixtures.NeedTool(t, "dot")
	fixtures.NeedTool(t, "gcc")
	manifest, baseline := on65(t)
	_, maps := fixtureWorld(t)
	page := filepath.Join(t.TempDir(), "report.html")
	code, _, stderr := rpmvault(t, append([]string{"report", "-m", manifest, "--baseline", baseline, "--abi", "--store", t.TempDir(), "-o", page}, maps...)...)
	if code != 0 {
		t.Fatalf("report --abi: exit %d: %s", code, stderr)
	}
	data, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"1 finding(s)", "/usr/bin/docker", "dm_task_get_info_with_deferred_remove@Base", "libdevmapper.so.1.02",
		"device-mapper-libs-1.02.79-8.el6.x86_64 (installed)", "constraint <code>device-mapper-libs &gt;= 1.02.90"} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("the report's ABI section lacks %q", want)
		}
	}
}
