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
)

// TestPreferHugePages: the block markHugePages made, and freed, is in
// a mapping the kernel was asked to back with huge pages, where later
// allocations go (in a fresh process, as main does; a test binary's heap
// has been collected and has holes, and preferHugePages refuses it); the
// heap works as before.
func TestPreferHugePages(t *testing.T) {
	runtime.GC()
	if _, err := preferHugePages(64 << 20); err == nil {
		t.Error("preferHugePages went ahead on a heap collected already")
	}
	beg, end, err := markHugePages(64<<20, runtime.GC)
	if err != nil {
		if errors.Is(err, syscall.EINVAL) {
			t.Skipf("the kernel has no transparent huge pages: %v", err)
		}
		t.Fatal(err)
	}
	if end-beg < 32<<20 {
		t.Fatalf("marked %d bytes of a 64 MB block", end-beg)
	}
	for _, addr := range []uintptr{beg, end - 1} {
		flags, err := vmFlagsOf(addr)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(" "+flags+" ", " hg ") {
			t.Errorf("the mapping at %#x has flags %q, no hg (MADV_HUGEPAGE)", addr, flags)
		}
	}
	// Handed back to small pages, the range is no longer marked.
	hugeRange{beg, end}.smallPages()
	if flags, err := vmFlagsOf(beg); err != nil || strings.Contains(" "+flags+" ", " hg ") {
		t.Errorf("after smallPages the mapping at %#x has flags %q (%v)", beg, flags, err)
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

// TestResolving: huge pages are prepared for the commands that read repos
// into a pool, wherever their name is on the command line, and not for
// the others.
func TestResolving(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"resolve", "-m", "m.yaml"}, true},
		{[]string{"--config", "c.yaml", "why", "-m", "m.yaml", "bash"}, true},
		{[]string{"mirror", "--lock", "l.yaml"}, true},
		{[]string{"version"}, false},
		{[]string{"--help"}, false},
		{[]string{"verify", "b.tar.gz"}, false},
		{nil, false},
	} {
		if got := resolving(tc.args); got != tc.want {
			t.Errorf("resolving(%q) = %v, want %v", tc.args, got, tc.want)
		}
	}
}
