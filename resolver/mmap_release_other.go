//go:build unix && !linux

package resolver

// releasePages does nothing where MADV_DONTNEED is not known to drop a
// private mapping's clean pages: opening an entry then leaves the pages it
// read resident, which costs memory, not correctness.
func releasePages([]byte) {}

// releaseCleanPages does nothing: see releasePages.
func releaseCleanPages([]byte) {}
