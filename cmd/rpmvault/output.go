package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/rpmvault/rpmvault/report"
	"github.com/rpmvault/rpmvault/resolver"
)

// planJSON is the `resolve --json` object of DESIGN.md.
type planJSON struct {
	Packages []planPackageJSON `json:"packages"`
	Steps    int               `json:"steps"`
	// Sources are the source RPMs (resolve --source); absent without it.
	Sources *[]planPackageJSON `json:"sources,omitempty"`
}

type planPackageJSON struct {
	Name    string `json:"name"`
	Epoch   int    `json:"epoch"`
	Version string `json:"version"`
	Release string `json:"release"`
	Arch    string `json:"arch"`
	Repo    string `json:"repo"`
	Action  string `json:"action"`
	Reason  string `json:"reason"`
	Step    int    `json:"step"`
	URL     string `json:"url"`
	Size    int64  `json:"size"`
}

func writePlanJSON(w io.Writer, plan *resolver.Plan, sources *resolver.SourcePlan) error {
	out := planToJSON(plan)
	if sources != nil {
		src := planToJSON(&resolver.Plan{Packages: sources.Packages}).Packages
		out.Sources = &src
	}
	return writeJSON(w, out)
}

// nonNil makes a nil list print as [] in JSON.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func planToJSON(plan *resolver.Plan) planJSON {
	out := planJSON{Packages: make([]planPackageJSON, 0, len(plan.Packages)), Steps: plan.Steps}
	for _, pp := range plan.Packages {
		p := pp.Package
		url := ""
		if len(pp.URLs) > 0 {
			url = pp.URLs[0]
		}
		out.Packages = append(out.Packages, planPackageJSON{
			Name: p.Name, Epoch: p.EVR.Epoch, Version: p.EVR.Version, Release: p.EVR.Release,
			Arch: p.Arch, Repo: p.Repo, Action: string(pp.Action), Reason: pp.Reason.String(),
			Step: pp.Step, URL: url, Size: p.Size,
		})
	}
	return out
}

// writePlanTable prints the plan for people: one line per package in install order.
func writePlanTable(w io.Writer, plan *resolver.Plan, sources *resolver.SourcePlan) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tACTION\tPACKAGE\tREPO\tSIZE\tREASON")
	var total int64
	for _, pp := range plan.Packages {
		p := pp.Package
		total += p.Size
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", pp.Step, pp.Action, p.NEVRA(), p.Repo, report.HumanBytes(p.Size), pp.Reason)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "%d packages, %s, %d transaction steps\n", len(plan.Packages), report.HumanBytes(total), plan.Steps); err != nil {
		return err
	}
	if sources == nil {
		return nil
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE RPM\tREPO\tSIZE\tSOURCE OF")
	total = 0
	for _, pp := range sources.Packages {
		p := pp.Package
		total += p.Size
		fmt.Fprintf(tw, "%s-%s-%s.src.rpm\t%s\t%s\t%s\n", p.Name, p.EVR.Version, p.EVR.Release, p.Repo, report.HumanBytes(p.Size), pp.Reason.By)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d source RPMs, %s\n", len(sources.Packages), report.HumanBytes(total))
	return err
}
