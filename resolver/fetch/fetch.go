package fetch

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/rpmvault/rpmvault/resolver/internal/rangeio"
	"github.com/rpmvault/rpmvault/resolver/rpmmd"
)

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

// ApplyRewrites rewrites u with the first matching prefix.
func ApplyRewrites(rw []Rewrite, u string) string {
	for _, r := range rw {
		if u == r.From || strings.HasPrefix(u, r.From+"/") {
			return r.To + u[len(r.From):]
		}
	}
	return u
}

// HTTPFetcher fetches over HTTP with Range requests and, through
// rpmmd.LocalFetcher, from file:// URLs and local paths, after applying URL
// rewrites.
type HTTPFetcher struct {
	Client   *http.Client // nil: NewHTTPClient's with the default NetOptions
	Rewrites []Rewrite
}

// Fetch implements rpmmd.Fetcher.
func (f *HTTPFetcher) Fetch(ctx context.Context, rawURL string, start, end int64) (io.ReadCloser, error) {
	u := ApplyRewrites(f.Rewrites, rawURL)
	if _, ok := rpmmd.LocalPath(u); ok {
		return rpmmd.LocalFetcher{}.Fetch(ctx, u, start, end)
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
			return rangeio.WithSize(rangeio.Limit(resp.Body, end-start), resp.ContentLength), nil
		}
		return rangeio.WithSize(resp.Body, resp.ContentLength), nil
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
		return rangeio.WithSize(resp.Body, total), nil
	}
	resp.Body.Close()
	return nil, &rpmmd.HTTPStatusError{URL: u, Status: resp.StatusCode, Text: http.StatusText(resp.StatusCode)}
}
