package main

import (
	"errors"
	"fmt"
	"runtime"
	"syscall"
	"unsafe"
)

// hugeHeap is how much of the heap preferHugePages prepares: about what
// a cold resolve of the 60,000-package bench repo holds when its pool is
// loaded. A larger range saved more CPU in the large resolve (-22% at
// 128 MB against -16% at 48 MB, alternated) but its peak RSS rose 3.6 MB
// instead of 1.5: memory reused from the block is cleared by Go, so room
// an allocation reserves and never uses is resident all the same.
const hugeHeap = 48 << 20

// preferHugePages asks the kernel to back the next size bytes of the
// heap with transparent huge pages (MADV_HUGEPAGE; the kernel's default,
// "madvise", gives them only where asked). A cold resolve touches some
// 60 MB of fresh heap, and on a paravirtualised VM each 4 KB page's
// first touch costs a trap of 10-20 us: a fifth of the resolve's CPU
// time went to page faults, which 2 MB pages make 512 times fewer.
//
// Go does not say where its heap goes, so the range is made: a block
// that large is taken from the system, marked, and collected; later
// allocations reuse its addresses, lowest first, with the mark on the
// mapping. The block must be fresh memory, which Go does not clear: one
// that reused freed pages would be cleared, every byte touched, and the
// process's peak RSS would be the block's size (180 MB in one run of
// eight, when the block was taken on a goroutine of its own while the
// command line was read and a collection came between the check and the
// taking). So the block is taken first thing, before any collection has
// freed anything (else nothing is done), and only the collection that
// frees it, milliseconds of waiting, runs on its own goroutine. The
// heap's few megabytes from before stay in small pages. Where the kernel
// lacks the advice (EINVAL) nothing changes.
//
// A warm resolve, which maps its repos' parsed-cache entries and builds
// little, gains less from them and peaked 2-3 MB higher: the range it
// returns is handed back to small pages (smallPages) once an entry opens.
func preferHugePages(size int) (hugeRange, error) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if ms.NumGC > 0 {
		return hugeRange{}, errors.New("huge pages: the heap was collected already, so fresh memory cannot be told from freed")
	}
	beg, end, err := markHugePages(size, func() { go runtime.GC() })
	return hugeRange{beg, end}, err
}

// hugeRange is the addresses preferHugePages marked.
type hugeRange struct{ beg, end uintptr }

// smallPages asks for small pages again over r where it is not touched
// yet (MADV_NOHUGEPAGE; huge pages already there stay).
func (r hugeRange) smallPages() {
	if r.beg >= r.end {
		return
	}
	_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, r.beg, r.end-r.beg, syscall.MADV_NOHUGEPAGE)
}

// markHugePages is preferHugePages without the check that the block is
// fresh; collect is to free it. It returns the addresses marked,
// [beg,end).
func markHugePages(size int, collect func()) (beg, end uintptr, err error) {
	beg, end, err = markBlock(size)
	collect()
	return beg, end, err
}

// markBlock takes the block and marks it; once it returns, nothing
// refers to the block.
func markBlock(size int) (beg, end uintptr, err error) {
	b := make([]byte, size)
	const huge = 2 << 20
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	beg, end = (p+huge-1)&^(huge-1), (p+uintptr(size))&^(huge-1)
	if beg < end {
		err = syscall.Madvise(b[beg-p:end-p], syscall.MADV_HUGEPAGE)
	}
	runtime.KeepAlive(b)
	if err != nil {
		return 0, 0, fmt.Errorf("madvise(MADV_HUGEPAGE): %w", err)
	}
	return beg, end, nil
}
