package resolver

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/rpmvault/rpmvault/resolver/rpmmd"
)

// SourceState records what a repo looked like when it was read: the lock
// pins it so a later run can tell the snapshot changed.
type SourceState struct {
	Repo    string
	BaseURL string // the base URL that answered
	// BaseURLs are every base URL known for the repo, BaseURL first: its
	// baseurl list and what its mirrorlist or metalink named.
	BaseURLs  []string
	RepomdSum string // sha256 of repomd.xml
	filelists *rpmmd.MetadataFile
	parsed    *parsedRepo // nil without a ParsedCache
}

// LoadOptions tunes LoadUniverse.
type LoadOptions struct {
	Fetcher rpmmd.Fetcher
	// MaxMetadataSize bounds each uncompressed metadata file (default rpmmd.DefaultMaxMetadataSize).
	MaxMetadataSize int64
	// Sources reads the repos as repos of source RPMs: only their source
	// packages (arch "src") are kept, and header-only sources must be
	// .src.rpm files.
	Sources bool
}

// LoadUniverse reads every repo: rpm-md metadata for repos with base URLs
// (trying each base URL in turn), RPM headers for package lists. Repos are read
// in parallel. File lists are loaded later, on demand, through
// Universe.LoadFileLists.
func LoadUniverse(ctx context.Context, repos []Repo, opts LoadOptions) (*Universe, error) {
	if opts.MaxMetadataSize == 0 {
		opts.MaxMetadataSize = rpmmd.DefaultMaxMetadataSize
	}
	type result struct {
		part  *repoPart
		state SourceState
		err   error
	}
	results := make([]result, len(repos))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, r := range repos {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			var res result
			res.state.Repo = r.ID
			if len(r.BaseURLs) > 0 || r.Mirrorlist != "" || r.Metalink != "" {
				res.part, res.state, res.err = loadRepomd(ctx, r, opts)
			}
			if res.err == nil && len(r.Packages) > 0 {
				var more []*Package
				more, res.err = loadHeaders(ctx, r, opts)
				if res.part == nil {
					res.part = newRepoPart(len(more))
				}
				for _, p := range more {
					res.part.add(p)
				}
			}
			if res.err == nil {
				res.err = filterRepo(r, res.part)
			}
			results[i] = res
		}()
	}
	wg.Wait()
	u := &Universe{}
	var errs []error
	for i, res := range results {
		if res.err != nil && repos[i].SkipIfUnavailable {
			u.Warnings = append(u.Warnings, fmt.Sprintf("repo %s skipped (skip_if_unavailable=1): %v", repos[i].ID, res.err))
			continue
		}
		if res.err != nil {
			errs = append(errs, res.err)
			continue
		}
		first := u.merge(res.part)
		if pr := res.state.parsed; pr != nil {
			pr.first = first // pr.n: header-only packages follow

		}
		u.Sources = append(u.Sources, res.state)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if u.pool == nil {
		u.pool = newIDPool(1) // every repo skipped
	}
	u.parsedCache, _ = opts.Fetcher.(ParsedCache)
	var once sync.Once
	var loadErr error
	u.LoadFileLists = func(wanted map[string]bool) error {
		once.Do(func() { loadErr = loadFileLists(ctx, u, opts, wanted) })
		return loadErr
	}
	return u, nil
}

