package resolver

import (
	"bytes"
	"strconv"
)

// The quick path of primary.xml reads a whole <package> element in one
// pass over the scanner's window, with none of the general path's tokens:
// most of a package is elements primary never needs (<summary>,
// <description>, <time>, <rpm:license> and so on), which it passes over
// with a search for the next '<', and the dependency entries, a dozen a
// package, have their attributes read straight into their fields.
//
// It takes only the plain form every writer of rpm-md produces: the whole
// element already in the window, tags as the scanner's quick paths read
// them (xmlquick.go), no comment, CDATA or processing instruction, no
// reference in a value the package keeps, and no field the general path
// would report as bad. Anything else makes it give up having changed
// nothing the general path reads, and the general path (xmlScanner.next
// and primaryScan.read) reads the package instead: it alone reports
// errors, and both give the same rawPkg for what the quick path takes
// (FuzzQuickPackageAgrees).

// quickMaxDepth bounds the elements open inside a package on the quick
// path; rpm-md nests three deep.
const quickMaxDepth = 8

// quickAttr is an attribute of a tag read by quickTag.
type quickAttr struct{ name, value []byte }

// pkgQuick is the quick path's state while it reads one package.
type pkgQuick struct {
	b     []byte // the scanner's unread window
	i     int    // position in b
	attrs [8]quickAttr
	n     int  // attributes of the last tag read
	amp   bool // a value of the last tag read has a '&'
	open  [quickMaxDepth][]byte
	depth int
}

// quickPackage reads the <package> element at the scanner's position
// into ps.cur and the batch, and reports whether it did; false leaves the
// scanner where it was and the batch as it was.
func (ps *primaryScan) quickPackage() bool {
	s, bt := ps.s, ps.b
	if s.general {
		return false
	}
	nbuf, nents, nfiles := len(bt.buf), len(bt.ents), len(bt.files)
	end, ok := ps.quickRead()
	if !ok {
		bt.buf, bt.ents, bt.files = bt.buf[:nbuf], bt.ents[:nents], bt.files[:nfiles]
		return false
	}
	s.pos += end
	ps.cur.line = s.line()
	return true
}

// quickRead does quickPackage's work and returns where the package ends
// in the window.
func (ps *primaryScan) quickRead() (int, bool) {
	s, c := ps.s, &ps.cur
	q := &ps.quick
	q.b, q.i, q.depth = s.buf[s.pos:s.end], 0, 0
	for q.i < len(q.b) && isSpace(q.b[q.i]) {
		q.i++
	}
	// The package's own start tag.
	name, empty, ok := q.tag()
	if !ok || empty || string(name) != "package" || q.hasAmp() {
		return 0, false
	}
	*c = rawPkg{ents: [2]int{len(ps.b.ents), len(ps.b.ents)}, files: [2]int{len(ps.b.files), len(ps.b.files)}}
	q.open[0], q.depth = name, 1
	text, list := textNone, -1
	var pending []byte // the character data of the field text names
	for {
		// Character data up to the next tag: the general path drops
		// whitespace between elements, and every other run but a field's
		// once it has checked its references.
		b := q.b[q.i:]
		j := 0
		for j < len(b) && isSpace(b[j]) {
			j++ // indentation, most often all there is
		}
		if j == len(b) || b[j] != '<' {
			k := bytes.IndexByte(b[j:], '<')
			if k < 0 {
				return 0, false // the package runs past the window
			}
			j += k
		}
		if j+1 == len(b) {
			return 0, false
		}
		if raw := b[:j]; j > 0 && !allSpace(raw) && len(bytes.TrimSpace(raw)) > 0 {
			if hasAmp(raw) {
				if text != textNone {
					return 0, false
				}
				var err error
				if s.tbuf, err = s.appendUnescaped(s.tbuf[:0], raw); err != nil {
					return 0, false
				}
			}
			if text != textNone {
				pending = raw
			}
		}
		q.i += j
		switch b[j+1] {
		case '!', '?':
			return 0, false // comments, CDATA and the like: the general path
		case '/':
			name, ok := q.endTag()
			if !ok || !bytes.Equal(name, q.open[q.depth-1]) {
				return 0, false
			}
			if text != textNone {
				ps.setText(text, pending)
				text, pending = textNone, nil
			}
			if q.depth--; q.depth == 0 {
				c.ents[1], c.files[1] = len(ps.b.ents), len(ps.b.files)
				return q.i, list == -1 // an empty list tag leaves list set: the general path carries it on
			}
			switch string(name) {
			case "provides", "requires", "conflicts", "obsoletes":
				list = -1
			}
		default:
			name, empty, ok := q.tag()
			if !ok {
				return 0, false
			}
			if text != textNone {
				ps.setText(text, pending)
				text, pending = textNone, nil
			}
			if !empty {
				if q.depth == quickMaxDepth {
					return 0, false
				}
				q.open[q.depth] = name
				q.depth++
			}
			if text, list, ok = ps.quickStart(name, list); !ok {
				return 0, false
			}
			if empty {
				text = textNone
			}
		}
	}
}

