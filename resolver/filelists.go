package resolver

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// ReadFilelists streams filelists.xml (uncompressed), calling fn with each
// package's pkgid and the files of it that keep accepts (all with keep nil).
// Paths keep refuses are never turned into strings: a repo's file lists run
// to millions of entries, and a resolve needs a handful of them.
func ReadFilelists(r io.Reader, keep func(path []byte) bool, fn func(pkgid string, files []string) error) error {
	s := newXMLScanner(r)
	var (
		pkgid  string
		files  []string
		path   []byte // the <file> being read
		inPkg  bool
		inFile bool
		depth  int
	)
	for {
		err := s.next()
		if err == errXMLEOF {
			if depth != 0 {
				return errors.New("filelists.xml: ends inside an element")
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("filelists.xml %w", err)
		}
		switch s.kind {
		case tokStart:
			if !s.empty {
				depth++
			}
			switch string(s.name) {
			case "package":
				pkgid, files, inPkg = strings.ToLower(string(s.attr("pkgid"))), nil, !s.empty
			case "file":
				if inPkg && !s.empty {
					path, inFile = path[:0], true
				}
			}
		case tokText:
			if inFile {
				path = append(path, s.text...)
			}
		case tokEnd:
			depth--
			switch string(s.name) {
			case "file":
				if inFile && (keep == nil || keep(path)) {
					files = append(files, string(path))
				}
				inFile = false
			case "package":
				inPkg = false
				if err := fn(pkgid, files); err != nil {
					return err
				}
			}
		}
	}
}
