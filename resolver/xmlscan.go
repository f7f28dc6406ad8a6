package resolver

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// xmlScanner is a small, fast tokenizer for rpm-md metadata: the files are
// tens or hundreds of megabytes of a few simple element types, and
// encoding/xml spends most of a resolve allocating tokens for them. It
// understands elements, attributes, character data, entity and character
// references, CDATA, comments and processing instructions (skipped), which
// is all rpm-md uses; anything malformed is an error with a line number.
//
// It scans a window of the input with bytes.IndexByte and friends rather
// than byte by byte, and a token's names, values and text point into that
// window unless they needed unescaping: they are valid until the next call
// to next.
type xmlScanner struct {
	r        io.Reader
	buf      []byte // the window: unread input is buf[pos:end]
	pos, end int
	eof      bool
	// lines counts the newlines that have left the window; line() adds
	// those in the window before pos, counting from where it last counted
	// (counted, with countedLines there), so that asking at every package
	// costs one pass over the input in all.
	lines                 int
	counted, countedLines int

	// The current token.
	kind  tokenKind
	name  []byte // local name (without a namespace prefix)
	attrs []xmlAttr
	text  []byte
	empty bool // <name/>

	tbuf []byte // unescaped text/attribute values, reused

	general bool // read every tag the general way (tests compare the quick paths with it)
}

type tokenKind int

const (
	tokStart tokenKind = iota + 1
	tokEnd
	tokText
)

type xmlAttr struct {
	name, value []byte
	start, end  int // of an unescaped value in tbuf, fixed up once all values are in
	inTbuf      bool
}

// maxXMLToken bounds one tag, text run, comment or CDATA section: rpm-md
// has nothing near it, and hostile input must not make the window grow
// without end.
const maxXMLToken = 32 << 20

func newXMLScanner(r io.Reader) *xmlScanner {
	return &xmlScanner{r: r, buf: make([]byte, 256<<10)}
}

var errXMLEOF = errors.New("end of XML")

func (s *xmlScanner) errorf(format string, args ...any) error {
	return fmt.Errorf("line %d: %s", s.line(), fmt.Sprintf(format, args...))
}

// line is the line number of the input at the scanner's position.
func (s *xmlScanner) line() int {
	if s.pos < s.counted {
		s.counted, s.countedLines = 0, 0
	}
	s.countedLines += bytes.Count(s.buf[s.counted:s.pos], []byte{'\n'})
	s.counted = s.pos
	return 1 + s.lines + s.countedLines
}

// fill reads more input into the window, moving the unread part to the
// front and growing the window when the unread part already fills it.
// It reports whether anything was added.
func (s *xmlScanner) fill() (bool, error) {
	if s.eof {
		return false, nil
	}
	if s.pos > 0 {
		s.line() // counts up to pos
		s.lines += s.countedLines
		s.end = copy(s.buf, s.buf[s.pos:s.end])
		s.pos, s.counted, s.countedLines = 0, 0, 0
	}
	if s.end == len(s.buf) {
		if len(s.buf) >= maxXMLToken {
			return false, s.errorf("a token longer than %d MiB: not rpm-md", maxXMLToken>>20)
		}
		s.buf = append(s.buf, make([]byte, len(s.buf))...)
	}
	for {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err == io.EOF {
			s.eof = true
			return n > 0, nil
		}
		if err != nil {
			return n > 0, err
		}
		if n > 0 {
			return true, nil
		}
	}
}

// find returns the offset from s.pos of the first match of search in the
// unread input at or after offset from, reading more input as needed; -1 at
// the end of the input. A match may be up to overlap+1 bytes long, so that
// much is searched again after each read.
func (s *xmlScanner) find(from, overlap int, search func([]byte) int) (int, error) {
	for {
		if i := search(s.buf[s.pos+from : s.end]); i >= 0 {
			return from + i, nil
		}
		from = max(from, s.end-s.pos-overlap)
		more, err := s.fill()
		if err != nil {
			return -1, err
		}
		if !more {
			return -1, nil
		}
	}
}

