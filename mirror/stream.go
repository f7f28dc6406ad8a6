package mirror

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"

	"github.com/rpmvault/rpmvault/internal/digest"
	"github.com/rpmvault/rpmvault/internal/rpmfile"
	"github.com/rpmvault/rpmvault/lock"
	"github.com/rpmvault/rpmvault/resolver/fetch"
	"github.com/rpmvault/rpmvault/resolver/rpmmd"
	"github.com/rpmvault/rpmvault/store"
)

// Streaming: into a store that is not a directory on this machine (S3), a
// package pinned by sha256 goes straight from the download into the
// store's Put, with no local file and one pass over its bytes. Its header
// is read and checked first (digests, header signatures, the lock's
// NEVRA); then, for a package whose payload only a SHA-256 payload digest
// covers (rpm 4.14 and later):
//
//	HTTP body → digest.Reader with a Pair (the file's sha256 against the
//	            pin and the payload digest against the header, in one pass)
//	          → store.Put (which recognises the digest.Reader: no second hash)
//
// and for one signed over header+payload or held to its file digests
// (CentOS 6's packages):
//
//	HTTP body → rpmCheck (VerifyRPM on a copy, its own goroutine)
//	          → digest.Reader (sha256 and size against the pin)
//	          → store.Put
//
// Every check holds back the last bytes until its verdict is in, and the
// store makes an object visible only with its last byte (a PUT with a
// Content-Length, a multipart upload completed after its last part, both
// If-None-Match: *), so a package that fails any check — signature, header
// or payload digests, size, sha256, the lock's NEVRA — is never visible
// under its name. A stream that breaks off (the server fails or cuts the
// body) is not restarted from its first byte: the package's next tries go
// through a local partial file, which resumes where each try ended, and
// enter the store by Put, as for a package not pinned by sha256.

// streams reports whether fetches go straight into the store: for every
// store but a directory, whose downloads resume from partial files and
// enter by rename.
func (m *mirrorer) streams() bool {
	_, dir := m.opts.Store.(*store.Dir)
	return !dir
}

// sourceError marks a failure to read the download itself (as opposed to
// writing the store), so the fetch tries the next URL or round.
type sourceError struct{ err error }

func (e *sourceError) Error() string { return e.err.Error() }
func (e *sourceError) Unwrap() error { return e.err }

// sourceReader marks its source's errors as *sourceError, and keeps the
// first (a parser that reads through it may not wrap it with %w).
type sourceReader struct {
	r   io.Reader
	err *sourceError
}

func (s *sourceReader) Read(p []byte) (int, error) {
	k, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		serr := &sourceError{err}
		if s.err == nil {
			s.err = serr
		}
		err = serr
	}
	return k, err
}

// storeError marks an error of the store, which fetching again does not help.
type storeError struct{ err error }

func (e *storeError) Error() string { return e.err.Error() }
func (e *storeError) Unwrap() error { return e.err }

// streamAttempt is one try of fetch for a streamed package: it records
// the package when it entered (or was there), and returns a *storeError,
// which fetching again does not help, with the package named.
func (m *mirrorer) streamAttempt(ctx context.Context, p *lock.Package, key, url, want string, release func()) error {
	n, facts, err := m.stream(ctx, p, url, want)
	m.addBytes(n)
	var serr *storeError
	switch {
	case err == nil:
		release()
		m.done(ctx, p, key, facts, false)
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.As(err, &serr):
		return &storeError{fmt.Errorf("%s: keep it in the store %s: %w", p.NEVRA(), m.opts.Store, serr.err)}
	}
	m.opts.Log.Debug("fetch failed", "package", p.NEVRA(), "url", url, "error", err)
	return err
}

