package resolver

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"maps"
	"runtime"
	"slices"
)

// ParsedCache is implemented by fetchers that keep parsed repos: the binary
// form writeParsed makes of a repo's packages (libsolv's .solv), so a second
// resolve of an unchanged repo reads no XML at all.
type ParsedCache interface {
	// OpenParsed opens the entry for key, or fails when there is none.
	OpenParsed(key string) (io.ReadCloser, error)
	// SaveParsed replaces the entry for key with what write writes, atomically.
	SaveParsed(key string, write func(io.Writer) error) error
}

// parsedRepo is what a repo's parsed-cache entry holds, or will.
type parsedRepo struct {
	key  string
	pkgs []*Package
	// kept are the paths merged into pkgs from filelists; nil when filelists
	// were not read.
	kept  map[string]bool
	dirty bool // pkgs or kept changed since the entry was read
}

// parsedKey names a repo's entry: the repo id (stored in every package) and
// the checksums of the metadata it was parsed from.
func parsedKey(repo string, md *RepoMD) string {
	h := sha256.New()
	io.WriteString(h, parsedMagic)
	for _, part := range []string{repo, md.Files["primary"].Checksum.String(), md.Files["filelists"].Checksum.String()} {
		io.WriteString(h, part)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// openParsed reads the entry for key; ok is false when there is none or it
// cannot be used (then the repo is parsed from XML and the entry rewritten).
func openParsed(c ParsedCache, key, repo string) (*parsedRepo, bool) {
	rc, err := c.OpenParsed(key)
	if err != nil {
		return nil, false
	}
	defer rc.Close()
	pkgs, kept, err := readParsed(rc, repo)
	if err != nil {
		return nil, false
	}
	pr := &parsedRepo{key: key, pkgs: pkgs}
	if kept != nil {
		pr.kept = make(map[string]bool, len(kept))
		for _, k := range kept {
			pr.kept[k] = true
		}
	}
	return pr, true
}

// save writes the entry if it changed. A cache that cannot be written only
// costs the next resolve a parse, so the caller may ignore the error.
func (pr *parsedRepo) save(c ParsedCache) error {
	if !pr.dirty {
		return nil
	}
	var kept []string
	if pr.kept != nil {
		kept = slices.Sorted(maps.Keys(pr.kept))
	}
	err := c.SaveParsed(pr.key, func(w io.Writer) error { return writeParsed(w, pr.pkgs, kept) })
	if err == nil {
		pr.dirty = false
	}
	return err
}

// missing returns the paths of wanted not yet merged from filelists (all of
// them when nil: wanted nil means every path).
func (pr *parsedRepo) missing(wanted map[string]bool) (map[string]bool, bool) {
	if pr == nil || pr.kept == nil || wanted == nil {
		return wanted, true
	}
	var out map[string]bool
	for p := range wanted {
		if !pr.kept[p] {
			if out == nil {
				out = map[string]bool{}
			}
			out[p] = true
		}
	}
	return out, out != nil
}

// saveParsed writes the parsed-cache entries of repos read or extended by
// this resolve.
func (u *Universe) saveParsed() {
	if u.parsedCache == nil {
		return
	}
	collected := false
	for _, st := range u.Sources {
		if st.parsed == nil || !st.parsed.dirty {
			continue
		}
		if !collected {
			// Called after a solve: collect the solver's memory first so
			// encoding reuses it instead of growing the heap past the
			// solve's peak.
			runtime.GC()
			collected = true
		}
		_ = st.parsed.save(u.parsedCache) // only costs a parse next time
	}
}
