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
	return readPrimary(r, part, repo, sources, func() error {
		p := part.pool.materialise(&part.pkgs[0], true, nil)
		part.pkgs, part.pool.deps, part.pool.files = part.pkgs[:0], part.pool.deps[:1], part.pool.files[:0]
		return fn(p)
	})
}

// The fields of a package whose character data the reader keeps.
const (
	textNone = iota
	textName
	textArch
	textChecksum
	textSourceRPM
	textFile
)

// primaryReader reads primary.xml straight into a repo part: every name,
// version and path is interned into the part's pool as it is scanned, and a
// package becomes a record of ids with no *Package or Dep strings in
// between, so a repo never exists twice in memory and almost nothing is
// garbage.
type primaryReader struct {
	s       *xmlScanner
	part    *repoPart
	pool    *idPool
	repo    strID
	sources bool // a repo of source RPMs: only they are kept, without dependencies

	cur      scannedPkg
	nameText []byte   // <name> as read, for messages about a package without a record yet
	epoch    int      // of <version>
	epochErr error    // a bad epoch of <version>, reported at </package> as before
	depErr   [4]error // the first bad entry of each dependency list
	files    []strID  // the package's <file>s, copied by addScanned
	good     []bool   // by id: strings CheckNamePart accepted
	names    *nameCache

	// One-entry caches: a package's entries mostly repeat its own version,
	// and packages their predecessor's arch and checksum type. A look-up
	// in the pool is a hash and two or three cache misses.
	lastVer, lastRel     []byte
	lastVerID, lastRelID strID
	lastEVR              evrRec
	lastEVRID            evrID
	last                 [2]lastString // arch, checksum type
}

// readPrimary reads primary.xml into part; with added set, it is called
// after each package joins part.
func readPrimary(r io.Reader, part *repoPart, repo string, sources bool, added func() error) error {
	pr := &primaryReader{s: newXMLScanner(r), part: part, pool: part.pool, sources: sources, names: new(nameCache)}
	pr.repo = pr.pool.intern(repo)
	return pr.read(added)
}

