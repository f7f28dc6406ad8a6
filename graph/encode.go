package graph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// JSON encodes the graph, indented, with a final newline.
func (g *Graph) JSON() ([]byte, error) {
	data, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// DOTOptions shape the Graphviz rendering.
type DOTOptions struct {
	// WhyOnly draws only the why edges: a tree (a forest with the upgrades
	// the baseline forced) that stays readable at a thousand packages.
	WhyOnly bool
	// ExternalLabels places edge labels after layout (Graphviz xlabel)
	// instead of giving each label room in it: dot lays 1,900 packages out
	// in about a seventh of the time, and labels may then sit closer to
	// other lines.
	ExternalLabels bool
}

// WriteDOT writes the graph in Graphviz's DOT language: requested packages
// at the top, one rank per transaction step (the highest step, installed
// last, on top), why edges bold and labelled with their requirement,
// upgrades filled orange. Node and edge ids and classes carry through to
// dot's SVG, where the report's script finds them.
func (g *Graph) WriteDOT(w io.Writer, opts DOTOptions) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "digraph %s {\n", quote(g.Name))
	b.WriteString("  graph [rankdir=TB, ranksep=0.6, nodesep=0.15, fontname=\"Helvetica\", fontsize=11, outputorder=edgesfirst, forcelabels=true];\n")
	b.WriteString("  node [shape=box, style=\"rounded,filled\", fillcolor=\"#eef3fb\", color=\"#5b7db1\", fontname=\"Helvetica\", fontsize=10, height=0.3, margin=\"0.08,0.03\"];\n")
	b.WriteString("  edge [color=\"#9aa5b1\", arrowsize=0.5, fontname=\"Helvetica\", fontsize=8, fontcolor=\"#36454f\"];\n")
	// A column of step labels pins each step to its own rank, in order.
	byStep := map[int][]Node{}
	maxStep := 0
	for _, n := range g.Nodes {
		byStep[n.Step] = append(byStep[n.Step], n)
		maxStep = max(maxStep, n.Step)
	}
	for s := maxStep; s >= 0; s-- {
		if len(byStep[s]) == 0 {
			continue
		}
		fmt.Fprintf(&b, "  %s [id=%s, class=\"step\", shape=plaintext, style=\"\", label=%s, fontcolor=\"#6b7785\"];\n",
			quote(stepID(s)), quote(stepID(s)), quote(fmt.Sprintf("step %d", s)))
		if s < maxStep {
			fmt.Fprintf(&b, "  %s -> %s [style=invis];\n", quote(stepID(prevStep(byStep, s, maxStep))), quote(stepID(s)))
		}
		fmt.Fprintf(&b, "  { rank=same; %s;", quote(stepID(s)))
		for _, n := range byStep[s] {
			b.WriteString(" " + quote(n.ID) + ";")
		}
		b.WriteString(" }\n")
	}
	for _, n := range g.Nodes {
		class := []string{"pkg", "step-" + fmt.Sprint(n.Step)}
		attrs := ""
		if n.Requested {
			class = append(class, "requested")
			attrs += `, penwidth=2, color="#1d4f91"`
		}
		if n.Action == "upgrade" {
			class = append(class, "upgrade")
			attrs += `, fillcolor="#ffd8a8", color="#d9480f"`
		}
		label := escape(n.Name) + `\n` + escape(n.EVR()+"."+n.Arch)
		if n.Upgrades != "" {
			label += `\n(upgrades ` + escape(n.Upgrades) + ")"
		}
		fmt.Fprintf(&b, "  %s [id=%s, class=%s, label=\"%s\"%s];\n",
			quote(n.ID), quote(NodeID(n.ID)), quote(strings.Join(class, " ")), label, attrs)
	}
	labelAttr := "label"
	if opts.ExternalLabels {
		labelAttr = "xlabel"
	}
	for _, e := range g.Edges {
		if opts.WhyOnly && !e.Why {
			continue
		}
		attrs := ""
		if e.Why {
			attrs = fmt.Sprintf(`, class="why", %s=%s, color="#51606f", penwidth=1.2`, labelAttr, quote(e.Requirement))
		} else {
			attrs = fmt.Sprintf(`, class="req", style=dashed, %s=%s, fontcolor="#9aa5b1"`, labelAttr, quote(e.Requirement))
		}
		fmt.Fprintf(&b, "  %s -> %s [id=%s%s];\n", quote(e.From), quote(e.To), quote(EdgeID(e.From, e.To)), attrs)
	}
	b.WriteString("}\n")
	_, err := w.Write(b.Bytes())
	return err
}

// NodeID is the element id of a package's node in the SVG.
func NodeID(nevra string) string { return "n:" + nevra }

// EdgeID is the element id of an edge in the SVG.
func EdgeID(from, to string) string { return "e:" + from + ">" + to }

func stepID(s int) string { return fmt.Sprintf("step:%d", s) }

// prevStep is the nearest step above s that has packages.
func prevStep(byStep map[int][]Node, s, maxStep int) int {
	for p := s + 1; p < maxStep; p++ {
		if len(byStep[p]) > 0 {
			return p
		}
	}
	return maxStep
}

// quote makes a DOT double-quoted string.
func quote(s string) string { return `"` + escape(s) + `"` }

func escape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}
