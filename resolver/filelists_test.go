package resolver

import (
	"strings"
	"testing"
)

// FuzzPathSet: the filter in front of the wanted paths turns away only
// paths the set does not have.
func FuzzPathSet(f *testing.F) {
	f.Add("/usr/bin/a\n/etc/b.conf\n/usr/share/x/file02", "/usr/share/x/file02")
	f.Add("/a", "/b")
	f.Fuzz(func(t *testing.T, wanted, path string) {
		want := map[string]bool{}
		for _, p := range strings.Split(wanted, "\n") {
			want[p] = true
		}
		ps := newPathSet(want)
		for p := range want {
			if !ps.has([]byte(p)) {
				t.Fatalf("%q wanted, turned away", p)
			}
		}
		if ps.has([]byte(path)) != want[path] {
			t.Fatalf("has(%q) = %v, want %v", path, ps.has([]byte(path)), want[path])
		}
	})
}

func TestAppendLower(t *testing.T) {
	for _, s := range []string{"", "ABCdef0123", "a6008e5786b806271dad745d199bd708", "ÀÉ-Ab", "\xff"} {
		if got := string(appendLower([]byte("x"), []byte(s))); got != "x"+strings.ToLower(s) {
			t.Errorf("appendLower(%q) = %q", s, got)
		}
	}
}
