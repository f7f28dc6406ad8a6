//go:build amd64 && !purego

package digest

//go:noescape
func blockOne(h *[8]uint32, p *byte, n int)

//go:noescape
func blockTwo(a, b *[8]uint32, pa, pb *byte, n int)

func cpuid(leaf, sub uint32) (a, b, c, d uint32)

// haveSHANI reports whether the CPU has the SHA extensions (and the SSSE3
// and SSE4.1 instructions the block functions use beside them).
func haveSHANI() bool {
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 7 {
		return false
	}
	_, _, c1, _ := cpuid(1, 0)
	_, b7, _, _ := cpuid(7, 0)
	const ssse3, sse41, sha = 1 << 9, 1 << 19, 1 << 29
	return c1&ssse3 != 0 && c1&sse41 != 0 && b7&sha != 0
}
