package installer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/rpmvault/rpmvault/resolver"
)

// journalPath is the stepwise journal of the bundle in dir: inside the
// root, at var/lib/rpmvault/journal-<sha256 of the bundle's lock.yaml>, so
// it names exactly one lock (a journal of another bundle, or of another
// build of the same manifest, is never read for this one) and nothing
// taken from the lock becomes part of a path. A symlink on the way is
// refused: the journal must not be written outside the root.
func journalPath(root, dir string) (string, error) {
	data, err := os.ReadFile(filepath.Join(dir, "lock.yaml"))
	if err != nil {
		return "", fmt.Errorf("stepwise journal: %w", err)
	}
	sum := sha256.Sum256(data)
	cur := rootPath(root)
	for _, part := range []string{"var", "lib", "rpmvault"} {
		cur = filepath.Join(cur, part)
		st, err := os.Lstat(cur)
		switch {
		case os.IsNotExist(err):
			if err := os.Mkdir(cur, 0o755); err != nil {
				return "", fmt.Errorf("stepwise journal: %w", err)
			}
		case err != nil:
			return "", fmt.Errorf("stepwise journal: %w", err)
		case !st.IsDir():
			return "", fmt.Errorf("stepwise journal: %s is a %s, not a directory: refusing to write through it", cur, st.Mode().Type())
		}
	}
	return filepath.Join(cur, "journal-"+hex.EncodeToString(sum[:])), nil
}

// applyStepwise runs one rpm transaction per plan step, recording finished
// steps in a journal inside the root so a rerun continues where it stopped.
// A step the journal lists is skipped only if the rpmdb really holds every
// package of it: a stale or copied journal cannot make an install skip work.
func applyStepwise(ctx context.Context, plan *resolver.Plan, dir string, opts Options, out io.Writer) error {
	journal, err := journalPath(opts.Root, dir)
	if err != nil {
		return err
	}
	done, err := readJournal(journal)
	if err != nil {
		return err
	}
	for step := 1; step <= plan.Steps; step++ {
		var files, nevras []string
		for _, pp := range plan.Packages {
			if pp.Step == step {
				files = append(files, pp.URLs[0])
				p := pp.Package // name-version-release.arch: what rpm 4.8's -q takes
				nevras = append(nevras, p.Name+"-"+p.EVR.Version+"-"+p.EVR.Release+"."+p.Arch)
			}
		}
		if len(files) == 0 {
			continue
		}
		if done[step] {
			if installedAll(ctx, opts.Root, nevras) {
				fmt.Fprintf(out, "step %d/%d: done before (the journal and the rpmdb agree)\n", step, plan.Steps)
				continue
			}
			fmt.Fprintf(out, "step %d/%d: the journal says done but the rpmdb lacks its packages: running it\n", step, plan.Steps)
		}
		fmt.Fprintf(out, "step %d/%d: %d packages\n", step, plan.Steps, len(files))
		if o, err := rpm(ctx, opts.Root, append([]string{"-U"}, files...)...); err != nil {
			return fmt.Errorf("step %d of %d failed (rerun to resume from it): %v\n%s", step, plan.Steps, err, o)
		}
		f, err := os.OpenFile(journal, os.O_CREATE|os.O_APPEND|os.O_WRONLY|syscallNoFollow, 0o644)
		if err != nil {
			return err
		}
		fmt.Fprintf(f, "%d\n", step)
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
		f.Close()
	}
	return os.Remove(journal)
}

// installedAll reports whether the rpmdb holds every one of nvras (rpm -q
// fails if any is missing).
func installedAll(ctx context.Context, root string, nvras []string) bool {
	_, err := rpm(ctx, root, append([]string{"-q"}, nvras...)...)
	return err == nil
}

// maxJournal bounds a journal: a line per step.
const maxJournal = 1 << 20

// readJournal returns the steps a journal records as done. The journal
// must be a regular file, not a link (it would be appended to after the
// first step, through the link, or could be /dev/zero): that is refused
// before any step runs.
func readJournal(journal string) (map[int]bool, error) {
	done := map[int]bool{}
	f, err := os.OpenFile(journal, os.O_RDONLY|syscallNoFollow|syscall.O_NONBLOCK, 0)
	if os.IsNotExist(err) {
		return done, nil
	}
	if err != nil {
		return nil, fmt.Errorf("stepwise journal %s: %w (it must be a regular file: remove it to start over)", journal, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return nil, fmt.Errorf("stepwise journal %s is not a regular file: remove it to start over", journal)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxJournal))
	if err != nil {
		return nil, fmt.Errorf("stepwise journal %s: %w", journal, err)
	}
	for _, field := range strings.Fields(string(b)) {
		if n, err := strconv.Atoi(field); err == nil {
			done[n] = true
		}
	}
	return done, nil
}
