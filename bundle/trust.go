package bundle

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/rpmvault/rpmvault/internal/digest"
	"github.com/rpmvault/rpmvault/internal/parallel"
	"github.com/rpmvault/rpmvault/internal/rpmfile"
	"github.com/rpmvault/rpmvault/lock"
	"github.com/rpmvault/rpmvault/mirror"
	"github.com/rpmvault/rpmvault/resolver"
)

// Anchor is what verifying a bundle starts from that whoever made the bundle
// does not control. SHA256SUMS, lock.yaml and keys/ travel inside the bundle:
// an attacker who swaps a package can rewrite all three.
type Anchor struct {
	// LockSHA256 is the sha256 of the lock.yaml the bundle must carry (as
	// `rpmvault bundle` and `resolve --lock` print it). The lock then vouches
	// for every package through its sha256 pins, and for its gpgcheck flags.
	LockSHA256 string
	// Keys are keys trusted outside the bundle (--trusted-keys, or the
	// target's rpmdb). Every package must then be signed by one of them over
	// its header and payload, whatever the bundle's lock says of gpgcheck
	// (unless an anchored lock says it).
	Keys *mirror.Keyring
	// KeysFrom says where Keys came from, for messages.
	KeysFrom string
	// TrustBundleKeys (install --import-keys, with no other anchor) holds
	// every package to the bundle's own keys/: the user chose to trust
	// them, not the lock's gpgcheck: false.
	TrustBundleKeys bool
}

// Trust says what a verified bundle was anchored to.
type Trust struct {
	LockAnchored, KeysAnchored bool
	// Summary is one line for people: what was anchored, and what was not.
	Summary string
}

// Anchored reports whether anything outside the bundle vouched for it.
func (t *Trust) Anchored() bool { return t.LockAnchored || t.KeysAnchored }

// VerifyWith checks an extracted bundle from anchor: first lock.yaml against
// the anchored sha256, then every file against SHA256SUMS and the lock's
// pins, then each package's header NEVRA against its lock entry, and its
// signature (covering the payload) against the anchored keys, or, for
// what no anchored key has to vouch for, against the bundle's keys/.
func VerifyWith(dir string, anchor Anchor) (*lock.Lock, *Trust, error) {
	trust := &Trust{}
	if anchor.LockSHA256 != "" {
		want := strings.ToLower(strings.TrimSpace(anchor.LockSHA256))
		if !digest.ValidSHA256(want) {
			return nil, nil, &Error{File: "lock.yaml", Detail: fmt.Sprintf("--lock-sha256 %q is not a sha256 (64 hex digits)", anchor.LockSHA256)}
		}
		got, err := digest.FileSHA256(filepath.Join(dir, "lock.yaml"))
		if err != nil {
			return nil, nil, &Error{File: "lock.yaml", Detail: "missing: " + err.Error()}
		}
		if got != want {
			return nil, nil, &Error{File: "lock.yaml", Detail: fmt.Sprintf("sha256 %s, but --lock-sha256 says %s: this is not the lock you trusted; nothing in the bundle is (refusing it)", got, want)}
		}
		trust.LockAnchored = true
	}
	l, err := verifyFiles(dir)
	if err != nil {
		return nil, nil, err
	}
	own, err := bundleKeys(dir)
	if err != nil {
		return nil, nil, err
	}
	ownTrusted := anchor.TrustBundleKeys && anchor.Keys == nil && !trust.LockAnchored && own != nil
	if ownTrusted {
		anchor.Keys, anchor.KeysFrom = own, "the bundle's own keys/ (trusted because of --import-keys)"
	}
	pkgs := append(l.Packages(), l.Sources()...)
	if err := parallel.Each(len(pkgs), func(i int) error {
		return verifyPackage(dir, l, pkgs[i], own, anchor, trust.LockAnchored)
	}); err != nil {
		return nil, nil, err
	}
	if err := verifySBOM(dir, l); err != nil {
		return nil, nil, err
	}
	trust.KeysAnchored = anchor.Keys != nil && !ownTrusted
	switch {
	case ownTrusted:
		trust.Summary = "NOT anchored outside the bundle: every package is signed by the bundle's own keys/, which you chose to trust with --import-keys " +
			"(pass --lock-sha256 HEX or --trusted-keys DIR to anchor it)"
	case trust.LockAnchored && trust.KeysAnchored:
		trust.Summary = fmt.Sprintf("anchored: lock.yaml matches --lock-sha256, so every package is the one it pins; signed packages are signed by keys from %s", anchor.KeysFrom)
	case trust.LockAnchored:
		trust.Summary = "anchored: lock.yaml matches --lock-sha256, so every package is the one it pins (sha256)"
	case trust.KeysAnchored:
		trust.Summary = fmt.Sprintf("anchored: every package is signed over header and payload by a key from %s (%s); lock.yaml itself is NOT anchored (add --lock-sha256 for that)",
			anchor.KeysFrom, strings.Join(anchor.Keys.KeyIDs(), ", "))
	default:
		trust.Summary = "NOT anchored: checked only against the bundle's own SHA256SUMS, lock.yaml and keys/, which whoever made the bundle controls; " +
			"pass --lock-sha256 HEX (printed by `rpmvault bundle`) or --trusted-keys DIR"
	}
	return l, trust, nil
}

