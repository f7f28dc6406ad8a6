package report

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"sort"

	"github.com/rpmvault/rpmvault/abi"
	"github.com/rpmvault/rpmvault/graph"
	"github.com/rpmvault/rpmvault/installer"
)

//go:embed page.html
var pageHTML string

//go:embed page.css
var pageCSS string

//go:embed page.js
var pageJS string

var page = template.Must(template.New("report").Funcs(template.FuncMap{"bytes": HumanBytes}).Parse(pageHTML))

// Input is what a report shows.
type Input struct {
	Graph *graph.Graph
	// Source says what the report was made from ("manifest docker.yaml").
	Source string
	// ABI is the ABI check's result; nil when it was not run.
	ABI *abi.Report
	// Doctor is a target's preflight checks (rpmvault doctor --json); nil
	// when none was given.
	Doctor *installer.Report
	// Dot is the Graphviz dot command ("" for dot on PATH).
	Dot string
}

// Write renders the report of in to w.
func Write(ctx context.Context, w io.Writer, in Input) error {
	svg, err := Layout(ctx, in.Graph, in.Dot)
	if err != nil {
		return err
	}
	return render(w, in, svg)
}

// view is what the template reads.
type view struct {
	Title    string
	Source   string
	CSS      template.CSS
	JS       template.JS
	SVG      template.HTML
	Totals   totals
	Repos    []repoTotal
	Rows     []graph.Node
	Why      map[string]graph.Edge // by node id
	ABI      *abi.Report
	Doctor   *installer.Report
	Data     data
	Requests []string
}

type totals struct {
	Packages, Installs, Upgrades, Steps, Edges int
	Bytes                                      int64
}

type repoTotal struct {
	Repo     string
	Packages int
	Bytes    int64
}

// data is the graph as the page's script needs it: each package's why
// parent, for collapsing subtrees and showing chains.
type data struct {
	Nodes []dataNode `json:"nodes"`
}

type dataNode struct {
	ID     string `json:"id"`
	Parent string `json:"parent,omitempty"` // the requirer on the why edge
	Req    string `json:"req,omitempty"`    // the requirement on it
	Reason string `json:"reason"`
	// Requested packages are where the first view of a large graph looks.
	Requested bool `json:"requested,omitempty"`
}

func render(w io.Writer, in Input, svg []byte) error {
	g := in.Graph
	v := view{Title: g.Name, Source: in.Source, CSS: template.CSS(pageCSS), JS: template.JS(pageJS), SVG: template.HTML(svg),
		Rows: g.Nodes, Why: map[string]graph.Edge{}, ABI: in.ABI, Doctor: in.Doctor}
	if v.Title == "" {
		v.Title = "closure"
	}
	for _, e := range g.Edges {
		if e.Why {
			v.Why[e.To] = e
		}
	}
	byRepo := map[string]*repoTotal{}
	for _, n := range g.Nodes {
		v.Totals.Packages++
		v.Totals.Bytes += n.Size
		if n.Action == "upgrade" {
			v.Totals.Upgrades++
		} else {
			v.Totals.Installs++
		}
		if n.Requested {
			v.Requests = append(v.Requests, n.ID)
		}
		r := byRepo[n.Repo]
		if r == nil {
			r = &repoTotal{Repo: n.Repo}
			byRepo[n.Repo] = r
		}
		r.Packages++
		r.Bytes += n.Size
		d := dataNode{ID: n.ID, Reason: n.Reason, Requested: n.Requested}
		if e, ok := v.Why[n.ID]; ok {
			d.Parent, d.Req = e.From, e.Requirement
		}
		v.Data.Nodes = append(v.Data.Nodes, d)
	}
	v.Totals.Steps, v.Totals.Edges = g.Steps, len(g.Edges)
	for _, r := range byRepo {
		v.Repos = append(v.Repos, *r)
	}
	sort.Slice(v.Repos, func(i, j int) bool { return v.Repos[i].Repo < v.Repos[j].Repo })
	var b bytes.Buffer
	if err := page.Execute(&b, v); err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// HumanBytes prints a size the way ls -h does, with one decimal.
func HumanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