// allSpace: is b only XML whitespace? (The common case, indentation;
// bytes.TrimSpace decides the rest, as the general path does.)
func allSpace(b []byte) bool {
	for _, c := range b {
		if !isSpace(c) {
			return false
		}
	}
	return true
}

// quickStart is primaryScan.start for a tag read by pkgQuick: false for
// anything the general path must see (a nested package or root, a value
// with a reference, a bad number or epoch).
func (ps *primaryScan) quickStart(name []byte, list int) (int, int, bool) {
	q, b, c := &ps.quick, ps.b, &ps.cur
	switch string(name) {
	case "entry":
		if list < 0 {
			return textNone, list, !q.hasAmp()
		}
		return textNone, list, ps.quickEntry(list)
	case "file":
		if q.hasAmp() {
			return 0, 0, false
		}
		b.files = append(b.files, span{})
		return textFile, list, true
	case "name", "arch", "sourcerpm":
		if q.hasAmp() {
			return 0, 0, false
		}
		switch name[0] {
		case 'n':
			return textName, list, true
		case 'a':
			return textArch, list, true
		}
		return textSourceRPM, list, true
	case "package", "metadata":
		return 0, 0, false
	}
	if q.hasAmp() {
		return 0, 0, false
	}
	switch string(name) {
	case "version":
		var err error
		if c.epoch, err = parseEpochBytes(q.attr("epoch")); err != nil {
			return 0, 0, false
		}
		c.epochErr = nil
		c.ver, c.rel = b.put(q.attr("ver")), b.put(q.attr("rel"))
	case "checksum":
		c.sumType = b.put(q.attr("type"))
		return textChecksum, list, true
	case "size":
		var ok bool
		if c.size, ok = quickInt(q.attr("package")); !ok {
			return 0, 0, false
		}
	case "location":
		c.loc = b.put(q.attr("href"))
	case "header-range":
		var ok1, ok2 bool
		c.hdrStart, ok1 = quickInt(q.attr("start"))
		c.hdrEnd, ok2 = quickInt(q.attr("end"))
		if !ok1 || !ok2 {
			return 0, 0, false
		}
	case "provides":
		list = 0
	case "requires":
		list = 1
	case "conflicts":
		list = 2
	case "obsoletes":
		list = 3
	}
	return textNone, list, true
}

