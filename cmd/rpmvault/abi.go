package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/rpmvault/rpmvault/abi"
	"github.com/rpmvault/rpmvault/mirror"
	"github.com/rpmvault/rpmvault/resolver"
)

func (a *app) abiCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "abi -m MANIFEST [--baseline FILE] [--fix] [--json]",
		Short: "Find symbols the closure's binaries need that their libraries on the target lack (what RPM metadata does not say)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.cfg.GetBool("fix") {
				res, err := a.abiFix(cmd)
				if err != nil {
					return err
				}
				for _, f := range res.Initial.Findings {
					fmt.Fprintln(a.stdout, f.String())
				}
				fmt.Fprintf(a.stdout, "fixed with constraints %v; the closure now:\n", res.Constraints)
				if err := writePlanTable(a.stdout, res.Plan); err != nil {
					return err
				}
				return abiVerdict(res.Final)
			}
			r, err := a.resolve(cmd)
			if err != nil {
				return err
			}
			rep, err := a.abiCheck(cmd.Context(), r)
			if err != nil {
				return err
			}
			if a.cfg.GetBool("json") {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return err
				}
			} else {
				for _, f := range rep.Findings {
					fmt.Fprintln(a.stdout, f.String())
				}
				fmt.Fprintf(a.stdout, "%d packages, %d ELF objects checked, %d findings\n", rep.Packages, rep.Objects, len(rep.Findings))
			}
			return abiVerdict(rep)
		},
	}
	manifestFlags(cmd)
	cmd.Flags().String("store", defaultStore(), "store to read packages and cache summaries from")
	cmd.Flags().Bool("fix", false, "add the constraints that fix the findings and resolve again")
	cmd.Flags().Bool("json", false, "print the report as JSON")
	return cmd
}

// errABI marks a closure whose binaries would fail to load on the target.
var errABI = errors.New("the closure has ABI findings (run rpmvault abi --fix, or pass --no-abi to ignore)")

func abiVerdict(rep *abi.Report) error {
	if len(rep.Findings) > 0 {
		return codedError{exitUnresolvable, fmt.Errorf("%d finding(s): %w", len(rep.Findings), errABI)}
	}
	return nil
}

func (a *app) abiOptions(r *resolution) (abi.Options, error) {
	fetcher, err := a.fetcher()
	if err != nil {
		return abi.Options{}, err
	}
	storeDir := a.cfg.GetString("store")
	if storeDir == "" {
		storeDir = defaultStore()
	}
	store, err := mirror.OpenStore(storeDir)
	if err != nil {
		return abi.Options{}, err
	}
	opts := abi.Options{
		Opener:    abi.URLOpener{Fetcher: fetcher, Repos: r.manifest.Sources(), Store: store},
		Installed: r.installed,
		CacheDir:  filepath.Join(storeDir, "abi"),
	}
	if r.universe != nil {
		opts.Available = r.universe.Packages
	}
	if r.baseline != nil {
		opts.Libraries = r.baseline.Libraries
	}
	return opts, nil
}

// abiCheck runs the ABI check on a resolution and logs what it could not verify.
func (a *app) abiCheck(ctx context.Context, r *resolution) (*abi.Report, error) {
	opts, err := a.abiOptions(r)
	if err != nil {
		return nil, err
	}
	rep, err := abi.Check(ctx, r.plan, opts)
	if err != nil {
		return nil, fmt.Errorf("abi check: %w", err)
	}
	for _, u := range rep.Unverified {
		a.log.Warn("abi: not verified", "what", u)
	}
	return rep, nil
}

func (a *app) abiFix(cmd *cobra.Command) (*abi.FixResult, error) {
	r, err := a.resolve(cmd)
	if err != nil {
		return nil, err
	}
	fetcher, err := a.fetcher()
	if err != nil {
		return nil, err
	}
	opts, err := a.abiOptions(r)
	if err != nil {
		return nil, err
	}
	resolve := func(ctx context.Context, extra []string) (*resolver.Plan, *resolver.Universe, error) {
		return resolver.Resolve(ctx, r.manifest, resolver.ResolveOptions{Fetcher: fetcher, Installed: r.installed, ExtraConstraints: extra})
	}
	return abi.Fix(cmd.Context(), resolve, opts)
}
