package installer

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/rpmvault/rpmvault/lock"
	"github.com/rpmvault/rpmvault/resolver"
	"github.com/rpmvault/rpmvault/resolver/rpmdb"
	"github.com/rpmvault/rpmvault/resolver/rpmmd"
)

// Options tunes Install.
type Options struct {
	Root string // target root ("" or "/" for the running system)
	// InstalledFile, when set, is the installed set instead of querying rpm.
	InstalledFile string
	DryRun        bool
	// Stepwise applies the plan's steps one rpm transaction each, journaled
	// so an interrupted install resumes.
	Stepwise bool
	// ImportKeys are key files to import into the target's rpmdb before
	// applying: only what the caller was told to trust (--import-keys),
	// never silently the bundle's keys/.
	ImportKeys []string
	Out        io.Writer // progress for people
}

// TransactionError is rpm refusing the transaction in its checks, before
// it changed anything. The CLI exits 5 on it.
type TransactionError struct {
	Output string
}

func (e *TransactionError) Error() string {
	return "rpm refused the transaction, nothing was installed:\n" + strings.TrimSpace(e.Output)
}

// refusedBeforeChange reports whether rpm's output is that of a transaction
// its checks refused (rpm 4.8 to 4.19 word them so): dependencies, file
// conflicts, disk space, packages already installed. Such a transaction
// changed nothing.
func refusedBeforeChange(out string) bool {
	for _, marker := range []string{"Failed dependencies", "conflicts with file from package", "conflicts with ", "is already installed", "is obsoleted by", "intended for a different architecture", "intended for a different operating system"} {
		if strings.Contains(out, marker) {
			return true
		}
	}
	return strings.Contains(out, " needs ") && strings.Contains(out, " filesystem") // disk space

}

// Install applies a verified bundle in dir (whose lock is lock) to the target:
// it re-plans offline from the bundle's own repodata against what the target
// has installed and applies the plan in one rpm transaction (which rpm
// checks as a whole before changing anything), or with Stepwise checks the
// whole plan with rpm --test and applies it step by step.
func Install(ctx context.Context, dir string, lock *lock.Lock, opts Options) (*resolver.Plan, error) {
	out := opts.Out
	if out == nil {
		out = io.Discard
	}
	if len(lock.Packages()) == 0 {
		// A bundle of a box that had everything already (resolve against
		// its capture planned nothing): its repodata lists no package.
		fmt.Fprintln(out, "the bundle carries no packages: nothing to install")
		return &resolver.Plan{}, nil
	}
	installed, err := installedSet(ctx, opts)
	if err != nil {
		return nil, err
	}
	u, err := resolver.LoadUniverse(ctx, []resolver.Repo{{ID: "bundle", BaseURLs: []string{dir}}}, resolver.LoadOptions{Fetcher: rpmmd.LocalFetcher{}})
	if err != nil {
		return nil, fmt.Errorf("read the bundle's repodata: %w", err)
	}
	arch := "x86_64"
	if len(lock.Arches) > 0 {
		arch = lock.Arches[0].Arch
	}
	plan, err := resolver.Solve(u, resolver.Request{
		Install: lock.RPMVault.Install, Constraints: lock.RPMVault.Constraints, Exclude: lock.RPMVault.Exclude,
		Installed: installed, Arch: arch, Multilib: lock.RPMVault.Multilib,
	})
	if err != nil {
		return nil, err
	}
	if err := pinFiles(dir, lock, plan); err != nil {
		return nil, err
	}
	if len(plan.Packages) == 0 {
		fmt.Fprintln(out, "everything the bundle provides is already installed")
		return plan, nil
	}
	if opts.DryRun {
		return plan, nil
	}
	if err := preflight(opts.Root, arch, plan); err != nil {
		return nil, err
	}
	files := make([]string, 0, len(plan.Packages))
	for _, pp := range plan.Packages {
		files = append(files, pp.URLs[0])
	}
	// Keys the caller chose to trust (--import-keys) go in first, so rpm
	// checks the packages against them in the transaction itself.
	for _, k := range opts.ImportKeys {
		fmt.Fprintf(out, "importing key %s into the rpmdb (--import-keys)\n", filepath.Base(k))
		if o, err := rpm(ctx, opts.Root, "--import", k); err != nil {
			return nil, fmt.Errorf("import key %s: %v: %s", filepath.Base(k), err, o)
		}
	}
	if !opts.Stepwise {
		// One transaction: rpm checks dependencies, conflicts and disk
		// space for all of it before it changes anything, so a separate
		// --test pass would only do that work twice.
		fmt.Fprintf(out, "installing %d packages in one transaction\n", len(files))
		if o, err := rpm(ctx, opts.Root, append([]string{"-U"}, files...)...); err != nil {
			if refusedBeforeChange(o) {
				return nil, &TransactionError{Output: o}
			}
			return nil, fmt.Errorf("rpm -U: %v\n%s", err, o)
		}
		return plan, nil
	}
	// Steps are separate transactions: check the whole plan first, so
	// that a step does not fail after earlier ones were applied.
	fmt.Fprintf(out, "checking %d packages with rpm --test\n", len(files))
	if o, err := rpm(ctx, opts.Root, append([]string{"-U", "--test"}, files...)...); err != nil {
		return nil, &TransactionError{Output: o}
	}
	return plan, applyStepwise(ctx, plan, dir, opts, out)
}

// preflight checks what installing needs of the box itself (running Docker
// needs more; that is rpmvault doctor's job): the arch and room for the packages.
func preflight(root, arch string, plan *resolver.Plan) error {
	var failed []string
	if _, machine := kernel(rootPath(root)); machine != "" && machine != arch && !(arch == "i686" && machine == "x86_64") {
		failed = append(failed, fmt.Sprintf("arch: the bundle is for %s, this machine is %s", arch, machine))
	}
	var need uint64
	for _, pp := range plan.Packages {
		need += uint64(pp.Package.Size) * 3 // unpacked, roughly
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(rootPath(root), &st); err == nil && st.Bavail*uint64(st.Bsize) < need {
		failed = append(failed, fmt.Sprintf("disk: %d MB free in %s, the packages need about %d MB", st.Bavail*uint64(st.Bsize)>>20, rootPath(root), need>>20))
	}
	if len(failed) > 0 {
		return &PreflightError{Failed: failed}
	}
	return nil
}

func rootPath(root string) string {
	if root == "" {
		return "/"
	}
	return root
}

func rpm(ctx context.Context, root string, args ...string) (string, error) {
	if root != "" && root != "/" {
		args = append([]string{"--root", root}, args...)
	}
	cmd := exec.CommandContext(ctx, "rpm", args...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	return buf.String(), err
}

// installedSet reads what the target has: from a file, or from the rpmdb
// with each package's provides, requires and files (the capture query), so
// that the re-plan knows what the installed packages already satisfy.
func installedSet(ctx context.Context, opts Options) ([]*resolver.Package, error) {
	if opts.InstalledFile != "" {
		return rpmdb.LoadInstalled(opts.InstalledFile)
	}
	var buf bytes.Buffer
	if err := queryInstalled(ctx, opts.Root, &buf); err != nil {
		return nil, err
	}
	b, err := rpmdb.ParseBaseline(&buf)
	if err != nil {
		return nil, fmt.Errorf("read rpm's list of installed packages: %w", err)
	}
	return b.Packages, nil
}
