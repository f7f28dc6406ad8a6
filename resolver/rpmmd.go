package resolver

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

func parseEpoch(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad epoch %q", s)
	}
	return n, nil
}

// parseEpochBytes is parseEpoch without making a string of the common
// epochs ("", "0", a few digits).
func parseEpochBytes(b []byte) (int, error) {
	if len(b) > 0 && len(b) < 10 {
		n := 0
		for _, c := range b {
			if c < '0' || c > '9' {
				return parseEpoch(string(b))
			}
			n = n*10 + int(c-'0')
		}
		return n, nil
	}
	return parseEpoch(string(b))
}

// ReadPrimary streams primary.xml (uncompressed) and calls fn for each
// package. Memory stays proportional to one package plus the strings kept.
func ReadPrimary(r io.Reader, repo string, fn func(*Package) error) error {
	return readPrimaryPackages(r, repo, false, fn)
}

// ReadSourcePrimary is ReadPrimary for a repo of source RPMs: it calls fn
// for each source package (arch "src") and skips the rest.
func ReadSourcePrimary(r io.Reader, repo string, fn func(*Package) error) error {
	return readPrimaryPackages(r, repo, true, fn)
}

// readPrimaryPackages reads into a part of its own and hands out each
// package as a *Package, dropping its record: only the strings stay.
func readPrimaryPackages(r io.Reader, repo string, sources bool, fn func(*Package) error) error {
	part := newRepoPart(1 << 10)
	return readPrimary(r, part, repo, sources, false, func() error {
		p := part.pool.materialise(&part.pkgs[0], true, nil)
		part.pkgs, part.pool.deps, part.pool.files = part.pkgs[:0], part.pool.deps[:1], part.pool.files[:0]
		return fn(p)
	})
}

// The fields of a package whose character data the scanner keeps.
const (
	textNone = iota
	textName
	textArch
	textChecksum
	textSourceRPM
	textFile
)

// Reading primary.xml is two stages on two goroutines, as the input is
// tens to hundreds of megabytes: primaryScan tokenizes it and copies the
// fields a package needs into batches (the XML is most of the work there),
// and primaryReader interns them into the part's pool and adds each package
// (the pool's look-ups are most of the work there). A third goroutine
// decompresses (readAhead): on two cores the three overlap.

// span is a field's bytes in a batch's buf.
type span struct{ off, n uint32 }

// rawPkg is one package as scanned: its fields, not yet interned.
type rawPkg struct {
	name, arch, sumType, sumHex, srpm, loc, ver, rel span
	epoch                                            int
	epochErr                                         error // a bad epoch of <version>, reported at </package>
	size, hdrStart, hdrEnd                           int64
	ents, files                                      [2]int   // ranges of the batch's ents and files
	depErr                                           [4]error // the first bad entry of each dependency list
	line                                             int      // of </package>, for messages
}

// rawEntry is a dependency <entry> as scanned.
type rawEntry struct {
	name, ver, rel span
	epoch          int
	flags          Flags // 0: unversioned
	list           uint8 // provides, requires, conflicts, obsoletes
	pre            bool
}

// primaryBatch carries packages from the scanner to the reader.
type primaryBatch struct {
	buf   []byte
	pkgs  []rawPkg
	ents  []rawEntry
	files []span
	err   error // what stopped the scanner, after pkgs; nil at the end of a good input
}

func (b *primaryBatch) bytes(sp span) []byte { return b.buf[sp.off : sp.off+sp.n] }

func (b *primaryBatch) put(v []byte) span {
	sp := span{uint32(len(b.buf)), uint32(len(v))}
	b.buf = append(b.buf, v...)
	return sp
}

// A batch is handed on once it holds this many bytes or packages: some
// 120 packages of a large repo, so that the three batches in flight cost
// under a megabyte of fresh memory (at 256 KiB, 3 MB), and the reader
// finds a batch still in the cache the scanner filled it from.
const (
	batchBytes = 64 << 10
	batchPkgs  = 256
)

// readPrimary reads primary.xml into part; with added set, it is called
// after each package joins part. With concurrent, the two stages run on
// goroutines of their own; without, they take turns on the caller's (for
// ReadPrimary, whose callers want its work on their goroutine and measure
// it there).
func readPrimary(r io.Reader, part *repoPart, repo string, sources, concurrent bool, added func() error) error {
	return readPrimaryFrom(newXMLScanner(r), part, repo, sources, concurrent, added)
}

