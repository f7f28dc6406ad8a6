package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sync"

	"github.com/spf13/cobra"

	"github.com/rpmvault/rpmvault/lock"
	"github.com/rpmvault/rpmvault/mirror"
	"github.com/rpmvault/rpmvault/resolver"
	"github.com/rpmvault/rpmvault/resolver/fetch"
	"github.com/rpmvault/rpmvault/resolver/manifest"
	"github.com/rpmvault/rpmvault/resolver/rpmdb"
	"github.com/rpmvault/rpmvault/resolver/rpmmd"
)

func (a *app) resolveCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "resolve -m MANIFEST [--baseline FILE] [--lock OUT] [--source] [--json] [--abi]",
		Short: "Compute the exact closure of a manifest, in install order, and why each package is needed",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// The solve's rules are garbage once resolve returns; at the
			// default GOGC the output's buffers would grow the heap past
			// the solve's peak before a collection reclaims them (see
			// a.resolve).
			if os.Getenv("GOGC") == "" {
				defer debug.SetGCPercent(debug.SetGCPercent(25))
			}
			r, err := a.resolve(cmd)
			if err != nil {
				return err
			}
			plan := r.plan
			// The lock is built only when it is used (--abi, --lock): for
			// a closure of thousands it is megabytes of heap.
			var lk *lock.Lock
			lockOf := func() *lock.Lock {
				if lk == nil {
					lk = r.lock()
				}
				return lk
			}
			// Resolving reads metadata (and the headers of header-only
			// sources) only; --abi mirrors the closure to check it.
			if a.cfg.GetBool("abi") && !a.cfg.GetBool("no-abi") {
				sess, err := a.mirror(cmd, lockOf())
				if err != nil {
					return err
				}
				defer sess.Close()
				if err := a.checkClosure(cmd.Context(), r, sess); err != nil {
					return err
				}
			}
			if out := a.cfg.GetString("lock"); out != "" {
				if err := a.writeLockAnchored(out, lockOf()); err != nil {
					return err
				}
			}
			if a.cfg.GetBool("json") {
				return writePlanJSON(a.stdout, plan, r.sources)
			}
			return writePlanTable(a.stdout, plan, r.sources)
		},
	}
	manifestFlags(cmd)
	cmd.Flags().String("store", defaultStore(), "store whose metadata cache to use")
	cmd.Flags().String("lock", "", "write the lockfile here")
	cmd.Flags().Bool("json", false, "print the plan as JSON")
	cmd.Flags().Bool("abi", false, "also mirror the closure into the store and check that its binaries find every symbol they need")
	cmd.Flags().Int("jobs", 4, "parallel downloads (with --abi)")
	abiFlag(cmd, "do not run the ABI check (the default for resolve; overrides --abi)")
	sourceFlags(cmd)
	return cmd
}

// sourceFlags are the flags of the commands that can lock source RPMs.
func sourceFlags(cmd *cobra.Command) {
	cmd.Flags().Bool("source", false, "also lock the source RPM of every package of the closure (arches[].source), from the manifest's source repos")
	cmd.Flags().Bool("allow-missing-source", false, "with --source: a package whose source RPM no source repo has is a warning, not an error (exit 3)")
}

func (a *app) whyCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "why -m MANIFEST PACKAGE [--json]",
		Short: "Print the chain of requirements that pulls PACKAGE into the closure",
		Args:  exactArgs("PACKAGE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := a.resolve(cmd)
			if err != nil {
				return err
			}
			chain, err := resolver.Why(r.plan, args[0])
			var notIn *resolver.NotInPlanError
			if errors.As(err, &notIn) {
				// Kept as it is on the box: say so rather than "nothing pulls it in".
				if p := installedNamed(r.installed, args[0]); p != nil {
					chain, err = []string{p.NEVRA() + " is installed on the target (baseline) and the plan keeps it as it is"}, nil
				}
			}
			if err != nil {
				return err
			}
			if a.cfg.GetBool("json") {
				return writeJSON(a.stdout, map[string]any{"package": args[0], "chain": nonNil(chain)})
			}
			for _, line := range chain {
				fmt.Fprintln(a.stdout, line)
			}
			return nil
		},
	}
	manifestFlags(cmd)
	cmd.Flags().String("store", defaultStore(), "store whose metadata cache to use")
	jsonFlag(cmd, "print the chain as JSON")
	return cmd
}

// installedNamed returns the installed package called name (or with that
// NEVRA), or nil.
func installedNamed(installed []*resolver.Package, name string) *resolver.Package {
	for _, p := range installed {
		if p.Name == name || p.NEVRA() == name {
			return p
		}
	}
	return nil
}

// manifestFlags are the flags of every command that resolves a manifest.
func manifestFlags(cmd *cobra.Command) {
	cmd.Flags().StringP("manifest", "m", "", "manifest file (YAML)")
	cmd.Flags().String("baseline", "", "installed set of the target (rpmvault capture or rpm -qa output); overrides the manifest's baseline")
}

