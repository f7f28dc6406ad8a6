// Package sat is the satisfiability core of the resolver: rules (clauses)
// over boolean variables, unit propagation with two watched literals per
// rule, conflict analysis to the first unique implication point with a
// learnt rule and a backjump, and the decision queue a policy drives.
//
// It knows nothing about packages. It follows libsolv's solver closely
// (rule layout, watch lists, propagation and learning order) because the
// resolver must reproduce libsolv's answers exactly, and those depend on
// the order in which a CDCL solver meets its conflicts: a policy (see the
// resolver's run loop) decides, this package propagates and learns.
//
// Variables are numbered from 1. A literal is +v (v true, "installed") or
// -v (v false). Rules are numbered from 1; rule 0 is a placeholder.
package sat
