//go:build unix

package resolver

import (
	"io"
	"math"
	"os"
	"syscall"
)

// mapFile maps r read-only when it is a regular file, and returns its bytes
// and how to unmap them (after which they must not be used). Store entries
// are replaced by rename, never rewritten in place, so a mapped file does
// not change under the reader.
func mapFile(r io.Reader) ([]byte, func(), bool) {
	// An *os.File, or a store's entry that wraps one.
	f, ok := r.(interface {
		Fd() uintptr
		Stat() (os.FileInfo, error)
	})
	if !ok {
		return nil, nil, false
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() == 0 || fi.Size() > math.MaxInt32 {
		return nil, nil, false
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(fi.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, false
	}
	return data, func() { _ = syscall.Munmap(data) }, true
}
