package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/rpmvault/rpmvault/abi"
	"github.com/rpmvault/rpmvault/bundle"
	"github.com/rpmvault/rpmvault/graph"
	"github.com/rpmvault/rpmvault/installer"
	"github.com/rpmvault/rpmvault/internal/atomicfile"
	"github.com/rpmvault/rpmvault/report"
	"github.com/rpmvault/rpmvault/resolver"
	"github.com/rpmvault/rpmvault/store"
)

func (a *app) reportCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report (-m MANIFEST | --lock LOCK | BUNDLE) -o report.html",
		Short: "Write one self-contained HTML page of a closure: graph, packages, totals, ABI findings, doctor checks",
		Args:  maxArgs("BUNDLE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := a.cfg.GetString("output")
			if out == "" {
				return usagef("report needs -o report.html")
			}
			c, err := a.closure(cmd, args, true)
			if err != nil {
				return err
			}
			in := report.Input{Graph: c.graph, Source: c.source, ABI: c.abi, Dot: a.cfg.GetString("dot")}
			if f := a.cfg.GetString("abi-findings"); f != "" {
				in.ABI = new(abi.Report)
				if err := readJSON(f, in.ABI); err != nil {
					return err
				}
			}
			if f := a.cfg.GetString("doctor"); f != "" {
				in.Doctor = new(installer.Report)
				if err := readJSON(f, in.Doctor); err != nil {
					return err
				}
			}
			var b bytes.Buffer
			if err := report.Write(cmd.Context(), &b, in); err != nil {
				return err
			}
			if err := atomicfile.WriteFile(out, b.Bytes(), 0o644); err != nil {
				return err
			}
			if a.cfg.GetBool("json") {
				return writeJSON(a.stdout, map[string]any{"file": out, "packages": len(c.graph.Nodes), "edges": len(c.graph.Edges), "bytes": b.Len()})
			}
			fmt.Fprintf(a.stdout, "wrote %s (%d packages, %s)\n", out, len(c.graph.Nodes), report.HumanBytes(int64(b.Len())))
			return nil
		},
	}
	closureFlags(cmd)
	cmd.Flags().StringP("output", "o", "", "HTML file to write")
	cmd.Flags().Bool("abi", false, "with -m: also mirror the closure into the store and show the ABI check's findings")
	cmd.Flags().String("abi-findings", "", "ABI findings to show (the output of rpmvault abi --json)")
	cmd.Flags().String("doctor", "", "a target's preflight checks to show (the output of rpmvault doctor --json)")
	cmd.Flags().String("dot", "dot", "Graphviz dot command that lays out the graph")
	jsonFlag(cmd, "print what was written as JSON")
	return cmd
}

func (a *app) graphCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "graph (-m MANIFEST | --lock LOCK | BUNDLE) --format dot|json",
		Short: "Print a closure's dependency graph: every requirement edge, the why edges marked",
		Args:  maxArgs("BUNDLE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			format := a.cfg.GetString("format")
			if format != "dot" && format != "json" {
				return usagef("--format must be dot or json, not %q", format)
			}
			c, err := a.closure(cmd, args, false)
			if err != nil {
				return err
			}
			if format == "dot" {
				return c.graph.WriteDOT(a.stdout, graph.DOTOptions{WhyOnly: a.cfg.GetBool("why-only"), ExternalLabels: a.cfg.GetBool("xlabels")})
			}
			data, err := c.graph.JSON()
			if err != nil {
				return err
			}
			_, err = a.stdout.Write(data)
			return err
		},
	}
	closureFlags(cmd)
	cmd.Flags().String("format", "dot", "dot (Graphviz) or json")
	cmd.Flags().Bool("why-only", false, "with --format dot: only the edges that pulled each package in")
	cmd.Flags().Bool("xlabels", false, "with --format dot: place edge labels after layout (much faster on large graphs)")
	return cmd
}

