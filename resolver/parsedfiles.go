package resolver

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"strings"
)

// readParsedBody reads a parsed-cache file and returns what is between its
// magic line and its checksum, once both are checked.
func readParsedBody(r io.Reader, magicPrefix, magic string) ([]byte, error) {
	data, err := parsedReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("parsed cache: %w", err)
	}
	return checkParsed(data, magicPrefix, magic)
}

// checkParsed checks a parsed-cache file's magic line and checksum and
// returns what is between them.
func checkParsed(data []byte, magicPrefix, magic string) ([]byte, error) {
	return checkParsedWith(data, magicPrefix, magic, nil)
}

// checkParsedWith is checkParsed that hands each megabyte it has hashed
// to done (see mapping.done), when done is not nil.
func checkParsedWith(data []byte, magicPrefix, magic string, done func([]byte)) ([]byte, error) {
	if len(data) < len(magic) && strings.HasPrefix(magic, string(data)) {
		return nil, fmt.Errorf("parsed cache: truncated: %d bytes", len(data))
	}
	if !bytes.HasPrefix(data, []byte(magic)) {
		if bytes.HasPrefix(data, []byte(magicPrefix)) {
			line, _, _ := bytes.Cut(data[len(magicPrefix):], []byte("\n"))
			return nil, fmt.Errorf("parsed cache: unsupported version %.20q (want %q)", line, strings.TrimSpace(magic))
		}
		return nil, fmt.Errorf("parsed cache: bad magic, not a parsed cache file (want %q)", strings.TrimSpace(magic))
	}
	if len(data) < len(magic)+sha256.Size {
		return nil, fmt.Errorf("parsed cache: truncated: %d bytes", len(data))
	}
	end := len(data) - sha256.Size
	h := sha256.New()
	for at := 0; at < end; at += 1 << 20 {
		chunk := data[at:min(at+1<<20, end)]
		h.Write(chunk)
		if done != nil {
			done(chunk)
		}
	}
	if sum := h.Sum(nil); !bytes.Equal(sum, data[end:]) {
		return nil, errors.New("parsed cache: sha256 mismatch (corrupt or truncated)")
	}
	return data[len(magic):end], nil
}

// The file-list part of a repo's parsed cache is a second, small entry, so
// that reading filelists for more paths rewrites only it. Layout:
//
//	magic      "rpmvault-parsed-files 1\n"
//	kept       uvarint count, then each path as uvarint length and bytes
//	packages   uvarint count (the packages of the main entry, in its order),
//	           then for each: FullFiles (0 or 1), uvarint count, and that
//	           many indexes into kept: the paths filelists added
//	sha256     of everything before it
const (
	parsedFilesMagicPrefix = "rpmvault-parsed-files "
	parsedFilesMagic       = parsedFilesMagicPrefix + "1\n"
)

// writeParsedFiles encodes what filelists added to pkgs: the paths of
// package i are added[first+i], which must be among kept.
func writeParsedFiles(w io.Writer, pool *idPool, pkgs []uniPkg, added map[int32][]string, first int, kept []string) error {
	idx := make(map[string]uint64, len(kept))
	b := []byte(parsedFilesMagic)
	b = binary.AppendUvarint(b, uint64(len(kept)))
	for i, k := range kept {
		idx[k] = uint64(i)
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
	}
	b = binary.AppendUvarint(b, uint64(len(pkgs)))
	for i := range pkgs {
		p := &pkgs[i]
		added := added[int32(first+i)]
		full := byte(0)
		if p.fullFiles || pool.fullRepos[p.repo] {
			full = 1
		}
		b = append(b, full)
		b = binary.AppendUvarint(b, uint64(len(added)))
		for _, f := range added {
			id, ok := idx[f]
			if !ok {
				return fmt.Errorf("parsed cache: %s has %s, which is not a kept path", pool.materialise(p, false, nil).NEVRA(), f)
			}
			b = binary.AppendUvarint(b, id)
		}
	}
	sum := sha256.Sum256(b)
	if _, err := w.Write(append(b, sum[:]...)); err != nil {
		return fmt.Errorf("parsed cache: %w", err)
	}
	return nil
}

