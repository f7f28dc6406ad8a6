package rpmfile

import (
	"bytes"
	"encoding/binary"
	"errors"
)

// Index is a header structure's tag index, for reading the few tags a
// caller needs without parsing every tag (the signature header, a digest).
// Its input comes from ReadRawHeader, which bounds-checked it.
type Index struct {
	entries map[int][2]uint32 // tag -> type, offset
	counts  map[int]uint32
	data    []byte
}

// ParseIndex reads the index of one header structure (RawHeader.Signature
// or RawHeader.Main).
func ParseIndex(b []byte) (*Index, error) {
	if len(b) < introSize {
		return nil, errors.New("truncated")
	}
	n := int(binary.BigEndian.Uint32(b[8:12]))
	size := int(binary.BigEndian.Uint32(b[12:16]))
	if introSize+n*entrySize+size > len(b) {
		return nil, errors.New("truncated")
	}
	hi := &Index{entries: map[int][2]uint32{}, counts: map[int]uint32{}, data: b[introSize+n*entrySize : introSize+n*entrySize+size]}
	for i := 0; i < n; i++ {
		e := b[introSize+i*entrySize:]
		tag := int(binary.BigEndian.Uint32(e[0:4]))
		hi.entries[tag] = [2]uint32{binary.BigEndian.Uint32(e[4:8]), binary.BigEndian.Uint32(e[8:12])}
		hi.counts[tag] = binary.BigEndian.Uint32(e[12:16])
	}
	return hi, nil
}

// Str returns a string tag, or the first element of a string array.
func (h *Index) Str(tag int) (string, bool) {
	e, ok := h.entries[tag]
	if !ok || (e[0] != 6 && e[0] != 8 && e[0] != 9) || int(e[1]) >= len(h.data) {
		return "", false
	}
	rest := h.data[e[1]:]
	if i := bytes.IndexByte(rest, 0); i >= 0 {
		return string(rest[:i]), true
	}
	return "", false
}

// Bin returns a binary tag.
func (h *Index) Bin(tag int) ([]byte, bool) {
	e, ok := h.entries[tag]
	if !ok || e[0] != 7 {
		return nil, false
	}
	end := int(e[1]) + int(h.counts[tag])
	if end > len(h.data) {
		return nil, false
	}
	return h.data[e[1]:end], true
}
