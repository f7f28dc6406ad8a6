package resolver

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/rpmvault/rpmvault/resolver/rpmmd"
)

// SourcePlan is the source RPMs of a plan's binaries: one per distinct
// SOURCERPM, each with the URLs it can be fetched from.
type SourcePlan struct {
	// Packages are the source RPMs (arch "src"), sorted by NEVRA; Reason
	// names the binaries built from each.
	Packages []PlannedPackage
	// Repos are the source repos searched, with the mirrors their
	// mirrorlists named; Sources the snapshot each was read from.
	Repos   []Repo
	Sources []SourceState
	// Missing are the binaries whose source RPM no source repo has (only
	// with AllowMissing; otherwise they are a *MissingSourceError).
	Missing []MissingSource
	// Warnings are what a person should know about the source repos.
	Warnings []string
}

// MissingSource is a binary whose source RPM was not found.
type MissingSource struct {
	Binary    string // NEVRA
	SourceRPM string // what its header names, e.g. docker-engine-1.7.1-1.el6.src.rpm
	Searched  []string
}

func (m MissingSource) String() string {
	searched := "no source repos"
	if len(m.Searched) > 0 {
		searched = "source repos " + strings.Join(m.Searched, ", ")
	}
	return fmt.Sprintf("%s: its source %s is in none of the %s", m.Binary, m.SourceRPM, searched)
}

// MissingSourceError says resolve --source could not find the source RPM
// of some binaries of the closure: the lock would not hold the sources of
// everything it ships.
type MissingSourceError struct {
	Missing []MissingSource
}

func (e *MissingSourceError) Error() string {
	lines := make([]string, len(e.Missing))
	for i, m := range e.Missing {
		lines[i] = "  " + m.String()
	}
	return fmt.Sprintf("--source: %d binaries of the closure have no source RPM in the manifest's source repos:\n%s\n"+
		"add the source repo that has them (a repo ID-source beside repo ID, or one marked source: true; see docs/manifest.md), "+
		"or pass --allow-missing-source to lock the sources that exist and warn about the rest",
		len(e.Missing), strings.Join(lines, "\n"))
}

// SourceOptions tunes ResolveSources.
type SourceOptions struct {
	Fetcher rpmmd.Fetcher
	// AllowMissing turns binaries without a source RPM into
	// SourcePlan.Missing and a warning instead of an error.
	AllowMissing bool
}

// ResolveSources finds the source RPM of every binary of plan in repos,
// the repos of source RPMs (a manifest's SourceRepos): the one its SOURCERPM names (name, version and
// release; arch src), searched first in the source repo beside the
// binary's own (ID-source beside ID, as dnf download --source pairs them),
// then in every other source repo in their order. Each distinct
// source RPM is listed once.
func ResolveSources(ctx context.Context, repos []Repo, plan *Plan, opts SourceOptions) (*SourcePlan, error) {
	sp := &SourcePlan{}
	var u *Universe
	if len(repos) > 0 {
		var err error
		if u, err = LoadUniverse(ctx, repos, LoadOptions{Fetcher: opts.Fetcher, Sources: true}); err != nil {
			return nil, fmt.Errorf("source repos: %w", err)
		}
		sp.Sources, sp.Warnings = u.Sources, u.Warnings
	}
	sp.Repos = EffectiveRepos(repos, sp.Sources)
	ids := make([]string, len(repos))
	order := map[string]int{}
	for i, r := range repos {
		ids[i], order[r.ID] = r.ID, i
	}
	byNVR := map[string][]*Package{}
	if u != nil {
		for _, p := range u.Packages() {
			k := p.Name + "-" + p.EVR.Version + "-" + p.EVR.Release
			byNVR[k] = append(byNVR[k], p)
		}
	}
	chosen := map[*Package][]string{} // source package -> binaries built from it
	var picked []*Package
	for _, pp := range plan.Packages {
		bin := pp.Package
		nvr, ok := strings.CutSuffix(bin.SourceRPM, ".src.rpm")
		cands := byNVR[nvr]
		if !ok || len(cands) == 0 {
			sp.Missing = append(sp.Missing, MissingSource{Binary: bin.NEVRA(), SourceRPM: bin.SourceRPM, Searched: ids})
			continue
		}
		partner := SourcePartner(bin.Repo)
		best := cands[0]
		for _, c := range cands[1:] {
			if rank(c.Repo, partner, order) < rank(best.Repo, partner, order) {
				best = c
			}
		}
		if _, seen := chosen[best]; !seen {
			picked = append(picked, best)
		}
		chosen[best] = append(chosen[best], bin.NEVRA())
	}
	if len(sp.Missing) > 0 && !opts.AllowMissing {
		return nil, &MissingSourceError{Missing: sp.Missing}
	}
	for _, ms := range sp.Missing {
		sp.Warnings = append(sp.Warnings, "--allow-missing-source: "+ms.String())
	}
	sort.Slice(picked, func(i, j int) bool { return picked[i].NEVRA() < picked[j].NEVRA() })
	srcPlan := &Plan{}
	for _, p := range picked {
		by := chosen[p]
		sort.Strings(by)
		srcPlan.Packages = append(srcPlan.Packages, PlannedPackage{Package: p, Reason: Reason{Kind: ReasonSource, By: strings.Join(by, ", ")}})
	}
	AttachURLs(srcPlan, sp.Repos)
	sp.Packages = srcPlan.Packages
	return sp, nil
}

// rank orders the repos a source RPM may come from: the binary's own
// source repo first, then the manifest's order.
func rank(repo, partner string, order map[string]int) int {
	if repo == partner {
		return -1
	}
	return order[repo]
}

// SourcePartner is the id of the source repo beside repo id, as dnf's
// enable_source_repos names it: X-rpms has X-source-rpms, any other ID has
// ID-source.
func SourcePartner(id string) string {
	if x, ok := strings.CutSuffix(id, "-rpms"); ok {
		return x + "-source-rpms"
	}
	return id + "-source"
}
