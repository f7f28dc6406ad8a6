package resolver

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"testing"
	"unsafe"
)

// TestAdviseHuge: the whole 2 MiB pages inside an array are advised
// (their mapping has the "hg" flag in /proc/self/smaps), no byte outside
// the array is, and the array reads back what is written to it.
func TestAdviseHuge(t *testing.T) {
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage/enabled"); err != nil {
		t.Skip("no transparent huge pages in this kernel")
	}
	s := make([]uint64, 0, 5<<20/8) // 5 MiB: one whole huge page inside at least
	adviseHuge(s)
	start := uintptr(unsafe.Pointer(unsafe.SliceData(s[:cap(s)])))
	end := start + uintptr(cap(s))*8
	from := (start + hugePage - 1) &^ (hugePage - 1)
	for i := range cap(s) {
		s = append(s, uint64(i))
	}
	for i, v := range s {
		if v != uint64(i) {
			t.Fatalf("s[%d] = %d", i, v)
		}
	}
	lo, hi, flags := mappingOf(t, from)
	if !strings.Contains(" "+flags+" ", " hg ") {
		t.Errorf("mapping %x-%x of the array's first whole huge page has flags %q, want hg", lo, hi, flags)
	}
	if lo < start || hi > end {
		t.Errorf("advised mapping %x-%x reaches outside the array %x-%x", lo, hi, start, end)
	}
}

// mappingOf returns the mapping of /proc/self/smaps holding addr, and
// its VmFlags.
func mappingOf(t *testing.T, addr uintptr) (lo, hi uintptr, flags string) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	in := false
	for sc.Scan() {
		line := sc.Text()
		var a, b uintptr
		if n, _ := fmt.Sscanf(line, "%x-%x ", &a, &b); n == 2 && strings.Contains(line, " ") {
			in = a <= addr && addr < b
			if in {
				lo, hi = a, b
			}
			continue
		}
		if v, ok := strings.CutPrefix(line, "VmFlags:"); ok && in {
			return lo, hi, strings.TrimSpace(v)
		}
	}
	t.Fatalf("no mapping holds %x", addr)
	return 0, 0, ""
}
