package rangeio

import (
	"io"
	"strings"
	"testing"
)

type closeCount struct {
	io.Reader
	closed int
}

func (c *closeCount) Close() error { c.closed++; return nil }

// TestWrappersCloseAndSize: every wrapper reads what it should and closes
// what is behind it once, and WithSize tells the size it was given.
func TestWrappersCloseAndSize(t *testing.T) {
	for _, tt := range []struct {
		name string
		wrap func(io.ReadCloser) io.ReadCloser
		want string
	}{
		{"Join", func(rc io.ReadCloser) io.ReadCloser { return Join(io.LimitReader(rc, 2), rc) }, "01"},
		{"Limit", func(rc io.ReadCloser) io.ReadCloser { return Limit(rc, 3) }, "012"},
		{"WithSize", func(rc io.ReadCloser) io.ReadCloser { return WithSize(rc, 10) }, "0123456789"},
		{"WithSize over Limit", func(rc io.ReadCloser) io.ReadCloser { return WithSize(Limit(rc, 4), 10) }, "0123"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			under := &closeCount{Reader: strings.NewReader("0123456789")}
			rc := tt.wrap(under)
			got, err := io.ReadAll(rc)
			if err != nil || string(got) != tt.want {
				t.Fatalf("read %q, %v; want %q", got, err, tt.want)
			}
			if err := rc.Close(); err != nil || under.closed != 1 {
				t.Errorf("Close: %v, underlying reader closed %d times", err, under.closed)
			}
			s, ok := rc.(interface{ Size() int64 })
			if hasSize := strings.HasPrefix(tt.name, "WithSize"); ok != hasSize || ok && s.Size() != 10 {
				t.Errorf("Size method present %v (want %v)", ok, hasSize)
			}
		})
	}
}
