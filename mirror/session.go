package mirror

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/cavaliergopher/grab/v3"
	"github.com/schollz/progressbar/v3"

	"github.com/rpmvault/rpmvault/lock"
	"github.com/rpmvault/rpmvault/resolver/fetch"
	"github.com/rpmvault/rpmvault/store"
)

// Options tunes Mirror.
type Options struct {
	Store store.Store
	// PartialDir keeps downloads in progress, so a killed mirror resumes
	// them (default: the directory store's partial/, else a directory
	// under the user's cache directory).
	PartialDir string
	Jobs       int             // parallel downloads (default 4)
	Rewrites   []fetch.Rewrite // --mirror-map
	Offline    bool            // use only the store
	Retries    int             // rounds over a package's URLs (default 4)
	Backoff    time.Duration   // first retry delay, doubled each round, with jitter (default 500ms)
	// MaxBackoff caps the retry delay (default 30s).
	MaxBackoff time.Duration
	Log        *slog.Logger
	// Progress, when set, receives a progress bar (use it for terminals).
	Progress io.Writer
	// Client makes every request; by default fetch.NewHTTPClient(Net).
	Client *http.Client
	Net    fetch.NetOptions
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
		opts.Client = fetch.NewHTTPClient(opts.Net)
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
