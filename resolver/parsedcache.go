package resolver

import (
	"bufio"
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

// The parsed cache holds one repo's packages in a compact binary form (the
// role libsolv's .solv files play), so a warm resolve parses no XML. Layout:
//
//	magic      "rpmvault-parsed 2\n"
//	strings    uvarint count, count uvarint lengths, then the bytes of all
//	           strings concatenated; string 0 is always "", the rest are in
//	           first-use order so the encoding is deterministic
//	counts     uvarint packages, deps, files (summed over all packages), so the
//	           decoder allocates each kind once
//	packages   the fields of Package in declaration order (not Repo)
//	sha256     of everything before it
//
// Strings are uvarint indexes into the table, integers are uvarints or, where
// they may be negative (Epoch, sizes), zigzag varints.
const (
	parsedMagicPrefix = "rpmvault-parsed "
	parsedMagic       = parsedMagicPrefix + "2\n"
)

// Bits of the byte that starts each encoded Dep. Most deps are unversioned, so
// absent fields cost nothing and such a dep takes two bytes.
const (
	parsedDepFlags = 1 << iota
	parsedDepPhase
	parsedDepEVR
	parsedDepAll = parsedDepFlags | parsedDepPhase | parsedDepEVR
)

// Minimum encoded sizes, used to bound counts read from the input before
// allocating for them.
const (
	parsedMinDep     = 2  // name, kind
	parsedMinPackage = 18 // name, epoch, version, release, arch, 4 dep counts, file count, full-files, sourcerpm, location, checksum type and hex, size, header start and end
)

// writeParsed encodes pkgs, all of one repo, to w.
func writeParsed(w io.Writer, pkgs []*Package) error {
	// Sized for what a package usually brings (six distinct strings, 90
	// bytes of body), so nothing is grown and copied: this runs beside a
	// solve, and its peak adds to the solve's.
	e := parsedEncoder{ids: make(map[string]uint32, 6*len(pkgs)), strs: make([]string, 1, 1+6*len(pkgs)),
		body: make([]byte, 0, 90*len(pkgs))}
	e.ids[""] = 0

	var nDeps, nFiles int
	for i, p := range pkgs {
		if p == nil {
			return fmt.Errorf("parsed cache: package %d is nil", i)
		}
		nDeps += len(p.Provides) + len(p.Requires) + len(p.Conflicts) + len(p.Obsoletes)
		nFiles += len(p.Files)
	}
	e.uvarint(uint64(len(pkgs)))
	e.uvarint(uint64(nDeps))
	e.uvarint(uint64(nFiles))

	for _, p := range pkgs {
		e.str(p.Name)
		e.evr(p.EVR)
		e.str(p.Arch)
		for _, deps := range [...][]Dep{p.Provides, p.Requires, p.Conflicts, p.Obsoletes} {
			e.uvarint(uint64(len(deps)))
			for _, d := range deps {
				e.dep(d)
			}
		}
		e.uvarint(uint64(len(p.Files)))
		for _, f := range p.Files {
			e.str(f)
		}
		if p.FullFiles {
			e.body = append(e.body, 1)
		} else {
			e.body = append(e.body, 0)
		}
		e.str(p.SourceRPM)
		e.str(p.Location)
		e.str(p.Checksum.Type)
		e.str(p.Checksum.Hex)
		e.varint(p.Size)
		e.varint(p.HeaderStart)
		e.varint(p.HeaderEnd)
	}

	// The table is only complete once the body has been encoded, so it is
	// written afterwards, straight to w: a copy of the whole would be a
	// second universe's worth of memory at the end of a resolve.
	h := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(w, h), 256<<10)
	bw.WriteString(parsedMagic)
	var n [binary.MaxVarintLen64]byte
	bw.Write(binary.AppendUvarint(n[:0], uint64(len(e.strs))))
	for _, s := range e.strs {
		bw.Write(binary.AppendUvarint(n[:0], uint64(len(s))))
	}
	for _, s := range e.strs {
		bw.WriteString(s)
	}
	bw.Write(e.body)
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("parsed cache: %w", err)
	}
	if _, err := w.Write(h.Sum(nil)); err != nil {
		return fmt.Errorf("parsed cache: %w", err)
	}
	return nil
}

type parsedEncoder struct {
	ids  map[string]uint32
	strs []string // by id
	body []byte
}

func (e *parsedEncoder) uvarint(v uint64) { e.body = binary.AppendUvarint(e.body, v) }
func (e *parsedEncoder) varint(v int64)   { e.body = binary.AppendVarint(e.body, v) }

func (e *parsedEncoder) str(s string) {
	id, ok := e.ids[s]
	if !ok {
		id = uint32(len(e.strs))
		e.ids[s] = id
		e.strs = append(e.strs, s)
	}
	e.uvarint(uint64(id))
}

