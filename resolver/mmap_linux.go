package resolver

import (
	"os"
	"syscall"
	"unsafe"
)

// releasePages drops the whole pages of b, a part of a private file
// mapping no one has written to yet, from the process: they stay in the
// page cache, and a later read maps them again.
func releasePages(b []byte) {
	page := uintptr(os.Getpagesize())
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	from := (start + page - 1) &^ (page - 1)
	to := (start + uintptr(len(b))) &^ (page - 1)
	if to > from {
		_ = syscall.Madvise(b[from-start:to-start], syscall.MADV_DONTNEED)
	}
}
