package resolver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/rpmvault/rpmvault/internal/rpmfile"
	"github.com/rpmvault/rpmvault/resolver/rpmmd"
)

// loadHeaders reads the packages of a repo without repodata from their RPM
// headers, fetching only the header bytes where the server allows ranges.
func loadHeaders(ctx context.Context, r Repo, opts LoadOptions) ([]*Package, error) {
	var out []*Package
	for _, u := range r.Packages {
		urls := []string{u}
		if p, ok := rpmmd.LocalPath(u); ok {
			if st, err := os.Stat(p); err == nil && st.IsDir() {
				matches, _ := filepath.Glob(filepath.Join(p, "*.rpm"))
				sort.Strings(matches)
				urls = matches
			}
		}
		for _, pu := range urls {
			p, err := readRemoteHeader(ctx, opts.Fetcher, pu, opts.Sources)
			if err != nil {
				return nil, fmt.Errorf("repo %s: read header of %s: %w", r.ID, pu, err)
			}
			if err := CheckPackageNames(p); err != nil {
				return nil, fmt.Errorf("repo %s: header of %s: %w", r.ID, pu, err)
			}
			p.Repo, p.Location = r.ID, pu
			out = append(out, p)
		}
	}
	return out, nil
}

// headerChunk is the first range asked for; most headers fit in it.
const headerChunk = 256 << 10

// headerAttempts is how often a header read is tried: a server that drops,
// truncates or damages one answer (the header's digests catch damage) is
// asked again, as the mirror asks again for a package.
const headerAttempts = 5

func readRemoteHeader(ctx context.Context, f rpmmd.Fetcher, u string, source bool) (*Package, error) {
	read := ReadPackage
	if source {
		read = readSourcePackage
	}
	var errs []error
	for attempt := 0; attempt < headerAttempts; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
			}
		}
		rr := &rangeReader{ctx: ctx, f: f, url: u}
		p, err := read(rr)
		rr.Close()
		if err == nil && p.Size == 0 {
			p.Size = rr.total // what a plan shows and the mirror expects
			if p.Size <= 0 {
				// The server said no size (no Content-Length, no total in
				// Content-Range): count the file, or plans and reports
				// show it as 0 B.
				p.Size, err = countRemote(ctx, f, u)
			}
		}
		var se *rpmmd.HTTPStatusError
		var oe *rpmmd.OfflineError
		if err == nil || errors.Is(err, rpmfile.ErrNotRPM) || errors.Is(err, os.ErrNotExist) || errors.As(err, &se) && se.Status < 500 || errors.As(err, &oe) {
			return p, err // an answer, not a failure to get one
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("%d attempts: %w", headerAttempts, errors.Join(errs...))
}

// countRemote reads a URL once to its end and returns its length.
func countRemote(ctx context.Context, f rpmmd.Fetcher, u string) (int64, error) {
	rc, err := f.Fetch(ctx, u, 0, -1)
	if err != nil {
		return 0, fmt.Errorf("size of %s: %w", u, err)
	}
	defer rc.Close()
	n, err := io.Copy(io.Discard, rc)
	if err != nil {
		return 0, fmt.Errorf("size of %s: %w", u, err)
	}
	return n, nil
}

// rangeReader reads a URL sequentially in ranged chunks, so reading a header
// never downloads the payload behind it.
type rangeReader struct {
	ctx        context.Context
	f          rpmmd.Fetcher
	url        string
	off        int64
	chunkStart int64
	cur        io.ReadCloser
	eof        bool
	total      int64 // the whole file's size, when a chunk's answer said it
}

func (r *rangeReader) Read(p []byte) (int, error) {
	for {
		if r.eof {
			return 0, io.EOF
		}
		if r.cur == nil {
			rc, err := r.f.Fetch(r.ctx, r.url, r.off, r.off+headerChunk)
			var se *rpmmd.HTTPStatusError
			if errors.As(err, &se) && se.Status == 416 { // Range Not Satisfiable
				r.eof = true // the file ended exactly at a chunk boundary
				continue
			}
			if err != nil {
				return 0, err
			}
			r.cur, r.chunkStart = rc, r.off
			if s, ok := rc.(interface{ Size() int64 }); ok && s.Size() > 0 {
				r.total = s.Size()
			}
		}
		n, err := r.cur.Read(p)
		r.off += int64(n)
		if err == io.EOF {
			r.cur.Close()
			r.cur = nil
			// A short chunk means the file itself ended.
			r.eof = r.off-r.chunkStart < headerChunk
			if n == 0 {
				continue
			}
			return n, nil
		}
		return n, err
	}
}

func (r *rangeReader) Close() error {
	if r.cur != nil {
		return r.cur.Close()
	}
	return nil
}