func (e *parsedEncoder) evr(v EVR) {
	e.varint(int64(v.Epoch))
	e.str(v.Version)
	e.str(v.Release)
}

func (e *parsedEncoder) dep(d Dep) {
	var kind byte
	if d.Flags != 0 {
		kind |= parsedDepFlags
	}
	if d.Phase != 0 {
		kind |= parsedDepPhase
	}
	if d.EVR != (EVR{}) {
		kind |= parsedDepEVR
	}
	e.str(d.Name)
	e.body = append(e.body, kind)
	if kind&parsedDepFlags != 0 {
		e.uvarint(uint64(d.Flags))
	}
	if kind&parsedDepPhase != 0 {
		e.uvarint(uint64(d.Phase))
	}
	if kind&parsedDepEVR != 0 {
		e.evr(d.EVR)
	}
}

// readParsed decodes what writeParsed wrote. repo is assigned to every
// Package.Repo (not stored).
func readParsed(r io.Reader, repo string) ([]*Package, error) {
	body, err := readParsedBody(r, parsedMagicPrefix, parsedMagic)
	if err != nil {
		return nil, err
	}
	pkgs, err := decodeParsed(body, repo)
	if err != nil {
		return nil, fmt.Errorf("parsed cache: %w", err)
	}
	return pkgs, nil
}

