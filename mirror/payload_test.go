package mirror

import (
	"bytes"
	"io"
	"testing"

	"github.com/google/rpmpack"

	"github.com/rpmvault/rpmvault/internal/rpmfile"
)

func seedRPM(t testing.TB, files ...rpmpack.RPMFile) []byte {
	t.Helper()
	r, err := rpmpack.NewRPM(rpmpack.RPMMetaData{Name: "seed", Version: "1", Release: "1", Arch: "x86_64", Compressor: "gzip"})
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

// checkRPMFiles runs the file-digest check over a whole RPM file.
func checkRPMFiles(b []byte) error {
	r := bytes.NewReader(b)
	raw, err := rpmfile.ReadRawHeader(r)
	if err != nil {
		return err
	}
	h, err := rpmfile.ParseHeader(raw)
	if err != nil {
		return err
	}
	return checkFileDigests(h, r)
}

func TestCheckFileDigests(t *testing.T) {
	files := []rpmpack.RPMFile{
		{Name: "/usr/bin/x", Body: []byte("x binary"), Mode: 0o100755},
		{Name: "/usr/bin/y", Body: []byte("y -> x"), Mode: 0o120777},
		{Name: "/etc/x.conf", Body: []byte("conf"), Mode: 0o100644},
	}
	good := seedRPM(t, files...)
	if err := checkRPMFiles(good); err != nil {
		t.Fatalf("a genuine package: %v", err)
	}
	// The payload of another package with the same names: each difference is caught.
	other := func(fs ...rpmpack.RPMFile) []byte {
		donor := seedRPM(t, fs...)
		rg, _ := rpmfile.ReadRawHeader(bytes.NewReader(good))
		rd, _ := rpmfile.ReadRawHeader(bytes.NewReader(donor))
		return append(append([]byte(nil), good[:len(rg.Bytes)]...), donor[len(rd.Bytes):]...)
	}
	changed := append([]rpmpack.RPMFile(nil), files...)
	changed[0].Body = []byte("x evil!!")
	tests := map[string][]byte{
		"content":  other(changed...),
		"extra":    other(append(append([]rpmpack.RPMFile(nil), files...), rpmpack.RPMFile{Name: "/etc/cron.d/evil", Body: []byte("e"), Mode: 0o100644})...),
		"missing":  other(files[:2]...),
		"symlink":  other(files[0], rpmpack.RPMFile{Name: "/usr/bin/y", Body: []byte("/tmp/evil"), Mode: 0o120777}, files[2]),
		"filetype": other(files[0], rpmpack.RPMFile{Name: "/usr/bin/y", Body: []byte("y -> x"), Mode: 0o100755}, files[2]),
	}
	for name, b := range tests {
		if err := checkRPMFiles(b); err == nil {
			t.Errorf("%s: a payload that differs from the header passed", name)
		}
	}
}

// FuzzCheckFileDigests: hostile headers and payloads never panic or hang
// the check, and it always reads its input to the end.
func FuzzCheckFileDigests(f *testing.F) {
	f.Add(seedRPM(f, rpmpack.RPMFile{Name: "/a", Body: []byte("a"), Mode: 0o100644}, rpmpack.RPMFile{Name: "/b", Body: []byte("a"), Mode: 0o120777}))
	f.Add(seedRPM(f))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		raw, err := rpmfile.ReadRawHeader(r)
		if err != nil {
			return
		}
		h, err := rpmfile.ParseHeader(raw)
		if err != nil {
			return
		}
		if err := checkFileDigests(h, r); err == nil {
			if n, _ := io.Copy(io.Discard, r); n != 0 {
				t.Errorf("accepted with %d bytes unread", n)
			}
		}
	})
}
