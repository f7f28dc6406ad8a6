package publish

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/rpmvault/rpmvault/lock"
	"github.com/rpmvault/rpmvault/mirror"
	"github.com/rpmvault/rpmvault/store"
)

// Source hands out a lock's package files; every byte it yields must be
// checked against the sha256 (store.Store.Open does it as it reads).
type Source interface {
	Open(ctx context.Context, p lock.Package) (io.ReadCloser, int64, error)
}

// StoreSource serves packages from a store.
type StoreSource struct{ Store store.Store }

// Open implements Source.
func (s StoreSource) Open(ctx context.Context, p lock.Package) (io.ReadCloser, int64, error) {
	sha := p.SHA256()
	if sha == "" {
		return nil, 0, fmt.Errorf("%s has no sha256 in the lock (run rpmvault mirror first)", p.NEVRA())
	}
	o, err := s.Store.Open(ctx, sha)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w (run rpmvault mirror first)", p.NEVRA(), err)
	}
	return o, o.Size(), nil
}

// Input is what to publish.
type Input struct {
	Lock   *lock.Lock
	Source Source
	Keys   map[string][]byte // file name -> key, as bundles carry them
	// Name names the repo (repos/NAME); default: the lock's manifest name.
	Name string
	// URL is where the tree will be served (what the .repo file points at).
	URL string
}

// Result says what Publish wrote.
type Result struct {
	Name     string
	RepoFile string // tree path of the .repo file
	Uploaded int    // packages written now
	Present  int    // packages the tree already had
}

// validRepoName: a letter or digit, then up to 99 letters, digits and
// . _ + -. Checked by hand, not by a regexp: compiling the counted
// repetitions at init cost every command of the binary milliseconds.
func validRepoName(s string) bool { return validChars(s, 100, "._+-") }

// validFileName: a letter or digit, then up to 250 letters, digits and
// . _ + ~ ^ -, then ".rpm".
func validFileName(s string) bool {
	base, ok := strings.CutSuffix(s, ".rpm")
	return ok && validChars(base, 251, "._+~^-")
}

// validChars: s has 1 to most bytes, the first a letter or digit, the
// others letters, digits or bytes of punct.
func validChars(s string, most int, punct string) bool {
	if len(s) == 0 || len(s) > most {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			continue
		}
		if i == 0 || strings.IndexByte(punct, c) < 0 {
			return false
		}
	}
	return true
}

// fixedTime is every published package's file time in the repodata, so
// one lock publishes to identical metadata wherever and whenever.
var fixedTime = time.Date(2015, 7, 14, 0, 0, 0, 0, time.UTC).Unix()