func closureFlags(cmd *cobra.Command) {
	manifestFlags(cmd)
	cmd.Flags().String("lock", "", "lockfile to show")
	lockArchFlag(cmd)
	cmd.Flags().String("store", defaultStore(), "store holding the lock's packages (their headers give the edges) and cached metadata")
}

// closure is a graph and what it was made from.
type closure struct {
	graph  *graph.Graph
	source string
	abi    *abi.Report // with -m --abi
}

// closure loads the closure named by -m, --lock or a BUNDLE argument, with
// the dependency records that give its edges: the resolver's for -m, the
// RPM headers of a verified bundle, or of the store's objects for --lock.
func (a *app) closure(cmd *cobra.Command, args []string, runABI bool) (*closure, error) {
	manifest, lockFile := a.cfg.GetString("manifest"), a.cfg.GetString("lock")
	given := 0
	for _, s := range []string{manifest, lockFile} {
		if s != "" {
			given++
		}
	}
	given += len(args)
	if given != 1 {
		return nil, usagef("%s needs exactly one of -m MANIFEST, --lock LOCK or BUNDLE", cmd.CommandPath())
	}
	switch {
	case manifest != "":
		r, err := a.resolve(cmd)
		if err != nil {
			return nil, err
		}
		deps := map[string]*resolver.Package{}
		for _, pp := range r.plan.Packages {
			deps[pp.Package.NEVRA()] = pp.Package
		}
		lk := r.lock()
		c := &closure{graph: graph.Build(lk, deps), source: "manifest " + manifest}
		if runABI && a.cfg.GetBool("abi") {
			// The check reads verified store objects: mirror first.
			sess, err := a.mirror(cmd, lk)
			if err != nil {
				return nil, err
			}
			c.abi, err = a.abiCheck(cmd.Context(), r, sess)
			sess.Close()
			if err != nil {
				return nil, err
			}
		}
		return c, nil
	case lockFile != "":
		l, err := a.readLock(lockFile)
		if err != nil {
			return nil, err
		}
		st, err := a.openStore(context.Background())
		if err != nil {
			return nil, err
		}
		deps, missing := map[string]*resolver.Package{}, 0
		for _, p := range l.Packages() {
			sha := p.SHA256()
			has := false
			if sha != "" {
				if has, err = st.Has(context.Background(), sha); err != nil {
					return nil, err
				}
			}
			if has {
				rec, err := readStoreHeader(st, sha)
				if err != nil {
					return nil, fmt.Errorf("store object of %s: %w", p.NEVRA(), err)
				}
				deps[p.NEVRA()] = rec
			} else {
				missing++
			}
		}
		if missing > 0 {
			a.log.Warn(fmt.Sprintf("%d of the lock's packages are not in the store %s: they are shown without their requirements (run rpmvault mirror --lock %s first)", missing, st, lockFile))
		}
		return &closure{graph: graph.Build(l, deps), source: "lock " + lockFile}, nil
	}
	dir, l, cleanup, err := bundle.OpenVerified(args[0])
	if err != nil {
		return nil, err
	}
	defer cleanup()
	deps := map[string]*resolver.Package{}
	for _, p := range l.Packages() {
		rec, err := resolver.ReadPackageFile(filepath.Join(dir, "rpms", p.FileName()))
		if err != nil {
			return nil, err
		}
		deps[p.NEVRA()] = rec
	}
	return &closure{graph: graph.Build(l, deps), source: "bundle " + filepath.Base(args[0]) + " (verified)"}, nil
}

// readStoreHeader reads the package record of a store object; the store
// re-verifies what it hands out.
func readStoreHeader(st store.Store, sha string) (*resolver.Package, error) {
	r, err := st.Open(context.Background(), sha)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return resolver.ReadPackage(r)
}

// maxArgs allows at most the named positional arguments.
func maxArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) > len(names) {
			return usagef("%s takes at most %d argument(s) (%v), got %q", cmd.CommandPath(), len(names), names, args)
		}
		return nil
	}
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
