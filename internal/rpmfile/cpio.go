package rpmfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"

	rpmutils "github.com/sassoftware/go-rpmutils"
)

// maxNameSize bounds a cpio entry name and a symlink target (PATH_MAX and the NUL).
const maxNameSize = 4096 + 1

// ErrArchive marks a malformed payload archive.
var ErrArchive = errors.New("malformed cpio payload")

// Entry is one member of the payload archive.
type Entry struct {
	Name string // as rpm writes it, without the leading "." ("/usr/bin/x")
	Mode uint32 // type and permission bits
	// Size is how many bytes Read yields for the entry: a regular file's
	// content. A hard-linked file's content comes with the last entry of
	// its link set; the others have Size 0 and HardLink set.
	Size     int64
	Linkname string // a symlink's target
	// Ino identifies a file's link set: entries with the same Ino and
	// HardLink or Nlink > 1 are one file under several names.
	Ino      uint64
	Nlink    uint32
	HardLink bool
	// File is the header's record of the entry (its digest, owner, flags;
	// the header is what signatures cover), or nil when the header does not
	// list the payload's name.
	File rpmutils.FileInfo
}

// Type bits of Entry.Mode.
const (
	ModeType    = 0o170000
	ModeRegular = 0o100000
	ModeDir     = 0o040000
	ModeSymlink = 0o120000
)

// Archive walks a newc (070701/070702) archive, or rpm's stripped form
// (07070X, names and sizes from the header), sequentially; what is not read
// of an entry is skipped without being held in memory.
type Archive struct {
	r       io.Reader
	release func()
	files   []rpmutils.FileInfo // for the stripped form
	linked  []bool              // stripped form: a hard link whose data comes later
	byName  map[string]int      // header file index by name
	remain  int64               // unread bytes of the current entry
	pad     int64               // alignment after the current entry
	hdr     [110]byte
	off     int64 // archive offset, for alignment
}

// NewArchive walks the uncompressed archive r; files is the header's file
// list, needed only for the stripped form.
func NewArchive(r io.Reader, files []rpmutils.FileInfo) *Archive {
	return newArchive(r, files, func() {})
}

func newArchive(r io.Reader, files []rpmutils.FileInfo, release func()) *Archive {
	a := &Archive{r: r, files: files, release: release, linked: make([]bool, len(files)), byName: make(map[string]int, len(files))}
	last := map[int]int{}
	for i, f := range files {
		a.byName[f.Name()] = i
		if f.Mode()&ModeType == ModeRegular && f.Inode() != 0 {
			if j, ok := last[f.Inode()]; ok {
				a.linked[j] = true
			}
			last[f.Inode()] = i
		}
	}
	return a
}

// Close releases the decompressor.
func (a *Archive) Close() error {
	a.release()
	return nil
}

func (a *Archive) read(p []byte) error {
	n, err := io.ReadFull(a.r, p)
	a.off += int64(n)
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("%w: %v", ErrArchive, err)
	}
	return nil
}

func (a *Archive) skip(n int64) error {
	if n <= 0 {
		return nil
	}
	m, err := io.CopyN(io.Discard, a.r, n)
	a.off += m
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("%w: %v", ErrArchive, err)
	}
	return nil
}

func hexField(b []byte) (uint64, error) {
	v, err := strconv.ParseUint(string(b), 16, 32)
	if err != nil {
		return 0, fmt.Errorf("%w: bad header field %q", ErrArchive, b)
	}
	return v, nil
}

