package resolver

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"io"
	"unsafe"
)

// entrySink takes an entry's bytes as the writer makes them and hands
// them, in chunks, to a goroutine of its own that hashes them and writes
// them out: hashing and the write system calls were a third of the
// writer's time, and a cold resolve of a small request waits for the
// writer with the other core idle. It counts what it takes, so sections
// can start at multiples of 8 bytes.
type entrySink struct {
	n      uint64
	cur    []byte      // the chunk being filled
	full   chan []byte // chunks to hash and write, in order
	free   chan []byte // chunks hashed and written, to fill again
	done   chan struct{}
	closed bool
	// Set by the goroutine; read after done is closed.
	h   hash.Hash
	out io.Writer
	err error
}

// Chunks of 128 KiB were 250 hand-overs for the bench repo's 32 MB
// entry, each a futex wake and sleep on both sides: 6 ms of CPU. But the
// file is written 128 KiB at a time: the page cache keeps a file in
// folios as large as the writes that made them, and a warm resolve that
// maps the entry has a whole folio mapped around each page it reads
// (512 KiB writes made its peak RSS 2.4 MB higher).
const (
	sinkChunk  = 512 << 10
	sinkChunks = 3 // one filling, one being written, one to spare
	sinkWrite  = 128 << 10
)

func newEntrySink(out io.Writer) *entrySink {
	s := &entrySink{full: make(chan []byte, sinkChunks), free: make(chan []byte, sinkChunks), done: make(chan struct{}),
		h: sha256.New(), out: out}
	for range sinkChunks - 1 {
		s.free <- make([]byte, 0, sinkChunk)
	}
	s.cur = make([]byte, 0, sinkChunk)
	go s.drain()
	return s
}

func (s *entrySink) drain() {
	defer close(s.done)
	for b := range s.full {
		s.h.Write(b)
		for w := b; len(w) > 0 && s.err == nil; w = w[min(len(w), sinkWrite):] {
			if _, err := s.out.Write(w[:min(len(w), sinkWrite)]); err != nil {
				s.err = err
			}
		}
		s.free <- b[:0]
	}
}

// Write takes b; the sink does not keep it.
func (s *entrySink) Write(b []byte) {
	s.n += uint64(len(b))
	for len(b) > 0 {
		k := copy(s.cur[len(s.cur):cap(s.cur)], b)
		s.cur = s.cur[:len(s.cur)+k]
		b = b[k:]
		if len(s.cur) == cap(s.cur) {
			s.flush()
		}
	}
}

func (s *entrySink) WriteString(str string) {
	s.Write(unsafe.Slice(unsafe.StringData(str), len(str)))
}

func (s *entrySink) flush() {
	s.full <- s.cur
	s.cur = <-s.free
}

func (s *entrySink) align() {
	var zero [8]byte
	s.Write(zero[:align8(s.n)-s.n])
}

// word writes v little-endian, in place when the chunk has room.
func (s *entrySink) word(v uint32) {
	if cap(s.cur)-len(s.cur) < 4 {
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], v)
		s.Write(b[:])
		return
	}
	n := len(s.cur)
	s.cur = s.cur[:n+4]
	binary.LittleEndian.PutUint32(s.cur[n:], v)
	s.n += 4
	if n+4 == cap(s.cur) {
		s.flush()
	}
}

// words writes ws little-endian: as they lie on a little-endian host.
func (s *entrySink) words(ws []uint32) {
	if littleEndian {
		s.Write(bytesOf(ws))
		return
	}
	for _, v := range ws {
		s.word(v)
	}
}

func (s *entrySink) int32s(ws []int32) {
	s.words(unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(ws))), len(ws)))
}

// close writes what is left, waits for the goroutine and writes the
// sha256 of everything before it. Abandoning the entry only stops the
// goroutine; a sink closed already is left as it is, so an abandoning
// close can be deferred.
func (s *entrySink) close(abandon bool) error {
	if s.closed {
		return nil
	}
	s.closed = true
	if len(s.cur) > 0 && !abandon {
		s.full <- s.cur
	}
	close(s.full)
	<-s.done
	if abandon {
		return nil
	}
	if s.err != nil {
		return s.err
	}
	_, err := s.out.Write(s.h.Sum(nil))
	return err
}
