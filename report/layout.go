package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"

	"github.com/rpmvault/rpmvault/graph"
)

// ErrNoGraphviz is returned when the dot command that lays out the graph
// is not installed.
var ErrNoGraphviz = errors.New("the report lays out its graph with Graphviz's dot, which was not found: install graphviz (apt-get install graphviz, yum install graphviz) or pass --dot PATH")

// LayoutError is dot failing on a graph.
type LayoutError struct {
	Dot    string
	Err    error
	Stderr string
}

func (e *LayoutError) Error() string {
	return fmt.Sprintf("graph layout: %s: %v: %s", e.Dot, e.Err, e.Stderr)
}

func (e *LayoutError) Unwrap() error { return e.Err }

// externalLabelsAbove is the closure size above which edge labels are
// placed after layout rather than given room in it.
const externalLabelsAbove = 150

// Layout lays the graph's why edges out with Graphviz's dot and returns the
// SVG element, ready to inline into HTML. dot is the command to run ("" for
// dot on PATH).
func Layout(ctx context.Context, g *graph.Graph, dot string) ([]byte, error) {
	if dot == "" {
		dot = "dot"
	}
	path, err := exec.LookPath(dot)
	if err != nil {
		return nil, fmt.Errorf("%w (%v)", ErrNoGraphviz, err)
	}
	var src bytes.Buffer
	// Labels placed after layout keep dot fast on large closures (measured
	// on 1,904 packages: 1.1 s of CPU instead of 4.6 s).
	opts := graph.DOTOptions{WhyOnly: true, ExternalLabels: len(g.Nodes) > externalLabelsAbove}
	if err := g.WriteDOT(&src, opts); err != nil {
		return nil, err
	}
	var out, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, path, "-Tsvg")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = &src, &out, &stderr
	if err := cmd.Run(); err != nil {
		return nil, &LayoutError{Dot: path, Err: err, Stderr: string(bytes.TrimSpace(stderr.Bytes()))}
	}
	return inlineSVG(out.Bytes())
}

// dot's SVG starts with an XML declaration, a DOCTYPE and comments naming
// its version; inline SVG needs none of them, and without the version the
// report does not change when Graphviz is upgraded on the same layout.
var svgPreamble = regexp.MustCompile(`(?s)\A.*?(<svg\b)`)
var svgComments = regexp.MustCompile(`(?s)<!--.*?-->\n?`)

// Every label repeats its font; the page's style sheet sets it once, which
// keeps a 1,900-package picture about a fifth smaller.
var svgFonts = regexp.MustCompile(` font-family="[^"]*" font-size="[^"]*"`)

func inlineSVG(svg []byte) ([]byte, error) {
	loc := svgPreamble.FindSubmatchIndex(svg)
	if loc == nil {
		return nil, errors.New("graph layout: dot wrote no <svg> element")
	}
	svg = svgComments.ReplaceAll(svg[loc[2]:], nil)
	return svgFonts.ReplaceAll(svg, nil), nil
}
