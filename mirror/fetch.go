package mirror

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/cavaliergopher/grab/v3"
	"github.com/schollz/progressbar/v3"

	"github.com/rpmvault/rpmvault/lock"
	"github.com/rpmvault/rpmvault/resolver"
	"github.com/rpmvault/rpmvault/store"
)

// Options tunes Mirror.
type Options struct {
	Store store.Store
	// PartialDir keeps downloads in progress, so a killed mirror resumes
	// them (default: the directory store's partial/, else a directory
	// under the user's cache directory).
	PartialDir string
	Jobs       int                // parallel downloads (default 4)
	Rewrites   []resolver.Rewrite // --mirror-map
	Offline    bool               // use only the store
	Retries    int                // rounds over a package's URLs (default 4)
	Backoff    time.Duration      // first retry delay, doubled each round, with jitter (default 500ms)
	// MaxBackoff caps the retry delay (default 30s).
	MaxBackoff time.Duration
	Log        *slog.Logger
	// Progress, when set, receives a progress bar (use it for terminals).
	Progress io.Writer
	// Client makes every request; by default resolver.NewHTTPClient(Net).
	Client *http.Client
	Net    resolver.NetOptions
	// Rehash re-hashes each object already in the store before using it;
	// a damaged one is removed and fetched again (mirror --rehash).
	Rehash bool
}

// Summary reports a mirror run.
type Summary struct {
	Packages  int
	FromCache int
	Bytes     int64 // downloaded
	Duration  time.Duration
}

func (s Summary) String() string {
	secs := s.Duration.Seconds()
	rate := 0.0
	if secs > 0 {
		rate = float64(s.Bytes) / secs / 1e6
	}
	return fmt.Sprintf("%d packages (%d from the store), %.1f MB downloaded in %.1fs (%.1f MB/s)",
		s.Packages, s.FromCache, float64(s.Bytes)/1e6, secs, rate)
}

// Mirror fetches every package the lock pins into the store, verifying each
// before it enters: size, the pinned checksum, the RPM's own digests and its
// signature against its repo's gpgkey (unless the repo says gpgcheck: false).
// It fills in what the lock did not pin yet (sha256, size, signing key).
func Mirror(ctx context.Context, lk *lock.Lock, opts Options) (Summary, error) {
	s, err := NewSession(ctx, lk, opts)
	if err != nil {
		return Summary{}, err
	}
	sum, err := s.MirrorAll(ctx)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	return sum, err
}

// Session is one mirroring run over a lock's repos: it holds the repos'
// keys and the HTTP client, so that packages enter the
// store all at once (MirrorAll) or one at a time (Fetch: what the ABI check
// needs beyond the lock), always through the same verification.
type Session struct {
	lk *lock.Lock
	m  *mirrorer
}

