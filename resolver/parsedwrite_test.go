package resolver

import (
	"bytes"
	"io"
	"testing"
)

// TestParsedWriterReusesUniverseIndex: an entry written beside a solve,
// whose by-name and whatprovides lists are renumbered from the universe's
// look-ups, is byte for byte the entry built from scratch; so is one of a
// repo that is only part of its universe, which cannot use them.
func TestParsedWriterReusesUniverseIndex(t *testing.T) {
	for _, tc := range []struct {
		name  string
		repos [][]*Package
	}{
		{"one repo", [][]*Package{parsedSynthetic(3000)}},
		{"sample", [][]*Package{parsedSample()}},
		{"two repos", [][]*Package{parsedSynthetic(500), parsedSample()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := &Universe{}
			var firsts []int
			for _, pkgs := range tc.repos {
				firsts = append(firsts, u.merge(partOf(pkgs)))
			}
			var want [][]byte
			for i, pkgs := range tc.repos {
				var b bytes.Buffer
				if err := writeParsedIndexed(&b, u.pool, u.pkgs[firsts[i]:firsts[i]+len(pkgs)], nil); err != nil {
					t.Fatal(err)
				}
				want = append(want, b.Bytes())
			}
			idx := u.index()
			if u.pool.uidx != idx {
				t.Fatal("the pool does not know its universe's look-ups")
			}
			for i, pkgs := range tc.repos {
				var b bytes.Buffer
				if err := writeParsed(&b, u.pool, u.pkgs[firsts[i]:firsts[i]+len(pkgs)]); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(b.Bytes(), want[i]) {
					t.Errorf("repo %d: the entry written with the universe's look-ups differs (%d bytes, want %d)", i, b.Len(), len(want[i]))
				}
				got, err := readParsedPkgs(bytes.NewReader(b.Bytes()), pkgs[0].Repo)
				if err != nil {
					t.Fatalf("repo %d: %v", i, err)
				}
				if len(got) != len(pkgs) {
					t.Errorf("repo %d: %d packages read back, want %d", i, len(got), len(pkgs))
				}
			}
		})
	}
}

// TestRelTable: every distinct dependency gets one index, in the order
// first met, through the table's growth; the empty one is 0.
func TestRelTable(t *testing.T) {
	tab := newRelTable(1)
	var want []depRec
	want = append(want, depRec{})
	for i := range 5000 {
		d := depRec{name: strID(i % 1300), evr: evrID(i % 7), flags: uint8(i % 3), phase: Phase(i % 2)}
		k := tab.id(d)
		found := -1
		for j, w := range want {
			if w == d {
				found = j
				break
			}
		}
		if found < 0 {
			found = len(want)
			want = append(want, d)
		}
		if int(k) != found {
			t.Fatalf("dependency %+v: index %d, want %d", d, k, found)
		}
	}
	if tab.id(depRec{}) != 0 || len(tab.rels) != len(want) {
		t.Errorf("%d distinct dependencies, want %d", len(tab.rels), len(want))
	}
}

// BenchmarkWriteParsed is the writer of a cold resolve: a 60,000-package
// repo whose universe's look-ups are built.
func BenchmarkWriteParsed(b *testing.B) {
	u := &Universe{}
	u.merge(partOf(parsedSynthetic(60000)))
	u.index()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := writeParsed(io.Discard, u.pool, u.pkgs); err != nil {
			b.Fatal(err)
		}
	}
}

// TestParsedWriterIgnoresOtherIndex: look-ups built for another slice of
// as many packages (a universe that grew since) are not taken for these.
func TestParsedWriterIgnoresOtherIndex(t *testing.T) {
	u := &Universe{}
	u.merge(partOf(parsedSynthetic(40)))
	u.index()
	first := u.merge(partOf(parsedSynthetic(80)[40:]))
	pkgs := u.pkgs[first:]
	var want, got bytes.Buffer
	if err := writeParsedIndexed(&want, u.pool, pkgs, nil); err != nil {
		t.Fatal(err)
	}
	if err := writeParsed(&got, u.pool, pkgs); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Error("the entry of the second repo was written from the first's look-ups")
	}
}
