package resolver

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/rpmvault/rpmvault/resolver/rpmmd"
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

// readFilelistsOut lists what readFilelists hands fn, and its error last,
// read on the quick path or only the scanner's general one; slow hands
// the input over a byte at a time, so that every tag straddles the
// scanner's window. It keeps a few paths, or all with all set.
func readFilelistsOut(doc string, quick bool, slow int, all bool) string {
	var keep *pathSet
	if !all {
		keep = newPathSet(map[string]bool{"/k": true, "/kk": true, " /k ": true, "/k/y": true, "/k&": true, "/k<": true, "/k&/x": true,
			"/usr/share/kb": true, "/var/k.log": true, "/usr/bin/bashk": true, "/usr/share/l0-pkg00001/file02": true})
	}
	var out strings.Builder
	fn := func(pkgid []byte, files []string) error {
		fmt.Fprintf(&out, "%q %q\n", pkgid, files)
		if string(pkgid) == "stop" {
			return errors.New("stopped")
		}
		return nil
	}
	err := newFilelistsReader(&oneByteReader{strings.NewReader(doc), slow}, keep, fn, quick).read()
	fmt.Fprint(&out, err)
	return out.String()
}

// FuzzFilelistsQuickAgrees: the quick path (filelistsquick.go) reads every
// input to the packages, files and error the scanner alone reads.
func FuzzFilelistsQuickAgrees(f *testing.F) {
	for _, doc := range []string{
		filelistsDoc,
		`<filelists><package pkgid="A"><file>/k&amp;</file><file>/k<!--c-->x</file><file><![CDATA[/k]]></file></package></filelists>`,
		`<filelists><package pkgid="stop"><file>k</file></package><package pkgid="b"><file>/k</file></package></filelists>`,
		`<file>/k</file><package pkgid="a"><file>/k</package><file>/kk</file></file><fl:file>/k</fl:file><file/>`,
		"<package pkgid='a'>\n <file> \u00a0</file><file>\f</file><file> /k </file><file>/k&bogus;</file></package>",
		`<package pkgid="a"><file>/k</file ><file >/k</file></package ></package>`,
		`<package pkgid="a"><file>/k</file><file>/k<`,
	} {
		f.Add(doc)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		for _, all := range []bool{false, true} {
			general := readFilelistsOut(doc, false, 0, all)
			for slow := range 2 {
				if quick := readFilelistsOut(doc, true, slow, all); quick != general {
					t.Fatalf("%q (slow %d, all %v):\nquick   %s\ngeneral %s", doc, slow, all, quick, general)
				}
			}
		}
	})
}

const filelistsDoc = `<?xml version="1.0" encoding="UTF-8"?>
<filelists xmlns="http://linux.duke.edu/metadata/filelists" packages="2">
<package pkgid="A6008E" name="bash" arch="x86_64">
  <version epoch="0" ver="4.1.2" rel="29.el6"/>
  <file>/bin/sh</file>
  <file type="dir">/usr/share/kb</file>
  <file type="ghost">/var/k.log</file>
  <file>/usr/bin/bashk</file>
</package>
<package pkgid="aef17f" name="busybox" arch="x86_64">
  <version epoch="0" ver="4.1.2" rel="29.el6"/>
</package>
</filelists>
`

// TestReadFilelistsEdges: what readFilelists makes of the forms filelists
// can take, on the quick path and off it, whole and a byte at a time.
func TestReadFilelistsEdges(t *testing.T) {
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"plain", filelistsDoc, `"a6008e" ["/usr/share/kb" "/var/k.log" "/usr/bin/bashk"]` + "\n" + `"aef17f" []` + "\n<nil>"},
		{"entities", `<package pkgid="a"><file>/k&amp;&#47;x</file></package>`, `"a" ["/k&/x"]` + "\n<nil>"},
		{"bad entity", `<package pkgid="a"><file>/k&bogus;</file></package>`, `filelists.xml line 1: unknown entity &bogus;`},
		{"CDATA", `<package pkgid="a"><file><![CDATA[/k<]]></file></package>`, `"a" ["/k<"]` + "\n<nil>"},
		{"comment inside", `<package pkgid="a"><file>/k<!-- x -->/y</file></package>`, `"a" ["/k/y"]` + "\n<nil>"},
		{"whitespace only", "<package pkgid=\"a\"><file> \n</file><file> /k </file></package>", `"a" [" /k "]` + "\n<nil>"},
		{"outside a package", `<file>/k</file><package pkgid="a"></package>`, `"a" []` + "\n<nil>"},
		{"namespace prefix", `<package pkgid="a"><fl:file>/k</fl:file></package>`, `"a" ["/k"]` + "\n<nil>"},
		{"empty file", `<package pkgid="a"><file/><file></file></package>`, `"a" []` + "\n<nil>"},
		{"cut short", `<package pkgid="a"><file>/k</file><file>/k`, `filelists.xml: ends inside an element`},
		{"cut in a tag", `<package pkgid="a"><file>/k</fi`, `filelists.xml line 1: unexpected end of file in a tag`},
		{"fn's error", `<package pkgid="stop"><file>/k</file></package><package pkgid="b"></package>`, `"stop" ["/k"]` + "\nstopped"},
	} {
		for _, quick := range []bool{true, false} {
			for slow := range 2 {
				if got := readFilelistsOut(tc.doc, quick, slow, false); got != tc.want {
					t.Errorf("%s (quick %v, slow %d):\ngot  %s\nwant %s", tc.name, quick, slow, got, tc.want)
				}
			}
		}
	}
}

