package rpmfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	rpmutils "github.com/sassoftware/go-rpmutils"
)

// Limits on what a header may claim, so hostile input cannot make us allocate
// without bound. rpm itself caps the index at 0xffff entries; real headers of
// huge packages stay far below 64 MiB of data.
const (
	maxHeaderEntries = 0xffff
	maxHeaderData    = 64 << 20
	// LeadSize is the size of the lead that starts every RPM file.
	LeadSize   = 96
	introSize  = 16
	entrySize  = 16
	headerLead = 0xedabeedb
)

// ErrNotRPM is returned for input that is not an RPM file at all.
var ErrNotRPM = errors.New("not an RPM file (bad lead magic)")

// RawHeader is the byte span of an RPM's lead, signature header and main
// header, read and bounds-checked, ready for parsing.
type RawHeader struct {
	Bytes []byte // lead + signature header (padded) + main header
	// Start and End delimit the main header in the file, rpm-md's header-range.
	Start, End int64
	// Source says the lead marks a source RPM (type 1, as rpmbuild writes
	// for a .src.rpm). ParseHeader holds the header to the same kind.
	Source bool
}

// Signature returns the signature header structure.
func (h *RawHeader) Signature() []byte { return h.Bytes[LeadSize:h.Start] }

// Main returns the main header structure: what header digests and
// signatures cover.
func (h *RawHeader) Main() []byte { return h.Bytes[h.Start:h.End] }

// ReadRawHeader reads exactly the lead and both headers from r, checking
// every count, size and offset before trusting it. The reader is left at the
// start of the payload.
func ReadRawHeader(r io.Reader) (*RawHeader, error) {
	var buf bytes.Buffer
	lead := make([]byte, LeadSize)
	if _, err := io.ReadFull(r, lead); err != nil {
		return nil, fmt.Errorf("read lead: %w", truncated(err))
	}
	if binary.BigEndian.Uint32(lead) != headerLead {
		return nil, ErrNotRPM
	}
	var source bool
	switch binary.BigEndian.Uint16(lead[6:8]) {
	case leadBinary:
	case leadSource:
		source = true
	default:
		return nil, fmt.Errorf("lead type %d is neither binary (0) nor source (1)", binary.BigEndian.Uint16(lead[6:8]))
	}
	buf.Write(lead)
	if err := readHeaderBlock(r, &buf, "signature header", true); err != nil {
		return nil, err
	}
	start := int64(buf.Len())
	if err := readHeaderBlock(r, &buf, "header", false); err != nil {
		return nil, err
	}
	return &RawHeader{Bytes: buf.Bytes(), Start: start, End: int64(buf.Len()), Source: source}, nil
}

// Lead types: a binary package and a source package (.src.rpm).
const (
	leadBinary = 0
	leadSource = 1
)

// readHeaderBlock reads one header structure (intro, index, data) into buf.
func readHeaderBlock(r io.Reader, buf *bytes.Buffer, what string, padded bool) error {
	intro := make([]byte, introSize)
	if _, err := io.ReadFull(r, intro); err != nil {
		return fmt.Errorf("read %s: %w", what, truncated(err))
	}
	if intro[0] != 0x8e || intro[1] != 0xad || intro[2] != 0xe8 {
		return fmt.Errorf("%s: bad magic", what)
	}
	entries := binary.BigEndian.Uint32(intro[8:12])
	size := binary.BigEndian.Uint32(intro[12:16])
	if entries == 0 || entries > maxHeaderEntries {
		return fmt.Errorf("%s: implausible index count %d", what, entries)
	}
	if size > maxHeaderData {
		return fmt.Errorf("%s: implausible data size %d bytes (limit %d)", what, size, maxHeaderData)
	}
	index, err := readN(r, int64(entries)*entrySize)
	if err != nil {
		return fmt.Errorf("read %s index: %w", what, truncated(err))
	}
	dataLen := int64(size)
	if padded {
		dataLen = (dataLen + 7) / 8 * 8
	}
	data, err := readN(r, dataLen)
	if err != nil {
		return fmt.Errorf("read %s data: %w", what, truncated(err))
	}
	for i := 0; i < int(entries); i++ {
		e := index[i*entrySize:]
		typ := binary.BigEndian.Uint32(e[4:8])
		off := binary.BigEndian.Uint32(e[8:12])
		count := binary.BigEndian.Uint32(e[12:16])
		if off >= size {
			return fmt.Errorf("%s: entry %d points outside the data (offset %d of %d)", what, i, off, size)
		}
		if width, fixed := fixedWidth(typ); fixed && uint64(off)+uint64(width)*uint64(count) > uint64(size) {
			return fmt.Errorf("%s: entry %d overruns the data (%d x %d bytes at %d of %d)", what, i, count, width, off, size)
		}
		if count > size {
			return fmt.Errorf("%s: entry %d has implausible count %d", what, i, count)
		}
	}
	buf.Write(intro)
	buf.Write(index)
	buf.Write(data)
	return nil
}

// readN reads exactly n bytes, growing the buffer as data arrives, so a
// header that claims much more than the input holds costs no big allocation.
func readN(r io.Reader, n int64) ([]byte, error) {
	var b bytes.Buffer
	if n < 1<<20 {
		b.Grow(int(n))
	}
	got, err := io.CopyN(&b, r, n)
	if got < n {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return b.Bytes(), nil
}

// fixedWidth gives the element size of rpm's fixed-width header types.
func fixedWidth(typ uint32) (int, bool) {
	switch typ {
	case 0, 1, 2, 7: // null, char, int8, bin
		return 1, true
	case 3:
		return 2, true
	case 4:
		return 4, true
	case 5:
		return 8, true
	}
	return 0, false // strings: NUL-terminated, checked by the parser
}

func truncated(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return errors.New("file is truncated")
	}
	return err
}

// ParseHeader parses a RawHeader's tags with go-rpmutils (its header
// parser; the bytes were bounds-checked by ReadRawHeader). The lead and the
// header must agree on the kind of package: rpm tells a source package by
// its header having no SOURCERPM tag, and a lead of type source on a
// header that names a source RPM (or the reverse) is a forgery or damage.
func ParseHeader(raw *RawHeader) (*rpmutils.RpmHeader, error) {
	h, err := rpmutils.ReadHeader(bytes.NewReader(raw.Bytes))
	if err != nil {
		return nil, fmt.Errorf("parse header: %w", err)
	}
	if src := IsSource(h); src != raw.Source {
		return nil, fmt.Errorf("the lead says %s package, the header a %s one", kind(raw.Source), kind(src))
	}
	return h, nil
}

// IsSource reports whether a header is a source package's, as rpm decides
// it (headerIsSource): it names no SOURCERPM.
func IsSource(h *rpmutils.RpmHeader) bool {
	return !h.HasTag(rpmutils.SOURCERPM)
}

func kind(source bool) string {
	if source {
		return "a source"
	}
	return "a binary"
}