// stream fetches url into the store as want (the pinned sha256), checking
// it on the way. It returns the bytes read and what verification learnt.
func (m *mirrorer) stream(ctx context.Context, p *lock.Package, url, want string) (int64, *RPMFacts, error) {
	limit := p.Size
	if limit <= 0 {
		limit = maxUnpinnedSize
	}
	var body io.ReadCloser
	var err error
	if path, ok := localURLPath(url); ok {
		body, err = openRegular(path, limit)
	} else {
		// The client's limits (connect, header, speed) apply; not one
		// byte past the pinned size is read.
		body, err = (&fetch.HTTPFetcher{Client: m.opts.Client}).Fetch(rpmmd.WithMaxSize(ctx, limit), url, 0, -1)
	}
	if err != nil {
		return 0, nil, &sourceError{err}
	}
	defer body.Close()
	size := p.Size
	if size <= 0 {
		size = -1
	}
	src := &sourceReader{r: body}
	// The header first: what covers the payload decides how it is checked.
	raw, err := rpmfile.ReadRawHeader(src)
	if err != nil {
		if src.err != nil {
			return 0, nil, src.err // the download broke off, not a bad header
		}
		return 0, nil, &VerifyError{Package: p.NEVRA(), URL: url, Detail: err.Error()}
	}
	hc, err := checkHeader(raw, m.keys[p.RepoID])
	if err != nil {
		return int64(len(raw.Bytes)), nil, &VerifyError{Package: p.NEVRA(), URL: url, Detail: err.Error()}
	}
	whole := io.MultiReader(bytes.NewReader(raw.Bytes), src)
	if hc.sha256PayloadOnly() {
		return m.streamPair(ctx, p, url, want, size, hc, whole)
	}
	// Signatures over the payload, or its file digests: VerifyRPM reads a
	// copy of the stream on its own goroutine.
	check := newRPMCheck(whole, size, func(r io.Reader) (*RPMFacts, error) {
		f, err := verifyRPM(r, m.keys[p.RepoID], false)
		if err != nil {
			return nil, &VerifyError{Package: p.NEVRA(), URL: url, Detail: err.Error()}
		}
		return f, m.checkFacts(p, url, want, f)
	})
	defer check.Close()
	// fetch has just found the object absent under its claim: no second look.
	err = store.PutAbsent(ctx, m.opts.Store, want, size, digest.NewReader(check, want, size))
	return m.stored(ctx, p, url, want, check.n, check.facts, err)
}

// streamPair streams a package whose payload is held to a SHA-256 payload
// digest and nothing else (rpm 4.14 and later write one; a header
// signature, already checked, covers it): the payload digest is taken in
// the same pass as the file's sha256, by one digest.Pair, and checked with
// it before the last bytes go to the store. Whatever the header says that
// does not depend on the payload is checked before the first byte goes.
func (m *mirrorer) streamPair(ctx context.Context, p *lock.Package, url, want string, size int64, hc *headerCheck, whole io.Reader) (int64, *RPMFacts, error) {
	hdrLen := int64(len(hc.raw.Bytes))
	verr := func(err error) error { return &VerifyError{Package: p.NEVRA(), URL: url, Detail: err.Error()} }
	if err := hc.unsigned(); err != nil {
		return hdrLen, nil, verr(err)
	}
	if err := hc.facts(0).Matches(*p); err != nil {
		return hdrLen, nil, verr(err)
	}
	var got *RPMFacts
	var dr *digest.Reader
	dr = digest.NewPairReader(whole, want, size, hdrLen, func(payload [sha256.Size]byte) error {
		if err := hc.checkPayloadSum(payload[:]); err != nil {
			return verr(err)
		}
		f := hc.facts(dr.N() - hdrLen)
		if err := m.checkFacts(p, url, want, f); err != nil {
			return err
		}
		got = f
		return nil
	})
	defer dr.Close()
	err := store.PutAbsent(ctx, m.opts.Store, want, size, dr)
	return m.stored(ctx, p, url, want, max(dr.N(), hdrLen), got, err)
}

// checkFacts holds verified facts to the lock entry p, and names them
// with the pinned sha256 the store checks.
func (m *mirrorer) checkFacts(p *lock.Package, url, want string, f *RPMFacts) error {
	f.SHA256 = want
	if p.Size > 0 && f.Size != p.Size {
		return &VerifyError{Package: p.NEVRA(), URL: url, Detail: fmt.Sprintf("size %d bytes, the lock says %d", f.Size, p.Size)}
	}
	if err := f.Matches(*p); err != nil {
		return &VerifyError{Package: p.NEVRA(), URL: url, Detail: err.Error()}
	}
	return nil
}