// readPrimaryFrom is readPrimary from s (tests set s.general, to read
// with the general path alone).
func readPrimaryFrom(s *xmlScanner, part *repoPart, repo string, sources, concurrent bool, added func() error) error {
	pr := &primaryReader{part: part, pool: part.pool, sources: sources, names: new(nameCache)}
	pr.repo = pr.pool.intern(repo)
	ps := &primaryScan{s: s, b: &primaryBatch{}}
	if !concurrent {
		var err error
		ps.hand = func(b *primaryBatch) bool {
			if err = pr.batch(b, added); err == nil {
				err = b.err
			}
			b.reset()
			return err == nil
		}
		ps.run()
		return err
	}
	// Every batch fits in free, so that returning one never blocks, even
	// when the scanner has stopped taking them.
	full := make(chan *primaryBatch, 2)
	free := make(chan *primaryBatch, 3)
	stop := make(chan struct{})
	for range cap(free) - 1 {
		free <- &primaryBatch{}
	}
	ps.hand = func(b *primaryBatch) bool {
		select {
		case full <- b:
		case <-stop:
			return false
		}
		select {
		case ps.b = <-free:
		case <-stop:
			return false
		}
		ps.b.reset()
		return true
	}
	go func() {
		defer close(full)
		ps.run()
	}()
	var err error
	for b := range full { // until the scanner is gone: r is the caller's again
		if err == nil {
			if err = pr.batch(b, added); err == nil {
				err = b.err
			}
			if err != nil {
				close(stop)
			}
		}
		free <- b
	}
	return err
}

func (b *primaryBatch) reset() {
	b.buf, b.pkgs, b.ents, b.files, b.err = b.buf[:0], b.pkgs[:0], b.ents[:0], b.files[:0], nil
}

// primaryScan is the first stage: it reads the XML into batches.
type primaryScan struct {
	s                *xmlScanner
	b                *primaryBatch
	hand             func(*primaryBatch) bool // hands on a batch and sets b to an empty one; false: stop
	cur              rawPkg
	nameBuf, textBuf []byte
	quick            pkgQuick // the quick path's state (primaryquick.go)
}

func (ps *primaryScan) run() {
	ps.b.err = ps.read()
	if ps.b.err != errStopped {
		ps.hand(ps.b)
	}
}

// send hands on the batch when it is full; false when the reader has stopped.
func (ps *primaryScan) send() bool {
	if len(ps.b.buf) < batchBytes && len(ps.b.pkgs) < batchPkgs {
		return true
	}
	return ps.hand(ps.b)
}

// errStopped ends the scanner when the reader has stopped: the reader has
// its own error to report.
var errStopped = errors.New("stopped")

