package resolver

import (
	"encoding/binary"
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

// releaseCleanPages drops the pages of b, a part of a private file
// mapping, that are still the file's: a page this process wrote to is its
// own copy, and dropping it would lose the write, so it stays.
// /proc/self/pagemap says which is which (bit 63: present, bit 61: a
// page of the file; a copied page is anonymous). Where it cannot be read,
// or is older than Linux 3.5 and has no bit 61, nothing is dropped. The
// caller must not write to b meanwhile (a universe is not used by two
// goroutines at once).
func releaseCleanPages(b []byte) {
	f, err := os.Open("/proc/self/pagemap")
	if err != nil {
		return
	}
	defer f.Close()
	page := uintptr(os.Getpagesize())
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	from := (start + page - 1) &^ (page - 1)
	to := (start + uintptr(len(b))) &^ (page - 1)
	const present, filePage = 1 << 63, 1 << 61
	var buf [512 * 8]byte
	run := uintptr(0) // start of the current run of clean pages, 0: none
	flush := func(end uintptr) {
		if run != 0 && end > run {
			_ = syscall.Madvise(b[run-start:end-start], syscall.MADV_DONTNEED)
		}
		run = 0
	}
	for addr := from; addr < to; {
		n := min(uintptr(len(buf)/8), (to-addr)/page)
		got, _ := f.ReadAt(buf[:n*8], int64(addr/page)*8)
		if got < int(n*8) {
			// A short read ends the walk: what was not read stays.
			flush(addr)
			return
		}
		for k := uintptr(0); k < n; k, addr = k+1, addr+page {
			e := binary.NativeEndian.Uint64(buf[k*8:])
			switch {
			case e&present == 0:
				// Not mapped: nothing to drop, and no reason to end a run.
			case e&filePage != 0:
				if run == 0 {
					run = addr
				}
			default:
				flush(addr)
			}
		}
	}
	flush(to)
}
