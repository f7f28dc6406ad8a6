package resolver

import (
	"context"
	"fmt"
	"strings"

	"github.com/rpmvault/rpmvault/resolver/rpmmd"
)

// Resolve runs a request through the whole resolver: read every repo,
// solve req against its installed set, order the result and attach the
// URLs each package can be fetched from. Unless req says otherwise, repo
// priorities are the repos'. A manifest gives both repos and request
// (package resolver/manifest: Sources and Request).
func Resolve(ctx context.Context, repos []Repo, req Request, f rpmmd.Fetcher) (*Plan, *Universe, error) {
	u, err := LoadUniverse(ctx, repos, LoadOptions{Fetcher: f})
	if err != nil {
		return nil, nil, err
	}
	if req.RepoPriority == nil {
		req.RepoPriority = map[string]int{}
		for _, r := range repos {
			req.RepoPriority[r.ID] = r.Priority
		}
	}
	// The look-ups the solve starts with, built while the parsed-cache
	// writers start, which renumber them rather than build their own.
	u.startSaving()
	plan, err := Solve(u, req)
	u.finishSaving()
	if err != nil {
		return nil, u, err
	}
	plan.Warnings = append(u.Warnings, plan.Warnings...)
	AttachURLs(plan, EffectiveRepos(repos, u.Sources))
	return plan, u, nil
}

// EffectiveRepos returns repos with the base URLs their sources were found
// at: a repo known only by mirrorlist or metalink gets the mirrors it
// named, the one that answered first, so its packages have URLs to fetch.
func EffectiveRepos(repos []Repo, sources []SourceState) []Repo {
	bases := map[string][]string{}
	for _, s := range sources {
		bases[s.Repo] = s.BaseURLs
	}
	out := make([]Repo, len(repos))
	for i, r := range repos {
		out[i] = r
		if b := bases[r.ID]; len(b) > 0 && (r.Mirrorlist != "" || r.Metalink != "") {
			out[i].BaseURLs = b
		}
	}
	return out
}

// AttachURLs fills each planned package's URLs from its repo's base URLs
// (in failover order); header-only sources already carry an absolute URL.
func AttachURLs(plan *Plan, repos []Repo) {
	byID := map[string]Repo{}
	for _, r := range repos {
		byID[r.ID] = r
	}
	for i := range plan.Packages {
		p := plan.Packages[i].Package
		if strings.Contains(p.Location, "://") || strings.HasPrefix(p.Location, "/") {
			plan.Packages[i].URLs = []string{p.Location}
			continue
		}
		var urls []string
		for _, base := range byID[p.Repo].BaseURLs {
			urls = append(urls, joinURL(base, p.Location))
		}
		plan.Packages[i].URLs = urls
	}
}

// Why returns the shortest chain of requirements from a requested package to
// the package named name, as lines "a requires dep (provided by b)".
func Why(plan *Plan, name string) ([]string, error) {
	var target = -1
	for i, pp := range plan.Packages {
		if pp.Package.Name == name || pp.Package.NEVRA() == name {
			target = i
		}
	}
	if target < 0 {
		return nil, &NotInPlanError{Name: name}
	}
	type edge struct {
		from int
		dep  Dep
	}
	prev := map[int]edge{}
	var queue []int
	for i, pp := range plan.Packages {
		if pp.Reason.Kind == ReasonRequested {
			queue = append(queue, i)
			prev[i] = edge{from: -1}
		}
	}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		if i == target {
			break
		}
		for _, d := range plan.Packages[i].Package.Requires {
			for j, pp := range plan.Packages {
				if _, seen := prev[j]; seen || j == i || !pp.Package.Satisfies(d) {
					continue
				}
				prev[j] = edge{from: i, dep: d}
				queue = append(queue, j)
			}
		}
	}
	e, ok := prev[target]
	if !ok {
		return []string{fmt.Sprintf("%s: %s", plan.Packages[target].Package.NEVRA(), plan.Packages[target].Reason.String())}, nil
	}
	var chain []string
	for at := target; e.from >= 0; at, e = e.from, prev[e.from] {
		chain = append([]string{fmt.Sprintf("%s requires %s (provided by %s)",
			plan.Packages[e.from].Package.NEVRA(), e.dep, plan.Packages[at].Package.NEVRA())}, chain...)
	}
	if len(chain) == 0 {
		chain = []string{plan.Packages[target].Package.NEVRA() + " is requested"}
	}
	return chain, nil
}

// NotInPlanError is Why's answer for a package the plan does not hold.
type NotInPlanError struct{ Name string }

func (e *NotInPlanError) Error() string {
	return e.Name + " is not in the plan: nothing pulls it in"
}
