package mirror

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
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
	"github.com/rpmvault/rpmvault/resolver/fetch"
	"github.com/rpmvault/rpmvault/resolver/rpmmd"
	"github.com/rpmvault/rpmvault/store"
)

// mirrorer is one mirror run over a lock: fetch, verify and store each package.
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
			real := fetch.ApplyRewrites(m.opts.Rewrites, u)
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
	ctx = rpmmd.WithMaxSize(ctx, limit)
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
	var tooLarge *rpmmd.TooLargeError
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
		var se *rpmmd.HTTPStatusError
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
