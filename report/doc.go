// Package report renders a closure as one self-contained HTML file for an
// admin to look at before carrying a bundle into an air-gapped room: the
// dependency graph as a picture (laid out by Graphviz's dot, inlined as
// SVG, with search, zoom and collapse), a sortable and filterable table of
// every package, the totals, the ABI findings with their fixes and the
// doctor checks of a target. The page loads nothing: its CSS, script and
// picture are inline, so it opens from file:// on an offline laptop.
package report