func (pr *primaryReader) read(added func() error) error {
	s := pr.s
	var (
		seenRoot bool
		inPkg    bool
		text     int    // the field character data goes to (textNone: dropped)
		textBuf  []byte // text's character data so far
		list     = -1   // the dependency list being read (-1: none)
		stack    []byte // open elements' names, to catch mismatched tags
		ends     []int  // where each of them ends in stack
	)
	for {
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
				if len(textBuf)+len(s.text) > maxXMLToken {
					return fmt.Errorf("primary.xml line %d: text longer than %d MiB: not rpm-md", s.line(), maxXMLToken>>20)
				}
				textBuf = append(textBuf, s.text...)
			}
			continue
		}
		if text != textNone {
			pr.setText(text, textBuf)
			textBuf = textBuf[:0]
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
				pr.reset()
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
				if err := pr.finish(); err != nil {
					return fmt.Errorf("primary.xml line %d: %w", s.line(), err)
				}
				inPkg = false
				if added != nil && len(pr.part.pkgs) > 0 {
					if err := added(); err != nil {
						return err
					}
				}
			case "provides", "requires", "conflicts", "obsoletes":
				list = -1
			}
			continue
		}
		if text, list, err = pr.start(list); err != nil {
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

// reset starts a new package.
func (pr *primaryReader) reset() {
	deps := pr.cur.deps
	pr.cur = scannedPkg{}
	for k := range deps {
		pr.cur.deps[k] = deps[k][:0]
	}
	pr.nameText, pr.files = pr.nameText[:0], pr.files[:0]
	pr.epoch, pr.epochErr, pr.depErr = 0, nil, [4]error{}
}

// start handles a start tag inside a package and returns where its text
// goes and the dependency list now being read.
func (pr *primaryReader) start(list int) (int, int, error) {
	s, pl := pr.s, pr.pool
	var err error
	switch string(s.name) {
	case "name":
		return textName, list, nil
	case "arch":
		return textArch, list, nil
	case "version":
		pr.epoch, pr.epochErr = parseEpochBytes(s.attr("epoch"))
		pr.cur.evr = pr.evr(evrRec{epoch: int64(pr.epoch), ver: pr.ver(s.attr("ver")), rel: pr.rel(s.attr("rel"))})
	case "checksum":
		pr.cur.sumType = pr.intern(&pr.last[1], s.attr("type"))
		return textChecksum, list, nil
	case "size":
		pr.cur.size, err = parseIntAttr(s, "package")
	case "location":
		pr.cur.loc = pl.internBytes(s.attr("href"))
	case "sourcerpm":
		return textSourceRPM, list, nil
	case "header-range":
		if pr.cur.hdrStart, err = parseIntAttr(s, "start"); err == nil {
			pr.cur.hdrEnd, err = parseIntAttr(s, "end")
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
			pr.entry(list)
		}
	case "file":
		pr.files = append(pr.files, 0)
		return textFile, list, nil
	}
	return textNone, list, err
}

// ver and rel intern a version and a release, remembering the last one.
func (pr *primaryReader) ver(b []byte) strID {
	if len(b) == 0 {
		return 0
	}
	if !bytes.Equal(b, pr.lastVer) {
		pr.lastVer, pr.lastVerID = append(pr.lastVer[:0], b...), pr.pool.internBytes(b)
	}
	return pr.lastVerID
}

func (pr *primaryReader) rel(b []byte) strID {
	if len(b) == 0 {
		return 0
	}
	if !bytes.Equal(b, pr.lastRel) {
		pr.lastRel, pr.lastRelID = append(pr.lastRel[:0], b...), pr.pool.internBytes(b)
	}
	return pr.lastRelID
}

// entry reads a dependency <entry> into list k. A bad one is remembered
// and reported when the package ends, in list order, as it always was.
func (pr *primaryReader) entry(k int) {
	s := pr.s
	name := s.attr("name")
	if len(name) == 0 {
		if pr.depErr[k] == nil {
			pr.depErr[k] = errors.New("dependency entry without a name")
		}
		return
	}
	d := depRec{}
	if flags := s.attr("flags"); len(flags) > 0 {
		f := flagBits(flags)
		if f == 0 {
			if pr.depErr[k] == nil {
				pr.depErr[k] = fmt.Errorf("dependency %s: unknown flags %q", name, flags)
			}
			return
		}
		epoch, err := parseEpochBytes(s.attr("epoch"))
		if err != nil {
			if pr.depErr[k] == nil {
				pr.depErr[k] = fmt.Errorf("dependency %s: %w", name, err)
			}
			return
		}
		d.flags = uint8(f)
		if ver, rel := pr.ver(s.attr("ver")), pr.rel(s.attr("rel")); epoch != 0 || ver != 0 || rel != 0 {
			d.evr = pr.evr(evrRec{epoch: int64(epoch), ver: ver, rel: rel})
		}
	}
	if bytes.HasPrefix(name, []byte("rpmlib(")) {
		return // rpm's own features, which every rpm that reads the repo has
	}
	if pre := s.attr("pre"); len(pre) == 1 && pre[0] == '1' {
		d.phase = PhasePre
	}
	if pr.cur.name != 0 && bytes.Equal(name, pr.nameText) {
		d.name = pr.cur.name // the package's own name, as it provides
	} else {
		d.name = pr.names.intern(pr.pool, name)
	}
	pr.cur.deps[k] = append(pr.cur.deps[k], d)
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
func (pr *primaryReader) setText(field int, b []byte) {
	pl := pr.pool
	switch field {
	case textName:
		pr.cur.name = pr.names.intern(pl, b)
		pr.nameText = append(pr.nameText[:0], b...)
	case textArch:
		pr.cur.arch = pr.intern(&pr.last[0], b)
	case textChecksum:
		b = bytes.TrimSpace(b)
		for _, c := range b {
			if c >= 'A' && c <= 'Z' || c >= 0x80 {
				pr.cur.sumHex = pl.intern(strings.ToLower(string(b)))
				return
			}
		}
		pr.cur.sumHex = pl.internBytes(b)
	case textSourceRPM:
		pr.cur.srpm = pl.internBytes(b)
	case textFile:
		pr.files[len(pr.files)-1] = pl.internBytes(b)
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
