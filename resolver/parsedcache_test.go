package resolver

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/rpmvault/rpmvault/resolver/rpmmd"
)

// parsedSample returns packages exercising every field the cache stores.
func parsedSample() []*Package {
	return []*Package{
		{
			Name: "bash",
			EVR:  EVR{Version: "4.1.2", Release: "48.el6"},
			Arch: "x86_64",
			Provides: []Dep{
				{Name: "bash", Flags: Equal, EVR: EVR{Version: "4.1.2", Release: "48.el6"}},
				{Name: "/bin/sh"},
				{Name: "config(bash)", Flags: Equal, EVR: EVR{Epoch: 0, Version: "4.1.2"}},
			},
			Requires: []Dep{
				{Name: "libc.so.6()(64bit)"},
				{Name: "/sbin/install-info", Phase: PhasePost | PhasePreun},
				{Name: "glibc", Flags: Greater | Equal, EVR: EVR{Epoch: 2, Version: "2.12", Release: ""}, Phase: PhasePre},
				{Name: "ncurses-libs", Flags: Less, EVR: EVR{Version: "6"}, Phase: PhasePostun},
			},
			Conflicts:   []Dep{{Name: "bash-completion", Flags: Less | Equal, EVR: EVR{Version: "1.0"}}},
			Obsoletes:   []Dep{{Name: "bash2", Flags: Less, EVR: EVR{Epoch: 1, Version: "2", Release: "1"}}},
			Files:       []string{"/bin/bash", "/bin/sh", "/etc/skel/.bashrc"},
			FullFiles:   true,
			SourceRPM:   "bash-4.1.2-48.el6.src.rpm",
			Repo:        "base",
			Location:    "Packages/bash-4.1.2-48.el6.x86_64.rpm",
			Checksum:    rpmmd.Checksum{Type: "sha256", Hex: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
			Size:        925804,
			HeaderStart: 1384,
			HeaderEnd:   62640,
		},
		{
			// Epoch, empty release, non-ASCII, a dep whose EVR is set
			// without flags (kept as is), and no files at all.
			Name:     "naïve-日本語",
			EVR:      EVR{Epoch: 12, Version: "1.0~rc1^git", Release: ""},
			Arch:     "noarch",
			Provides: []Dep{{Name: "naïve", EVR: EVR{Version: "ignored"}}},
			Requires: []Dep{{Name: "bash"}, {Name: "bash"}},
			Location: "https://example.com/naïve.rpm",
			Repo:     "base",
			Checksum: rpmmd.Checksum{Type: "sha", Hex: "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
			Size:     -1,
		},
		{
			// Only what an installed-set line knows; negative epoch and
			// huge sizes stress the varints.
			Name:        "",
			EVR:         EVR{Epoch: -3},
			Repo:        "base",
			Files:       []string{""},
			Size:        1<<63 - 1,
			HeaderStart: -1 << 63,
			HeaderEnd:   1 << 40,
		},
	}
}

func parsedEncode(t testing.TB, pkgs []*Package) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := writeParsedPkgs(&buf, pkgs); err != nil {
		t.Fatalf("writeParsed: %v", err)
	}
	return buf.Bytes()
}

func TestParsedRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		pkgs []*Package
	}{
		{"empty", nil},
		{"sample", parsedSample()},
		{"primary files only", []*Package{{Name: "a", Repo: "base", Files: []string{"/usr/bin/a"}}}},
		{"installed-like", []*Package{{Name: "a", EVR: EVR{Version: "1", Release: "1"}, Arch: "x86_64", Repo: "base"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			enc := parsedEncode(t, tc.pkgs)
			got, err := readParsedPkgs(bytes.NewReader(enc), "base")
			if err != nil {
				t.Fatalf("readParsed: %v", err)
			}
			if !reflect.DeepEqual(got, tc.pkgs) {
				t.Errorf("packages differ\ngot  %+v\nwant %+v", parsedDeref(got), parsedDeref(tc.pkgs))
			}
			if again := parsedEncode(t, got); !bytes.Equal(again, enc) {
				t.Errorf("re-encoding differs: %d bytes, first %d", len(again), len(enc))
			}
		})
	}
}

