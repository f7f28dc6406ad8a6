package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/rpmvault/rpmvault/lock"
	"github.com/rpmvault/rpmvault/mirror"
	"github.com/rpmvault/rpmvault/resolver"
)

func (a *app) mirrorCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mirror (-m MANIFEST | --lock LOCK) [--store DIR] [--jobs N]",
		Short: "Fetch, verify and pin every package of a manifest or lock into the store",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			lk, lockFile, err := a.lockFor(cmd)
			if err != nil {
				return err
			}
			if _, err := a.mirror(cmd, lk); err != nil {
				return err
			}
			// Pin what the lock did not know yet (sha256 of header-only sources).
			return lock.Write(lockFile, lk)
		},
	}
	manifestFlags(cmd)
	storeFlags(cmd)
	cmd.Flags().String("lock", "", "lockfile to mirror exactly (with -m: where to write the lock)")
	return cmd
}

func storeFlags(cmd *cobra.Command) {
	cmd.Flags().String("store", defaultStore(), "content-addressed package store")
	cmd.Flags().Int("jobs", 4, "parallel downloads")
}

func defaultStore() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "rpmvault")
	}
	return ".rpmvault-store"
}

// lockFor returns the lock to work from: --lock as given, or -m resolved
// into a lock written to --lock (default NAME.lock.yaml).
func (a *app) lockFor(cmd *cobra.Command) (*lock.Lock, string, error) {
	manifest, lockFile := a.cfg.GetString("manifest"), a.cfg.GetString("lock")
	switch {
	case manifest == "" && lockFile == "":
		return nil, "", usagef("%s needs -m MANIFEST or --lock LOCK", cmd.CommandPath())
	case manifest == "":
		l, err := lock.Read(lockFile)
		return l, lockFile, err
	}
	r, err := a.resolve(cmd)
	if err != nil {
		return nil, "", err
	}
	if !a.cfg.GetBool("no-abi") {
		rep, err := a.abiCheck(cmd.Context(), r)
		if err != nil {
			return nil, "", err
		}
		for _, f := range rep.Findings {
			a.log.Error("abi: " + f.String())
		}
		if err := abiVerdict(rep); err != nil {
			return nil, "", err
		}
	}
	if lockFile == "" {
		lockFile = r.manifest.Name + ".lock.yaml"
	}
	return r.lock(), lockFile, nil
}

// mirror runs the mirror for lock with the command's flags.
func (a *app) mirror(cmd *cobra.Command, lk *lock.Lock) (*mirror.Store, error) {
	store, err := mirror.OpenStore(a.cfg.GetString("store"))
	if err != nil {
		return nil, err
	}
	rw, err := resolver.ParseRewrites(a.cfg.GetStringSlice("mirror-map"))
	if err != nil {
		return nil, usageError{err}
	}
	opts := mirror.Options{Store: store, Jobs: a.cfg.GetInt("jobs"), Rewrites: rw, Offline: a.cfg.GetBool("offline"), Log: a.log}
	if f, ok := a.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) && !a.cfg.GetBool("quiet") {
		opts.Progress = a.stderr
	}
	sum, err := mirror.Mirror(cmd.Context(), lk, opts)
	if err != nil {
		return nil, err
	}
	if !a.cfg.GetBool("quiet") {
		fmt.Fprintf(a.stderr, "mirror: %s into %s\n", sum, store.Dir())
	}
	return store, nil
}