// NewSession loads the lock's repo keys. Close it.
func NewSession(ctx context.Context, lk *lock.Lock, opts Options) (*Session, error) {
	if opts.Jobs <= 0 {
		opts.Jobs = 4
	}
	if opts.Retries <= 0 {
		opts.Retries = 6
	}
	if opts.Backoff <= 0 {
		opts.Backoff = 500 * time.Millisecond
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 30 * time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Client == nil {
		opts.Client = resolver.NewHTTPClient(opts.Net)
	}
	// No store-wide lock: each package is claimed on its own (Store.Claim),
	// and every write is an idempotent, verified Put, so any number of
	// mirrors can share one store.
	if opts.PartialDir == "" {
		dir, err := defaultPartialDir(opts.Store)
		if err != nil {
			return nil, err
		}
		opts.PartialDir = dir
	}
	if err := os.MkdirAll(opts.PartialDir, 0o755); err != nil {
		return nil, fmt.Errorf("downloads in progress: %w", err)
	}
	keys, err := loadRepoKeys(ctx, lk, opts)
	if err != nil {
		return nil, err
	}
	client := grab.NewClient()
	client.HTTPClient = opts.Client
	client.UserAgent = "rpmvault"
	return &Session{lk: lk, m: &mirrorer{opts: opts, keys: keys, client: client, local: localSources(lk)}}, nil
}

// Store returns the session's store.
func (s *Session) Store() store.Store { return s.m.opts.Store }

// MirrorAll fetches every package of the session's lock.
func (s *Session) MirrorAll(ctx context.Context) (Summary, error) {
	start := time.Now()
	m := s.m
	var total int64
	pkgs := lockPackagePtrs(s.lk)
	for _, p := range pkgs {
		total += p.Size
	}
	if m.opts.Progress != nil {
		m.bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(m.opts.Progress), progressbar.OptionShowBytes(true),
			progressbar.OptionShowCount(), progressbar.OptionSetDescription("mirror"), progressbar.OptionThrottle(100*time.Millisecond))
		defer func() {
			m.bar.Finish()
			fmt.Fprintln(m.opts.Progress) // the bar ends its line: what follows starts on its own
			m.bar = nil
		}()
	}
	m.mu.Lock()
	cached0, bytes0 := m.cached, m.bytes
	m.mu.Unlock()
	sem := make(chan struct{}, m.opts.Jobs)
	var wg sync.WaitGroup
	errs := make([]error, len(pkgs))
	for i, p := range pkgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			var once sync.Once
			release := func() { once.Do(func() { <-sem }) }
			defer release()
			errs[i] = m.fetch(ctx, p, release)
		}()
	}
	wg.Wait()
	// The names of the objects that entered, durable at once: a directory
	// store syncs each object directory once here, not once per object.
	if err := m.opts.Store.Sync(ctx); err != nil {
		errs = append(errs, fmt.Errorf("sync the store %s: %w", m.opts.Store, err))
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sum := Summary{Packages: len(pkgs), FromCache: m.cached - cached0, Bytes: m.bytes - bytes0, Duration: time.Since(start)}
	return sum, errors.Join(errs...)
}

// Fetch brings one package into the store (or finds it there) and fills in
// its sha256, size and signer. Its repo must be one of the lock's, whose
// keys verify it. Fetch may be called from several goroutines.
func (s *Session) Fetch(ctx context.Context, p *lock.Package) error {
	if _, ok := s.m.keys[p.RepoID]; !ok {
		return fmt.Errorf("%s: repo %q is not among the lock's repos, so nothing can verify it", p.NEVRA(), p.RepoID)
	}
	return s.m.fetch(ctx, p, func() {})
}

// Close ends the session: the names of the objects its fetches stored are
// made durable (Store.Sync). Each fetch has recorded its index entries and
// released its claim already.
func (s *Session) Close() error { return s.m.opts.Store.Sync(context.Background()) }

// lockPackagePtrs lists every package of the lock to fetch: the binaries,
// then the source RPMs (resolve --source), which take the same verified
// path into the store.
func lockPackagePtrs(l *lock.Lock) []*lock.Package {
	var out []*lock.Package
	for a := range l.Arches {
		for i := range l.Arches[a].Packages {
			out = append(out, &l.Arches[a].Packages[i])
		}
	}
	return append(out, l.SourcePtrs()...)
}

type mirrorer struct {
	opts   Options
	keys   map[string]*Keyring // repo id -> keys; nil entry: gpgcheck off
	local  map[string][]string // repo id -> local directories and files it names
	client *grab.Client
	bar    *progressbar.ProgressBar

	mu     sync.Mutex
	cached int
	bytes  int64
}

