package resolver

import "io"

// readAhead reads from r in its own goroutine, a few chunks ahead of the
// caller, so decompressing metadata runs on one core while the caller parses
// it on another. Close stops the goroutine and waits for it, after which r
// is the caller's again.
type readAhead struct {
	full  chan []byte // chunks read, in order
	free  chan []byte // chunks to reuse
	stop  chan struct{}
	done  chan struct{}
	err   error // why the goroutine stopped; read after full is closed
	cur   []byte
	chunk []byte // the chunk cur points into, returned to free when used up
}

const (
	readAheadChunk  = 256 << 10
	readAheadChunks = 4
)

func newReadAhead(r io.Reader) *readAhead {
	ra := &readAhead{
		full: make(chan []byte, readAheadChunks),
		free: make(chan []byte, readAheadChunks+1),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	for range readAheadChunks + 1 {
		ra.free <- make([]byte, readAheadChunk)
	}
	go ra.run(r)
	return ra
}

func (ra *readAhead) run(r io.Reader) {
	defer close(ra.done)
	defer close(ra.full)
	for {
		var buf []byte
		select {
		case buf = <-ra.free:
		case <-ra.stop:
			return
		}
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			select {
			case ra.full <- buf[:n]:
			case <-ra.stop:
				return
			}
		}
		if err == io.ErrUnexpectedEOF {
			err = io.EOF
		}
		if err != nil {
			ra.err = err
			return
		}
	}
}

func (ra *readAhead) Read(p []byte) (int, error) {
	for len(ra.cur) == 0 {
		if ra.chunk != nil {
			ra.free <- ra.chunk[:cap(ra.chunk)]
			ra.chunk = nil
		}
		buf, ok := <-ra.full
		if !ok {
			return 0, ra.err
		}
		ra.chunk, ra.cur = buf, buf
	}
	n := copy(p, ra.cur)
	ra.cur = ra.cur[n:]
	return n, nil
}

// Close stops reading ahead and waits until the goroutine has let go of r.
func (ra *readAhead) Close() error {
	select {
	case <-ra.stop:
	default:
		close(ra.stop)
	}
	<-ra.done
	return nil
}
