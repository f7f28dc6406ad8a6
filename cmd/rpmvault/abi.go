package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/rpmvault/rpmvault/abi"
	"github.com/rpmvault/rpmvault/mirror"
	"github.com/rpmvault/rpmvault/resolver"
	"github.com/rpmvault/rpmvault/store"
)

func (a *app) abiCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "abi -m MANIFEST [--baseline FILE] [--fix] [--json]",
		Short: "Find symbols the closure's binaries need that their libraries on the target lack (what RPM metadata does not say)",
		Long: `abi mirrors the closure into the store (fetching and verifying each RPM once),
then reads the ELF files of the verified store objects: every symbol a binary
imports must be exported by the library that provides its soname on the target.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := a.resolve(cmd)
			if err != nil {
				return err
			}
			lk := r.lock()
			sess, err := a.mirror(cmd, lk)
			if err != nil {
				return err
			}
			defer sess.Close()
			if a.cfg.GetBool("no-abi") {
				if a.cfg.GetBool("json") {
					return writeJSON(a.stdout, map[string]any{"skipped": true, "findings": []abi.Finding{}})
				}
				fmt.Fprintln(a.stdout, "abi check skipped (--no-abi); the closure is mirrored")
				return nil
			}
			if a.cfg.GetBool("fix") {
				res, err := a.abiFix(cmd, r, sess)
				if err != nil {
					return err
				}
				if a.cfg.GetBool("json") {
					if err := writeJSON(a.stdout, map[string]any{"findings": res.Initial.Findings, "constraints": nonNil(res.Constraints),
						"plan": planToJSON(res.Plan), "remaining": res.Final.Findings}); err != nil {
						return err
					}
					return res.Final.Err()
				}
				for _, f := range res.Initial.Findings {
					fmt.Fprintln(a.stdout, f.String())
				}
				fmt.Fprintf(a.stdout, "fixed with constraints %v; the closure now:\n", res.Constraints)
				if err := writePlanTable(a.stdout, res.Plan, nil); err != nil {
					return err
				}
				return res.Final.Err()
			}
			rep, err := a.abiCheck(cmd.Context(), r, sess)
			if err != nil {
				return err
			}
			if a.cfg.GetBool("json") {
				if err := writeJSON(a.stdout, rep); err != nil {
					return err
				}
			} else {
				for _, f := range rep.Findings {
					fmt.Fprintln(a.stdout, f.String())
				}
				fmt.Fprintf(a.stdout, "%d packages, %d ELF objects checked, %d findings\n", rep.Packages, rep.Objects, len(rep.Findings))
			}
			return rep.Err()
		},
	}
	manifestFlags(cmd)
	storeFlags(cmd)
	cmd.Flags().Bool("fix", false, "add the constraints that fix the findings and resolve again")
	cmd.Flags().Bool("json", false, "print the report as JSON")
	abiFlag(cmd, "only mirror the closure; do not check it")
	return cmd
}

// abiFlag adds --no-abi, which every command that runs the check accepts.
func abiFlag(cmd *cobra.Command, usage string) {
	cmd.Flags().Bool("no-abi", false, usage)
}

// abiOptions are the check's options for a resolution whose packages are
// read from the store through sess.
func (a *app) abiOptions(r *resolution, sess *mirror.Session) abi.Options {
	// Summaries are small local files: beside a directory store's objects,
	// else in the user's cache directory.
	cacheDir := filepath.Join(defaultStore(), "abi")
	if d, ok := sess.Store().(*store.Dir); ok {
		cacheDir = filepath.Join(d.Root(), "abi")
	}
	opts := abi.Options{
		Opener:    &mirror.PackageOpener{Session: sess, Repos: r.repos()},
		Installed: r.installed,
		CacheDir:  cacheDir,
	}
	if r.universe != nil {
		opts.Available = r.universe.Packages()
	}
	if r.baseline != nil {
		opts.Libraries = r.baseline.Libraries
	}
	return opts
}

// abiCheck runs the ABI check on a resolution whose closure sess has
// mirrored, and logs what it could not verify.
func (a *app) abiCheck(ctx context.Context, r *resolution, sess *mirror.Session) (*abi.Report, error) {
	rep, err := abi.Check(ctx, r.plan, a.abiOptions(r, sess))
	if err != nil {
		return nil, fmt.Errorf("abi check: %w", err)
	}
	for _, u := range rep.Unverified {
		a.log.Warn("abi: not verified", "what", u)
	}
	return rep, nil
}

// checkClosure runs the check for commands that do it on the way (resolve
// --abi, mirror -m, bundle -m): findings are a *abi.FindingsError.
func (a *app) checkClosure(ctx context.Context, r *resolution, sess *mirror.Session) error {
	rep, err := a.abiCheck(ctx, r, sess)
	if err != nil {
		return err
	}
	return rep.Err()
}

func (a *app) abiFix(cmd *cobra.Command, r *resolution, sess *mirror.Session) (*abi.FixResult, error) {
	fetcher, err := a.fetcher()
	if err != nil {
		return nil, err
	}
	resolve := func(ctx context.Context, extra []string) (*resolver.Plan, *resolver.Universe, error) {
		req := r.manifest.Request()
		req.Installed, req.Constraints = r.installed, append(req.Constraints, extra...)
		return resolver.Resolve(ctx, r.manifest.Sources(), req, fetcher)
	}
	return abi.Fix(cmd.Context(), resolve, a.abiOptions(r, sess))
}
