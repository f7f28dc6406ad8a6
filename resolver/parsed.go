package resolver

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"maps"
	"slices"
	"sync"

	"github.com/rpmvault/rpmvault/resolver/rpmmd"
)

// ParsedCache is implemented by fetchers that keep parsed repos: the
// resolver's own binary form of a repo's packages (as libsolv keeps .solv
// files), so a second resolve of an unchanged repo reads no XML at all.
type ParsedCache interface {
	// OpenParsed opens the entry for key, or fails when there is none.
	OpenParsed(key string) (io.ReadCloser, error)
	// SaveParsed replaces the entry for key with what write writes, atomically.
	SaveParsed(key string, write func(io.Writer) error) error
}

// parsedRepo is a repo's packages and what its parsed-cache entries hold, or
// will: the packages as primary.xml gives them (writeParsed), and what
// filelists added to them (writeParsedFiles, under key+"-files").
type parsedRepo struct {
	key string
	// first and n are the repo's packages in the universe; first is set
	// when the repo joins it. What filelists added to them is in the
	// universe's added.
	first, n int
	// kept are the paths merged into pkgs from filelists; nil when filelists
	// were not read.
	kept map[string]bool

	savePkgs  bool           // parsed from XML: the packages entry is to be written
	saveFiles bool           // kept grew: the file-lists entry is to be written
	saving    sync.WaitGroup // the packages entry being written
}

func newParsedRepo(key string, part *repoPart) *parsedRepo {
	return &parsedRepo{key: key, n: len(part.pkgs)}
}

// parsedKey names a repo's entry: the repo id (stored in every package) and
// the checksums of the metadata it was parsed from.
func parsedKey(repo string, md *rpmmd.RepoMD) string {
	h := sha256.New()
	io.WriteString(h, parsedMagic)
	for _, part := range []string{repo, md.Files["primary"].Checksum.String(), md.Files["filelists"].Checksum.String()} {
		io.WriteString(h, part)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// openParsed reads the entries for key; ok is false when there are none or
// they cannot be used (then the repo is parsed from XML and they are
// rewritten). A file-lists entry that cannot be used only loses its paths.
func openParsed(c ParsedCache, key, repo string) (*parsedRepo, *repoPart, bool) {
	rc, err := c.OpenParsed(key)
	if err != nil {
		return nil, nil, false
	}
	part, err := readParsed(rc, repo)
	rc.Close()
	if err != nil {
		return nil, nil, false
	}
	// The checksum only catches accidents: the records get the checks
	// primary.xml's get.
	if !part.checked() {
		if part.entry.unmap != nil {
			part.entry.unmap() // nothing has read from it yet
		}
		return nil, nil, false
	}
	pr := newParsedRepo(key, part)
	if rc, err := c.OpenParsed(key + "-files"); err == nil {
		if kept, err := readParsedFiles(rc, part); err == nil {
			pr.kept = make(map[string]bool, len(kept))
			for _, k := range kept {
				pr.kept[k] = true
			}
		}
		rc.Close()
	}
	return pr, part, true
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

// startSaving builds the universe's look-ups (index) and writes the
// packages entries of repos parsed from XML, each on its own goroutine,
// while the solve goes on. A writer numbers its entry's strings and
// dependencies while the look-ups are built, then waits for them: an
// entry of the whole universe renumbers them rather than building its
// own. Merging file lists into those packages waits for the writers (see
// loadFileLists); finishSaving waits for all.
func (u *Universe) startSaving() {
	if u.parsedCache == nil || u.pool == nil {
		u.index()
		if u.parsedCache == nil {
			return
		}
	}
	// The writers read the pool as it is now: the solve may append to it
	// meanwhile, never changing what is already there. A repo's records
	// change only when file lists merge into them, which waits (saving).
	pool := *u.pool
	var idx *uniIndex
	indexed := make(chan struct{})
	for _, st := range u.Sources {
		pr := st.parsed
		if pr == nil || !pr.savePkgs {
			continue
		}
		pr.savePkgs = false
		pr.saving.Add(1)
		pkgs := u.pkgs[pr.first : pr.first+pr.n]
		whole := pr.first == 0 && pr.n == len(u.pkgs)
		lookups := func() *uniIndex {
			<-indexed
			if !whole {
				return nil
			}
			return idx
		}
		go func() {
			defer pr.saving.Done()
			// A cache that cannot be written only costs the next resolve a parse.
			_ = u.parsedCache.SaveParsed(pr.key, func(w io.Writer) error { return writeParsedIndexed(w, &pool, pkgs, lookups) })
		}()
	}
	idx = u.index()
	close(indexed)
}

// finishSaving waits for startSaving and writes the file-lists entries that
// changed.
func (u *Universe) finishSaving() {
	if u.parsedCache == nil {
		return
	}
	for _, st := range u.Sources {
		pr := st.parsed
		if pr == nil {
			continue
		}
		pr.saving.Wait()
		if pr.saveFiles {
			kept := slices.Sorted(maps.Keys(pr.kept))
			_ = u.parsedCache.SaveParsed(pr.key+"-files", func(w io.Writer) error {
				return writeParsedFiles(w, u.pool, u.pkgs[pr.first:pr.first+pr.n], u.added, pr.first, kept)
			})
			pr.saveFiles = false
		}
	}
}