func parsedDeref(pkgs []*Package) []Package {
	out := make([]Package, len(pkgs))
	for i, p := range pkgs {
		out[i] = *p
	}
	return out
}

func TestParsedEmptyListsDecodeAsNil(t *testing.T) {
	in := []*Package{{Name: "a", Repo: "r", Provides: []Dep{}, Requires: []Dep{}, Files: []string{}}}
	got, err := readParsedPkgs(bytes.NewReader(parsedEncode(t, in)), "r")
	if err != nil {
		t.Fatal(err)
	}
	p := got[0]
	if p.Provides != nil || p.Requires != nil || p.Conflicts != nil || p.Obsoletes != nil || p.Files != nil {
		t.Errorf("empty lists should decode as nil: %+v", *p)
	}
	if p.Repo != "r" {
		t.Errorf("Repo = %q, want %q", p.Repo, "r")
	}
}

// An append to one package's list must not write into the next package's.
func TestParsedSubslicesDoNotAlias(t *testing.T) {
	in := []*Package{
		{Name: "a", Repo: "r", Requires: []Dep{{Name: "x"}}, Files: []string{"/a"}},
		{Name: "b", Repo: "r", Requires: []Dep{{Name: "y"}}, Files: []string{"/b"}},
	}
	got, err := readParsedPkgs(bytes.NewReader(parsedEncode(t, in)), "r")
	if err != nil {
		t.Fatal(err)
	}
	_ = append(got[0].Requires, Dep{Name: "clobber"})
	_ = append(got[0].Files, "clobber")
	_ = append(got[1].Files, "clobber")
	if got[1].Requires[0].Name != "y" || got[1].Files[0] != "/b" {
		t.Errorf("append clobbered a neighbour: %+v", *got[1])
	}
}

func TestParsedDeterministic(t *testing.T) {
	a := parsedEncode(t, parsedSample())
	b := parsedEncode(t, parsedSample())
	if !bytes.Equal(a, b) {
		t.Error("two encodings of the same packages differ")
	}
}

func TestParsedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "base.parsed")
	if err := os.WriteFile(path, parsedEncode(t, parsedSample()), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	part, err := readParsed(f, "base")
	if err != nil {
		t.Fatal(err)
	}
	if part.pool.base.release == nil && runtime.GOOS == "linux" {
		t.Error("a file was not mapped")
	}
	u := &Universe{}
	u.merge(part)
	if !reflect.DeepEqual(u.Packages(), parsedSample()) {
		t.Error("packages read from a file differ")
	}
	// Released pages are the file's: reading them again maps them again.
	u.pool.releaseBase()
	if !reflect.DeepEqual(u.Packages(), parsedSample()) {
		t.Error("packages read after releasing the mapping differ")
	}
}

func TestParsedTruncated(t *testing.T) {
	enc := parsedEncode(t, parsedSample())
	for n := range len(enc) {
		if _, err := readParsedPkgs(bytes.NewReader(enc[:n]), "base"); err == nil {
			t.Errorf("truncated to %d of %d bytes: no error", n, len(enc))
		}
	}
}

