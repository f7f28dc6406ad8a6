package resolver

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// Fetcher reads the bytes behind a URL: http(s), file:// or a local path.
// start/end select a byte range ([start, end), end < 0 for "to the end").
type Fetcher interface {
	Fetch(ctx context.Context, rawURL string, start, end int64) (io.ReadCloser, error)
}

// MetadataCache is implemented by fetchers that keep rpm-md files by
// checksum, so a second resolve asks the network only for repomd.xml.
type MetadataCache interface {
	FetchMetadata(ctx context.Context, rawURL string, sum Checksum) (io.ReadCloser, error)
}

// RepomdCache is implemented by fetchers that keep repomd.xml between
// runs. They are told whether what they served proved good — it parsed and
// the primary metadata it names verified — so a bad answer is never kept.
type RepomdCache interface {
	KeepRepomd(rawURL string, raw []byte) error
	// ForgetRepomd drops a cached copy that proved bad and returns a hint
	// naming the cache and how to refresh it ("" if it was not cached).
	ForgetRepomd(rawURL string) string
}

// Rewrite replaces a URL prefix, as --mirror-map FROM=TO.
type Rewrite struct{ From, To string }

// ParseRewrites parses FROM=TO pairs.
func ParseRewrites(pairs []string) ([]Rewrite, error) {
	var out []Rewrite
	for _, p := range pairs {
		from, to, ok := strings.Cut(p, "=")
		if !ok || from == "" || to == "" {
			return nil, fmt.Errorf("mirror map %q: want FROM=TO, e.g. https://vault.centos.org=http://mirror.local/vault", p)
		}
		out = append(out, Rewrite{From: strings.TrimSuffix(from, "/"), To: strings.TrimSuffix(to, "/")})
	}
	return out, nil
}

// Apply rewrites u with the first matching prefix.
func ApplyRewrites(rw []Rewrite, u string) string {
	for _, r := range rw {
		if u == r.From || strings.HasPrefix(u, r.From+"/") {
			return r.To + u[len(r.From):]
		}
	}
	return u
}

// HTTPFetcher fetches over HTTP with Range requests and from the local
// filesystem, after applying URL rewrites.
type HTTPFetcher struct {
	Client   *http.Client
	Rewrites []Rewrite
}

// OfflineError says --offline needed something the store does not hold:
// asking again cannot help.
type OfflineError struct {
	URL string
	Err error // why the store could not give it, if it has it
}

func (e *OfflineError) Error() string {
	msg := "--offline: " + e.URL + " is not in the store (mirror it once online)"
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *OfflineError) Unwrap() error { return e.Err }

// HTTPStatusError is a non-success HTTP answer.
type HTTPStatusError struct {
	URL    string
	Status int
}

func (e *HTTPStatusError) Error() string {
	return fmt.Sprintf("GET %s: HTTP %d %s", e.URL, e.Status, http.StatusText(e.Status))
}

func (f *HTTPFetcher) Fetch(ctx context.Context, rawURL string, start, end int64) (io.ReadCloser, error) {
	u := ApplyRewrites(f.Rewrites, rawURL)
	if p, ok := localPath(u); ok {
		rc, err := openLocal(p, start, end)
		if err != nil || maxSize(ctx) <= 0 {
			return rc, err
		}
		return readCloser{&capReader{r: rc, left: max(maxSize(ctx)-start, 0), max: maxSize(ctx), where: u}, rc}, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if start > 0 || end >= 0 {
		rng := fmt.Sprintf("bytes=%d-", start)
		if end >= 0 {
			rng += strconv.FormatInt(end-1, 10)
		}
		req.Header.Set("Range", rng)
	}
	client := f.Client
	if client == nil {
		client = defaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	switch resp.StatusCode {
	case http.StatusOK:
		// The server ignored the range: skip to start ourselves.
		if start > 0 {
			if _, err := io.CopyN(io.Discard, resp.Body, start); err != nil {
				resp.Body.Close()
				return nil, fmt.Errorf("GET %s: skip to byte %d: %w", u, start, err)
			}
		}
		if end >= 0 {
			return sizedReadCloser{readCloser{io.LimitReader(resp.Body, end-start), resp.Body}, resp.ContentLength}, nil
		}
		return sizedReadCloser{resp.Body, resp.ContentLength}, nil
	case http.StatusPartialContent:
		cr := resp.Header.Get("Content-Range")
		var gotStart int64
		if _, err := fmt.Sscanf(cr, "bytes %d-", &gotStart); err != nil || gotStart != start {
			resp.Body.Close()
			return nil, fmt.Errorf("GET %s: asked for bytes from %d, server answered Content-Range %q", u, start, cr)
		}
		total := int64(-1) // "bytes a-b/total", or "/*" when the server does not say
		if _, after, ok := strings.Cut(cr, "/"); ok {
			if n, err := strconv.ParseInt(after, 10, 64); err == nil {
				total = n
			}
		}
		return sizedReadCloser{resp.Body, total}, nil
	}
	resp.Body.Close()
	return nil, &HTTPStatusError{URL: u, Status: resp.StatusCode}
}

type readCloser struct {
	io.Reader
	io.Closer
}

func localPath(u string) (string, bool) {
	if strings.HasPrefix(u, "file://") {
		pu, err := url.Parse(u)
		if err != nil {
			return "", false
		}
		return pu.Path, true
	}
	if !strings.Contains(u, "://") {
		return u, true
	}
	return "", false
}

func openLocal(p string, start, end int64) (io.ReadCloser, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	if start > 0 {
		if _, err := f.Seek(start, io.SeekStart); err != nil {
			f.Close()
			return nil, err
		}
	}
	size := int64(-1)
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	if end >= 0 {
		return sizedReadCloser{readCloser{io.LimitReader(f, end-start), f}, size}, nil
	}
	return f, nil
}

// sizedReadCloser carries the size of the whole file behind a (ranged)
// read, when the server or the file system says it: a header-only
// source's package size without downloading the package.
type sizedReadCloser struct {
	io.ReadCloser
	size int64 // -1 when unknown
}

func (s sizedReadCloser) Size() int64 { return s.size }

// joinURL resolves a location against a base URL or directory.
func joinURL(base, loc string) string {
	if strings.Contains(loc, "://") {
		return loc
	}
	return strings.TrimSuffix(base, "/") + "/" + strings.TrimPrefix(loc, "/")
}