func (ps *primaryScan) read() error {
	s := ps.s
	var (
		seenRoot bool
		inPkg    bool
		text     int    // the field character data goes to (textNone: dropped)
		list     = -1   // the dependency list being read (-1: none)
		stack    []byte // open elements' names, to catch mismatched tags
		ends     []int  // where each of them ends in stack
	)
	for {
		// A package in the plain form is read by the quick path, whole;
		// the general path reads anything else, one token at a time.
		if !inPkg && list == -1 && ps.quickPackage() {
			ps.b.pkgs = append(ps.b.pkgs, ps.cur)
			if !ps.send() {
				return errStopped
			}
			continue
		}
		err := s.next()
		if err == errXMLEOF {
			switch {
			case !seenRoot:
				return errors.New("primary.xml: no <metadata> element")
			case len(ends) > 0:
				return fmt.Errorf("primary.xml: ends inside <%s>", stack[top(ends):])
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("primary.xml %w", err)
		}
		if s.kind == tokText {
			// Comments and CDATA split text into many tokens: collect
			// them in one buffer (appending to a string each time was
			// quadratic), bounded like any one token.
			if text != textNone {
				if len(ps.textBuf)+len(s.text) > maxXMLToken {
					return fmt.Errorf("primary.xml line %d: text longer than %d MiB: not rpm-md", s.line(), maxXMLToken>>20)
				}
				ps.textBuf = append(ps.textBuf, s.text...)
			}
			continue
		}
		if text != textNone {
			ps.setText(text, ps.textBuf)
			ps.textBuf = ps.textBuf[:0]
		}
		if s.kind == tokEnd {
			if len(ends) == 0 || !bytes.Equal(stack[top(ends):], s.name) {
				return fmt.Errorf("primary.xml line %d: unexpected </%s>", s.line(), s.name)
			}
			stack, ends = stack[:top(ends)], ends[:len(ends)-1]
		} else {
			if !s.empty {
				stack = append(stack, s.name...)
				ends = append(ends, len(stack))
			}
			switch string(s.name) {
			case "metadata":
				seenRoot = true
			case "package":
				ps.cur = rawPkg{ents: [2]int{len(ps.b.ents), len(ps.b.ents)}, files: [2]int{len(ps.b.files), len(ps.b.files)}}
				inPkg = true
			}
		}
		if !inPkg {
			continue
		}
		text = textNone
		if s.kind == tokEnd {
			switch string(s.name) {
			case "package":
				c := &ps.cur
				c.ents[1], c.files[1], c.line = len(ps.b.ents), len(ps.b.files), s.line()
				ps.b.pkgs = append(ps.b.pkgs, *c)
				inPkg = false
				if !ps.send() {
					return errStopped
				}
			case "provides", "requires", "conflicts", "obsoletes":
				list = -1
			}
			continue
		}
		if text, list, err = ps.start(list); err != nil {
			return err
		}
		if s.empty {
			text = textNone
		}
	}
}

// top is where the innermost open element's name starts in the stack.
func top(ends []int) int {
	if len(ends) < 2 {
		return 0
	}
	return ends[len(ends)-2]
}

// start handles a start tag inside a package and returns where its text
// goes and the dependency list now being read.
func (ps *primaryScan) start(list int) (int, int, error) {
	s, b, c := ps.s, ps.b, &ps.cur
	var err error
	switch string(s.name) {
	case "name":
		return textName, list, nil
	case "arch":
		return textArch, list, nil
	case "version":
		c.epoch, c.epochErr = parseEpochBytes(s.attr("epoch"))
		c.ver, c.rel = b.put(s.attr("ver")), b.put(s.attr("rel"))
	case "checksum":
		c.sumType = b.put(s.attr("type"))
		return textChecksum, list, nil
	case "size":
		c.size, err = parseIntAttr(s, "package")
	case "location":
		c.loc = b.put(s.attr("href"))
	case "sourcerpm":
		return textSourceRPM, list, nil
	case "header-range":
		if c.hdrStart, err = parseIntAttr(s, "start"); err == nil {
			c.hdrEnd, err = parseIntAttr(s, "end")
		}
	case "provides":
		list = 0
	case "requires":
		list = 1
	case "conflicts":
		list = 2
	case "obsoletes":
		list = 3
	case "entry":
		if list >= 0 {
			ps.entry(list)
		}
	case "file":
		b.files = append(b.files, span{})
		return textFile, list, nil
	}
	return textNone, list, err
}

// entry reads a dependency <entry> into list k. A bad one is remembered
// and reported when the package ends, in list order, as it always was.
func (ps *primaryScan) entry(k int) {
	s, c := ps.s, &ps.cur
	name := s.attr("name")
	if len(name) == 0 {
		if c.depErr[k] == nil {
			c.depErr[k] = errors.New("dependency entry without a name")
		}
		return
	}
	e := rawEntry{list: uint8(k)}
	if flags := s.attr("flags"); len(flags) > 0 {
		if e.flags = flagBits(flags); e.flags == 0 {
			if c.depErr[k] == nil {
				c.depErr[k] = fmt.Errorf("dependency %s: unknown flags %q", name, flags)
			}
			return
		}
		var err error
		if e.epoch, err = parseEpochBytes(s.attr("epoch")); err != nil {
			if c.depErr[k] == nil {
				c.depErr[k] = fmt.Errorf("dependency %s: %w", name, err)
			}
			return
		}
		e.ver, e.rel = ps.b.put(s.attr("ver")), ps.b.put(s.attr("rel"))
	}
	if bytes.HasPrefix(name, []byte("rpmlib(")) {
		return // rpm's own features, which every rpm that reads the repo has
	}
	pre := s.attr("pre")
	e.pre = len(pre) == 1 && pre[0] == '1'
	e.name = ps.b.put(name)
	ps.b.ents = append(ps.b.ents, e)
}

// flagBits maps rpm-md's flags to Flags; 0 for an unknown value.
func flagBits(b []byte) Flags {
	switch string(b) {
	case "EQ":
		return Equal
	case "GE":
		return Greater | Equal
	case "LE":
		return Less | Equal
	case "LT":
		return Less
	case "GT":
		return Greater
	}
	return 0
}

// setText stores the character data of a field.
func (ps *primaryScan) setText(field int, v []byte) {
	b, c := ps.b, &ps.cur
	switch field {
	case textName:
		c.name = b.put(v)
	case textArch:
		c.arch = b.put(v)
	case textChecksum:
		v = bytes.TrimSpace(v)
		for _, ch := range v {
			if ch >= 'A' && ch <= 'Z' || ch >= 0x80 {
				ps.nameBuf = append(ps.nameBuf[:0], strings.ToLower(string(v))...)
				v = ps.nameBuf
				break
			}
		}
		c.sumHex = b.put(v)
	case textSourceRPM:
		c.srpm = b.put(v)
	case textFile:
		b.files[len(b.files)-1] = b.put(v)
	}
}

func parseIntAttr(s *xmlScanner, name string) (int64, error) {
	v := s.attr(name)
	if len(v) == 0 {
		return 0, nil
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("primary.xml line %d: attribute %s=%q is not a number", s.line(), name, v)
	}
	return n, nil
}

// primarySizes estimates what a primary.xml of openSize uncompressed bytes
// (0: not declared) holds, to make its part the right size at once. In
// the generated 60,000-package repo and in CentOS trees a package takes
// 1.6-4.5 KB of XML, a dependency entry 150-180 bytes, a distinct string
// 250-300 and a <file> 400-850. Too little costs a doubling; too much is
// worse, as capacity counts as live heap to the collector, which then lets
// garbage grow to match. A declared size past 512 MiB (no real primary.xml
// comes near) is not believed.
func primarySizes(openSize int64) partSizes {
	n := int(min(openSize, 512<<20))
	if n <= 0 {
		return partSizes{pkgs: 1 << 10, strs: 1 << 12, deps: 1 << 14, files: 1 << 12}
	}
	return partSizes{pkgs: n / 1536, strs: n / 256, deps: n / 140, files: n / 768}
}
