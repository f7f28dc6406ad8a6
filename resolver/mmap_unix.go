//go:build unix

package resolver

import (
	"io"
	"math"
	"os"
	"syscall"
)

// mapFile maps r when it is a regular file. The mapping is private and
// writable: a write (a record a repo filter hides, file lists merged into
// a package) copies that page for this process and never reaches the
// file. Store entries are replaced by rename, never rewritten in place,
// so a mapped file does not change under the reader.
func mapFile(r io.Reader) (mapping, bool) {
	// An *os.File, or a store's entry that wraps one.
	f, ok := r.(interface {
		Fd() uintptr
		Stat() (os.FileInfo, error)
	})
	if !ok {
		return mapping{}, false
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() == 0 || fi.Size() > math.MaxInt32 {
		return mapping{}, false
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(fi.Size()), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE)
	if err != nil {
		return mapping{}, false
	}
	return mapping{data: data, release: releasePages, releaseClean: releaseCleanPages, unmap: func() { _ = syscall.Munmap(data) }}, true
}
