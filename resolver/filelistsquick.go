package resolver

import "bytes"

// The quick path of readFilelists. A repo's filelists.xml is a hundred
// megabytes of lines like
//
//	  <file>/usr/share/doc/bash/README</file>
//
// which the scanner reads as a start tag, a text and an end tag, each a
// token with its name looked at. quickRead reads them straight from the
// scanner's window instead: whitespace, the literal tag <file>, text up to
// the next '<' found with bytes.IndexByte, the literal </file>, and the
// literal </package> that ends each package. It stops, having consumed
// only what it fully read, at anything else (another tag, text outside a
// <file>, a '&', a tag the window cuts short), and the scanner reads the
// next token from exactly there. Every token the quick path reads is the
// one the scanner would read at that position, so the two never disagree
// about the packages, their files or whether the input is malformed;
// FuzzFilelistsQuickAgrees checks it.

// Literal tags the quick path reads.
const (
	flFileStart  = "<file>"
	flFileEnd    = "</file>"
	flPackageEnd = "</package>"
)

// quickRead reads the <file> elements and </package> tags at the
// scanner's position, stopping at anything else. Its only error is fn's.
func (fr *filelistsReader) quickRead() error {
	s := fr.s
	for {
		b := s.buf[s.pos:s.end]
		i := 0
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		// Whitespace is skipped only before a '<': before text the scanner
		// makes it part of the text.
		if i == len(b) || b[i] != '<' {
			return nil
		}
		b = b[i:]
		switch {
		case hasLiteral(b, flFileStart):
			s.pos += i + len(flFileStart)
			fr.start(b[1:len(flFileStart)-1], false)
			if !fr.quickFileText() {
				return nil
			}
		case hasLiteral(b, flPackageEnd):
			s.pos += i + len(flPackageEnd)
			if err := fr.end(b[2 : len(flPackageEnd)-1]); err != nil {
				return err
			}
		default:
			s.pos += i
			return nil
		}
	}
}

// quickFileText reads the text of a <file> and its </file>, the scanner's
// position just after the <file>, and reports whether it read both: when
// not, the position is where the scanner is to go on.
func (fr *filelistsReader) quickFileText() bool {
	s := fr.s
	b := s.buf[s.pos:s.end]
	n := bytes.IndexByte(b, '<')
	if n < 0 || !hasLiteral(b[n:], flFileEnd) {
		return false // text running past the window, or something in it
	}
	text := b[:n]
	if hasAmp(text) {
		return false // references: the scanner resolves them
	}
	// The scanner reads whitespace alone between tags as no text at all;
	// a path starts with '/', and is not.
	if n > 0 && text[0] != '/' && len(bytes.TrimSpace(text)) == 0 {
		text = text[:0]
	}
	fr.depth--
	if fr.inFile && len(fr.path) > 0 {
		// A <file> outside a package, after one left open: its text
		// follows what that one had.
		fr.path = append(fr.path, text...)
		text = fr.path
	}
	fr.endFile(text)
	s.pos += n + len(flFileEnd)
	return true
}

// hasLiteral is bytes.HasPrefix(b, []byte(lit)) without the conversion.
func hasLiteral(b []byte, lit string) bool {
	return len(b) >= len(lit) && string(b[:len(lit)]) == lit
}
