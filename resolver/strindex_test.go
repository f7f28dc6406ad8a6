package resolver

import (
	"bytes"
	"fmt"
	"strings"
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
		if p.str(id) != s {
			t.Fatalf("string %d = %q, want %q", id, p.str(id), s)
		}
	}
	if p.strs.len() != 3001 {
		t.Errorf("%d strings, want 3001 (with \"\")", p.strs.len())
	}
	for _, tc := range []struct {
		s  string
		ok bool
	}{{"", true}, {"name-0", true}, {"name-2999", true}, {"name-3000", false}, {"other", false}} {
		id, ok := p.lookup(tc.s)
		if ok != tc.ok || (ok && p.str(id) != tc.s) {
			t.Errorf("lookup(%q) = %d, %v", tc.s, id, ok)
		}
		if b := p.internBytes([]byte(tc.s)); p.str(b) != tc.s {
			t.Errorf("internBytes(%q) = %d", tc.s, b)
		}
	}
	var x strIndex
	a := newStrArena(4)
	for _, s := range []string{"a", "b", "a"} {
		a.add([]byte(s))
	}
	x.build(&a)
	if x.dups != 1 {
		t.Errorf("dups = %d, want 1", x.dups)
	}
}

// TestStrIndexIdsPastItsLength: a table built over many duplicates
// counts fewer strings than its arena has, so new ids reach its length
// before it is three quarters full (its slots hold an id in as many bits
// as the length needs): it grows so that they fit, and every string is
// still found, "dup" as its first copy.
func TestStrIndexIdsPastItsLength(t *testing.T) {
	a := newStrArena(4)
	for range 200 {
		a.add([]byte("dup"))
	}
	var x strIndex
	x.build(&a)
	if x.dups != 199 {
		t.Fatalf("dups = %d", x.dups)
	}
	ids := map[string]strID{}
	for i := range 2 * len(x.slots) {
		s := fmt.Sprintf("s%d", i)
		ids[s] = x.internBytes(&a, []byte(s))
	}
	for s, id := range ids {
		if got, ok := x.find(&a, s); !ok || got != id || a.at(uint32(id)) != s {
			t.Errorf("find(%q) = %d, %v; want %d", s, got, ok, id)
		}
		if got := x.internBytes(&a, []byte(s)); got != id {
			t.Errorf("internBytes(%q) again = %d, want %d", s, got, id)
		}
	}
	if id, ok := x.find(&a, "dup"); !ok || id != 1 {
		t.Errorf("find(dup) = %d, %v; want 1, its first copy", id, ok)
	}
	if _, ok := x.find(&a, "absent"); ok {
		t.Error("found a string never added")
	}
}

// TestStrArena: strings of every size, across chunks (one longer than a
// chunk among them), read back as added; a string handed out is not
// changed by later ones.
func TestStrArena(t *testing.T) {
	a := newStrArena(1)
	want := []string{""}
	first := ""
	for i := range 20000 {
		var s string
		switch {
		case i == 7000:
			s = strings.Repeat("x", arenaChunk+5)
		case i%97 == 0:
			s = ""
		default:
			s = fmt.Sprintf("%0*d", i%300, i)
		}
		if k := a.add([]byte(s)); int(k) != len(want) {
			t.Fatalf("string %d added as %d", len(want), k)
		}
		want = append(want, s)
		if i == 1 {
			first = a.at(uint32(len(want) - 1))
		}
	}
	if len(a.chunks) < 3 {
		t.Errorf("%d chunks: the test means to cross chunks", len(a.chunks))
	}
	for k, s := range want {
		if got := a.at(uint32(k)); got != s {
			t.Fatalf("string %d = %.20q (%d bytes), want %.20q (%d bytes)", k, got, len(got), s, len(s))
		}
	}
	if first != want[2] {
		t.Errorf("a string handed out changed to %q", first)
	}
}

// TestPoolInternsAfterBase: a pool read from a parsed-cache entry adds its
// heap strings after the entry's, and finds both.
func TestPoolInternsAfterBase(t *testing.T) {
	var b bytes.Buffer
	if err := writeParsedPkgs(&b, parsedSample()); err != nil {
		t.Fatal(err)
	}
	part, err := readParsed(bytes.NewReader(b.Bytes()), "base")
	if err != nil {
		t.Fatal(err)
	}
	p := part.pool
	bash, ok := p.lookup("bash")
	if !ok || bash >= strID(p.nbs) {
		t.Fatalf("lookup(bash) = %d, %v: want a base id", bash, ok)
	}
	if p.intern("bash") != bash || p.internBytes([]byte("")) != 0 {
		t.Error("interning a base string made a heap one")
	}
	id := p.intern("new-string")
	if id != strID(p.nbs) || p.str(id) != "new-string" || p.internBytes([]byte("new-string")) != id {
		t.Errorf("heap string: id %d (base has %d), %q", id, p.nbs, p.str(id))
	}
	if p.copied(id) != "new-string" || p.copied(bash) != "bash" {
		t.Error("copied differs from str")
	}
}
