package abi

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/rpmpack"
	rpmutils "github.com/sassoftware/go-rpmutils"
)

// buildRPM writes an RPM with rpmpack directly (the fixtures builder refuses
// unclean paths, which is what some of these cases need).
func buildRPM(t testing.TB, files []rpmpack.RPMFile, colors []uint32) []byte {
	return buildRPMWith(t, "gzip", files, colors)
}

func buildRPMWith(t testing.TB, compressor string, files []rpmpack.RPMFile, colors []uint32) []byte {
	t.Helper()
	r, err := rpmpack.NewRPM(rpmpack.RPMMetaData{Name: "p", Version: "1", Release: "1", Arch: "x86_64", Compressor: compressor})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		r.AddFile(f)
	}
	if colors != nil {
		r.AddCustomTag(rpmutils.FILECOLORS, rpmpack.EntryUint32(colors))
	}
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestSummarizeRPM(t *testing.T) {
	lib := readTestdata(t, "libdevmapper-new.so")
	docker := readTestdata(t, "docker")
	text := rpmpack.RPMFile{Name: "/etc/p.conf", Body: []byte(strings.Repeat("x=1\n", 40)), Mode: 0o100644}
	elfLib := rpmpack.RPMFile{Name: "/lib64/libdevmapper.so.1.02", Body: lib, Mode: 0o100755}
	elfBin := rpmpack.RPMFile{Name: "/usr/bin/docker", Body: docker, Mode: 0o100755}
	link := rpmpack.RPMFile{Name: "/lib64/libdevmapper.so", Body: []byte("libdevmapper.so.1.02"), Mode: 0o120777}
	broken := rpmpack.RPMFile{Name: "/usr/lib64/broken.so", Body: append([]byte("\x7fELF"), make([]byte, 100)...), Mode: 0o100755}
	for _, tc := range []struct {
		name    string
		files   []rpmpack.RPMFile
		colors  []uint32
		objects []string // paths, sorted as rpmpack writes them
		notes   int
		errPart string
	}{
		{"no ELF files", []rpmpack.RPMFile{text, link}, nil, nil, 0, ""},
		{"library and executable", []rpmpack.RPMFile{text, elfLib, elfBin, link}, nil, []string{"/lib64/libdevmapper.so.1.02", "/usr/bin/docker"}, 0, ""},
		// FILECOLORS says no ELF: the payload is not read, so even an ELF
		// file behind a lying tag is not seen (rpmbuild computes the tag).
		{"FILECOLORS without ELF", []rpmpack.RPMFile{text, elfBin}, []uint32{0, 0}, nil, 0, ""},
		{"FILECOLORS with ELF64", []rpmpack.RPMFile{text, elfBin}, []uint32{0, 2}, []string{"/usr/bin/docker"}, 0, ""},
		{"FILECOLORS of the wrong length", []rpmpack.RPMFile{text, elfBin}, []uint32{0}, []string{"/usr/bin/docker"}, 0, ""},
		{"malformed ELF is a note", []rpmpack.RPMFile{broken, elfLib}, nil, []string{"/lib64/libdevmapper.so.1.02"}, 1, ""},
		{"path traversal", []rpmpack.RPMFile{{Name: "/usr/../../etc/shadow", Body: lib, Mode: 0o100644}}, nil, nil, 0, "/etc/shadow"},
		{"relative path", []rpmpack.RPMFile{{Name: "../x", Body: lib, Mode: 0o100644}}, nil, nil, 0, `"../x" is not a clean absolute path`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := buildRPM(t, tc.files, tc.colors)
			s, err := summarizeRPM("p", bytes.NewReader(data))
			if tc.errPart != "" {
				var pe *PayloadError
				if !errors.As(err, &pe) || !strings.Contains(err.Error(), tc.errPart) {
					t.Fatalf("want a *PayloadError with %q, got %v", tc.errPart, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range s.Objects {
				got = append(got, o.Path)
			}
			if strings.Join(got, " ") != strings.Join(tc.objects, " ") || len(s.Notes) != tc.notes {
				t.Fatalf("objects %v notes %v, want %v and %d notes", got, s.Notes, tc.objects, tc.notes)
			}
		})
	}
}

// TestSummarizeRPMTruncated: every prefix of a real RPM is an error or a
// summary, never a panic or a hang.
func TestSummarizeRPMTruncated(t *testing.T) {
	data := buildRPM(t, []rpmpack.RPMFile{
		{Name: "/usr/bin/docker", Body: readTestdata(t, "docker"), Mode: 0o100755},
		{Name: "/etc/x", Body: []byte("x\n"), Mode: 0o100644},
	}, nil)
	for n := 0; n < len(data); n += 97 {
		if _, err := summarizeRPM("p", bytes.NewReader(data[:n])); err == nil {
			t.Fatalf("%d of %d bytes accepted", n, len(data))
		}
	}
}

// TestSummarizeRPMCompressors: CentOS 6 payloads are xz, older ones gzip,
// newer distributions' zstd; each must be read.
func TestSummarizeRPMCompressors(t *testing.T) {
	files := []rpmpack.RPMFile{
		{Name: "/usr/share/doc/p/README", Body: []byte(strings.Repeat("readme ", 100)), Mode: 0o100644},
		{Name: "/usr/bin/docker", Body: readTestdata(t, "docker"), Mode: 0o100755},
		{Name: "/usr/lib64", Mode: 0o40755},
	}
	for _, comp := range []string{"gzip", "xz", "lzma", "zstd"} {
		t.Run(comp, func(t *testing.T) {
			s, err := summarizeRPM("p", bytes.NewReader(buildRPMWith(t, comp, files, nil)))
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Objects) != 1 || s.Objects[0].Path != "/usr/bin/docker" || len(s.Objects[0].Imports) != 3 {
				t.Fatalf("objects %+v", s.Objects)
			}
		})
	}
}

func FuzzSummarizeRPM(f *testing.F) {
	f.Add(buildRPM(f, []rpmpack.RPMFile{
		{Name: "/usr/bin/docker", Body: readTestdata(f, "docker"), Mode: 0o100755},
		{Name: "/etc/x", Body: []byte("x\n"), Mode: 0o100644},
	}, nil))
	f.Add(buildRPMWith(f, "", []rpmpack.RPMFile{
		{Name: "/lib64/libdevmapper.so.1.02", Body: readTestdata(f, "libdevmapper-old.so"), Mode: 0o100755},
	}, nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := summarizeRPM("p", bytes.NewReader(data))
		if err == nil {
			for _, o := range s.Objects {
				if checkPath(o.Path) != nil {
					t.Fatalf("unclean path %q accepted", o.Path)
				}
			}
		}
	})
}
