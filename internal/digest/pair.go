package digest

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
)

// Pair takes two SHA-256 digests of one stream in one pass: the first of
// all of it, the second of what follows offset from. A package streaming
// into the store needs both — its sha256 (its name) and its payload digest
// (the header's promise about the payload) — and hashing is most of what
// the mirror's own CPU does. On an x86 CPU with the SHA extensions the two
// are computed interleaved in one loop: a single stream's rounds wait on
// SHA256RNDS2's latency, which the other stream's rounds fill, so the pair
// costs much less than two hashes one after the other. Elsewhere it is two
// crypto/sha256 hashes. Either way every byte goes through each digest once.
type Pair struct {
	from int64 // where the second digest starts
	n    int64 // bytes written
	fast bool  // SHA-NI block functions
	a, b state
	ha   hash.Hash // without SHA-NI
	hb   hash.Hash
}

// state is one SHA-256 computation for the SHA-NI block functions.
type state struct {
	h    [8]uint32
	buf  [64]byte
	nbuf int
	len  uint64
}

var iv = [8]uint32{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19}

// NewPair returns a Pair whose second digest starts at offset from.
func NewPair(from int64) *Pair { return newPair(from, haveSHANI()) }

func newPair(from int64, fast bool) *Pair {
	p := &Pair{from: max(from, 0), fast: fast}
	if fast {
		p.a.h, p.b.h = iv, iv
	} else {
		p.ha, p.hb = sha256.New(), sha256.New()
	}
	return p
}

// Write hashes b into the first digest, and the part of it at or past
// offset from into the second. It never fails.
func (p *Pair) Write(b []byte) (int, error) {
	var second []byte
	if end := p.n + int64(len(b)); end > p.from {
		second = b[max(p.from-p.n, 0):]
	}
	p.n += int64(len(b))
	if !p.fast {
		p.ha.Write(b)
		p.hb.Write(second)
		return len(b), nil
	}
	ra, rb := p.a.fill(b), p.b.fill(second)
	if k := min(len(ra), len(rb)) / 64; k > 0 {
		blockTwo(&p.a.h, &p.b.h, &ra[0], &rb[0], k)
		ra, rb = ra[64*k:], rb[64*k:]
	}
	p.a.rest(ra)
	p.b.rest(rb)
	return len(b), nil
}

// N counts the bytes written.
func (p *Pair) N() int64 { return p.n }

// Sums returns both digests of what was written so far (the second is
// that of no bytes while fewer than from were written).
func (p *Pair) Sums() (first, second [sha256.Size]byte) {
	if !p.fast {
		p.ha.Sum(first[:0])
		p.hb.Sum(second[:0])
		return first, second
	}
	return p.a.sum(), p.b.sum()
}

// fill counts p, tops up a partly filled block with it and returns the
// rest of p, which starts on a block boundary (it is empty if the block
// is still not full).
func (s *state) fill(p []byte) []byte {
	s.len += uint64(len(p))
	if s.nbuf == 0 {
		return p
	}
	k := copy(s.buf[s.nbuf:], p)
	s.nbuf += k
	if s.nbuf == len(s.buf) {
		blockOne(&s.h, &s.buf[0], 1)
		s.nbuf = 0
	}
	return p[k:]
}

// rest hashes the whole blocks of p, which fill left on a block boundary,
// and keeps the remainder.
func (s *state) rest(p []byte) {
	if len(p) == 0 {
		return
	}
	if k := len(p) / 64; k > 0 {
		blockOne(&s.h, &p[0], k)
		p = p[64*k:]
	}
	s.nbuf = copy(s.buf[:], p)
}

func (s *state) write(p []byte) { s.rest(s.fill(p)) }

// sum pads a copy of s, as SHA-256 ends a message, and returns its digest.
func (s *state) sum() (out [sha256.Size]byte) {
	d := *s
	bits := d.len << 3
	var pad [64 + 8]byte
	pad[0] = 0x80
	k := 56 - int(d.len%64)
	if k <= 0 {
		k += 64
	}
	binary.BigEndian.PutUint64(pad[k:], bits)
	d.write(pad[:k+8])
	for i, w := range d.h {
		binary.BigEndian.PutUint32(out[4*i:], w)
	}
	return out
}
