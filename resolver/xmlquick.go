package resolver

import "bytes"

// The quick paths of the scanner read the tags rpm-md is made of, whole in
// the window and in the plain form every writer of rpm-md uses, in one pass:
// a name, attributes name="value" or name='value', and > or />. Anything
// else (a tag running past the window, a quote or < where a name should be,
// a / not before >) returns false having consumed nothing, and the general
// path (readTag, then parseStart) reads the tag as it always has; for what
// the quick paths accept, both give the same token.

// nameByte classes the bytes of a name on the quick path: 0 ends it, 2 is
// the ':' of a namespace prefix, 1 is any other byte.
var nameByte = func() (t [256]uint8) {
	for c := range t {
		if !isSpace(byte(c)) {
			t[c] = 1
		}
	}
	for _, c := range []byte(`<>/"'=`) {
		t[c] = 0
	}
	t[':'] = 2
	return t
}()

// scanName returns the end of the name starting at b[i] and where its
// local part starts: after the first ':', as localName has it.
func scanName(b []byte, i int) (end, local int) {
	start := i
	local = i
	for {
		for i < len(b) && nameByte[b[i]] == 1 {
			i++
		}
		if i == len(b) || nameByte[b[i]] == 0 {
			return i, local
		}
		if local == start {
			local = i + 1
		}
		i++
	}
}

// hasAmp is bytes.IndexByte(v, '&') >= 0 without a call for the short
// values most attributes have.
func hasAmp(v []byte) bool {
	if len(v) > 16 {
		return bytes.IndexByte(v, '&') >= 0
	}
	for _, c := range v {
		if c == '&' {
			return true
		}
	}
	return false
}

// quickStart reads a start tag at s.pos.
func (s *xmlScanner) quickStart() bool {
	b := s.buf[s.pos:s.end]
	i, local := scanName(b, 1)
	if i == 1 || i == len(b) {
		return false
	}
	name := b[local:i]
	s.attrs, s.tbuf = s.attrs[:0], s.tbuf[:0]
	empty := false
	for {
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if i == len(b) {
			return false
		}
		switch b[i] {
		case '>':
			i++
		case '/':
			if i+1 == len(b) || b[i+1] != '>' {
				return false
			}
			empty = true
			i += 2
		default:
			start := i
			i, local = scanName(b, i)
			if i == start {
				return false
			}
			a := xmlAttr{name: b[local:i]}
			for i < len(b) && isSpace(b[i]) {
				i++
			}
			if i == len(b) || b[i] != '=' {
				return false
			}
			i++
			for i < len(b) && isSpace(b[i]) {
				i++
			}
			if i == len(b) || (b[i] != '"' && b[i] != '\'') {
				return false
			}
			end := bytes.IndexByte(b[i+1:], b[i])
			if end < 0 {
				return false
			}
			a.value = b[i+1 : i+1+end]
			if hasAmp(a.value) {
				a.start, a.inTbuf = len(s.tbuf), true
				var err error
				if s.tbuf, err = s.appendUnescaped(s.tbuf, a.value); err != nil {
					return false // the general path reports it
				}
				a.end = len(s.tbuf)
			}
			s.attrs = append(s.attrs, a)
			i += end + 2
			continue
		}
		break
	}
	for k, a := range s.attrs {
		if a.inTbuf {
			s.attrs[k].value = s.tbuf[a.start:a.end]
		}
	}
	s.kind, s.name, s.empty = tokStart, name, empty
	s.pos += i
	return true
}

// quickEnd reads an end tag at s.pos.
func (s *xmlScanner) quickEnd() bool {
	b := s.buf[s.pos:s.end]
	i, local := scanName(b, 2)
	if i == 2 {
		return false
	}
	name := b[local:i]
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	if i == len(b) || b[i] != '>' {
		return false
	}
	s.kind, s.name = tokEnd, name
	s.pos += i + 1
	return true
}