func loadRepomd(ctx context.Context, r Repo, opts LoadOptions) (*repoPart, SourceState, error) {
	var errs []error
	bases := append([]string(nil), r.BaseURLs...)
	var ml *rpmmd.Metalink
	for _, list := range []string{r.Mirrorlist, r.Metalink} {
		if list == "" {
			continue
		}
		more, m, err := rpmmd.ReadMirrorlist(ctx, opts.Fetcher, list)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if m != nil {
			ml = m
		}
		bases = append(bases, more...)
	}
	if len(bases) == 0 {
		return nil, SourceState{}, fmt.Errorf("repo %s: no base URL to read: %w", r.ID, errors.Join(errs...))
	}
	for i, base := range bases {
		part, st, err := loadRepomdFrom(ctx, r.ID, base, ml, opts)
		if err == nil {
			// The one that answered first, then the rest for failover.
			st.BaseURLs = append([]string{base}, append(append([]string(nil), bases[:i]...), bases[i+1:]...)...)
			return part, st, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	err := errors.Join(errs...)
	if noRepodata(err) {
		return nil, SourceState{}, fmt.Errorf("repo %s: no base URL has repodata/repomd.xml (a plain directory of RPMs, as get.docker.com is, has none: list its RPMs under packages: in the manifest's repos, or check the URL or --mirror-map): %w", r.ID, err)
	}
	return nil, SourceState{}, fmt.Errorf("repo %s: no base URL could be read (check the URL, or add a working mirror to its baseurl list or --mirror-map): %w", r.ID, err)
}

// noRepodata says a base URL answered, but without repodata/repomd.xml
// (HTTP 404 Not Found, or no such local file).
func noRepodata(err error) bool {
	var se *rpmmd.HTTPStatusError
	return errors.As(err, &se) && se.Status == 404 && strings.HasSuffix(se.URL, "repomd.xml") || errors.Is(err, os.ErrNotExist)
}

// filterRepo applies a repo's exclude= and includepkgs= and refuses a repo
// that contributes nothing, saying why: an empty repo is nearly always a
// wrong URL or an over-eager filter, and would surface only as "nothing
// provides" later.
func filterRepo(r Repo, part *repoPart) error {
	if part == nil || len(part.pkgs) == 0 {
		return fmt.Errorf("repo %s contributes no packages: its metadata lists none (is the URL the repo's top, where repodata/ is?)", r.ID)
	}
	if len(r.Exclude) == 0 && len(r.IncludePkgs) == 0 {
		return nil
	}
	f := repoFilter{exclude: r.Exclude, include: r.IncludePkgs}
	n := len(part.pkgs)
	if part.filter(f.keep) == 0 {
		return fmt.Errorf("repo %s contributes no packages: exclude=%s includepkgs=%s leave none of its %d", r.ID, strings.Join(r.Exclude, ","), strings.Join(r.IncludePkgs, ","), n)
	}
	return nil
}

func loadRepomdFrom(ctx context.Context, id, base string, ml *rpmmd.Metalink, opts LoadOptions) (part *repoPart, st SourceState, err error) {
	st = SourceState{Repo: id, BaseURL: base}
	mdURL := joinURL(base, "repodata/repomd.xml")
	rc, err := opts.Fetcher.Fetch(rpmmd.WithMaxSize(ctx, rpmmd.MaxRepomdSize), mdURL, 0, -1)
	if err != nil {
		return nil, st, fmt.Errorf("read %s: %w", mdURL, err)
	}
	raw, err := io.ReadAll(rc)
	rc.Close()
	if cache, ok := opts.Fetcher.(rpmmd.RepomdCache); ok {
		// Only a repomd.xml that parsed and whose primary verified is kept.
		defer func() {
			if err == nil {
				_ = cache.KeepRepomd(mdURL, raw) // a cache: failing to keep it only costs a refetch
			} else if hint := cache.ForgetRepomd(mdURL); hint != "" {
				err = fmt.Errorf("%w\n  (%s: %s)", err, mdURL, hint)
			}
		}()
	}
	if err != nil {
		return nil, st, fmt.Errorf("read %s: %w", mdURL, err)
	}
	if ml != nil {
		if err := ml.Check(raw, mdURL); err != nil {
			return nil, st, err
		}
	}
	sum := sha256.Sum256(raw)
	st.RepomdSum = hex.EncodeToString(sum[:])
	md, err := rpmmd.ParseRepomd(strings.NewReader(string(raw)))
	if err != nil {
		return nil, st, fmt.Errorf("%s: %w", mdURL, err)
	}
	if fl, ok := md.Files["filelists"]; ok {
		st.filelists = &fl
	}
	if pc, ok := opts.Fetcher.(ParsedCache); ok && !opts.Sources {
		key := parsedKey(id, md)
		if pr, part, ok := openParsed(pc, key, id); ok {
			st.parsed = pr
			return part, st, nil
		}
		defer func() {
			if err == nil {
				st.parsed = newParsedRepo(key, part)
				st.parsed.savePkgs = true
			}
		}()
	}
	// Each package becomes ids as it is read (see primaryReader): a repo
	// never exists twice in memory.
	part = newRepoPartSized(primarySizes(md.Files["primary"].OpenSize))
	err = readMetadata(ctx, base, md.Files["primary"], opts, func(r io.Reader) error {
		return readPrimary(r, part, id, opts.Sources, true, nil)
	})
	if err != nil {
		return nil, st, err
	}
	return part, st, nil
}

// readMetadata fetches one metadata file, checks its checksum and size while
// reading, decompresses it and hands the XML stream to read.
func readMetadata(ctx context.Context, base string, mf rpmmd.MetadataFile, opts LoadOptions, read func(io.Reader) error) error {
	u := joinURL(base, mf.Href)
	var rc io.ReadCloser
	var err error
	// Not one byte past what repomd.xml declares is fetched or stored.
	ctx = rpmmd.WithMaxSize(ctx, cmp.Or(mf.Size, rpmmd.DefaultMaxMetadataSize))
	if mc, ok := opts.Fetcher.(rpmmd.MetadataCache); ok {
		rc, err = mc.FetchMetadata(ctx, u, mf.Checksum)
	} else {
		rc, err = opts.Fetcher.Fetch(ctx, u, 0, -1)
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", u, err)
	}
	defer rc.Close()
	size := mf.Size
	if size == 0 {
		size = -1
	}
	vr, err := rpmmd.VerifyingReader(rc, mf.Checksum, size, u)
	if err != nil {
		return err
	}
	// Nor is one byte past what it declares uncompressed (open-size)
	// handed to the parser: the checksum is known only at the end.
	limit := opts.MaxMetadataSize
	if mf.OpenSize > 0 {
		limit = min(limit, mf.OpenSize)
	}
	dr, err := rpmmd.Decompress(vr, u, limit)
	if err != nil {
		return err
	}
	defer dr.Close()
	ra := newReadAhead(dr)
	err = read(ra)
	ra.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", u, err)
	}
	// Drain so the checksum is checked even if the XML ended early.
	if _, err := io.Copy(io.Discard, vr); err != nil {
		return err
	}
	return nil
}

func loadFileLists(ctx context.Context, u *Universe, opts LoadOptions, wanted map[string]bool) error {
	for i := range u.Sources {
		st := &u.Sources[i]
		if st.filelists == nil {
			continue
		}
		want, need := st.parsed.missing(wanted)
		if !need {
			continue // merged already, in the parsed cache
		}
		// Filelists name packages by pkgid, the checksum primary gives.
		// The look-ups are made while the file is fetched (copied into the
		// metadata cache, for one) and its first chunks inflated: on a
		// large repo they take as long.
		repoID, _ := u.pool.lookup(st.Repo)
		var (
			match *filelistsMatch
			keep  *pathSet
			ready = make(chan struct{})
		)
		go func() {
			defer close(ready)
			match = newFilelistsMatch(u, repoID)
			if want != nil {
				keep = newPathSet(want)
			}
		}()
		// Most packages have no wanted path: all they take is a bit saying
		// filelists listed them.
		type merge struct {
			k     int
			files []string
		}
		var merges []merge
		listed := make([]uint64, (len(u.pkgs)+63)/64)
		err := readMetadata(ctx, st.BaseURL, *st.filelists, opts, func(r io.Reader) error {
			<-ready
			return readFilelists(r, keep, func(pkgid []byte, files []string) error {
				if k, ok := match.find(pkgid); ok {
					listed[k/64] |= 1 << (k % 64)
					if len(files) > 0 {
						merges = append(merges, merge{k, files})
					}
				}
				return nil
			})
		})
		<-ready // when the file could not be read
		if err != nil {
			return fmt.Errorf("repo %s file lists: %w", st.Repo, err)
		}
		// Filelists' paths go beside the records (Universe.added), which
		// the parsed-cache writer does not read.
		for _, m := range merges {
			// Primary's paths stay: filelists repeats them, but the wanted
			// set may not name them.
			u.addPaths(m.k, m.files)
		}
		u.markFull(repoID, listed, st.parsed)
		pr := st.parsed
		if pr != nil {
			if want == nil {
				st.parsed = nil // every path: too many to cache
				continue
			}
			if pr.kept == nil {
				pr.kept = map[string]bool{}
			}
			for p := range want {
				pr.kept[p] = true
			}
			pr.saveFiles = true
		}
	}
	return nil
}

// markFull records that the packages of repo listed (a bit each, by index)
// have their full file lists. Filelists lists every package of a repo,
// so that is nearly always said once, for the repo, and no record is
// written: the parsed-cache writer may still be reading the records (pr),
// and a record read in place from the parsed cache would copy its page.
// Only when some package was not listed are records written, after
// the writer is done with them.
func (u *Universe) markFull(repo strID, listed []uint64, pr *parsedRepo) {
	all := true
	for k := range u.pkgs {
		if r := &u.pkgs[k]; r.repo == repo && listed[k/64]&(1<<(k%64)) == 0 && !r.fullFiles {
			all = false
			break
		}
	}
	if all {
		if u.pool.fullRepos == nil {
			u.pool.fullRepos = map[strID]bool{}
		}
		u.pool.fullRepos[repo] = true
		return
	}
	if pr != nil {
		pr.saving.Wait() // the packages entry is being written from these records
	}
	for k := range u.pkgs {
		if listed[k/64]&(1<<(k%64)) != 0 {
			u.pkgs[k].fullFiles = true
		}
	}
}

// addPaths adds to package k's paths those of b it lacks.
func (u *Universe) addPaths(k int, b []string) {
	have := map[string]bool{}
	for _, f := range u.pool.filesOf(&u.pkgs[k]) {
		have[u.pool.str(f)] = true
	}
	for _, f := range u.added[int32(k)] {
		have[f] = true
	}
	for _, f := range b {
		if !have[f] {
			have[f] = true
			if u.added == nil {
				u.added = map[int32][]string{}
			}
			u.added[int32(k)] = append(u.added[int32(k)], f)
		}
	}
	u.addedOwners = nil
}

// joinURL resolves a location against a base URL or directory.
func joinURL(base, loc string) string {
	if strings.Contains(loc, "://") {
		return loc
	}
	return strings.TrimSuffix(base, "/") + "/" + strings.TrimPrefix(loc, "/")
}
