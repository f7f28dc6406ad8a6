package abi

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	rpmutils "github.com/sassoftware/go-rpmutils"

	"github.com/rpmvault/rpmvault/internal/rpmfile"
)

// summaryFormat is bumped whenever elfObject or the rules of readObject change,
// so old cache entries are ignored.
const summaryFormat = 1

// pkgSummary is the ELF summary of one package's payload.
type pkgSummary struct {
	Format  int          `json:"format"`
	Objects []*elfObject `json:"objects,omitempty"`
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
func summarizeRPM(name string, in io.Reader) (s *pkgSummary, err error) {
	defer func() {
		if rec := recover(); rec != nil {
			s, err = nil, &PayloadError{Package: name, Err: fmt.Errorf("malformed RPM: %v", rec)}
		}
	}()
	rpm, err := rpmfile.Read(in)
	if err != nil {
		return nil, &PayloadError{Package: name, Err: fmt.Errorf("read header: %w", err)}
	}
	s = &pkgSummary{Format: summaryFormat}
	files, err := rpm.Files()
	if err != nil {
		return nil, &PayloadError{Package: name, Err: err}
	}
	if len(files) == 0 || !mayHoldELF(rpm.Header, files) {
		return s, nil
	}
	cr, err := rpm.Payload()
	if err != nil {
		return nil, &PayloadError{Package: name, Err: err}
	}
	defer cr.Close()
	var magic [4]byte
	for {
		e, err := cr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, &PayloadError{Package: name, Err: fmt.Errorf("read payload: %w", err)}
		}
		p := e.Name
		if err := checkPath(p); err != nil {
			return nil, &PayloadError{Package: name, Err: err}
		}
		if e.Mode&rpmfile.ModeType != rpmfile.ModeRegular || e.Size < 52 {
			continue
		}
		if _, err := io.ReadFull(cr, magic[:]); err != nil {
			return nil, &PayloadError{Package: name, Err: fmt.Errorf("read %s: %w", p, err)}
		}
		if string(magic[:]) != elf.ELFMAG {
			continue
		}
		if e.Size > maxELFSize {
			s.Notes = append(s.Notes, fmt.Sprintf("%s: %d bytes, larger than the %d this check reads", p, e.Size, maxELFSize))
			continue
		}
		// Grow with the data actually read, not with the size declared.
		var buf bytes.Buffer
		buf.Grow(int(min(e.Size, 16<<20)))
		buf.Write(magic[:])
		if _, err := buf.ReadFrom(io.LimitReader(cr, e.Size-4)); err != nil {
			return nil, &PayloadError{Package: name, Err: fmt.Errorf("read %s: %w", p, err)}
		}
		if int64(buf.Len()) != e.Size {
			return nil, &PayloadError{Package: name, Err: fmt.Errorf("read %s: %w: short file", p, rpmfile.ErrArchive)}
		}
		obj, err := readObject(p, buf.Bytes())
		var ee *elfError
		switch {
		case errors.As(err, &ee):
			s.Notes = append(s.Notes, ee.Error())
		case err != nil:
			return nil, err
		case obj != nil:
			s.Objects = append(s.Objects, obj)
		}
	}
	// The payload must end where the archive says; trailing garbage is fine
	// (rpm pads), so nothing more is read.
	return s, nil
}

// mayHoldELF is false when the header alone shows there is no ELF file: no
// regular file large enough for an ELF header, or rpmbuild's file
// classification (FILECOLORS) present, consistent, and marking none as ELF.
func mayHoldELF(h *rpmutils.RpmHeader, files []rpmutils.FileInfo) bool {
	candidates := false
	for _, f := range files {
		if f.Mode()&0o170000 == 0o100000 && f.Size() >= 52 {
			candidates = true
			break
		}
	}
	if !candidates {
		return false
	}
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
