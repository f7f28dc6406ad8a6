package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/rpmvault/rpmvault/lock"
	"github.com/rpmvault/rpmvault/mirror"
	"github.com/rpmvault/rpmvault/resolver/fetch"
	"github.com/rpmvault/rpmvault/store"
)

func (a *app) mirrorCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mirror (-m MANIFEST [--source] | --lock LOCK) [--store DIR] [--jobs N] [--no-abi] [--json]",
		Short: "Fetch, verify and pin every package of a manifest or lock into the store (with -m, then check the closure's ABI)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			lk, lockFile, r, err := a.lockFor(cmd)
			if err != nil {
				return err
			}
			sess, err := a.mirror(cmd, lk)
			if err != nil {
				return err
			}
			defer sess.Close()
			if r != nil && !a.cfg.GetBool("no-abi") {
				if err := a.checkClosure(cmd.Context(), r, sess); err != nil {
					return err
				}
			}
			if !lk.Foreign() { // another tool's lock pins everything already: leave its file alone
				// Pin what the lock did not know yet (sha256 of header-only sources).
				if err := a.writeLockAnchored(lockFile, lk); err != nil {
					return err
				}
			}
			if a.cfg.GetBool("json") {
				s := a.mirrored
				return writeJSON(a.stdout, map[string]any{"lock": lockFile, "store": sess.Store().String(), "packages": s.Packages,
					"from_store": s.FromCache, "downloaded_bytes": s.Bytes, "seconds": s.Duration.Seconds()})
			}
			return nil
		},
	}
	manifestFlags(cmd)
	storeFlags(cmd)
	cmd.Flags().String("lock", "", "lockfile to mirror exactly (with -m: where to write the lock)")
	lockArchFlag(cmd)
	abiFlag(cmd, "with -m: skip the check that the closure's binaries find every symbol they need")
	sourceFlags(cmd)
	jsonFlag(cmd, "print what was mirrored as JSON")
	return cmd
}

func storeFlags(cmd *cobra.Command) {
	cmd.Flags().String("store", defaultStore(), "content-addressed package store: a directory or s3://BUCKET/PREFIX")
	cmd.Flags().Int("jobs", 4, "parallel downloads")
	cmd.Flags().Bool("rehash", false, "re-hash the objects already in the store before using them; fetch damaged ones again")
}

func defaultStore() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "rpmvault")
	}
	return ".rpmvault-store"
}

// lockFor returns the lock to work from: --lock as given, or -m resolved
// into a lock to be written to --lock (default NAME.lock.yaml), with the
// resolution it came from (nil for --lock).
func (a *app) lockFor(cmd *cobra.Command) (*lock.Lock, string, *resolution, error) {
	manifest, lockFile := a.cfg.GetString("manifest"), a.cfg.GetString("lock")
	switch {
	case manifest == "" && lockFile == "":
		return nil, "", nil, usagef("%s needs -m MANIFEST or --lock LOCK", cmd.CommandPath())
	case manifest == "":
		l, err := a.readLock(lockFile)
		if err == nil && l.Foreign() {
			a.log.Warn("lock "+lockFile+" has no rpmvault section (rpm-lockfile-prototype's rpms.lock.yaml): it names no signing keys, so its packages are verified by the sha256 it pins alone, and everything in it is installed", "packages", len(l.Packages()))
		}
		return l, lockFile, nil, err
	}
	r, err := a.resolve(cmd)
	if err != nil {
		return nil, "", nil, err
	}
	if lockFile == "" {
		lockFile = r.manifest.Name + ".lock.yaml"
	}
	return r.lock(), lockFile, r, nil
}

// readLock reads --lock and keeps its --arch section when it has several
// (rpm-lockfile-prototype writes one per arch; a bundle is for one machine).
func (a *app) readLock(file string) (*lock.Lock, error) {
	l, err := lock.Read(file)
	if err != nil {
		return nil, err
	}
	if len(l.Arches) > 1 {
		arch := a.cfg.GetString("arch")
		if arch == "" {
			arch = "x86_64"
		}
		all := l.ArchNames()
		if err := l.SelectArch(arch); err != nil {
			return nil, usageError{fmt.Errorf("lock %s: %w", file, err)}
		}
		a.log.Info("lock "+file+" has several arch sections: using "+arch+" (--arch picks another)", "arches", strings.Join(all, ", "))
	}
	return l, nil
}

// lockArchFlag is --arch, for locks with several arch sections.
func lockArchFlag(cmd *cobra.Command) {
	cmd.Flags().String("arch", "", "with a --lock of several arch sections (rpm-lockfile-prototype's): the one to use (default x86_64)")
}

// mirror fetches and verifies every package of lk into the store with the
// command's flags. The returned session still holds the store, so the ABI
// check can fetch what else it needs through it: close it.
func (a *app) mirror(cmd *cobra.Command, lk *lock.Lock) (*mirror.Session, error) {
	store, err := a.openStore(cmd.Context())
	if err != nil {
		return nil, err
	}
	rw, err := fetch.ParseRewrites(a.cfg.GetStringSlice("mirror-map"))
	if err != nil {
		return nil, usageError{err}
	}
	opts := mirror.Options{Store: store, Jobs: a.cfg.GetInt("jobs"), Rewrites: rw, Offline: a.cfg.GetBool("offline"), Log: a.log, Net: a.netOptions(), Rehash: a.cfg.GetBool("rehash")}
	if f, ok := a.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) && !a.cfg.GetBool("quiet") {
		opts.Progress = a.stderr
	}
	sess, err := mirror.NewSession(cmd.Context(), lk, opts)
	if err != nil {
		return nil, err
	}
	sum, err := sess.MirrorAll(cmd.Context())
	if err != nil {
		sess.Close()
		return nil, err
	}
	a.mirrored = sum
	if !a.cfg.GetBool("quiet") {
		fmt.Fprintf(a.stderr, "mirror: %s into %s\n", sum, store)
	}
	return sess, nil
}

// storeDir is --store, or the default store.
func (a *app) storeDir() string {
	if d := a.cfg.GetString("store"); d != "" {
		return d
	}
	return defaultStore()
}

// openStore opens --store: a directory, or s3://BUCKET/PREFIX reached at
// --s3-endpoint (else AWS_ENDPOINT_URL…) with the usual AWS credentials.
func (a *app) openStore(ctx context.Context) (store.Store, error) {
	spec := a.cfg.GetString("store")
	if spec == "" {
		spec = defaultStore()
	}
	return store.Open(ctx, spec, a.s3Config())
}
