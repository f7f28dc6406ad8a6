package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rpmvault/rpmvault/bundle"
	"github.com/rpmvault/rpmvault/installer"
	"github.com/rpmvault/rpmvault/lock"
	"github.com/rpmvault/rpmvault/mirror"
)

// anchorFlags are the trust anchors of verify and install: what they start
// from that the bundle's maker does not control.
func anchorFlags(cmd *cobra.Command) {
	cmd.Flags().String("lock-sha256", "", "sha256 of the lock the bundle must carry (printed by bundle and resolve --lock)")
	cmd.Flags().String("trusted-keys", "", "directory of public keys every package must be signed by (e.g. /etc/pki/rpm-gpg)")
}

// anchor builds the trust anchor from --lock-sha256 and --trusted-keys, or,
// when rpmdbRoot is set and neither is given, from the keys the target's
// rpmdb already holds.
func (a *app) anchor(ctx context.Context, rpmdbRoot string, useRPMDB bool) (bundle.Anchor, error) {
	an := bundle.Anchor{LockSHA256: a.cfg.GetString("lock-sha256")}
	if dir := a.cfg.GetString("trusted-keys"); dir != "" {
		blobs, _, err := bundle.KeyFiles(dir)
		if err != nil {
			return an, fmt.Errorf("--trusted-keys %s: %w", dir, err)
		}
		if len(blobs) == 0 {
			return an, usagef("--trusted-keys %s holds no key files", dir)
		}
		if an.Keys, err = mirror.ParseKeys(blobs...); err != nil {
			return an, fmt.Errorf("--trusted-keys %s: %w", dir, err)
		}
		an.KeysFrom = "--trusted-keys " + dir
		return an, nil
	}
	if !useRPMDB || an.LockSHA256 != "" {
		return an, nil
	}
	blobs, err := installer.RPMDBKeys(ctx, rpmdbRoot)
	if err != nil {
		a.log.Warn("cannot read the target's rpmdb keys; they anchor nothing", "err", err)
		return an, nil
	}
	if len(blobs) > 0 {
		if an.Keys, err = mirror.ParseKeys(blobs...); err != nil {
			return an, fmt.Errorf("the rpmdb's keys: %w", err)
		}
		root := rpmdbRoot
		if root == "" {
			root = "/"
		}
		an.KeysFrom = "the rpmdb of " + root
	}
	return an, nil
}

// keysToImport picks the key files --import-keys imports: with an anchored
// lock, the bundle's keys that signed a package of the lock; with
// --trusted-keys, those; with no anchor, the bundle's keys, because the
// user said so.
func (a *app) keysToImport(dir string, l *lock.Lock, trust *bundle.Trust) ([]string, error) {
	if !a.cfg.GetBool("import-keys") {
		return nil, nil
	}
	keyDir := filepath.Join(dir, "keys")
	if d := a.cfg.GetString("trusted-keys"); d != "" && !trust.LockAnchored {
		keyDir = d
	} else if trust.KeysAnchored && !trust.LockAnchored {
		// The rpmdb's own keys vouched for every package: the target
		// needs none of keys/ (which is not anchored) to trust them.
		a.log.Info("--import-keys: nothing to import, the rpmdb's keys already sign every package of the bundle")
		return nil, nil
	}
	blobs, paths, err := bundle.KeyFiles(keyDir)
	if err != nil {
		return nil, err
	}
	if !trust.LockAnchored {
		return paths, nil
	}
	signers := map[string]bool{}
	for _, p := range append(l.Packages(), l.Sources()...) {
		signers[p.SigningKey] = true
	}
	// The anchored lock names the keys its packages were verified with;
	// keys/ is not anchored. rpm --import takes every key of a file, so a
	// file is imported only if each of its keys is one of those: a
	// forger's key beside the distribution's would otherwise be trusted
	// by the target's rpmdb from then on.
	var out []string
	for i, b := range blobs {
		kr, err := mirror.ParseKeys(b)
		if err != nil {
			return nil, &bundle.Error{File: "keys/" + filepath.Base(paths[i]), Detail: err.Error()}
		}
		ids := kr.KeyIDs()
		var signing, others []string
		for _, id := range ids {
			if signers[id] {
				signing = append(signing, id)
			} else {
				others = append(others, id)
			}
		}
		switch {
		case len(signing) > 0 && len(others) > 0:
			return nil, &bundle.Error{File: "keys/" + filepath.Base(paths[i]), Detail: fmt.Sprintf(
				"holds key %s, which signs nothing the anchored lock pins, beside %s, which does: rpm --import would trust both, so nothing is imported (remove the extra key, or import the right one yourself with rpm --import)",
				strings.Join(others, ", "), strings.Join(signing, ", "))}
		case len(signing) > 0:
			out = append(out, paths[i])
		}
	}
	return out, nil
}

// lockDigest is the sha256 a lock file is anchored by (--lock-sha256).
func lockDigest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// writeLockAnchored writes l to file and tells the user the sha256 that
// anchors it on the target (on stderr: stdout may be --json data).
func (a *app) writeLockAnchored(file string, l *lock.Lock) error {
	if err := lock.Write(file, l); err != nil {
		return err
	}
	b, err := l.Marshal()
	if err != nil {
		return err
	}
	unpinned := 0
	for _, p := range append(l.Packages(), l.Sources()...) {
		if p.SHA256() == "" {
			unpinned++
		}
	}
	if unpinned > 0 {
		fmt.Fprintf(a.stderr, "lock %s: sha256 %s; %d package(s) not pinned by sha256 yet (header-only sources): mirror or bundle pins them and prints the lock's final sha256\n", file, lockDigest(b), unpinned)
		return nil
	}
	fmt.Fprintf(a.stderr, "lock %s: sha256 %s (on the target: rpmvault verify|install BUNDLE --lock-sha256 %[2]s)\n", file, lockDigest(b))
	return nil
}
