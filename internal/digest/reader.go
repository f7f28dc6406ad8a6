package digest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
)

// MismatchError says that what a Reader passed on is not what it was
// promised to be: its SHA-256 or its length differ.
type MismatchError struct {
	Want   string // the promised SHA-256
	Detail string // "content hashes to sha256 …", "N bytes, want M", …
}

func (e *MismatchError) Error() string { return "sha256 " + e.Want + ": " + e.Detail }

// Reader passes on what it reads while hashing it with SHA-256, and checks
// the sum (and the length, when one was promised) before it hands over the
// last bytes: on a mismatch that Read fails with a *MismatchError instead of
// returning them. A consumer that commits only on a complete body — a rename
// after EOF, an HTTP PUT with its Content-Length, a multipart upload
// completed after the last part — thus never commits a wrong one. It is the
// containers/image digestingReader, checked one step earlier.
//
// With a promised size, a source that holds more is caught by the Read after
// the last byte (Finish makes that Read); without one, the check happens
// when the source reports EOF.
type Reader struct {
	r    io.Reader
	h    hash.Hash // nil when pair takes the sums
	pair *Pair
	feed *behind // writes pair on its own goroutine
	last func(second [sha256.Size]byte) error
	want string
	size int64 // -1: not promised
	n    int64
	err  error // sticky: a mismatch, or the source's error
	done bool  // the sum was checked and matched
}

// NewReader checks that r yields exactly the bytes whose SHA-256 is want
// (and, if size >= 0, that there are size of them).
func NewReader(r io.Reader, want string, size int64) *Reader {
	if size < 0 {
		size = -1
	}
	return &Reader{r: r, h: sha256.New(), want: want, size: size}
}

// NewPairReader is NewReader for content that carries a digest of its own
// tail: an RPM, whose header holds the SHA-256 of the payload after it. It
// takes that second digest of what follows offset from in the same pass
// (Pair), and once the content's own sum has matched it calls last with
// the second digest, still before the last bytes are handed over: an error
// from last stops the Reader as a mismatch does (that Read and Err return
// it), so the consumer never commits content that last refused.
//
// The hashing runs on its own goroutine, up to a few hundred KiB behind
// the bytes passed on, so it overlaps the consumer's work (sending them)
// instead of adding to each Read; the sums are complete before the last
// bytes go. Call Close when done with the Reader.
func NewPairReader(r io.Reader, want string, size, from int64, last func(second [sha256.Size]byte) error) *Reader {
	if size < 0 {
		size = -1
	}
	pair := NewPair(from)
	return &Reader{r: r, pair: pair, feed: newBehind(pair), last: last, want: want, size: size}
}

// Close stops a NewPairReader's hashing goroutine if the content was not
// read to its end. It is a no-op for NewReader's.
func (v *Reader) Close() {
	if v.feed != nil {
		v.feed.wait()
	}
}

// Want is the SHA-256 the bytes must hash to.
func (v *Reader) Want() string { return v.want }

// Size is the promised length, -1 when none was.
func (v *Reader) Size() int64 { return v.size }

// N counts the bytes passed on so far.
func (v *Reader) N() int64 { return v.n }

// Err is the error that stopped the reader, if any: a *MismatchError or
// the source's own error (io.EOF is not an error).
func (v *Reader) Err() error { return v.err }

// Verified reports whether every byte was read and the sum matched.
func (v *Reader) Verified() bool { return v.done && v.err == nil }

func (v *Reader) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	if v.size >= 0 && v.n >= v.size {
		// Anything beyond the promised size is a lie about the content.
		var one [1]byte
		if k, _ := io.ReadFull(v.r, one[:]); k > 0 {
			v.err = &MismatchError{Want: v.want, Detail: fmt.Sprintf("longer than its %d bytes", v.size)}
			return 0, v.err
		}
		if !v.done {
			if err := v.check(); err != nil {
				return 0, err
			}
		}
		return 0, io.EOF
	}
	if v.size >= 0 && int64(len(p)) > v.size-v.n {
		p = p[:v.size-v.n]
	}
	k, err := v.r.Read(p)
	if v.feed != nil {
		v.feed.write(p[:k])
	} else {
		v.h.Write(p[:k])
	}
	v.n += int64(k)
	if v.size >= 0 && v.n == v.size {
		// The last promised byte: check before handing it over.
		if err := v.check(); err != nil {
			return 0, err
		}
		return k, nil
	}
	switch {
	case err == io.EOF && v.size >= 0:
		v.err = &MismatchError{Want: v.want, Detail: fmt.Sprintf("%d bytes, want %d", v.n, v.size)}
		return 0, v.err
	case err == io.EOF:
		if err := v.check(); err != nil {
			return 0, err
		}
	case err != nil:
		v.err = err
	}
	return k, err
}

// Finish reads to the end, so a source that holds more than the promised
// size is caught, and reports whether the content checked out.
func (v *Reader) Finish() error {
	if _, err := io.Copy(io.Discard, v); err != nil {
		return err
	}
	if !v.done {
		return &MismatchError{Want: v.want, Detail: fmt.Sprintf("%d bytes, want %d", v.n, v.size)}
	}
	return v.err
}

func (v *Reader) check() error {
	var sum, second [sha256.Size]byte
	if v.pair != nil {
		v.feed.wait()
		sum, second = v.pair.Sums()
	} else {
		v.h.Sum(sum[:0])
	}
	if got := hex.EncodeToString(sum[:]); got != v.want {
		v.err = &MismatchError{Want: v.want, Detail: "content hashes to sha256 " + got}
		return v.err
	}
	if v.last != nil {
		if err := v.last(second); err != nil {
			v.err = err
			return err
		}
	}
	v.done = true
	return nil
}
