package resolver

// Vercmp compares two version (or release) strings exactly as rpm's
// rpmvercmp does: the strings are split into runs of digits and runs of
// letters, everything else separates; numeric runs compare as numbers and beat
// alphabetic ones; '~' sorts before anything (even the end), '^' after the end
// but before anything else. It returns -1, 0 or 1.
func Vercmp(a, b string) int {
	if a == b {
		return 0
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		// Skip separators: anything that is not alphanumeric, '~' or '^'.
		for i < len(a) && !isAlnum(a[i]) && a[i] != '~' && a[i] != '^' {
			i++
		}
		for j < len(b) && !isAlnum(b[j]) && b[j] != '~' && b[j] != '^' {
			j++
		}
		// '~' sorts before everything, including the end of the string.
		if i < len(a) && a[i] == '~' || j < len(b) && b[j] == '~' {
			if i >= len(a) || a[i] != '~' {
				return 1
			}
			if j >= len(b) || b[j] != '~' {
				return -1
			}
			i++
			j++
			continue
		}
		// '^' sorts after the end of the string but before anything else.
		if i < len(a) && a[i] == '^' || j < len(b) && b[j] == '^' {
			if i >= len(a) {
				return -1
			}
			if j >= len(b) {
				return 1
			}
			if a[i] != '^' {
				return 1
			}
			if b[j] != '^' {
				return -1
			}
			i++
			j++
			continue
		}
		if i >= len(a) || j >= len(b) {
			break
		}
		si, sj := i, j
		numeric := isDigit(a[i])
		if numeric {
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
		} else {
			for i < len(a) && isAlpha(a[i]) {
				i++
			}
			for j < len(b) && isAlpha(b[j]) {
				j++
			}
		}
		segA, segB := a[si:i], b[sj:j]
		if len(segB) == 0 {
			// Segments of different types: the numeric one is newer.
			if numeric {
				return 1
			}
			return -1
		}
		if numeric {
			for len(segA) > 0 && segA[0] == '0' {
				segA = segA[1:]
			}
			for len(segB) > 0 && segB[0] == '0' {
				segB = segB[1:]
			}
			if len(segA) != len(segB) {
				if len(segA) > len(segB) {
					return 1
				}
				return -1
			}
		}
		if segA != segB {
			if segA > segB {
				return 1
			}
			return -1
		}
	}
	switch {
	case i >= len(a) && j >= len(b):
		return 0
	case i >= len(a):
		return -1
	default:
		return 1
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }

// Compare orders two package EVRs: epoch, then version, then release.
func (e EVR) Compare(o EVR) int {
	if e.Epoch != o.Epoch {
		if e.Epoch < o.Epoch {
			return -1
		}
		return 1
	}
	if c := Vercmp(e.Version, o.Version); c != 0 {
		return c
	}
	return Vercmp(e.Release, o.Release)
}

// Satisfies reports whether a provide satisfies a requirement of the same
// name, with libsolv's rules (pool_match_flags_evr): an unversioned side
// matches everything; a release missing on one side matches any release on the
// other, as far as that side's '=' reaches.
func (p Dep) Satisfies(r Dep) bool {
	if p.Name != r.Name {
		return false
	}
	rf := r.Flags & (Less | Greater | Equal)
	pf := p.Flags & (Less | Greater | Equal)
	if rf == 0 || pf == 0 {
		return true
	}
	if pf&rf&(Less|Greater) != 0 {
		return true // two ranges open the same way always meet
	}
	c := 0
	switch {
	case p.EVR.Epoch != r.EVR.Epoch:
		c = 1
		if p.EVR.Epoch < r.EVR.Epoch {
			c = -1
		}
	default:
		c = Vercmp(p.EVR.Version, r.EVR.Version)
	}
	if c == 0 {
		switch {
		case p.EVR.Release == "" && r.EVR.Release != "":
			return pf&Equal != 0
		case p.EVR.Release != "" && r.EVR.Release == "":
			return rf&Equal != 0
		}
		c = Vercmp(p.EVR.Release, r.EVR.Release)
	}
	switch {
	case c < 0:
		return pf&Greater != 0 || rf&Less != 0
	case c > 0:
		return pf&Less != 0 || rf&Greater != 0
	}
	return pf&rf&Equal != 0
}
