package resolver

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
)

// The parsed cache holds one repo's packages as the id pool holds them (the
// role libsolv's .solv files play): a string table and arrays of
// little-endian uint32s, so a warm resolve parses no XML and loading is one
// read and a pass over the arrays, with no per-package allocation. Layout:
//
//	magic    "rpmvault-parsed 3\n"
//	counts   uint32 strings, string bytes, EVRs, deps, packages, files
//	strings  one uint32 length per string, then the bytes of all strings;
//	         string 0 is "", every string is distinct, and they are in
//	         first-use order so the encoding is deterministic
//	evrs     epoch (int64, low word first), version, release: 4 uint32
//	         each; EVR 0 is empty
//	deps     name, evr, flags | phase<<8: 3 uint32 each, package by package
//	packages parsedPkgWords uint32 each (see writeParsed)
//	files    one string id per path, package by package
//	sha256   of everything before it
const (
	parsedMagicPrefix = "rpmvault-parsed "
	parsedMagic       = parsedMagicPrefix + "3\n"
	parsedCounts      = 6
	parsedPkgWords    = 19
)

// writeParsed encodes pkgs, all of one repo, from pool. Its string and EVR
// tables hold only what these packages use, renumbered in first-use order.
func writeParsed(w io.Writer, pool *idPool, pkgs []uniPkg) error {
	strMap := make([]uint32, len(pool.strs)) // pool id -> entry id + 1; 0: not yet
	evrMap := make([]uint32, len(pool.evrs))
	strs := []strID{0}
	evrs := []evrRec{{}}
	str := func(id strID) uint32 {
		if id == 0 {
			return 0
		}
		if strMap[id] == 0 {
			strs = append(strs, id)
			strMap[id] = uint32(len(strs) - 1)
		}
		return strMap[id]
	}
	evr := func(id evrID) uint32 {
		if id == 0 {
			return 0
		}
		if evrMap[id] == 0 {
			e := pool.evrs[id]
			evrs = append(evrs, evrRec{epoch: e.epoch, ver: strID(str(e.ver)), rel: strID(str(e.rel))})
			evrMap[id] = uint32(len(evrs) - 1)
		}
		return evrMap[id]
	}
	var ndeps, nfiles int
	for i := range pkgs {
		ndeps += int(pkgs[i].obs - pkgs[i].dep)
		nfiles += len(pkgs[i].files)
	}
	// Two passes over the records, so none of them is buffered: the first
	// numbers the strings and EVRs (the tables come first), the second
	// writes the arrays. This runs beside a solve, and its peak adds to
	// the solve's.
	each := func(dep func(depRec), rec func(*uniPkg), file func(strID)) {
		for i := range pkgs {
			for _, d := range pool.deps[pkgs[i].dep:pkgs[i].obs] {
				dep(d)
			}
		}
		for i := range pkgs {
			rec(&pkgs[i])
		}
		for i := range pkgs {
			for _, f := range pkgs[i].files {
				file(f)
			}
		}
	}
	each(func(d depRec) { str(d.name); evr(d.evr) },
		func(p *uniPkg) {
			str(p.name)
			str(p.arch)
			evr(p.evr)
			str(p.srpm)
			str(p.loc)
			str(p.sumType)
			str(p.sumHex)
		},
		func(f strID) { str(f) })

	h := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(w, h), 256<<10)
	bw.WriteString(parsedMagic)
	blob := 0
	for _, id := range strs {
		blob += len(pool.strs[id])
	}
	writeWords(bw, []uint32{uint32(len(strs)), uint32(blob), uint32(len(evrs)), uint32(ndeps), uint32(len(pkgs)), uint32(nfiles)})
	lens := make([]uint32, len(strs))
	for k, id := range strs {
		lens[k] = uint32(len(pool.strs[id]))
	}
	writeWords(bw, lens)
	for _, id := range strs {
		bw.WriteString(pool.strs[id])
	}
	ev := make([]uint32, 0, 4*len(evrs))
	for _, e := range evrs {
		ev = append(appendInt64(ev, e.epoch), uint32(e.ver), uint32(e.rel))
	}
	writeWords(bw, ev)
	words := make([]uint32, 0, parsedPkgWords)
	each(func(d depRec) {
		writeWords(bw, append(words[:0], str(d.name), evr(d.evr), uint32(d.flags)|uint32(d.phase)<<8))
	}, func(p *uniPkg) {
		full := uint32(0)
		if p.fullFiles {
			full = 1
		}
		words = append(words[:0], str(p.name), str(p.arch), evr(p.evr),
			p.prov-p.dep, p.req-p.prov, p.con-p.req, p.obs-p.con, uint32(len(p.files)), full,
			str(p.srpm), str(p.loc), str(p.sumType), str(p.sumHex))
		words = appendInt64(words, p.size)
		words = appendInt64(words, p.hdrStart)
		writeWords(bw, appendInt64(words, p.hdrEnd))
	}, func(f strID) {
		writeWords(bw, append(words[:0], str(f)))
	})
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("parsed cache: %w", err)
	}
	if _, err := w.Write(h.Sum(nil)); err != nil {
		return fmt.Errorf("parsed cache: %w", err)
	}
	return nil
}

