package rpmarch

import "testing"

// TestX86Rank: the 32-bit x86 arches in libsolv's order, and nothing else
// (x86_64, noarch, src and other 32-bit arches) counted among them.
func TestX86Rank(t *testing.T) {
	for _, tt := range []struct {
		arch string
		rank int
	}{
		{"athlon", 0}, {"i686", 1}, {"i586", 2}, {"i486", 3}, {"i386", 4},
		{"x86_64", -1}, {"noarch", -1}, {"src", -1}, {"armv7hl", -1}, {"ppc", -1}, {"", -1},
	} {
		if got := X86Rank(tt.arch); got != tt.rank {
			t.Errorf("X86Rank(%q) = %d, want %d", tt.arch, got, tt.rank)
		}
		if got := Is32bitX86(tt.arch); got != (tt.rank >= 0) {
			t.Errorf("Is32bitX86(%q) = %v", tt.arch, got)
		}
	}
}
