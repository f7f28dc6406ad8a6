package resolver

import (
	"runtime"
	"syscall"
	"unsafe"
)

// hugePage is the size of an x86-64 or arm64 transparent huge page.
const hugePage = 2 << 20

// adviseHuge asks the kernel to back the whole 2 MiB pages inside s's
// array with transparent huge pages (MADV_HUGEPAGE) before anything is
// written to them. A repo's tables are tens of megabytes that are filled
// once and then all read: in 4 KiB pages that is thousands of page
// faults, each 20 µs or more on a paravirtualised VM (a fifth of a cold
// resolve's CPU), where huge pages take one fault per 2 MiB. Only pages
// wholly inside the array are advised, so no other memory changes, and
// the caller sizes the array to what it will fill, so resident memory
// does not grow either. It is only advice: a kernel without transparent
// huge pages (before 2.6.38) or with them disabled refuses it, and that
// is fine.
func adviseHuge[T any](s []T) {
	var zero T
	n := uintptr(cap(s)) * unsafe.Sizeof(zero)
	if n < hugePage {
		return
	}
	start := uintptr(unsafe.Pointer(unsafe.SliceData(s[:cap(s)])))
	from := (start + hugePage - 1) &^ (hugePage - 1)
	to := (start + n) &^ (hugePage - 1)
	if to <= from {
		return
	}
	_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, from, to-from, syscall.MADV_HUGEPAGE)
	runtime.KeepAlive(s)
}
