package resolver

import (
	"fmt"
	"testing"
)

// The pool's string index through growth, []byte look-ups, and a table
// with duplicates (which the parsed cache refuses).
func TestStrIndex(t *testing.T) {
	p := newIDPool(1)
	ids := map[string]strID{}
	for i := range 5000 {
		s := fmt.Sprintf("name-%d", i%3000) // repeats after 3000
		id := p.intern(s)
		if prev, ok := ids[s]; ok && prev != id {
			t.Fatalf("%s interned as %d and %d", s, prev, id)
		}
		ids[s] = id
		if p.strs[id] != s {
			t.Fatalf("strs[%d] = %q, want %q", id, p.strs[id], s)
		}
	}
	if len(p.strs) != 3001 {
		t.Errorf("%d strings, want 3001 (with \"\")", len(p.strs))
	}
	for _, tc := range []struct {
		s  string
		ok bool
	}{{"", true}, {"name-0", true}, {"name-2999", true}, {"name-3000", false}, {"other", false}} {
		id, ok := p.lookup(tc.s)
		if ok != tc.ok || (ok && p.strs[id] != tc.s) {
			t.Errorf("lookup(%q) = %d, %v", tc.s, id, ok)
		}
		if b := p.internBytes([]byte(tc.s)); p.strs[b] != tc.s {
			t.Errorf("internBytes(%q) = %d", tc.s, b)
		}
	}
	var x strIndex
	x.build([]string{"", "a", "b", "a"})
	if x.dups != 1 {
		t.Errorf("dups = %d, want 1", x.dups)
	}
}
