package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/rpmvault/rpmvault/resolver/rpmmd"
)

// NetOptions are the network timeouts, as curl's --connect-timeout,
// a response-header timeout, and --speed-limit/--speed-time (dnf's minrate
// and timeout): a server that never answers, stops after the headers or
// trickles fails in bounded time, and the caller retries or fails over.
type NetOptions struct {
	ConnectTimeout time.Duration // TCP connect and TLS handshake (default 30s)
	HeaderTimeout  time.Duration // from sending the request to the response headers (default 30s)
	// A body that averages fewer than SpeedLimit bytes a second over
	// SpeedTime is abandoned (defaults 1000 B/s over 30s; SpeedLimit < 0 turns it off).
	SpeedLimit int64
	SpeedTime  time.Duration
}

func (o NetOptions) withDefaults() NetOptions {
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 30 * time.Second
	}
	if o.HeaderTimeout <= 0 {
		o.HeaderTimeout = 30 * time.Second
	}
	if o.SpeedLimit == 0 {
		o.SpeedLimit = 1000
	}
	if o.SpeedTime <= 0 {
		o.SpeedTime = 30 * time.Second
	}
	return o
}

// NewHTTPClient returns the client every download uses: timeouts as o says,
// and bodies held to the size rpmmd.WithMaxSize put in the request's context.
func NewHTTPClient(o NetOptions) *http.Client {
	o = o.withDefaults()
	dialer := &net.Dialer{Timeout: o.ConnectTimeout, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   o.ConnectTimeout,
		ResponseHeaderTimeout: o.HeaderTimeout,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
		// Bytes are checked as the server stores them: asking for gzip
		// would have Go decode a .gz that a server labels
		// "Content-Encoding: gzip" (Apache's AddEncoding), so that its
		// checksum and size no longer match. curl and librepo do not ask.
		DisableCompression: true,
	}
	return &http.Client{Transport: &guardedTransport{next: tr, opts: o}}
}

// defaultClient is used by fetchers given no client; it holds no state
// that changes, so sharing it is safe.
var defaultClient = NewHTTPClient(NetOptions{})

// timeoutError is a server that did not answer, or sent too slowly
// (unexported: no caller branches on its type).
type timeoutError struct {
	URL    string
	Detail string
}

func (e *timeoutError) Error() string { return e.URL + ": " + e.Detail }

// Timeout marks the error as a timeout for net.Error-style checks.
func (e *timeoutError) Timeout() bool { return true }

// guardedTransport adds the size cap and the low-speed watchdog to bodies.
type guardedTransport struct {
	next http.RoundTripper
	opts NetOptions
}

func (t *guardedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	// The watchdog aborts a stalled body by cancelling its request: closing
	// the body would wait for the blocked read.
	ctx, cancel := context.WithCancel(req.Context())
	resp, err := t.next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, &timeoutError{URL: req.URL.String(), Detail: fmt.Sprintf("no answer within the timeouts (connect %v, headers %v): %v", t.opts.ConnectTimeout, t.opts.HeaderTimeout, err)}
		}
		return nil, err
	}
	limit := int64(-1)
	if declared := rpmmd.MaxSize(req.Context()); declared > 0 {
		// A resumed download's 206 carries the rest of the resource only.
		var start int64
		if resp.StatusCode == http.StatusPartialContent {
			fmt.Sscanf(resp.Header.Get("Content-Range"), "bytes %d-", &start)
		}
		limit = max(declared-start, 0)
		if resp.ContentLength > limit {
			resp.Body.Close()
			cancel()
			return nil, &rpmmd.TooLargeError{URL: req.URL.String(), Max: declared}
		}
	}
	g := &guardedBody{rc: resp.Body, cancel: cancel, url: req.URL.String(), limit: limit, max: rpmmd.MaxSize(req.Context()), opts: t.opts}
	if t.opts.SpeedLimit > 0 {
		g.timer = time.AfterFunc(t.opts.SpeedTime, g.check)
	}
	resp.Body = g
	return resp, nil
}

type guardedBody struct {
	rc     io.ReadCloser
	cancel context.CancelFunc
	url    string
	limit  int64 // bytes this body may carry, -1 for no cap
	max    int64 // the resource's declared size, for the error
	opts   NetOptions
	timer  *time.Timer

	mu      sync.Mutex
	n       int64 // bytes read so far
	checked int64 // n at the last watchdog check
	stalled bool
}

// check runs every SpeedTime: too few bytes since the last check abandons the body.
func (g *guardedBody) check() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.n-g.checked < speedFloor(g.opts) {
		g.stalled = true
		g.cancel()
		return
	}
	g.checked = g.n
	g.timer.Reset(g.opts.SpeedTime)
}

// speedFloor is how many bytes a SpeedTime window must carry.
func speedFloor(o NetOptions) int64 {
	return max(1, int64(float64(o.SpeedLimit)*o.SpeedTime.Seconds()))
}

func (g *guardedBody) Read(p []byte) (int, error) {
	if g.limit >= 0 && int64(len(p)) > g.limit-g.n+1 {
		p = p[:g.limit-g.n+1] // one byte past the cap is enough to tell
	}
	n, err := g.rc.Read(p)
	g.mu.Lock()
	g.n += int64(n)
	total, stalled := g.n, g.stalled
	g.mu.Unlock()
	if g.limit >= 0 && total > g.limit {
		g.Close()
		return n - int(total-g.limit), &rpmmd.TooLargeError{URL: g.url, Max: g.max}
	}
	if err == io.EOF && g.timer != nil {
		g.timer.Stop()
	}
	if err != nil && stalled {
		return n, &timeoutError{URL: g.url, Detail: fmt.Sprintf("transfer slower than %d bytes/s for %v; abandoned", g.opts.SpeedLimit, g.opts.SpeedTime)}
	}
	return n, err
}

func (g *guardedBody) Close() error {
	if g.timer != nil {
		g.timer.Stop()
	}
	err := g.rc.Close()
	g.cancel()
	return err
}