// resolution is a resolved manifest with what produced it.
type resolution struct {
	manifest  *manifest.Manifest
	plan      *resolver.Plan
	universe  *resolver.Universe
	installed []*resolver.Package
	baseline  *rpmdb.Baseline      // nil for an empty root
	sources   *resolver.SourcePlan // --source: the closure's source RPMs
}

func (r *resolution) lock() *lock.Lock {
	l := lock.New(r.manifest, r.plan, r.universe.Sources, r.installed)
	if r.sources != nil {
		l.AddSources(r.sources)
	}
	return l
}

// repos are the manifest's repos with the mirrors their mirrorlists named.
func (r *resolution) repos() []resolver.Repo {
	var sources []resolver.SourceState
	if r.universe != nil {
		sources = r.universe.Sources
	}
	return resolver.EffectiveRepos(r.manifest.Sources(), sources)
}

// resolve loads the manifest and baseline named by the flags and resolves them.
func (a *app) resolve(cmd *cobra.Command) (*resolution, error) {
	path := a.cfg.GetString("manifest")
	if path == "" {
		return nil, usagef("%s needs -m MANIFEST", cmd.CommandPath())
	}
	m, err := manifest.Load(path)
	if err != nil {
		return nil, err
	}
	fetcher, err := a.fetcher()
	if err != nil {
		return nil, err
	}
	if r, ok := cmd.Context().Value(hugeRangeKey{}).(hugeRange); ok {
		if mf, ok := fetcher.(*mirror.MetadataFetcher); ok {
			fetcher = &warmAware{MetadataFetcher: mf, warm: r.smallPages}
		}
	}
	baseline := m.BaselinePath()
	if b := a.cfg.GetString("baseline"); b != "" {
		baseline = b
	}
	var installed []*resolver.Package
	var b *rpmdb.Baseline
	switch {
	case baseline != "":
		if b, err = rpmdb.LoadBaseline(baseline); err != nil {
			return nil, err
		}
		installed = b.Packages
	case m.Baseline == "":
		// "baseline: empty" says so deliberately; silence is not a choice.
		a.log.Warn("no baseline: the plan is for an empty root, a whole OS; to ship only what a box lacks, run `rpmvault capture -o box.capture` on it (or the rpm one-liner in `rpmvault capture --help`) and pass --baseline box.capture; baseline: empty in the manifest says an empty root is meant")
	}
	// A cold resolve builds a pool of some 40 MB from a large repo's XML,
	// then solves and writes the parsed cache beside it, and at the default
	// GOGC the collector lets their garbage grow to the pool's size before
	// collecting. The pool is mostly pointer-free, so a collection costs
	// little: at 25, the cold resolves of the 60,000-package bench peak at
	// 86-91 MB of RSS instead of 102-110, for ~5% more CPU time. A GOGC
	// given in the environment is left as it is.
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(25))
	}
	req := m.Request()
	req.Installed = installed
	// What starting up touched of the binary need not stay resident
	// through the solve (a resolve only costs a little more without).
	_ = releaseStartupPages()
	plan, u, err := resolver.Resolve(cmd.Context(), m.Sources(), req, fetcher)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", path, err)
	}
	for _, w := range plan.Warnings {
		a.log.Warn(w)
	}
	r := &resolution{manifest: m, plan: plan, universe: u, installed: installed, baseline: b}
	if cmd.Flags().Lookup("source") != nil && a.cfg.GetBool("source") {
		sp, err := resolver.ResolveSources(cmd.Context(), m.SourceRepos(), plan, resolver.SourceOptions{Fetcher: fetcher, AllowMissing: a.cfg.GetBool("allow-missing-source")})
		if err != nil {
			return nil, fmt.Errorf("resolve %s: %w", path, err)
		}
		for _, w := range sp.Warnings {
			a.log.Warn(w)
		}
		r.sources = sp
	}
	return r, nil
}

// fetcher builds the metadata fetcher: --mirror-map rewrites, metadata
// cached in the store by checksum, --offline served from the cache alone.
func (a *app) fetcher() (rpmmd.Fetcher, error) {
	rw, err := fetch.ParseRewrites(a.cfg.GetStringSlice("mirror-map"))
	if err != nil {
		return nil, usageError{err}
	}
	store, err := a.openStore(context.Background())
	if err != nil {
		return nil, err
	}
	return &mirror.MetadataFetcher{Inner: &fetch.HTTPFetcher{Client: fetch.NewHTTPClient(a.netOptions())}, Rewrites: rw, Store: store,
		Offline: a.cfg.GetBool("offline"), Expire: a.cfg.GetDuration("metadata-expire")}, nil
}

// warmAware is the metadata fetcher of a resolve that calls warm once,
// when a parsed-cache entry opens: the resolve is then a warm one (see
// preferHugePages).
type warmAware struct {
	*mirror.MetadataFetcher
	warm func()
	once sync.Once
}

// OpenParsed opens the entry for key (resolver.ParsedCache).
func (w *warmAware) OpenParsed(key string) (io.ReadCloser, error) {
	rc, err := w.MetadataFetcher.OpenParsed(key)
	if err == nil {
		w.once.Do(w.warm)
	}
	return rc, err
}
