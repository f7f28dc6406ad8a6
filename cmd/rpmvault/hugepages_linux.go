package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"syscall"
	"unsafe"
)

// resolveHeap is how much of the heap preferHugePages prepares: more
// than a cold resolve of a 60,000-package repo uses at its peak. Address
// space only: what is never touched costs nothing.
const resolveHeap = 128 << 20

// preferHugePages asks the kernel to back the next size bytes of the
// heap with transparent huge pages (MADV_HUGEPAGE; the kernel's default,
// "madvise", gives them only where asked). A cold resolve touches some
// 60 MB of fresh heap, and on a paravirtualised VM each 4 KB page's
// first touch costs a trap of 10-20 us: a fifth of the resolve's CPU
// time went to page faults, which 2 MB pages make 512 times fewer.
//
// Go does not say where its heap goes, so the range is made: a block
// that large is taken fresh from the system, untouched, in the address
// space the heap grows into next; it is marked, and freed and returned
// at once (FreeOSMemory), and later allocations reuse its addresses,
// lowest first, with the mark on the mapping. The heap's few megabytes
// from before stay as they are. Where the kernel lacks the advice
// (EINVAL) nothing changes.
func preferHugePages(size int) error {
	b := make([]byte, size)
	const huge = 2 << 20
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	beg, end := (p+huge-1)&^(huge-1), (p+uintptr(size))&^(huge-1)
	var err error
	if beg < end {
		err = syscall.Madvise(b[beg-p:end-p], syscall.MADV_HUGEPAGE)
	}
	runtime.KeepAlive(b)
	b = nil
	debug.FreeOSMemory()
	if err != nil {
		return fmt.Errorf("madvise(MADV_HUGEPAGE): %w", err)
	}
	return nil
}
