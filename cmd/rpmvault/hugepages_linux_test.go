package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// TestPreferHugePages: a large allocation made after markHugePages
// lands in a mapping the kernel was asked to back with huge pages, and
// the memory works as any other. (The test binary's heap has been
// collected already, which preferHugePages refuses.)
func TestPreferHugePages(t *testing.T) {
	runtime.GC()
	if err := preferHugePages(64 << 20); err == nil {
		t.Error("preferHugePages went ahead on a heap collected already")
	}
	if err := markHugePages(64 << 20); err != nil {
		if errors.Is(err, syscall.EINVAL) {
			t.Skipf("the kernel has no transparent huge pages: %v", err)
		}
		t.Fatal(err)
	}
	b := make([]byte, 16<<20)
	for i := range b {
		b[i] = byte(i)
	}
	for i := 0; i < len(b); i += 4093 {
		if b[i] != byte(i) {
			t.Fatalf("byte %d reads %d", i, b[i])
		}
	}
	flags, err := vmFlagsOf(uintptr(unsafe.Pointer(&b[len(b)/2])))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(" "+flags+" ", " hg ") {
		t.Errorf("the allocation's mapping has flags %q, no hg (MADV_HUGEPAGE)", flags)
	}
}

// vmFlagsOf returns the VmFlags of the mapping holding addr.
func vmFlagsOf(addr uintptr) (string, error) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return "", err
	}
	defer f.Close()
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		var lo, hi uintptr
		if n, _ := fmt.Sscanf(line, "%x-%x ", &lo, &hi); n == 2 && !strings.HasSuffix(strings.Fields(line)[0], ":") {
			in = lo <= addr && addr < hi
			continue
		}
		if in && strings.HasPrefix(line, "VmFlags:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmFlags:")), nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("no mapping holds %#x", addr)
}