// next reads the next token. Empty elements produce a start token with
// empty set and no end token.
func (s *xmlScanner) next() error {
	for {
		if s.pos == s.end {
			more, err := s.fill()
			if err != nil {
				return err
			}
			if !more {
				return errXMLEOF
			}
		}
		// Whitespace before a tag is skipped here, the common case; text
		// (or whitespace running past the window) takes the longer way.
		start := s.pos
		for s.pos < s.end && isSpace(s.buf[s.pos]) {
			s.pos++
		}
		if s.pos == s.end || s.buf[s.pos] != '<' {
			s.pos = start
			n := bytes.IndexByte(s.buf[s.pos:s.end], '<')
			if n < 0 {
				var err error
				if n, err = s.find(0, 0, func(b []byte) int { return bytes.IndexByte(b, '<') }); err != nil {
					return err
				}
			}
			if n < 0 {
				n = s.end - s.pos
			}
			raw := s.buf[s.pos : s.pos+n]
			s.pos += n
			if len(bytes.TrimSpace(raw)) == 0 {
				continue // whitespace between elements
			}
			s.kind = tokText
			var err error
			s.text, err = s.unescape(raw)
			return err
		}
		for s.end-s.pos < 2 {
			more, err := s.fill()
			if err != nil {
				return err
			}
			if !more {
				return s.errorf("unexpected end of file in a tag")
			}
		}
		switch s.buf[s.pos+1] {
		case '?':
			if err := s.skipPast(2, "?>"); err != nil {
				return err
			}
			continue
		case '!':
			isText, err := s.readBang()
			if err != nil {
				return err
			}
			if isText {
				return nil
			}
			continue
		case '/':
			if !s.general && s.quickEnd() {
				return nil
			}
			tag, err := s.readTag()
			if err != nil {
				return err
			}
			s.kind, s.name = tokEnd, localName(trimXMLSpace(tag[2:len(tag)-1]))
			return nil
		default:
			if !s.general && s.quickStart() {
				return nil
			}
			tag, err := s.readTag()
			if err != nil {
				return err
			}
			return s.parseStart(tag[1 : len(tag)-1])
		}
	}
}

// readTag consumes a tag, '<' to the closing '>' outside quotes, and returns it.
func (s *xmlScanner) readTag() ([]byte, error) {
	i := 1
	for {
		b := s.buf[s.pos:s.end]
		for i < len(b) && !tagStop[b[i]] {
			i++
		}
		if i == len(b) {
			more, err := s.fill()
			if err != nil {
				return nil, err
			}
			if !more {
				return nil, s.errorf("unexpected end of file in a tag")
			}
			continue
		}
		switch c := b[i]; c {
		case '<':
			return nil, s.errorf("'<' inside a tag")
		case '>':
			tag := b[:i+1]
			s.pos += i + 1
			return tag, nil
		default:
			k, err := s.find(i+1, 0, func(b []byte) int { return bytes.IndexByte(b, c) })
			if err != nil {
				return nil, err
			}
			if k < 0 {
				return nil, s.errorf("unexpected end of file in a tag")
			}
			i = k + 1
		}
	}
}

// tagStop marks the bytes readTag stops at.
var tagStop = [256]bool{'<': true, '>': true, '"': true, '\'': true}

// skipPast consumes input up to and including end, starting the search at
// offset from.
func (s *xmlScanner) skipPast(from int, end string) error {
	i, err := s.find(from, len(end)-1, func(b []byte) int { return bytes.Index(b, []byte(end)) })
	if err != nil {
		return err
	}
	if i < 0 {
		return s.errorf("unexpected end of file looking for %q", end)
	}
	s.pos += i + len(end)
	return nil
}

// readBang handles <!-- -->, <![CDATA[ ]]> and <!DOCTYPE ...>, and reports
// whether it read a text token (CDATA).
func (s *xmlScanner) readBang() (bool, error) {
	const cdata = "<![CDATA["
	for s.end-s.pos < len(cdata) {
		more, err := s.fill()
		if err != nil {
			return false, err
		}
		if !more {
			break
		}
	}
	rest := s.buf[s.pos:s.end]
	switch {
	case bytes.HasPrefix(rest, []byte("<!--")):
		return false, s.skipPast(4, "-->")
	case bytes.HasPrefix(rest, []byte(cdata)):
		i, err := s.find(len(cdata), 2, func(b []byte) int { return bytes.Index(b, []byte("]]>")) })
		if err != nil {
			return false, err
		}
		if i < 0 {
			return false, s.errorf("unexpected end of file in CDATA")
		}
		s.text = s.buf[s.pos+len(cdata) : s.pos+i]
		s.pos += i + 3
		s.kind = tokText
		return true, nil
	default:
		_, err := s.readTag() // <!DOCTYPE ...> without an internal subset
		return false, err
	}
}