// appendInt64 appends v as two words, low first.
func appendInt64(b []uint32, v int64) []uint32 {
	return append(b, uint32(v), uint32(uint64(v)>>32))
}

func writeWords(w *bufio.Writer, words []uint32) {
	var b [4]byte
	for _, v := range words {
		binary.LittleEndian.PutUint32(b[:], v)
		w.Write(b[:])
	}
}

// readParsed decodes what writeParsed wrote into a repo part with a pool of
// its own. repo is every package's repo (not stored).
func readParsed(r io.Reader, repo string) (*repoPart, error) {
	// A file is mapped rather than read: its bytes are then not on the Go
	// heap, whose collector would otherwise let the heap grow to twice
	// their size, and they are gone once decoded.
	data, unmap, ok := mapFile(r)
	if ok {
		defer unmap()
	} else {
		var err error
		if data, err = parsedReadAll(r); err != nil {
			return nil, fmt.Errorf("parsed cache: %w", err)
		}
	}
	body, err := checkParsed(data, parsedMagicPrefix, parsedMagic)
	if err != nil {
		return nil, err
	}
	part, err := decodeParsed(body, repo)
	if err != nil {
		return nil, fmt.Errorf("parsed cache: %w", err)
	}
	return part, nil
}

// wordReader takes little-endian uint32s from the front of a buffer; when
// fewer are left than asked for it records the error and returns nothing.
type wordReader struct {
	buf []byte
	err error
}

func (w *wordReader) take(n uint64, what string) []byte {
	if w.err != nil {
		return nil
	}
	if n > uint64(len(w.buf))/4 {
		w.err = fmt.Errorf("%d words of %s, %d bytes left", n, what, len(w.buf))
		return nil
	}
	b := w.buf[:4*n]
	w.buf = w.buf[4*n:]
	return b
}

func word(b []byte, k int) uint32 { return binary.LittleEndian.Uint32(b[4*k:]) }

