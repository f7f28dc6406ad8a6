package rpmmd

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/rpmvault/rpmvault/resolver/internal/rangeio"
)

// LocalFetcher is the Fetcher of file:// URLs and local paths, for a
// repository on disk (a bundle's, or a mirror on a mounted share). It needs
// no network code, so the target side can read a bundle's repodata with it.
type LocalFetcher struct{}

// Fetch implements Fetcher; a URL of another scheme is an error.
func (LocalFetcher) Fetch(ctx context.Context, rawURL string, start, end int64) (io.ReadCloser, error) {
	p, ok := LocalPath(rawURL)
	if !ok {
		return nil, fmt.Errorf("%s: not a local file (LocalFetcher reads file:// URLs and paths only)", rawURL)
	}
	rc, err := openLocal(p, start, end)
	if err != nil || MaxSize(ctx) <= 0 {
		return rc, err
	}
	return rangeio.Join(&capReader{r: rc, left: max(MaxSize(ctx)-start, 0), max: MaxSize(ctx), where: rawURL}, rc), nil
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
		return rangeio.WithSize(rangeio.Limit(f, end-start), size), nil
	}
	return f, nil
}

// capReader holds a local file to the size WithMaxSize declared.
type capReader struct {
	r     io.Reader
	left  int64
	max   int64
	where string
}

func (c *capReader) Read(p []byte) (int, error) {
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1]
	}
	n, err := c.r.Read(p)
	if int64(n) > c.left {
		n = int(c.left)
		c.left = -1
		return n, &TooLargeError{URL: c.where, Max: c.max}
	}
	c.left -= int64(n)
	return n, err
}
