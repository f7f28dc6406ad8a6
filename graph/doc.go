// Package graph is a locked closure seen as a graph: one node per pinned
// package, one edge per requirement a package of the closure meets for
// another, and for every package the "why" edge — the first link of the
// shortest chain of requirements from a requested package, the chain
// `rpmvault why` prints. It encodes the graph as Graphviz DOT and as JSON
// for `rpmvault graph`, and is what the HTML report draws and the SBOM's
// dependency relations list.
package graph
