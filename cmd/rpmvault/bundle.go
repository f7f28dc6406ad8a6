package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rpmvault/rpmvault/bundle"
	"github.com/rpmvault/rpmvault/installer"
	"github.com/rpmvault/rpmvault/internal/digest"
	"github.com/rpmvault/rpmvault/lock"
	"github.com/rpmvault/rpmvault/mirror"
)

func (a *app) bundleCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bundle (-m MANIFEST [--source] | --lock LOCK) [--store DIR] -o BUNDLE.tar.gz [--no-abi] [--json]",
		Short: "Write one self-verifying bundle of a lock's packages (mirroring what is missing first)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := a.cfg.GetString("output")
			if out == "" {
				return usagef("bundle needs -o BUNDLE.tar.gz")
			}
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
			store := sess.Store()
			keys, err := mirror.KeyBlobs(cmd.Context(), store, lk)
			if err != nil {
				return err
			}
			bin := a.cfg.GetString("binary")
			if bin == "" {
				if bin, err = os.Executable(); err != nil {
					return err
				}
				if !strings.HasPrefix(runtime.Version(), "go1.23") {
					a.log.Warn("bundling this rpmvault, built with "+runtime.Version()+"; binaries of Go 1.24+ do not run on CentOS 6's kernel 2.6.32 (make build writes the static go1.23.12 build; or pass --binary)", "binary", bin)
				}
			}
			if err := bundle.WriteContext(cmd.Context(), out, bundle.Input{Lock: lk, Store: store, Keys: keys, Binary: bin}); err != nil {
				return err
			}
			if r != nil && a.cfg.GetString("lock") != "" {
				if err := lock.Write(lockFile, lk); err != nil {
					return err
				}
			}
			lockBytes, err := lk.Marshal()
			if err != nil {
				return err
			}
			// The lock's sha256 anchors what rpmvault verifies; the
			// archive's anchors the rest (install.sh, bin/rpmvault,
			// repodata/), which a tampered bundle could change with
			// SHA256SUMS: check it before running anything of it.
			bundleSum, err := digest.FileSHA256(out)
			if err != nil {
				return err
			}
			if a.cfg.GetBool("json") {
				return writeJSON(a.stdout, map[string]any{"bundle": out, "packages": len(lk.Packages()), "sources": len(lk.Sources()), "lock_sha256": lockDigest(lockBytes), "bundle_sha256": bundleSum, "binary": bin})
			}
			fmt.Fprintf(a.stdout, "wrote %s (%d packages%s)\nlock sha256 %s (on the target: rpmvault verify|install BUNDLE --lock-sha256 %[4]s)\nbundle sha256 %s (on the target, before unpacking it: echo '%[5]s  %s' | sha256sum -c)\n",
				out, len(lk.Packages()), sourceCount(lk), lockDigest(lockBytes), bundleSum, filepath.Base(out))
			return nil
		},
	}
	manifestFlags(cmd)
	storeFlags(cmd)
	cmd.Flags().String("lock", "", "lockfile to bundle exactly (with -m: where to write the lock)")
	lockArchFlag(cmd)
	cmd.Flags().StringP("output", "o", "", "bundle file to write (.tar.gz)")
	cmd.Flags().String("binary", "", "static rpmvault to ship as bin/rpmvault (default: this executable)")
	abiFlag(cmd, "with -m: skip the check that the closure's binaries find every symbol they need")
	sourceFlags(cmd)
	jsonFlag(cmd, "print what was written as JSON")
	return cmd
}

func (a *app) verifyCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "verify BUNDLE [--lock-sha256 HEX] [--trusted-keys DIR] [--json]",
		Short: "Check a bundle's checksums, lock, header NEVRAs and signatures, from a trust anchor outside it",
		Args:  exactArgs("BUNDLE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			anchor, err := a.anchor(cmd.Context(), "", false)
			if err != nil {
				return err
			}
			_, lock, trust, cleanup, err := bundle.OpenAnchored(args[0], anchor)
			if err != nil {
				if a.cfg.GetBool("json") {
					// The verdict is data too: a script reads "ok" (the exit code says the same).
					if werr := writeJSON(a.stdout, map[string]any{"bundle": args[0], "ok": false, "error": err.Error()}); werr != nil {
						return werr
					}
				}
				return err
			}
			defer cleanup()
			if a.cfg.GetBool("json") {
				return writeJSON(a.stdout, map[string]any{"bundle": args[0], "ok": true, "packages": len(lock.Packages()), "sources": len(lock.Sources()),
					"lock_anchored": trust.LockAnchored, "keys_anchored": trust.KeysAnchored, "trust": trust.Summary})
			}
			fmt.Fprintf(a.stdout, "%s: OK (%d packages%s; checksums, lock, header NEVRAs and signatures verified)\n%s\n", args[0], len(lock.Packages()), sourceCount(lock), trust.Summary)
			return nil
		},
	}
	anchorFlags(cmd)
	jsonFlag(cmd, "print the verdict as JSON")
	return cmd
}

