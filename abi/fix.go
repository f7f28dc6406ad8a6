package abi

import (
	"context"
	"fmt"
	"sort"

	"github.com/rpmvault/rpmvault/resolver"
)

// FixConstraints returns the constraints that resolve the findings: per
// package name the highest of the findings' fixes ("device-mapper-libs >=
// 1.02.90-2.el6"), sorted. Findings without a fix add nothing.
func FixConstraints(findings []Finding) []string {
	best := map[string]resolver.EVR{}
	for _, f := range findings {
		if f.Fix == "" {
			continue
		}
		if cur, ok := best[f.ProviderName]; !ok || f.FixEVR.Compare(cur) > 0 {
			best[f.ProviderName] = f.FixEVR
		}
	}
	out := make([]string, 0, len(best))
	for name, evr := range best {
		out = append(out, name+" >= "+evr.String())
	}
	sort.Strings(out)
	return out
}

// ResolveFunc resolves the manifest with extra constraints added to its own,
// returning the plan and the universe it was solved from; resolver.Resolve
// wrapped in a closure fits.
type ResolveFunc func(ctx context.Context, extra []string) (*resolver.Plan, *resolver.Universe, error)

// FixResult is the outcome of Fix.
type FixResult struct {
	// Initial is the check of the closure resolved without extra constraints.
	Initial *Report
	// Plan and Final are the last closure and its check; Final has no
	// findings unless some symbol is exported by no version in the repos.
	Plan  *resolver.Plan
	Final *Report
	// Constraints are the constraints added, in the form resolve accepts.
	Constraints []string
}

// maxFixRounds bounds re-resolving: each round can only raise versions, and
// a fix rarely uncovers another.
const maxFixRounds = 4

// Fix resolves, checks, and while findings have fixes, adds their
// constraints and resolves again, so the solver brings along whatever the
// fixed packages require (the device-mapper family at the same version).
// When opts.Available is nil the universe of each resolve is used.
func Fix(ctx context.Context, resolve ResolveFunc, opts Options) (*FixResult, error) {
	res := &FixResult{}
	have := map[string]bool{}
	for round := 0; ; round++ {
		plan, u, err := resolve(ctx, res.Constraints)
		if err != nil {
			if round == 0 {
				return nil, err
			}
			return nil, fmt.Errorf("abi fix: re-resolve with %v: %w", res.Constraints, err)
		}
		o := opts
		if o.Available == nil && u != nil {
			o.Available = u.Packages()
		}
		rep, err := Check(ctx, plan, o)
		if err != nil {
			return nil, err
		}
		if round == 0 {
			res.Initial = rep
		}
		res.Plan, res.Final = plan, rep
		added := false
		for _, c := range FixConstraints(rep.Findings) {
			if !have[c] {
				have[c] = true
				res.Constraints = append(res.Constraints, c)
				added = true
			}
		}
		if !added || round+1 >= maxFixRounds {
			return res, nil
		}
	}
}
