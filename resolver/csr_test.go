package resolver

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestNewCSR: lists match a naive build, for empty keys, the first and
// last key, and a (key, package) emitted twice in a row kept once; so do
// a sparse index's, keys at the edges of its bit words included.
func TestNewCSR(t *testing.T) {
	for _, tc := range []struct {
		name  string
		nkeys int
		pairs [][2]int32 // key, package; packages ascending
	}{
		{"empty", 0, nil},
		{"no pairs", 4, nil},
		{"first and last key", 3, [][2]int32{{0, 0}, {2, 0}, {2, 1}, {0, 2}}},
		{"repeats", 2, [][2]int32{{1, 0}, {1, 0}, {0, 1}, {1, 1}, {1, 1}}},
		{"random", 500, randomPairs(500, 3000)},
		{"sparse keys", 300, [][2]int32{{63, 0}, {64, 0}, {127, 1}, {128, 1}, {299, 1}, {63, 2}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCSR(tc.nkeys, func(emit func(uint32, int32)) {
				for _, p := range tc.pairs {
					emit(uint32(p[0]), p[1])
				}
			})
			want := make([][]int32, tc.nkeys)
			for _, p := range tc.pairs {
				if l := want[p[0]]; len(l) == 0 || l[len(l)-1] != p[1] {
					want[p[0]] = append(l, p[1])
				}
			}
			if len(c.start) != tc.nkeys+1 || c.start[0] != 0 {
				t.Fatalf("starts %v", c.start)
			}
			sparse := newSparseCSR(tc.nkeys, func(emit func(uint32, int32)) {
				for _, p := range tc.pairs {
					emit(uint32(p[0]), p[1])
				}
			})
			if !slices.Equal(sparse.list, c.list) {
				t.Errorf("the sparse index's lists %v, the dense one's %v", sparse.list, c.list)
			}
			for k := range tc.nkeys + 70 {
				if k >= tc.nkeys {
					// Keys past the last: none, as a dense index has none.
					if got := sparse.of(strID(k)); got != nil {
						t.Errorf("sparse: key %d past the last: %v", k, got)
					}
					continue
				}
				if got := c.of(strID(k)); !slices.Equal(got, want[k]) {
					t.Errorf("key %d: %v, want %v", k, got, want[k])
				}
				if got := sparse.of(strID(k)); !slices.Equal(got, want[k]) {
					t.Errorf("sparse: key %d: %v, want %v", k, got, want[k])
				}
			}
		})
	}
}

func randomPairs(nkeys, npkgs int) [][2]int32 {
	r := rand.New(rand.NewPCG(1, 2))
	var out [][2]int32
	for p := range npkgs {
		for range r.IntN(5) {
			out = append(out, [2]int32{int32(r.IntN(nkeys)), int32(p)})
		}
	}
	return out
}