// TestMarkFull: packages filelists listed have their full file lists; when
// that is every package of the repo (or those not listed had theirs
// already, from their headers) it is said once, for the repo, and no record
// is written.
func TestMarkFull(t *testing.T) {
	for _, tc := range []struct {
		name       string
		listed     []int
		headerOnly int // this package has its full list from its header; -1 none
		wantRepo   bool
	}{
		{"every package", []int{0, 1, 2}, -1, true},
		{"every package but one from its header", []int{0, 2}, 1, true},
		{"one not listed", []int{0, 2}, -1, false},
		{"none", nil, -1, false},
	} {
		var pkgs []*Package
		for i := range 3 {
			pkgs = append(pkgs, &Package{Name: fmt.Sprintf("p%d", i), Arch: "noarch", Repo: "r", FullFiles: i == tc.headerOnly,
				Checksum: rpmmd.Checksum{Type: "sha256", Hex: fmt.Sprintf("%064d", i)}})
		}
		pkgs = append(pkgs, &Package{Name: "other", Arch: "noarch", Repo: "s"})
		u := NewUniverse(pkgs)
		listed := make([]uint64, 1)
		for _, k := range tc.listed {
			listed[0] |= 1 << k
		}
		repo, _ := u.pool.lookup("r")
		u.markFull(repo, listed, nil)
		if got := u.pool.fullRepos[repo]; got != tc.wantRepo {
			t.Errorf("%s: repo full %v, want %v", tc.name, got, tc.wantRepo)
		}
		for k, p := range u.Packages() {
			want := p.Repo == "r" && (tc.wantRepo || slices.Contains(tc.listed, k) || k == tc.headerOnly)
			if p.FullFiles != want {
				t.Errorf("%s: %s FullFiles %v, want %v", tc.name, p.Name, p.FullFiles, want)
			}
			if wantRec := !tc.wantRepo && slices.Contains(tc.listed, k) || k == tc.headerOnly; u.pkgs[k].fullFiles != wantRec {
				t.Errorf("%s: %s record's fullFiles %v, want %v", tc.name, p.Name, u.pkgs[k].fullFiles, wantRec)
			}
		}
	}
}

// TestFilelistsMatch: finding packages by pkgid in primary's order (the
// guess) or any other gives what the look-up alone gives: the later of
// two packages sharing a checksum, and nothing for another repo's.
func TestFilelistsMatch(t *testing.T) {
	sum := func(c string) string { return strings.Repeat(c, 64) }
	var pkgs []*Package
	for i, s := range []struct{ repo, sum string }{{"r", "a"}, {"r", "b"}, {"r", "a"}, {"r", "c"}, {"s", "d"}, {"r", ""}, {"r", "e"}} {
		p := &Package{Name: fmt.Sprintf("p%d", i), Arch: "noarch", Repo: s.repo}
		if s.sum != "" {
			p.Checksum = rpmmd.Checksum{Type: "sha256", Hex: sum(s.sum)}
		}
		pkgs = append(pkgs, p)
	}
	u := NewUniverse(pkgs)
	repo, _ := u.pool.lookup("r")
	want := map[string]int{sum("a"): 2, sum("b"): 1, sum("c"): 3, sum("e"): 6}
	for _, order := range [][]string{
		{"a", "b", "a", "c", "d", "e"},
		{"a", "b", "c", "e"},
		{"e", "c", "b", "a", "a"},
		{"b", "x", "c", "d", "e", "a"},
	} {
		m := newFilelistsMatch(u, repo)
		for _, c := range order {
			k, ok := m.find([]byte(sum(c)))
			wk, wok := want[sum(c)]
			if ok != wok || k != wk {
				t.Errorf("order %v: find(%s) = %d, %v; want %d, %v", order, c, k, ok, wk, wok)
			}
		}
	}
}