// parseStart parses the inside of a start tag: name and attributes.
func (s *xmlScanner) parseStart(b []byte) error {
	s.empty = false
	if n := len(b); n > 0 && b[n-1] == '/' {
		s.empty = true
		b = b[:n-1]
	}
	i := 0
	for i < len(b) && !isSpace(b[i]) {
		i++
	}
	if i == 0 {
		return s.errorf("tag without a name")
	}
	s.kind, s.name, s.attrs = tokStart, localName(b[:i]), s.attrs[:0]
	s.tbuf = s.tbuf[:0]
	for {
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if i >= len(b) {
			// tbuf may have moved while growing: slice the values now.
			for k, a := range s.attrs {
				if a.inTbuf {
					s.attrs[k].value = s.tbuf[a.start:a.end]
				}
			}
			return nil
		}
		start := i
		for i < len(b) && b[i] != '=' && !isSpace(b[i]) {
			i++
		}
		name := b[start:i]
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if i >= len(b) || b[i] != '=' {
			return s.errorf("attribute %q without a value", name)
		}
		i++
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if i >= len(b) || (b[i] != '"' && b[i] != '\'') {
			return s.errorf("attribute %q value is not quoted", name)
		}
		q := b[i]
		i++
		end := bytes.IndexByte(b[i:], q)
		if end < 0 {
			return s.errorf("unterminated value of attribute %q", name)
		}
		a := xmlAttr{name: localName(name), value: b[i : i+end]}
		if bytes.IndexByte(a.value, '&') >= 0 {
			a.start, a.inTbuf = len(s.tbuf), true
			var err error
			if s.tbuf, err = s.appendUnescaped(s.tbuf, a.value); err != nil {
				return err
			}
			a.end = len(s.tbuf)
		}
		s.attrs = append(s.attrs, a)
		i += end + 1
	}
}

func (s *xmlScanner) attr(name string) []byte {
	for _, a := range s.attrs {
		if string(a.name) == name {
			return a.value
		}
	}
	return nil
}

func localName(b []byte) []byte {
	if i := bytes.IndexByte(b, ':'); i >= 0 {
		return b[i+1:]
	}
	return b
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// trimXMLSpace trims XML's whitespace (space, tab, CR, LF) only, as the
// quick paths do: bytes.TrimSpace would also take \f and \v, which XML
// does not count as space.
func trimXMLSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// unescape returns b with references resolved: b itself when it has none.
func (s *xmlScanner) unescape(b []byte) ([]byte, error) {
	if bytes.IndexByte(b, '&') < 0 {
		return b, nil
	}
	var err error
	s.tbuf, err = s.appendUnescaped(s.tbuf[:0], b)
	return s.tbuf, err
}

// appendUnescaped appends b to dst with entity and character references resolved.
func (s *xmlScanner) appendUnescaped(dst, b []byte) ([]byte, error) {
	for {
		i := bytes.IndexByte(b, '&')
		if i < 0 {
			return append(dst, b...), nil
		}
		dst = append(dst, b[:i]...)
		b = b[i:]
		semi := bytes.IndexByte(b, ';')
		if semi < 0 || semi > 12 {
			return dst, s.errorf("malformed entity reference")
		}
		ent := b[1:semi]
		switch string(ent) {
		case "amp":
			dst = append(dst, '&')
		case "lt":
			dst = append(dst, '<')
		case "gt":
			dst = append(dst, '>')
		case "quot":
			dst = append(dst, '"')
		case "apos":
			dst = append(dst, '\'')
		default:
			if len(ent) < 2 || ent[0] != '#' {
				return dst, s.errorf("unknown entity &%s;", ent)
			}
			var n uint64
			var err error
			if ent[1] == 'x' {
				n, err = strconv.ParseUint(string(ent[2:]), 16, 32)
			} else {
				n, err = strconv.ParseUint(string(ent[1:]), 10, 32)
			}
			if err != nil || !utf8.ValidRune(rune(n)) {
				return dst, s.errorf("bad character reference &%s;", ent)
			}
			dst = utf8.AppendRune(dst, rune(n))
		}
		b = b[semi+1:]
	}
}
