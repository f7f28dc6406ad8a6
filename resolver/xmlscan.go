package resolver

import (
	"bufio"
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
type xmlScanner struct {
	r    *bufio.Reader
	line int

	// The current token.
	kind  tokenKind
	name  []byte // local name (without a namespace prefix)
	attrs []xmlAttr
	text  []byte
	empty bool // <name/>

	buf  []byte // token bytes, reused
	tbuf []byte // unescaped text/attribute values, reused
}

type tokenKind int

const (
	tokStart tokenKind = iota + 1
	tokEnd
	tokText
)

type xmlAttr struct {
	name, value []byte
	start, end  int // of value in tbuf, fixed up once all values are in
}

func newXMLScanner(r io.Reader) *xmlScanner {
	return &xmlScanner{r: bufio.NewReaderSize(r, 256<<10), line: 1}
}

var errXMLEOF = errors.New("end of XML")

func (s *xmlScanner) errorf(format string, args ...any) error {
	return fmt.Errorf("line %d: %s", s.line, fmt.Sprintf(format, args...))
}

// next reads the next token. Empty elements produce a start token with
// empty set and no end token.
func (s *xmlScanner) next() error {
	for {
		c, err := s.r.ReadByte()
		if err == io.EOF {
			return errXMLEOF
		}
		if err != nil {
			return err
		}
		if c != '<' {
			s.r.UnreadByte()
			if err := s.readText(); err != nil {
				return err
			}
			if len(bytes.TrimSpace(s.text)) == 0 {
				continue // whitespace between elements
			}
			s.kind = tokText
			return nil
		}
		c, err = s.r.ReadByte()
		if err != nil {
			return s.errorf("unexpected end of file in a tag")
		}
		switch c {
		case '?':
			if err := s.skipUntil("?>"); err != nil {
				return err
			}
			continue
		case '!':
			if err := s.readBang(); err != nil {
				return err
			}
			if s.kind == tokText {
				return nil
			}
			continue
		case '/':
			if err := s.readTagBytes(); err != nil {
				return err
			}
			s.kind, s.name = tokEnd, localName(bytes.TrimSpace(s.buf))
			return nil
		default:
			s.r.UnreadByte()
			if err := s.readTagBytes(); err != nil {
				return err
			}
			return s.parseStart()
		}
	}
}

// readText reads character data up to the next '<' and unescapes it.
func (s *xmlScanner) readText() error {
	s.buf = s.buf[:0]
	for {
		chunk, err := s.r.ReadSlice('<')
		if err == nil {
			s.buf = append(s.buf, chunk[:len(chunk)-1]...)
			s.r.UnreadByte()
			break
		}
		s.buf = append(s.buf, chunk...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			break
		}
		return err
	}
	s.line += bytes.Count(s.buf, []byte{'\n'})
	var err error
	s.text, err = s.unescape(s.tbuf[:0], s.buf)
	s.tbuf = s.text
	return err
}

// readTagBytes reads up to the closing '>' of a tag, honouring quotes.
func (s *xmlScanner) readTagBytes() error {
	s.buf = s.buf[:0]
	var quote byte
	for {
		c, err := s.r.ReadByte()
		if err != nil {
			return s.errorf("unexpected end of file in a tag")
		}
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			s.line += bytes.Count(s.buf, []byte{'\n'})
			return nil
		case c == '<':
			return s.errorf("'<' inside a tag")
		}
		s.buf = append(s.buf, c)
	}
}

func (s *xmlScanner) skipUntil(end string) error {
	var tail []byte
	for {
		c, err := s.r.ReadByte()
		if err != nil {
			return s.errorf("unexpected end of file looking for %q", end)
		}
		if c == '\n' {
			s.line++
		}
		tail = append(tail, c)
		if len(tail) > len(end) {
			tail = tail[1:]
		}
		if string(tail) == end {
			return nil
		}
	}
}

// readBang handles <!-- -->, <![CDATA[ ]]> and <!DOCTYPE ...>.
func (s *xmlScanner) readBang() error {
	peek, _ := s.r.Peek(7)
	switch {
	case bytes.HasPrefix(peek, []byte("--")):
		s.r.Discard(2)
		s.kind = 0
		return s.skipUntil("-->")
	case bytes.HasPrefix(peek, []byte("[CDATA[")):
		s.r.Discard(7)
		s.buf = s.buf[:0]
		for {
			c, err := s.r.ReadByte()
			if err != nil {
				return s.errorf("unexpected end of file in CDATA")
			}
			s.buf = append(s.buf, c)
			if bytes.HasSuffix(s.buf, []byte("]]>")) {
				s.text = append(s.tbuf[:0], s.buf[:len(s.buf)-3]...)
				s.tbuf = s.text
				s.line += bytes.Count(s.text, []byte{'\n'})
				s.kind = tokText
				return nil
			}
		}
	default:
		s.kind = 0
		return s.readTagBytes() // <!DOCTYPE ...> without an internal subset
	}
}

func (s *xmlScanner) parseStart() error {
	b := s.buf
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
			for k := range s.attrs {
				s.attrs[k].value = s.tbuf[s.attrs[k].start:s.attrs[k].end]
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
		before := len(s.tbuf)
		var err error
		if s.tbuf, err = s.unescape(s.tbuf, b[i:i+end]); err != nil {
			return err
		}
		s.attrs = append(s.attrs, xmlAttr{name: localName(name), start: before, end: len(s.tbuf)})
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

// unescape appends b to dst with entity and character references resolved.
func (s *xmlScanner) unescape(dst, b []byte) ([]byte, error) {
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