// decodeParsed decodes the part of the encoding between magic and
// checksum. It trusts nothing: the checksum only catches accidents, so
// every count is bounded by the input and every id by its table.
func decodeParsed(body []byte, repo string) (*repoPart, error) {
	wr := wordReader{buf: body}
	hdr := wr.take(parsedCounts, "counts")
	if wr.err != nil {
		return nil, wr.err
	}
	nStrs, blobLen, nEVRs := uint64(word(hdr, 0)), uint64(word(hdr, 1)), uint64(word(hdr, 2))
	nDeps, nPkgs, nFiles := uint64(word(hdr, 3)), uint64(word(hdr, 4)), uint64(word(hdr, 5))
	lens := wr.take(nStrs, "string lengths")
	if wr.err != nil {
		return nil, wr.err
	}
	if blobLen > uint64(len(wr.buf)) {
		return nil, fmt.Errorf("string table: %d bytes of strings, %d left", blobLen, len(wr.buf))
	}
	blob := string(wr.buf[:blobLen])
	wr.buf = wr.buf[blobLen:]
	evrb := wr.take(4*nEVRs, "EVRs")
	depb := wr.take(3*nDeps, "deps")
	pkgb := wr.take(parsedPkgWords*nPkgs, "packages")
	fileb := wr.take(nFiles, "files")
	if wr.err != nil {
		return nil, wr.err
	}
	if len(wr.buf) != 0 {
		return nil, fmt.Errorf("%d trailing bytes after the files", len(wr.buf))
	}
	if nStrs == 0 || nEVRs == 0 {
		return nil, fmt.Errorf("string or EVR table is empty (entry 0 is missing)")
	}

	// Room to grow: a solve interns the request and the installed set into
	// the pool, and a slice full to capacity would be copied whole, and
	// doubled, by the first append.
	spare := 4096 + nDeps/16
	pool := &idPool{strs: make([]string, nStrs, nStrs+spare), evrs: make([]evrRec, nEVRs, nEVRs+spare), deps: make([]depRec, 1, 1+nDeps+spare)}
	at := uint64(0)
	for i := range pool.strs {
		n := uint64(word(lens, i))
		if n > blobLen-at {
			return nil, fmt.Errorf("string lengths exceed the %d bytes of strings", blobLen)
		}
		pool.strs[i] = blob[at : at+n]
		at += n
	}
	if at != blobLen {
		return nil, fmt.Errorf("string lengths sum to %d, not %d", at, blobLen)
	}
	if pool.strs[0] != "" {
		return nil, fmt.Errorf("string table: entry 0 is not empty")
	}
	str := func(v uint32) (strID, error) {
		if uint64(v) >= nStrs {
			return 0, fmt.Errorf("string index %d out of range (%d strings)", v, nStrs)
		}
		return strID(v), nil
	}
	for i := range pool.evrs {
		ver, err1 := str(word(evrb, 4*i+2))
		rel, err2 := str(word(evrb, 4*i+3))
		if err := firstErr(err1, err2); err != nil {
			return nil, fmt.Errorf("EVR %d: %w", i, err)
		}
		epoch := int64(uint64(word(evrb, 4*i)) | uint64(word(evrb, 4*i+1))<<32)
		if epoch != int64(int(epoch)) {
			return nil, fmt.Errorf("EVR %d: epoch %d overflows int", i, epoch)
		}
		pool.evrs[i] = evrRec{epoch: epoch, ver: ver, rel: rel}
	}
	if pool.evrs[0] != (evrRec{}) {
		return nil, fmt.Errorf("EVR table: entry 0 is not empty")
	}
	for i := 0; i < int(nDeps); i++ {
		name, err := str(word(depb, 3*i))
		e, fl := word(depb, 3*i+1), word(depb, 3*i+2)
		switch {
		case err != nil:
			return nil, fmt.Errorf("dep %d: %w", i, err)
		case uint64(e) >= nEVRs:
			return nil, fmt.Errorf("dep %d: EVR index %d out of range (%d EVRs)", i, e, nEVRs)
		case fl&^(0xff00|uint32(Less|Greater|Equal)) != 0:
			return nil, fmt.Errorf("dep %d: flags %#x have unknown bits", i, fl)
		}
		pool.deps = append(pool.deps, depRec{name: name, evr: evrID(e), flags: uint8(fl), phase: Phase(fl >> 8)})
	}
	// Distinct strings and EVRs are what makes comparing ids comparing
	// values; the look-ups built here are the ones every solve needs.
	pool.index()
	if pool.strIdx.dups > 0 || len(pool.evrIdx) != len(pool.evrs) {
		return nil, fmt.Errorf("string or EVR table has duplicates")
	}

	part := &repoPart{pool: pool, pkgs: make([]uniPkg, nPkgs)}
	files := make([]strID, nFiles)
	repoID := pool.intern(repo)
	dep, file := uint32(1), uint64(0)
	for i := range part.pkgs {
		w := func(k int) uint32 { return word(pkgb, parsedPkgWords*i+k) }
		r := &part.pkgs[i]
		var errs [7]error
		r.name, errs[0] = str(w(0))
		r.arch, errs[1] = str(w(1))
		r.srpm, errs[2] = str(w(9))
		r.loc, errs[3] = str(w(10))
		r.sumType, errs[4] = str(w(11))
		r.sumHex, errs[5] = str(w(12))
		if e := w(2); uint64(e) >= nEVRs {
			errs[6] = fmt.Errorf("EVR index %d out of range (%d EVRs)", e, nEVRs)
		}
		if err := firstErr(errs[:]...); err != nil {
			return nil, fmt.Errorf("package %d: %w", i, err)
		}
		r.evr, r.repo = evrID(w(2)), repoID
		n := uint64(w(3)) + uint64(w(4)) + uint64(w(5)) + uint64(w(6))
		if n > uint64(len(pool.deps))-uint64(dep) {
			return nil, fmt.Errorf("package %d: %d deps, only %d declared left", i, n, uint64(len(pool.deps))-uint64(dep))
		}
		r.dep = dep
		r.prov = r.dep + w(3)
		r.req = r.prov + w(4)
		r.con = r.req + w(5)
		r.obs = r.con + w(6)
		dep = r.obs
		if nf := uint64(w(7)); nf > 0 {
			if nf > nFiles-file {
				return nil, fmt.Errorf("package %d: %d files, only %d declared left", i, nf, nFiles-file)
			}
			r.files = files[file : file+nf : file+nf]
			file += nf
		}
		switch w(8) {
		case 0:
		case 1:
			r.fullFiles = true
		default:
			return nil, fmt.Errorf("package %d: full-files flag is not 0 or 1", i)
		}
		r.size = int64(uint64(w(13)) | uint64(w(14))<<32)
		r.hdrStart = int64(uint64(w(15)) | uint64(w(16))<<32)
		r.hdrEnd = int64(uint64(w(17)) | uint64(w(18))<<32)
	}
	if uint64(dep) != uint64(len(pool.deps)) || file != nFiles {
		return nil, fmt.Errorf("declared %d deps and %d files more than the packages use", uint64(len(pool.deps))-uint64(dep), nFiles-file)
	}
	for k := range files {
		id, err := str(word(fileb, k))
		if err != nil {
			return nil, fmt.Errorf("file %d: %w", k, err)
		}
		files[k] = id
	}
	return part, nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