func TestParsedCorrupt(t *testing.T) {
	enc := parsedEncode(t, parsedSample())
	for _, tc := range []struct {
		name string
		edit func([]byte) []byte
		want string
	}{
		{"flipped byte", func(b []byte) []byte { b[len(b)/2] ^= 0x40; return b }, "sha256"},
		{"flipped checksum", func(b []byte) []byte { b[len(b)-1] ^= 1; return b }, "sha256"},
		{"wrong magic", func(b []byte) []byte { return append([]byte("<?xml version="), b...) }, "magic"},
		{"other version", func(b []byte) []byte { b[len(parsedMagic)-2] = '9'; return b }, "version"},
		{"appended byte", func(b []byte) []byte { return append(b, 0) }, "sha256"},
		{"empty", func([]byte) []byte { return nil }, "truncated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readParsedPkgs(bytes.NewReader(tc.edit(bytes.Clone(enc))), "base")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

// parsedResum replaces the trailing checksum so hand-made or fuzzed bodies
// reach the decoder instead of stopping at the checksum.
func parsedResum(b []byte) []byte {
	if len(b) < len(parsedMagic)+sha256.Size {
		return b
	}
	b = bytes.Clone(b)
	sum := sha256.Sum256(b[:len(b)-sha256.Size])
	copy(b[len(b)-sha256.Size:], sum[:])
	return b
}

func FuzzReadParsed(f *testing.F) {
	f.Add(parsedEncode(f, parsedSample()))
	f.Add(parsedEncode(f, parsedSample()[:1]))
	f.Add(parsedEncode(f, nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Almost every mutation breaks the checksum, so also try the input
		// with a fixed checksum: that is what reaches the decoder.
		for _, in := range [][]byte{data, parsedResum(data)} {
			pkgs, err := readParsedPkgs(bytes.NewReader(in), "base")
			if err != nil {
				continue
			}
			var buf bytes.Buffer
			if err := writeParsedPkgs(&buf, pkgs); err != nil {
				t.Fatalf("re-encoding decoded packages: %v", err)
			}
			pkgs2, err := readParsedPkgs(&buf, "base")
			if err != nil {
				t.Fatalf("decoding re-encoded packages: %v", err)
			}
			if !reflect.DeepEqual(pkgs, pkgs2) {
				t.Fatalf("round trip changed the value:\n%+v\n%+v", parsedDeref(pkgs), parsedDeref(pkgs2))
			}
		}
	})
}

// parsedSynthetic makes n packages shaped like a CentOS repo's: about 4.5
// deps and 2 files each, with names shared the way real dep names are.
func parsedSynthetic(n int) []*Package {
	pkgs := make([]*Package, n)
	for i := range pkgs {
		name := fmt.Sprintf("pkg%d", i)
		evr := EVR{Epoch: i % 3, Version: fmt.Sprintf("%d.%d", i%17, i%5), Release: fmt.Sprintf("%d.el6", i%9)}
		p := &Package{
			Name: name, EVR: evr, Arch: []string{"x86_64", "noarch", "i686"}[i%3],
			Provides: []Dep{
				{Name: name, Flags: Equal, EVR: evr},
				{Name: fmt.Sprintf("lib%d.so.1()(64bit)", i)},
			},
			Requires: []Dep{
				{Name: "libc.so.6()(64bit)"},
				{Name: fmt.Sprintf("pkg%d", (i*7+1)%n), Flags: Greater | Equal, EVR: EVR{Version: "1.0"}},
			},
			Files:       []string{"/usr/bin/" + name, "/usr/share/doc/" + name},
			SourceRPM:   name + "-src.src.rpm",
			Repo:        "base",
			Location:    "Packages/" + name + ".rpm",
			Checksum:    rpmmd.Checksum{Type: "sha256", Hex: fmt.Sprintf("%064x", i)},
			Size:        int64(i) * 1000,
			HeaderStart: 1384,
			HeaderEnd:   int64(5000 + i),
		}
		if i%2 == 0 {
			p.Requires = append(p.Requires, Dep{Name: "/bin/sh", Phase: PhasePost})
		}
		pkgs[i] = p
	}
	return pkgs
}

func TestParsedSynthetic(t *testing.T) {
	in := parsedSynthetic(1000)
	got, err := readParsedPkgs(bytes.NewReader(parsedEncode(t, in)), "base")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, in) {
		t.Error("synthetic packages differ after a round trip")
	}
}

func BenchmarkReadParsed(b *testing.B) {
	enc := parsedEncode(b, parsedSynthetic(60000))
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := readParsedPkgs(bytes.NewReader(enc), "base"); err != nil {
			b.Fatal(err)
		}
	}
}

// TestParsedFiles: the file-lists entry restores what filelists added, and
// a damaged one changes nothing.
func TestParsedFiles(t *testing.T) {
	fresh := func() []*Package {
		return []*Package{
			{Name: "a", Files: []string{"/usr/bin/a"}},
			{Name: "b"},
			{Name: "c", Files: []string{"/etc/c.conf", "/usr/bin/c"}},
		}
	}
	merged := fresh()
	kept := []string{"/usr/lib/x.so", "/usr/share/b/file02"}
	merged[0].Files = append(merged[0].Files, "/usr/share/b/file02")
	merged[1].Files = []string{"/usr/lib/x.so", "/usr/share/b/file02"}
	for _, p := range merged[:2] {
		p.FullFiles = true
	}
	// The part as filelists leaves it: paths added beside the records.
	mp := partOf(fresh())
	mp.added = map[int32][]string{0: {kept[1]}, 1: {kept[0], kept[1]}}
	mp.pkgs[0].fullFiles, mp.pkgs[1].fullFiles = true, true
	if !reflect.DeepEqual(parsedDeref(partPkgs(mp)), parsedDeref(merged)) {
		t.Fatalf("set-up: %+v", parsedDeref(partPkgs(mp)))
	}
	var b bytes.Buffer
	if err := writeParsedFiles(&b, mp.pool, mp.pkgs, mp.added, 0, kept); err != nil {
		t.Fatal(err)
	}
	got := partOf(fresh())
	gotKept, err := readParsedFiles(bytes.NewReader(b.Bytes()), got)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(parsedDeref(partPkgs(got)), parsedDeref(merged)) || !reflect.DeepEqual(gotKept, kept) {
		t.Fatalf("round trip:\n got %+v %q\nwant %+v %q", parsedDeref(partPkgs(got)), gotKept, parsedDeref(merged), kept)
	}

	for cut := 0; cut < b.Len(); cut++ {
		part := partOf(fresh())
		if _, err := readParsedFiles(bytes.NewReader(b.Bytes()[:cut]), part); err == nil {
			t.Fatalf("truncated at %d: no error", cut)
		}
		if !reflect.DeepEqual(parsedDeref(partPkgs(part)), parsedDeref(fresh())) {
			t.Fatalf("truncated at %d: packages changed", cut)
		}
	}
	// A valid entry for another package count is refused too.
	two := partOf(fresh()[:2])
	if _, err := readParsedFiles(bytes.NewReader(b.Bytes()), two); err == nil || !strings.Contains(err.Error(), "3 packages") {
		t.Fatalf("wrong package count: %v", err)
	}
	// Bad bodies behind a valid checksum.
	body := func(parts ...byte) []byte { return parsedAppendSum(append([]byte(parsedFilesMagic), parts...)) }
	for name, data := range map[string][]byte{
		"path index out of range": body(1, 1, 'x', 1, 1, 1, 5),
		"bad flag":                body(0, 1, 7, 0),
		"trailing bytes":          body(0, 1, 0, 0, 9),
		"huge path":               body(1, 0xff, 0xff, 0x03),
	} {
		x := partOf([]*Package{{Name: "x"}})
		if _, err := readParsedFiles(bytes.NewReader(data), x); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// A path the kept set lacks cannot be written.
	if err := writeParsedFiles(io.Discard, mp.pool, mp.pkgs, mp.added, 0, kept[:1]); err == nil {
		t.Fatal("wrote a path that is not kept")
	}
}

func parsedAppendSum(b []byte) []byte {
	sum := sha256.Sum256(b)
	return append(b, sum[:]...)
}

type memParsedCache map[string][]byte

func (c memParsedCache) OpenParsed(key string) (io.ReadCloser, error) {
	b, ok := c[key]
	if !ok {
		return nil, os.ErrNotExist
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (c memParsedCache) SaveParsed(key string, write func(io.Writer) error) error {
	var b bytes.Buffer
	if err := write(&b); err != nil {
		return err
	}
	c[key] = b.Bytes()
	return nil
}

// TestOpenParsedChecksRecords: an entry with a sound checksum still gets the
// checks primary.xml's records get, so it cannot point outside the repo.
func TestOpenParsedChecksRecords(t *testing.T) {
	for _, tc := range []struct {
		name     string
		location string
		ok       bool
	}{
		{"sound", "Packages/a-1-1.x86_64.rpm", true},
		{"leaves the repo", "../../etc/a.rpm", false},
		{"absolute", "/etc/a.rpm", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := memParsedCache{}
			pkgs := []*Package{{Name: "a", EVR: EVR{Version: "1", Release: "1"}, Arch: "x86_64", Location: tc.location}}
			if err := c.SaveParsed("k", func(w io.Writer) error { return writeParsedPkgs(w, pkgs) }); err != nil {
				t.Fatal(err)
			}
			if _, _, ok := openParsed(c, "k", "base"); ok != tc.ok {
				t.Errorf("openParsed ok = %v, want %v", ok, tc.ok)
			}
		})
	}
}

// writeParsedPkgs is writeParsed of pkgs as a repo part.
func writeParsedPkgs(w io.Writer, pkgs []*Package) error {
	part := partOf(pkgs)
	return writeParsed(w, part.pool, part.pkgs)
}

func partOf(pkgs []*Package) *repoPart {
	part := newRepoPart(len(pkgs))
	for _, p := range pkgs {
		part.add(p)
	}
	return part
}

// readParsedPkgs is readParsed, materialised.
func readParsedPkgs(r io.Reader, repo string) ([]*Package, error) {
	part, err := readParsed(r, repo)
	if err != nil {
		return nil, err
	}
	u := &Universe{}
	u.merge(part)
	if len(u.pkgs) == 0 {
		return nil, nil
	}
	return u.Packages(), nil
}

// partPkgs materialises a part's packages.
func partPkgs(part *repoPart) []*Package {
	out := make([]*Package, len(part.pkgs))
	for i := range part.pkgs {
		out[i] = part.pool.materialise(&part.pkgs[i], true, part.added[int32(i)])
	}
	return out
}

// TestParsedFilesAllFull: when filelists covered every package, reading
// the file-lists entry marks the repo, not each record (a mapped record
// written is a page copied), and the packages still say FullFiles.
func TestParsedFilesAllFull(t *testing.T) {
	pkgs := []*Package{{Name: "a", Repo: "base"}, {Name: "b", Repo: "base", Files: []string{"/usr/bin/b"}}}
	mp := partOf(pkgs)
	mp.added = map[int32][]string{1: {"/usr/lib/b.so"}}
	for i := range mp.pkgs {
		mp.pkgs[i].fullFiles = true
	}
	var b bytes.Buffer
	if err := writeParsedFiles(&b, mp.pool, mp.pkgs, mp.added, 0, []string{"/usr/lib/b.so"}); err != nil {
		t.Fatal(err)
	}
	got := partOf(pkgs)
	if _, err := readParsedFiles(bytes.NewReader(b.Bytes()), got); err != nil {
		t.Fatal(err)
	}
	for i, p := range partPkgs(got) {
		if !p.FullFiles || got.pkgs[i].fullFiles {
			t.Errorf("package %d: FullFiles %v, record's flag %v; want true from the repo, record unchanged", i, p.FullFiles, got.pkgs[i].fullFiles)
		}
	}
	if files := partPkgs(got)[1].Files; !slices.Equal(files, []string{"/usr/bin/b", "/usr/lib/b.so"}) {
		t.Errorf("files = %q", files)
	}
}
