package digest

import "io"

// behind passes what is written to it on to w on its own goroutine, at most
// behindChunks*behindChunk bytes behind the writer (it copies them: the
// writer's buffer is its own again when write returns).
type behind struct {
	w          io.Writer
	full, free chan []byte
	done       chan struct{}
	waited     bool
}

const (
	behindChunks = 4
	behindChunk  = 256 << 10
)

func newBehind(w io.Writer) *behind {
	b := &behind{w: w, full: make(chan []byte, behindChunks), free: make(chan []byte, behindChunks), done: make(chan struct{})}
	for range behindChunks {
		b.free <- make([]byte, 0, behindChunk)
	}
	go func() {
		defer close(b.done)
		for c := range b.full {
			b.w.Write(c)
			b.free <- c[:0]
		}
	}()
	return b
}

// write hands p to the goroutine (after wait, writes it to w itself).
func (b *behind) write(p []byte) {
	if b.waited {
		b.w.Write(p)
		return
	}
	for len(p) > 0 {
		c := <-b.free
		k := min(len(p), cap(c))
		b.full <- append(c, p[:k]...)
		p = p[k:]
	}
}

// wait returns once everything written has reached w, and stops the
// goroutine.
func (b *behind) wait() {
	if !b.waited {
		b.waited = true
		close(b.full)
		<-b.done
	}
}