// verifyPackage checks one RPM of the bundle in one pass over its bytes:
// its sha256 against the lock's pin (which verifyFiles matched to
// SHA256SUMS), its header NEVRA against the lock entry, its digests and
// its signature.
func verifyPackage(dir string, l *lock.Lock, p lock.Package, own *mirror.Keyring, anchor Anchor, lockAnchored bool) error {
	repo, _ := l.Repo(p.RepoID)
	keys := own
	if !repo.GPGCheck {
		keys = nil
	}
	if anchor.Keys != nil && !(lockAnchored && !repo.GPGCheck) {
		// An unanchored lock's gpgcheck: false proves nothing.
		keys = anchor.Keys
	}
	name := bundlePath(p)
	if lockAnchored && anchor.Keys == nil {
		// The anchored lock pins every byte: a file that hashes to its pin
		// is the one the mirror verified (digests, signature) when it
		// entered the store, so one pass of sha256 is the whole check.
		return checkPinned(filepath.Join(dir, name), name, p)
	}
	facts, err := verifyRPMFile(filepath.Join(dir, name), keys)
	if err != nil {
		detail := err.Error()
		switch {
		case keys != anchor.Keys || anchor.Keys == nil:
		case errors.Is(err, mirror.ErrNotSigned):
			detail = fmt.Sprintf("is not signed, so no key from %s vouches for it (a package of an unsigned repo can only be vouched for by --lock-sha256)", anchor.KeysFrom)
		default:
			detail = fmt.Sprintf("not vouched for by a key from %s: %s", anchor.KeysFrom, detail)
		}
		return &Error{File: name, Detail: detail}
	}
	if facts.SHA256 != p.SHA256() {
		return &Error{File: name, Detail: fmt.Sprintf("sha256 %s, lock.yaml and SHA256SUMS say %s", facts.SHA256, p.SHA256())}
	}
	if err := facts.Matches(p); err != nil {
		return &Error{File: name, Detail: err.Error()}
	}
	return nil
}

// checkPinned checks a package against the sha256 an anchored lock pins,
// then (its bytes verified) that its header names the lock's package.
func checkPinned(path, name string, p lock.Package) error {
	got, err := digest.FileSHA256(path)
	if err != nil {
		return err
	}
	if got != p.SHA256() {
		return &Error{File: name, Detail: fmt.Sprintf("sha256 %s, lock.yaml pins %s", got, p.SHA256())}
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	pkg, err := rpmfile.Read(f)
	if err != nil {
		return &Error{File: name, Detail: err.Error()}
	}
	n, err := pkg.Header.GetNEVRA()
	if err != nil {
		return &Error{File: name, Detail: err.Error()}
	}
	facts := &mirror.RPMFacts{SHA256: got, Name: n.Name, Epoch: n.Epoch, Version: n.Version, Release: n.Release, Arch: n.Arch}
	if pkg.Raw.Source {
		facts.Arch = resolver.SourceArch // a source header's ARCH is its build host's
	}
	if err := facts.Matches(p); err != nil {
		return &Error{File: name, Detail: err.Error()}
	}
	return nil
}

func verifyRPMFile(path string, keys *mirror.Keyring) (*mirror.RPMFacts, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return mirror.VerifyRPM(f, keys)
}

// bundleKeys reads the bundle's own keys/ (nil when there are none).
func bundleKeys(dir string) (*mirror.Keyring, error) {
	blobs, _, err := KeyFiles(filepath.Join(dir, "keys"))
	if err != nil || len(blobs) == 0 {
		return nil, err
	}
	keys, err := mirror.ParseKeys(blobs...)
	if err != nil {
		return nil, &Error{File: "keys/", Detail: err.Error()}
	}
	return keys, nil
}

// KeyFiles reads the regular files of a key directory (a bundle's keys/,
// or one given with --trusted-keys): their contents and paths.
func KeyFiles(dir string) (blobs [][]byte, paths []string, err error) {
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		return nil, nil, err
	}
	for _, k := range files {
		if st, err := os.Stat(k); err != nil || !st.Mode().IsRegular() {
			continue
		}
		b, err := os.ReadFile(k)
		if err != nil {
			return nil, nil, err
		}
		blobs, paths = append(blobs, b), append(paths, k)
	}
	return blobs, paths, nil
}
