//go:build !linux

package main

const hugeHeap = 0

// preferHugePages does nothing where transparent huge pages are
// Linux's alone (see hugepages_linux.go).
func preferHugePages(int) (hugeRange, error) { return hugeRange{}, nil }

// hugeRange is empty where there are no huge pages.
type hugeRange struct{}

func (hugeRange) smallPages() {}
