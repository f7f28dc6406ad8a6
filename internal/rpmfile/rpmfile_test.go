package rpmfile

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/google/rpmpack"
)

func buildRPM(t testing.TB, compressor string, files ...rpmpack.RPMFile) []byte {
	t.Helper()
	r, err := rpmpack.NewRPM(rpmpack.RPMMetaData{Name: "p", Version: "1", Release: "1", Arch: "x86_64", Compressor: compressor})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		r.AddFile(f)
	}
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var sample = []rpmpack.RPMFile{
	{Name: "/etc/p.conf", Body: []byte("x=1\n"), Mode: 0o100644},
	{Name: "/usr/bin/p", Body: []byte("#!/bin/sh\necho p\n"), Mode: 0o100755},
	{Name: "/usr/bin/q", Body: []byte("p"), Mode: 0o120777},
	{Name: "/var/lib/p", Mode: 0o040755},
}

func TestReadAndWalk(t *testing.T) {
	for _, comp := range []string{"gzip", "", "xz", "zstd"} {
		t.Run("compressor "+comp, func(t *testing.T) {
			pkg, err := Read(bytes.NewReader(buildRPM(t, comp, sample...)))
			if err != nil {
				t.Fatal(err)
			}
			if n, _ := pkg.Header.GetString(1000); n != "p" {
				t.Errorf("name %q", n)
			}
			a, err := pkg.Payload()
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			got := map[string]string{}
			for {
				e, err := a.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				body, err := io.ReadAll(a)
				if err != nil {
					t.Fatal(err)
				}
				switch e.Mode & ModeType {
				case ModeSymlink:
					got[e.Name] = "-> " + e.Linkname
				case ModeDir:
					got[e.Name] = "dir"
				default:
					got[e.Name] = string(body)
				}
			}
			want := map[string]string{"/etc/p.conf": "x=1\n", "/usr/bin/p": "#!/bin/sh\necho p\n", "/usr/bin/q": "-> p", "/var/lib/p": "dir"}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s: %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

func TestTruncatedAndForeign(t *testing.T) {
	good := buildRPM(t, "gzip", sample...)
	if _, err := Read(bytes.NewReader(bytes.Repeat([]byte("not an rpm "), 20))); !errors.Is(err, ErrNotRPM) {
		t.Errorf("foreign input: %v", err)
	}
	for _, n := range []int{10, 100, 200} {
		if _, err := Read(bytes.NewReader(good[:n])); err == nil || !strings.Contains(err.Error(), "truncated") {
			t.Errorf("cut at %d: %v", n, err)
		}
	}
}

// TestSkipDoesNotAllocate walks past a 64 MiB file without reading it:
// the memory this costs must not grow with the file (go-rpmutils' payload
// reader allocates the skipped length).
func TestSkipDoesNotAllocate(t *testing.T) {
	big := rpmpack.RPMFile{Name: "/usr/share/big", Body: make([]byte, 64<<20), Mode: 0o100644}
	data := buildRPM(t, "gzip", big, rpmpack.RPMFile{Name: "/usr/share/small", Body: []byte("s"), Mode: 0o100644})
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	pkg, err := Read(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	a, err := pkg.Payload()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		_, err := a.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	a.Close()
	runtime.ReadMemStats(&after)
	if n != 2 {
		t.Errorf("%d entries", n)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("walking past a 64 MiB file allocated %d MiB", alloc>>20)
	}
}

func FuzzReadRawHeader(f *testing.F) {
	f.Add(buildRPM(f, "gzip", sample...))
	f.Fuzz(func(t *testing.T, data []byte) {
		raw, err := ReadRawHeader(bytes.NewReader(data))
		if err != nil {
			return
		}
		if _, err := ParseIndex(raw.Signature()); err != nil {
			t.Fatalf("a checked signature header does not index: %v", err)
		}
		if _, err := ParseIndex(raw.Main()); err != nil {
			t.Fatalf("a checked header does not index: %v", err)
		}
	})
}

// FuzzArchive drives the archive walker from the uncompressed payload of
// a real package.
func FuzzArchive(f *testing.F) {
	pkg, err := Read(bytes.NewReader(buildRPM(f, "", sample...)))
	if err != nil {
		f.Fatal(err)
	}
	archive, err := io.ReadAll(pkg.r)
	if err != nil {
		f.Fatal(err)
	}
	files, _ := pkg.Files()
	f.Add(archive)
	f.Add([]byte("07070X00000000"))
	f.Fuzz(func(t *testing.T, data []byte) {
		a := NewArchive(bytes.NewReader(data), files)
		buf := make([]byte, 512)
		for n := 0; n < 1000; n++ {
			e, err := a.Next()
			if err != nil {
				return
			}
			if e.Size < 0 {
				t.Fatalf("negative size %d", e.Size)
			}
			for {
				if _, err := a.Read(buf); err != nil {
					break
				}
			}
		}
	})
}
