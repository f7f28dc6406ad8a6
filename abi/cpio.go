package abi

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/klauspost/compress/zstd"
	rpmutils "github.com/sassoftware/go-rpmutils"
	"github.com/ulikunitz/xz"
	"github.com/ulikunitz/xz/lzma"
)

// The payload is walked here rather than with go-rpmutils' payload reader:
// that reader allocates a buffer the size of every file it skips and of
// every name it reads, sizes the archive declares, so one large data file
// (glibc-common's 100 MB locale-archive) or one hostile header costs that
// much memory. This reader streams past what it does not need.

// maxNameSize bounds a cpio entry name (PATH_MAX and the NUL).
const maxNameSize = 4096 + 1

// payloadStream returns the decompressed cpio archive following the headers
// read from r, and a function releasing the decompressor.
func payloadStream(r *bufio.Reader, h *rpmutils.RpmHeader) (io.Reader, func(), error) {
	noop := func() {}
	if h.HasTag(rpmutils.PAYLOADFORMAT) {
		if f, err := h.GetString(rpmutils.PAYLOADFORMAT); err != nil || (f != "cpio" && f != "") {
			return nil, noop, fmt.Errorf("payload format %q is not cpio", f)
		}
	}
	comp := ""
	if h.HasTag(rpmutils.PAYLOADCOMPRESSOR) {
		var err error
		if comp, err = h.GetString(rpmutils.PAYLOADCOMPRESSOR); err != nil {
			return nil, noop, fmt.Errorf("payload compressor: %w", err)
		}
	} else if b, err := r.Peek(2); err == nil && b[0] == 0x1f && b[1] == 0x8b {
		comp = "gzip"
	}
	switch comp {
	case "", "uncompressed":
		return r, noop, nil
	case "gzip":
		z, err := gzip.NewReader(r)
		if err != nil {
			return nil, noop, fmt.Errorf("gzip payload: %w", err)
		}
		return z, func() { z.Close() }, nil
	case "bzip2":
		return bzip2.NewReader(r), noop, nil
	case "xz":
		z, err := xz.NewReader(r)
		if err != nil {
			return nil, noop, fmt.Errorf("xz payload: %w", err)
		}
		return z, noop, nil
	case "lzma":
		z, err := lzma.NewReader(r)
		if err != nil {
			return nil, noop, fmt.Errorf("lzma payload: %w", err)
		}
		return z, noop, nil
	case "zstd":
		z, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, noop, fmt.Errorf("zstd payload: %w", err)
		}
		return z, z.Close, nil
	}
	return nil, noop, fmt.Errorf("unknown payload compressor %q", comp)
}

// cpioEntry is one member of a newc archive.
type cpioEntry struct {
	name string
	mode uint32
	size int64
}

// cpioReader walks a newc (070701/070702) archive, or rpm's stripped form
// (07070X, names and sizes from the header), sequentially.
type cpioReader struct {
	r      io.Reader
	files  []rpmutils.FileInfo // for the stripped form
	remain int64               // unread bytes of the current entry
	pad    int64               // alignment after the current entry
	hdr    [110]byte
	off    int64 // archive offset, for alignment
}

var errCPIO = errors.New("malformed cpio payload")

func (c *cpioReader) read(p []byte) error {
	n, err := io.ReadFull(c.r, p)
	c.off += int64(n)
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("%w: %v", errCPIO, err)
	}
	return nil
}

func (c *cpioReader) skip(n int64) error {
	if n <= 0 {
		return nil
	}
	m, err := io.CopyN(io.Discard, c.r, n)
	c.off += m
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("%w: %v", errCPIO, err)
	}
	return nil
}

func hexField(b []byte) (uint64, error) {
	v, err := strconv.ParseUint(string(b), 16, 32)
	if err != nil {
		return 0, fmt.Errorf("%w: bad header field %q", errCPIO, b)
	}
	return v, nil
}

// next advances to the next entry, skipping what is left of the current
// one. It returns io.EOF at the trailer.
func (c *cpioReader) next() (*cpioEntry, error) {
	if err := c.skip(c.remain + c.pad); err != nil {
		return nil, err
	}
	c.remain, c.pad = 0, 0
	if err := c.read(c.hdr[:6]); err != nil {
		return nil, err
	}
	switch string(c.hdr[:6]) {
	case "07070X":
		if err := c.read(c.hdr[6:14]); err != nil {
			return nil, err
		}
		idx, err := hexField(c.hdr[6:14])
		if err != nil {
			return nil, err
		}
		if idx >= uint64(len(c.files)) {
			return nil, fmt.Errorf("%w: stripped entry %d of %d files", errCPIO, idx, len(c.files))
		}
		fi := c.files[idx]
		e := &cpioEntry{name: fi.Name(), mode: uint32(fi.Mode()), size: fi.Size()}
		if e.mode&0o170000 != 0o100000 {
			e.size = 0 // symlink targets and directories carry no data here
		}
		if e.size < 0 {
			return nil, fmt.Errorf("%w: negative size", errCPIO)
		}
		c.remain, c.pad = e.size, align4(c.off+e.size)-(c.off+e.size)
		return e, nil
	case "070701", "070702":
	default:
		return nil, fmt.Errorf("%w: bad magic %q", errCPIO, c.hdr[:6])
	}
	if err := c.read(c.hdr[6:]); err != nil {
		return nil, err
	}
	field := func(i int) (uint64, error) { return hexField(c.hdr[6+8*i : 14+8*i]) }
	mode, err := field(1)
	if err != nil {
		return nil, err
	}
	size, err := field(6)
	if err != nil {
		return nil, err
	}
	nameSize, err := field(11)
	if err != nil {
		return nil, err
	}
	if nameSize == 0 || nameSize > maxNameSize {
		return nil, fmt.Errorf("%w: name of %d bytes", errCPIO, nameSize)
	}
	name := make([]byte, nameSize)
	if err := c.read(name); err != nil {
		return nil, err
	}
	if err := c.skip(align4(c.off) - c.off); err != nil {
		return nil, err
	}
	e := &cpioEntry{name: string(bytes.TrimRight(name, "\x00")), mode: uint32(mode), size: int64(size)}
	if e.name == "TRAILER!!!" {
		return nil, io.EOF
	}
	// rpm writes "./usr/bin/x"; some writers omit the dot.
	if len(e.name) > 1 && e.name[0] == '.' && e.name[1] == '/' {
		e.name = e.name[1:]
	}
	c.remain, c.pad = e.size, align4(c.off+e.size)-(c.off+e.size)
	return e, nil
}

// Read reads the current entry's data.
func (c *cpioReader) Read(p []byte) (int, error) {
	if c.remain <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > c.remain {
		p = p[:c.remain]
	}
	n, err := c.r.Read(p)
	c.remain -= int64(n)
	c.off += int64(n)
	if err == io.EOF && c.remain > 0 {
		err = fmt.Errorf("%w: %v", errCPIO, io.ErrUnexpectedEOF)
	}
	return n, err
}

func align4(n int64) int64 { return (n + 3) &^ 3 }
