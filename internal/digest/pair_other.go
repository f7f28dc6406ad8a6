//go:build !amd64 || purego

package digest

func haveSHANI() bool { return false }

func blockOne(h *[8]uint32, p *byte, n int) {
	panic("digest: no SHA-NI block function on this platform")
}

func blockTwo(a, b *[8]uint32, pa, pb *byte, n int) {
	panic("digest: no SHA-NI block function on this platform")
}
