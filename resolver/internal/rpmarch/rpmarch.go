package rpmarch

// X86Rank is arch's place in libsolv's policy for an x86_64 box
// (x86_64:athlon:i686:i586:i486:i386) among the 32-bit x86 arches: 0 for
// athlon, the best, to 4 for i386; -1 for an arch that is not 32-bit x86.
func X86Rank(arch string) int {
	switch arch {
	case "athlon":
		return 0
	case "i686":
		return 1
	case "i586":
		return 2
	case "i486":
		return 3
	case "i386":
		return 4
	}
	return -1
}

// Is32bitX86 reports whether arch is one of the 32-bit x86 arches.
func Is32bitX86(arch string) bool {
	return X86Rank(arch) >= 0
}
