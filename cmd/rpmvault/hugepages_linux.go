package main

import (
	"errors"
	"fmt"
	"runtime"
	"syscall"
	"unsafe"
)

// hugeHeap is how much of the heap preferHugePages prepares: more than
// a cold resolve of a 60,000-package repo uses at its peak. Address space
// only: what is never touched costs nothing.
const hugeHeap = 128 << 20

// preferHugePages asks the kernel to back the next size bytes of the
// heap with transparent huge pages (MADV_HUGEPAGE; the kernel's default,
// "madvise", gives them only where asked). A cold resolve touches some
// 60 MB of fresh heap, and on a paravirtualised VM each 4 KB page's
// first touch costs a trap of 10-20 us: a fifth of the resolve's CPU
// time went to page faults, which 2 MB pages make 512 times fewer.
//
// Go does not say where its heap goes, so the range is made: a block
// that large is taken from the system, marked, and collected at once;
// later allocations reuse its addresses, lowest first, with the mark on
// the mapping. (Returning it to the system too, FreeOSMemory, took twice
// as long for nothing: it was never touched.) The block must be fresh
// memory, which Go does not clear: one that reused freed pages would be
// cleared, every byte touched, and the process's peak RSS would be the
// block's size. So this runs first thing, before any collection has freed
// anything (else nothing is done); the heap's few megabytes from before
// stay in small pages. Where the kernel lacks the advice (EINVAL)
// nothing changes.
func preferHugePages(size int) error {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if ms.NumGC > 0 {
		return errors.New("huge pages: the heap was collected already, so fresh memory cannot be told from freed")
	}
	_, _, err := markHugePages(size)
	return err
}

// markHugePages is preferHugePages without the check that the block is
// fresh. It returns the addresses marked, [beg,end).
func markHugePages(size int) (beg, end uintptr, err error) {
	b := make([]byte, size)
	const huge = 2 << 20
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	beg, end = (p+huge-1)&^(huge-1), (p+uintptr(size))&^(huge-1)
	if beg < end {
		err = syscall.Madvise(b[beg-p:end-p], syscall.MADV_HUGEPAGE)
	}
	runtime.KeepAlive(b)
	b = nil
	runtime.GC()
	if err != nil {
		return 0, 0, fmt.Errorf("madvise(MADV_HUGEPAGE): %w", err)
	}
	return beg, end, nil
}