// quickEntry is primaryScan.entry for the attributes pkgQuick read;
// false for an entry the general path must report (no name, unknown
// flags, a bad epoch) or whose values have references.
func (ps *primaryScan) quickEntry(k int) bool {
	q := &ps.quick
	if q.amp {
		return false
	}
	var name, flags, epoch, ver, rel, pre []byte
	var seen uint8
	for k := range q.n {
		a := &q.attrs[k]
		var bit uint8
		var to *[]byte
		switch string(a.name) {
		case "name":
			bit, to = 1, &name
		case "flags":
			bit, to = 2, &flags
		case "epoch":
			bit, to = 4, &epoch
		case "ver":
			bit, to = 8, &ver
		case "rel":
			bit, to = 16, &rel
		case "pre":
			bit, to = 32, &pre
		default:
			continue
		}
		if seen&bit != 0 {
			continue // the first one counts, as for xmlScanner.attr
		}
		seen |= bit
		*to = a.value
	}
	if len(name) == 0 {
		return false
	}
	e := rawEntry{list: uint8(k)}
	if len(flags) > 0 {
		if e.flags = flagBits(flags); e.flags == 0 {
			return false
		}
		var err error
		if e.epoch, err = parseEpochBytes(epoch); err != nil {
			return false
		}
		e.ver, e.rel = ps.b.put(ver), ps.b.put(rel)
	}
	if bytes.HasPrefix(name, []byte("rpmlib(")) {
		return true
	}
	e.pre = len(pre) == 1 && pre[0] == '1'
	e.name = ps.b.put(name)
	ps.b.ents = append(ps.b.ents, e)
	return true
}

// quickInt is parseIntAttr's number for a value of digits; false for
// anything else, which the general path parses (or reports).
func quickInt(v []byte) (int64, bool) {
	if len(v) == 0 {
		return 0, true
	}
	if len(v) > 18 {
		n, err := strconv.ParseInt(string(v), 10, 64)
		return n, err == nil
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// attr is xmlScanner.attr for the last tag read.
func (q *pkgQuick) attr(name string) []byte {
	for k := range q.n {
		if string(q.attrs[k].name) == name {
			return q.attrs[k].value
		}
	}
	return nil
}

// hasAmp: does a value of the last tag read have a reference?
func (q *pkgQuick) hasAmp() bool { return q.amp }

// tag reads a start tag at q.i as xmlScanner.quickStart does (without
// unescaping values: callers refuse references where they matter) and
// returns its local name; false for anything quickStart would not take,
// or more attributes than q has room for.
func (q *pkgQuick) tag() (name []byte, empty, ok bool) {
	b := q.b[q.i:]
	if len(b) < 2 || b[0] != '<' {
		return nil, false, false
	}
	i, local := scanName(b, 1)
	if i == 1 || i == len(b) {
		return nil, false, false
	}
	name = b[local:i]
	q.n, q.amp = 0, false
	for {
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if i == len(b) {
			return nil, false, false
		}
		switch b[i] {
		case '>':
			q.i += i + 1
			return name, false, true
		case '/':
			if i+1 == len(b) || b[i+1] != '>' {
				return nil, false, false
			}
			q.i += i + 2
			return name, true, true
		}
		start := i
		i, local = scanName(b, i)
		if i == start || q.n == len(q.attrs) {
			return nil, false, false
		}
		a := &q.attrs[q.n]
		a.name = b[local:i]
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if i == len(b) || b[i] != '=' {
			return nil, false, false
		}
		i++
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if i == len(b) || (b[i] != '"' && b[i] != '\'') {
			return nil, false, false
		}
		// The value runs to the closing quote; a '&' in it is noted for
		// hasAmp on the way.
		k := i + 1
		amp := false
		if b[i] == '"' {
			for k < len(b) && b[k] != '"' {
				amp = amp || b[k] == '&'
				k++
			}
		} else {
			for k < len(b) && b[k] != '\'' {
				amp = amp || b[k] == '&'
				k++
			}
		}
		if k == len(b) {
			return nil, false, false
		}
		q.amp = q.amp || amp
		a.value = b[i+1 : k]
		q.n++
		i = k + 1
	}
}

// endTag reads an end tag at q.i as xmlScanner.quickEnd does and returns
// its local name.
func (q *pkgQuick) endTag() ([]byte, bool) {
	b := q.b[q.i:]
	i, local := scanName(b, 2)
	if i == 2 {
		return nil, false
	}
	name := b[local:i]
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	if i == len(b) || b[i] != '>' {
		return nil, false
	}
	q.i += i + 1
	return name, true
}
