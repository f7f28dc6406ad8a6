package resolver

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"unsafe"
)

// TestPlanMakerMatchesMaterialise: the plan's packages, made together,
// are the records Universe.pkg makes one by one, from a mapped entry and
// from a pool on the heap, with the paths filelists added, as installed
// packages too; and no two of them share a list an append could reach.
func TestPlanMakerMatchesMaterialise(t *testing.T) {
	pkgs := parsedSynthetic(600)
	path := filepath.Join(t.TempDir(), "entry")
	if err := os.WriteFile(path, parsedEncode(t, pkgs), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mapped, err := readParsed(f, "base")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		part *repoPart
	}{{"mapped", mapped}, {"heap", partOf(pkgs)}} {
		t.Run(tc.name, func(t *testing.T) {
			u := &Universe{}
			u.merge(tc.part)
			u.added = map[int32][]string{7: {"/usr/lib/added"}, 8: {"/opt/x", "/opt/y"}}
			m := &planMaker{pool: u.pool, u: u}
			var want []*Package
			// Out of order and repeated, as reasons and replaced
			// packages come after the plan's own.
			for _, k := range []int32{0, 1, 7, 8, 9, 300, 599, 3, 7} {
				installed := k == 9 || k == 3
				m.add(k, installed)
				p := u.pkg(int(k), true)
				if installed {
					p.Repo = InstalledRepo
				}
				want = append(want, p)
			}
			m.copyStrings()
			got := m.packages()
			for i := range want {
				if !reflect.DeepEqual(got[i], want[i]) {
					t.Errorf("slot %d:\n got %+v\nwant %+v", i, got[i], want[i])
				}
			}
			if tc.name == "mapped" && (len(m.ids) == 0 || len(m.arena) == 0) {
				t.Fatalf("no strings copied: %d ids, %d bytes", len(m.ids), len(m.arena))
			}
			before := append([]Dep(nil), got[1].Provides...)
			for _, p := range got {
				p.Requires = append(p.Requires, Dep{Name: "appended"})
				p.Files = append(p.Files, "/appended")
			}
			if !reflect.DeepEqual(got[1].Provides, before) || !reflect.DeepEqual(got[2].Files[:len(want[2].Files)], want[2].Files) {
				t.Error("an append to one package's list wrote into another's")
			}
		})
	}
}

// TestPlanMakerCopiesOnce: a string many packages name is one copy.
func TestPlanMakerCopiesOnce(t *testing.T) {
	part := partOf(parsedSynthetic(50))
	var b bytes.Buffer
	if err := writeParsed(&b, part.pool, part.pkgs); err != nil {
		t.Fatal(err)
	}
	mapped, err := readParsed(bytes.NewReader(b.Bytes()), "base")
	if err != nil {
		t.Fatal(err)
	}
	u := &Universe{}
	u.merge(mapped)
	m := &planMaker{pool: u.pool, u: u}
	for k := range int32(50) {
		m.add(k, false)
	}
	m.copyStrings()
	got := m.packages()
	a, c := got[0].Requires[0].Name, got[1].Requires[0].Name
	if a != "libc.so.6()(64bit)" || c != a {
		t.Fatalf("requires %q and %q", a, c)
	}
	if unsafe.StringData(a) != unsafe.StringData(c) {
		t.Error("libc.so.6()(64bit) is copied per package")
	}
}