// readParsedBody reads a parsed-cache file and returns what is between its
// magic line and its checksum, once both are checked.
func readParsedBody(r io.Reader, magicPrefix, magic string) ([]byte, error) {
	data, err := parsedReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("parsed cache: %w", err)
	}
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
	if sum := sha256.Sum256(data[:end]); !bytes.Equal(sum[:], data[end:]) {
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

// writeParsedFiles encodes what filelists added to pkgs: each package's
// Files after its first primary[i], which must be among kept.
func writeParsedFiles(w io.Writer, pkgs []*Package, primary []int, kept []string) error {
	idx := make(map[string]uint64, len(kept))
	b := []byte(parsedFilesMagic)
	b = binary.AppendUvarint(b, uint64(len(kept)))
	for i, k := range kept {
		idx[k] = uint64(i)
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
	}
	b = binary.AppendUvarint(b, uint64(len(pkgs)))
	for i, p := range pkgs {
		added := p.Files[primary[i]:]
		full := byte(0)
		if p.FullFiles {
			full = 1
		}
		b = append(b, full)
		b = binary.AppendUvarint(b, uint64(len(added)))
		for _, f := range added {
			id, ok := idx[f]
			if !ok {
				return fmt.Errorf("parsed cache: %s has %s, which is not a kept path", p.NEVRA(), f)
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
// pkgs (appending to Files, setting FullFiles), all or nothing: on error
// pkgs are unchanged.
func readParsedFiles(r io.Reader, pkgs []*Package) ([]string, error) {
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
		paths []string
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
			adds[i].paths = append(adds[i].paths, kept[k])
		}
	}
	if d.err == nil && d.off != len(d.buf) {
		d.fail("trailing bytes")
	}
	if d.err != nil {
		return nil, fmt.Errorf("parsed cache: file lists: %w", d.err)
	}
	for i, a := range adds {
		p := pkgs[i]
		p.Files = append(p.Files[:len(p.Files):len(p.Files)], a.paths...)
		p.FullFiles = a.full
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

// decodeParsed decodes the part of the encoding between magic and checksum.
// It trusts nothing: the checksum only catches accidents.
func decodeParsed(body []byte, repo string) ([]*Package, error) {
	d := parsedDecoder{buf: body}

	// The lengths are read twice: once to find the string bytes, which then
	// become one string, and once to slice that string up.
	nStrs := d.count(1, "strings")
	lensStart := d.off
	var blobLen uint64
	for range nStrs {
		n := d.uvarint()
		if n > uint64(len(d.buf)) || blobLen+n > uint64(len(d.buf)) {
			d.fail("string lengths exceed the input")
			break
		}
		blobLen += n
	}
	if d.err != nil {
		return nil, d.err
	}
	if blobLen > uint64(len(d.buf)-d.off) {
		return nil, fmt.Errorf("string table: %d bytes of strings, %d left", blobLen, len(d.buf)-d.off)
	}
	blob := string(d.buf[d.off : d.off+int(blobLen)])
	blobEnd := d.off + int(blobLen)
	d.off = lensStart
	d.strs = make([]string, nStrs)
	at := 0
	for i := range d.strs {
		n := int(d.uvarint())
		d.strs[i] = blob[at : at+n]
		at += n
	}
	d.off = blobEnd
	if nStrs == 0 || d.strs[0] != "" {
		return nil, errors.New("string table: entry 0 is not empty")
	}

	nPkgs := d.count(parsedMinPackage, "packages")
	nDeps := d.count(parsedMinDep, "deps")
	nFiles := d.count(1, "files")
	if d.err != nil {
		return nil, d.err
	}
	// Each count was bounded alone; together they must fit too.
	if need := uint64(nPkgs)*parsedMinPackage + uint64(nDeps)*parsedMinDep + uint64(nFiles); need > uint64(d.remaining()) {
		return nil, fmt.Errorf("counts (%d packages, %d deps, %d files) need %d bytes, %d left",
			nPkgs, nDeps, nFiles, need, d.remaining())
	}

	// One allocation per kind; each package gets full-slice-expression
	// subslices so an append to one never writes into its neighbour.
	files := make([]string, nFiles)
	deps := make([]Dep, nDeps)
	slab := make([]Package, nPkgs)
	pkgs := make([]*Package, nPkgs)
	for i := range slab {
		p := &slab[i]
		p.Name = d.str()
		p.EVR = d.evr()
		p.Arch = d.str()
		p.Provides = d.deps(&deps)
		p.Requires = d.deps(&deps)
		p.Conflicts = d.deps(&deps)
		p.Obsoletes = d.deps(&deps)
		p.Files = d.files(&files)
		switch d.readByte() {
		case 0:
		case 1:
			p.FullFiles = true
		default:
			d.fail("full-files flag is not 0 or 1")
		}
		p.SourceRPM = d.str()
		p.Repo = repo
		p.Location = d.str()
		p.Checksum.Type = d.str()
		p.Checksum.Hex = d.str()
		p.Size = d.varint()
		p.HeaderStart = d.varint()
		p.HeaderEnd = d.varint()
		if d.err != nil {
			return nil, fmt.Errorf("package %d: %w", i, d.err)
		}
		pkgs[i] = p
	}
	if len(deps) != 0 || len(files) != 0 {
		return nil, fmt.Errorf("declared %d deps and %d files more than the packages use", len(deps), len(files))
	}
	if d.off != len(d.buf) {
		return nil, fmt.Errorf("%d trailing bytes after the packages", len(d.buf)-d.off)
	}
	if nPkgs == 0 {
		pkgs = nil // like every other empty list
	}
	return pkgs, nil
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

func (d *parsedDecoder) str() string {
	i := d.uvarint()
	if i < uint64(len(d.strs)) {
		return d.strs[i]
	}
	return d.badIndex(i)
}

func (d *parsedDecoder) badIndex(i uint64) string {
	d.fail(fmt.Sprintf("string index %d out of range (%d strings)", i, len(d.strs)))
	return ""
}

func (d *parsedDecoder) evr() EVR {
	e := d.varint()
	if e != int64(int(e)) {
		d.fail(fmt.Sprintf("epoch %d overflows int", e))
	}
	return EVR{Epoch: int(e), Version: d.str(), Release: d.str()}
}

// deps takes the next list of deps from the front of *pool.
func (d *parsedDecoder) deps(pool *[]Dep) []Dep {
	n := d.uvarint()
	if n == 0 || d.err != nil {
		return nil
	}
	if n > uint64(len(*pool)) {
		d.fail(fmt.Sprintf("%d deps, only %d declared left", n, len(*pool)))
		return nil
	}
	list := (*pool)[:n:n]
	*pool = (*pool)[n:]
	for i := range list {
		dp := &list[i]
		dp.Name = d.str()
		kind := d.readByte()
		if kind&^parsedDepAll != 0 {
			d.fail(fmt.Sprintf("dep kind %#x has unknown bits", kind))
			return nil
		}
		if kind&parsedDepFlags != 0 {
			f := d.uvarint()
			if f > math.MaxUint32 {
				d.fail(fmt.Sprintf("dep flags %d overflow 32 bits", f))
			}
			dp.Flags = Flags(f)
		}
		if kind&parsedDepPhase != 0 {
			ph := d.uvarint()
			if ph > math.MaxUint8 {
				d.fail(fmt.Sprintf("dep phase %d overflows 8 bits", ph))
			}
			dp.Phase = Phase(ph)
		}
		if kind&parsedDepEVR != 0 {
			dp.EVR = d.evr()
		}
	}
	return list
}

// files takes the next list of paths from the front of *pool.
func (d *parsedDecoder) files(pool *[]string) []string {
	n := d.uvarint()
	if n == 0 || d.err != nil {
		return nil
	}
	if n > uint64(len(*pool)) {
		d.fail(fmt.Sprintf("%d files, only %d declared left", n, len(*pool)))
		return nil
	}
	list := (*pool)[:n:n]
	*pool = (*pool)[n:]
	for i := range list {
		list[i] = d.str()
	}
	return list
}