func (a *app) installCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "install BUNDLE [--root DIR] [--dry-run] [--stepwise] [--extract] [--baseline FILE] [--lock-sha256 HEX] [--trusted-keys DIR] [--import-keys] [--json]",
		Short: "Verify a bundle from a trust anchor, re-plan it against the installed packages and apply it in one rpm transaction (--stepwise: rpm --test, then step by step)",
		Args:  exactArgs("BUNDLE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			root := a.cfg.GetString("root")
			// Without --lock-sha256 or --trusted-keys, the keys the target's
			// rpmdb already trusts are the anchor (not a sysroot's: it has none).
			anchor, err := a.anchor(cmd.Context(), root, !a.cfg.GetBool("extract"))
			if err != nil {
				return err
			}
			anchor.TrustBundleKeys = a.cfg.GetBool("import-keys")
			dir, lock, trust, cleanup, err := bundle.OpenAnchored(args[0], anchor)
			if err != nil {
				return err
			}
			defer cleanup()
			fmt.Fprintln(a.stderr, trust.Summary)
			if !trust.Anchored() && !a.cfg.GetBool("import-keys") && !a.cfg.GetBool("dry-run") {
				return codedError{exitVerification, fmt.Errorf("nothing outside the bundle vouches for it, so it is not installed: " +
					"pass --lock-sha256 HEX (printed by `rpmvault bundle`), --trusted-keys DIR, import the distribution's key into the target first (rpm --import), " +
					"or --import-keys to trust the bundle's own keys/")}
			}
			importKeys, err := a.keysToImport(dir, lock, trust)
			if err != nil {
				return err
			}
			if a.cfg.GetBool("extract") {
				if root == "" || root == "/" {
					return usagef("--extract needs --root DIR (a sysroot to unpack into)")
				}
				var files []string
				for _, p := range lock.Packages() {
					files = append(files, filepath.Join(dir, "rpms", p.FileName()))
				}
				if err := installer.Extract(root, files); err != nil {
					return err
				}
				if a.cfg.GetBool("json") {
					return writeJSON(a.stdout, map[string]any{"extracted": len(files), "root": root})
				}
				fmt.Fprintf(a.stdout, "extracted %d packages into %s\n", len(files), root)
				return nil
			}
			plan, err := installer.Install(cmd.Context(), dir, lock, installer.Options{
				Root: root, InstalledFile: a.baselineFlag(),
				DryRun: a.cfg.GetBool("dry-run"), Stepwise: a.cfg.GetBool("stepwise"), ImportKeys: importKeys, Out: a.stderr,
			})
			if err != nil {
				return err
			}
			if a.cfg.GetBool("json") {
				// The plan applied (or, with --dry-run, to apply): resolve --json's shape.
				return writePlanJSON(a.stdout, plan, nil)
			}
			if a.cfg.GetBool("dry-run") {
				return writePlanTable(a.stdout, plan, nil)
			}
			fmt.Fprintf(a.stdout, "installed %d packages\n", len(plan.Packages))
			return nil
		},
	}
	cmd.Flags().String("root", "", "install into this root directory (rpm --root)")
	cmd.Flags().Bool("dry-run", false, "print the plan; change nothing")
	cmd.Flags().Bool("stepwise", false, "one rpm transaction per plan step, journaled so an interrupted install resumes")
	cmd.Flags().String("baseline", "", "installed set of the target (rpmvault capture or rpm -qa output) instead of querying rpm")
	cmd.Flags().String("installed", "", "the old name of --baseline")
	_ = cmd.Flags().MarkDeprecated("installed", "use --baseline (one name for the installed-set file everywhere)")
	cmd.Flags().Bool("extract", false, "unpack the payloads into --root in pure Go (no rpm, no privileges): a sysroot")
	cmd.Flags().Bool("import-keys", false, "import the bundle's signing keys into the target's rpmdb (with no anchor: trust them)")
	anchorFlags(cmd)
	jsonFlag(cmd, "print the plan (applied, or with --dry-run to apply) as JSON")
	return cmd
}

// baselineFlag is --baseline, or its deprecated spelling --installed.
func (a *app) baselineFlag() string {
	if b := a.cfg.GetString("baseline"); b != "" {
		return b
	}
	return a.cfg.GetString("installed")
}

// sourceCount is ", N source RPMs" for a lock that pins source RPMs.
func sourceCount(l *lock.Lock) string {
	if n := len(l.Sources()); n > 0 {
		return fmt.Sprintf(", %d source RPMs in sources/", n)
	}
	return ""
}