// fetch brings one package into the store. It calls release once the
// download is verified, so the next download can start while this file is
// synced into the store: syncing a large file takes as long as fetching it.
func (m *mirrorer) fetch(ctx context.Context, p *lock.Package, release func()) error {
	st := m.opts.Store
	key := p.RepoID + "/" + p.NEVRA()
	want := p.SHA256()
	fromIndex := false
	if want == "" {
		sha, err := lookupIndex(ctx, st, key)
		if err != nil {
			return err
		}
		want, fromIndex = sha, sha != ""
	}
	if want != "" && m.opts.Rehash {
		if ok, err := st.Has(ctx, want); err == nil && ok {
			if err := rehash(ctx, st, want); err != nil {
				m.opts.Log.Warn("damaged object removed from the store; fetching it again", "package", p.NEVRA(), "sha256", want, "error", err)
				if err := removeObject(ctx, st, want); err != nil {
					return fmt.Errorf("%s: remove the damaged object %s: %w", p.NEVRA(), want, err)
				}
			}
		}
	}
	present := func() (bool, error) {
		if want == "" {
			return false, nil
		}
		ok, err := st.Has(ctx, want)
		if err != nil || !ok {
			return false, err
		}
		// Verified as it entered, but perhaps for another lock, against
		// another repo's keys or none: verified again for this entry.
		f, err := verifyStored(ctx, st, p, want, m.keys[p.RepoID])
		var corrupt *store.CorruptError
		switch {
		case err == nil:
			m.done(ctx, p, key, f, true)
			return true, nil
		case errors.As(err, &corrupt):
			return false, &VerifyError{Package: p.NEVRA(), Detail: fmt.Sprintf("store object %s is damaged (%v): run rpmvault store verify --repair, or mirror --rehash", want, err)}
		case fromIndex:
			// The index only remembers what an earlier run fetched for
			// this name: this lock's repo does not vouch for it, so fetch.
			m.opts.Log.Warn("the store's object for this package does not verify for this lock; fetching it", "package", p.NEVRA(), "sha256", want, "error", err)
			want = ""
			return false, nil
		default:
			return false, &VerifyError{Package: p.NEVRA(), Detail: fmt.Sprintf("store object %s, which the lock pins, does not verify for repo %s: %v (a damaged object: run rpmvault store verify --repair; a wrong pin: resolve the lock again)", want, p.RepoID, err)}
		}
	}
	if ok, err := present(); ok || err != nil {
		return err
	}
	if m.opts.Offline {
		return fmt.Errorf("%s is not in the store %s and --offline forbids fetching it", p.NEVRA(), st)
	}
	// Claim the download, so a mirror beside this one (on this machine or
	// another) does not fetch the same package at the same time; whoever
	// waited finds the object present when it gets the claim.
	claim := want
	if claim == "" {
		claim = "url:" + p.URL
	}
	unclaim, err := st.Claim(ctx, claim)
	if err != nil {
		return fmt.Errorf("%s: %w", p.NEVRA(), err)
	}
	defer unclaim()
	if ok, err := present(); ok || err != nil {
		return err
	}
	urls := p.Mirrors
	if len(urls) == 0 {
		urls = []string{p.URL}
	}
	for _, u := range urls {
		if err := m.checkURL(p, u); err != nil {
			return err
		}
	}
	part, err := p.FilePath(m.opts.PartialDir)
	if err != nil {
		return err
	}
	part += ".part"
	// Pinned by sha256, into a remote store: straight from the download
	// into the store (stream.go). Otherwise through a local partial file,
	// which a killed mirror resumes.
	stream := m.streams() && want != "" && p.SHA256() == want
	var failures []string
	var verr *VerifyError
	delay := m.opts.Backoff
	for round := 0; round < m.opts.Retries; round++ {
		if round > 0 {
			jitter := time.Duration(rand.Int63n(int64(delay)/2 + 1))
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(delay + jitter):
			}
			delay = min(2*delay, m.opts.MaxBackoff)
		}
		for _, u := range urls {
			real := resolver.ApplyRewrites(m.opts.Rewrites, u)
			if stream {
				err := m.streamAttempt(ctx, p, key, real, want, release)
				var serr *storeError
				switch {
				case err == nil:
					return nil
				case errors.As(err, &serr) || ctx.Err() != nil:
					return err
				case errors.As(err, &verr):
					m.opts.Log.Warn("verification failed", "package", p.NEVRA(), "url", real, "error", err)
				case errors.As(err, new(*sourceError)):
					// A download that broke off: the next tries go through
					// a partial file, which resumes where a try ended.
					stream = false
				}
				failures = append(failures, fmt.Sprintf("%s: %v", real, err))
				continue
			}
			n, err := m.download(ctx, real, part, p.Size)
			m.addBytes(n)
			if err == nil {
				var facts *RPMFacts
				facts, err = m.verify(p, part, real)
				if err == nil {
					release()
					// A store that cannot take the file is not helped by
					// fetching it again.
					if err := m.keep(ctx, part, facts); err != nil {
						return fmt.Errorf("%s: keep it in the store %s: %w", p.NEVRA(), st, err)
					}
					m.done(ctx, p, key, facts, false)
					return nil
				}
				os.Remove(part) // a complete but wrong file cannot be resumed
				if errors.As(err, &verr) {
					m.opts.Log.Warn("verification failed", "package", p.NEVRA(), "url", real, "error", err)
				}
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			failures = append(failures, fmt.Sprintf("%s: %v", real, err))
			m.opts.Log.Debug("fetch failed", "package", p.NEVRA(), "url", real, "error", err)
		}
	}
	detail := fmt.Sprintf("every URL failed after %d rounds:\n    %s", m.opts.Retries, strings.Join(failures, "\n    "))
	if verr != nil {
		return &VerifyError{Package: p.NEVRA(), URL: verr.URL, Detail: detail}
	}
	return fmt.Errorf("fetch %s: %s", p.NEVRA(), detail)
}

