package resolver

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"unsafe"
)

// TestReleaseCleanPagesKeepsWrites: of a private mapping's pages, the
// ones still the file's are dropped and the ones this process wrote to
// stay, with what was written.
func TestReleaseCleanPagesKeepsWrites(t *testing.T) {
	page := os.Getpagesize()
	content := make([]byte, 4*page)
	for k := range 4 {
		content[k*page] = byte(k + 1)
	}
	path := filepath.Join(t.TempDir(), "entry")
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, ok := mapFile(f)
	if !ok {
		t.Fatal("the file was not mapped")
	}
	defer m.unmap()
	var sum byte
	for k := range 4 {
		sum += m.data[k*page] // read every page in
	}
	m.data[page+1] = 0xaa // page 1 becomes this process's copy
	m.releaseClean(m.data)

	tests := []struct {
		page    int
		present bool
		first   byte
	}{{0, false, 1}, {1, true, 2}, {2, false, 3}, {3, false, 4}}
	for _, tc := range tests {
		if got := pagePresent(t, m.data[tc.page*page:]); got != tc.present {
			t.Errorf("page %d: present %v after the release, want %v", tc.page, got, tc.present)
		}
	}
	for _, tc := range tests { // reading maps a dropped page again
		if got := m.data[tc.page*page]; got != tc.first {
			t.Errorf("page %d: reads %d, want %d", tc.page, got, tc.first)
		}
	}
	if m.data[page+1] != 0xaa {
		t.Errorf("the write to page 1 was lost (sum %d)", sum)
	}
}

// pagePresent reads /proc/self/pagemap's present bit for b's first page.
func pagePresent(t *testing.T, b []byte) bool {
	t.Helper()
	f, err := os.Open("/proc/self/pagemap")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var e [8]byte
	addr := uintptr(unsafe.Pointer(&b[0]))
	if _, err := f.ReadAt(e[:], int64(addr/uintptr(os.Getpagesize()))*8); err != nil {
		t.Fatal(err)
	}
	return binary.NativeEndian.Uint64(e[:])&(1<<63) != 0
}