// readParsedFiles decodes what writeParsedFiles wrote and applies it to
// part (its added paths, the packages' fullFiles), all or nothing: on
// error nothing changes.
func readParsedFiles(r io.Reader, part *repoPart) ([]string, error) {
	pkgs := part.pkgs
	body, err := readParsedBody(r, parsedFilesMagicPrefix, parsedFilesMagic)
	if err != nil {
		return nil, err
	}
	d := parsedDecoder{buf: body}
	kept := make([]string, d.count(1, "kept paths"))
	for i := range kept {
		n := d.count(1, "path bytes")
		kept[i] = string(d.buf[d.off : d.off+n])
		d.off += n
	}
	if n := d.count(1, "packages"); d.err == nil && n != len(pkgs) {
		d.fail(fmt.Sprintf("%d packages, the main entry has %d", n, len(pkgs)))
	}
	type addition struct {
		full  bool
		paths []uint64 // indexes into kept
	}
	adds := make([]addition, len(pkgs))
	for i := 0; i < len(pkgs) && d.err == nil; i++ {
		switch d.readByte() {
		case 0:
		case 1:
			adds[i].full = true
		default:
			d.fail("full-files flag is not 0 or 1")
		}
		for n := d.count(1, "paths"); n > 0 && d.err == nil; n-- {
			k := d.uvarint()
			if k >= uint64(len(kept)) {
				d.fail(fmt.Sprintf("path index %d out of range (%d paths)", k, len(kept)))
				break
			}
			adds[i].paths = append(adds[i].paths, k)
		}
	}
	if d.err == nil && d.off != len(d.buf) {
		d.fail("trailing bytes")
	}
	if d.err != nil {
		return nil, fmt.Errorf("parsed cache: file lists: %w", d.err)
	}
	// Only records that change are written: on a mapped entry each write
	// copies a page. Filelists lists every package, so they are all full
	// or none is, and that is said once, for the repo.
	allFull := len(pkgs) > 0
	for _, a := range adds {
		allFull = allFull && a.full
	}
	if allFull {
		pl := part.pool
		if pl.fullRepos == nil {
			pl.fullRepos = map[strID]bool{}
		}
		pl.fullRepos[pkgs[0].repo] = true
	}
	// The added paths go beside the records, which stay as they are (see
	// Universe.added).
	for i, a := range adds {
		if len(a.paths) > 0 {
			add := make([]string, len(a.paths))
			for j, k := range a.paths {
				add[j] = kept[k]
			}
			if part.added == nil {
				part.added = map[int32][]string{}
			}
			part.added[int32(i)] = add
		}
		if p := &pkgs[i]; !allFull && p.fullFiles != a.full {
			p.fullFiles = a.full
		}
	}
	return kept, nil
}

// parsedReadAll is io.ReadAll that sizes its buffer up front when the reader
// knows its length, sparing a dozen grow-and-copy rounds for a 10 MB input.
func parsedReadAll(r io.Reader) ([]byte, error) {
	size := int64(-1)
	switch r := r.(type) {
	case interface{ Len() int }:
		size = int64(r.Len())
	case interface{ Stat() (fs.FileInfo, error) }:
		if fi, err := r.Stat(); err == nil && fi.Mode().IsRegular() {
			size = fi.Size()
		}
	}
	if size < 0 || size > math.MaxInt32 {
		return io.ReadAll(r)
	}
	// One spare byte so that reaching EOF does not force a grow.
	buf := make([]byte, 0, size+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// parsedDecoder reads the body with a sticky error: after the first problem
// every read returns a zero value, so callers check err once per package.
type parsedDecoder struct {
	buf  []byte
	off  int
	strs []string
	err  error
}

func (d *parsedDecoder) remaining() int { return len(d.buf) - d.off }

func (d *parsedDecoder) fail(msg string) {
	if d.err == nil {
		d.err = fmt.Errorf("at offset %d: %s", d.off, msg)
	}
}

func (d *parsedDecoder) readByte() byte {
	if d.off >= len(d.buf) {
		d.fail("unexpected end of input")
		return 0
	}
	b := d.buf[d.off]
	d.off++
	return b
}

func (d *parsedDecoder) uvarint() uint64 {
	// String indexes dominate and take one to three bytes; decode those
	// without a loop.
	if b := d.buf[min(d.off, len(d.buf)):]; len(b) >= 3 {
		if b[0] < 0x80 {
			d.off++
			return uint64(b[0])
		}
		if b[1] < 0x80 {
			d.off += 2
			return uint64(b[0]&0x7f) | uint64(b[1])<<7
		}
		if b[2] < 0x80 {
			d.off += 3
			return uint64(b[0]&0x7f) | uint64(b[1]&0x7f)<<7 | uint64(b[2])<<14
		}
	}
	return d.uvarintSlow()
}

func (d *parsedDecoder) uvarintSlow() uint64 {
	var v uint64
	for shift := uint(0); d.off < len(d.buf); shift += 7 {
		b := d.buf[d.off]
		d.off++
		if b < 0x80 {
			if shift >= 63 && (shift > 63 || b > 1) {
				return d.failed("varint overflows 64 bits")
			}
			return v | uint64(b)<<shift
		}
		v |= uint64(b&0x7f) << shift
	}
	return d.failed("unexpected end of input")
}

// failed records msg and returns the zero value, out of line so that the
// readers' fast paths stay small enough to inline.
func (d *parsedDecoder) failed(msg string) uint64 {
	d.fail(msg)
	return 0
}

func (d *parsedDecoder) varint() int64 {
	u := d.uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

// count reads a count of items that take at least min bytes each, refusing
// one the rest of the input cannot hold.
func (d *parsedDecoder) count(min int, what string) int {
	n := d.uvarint()
	if d.err != nil {
		return 0
	}
	if n > uint64(d.remaining()/min) {
		d.fail(fmt.Sprintf("%d %s cannot fit in %d bytes", n, what, d.remaining()))
		return 0
	}
	return int(n)
}