// Next advances to the next entry, skipping what is left of the current
// one. It returns io.EOF at the trailer.
func (a *Archive) Next() (*Entry, error) {
	if err := a.skip(a.remain + a.pad); err != nil {
		return nil, err
	}
	a.remain, a.pad = 0, 0
	if err := a.read(a.hdr[:6]); err != nil {
		return nil, err
	}
	switch string(a.hdr[:6]) {
	case "07070X":
		return a.nextStripped()
	case "070701", "070702":
	default:
		return nil, fmt.Errorf("%w: bad magic %q", ErrArchive, a.hdr[:6])
	}
	if err := a.read(a.hdr[6:]); err != nil {
		return nil, err
	}
	var f [12]uint64 // ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize
	for i := range f {
		v, err := hexField(a.hdr[6+8*i : 14+8*i])
		if err != nil {
			return nil, err
		}
		f[i] = v
	}
	nameSize := f[11]
	if nameSize == 0 || nameSize > maxNameSize {
		return nil, fmt.Errorf("%w: name of %d bytes", ErrArchive, nameSize)
	}
	name := make([]byte, nameSize)
	if err := a.read(name); err != nil {
		return nil, err
	}
	if err := a.skip(align4(a.off) - a.off); err != nil {
		return nil, err
	}
	e := &Entry{Name: string(bytes.TrimRight(name, "\x00")), Mode: uint32(f[1]), Size: int64(f[6]), Ino: f[0], Nlink: uint32(f[4])}
	if e.Name == "TRAILER!!!" {
		return nil, io.EOF
	}
	// rpm writes "./usr/bin/x"; some writers omit the dot.
	if len(e.Name) > 1 && e.Name[0] == '.' && e.Name[1] == '/' {
		e.Name = e.Name[1:]
	}
	if i, ok := a.byName[e.Name]; ok {
		e.File = a.files[i]
	}
	a.remain, a.pad = e.Size, align4(a.off+e.Size)-(a.off+e.Size)
	switch e.Mode & ModeType {
	case ModeSymlink:
		// The target is the entry's data.
		if e.Size >= maxNameSize {
			return nil, fmt.Errorf("%w: %s: symlink target of %d bytes", ErrArchive, e.Name, e.Size)
		}
		target := make([]byte, e.Size)
		if _, err := io.ReadFull(a, target); err != nil {
			return nil, err
		}
		e.Linkname, e.Size = string(target), 0
	case ModeRegular:
		e.HardLink = e.Nlink > 1 && e.Size == 0
	}
	return e, nil
}

// nextStripped reads an entry of rpm's stripped form, whose metadata is
// the header's.
func (a *Archive) nextStripped() (*Entry, error) {
	if err := a.read(a.hdr[6:14]); err != nil {
		return nil, err
	}
	idx, err := hexField(a.hdr[6:14])
	if err != nil {
		return nil, err
	}
	if idx >= uint64(len(a.files)) {
		return nil, fmt.Errorf("%w: stripped entry %d of %d files", ErrArchive, idx, len(a.files))
	}
	fi := a.files[idx]
	e := &Entry{Name: fi.Name(), Mode: uint32(fi.Mode()), Size: fi.Size(), Ino: uint64(fi.Inode()), Nlink: 1, File: fi}
	switch {
	case e.Mode&ModeType == ModeSymlink:
		e.Linkname, e.Size = fi.Linkname(), 0
	case e.Mode&ModeType != ModeRegular:
		e.Size = 0
	case a.linked[idx]:
		e.Size, e.HardLink, e.Nlink = 0, true, 2
	}
	if e.Size < 0 {
		return nil, fmt.Errorf("%w: negative size", ErrArchive)
	}
	a.remain, a.pad = e.Size, align4(a.off+e.Size)-(a.off+e.Size)
	return e, nil
}

// Read reads the current entry's data.
func (a *Archive) Read(p []byte) (int, error) {
	if a.remain <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > a.remain {
		p = p[:a.remain]
	}
	n, err := a.r.Read(p)
	a.remain -= int64(n)
	a.off += int64(n)
	if err == io.EOF && a.remain > 0 {
		err = fmt.Errorf("%w: %v", ErrArchive, io.ErrUnexpectedEOF)
	}
	return n, err
}

func align4(n int64) int64 { return (n + 3) &^ 3 }
