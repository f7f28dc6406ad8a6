package abi

import (
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	rpmutils "github.com/sassoftware/go-rpmutils"
)

// summaryFormat is bumped whenever Object or the rules of readObject change,
// so old cache entries are ignored.
const summaryFormat = 1

// Summary is the ELF summary of one package's payload.
type Summary struct {
	Format  int       `json:"format"`
	Objects []*Object `json:"objects,omitempty"`
	// Notes name ELF files that could not be summarized, and why.
	Notes []string `json:"notes,omitempty"`
}

// PayloadError says a package's payload is unusable (bad path, corrupt
// archive): the package itself is at fault, not the check.
type PayloadError struct {
	Package string
	Err     error
}

func (e *PayloadError) Error() string { return fmt.Sprintf("payload of %s: %v", e.Package, e.Err) }
func (e *PayloadError) Unwrap() error { return e.Err }

// maxELFSize bounds how much of one payload file is held in memory.
const maxELFSize = 1 << 30

// rpm's file color bits for ELF32 and ELF64 files (RPMFC_ELF32, RPMFC_ELF64).
const colorELF = 1 | 2

// summarizeRPM reads an RPM file and summarizes the ELF files of its payload.
// When the header carries rpmbuild's FILECOLORS and no file is colored ELF,
// the payload is not read at all.
func summarizeRPM(name string, r io.Reader) (s *Summary, err error) {
	defer func() {
		if rec := recover(); rec != nil {
			s, err = nil, &PayloadError{Package: name, Err: fmt.Errorf("malformed RPM: %v", rec)}
		}
	}()
	rpm, err := rpmutils.ReadRpm(r)
	if err != nil {
		return nil, &PayloadError{Package: name, Err: fmt.Errorf("read header: %w", err)}
	}
	s = &Summary{Format: summaryFormat}
	files, err := rpm.Header.GetFiles()
	if err != nil {
		return nil, &PayloadError{Package: name, Err: fmt.Errorf("file list: %w", err)}
	}
	if len(files) == 0 || !mayHoldELF(rpm.Header, files) {
		return s, nil
	}
	pr, err := rpm.PayloadReaderExtended()
	if err != nil {
		return nil, &PayloadError{Package: name, Err: fmt.Errorf("open payload: %w", err)}
	}
	var magic [4]byte
	for {
		fi, err := pr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, &PayloadError{Package: name, Err: fmt.Errorf("read payload: %w", err)}
		}
		p := fi.Name()
		if err := checkPath(p); err != nil {
			return nil, &PayloadError{Package: name, Err: err}
		}
		if fi.Mode()&0o170000 != 0o100000 || pr.IsLink() || fi.Size() < 52 {
			continue
		}
		if _, err := io.ReadFull(pr, magic[:]); err != nil {
			return nil, &PayloadError{Package: name, Err: fmt.Errorf("read %s: %w", p, err)}
		}
		if string(magic[:]) != elf.ELFMAG {
			continue
		}
		if fi.Size() > maxELFSize {
			s.Notes = append(s.Notes, fmt.Sprintf("%s: %d bytes, larger than the %d this check reads", p, fi.Size(), maxELFSize))
			continue
		}
		data := make([]byte, fi.Size())
		copy(data, magic[:])
		if _, err := io.ReadFull(pr, data[4:]); err != nil {
			return nil, &PayloadError{Package: name, Err: fmt.Errorf("read %s: %w", p, err)}
		}
		obj, err := readObject(p, data)
		var ee *ELFError
		switch {
		case errors.As(err, &ee):
			s.Notes = append(s.Notes, ee.Error())
		case err != nil:
			return nil, err
		case obj != nil:
			s.Objects = append(s.Objects, obj)
		}
	}
	return s, nil
}

// mayHoldELF is false only when rpmbuild's file classification (FILECOLORS)
// is present, consistent, and marks no file as ELF.
func mayHoldELF(h *rpmutils.RpmHeader, files []rpmutils.FileInfo) bool {
	if !h.HasTag(rpmutils.FILECOLORS) {
		return true
	}
	colors, err := h.GetUint32s(rpmutils.FILECOLORS)
	if err != nil || len(colors) != len(files) {
		return true
	}
	for _, c := range colors {
		if c&colorELF != 0 {
			return true
		}
	}
	return false
}

// checkPath refuses payload names that are not clean absolute paths: such a
// name would make a finding point outside the package's files.
func checkPath(p string) error {
	if !strings.HasPrefix(p, "/") || path.Clean(p) != p || strings.Contains(p, "\x00") {
		return fmt.Errorf("payload file name %q is not a clean absolute path", p)
	}
	return nil
}