// stored sorts out the outcome of a streamed Put: n bytes read from the
// source, got the verified facts (nil when Put read nothing).
func (m *mirrorer) stored(ctx context.Context, p *lock.Package, url, want string, n int64, got *RPMFacts, err error) (int64, *RPMFacts, error) {
	var verr *VerifyError
	var cerr *store.CorruptError
	var serr *sourceError
	switch {
	case err == nil && got == nil:
		// The store had it already (another writer, past our claim):
		// describe the stored object.
		f, err := facts(ctx, m.opts.Store, want)
		if err != nil {
			return n, nil, &storeError{err}
		}
		return n, f, nil
	case err == nil:
		return n, got, nil
	case ctx.Err() != nil:
		return n, nil, ctx.Err()
	case errors.As(err, &verr):
		return n, nil, verr
	case errors.As(err, &cerr):
		return n, nil, &VerifyError{Package: p.NEVRA(), URL: url, Detail: cerr.Detail + ", the lock pins sha256 " + want}
	case errors.As(err, &serr):
		return n, nil, serr
	}
	return n, nil, &storeError{err}
}

// rpmCheck passes on what it reads while VerifyRPM reads a copy on its own
// goroutine, and holds back the last bytes (the size-th, or those before
// EOF) until VerifyRPM's verdict is in: a package that fails it ends in an
// error instead of a complete body.
type rpmCheck struct {
	r      io.Reader
	pw     *io.PipeWriter
	size   int64 // -1: unknown
	n      int64
	result chan rpmVerdict
	facts  *RPMFacts
	err    error
	ended  bool // the copy is closed and the verdict taken
}

type rpmVerdict struct {
	facts *RPMFacts
	err   error
}

// errStreamAborted tells the verifying goroutine that the stream stopped
// before its end (the store or the source failed).
var errStreamAborted = errors.New("stream aborted")

func newRPMCheck(r io.Reader, size int64, verify func(io.Reader) (*RPMFacts, error)) *rpmCheck {
	pr, pw := io.Pipe()
	c := &rpmCheck{r: r, pw: pw, size: size, result: make(chan rpmVerdict, 1)}
	go func() {
		f, err := verify(pr)
		if err == nil {
			// Whatever VerifyRPM left unread is not a package's.
			if k, _ := io.Copy(io.Discard, pr); k > 0 {
				err = fmt.Errorf("%d bytes after the end of the package", k)
			}
		}
		// A writer still writing gets this error rather than blocking.
		pr.CloseWithError(errors.Join(errStreamAborted, err))
		c.result <- rpmVerdict{f, err}
	}()
	return c
}

func (c *rpmCheck) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if c.ended {
		// Past the promised size: the digest.Reader probing for more.
		return c.r.Read(p)
	}
	if c.size >= 0 && int64(len(p)) > c.size-c.n {
		p = p[:c.size-c.n]
	}
	k, err := c.r.Read(p)
	if k > 0 {
		if _, werr := c.pw.Write(p[:k]); werr != nil {
			// The verifier stopped before the end: it found a fault.
			return 0, c.end()
		}
		c.n += int64(k)
	}
	if err != nil && err != io.EOF {
		c.err = err
		c.pw.CloseWithError(err)
		return k, err
	}
	if err == io.EOF || c.size >= 0 && c.n == c.size {
		if verr := c.end(); verr != nil {
			return 0, verr // the last bytes are held back
		}
	}
	return k, err
}

// end closes the verifier's copy and takes its verdict.
func (c *rpmCheck) end() error {
	c.pw.Close()
	v := <-c.result
	c.ended = true
	if v.err != nil {
		c.err = v.err
		return c.err
	}
	c.facts = v.facts
	return nil
}

// Close stops the verifier if the stream did not reach its end.
func (c *rpmCheck) Close() {
	if !c.ended {
		c.pw.CloseWithError(errStreamAborted)
		<-c.result
		c.ended = true
	}
}
