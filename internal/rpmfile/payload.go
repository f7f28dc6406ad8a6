package rpmfile

import (
	"bufio"
	"compress/bzip2"
	"compress/gzip"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
	rpmutils "github.com/sassoftware/go-rpmutils"
	"github.com/ulikunitz/xz"
	"github.com/ulikunitz/xz/lzma"
)

// decompress returns the decompressed cpio archive following the headers
// read from r, and a function releasing the decompressor.
func decompress(r *bufio.Reader, h *rpmutils.RpmHeader) (io.Reader, func(), error) {
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
