package resolver

import "sort"

// order assigns transaction steps: a package comes after the packages whose
// provides it requires (Requires(pre)/(post) included), and the members of a
// dependency cycle share one step. A step holds every package whose
// dependencies are all in earlier steps, so the plan has as few steps as the
// dependency depth allows.
func order(plan *Plan, s *solver) {
	n := len(plan.Packages)
	// plan.Packages[i] is solver package s.planIDs[i]; plan made the
	// edges while it had the solve's look-ups.
	edges := s.planEdges
	// An upgrade that breaks what an installed package needs must happen in
	// the same transaction as that package's own upgrade: the device-mapper
	// family requires itself at the exact version, so it moves as one step.
	replaced := map[int]*Package{}
	for i, pp := range plan.Packages {
		if pp.Replaces != nil {
			replaced[i] = s.installedRecord(pp.Replaces)
		}
	}
	for i, oldI := range replaced {
		for _, d := range oldI.Requires {
			for j, oldJ := range replaced {
				if i != j && oldJ.Satisfies(d) && !plan.Packages[j].Package.Satisfies(d) {
					edges[i] = append(edges[i], j)
					edges[j] = append(edges[j], i)
				}
			}
		}
	}
	comp := tarjan(n, edges)
	ncomp := 0
	for _, c := range comp {
		ncomp = max(ncomp, c+1)
	}
	// Tarjan numbers components in reverse topological order of "needs":
	// a component's dependencies get smaller numbers, so walk upwards.
	members := make([][]int, ncomp)
	for i, c := range comp {
		members[c] = append(members[c], i)
	}
	stepOf := make([]int, ncomp)
	steps := 0
	for c := 0; c < ncomp; c++ {
		step := 1
		for _, i := range members[c] {
			for _, j := range edges[i] {
				if comp[j] != c {
					step = max(step, stepOf[comp[j]]+1)
				}
			}
		}
		stepOf[c] = step
		steps = max(steps, step)
	}
	for i := range plan.Packages {
		plan.Packages[i].Step = stepOf[comp[i]]
	}
	plan.Steps = steps
	sort.SliceStable(plan.Packages, func(a, b int) bool {
		pa, pb := plan.Packages[a], plan.Packages[b]
		if pa.Step != pb.Step {
			return pa.Step < pb.Step
		}
		if pa.Package.Name != pb.Package.Name {
			return pa.Package.Name < pb.Package.Name
		}
		return pa.Package.Arch < pb.Package.Arch
	})
}

// orderEdges are the plan's dependency edges, i -> the planned packages
// providing what i requires (Requires(pre)/(post) included), by plan
// index. They are read from m's copies of the planned packages'
// dependencies (plan.Packages[i] is m's slot i) and whatProvides, whose
// answers for them the rules cached. index is the plan index of each
// planned package's id.
func (s *solver) orderEdges(m *planMaker, index map[int32]int) [][]int {
	edges := make([][]int, len(s.planIDs))
	for i := range s.planIDs {
		sl := &m.slots[i]
		r := &sl.rec
		for _, d := range m.deps[sl.dep+int(r.prov-r.dep) : sl.dep+int(r.req-r.dep)] {
			for _, q := range s.whatProvides(d) {
				j, inPlan := index[q]
				if inPlan && j != i {
					edges[i] = append(edges[i], j)
				}
			}
		}
	}
	return edges
}

// tarjan returns the strongly connected component of each node; components
// are numbered so that every edge goes to an equal or smaller number.
func tarjan(n int, edges [][]int) []int {
	index := make([]int, n)
	low := make([]int, n)
	onStack := make([]bool, n)
	comp := make([]int, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int
	next, ncomp := 0, 0
	var visit func(v int)
	visit = func(v int) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
		for _, w := range edges[v] {
			if index[w] < 0 {
				visit(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] == index[v] {
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[w] = false
				comp[w] = ncomp
				if w == v {
					break
				}
			}
			ncomp++
		}
	}
	for v := 0; v < n; v++ {
		if index[v] < 0 {
			visit(v)
		}
	}
	return comp
}