func (m *mirrorer) addBytes(n int64) {
	m.mu.Lock()
	m.bytes += n
	m.mu.Unlock()
}

func (m *mirrorer) done(ctx context.Context, p *lock.Package, key string, f *RPMFacts, cached bool) {
	if !cached {
		// Index entries are facts (this NEVRA, this URL: these bytes), so
		// concurrent writers of one entry agree; losing one only costs a
		// refetch of a header-only package.
		for _, e := range append([]string{key, "url:" + p.URL}, prefixed("url:", p.Mirrors)...) {
			if err := recordIndex(ctx, m.opts.Store, e, f.SHA256); err != nil {
				m.opts.Log.Warn("store index", "entry", e, "error", err)
			}
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	p.Checksum = "sha256:" + f.SHA256
	if f.Size > 0 {
		p.Size = f.Size
	}
	if f.KeyID != "" {
		p.SigningKey = f.KeyID
	}
	if cached {
		m.cached++
	}
	if m.bar != nil {
		m.bar.Add64(p.Size)
	} else if cached {
		m.opts.Log.Debug("already in the store", "package", p.NEVRA(), "sha256", f.SHA256[:12])
	} else {
		m.opts.Log.Info("fetched", "package", p.NEVRA(), "sha256", f.SHA256[:12])
	}
}

// errBadResume marks a server that answered a resume with something other
// than the requested byte range; grab would append it to the partial file.
var errBadResume = errors.New("server did not honour the resume range")

// download fetches url into part, resuming a partial file. Every 206 is
// checked to start exactly where the partial file ends, since grab itself
// does not check Content-Range.
func (m *mirrorer) download(ctx context.Context, url, part string, size int64) (int64, error) {
	limit := size
	if limit <= 0 {
		limit = maxUnpinnedSize
	}
	if p, ok := localURLPath(url); ok {
		return copyLocal(p, part, limit)
	}
	// Not one byte past the pinned size is written.
	ctx = resolver.WithMaxSize(ctx, limit)
	var have int64
	if st, err := os.Stat(part); err == nil {
		have = st.Size()
	}
	req, err := grab.NewRequest(part, url)
	if err != nil {
		return 0, err
	}
	req = req.WithContext(ctx)
	req.BufferSize = copyBuffer // fewer, larger reads and writes than grab's 32 KiB
	if size > 0 {
		req.Size = size
	}
	req.BeforeCopy = func(resp *grab.Response) error {
		if !resp.DidResume || resp.HTTPResponse == nil {
			return nil
		}
		if resp.HTTPResponse.StatusCode != http.StatusPartialContent {
			return errBadResume
		}
		var start int64
		if _, err := fmt.Sscanf(resp.HTTPResponse.Header.Get("Content-Range"), "bytes %d-", &start); err != nil || start != have {
			return fmt.Errorf("%w: asked from byte %d, got Content-Range %q", errBadResume, have, resp.HTTPResponse.Header.Get("Content-Range"))
		}
		return nil
	}
	resp := m.client.Do(req)
	err = resp.Err()
	n := resp.BytesComplete() - have
	if n < 0 {
		n = 0
	}
	var tooLarge *resolver.TooLargeError
	if errors.Is(err, errBadResume) || errors.Is(err, grab.ErrBadLength) || errors.As(err, &tooLarge) {
		os.Remove(part) // start over next time rather than trust this partial file
	}
	if err != nil {
		return n, err
	}
	return n, nil
}

// maxUnpinnedSize bounds a package whose size the lock does not pin yet
// (a header-only source before its first mirror): rpm's own limit.
const maxUnpinnedSize = 4 << 30

// copyLocal copies a regular file of at most limit bytes: a device such
// as /dev/zero or a FIFO is not a package.
func copyLocal(src, dst string, limit int64) (int64, error) {
	in, err := openRegular(src, limit)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(out, io.LimitReader(in, limit))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// openRegular opens a regular file of at most limit bytes.
func openRegular(src string, limit int64) (*os.File, error) {
	in, err := os.Open(src)
	if err != nil {
		return nil, err
	}
	st, err := in.Stat()
	if err != nil {
		in.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		in.Close()
		return nil, fmt.Errorf("%s is not a regular file (%s)", src, st.Mode().Type())
	}
	if st.Size() > limit {
		in.Close()
		return nil, &resolver.TooLargeError{URL: src, Max: limit}
	}
	return in, nil
}

// localURLPath returns the path of a file:// URL or a plain path.
func localURLPath(u string) (string, bool) {
	if p, ok := strings.CutPrefix(u, "file://"); ok {
		return p, true
	}
	return u, !strings.Contains(u, "://")
}

// localSources maps each repo of the lock to the local directories and
// files its source names (local base URLs and header-only package paths).
func localSources(l *lock.Lock) map[string][]string {
	out := map[string][]string{}
	for _, r := range l.RPMVault.Repos {
		for _, u := range append(append([]string(nil), r.BaseURLs...), r.Packages...) {
			if p, ok := localURLPath(u); ok && p != "" {
				if abs, err := filepath.Abs(p); err == nil {
					out[r.ID] = append(out[r.ID], abs)
				}
			}
		}
	}
	return out
}

// checkURL refuses a lock URL that is neither http(s) nor a file inside a
// local source of the package's repo: a lock must not make the mirror read
// whatever path it names (say /dev/zero or ~/.ssh).
func (m *mirrorer) checkURL(p *lock.Package, u string) error {
	if strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") {
		return nil
	}
	if path, ok := localURLPath(u); ok && path != "" {
		clean, _ := filepath.Abs(path)
		for _, root := range m.local[p.RepoID] {
			if clean == root || strings.HasPrefix(clean, root+string(filepath.Separator)) {
				return nil
			}
		}
	}
	return &URLError{Package: p.NEVRA(), URL: u, Detail: fmt.Sprintf("is not http(s) and not inside a local directory or file that repo %q names; refusing to read it", p.RepoID)}
}

// URLError is a lock URL the mirror will not fetch from.
type URLError struct {
	Package, URL, Detail string
}

func (e *URLError) Error() string { return fmt.Sprintf("%s: url %s %s", e.Package, e.URL, e.Detail) }

// verify checks a downloaded file against the lock and the repo's keys.
func (m *mirrorer) verify(p *lock.Package, path, url string) (*RPMFacts, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	typ, want, _ := strings.Cut(p.Checksum, ":")
	var r io.Reader = f
	sha1sum := sha1.New()
	if typ == "sha1" { // old trees declare sha1; hash it only then
		r = io.TeeReader(f, sha1sum)
	}
	facts, err := VerifyRPM(r, m.keys[p.RepoID])
	if err != nil {
		return nil, &VerifyError{Package: p.NEVRA(), URL: url, Detail: err.Error()}
	}
	if p.Size > 0 && facts.Size != p.Size {
		return nil, &VerifyError{Package: p.NEVRA(), URL: url, Detail: fmt.Sprintf("size %d bytes, the lock says %d", facts.Size, p.Size)}
	}
	got := facts.SHA256
	if typ == "sha1" {
		got = hex.EncodeToString(sha1sum.Sum(nil))
	}
	if want != "" && got != want {
		return nil, &VerifyError{Package: p.NEVRA(), URL: url, Detail: fmt.Sprintf("%s %s, the lock says %s", typ, got, want)}
	}
	if err := facts.Matches(*p); err != nil {
		return nil, &VerifyError{Package: p.NEVRA(), URL: url, Detail: err.Error()}
	}
	return facts, nil
}

// loadRepoKeys fetches each repo's gpgkey (cached in the store for --offline).
func loadRepoKeys(ctx context.Context, lk *lock.Lock, opts Options) (map[string]*Keyring, error) {
	fetcher := &resolver.HTTPFetcher{Rewrites: opts.Rewrites, Client: opts.Client}
	out := map[string]*Keyring{}
	for _, r := range lk.RPMVault.Repos {
		if !r.GPGCheck {
			out[r.ID] = nil
			continue
		}
		if len(r.GPGKeys) == 0 {
			return nil, fmt.Errorf("repo %s has gpgcheck on but no gpgkey: add its key, or set gpgcheck: false deliberately", r.ID)
		}
		var blobs [][]byte
		for _, u := range r.GPGKeys {
			b, err := fetchKey(ctx, fetcher, opts, u)
			if err != nil && strings.HasPrefix(u, "file://") && errors.Is(err, fs.ErrNotExist) {
				// A stock .repo file names keys on the box it came from.
				return nil, fmt.Errorf("repo %s: gpg key %s is not on this machine (%w): copy it here, or map it to where its vendor publishes it, e.g. --mirror-map file:///etc/pki/rpm-gpg=https://vault.centos.org", r.ID, u, err)
			}
			if err != nil {
				return nil, fmt.Errorf("repo %s: gpg key %s: %w", r.ID, u, err)
			}
			blobs = append(blobs, b)
		}
		kr, err := ParseKeys(blobs...)
		if err != nil {
			return nil, fmt.Errorf("repo %s: %w", r.ID, err)
		}
		out[r.ID] = kr
	}
	return out, nil
}

func fetchKey(ctx context.Context, f *resolver.HTTPFetcher, opts Options, u string) ([]byte, error) {
	sum := sha256.Sum256([]byte(u))
	cache := "keys/" + hex.EncodeToString(sum[:8]) + ".asc"
	// A key fetched once is trusted from the store after, as yum keeps an
	// imported key: a second run makes no request at all.
	if b, err := store.ReadAllCache(ctx, opts.Store, cache, 1<<20); err == nil || opts.Offline {
		return b, err
	}
	// Only a key that parses is kept: a damaged or cut-off answer (armor
	// has a checksum) is asked for again.
	b, err := fetchChecked(ctx, opts, f, u, maxKeySize, func(b []byte) error {
		_, err := ParseKeys(b)
		return err
	})
	if err != nil {
		return nil, err
	}
	_ = store.PutCacheBytes(ctx, opts.Store, cache, b) // a cache: failing to keep it costs a refetch
	return b, nil
}

// fetchChecked fetches a small file (at most limit bytes) whole, and
// returns it once check accepts it, asking again as retry does.
func fetchChecked(ctx context.Context, opts Options, f resolver.Fetcher, u string, limit int64, check func([]byte) error) ([]byte, error) {
	return retry(ctx, opts, func() ([]byte, error) {
		rc, err := f.Fetch(resolver.WithMaxSize(ctx, limit), u, 0, -1)
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			return nil, err
		}
		if err := check(b); err != nil {
			return nil, fmt.Errorf("%s: %w", u, err)
		}
		return b, nil
	})
}

// retry runs get until it succeeds, up to opts.Retries times with the
// mirror's backoff: for small files (keys, repomd.xml) that are read whole
// and checked before anything keeps them.
func retry[T any](ctx context.Context, opts Options, get func() (T, error)) (T, error) {
	tries := max(opts.Retries, 1)
	delay := max(opts.Backoff, 100*time.Millisecond)
	var errs []error
	for i := 0; i < tries; i++ {
		if i > 0 {
			select {
			case <-ctx.Done():
				var zero T
				return zero, ctx.Err()
			case <-time.After(delay):
			}
			delay = min(2*delay, max(opts.MaxBackoff, delay))
		}
		v, err := get()
		if err == nil {
			return v, nil
		}
		errs = append(errs, err)
		var se *resolver.HTTPStatusError
		if errors.As(err, &se) && se.Status < 500 || errors.Is(err, os.ErrNotExist) {
			break // the server answered: asking again will not change it
		}
	}
	var zero T
	if len(errs) == 1 {
		return zero, errs[0]
	}
	return zero, fmt.Errorf("%d attempts: %w", len(errs), errors.Join(errs...))
}

// maxKeySize bounds a repo's gpgkey file: real ones are a few kilobytes.
const maxKeySize = 1 << 20

// KeyBlobs returns the cached key files of the lock's repos, for bundling.
func KeyBlobs(ctx context.Context, st store.Store, lk *lock.Lock) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, r := range lk.RPMVault.Repos {
		for _, u := range r.GPGKeys {
			sum := sha256.Sum256([]byte(u))
			b, err := store.ReadAllCache(ctx, st, "keys/"+hex.EncodeToString(sum[:8])+".asc", 1<<20)
			if err != nil {
				return nil, fmt.Errorf("key %s of repo %s is not in the store (run rpmvault mirror first): %w", u, r.ID, err)
			}
			out[r.ID+"-"+filepath.Base(u)] = b
		}
	}
	return out, nil
}

func prefixed(p string, ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = p + s
	}
	return out
}

// keep puts a verified download into the store and removes it. A directory
// store on the same filesystem takes the file by rename (VerifyRPM has just
// hashed every byte of it); any other store gets a Put, which hashes the
// bytes again on their way in.
func (m *mirrorer) keep(ctx context.Context, part string, f *RPMFacts) error {
	if d, ok := m.opts.Store.(*store.Dir); ok && filepath.Dir(part) == d.PartialDir() {
		return d.Commit(part, f.SHA256)
	}
	file, err := os.Open(part)
	if err != nil {
		return err
	}
	defer file.Close()
	if err := m.opts.Store.Put(ctx, f.SHA256, f.Size, file); err != nil {
		return err
	}
	return os.Remove(part)
}

// defaultPartialDir is where downloads accumulate: inside a directory
// store, else under the user's cache directory, one per store.
func defaultPartialDir(s store.Store) (string, error) {
	if d, ok := s.(*store.Dir); ok {
		return d.PartialDir(), nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	sum := sha256.Sum256([]byte(s.String()))
	return filepath.Join(base, "rpmvault", "partial", hex.EncodeToString(sum[:8])), nil
}
