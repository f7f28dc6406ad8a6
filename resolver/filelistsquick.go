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
// literal </package> that ends each package; other tags (<package>,
// <version/>) it reads with the scanner's quick paths, as the scanner's
// next would. It stops, having consumed only what it fully read, at
// anything else (text outside a <file>, a '&', a comment, a tag the
// window cuts short), and the scanner reads the next token from exactly
// there. Every token the quick path reads is the one the scanner would
// read at that position, so the two never disagree about the packages,
// their files or whether the input is malformed; FuzzFilelistsQuickAgrees
// checks it, with the input handed over whole and a byte at a time.

// Literal tags the quick path reads.
const (
	flFileStart  = "<file>"
	flFileEnd    = "</file>"
	flPackageEnd = "</package>"
)

// flSpace is isSpace as a table: the indentation before each <file> is
// most of the bytes the quick path looks at one by one.
var flSpace = [256]bool{' ': true, '\t': true, '\n': true, '\r': true}

// quickRead reads the <file> elements and </package> tags at the
// scanner's position, stopping at anything else. Its only error is fn's.
func (fr *filelistsReader) quickRead() error {
	s := fr.s
	b, pos := s.buf[:s.end], s.pos
	for {
		i := pos
		for i < len(b) && flSpace[b[i]] {
			i++
		}
		// Whitespace is skipped only before a '<': before text the scanner
		// makes it part of the text.
		if i == len(b) || b[i] != '<' {
			s.pos = pos
			return nil
		}
		switch rest := b[i:]; {
		case hasLiteral(rest, flFileStart):
			// What start does for a <file>.
			pos = i + len(flFileStart)
			fr.depth++
			if fr.inPkg {
				fr.path, fr.inFile = fr.path[:0], true
			}
			n, ok := fr.quickFileText(b[pos:])
			if !ok {
				s.pos = pos
				return nil
			}
			pos += n
		case hasLiteral(rest, flPackageEnd):
			pos = i + len(flPackageEnd)
			s.pos = pos
			if err := fr.end(rest[2 : len(flPackageEnd)-1]); err != nil {
				return err
			}
		default:
			// Any other tag is read by the scanner's own quick paths, as
			// next would at this position.
			s.pos = i
			if len(rest) < 2 || rest[1] == '?' || rest[1] == '!' {
				return nil
			}
			if rest[1] == '/' {
				if !s.quickEnd() {
					return nil
				}
				if err := fr.end(s.name); err != nil {
					return err
				}
			} else {
				if !s.quickStart() {
					return nil
				}
				fr.start(s.name, s.empty)
			}
			pos = s.pos
		}
	}
}

// quickFileText reads the text of a <file> and its </file> from b, which
// follows the <file>, and returns how much of b they took; false when it
// did not read both, having read nothing.
func (fr *filelistsReader) quickFileText(b []byte) (int, bool) {
	n := bytes.IndexByte(b, '<')
	if n < 0 || !hasLiteral(b[n:], flFileEnd) {
		return 0, false // text running past the window, or something in it
	}
	text := b[:n]
	if hasAmp(text) {
		return 0, false // references: the scanner resolves them
	}
	// The scanner reads whitespace alone between tags as no text at all;
	// a path starts with '/', and is not.
	if n > 0 && text[0] != '/' && len(bytes.TrimSpace(text)) == 0 {
		text = text[:0]
	}
	fr.depth--
	if fr.inFile {
		if len(fr.path) > 0 {
			// A <file> outside a package, after one left open: its
			// text follows what that one had.
			fr.path = append(fr.path, text...)
			text = fr.path
		}
		// What endFile does, without two calls for each path.
		if fr.want == nil || fr.want.has(text) {
			fr.files = append(fr.files, string(text))
		}
		fr.inFile = false
	}
	return n + len(flFileEnd), true
}

// hasLiteral is bytes.HasPrefix(b, []byte(lit)) without the conversion.
func hasLiteral(b []byte, lit string) bool {
	return len(b) >= len(lit) && string(b[:len(lit)]) == lit
}
