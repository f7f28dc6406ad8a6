package rpmmd

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// Fetcher reads the bytes behind a URL: http(s), file:// or a local path.
// start/end select a byte range ([start, end), end < 0 for "to the end").
// A fetcher honours the bound WithMaxSize puts in ctx. The reader of a
// ranged read may also have a method Size() int64 telling the length of the
// whole file (-1 when unknown): a header-only source learns a package's
// size from it without downloading the package.
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

type maxSizeKey struct{}

// WithMaxSize bounds every resource fetched with ctx to n bytes (the size
// a lock pins or repomd.xml declares): a longer body fails with a
// *TooLargeError as soon as byte n+1 arrives, so nothing past n is
// written. n <= 0 leaves ctx unchanged.
func WithMaxSize(ctx context.Context, n int64) context.Context {
	if n <= 0 {
		return ctx
	}
	return context.WithValue(ctx, maxSizeKey{}, n)
}

// MaxSize is the bound WithMaxSize put in ctx, 0 for none: what a Fetcher
// must hold a body to.
func MaxSize(ctx context.Context) int64 {
	n, _ := ctx.Value(maxSizeKey{}).(int64)
	return n
}

// TooLargeError is a body longer than the size declared for it.
type TooLargeError struct {
	URL string
	Max int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s: larger than the declared %d bytes; stopped there", e.URL, e.Max)
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

// HTTPStatusError is a non-success HTTP answer. It is declared here, not
// beside the HTTP client, so that code reading metadata can tell "not
// found" from "failed" without importing a network client.
type HTTPStatusError struct {
	URL    string
	Status int
	Text   string // the status's reason phrase ("Not Found")
}

func (e *HTTPStatusError) Error() string {
	return strings.TrimSuffix(fmt.Sprintf("GET %s: HTTP %d %s", e.URL, e.Status, e.Text), " ")
}

// LocalPath returns the file a file:// URL or a plain path names; false
// for any other URL.
func LocalPath(u string) (string, bool) {
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