// Publish writes in's packages (by content) and repodata (per lock) into t.
// Packages go first, repodata next and repomd.xml last, so a client never
// sees metadata that points at what is not there yet.
func Publish(ctx context.Context, t Tree, in Input) (Result, error) {
	name := in.Name
	if name == "" {
		name = in.Lock.RPMVault.Manifest
	}
	if !validRepoName(name) {
		return Result{}, fmt.Errorf("publish: repo name %q must be letters, digits, . _ + - (use --name)", name)
	}
	res := Result{Name: name}
	var entries []mirror.RepoEntry
	for _, p := range in.Lock.Packages() {
		sha := p.SHA256()
		if sha == "" || !store.ValidName(sha) || !validFileName(p.FileName()) {
			return res, fmt.Errorf("publish: %s has no valid sha256 or file name in the lock (run rpmvault mirror first)", p.NEVRA())
		}
		loc := path.Join("rpms", sha, p.FileName())
		had, err := t.Exists(ctx, loc)
		if err != nil {
			return res, err
		}
		if !had {
			if err := copyPackage(ctx, t, in.Source, p, loc); err != nil {
				return res, err
			}
			res.Uploaded++
		} else {
			res.Present++
		}
		// Describe it from the published copy: checked against its name.
		e, err := scanPublished(ctx, t, loc, sha)
		if err != nil {
			return res, fmt.Errorf("publish %s: %w", p.NEVRA(), err)
		}
		e.Pkg.Location = loc
		entries = append(entries, e)
	}
	repo := path.Join("repos", name)
	stage, err := os.MkdirTemp("", "rpmvault-publish-*")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(stage)
	if err := mirror.WriteRepodata(stage, entries); err != nil {
		return res, fmt.Errorf("publish: repodata: %w", err)
	}
	files, err := filepath.Glob(filepath.Join(stage, "repodata", "*"))
	if err != nil {
		return res, err
	}
	sort.Slice(files, func(i, j int) bool { return filepath.Base(files[j]) == "repomd.xml" })
	for _, f := range files {
		if err := writeFile(ctx, t, path.Join(repo, "repodata", filepath.Base(f)), f); err != nil {
			return res, err
		}
	}
	var keyURLs []string
	keyNames := make([]string, 0, len(in.Keys))
	for k := range in.Keys {
		keyNames = append(keyNames, k)
	}
	sort.Strings(keyNames)
	base := strings.TrimSuffix(in.URL, "/") + "/" + repo + "/"
	for _, k := range keyNames {
		kn := filepath.Base(k)
		if err := t.Write(ctx, path.Join(repo, "keys", kn), int64(len(in.Keys[k])), bytes.NewReader(in.Keys[k]), true); err != nil {
			return res, err
		}
		keyURLs = append(keyURLs, base+"keys/"+kn)
	}
	gpgcheck := len(keyURLs) > 0
	for _, r := range in.Lock.RPMVault.Repos {
		gpgcheck = gpgcheck && r.GPGCheck
	}
	rf := repoFile(name, base, keyURLs, gpgcheck)
	res.RepoFile = path.Join(repo, name+".repo")
	if err := t.Write(ctx, res.RepoFile, int64(len(rf)), strings.NewReader(rf), true); err != nil {
		return res, err
	}
	if d, ok := t.(dirTree); ok {
		if err := d.link(repo); err != nil {
			return res, fmt.Errorf("publish: link %s/rpms: %w", repo, err)
		}
	}
	return res, nil
}

func copyPackage(ctx context.Context, t Tree, src Source, p lock.Package, loc string) error {
	rc, size, err := src.Open(ctx, p)
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := t.Write(ctx, loc, size, rc, false); err != nil {
		return fmt.Errorf("publish %s: %w", p.NEVRA(), err)
	}
	return nil
}

// scanPublished reads a published package into a repo entry, checking that
// it hashes to its name (a tree is not a store: nothing else vouches for it).
func scanPublished(ctx context.Context, t Tree, loc, sha string) (mirror.RepoEntry, error) {
	f, err := t.Open(ctx, loc)
	if err != nil {
		return mirror.RepoEntry{}, err
	}
	defer f.Close()
	e, err := mirror.ScanRPM(f, loc, fixedTime)
	if err != nil {
		return e, err
	}
	if e.Pkg.Checksum.Hex != sha {
		return e, &store.CorruptError{Name: sha, Detail: fmt.Sprintf("%s in %s hashes to sha256 %s", loc, t, e.Pkg.Checksum.Hex)}
	}
	return e, nil
}

func writeFile(ctx context.Context, t Tree, name, local string) error {
	f, err := os.Open(local)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	return t.Write(ctx, name, st.Size(), f, true)
}

// repoFile is a ready yum .repo file (yum 3.2 and dnf read it).
func repoFile(name, baseURL string, keys []string, gpgcheck bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Published by rpmvault: copy to /etc/yum.repos.d/ on each box.\n")
	fmt.Fprintf(&b, "[rpmvault-%s]\nname=rpmvault %s\nbaseurl=%s\nenabled=1\n", name, name, baseURL)
	if gpgcheck {
		fmt.Fprintf(&b, "gpgcheck=1\ngpgkey=%s\n", strings.Join(keys, "\n       "))
	} else {
		b.WriteString("gpgcheck=0\n")
	}
	b.WriteString("metadata_expire=6h\n")
	return b.String()
}
