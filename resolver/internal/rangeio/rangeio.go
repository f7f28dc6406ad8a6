package rangeio

import "io"

// Join reads from r and closes c: a reader stacked on a file or body that
// must still be closed.
func Join(r io.Reader, c io.Closer) io.ReadCloser {
	return readCloser{r, c}
}

// Limit reads the first n bytes of rc and closes rc.
func Limit(rc io.ReadCloser, n int64) io.ReadCloser {
	return readCloser{io.LimitReader(rc, n), rc}
}

// WithSize gives rc a Size method reporting size, the length of the whole
// file behind a (ranged) read; -1 when the file system or the server does
// not say.
func WithSize(rc io.ReadCloser, size int64) io.ReadCloser {
	return sized{rc, size}
}

type readCloser struct {
	io.Reader
	io.Closer
}

type sized struct {
	io.ReadCloser
	size int64
}

func (s sized) Size() int64 { return s.size }
