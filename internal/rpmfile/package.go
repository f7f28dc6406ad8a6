package rpmfile

import (
	"bufio"
	"fmt"
	"io"

	rpmutils "github.com/sassoftware/go-rpmutils"
)

// Package is an RPM file whose headers have been read: its raw bytes, its
// parsed tags, and the reader positioned at the payload.
type Package struct {
	Raw    *RawHeader
	Header *rpmutils.RpmHeader
	r      *bufio.Reader
}

// Read reads the headers of the RPM file r. The payload is not read until
// Payload is called.
func Read(r io.Reader) (*Package, error) {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	raw, err := ReadRawHeader(br)
	if err != nil {
		return nil, err
	}
	h, err := ParseHeader(raw)
	if err != nil {
		return nil, err
	}
	return &Package{Raw: raw, Header: h, r: br}, nil
}

// Files returns the header's file list.
func (p *Package) Files() ([]rpmutils.FileInfo, error) {
	files, err := p.Header.GetFiles()
	if err != nil {
		return nil, fmt.Errorf("file list: %w", err)
	}
	return files, nil
}

// Payload returns the payload's archive. The caller closes it; the
// archive must be walked to its end for every byte of the file to be read.
func (p *Package) Payload() (*Archive, error) {
	files, err := p.Files()
	if err != nil {
		return nil, err
	}
	stream, release, err := decompress(p.r, p.Header)
	if err != nil {
		return nil, err
	}
	return newArchive(stream, files, release), nil
}

// PayloadOf walks the payload read from r, positioned just after the
// headers of the package whose parsed header is h (for callers that read
// the headers themselves, as verification does while hashing). The caller
// closes the archive.
func PayloadOf(r io.Reader, h *rpmutils.RpmHeader) (*Archive, error) {
	files, err := h.GetFiles()
	if err != nil {
		return nil, fmt.Errorf("file list: %w", err)
	}
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	stream, release, err := decompress(br, h)
	if err != nil {
		return nil, err
	}
	return newArchive(stream, files, release), nil
}
