package resolver

import (
	"bytes"
	"slices"
	"testing"
)

// TestStoredIndexMatchesBuilt: the look-ups a parsed-cache entry stores
// are the ones a universe of the same packages builds (as names and
// package indexes), and a universe of two cached repos builds its own.
func TestStoredIndexMatchesBuilt(t *testing.T) {
	pkgs := append(parsedSynthetic(300), parsedSample()[:2]...)
	part, err := readParsed(bytes.NewReader(parsedEncode(t, pkgs)), "base")
	if err != nil {
		t.Fatal(err)
	}
	stored := &Universe{}
	stored.merge(part)
	built := NewUniverse(pkgs)
	si, bi := stored.index(), built.index()
	if !si.stored || bi.stored {
		t.Fatalf("stored %v, built %v: want the entry's index and a built one", si.stored, bi.stored)
	}
	names := map[string]bool{}
	for _, p := range pkgs {
		names[p.Name] = true
		for _, d := range slices.Concat(p.Provides, p.Requires, p.Conflicts, p.Obsoletes) {
			names[d.Name] = true
		}
		for _, f := range p.Files {
			names[f] = true
		}
	}
	of := func(u *Universe, c *csr, name string) []int32 {
		id, ok := u.pool.lookup(name)
		if !ok {
			return nil
		}
		return c.of(id)
	}
	for name := range names {
		for _, c := range []struct {
			what string
			s, b *csr
		}{{"by name", &si.byName, &bi.byName}, {"whatprovides", &si.whatProv, &bi.whatProv}} {
			if s, b := of(stored, c.s, name), of(built, c.b, name); !slices.Equal(s, b) {
				t.Errorf("%s %q: stored %v, built %v", c.what, name, s, b)
			}
		}
		var owners []int32
		for k, p := range pkgs {
			if slices.Contains(p.Files, name) {
				owners = append(owners, int32(k))
			}
		}
		if got := of(stored, &si.fileOwners, name); !slices.Equal(got, owners) {
			t.Errorf("owners of %q: stored %v, want %v", name, got, owners)
		}
	}
	strs := func(u *Universe, ids []strID) (out []string) {
		for _, id := range ids {
			out = append(out, u.pool.str(id))
		}
		slices.Sort(out)
		return out
	}
	if s, b := strs(stored, si.fileDeps), strs(built, bi.fileDeps); !slices.Equal(s, b) || len(s) == 0 {
		t.Errorf("file deps: stored %q, built %q", s, b)
	}

	// A second repo merged in: the entry's index no longer covers the
	// universe, which builds one.
	other, err := readParsed(bytes.NewReader(parsedEncode(t, pkgs)), "base")
	if err != nil {
		t.Fatal(err)
	}
	stored.merge(other)
	if idx := stored.index(); idx.stored || idx.npkgs != 2*len(pkgs) || len(idx.byName.of(stored.pool.intern("pkg7"))) != 2 {
		t.Errorf("after a merge: stored %v, %d packages", idx.stored, idx.npkgs)
	}
}
