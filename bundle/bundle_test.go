package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func archive(t *testing.T, entries ...*tar.Header) string {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, h := range entries {
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(h.Name))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write([]byte(h.Name))
		}
	}
	tw.Close()
	gz.Close()
	p := filepath.Join(t.TempDir(), "b.tar.gz")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExtractRefusesHostileArchives(t *testing.T) {
	reg := func(name string) *tar.Header { return &tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644} }
	tests := []struct {
		name    string
		entries []*tar.Header
		want    string
	}{
		{"climbing path", []*tar.Header{reg("b/ok"), reg("b/../../escape")}, "leaves the bundle"},
		{"absolute path", []*tar.Header{reg("/etc/passwd")}, "leaves the bundle"},
		{"second top directory", []*tar.Header{reg("b/ok"), reg("c/other")}, "outside the bundle's top directory"},
		{"symlink", []*tar.Header{reg("b/ok"), {Name: "b/link", Typeflag: tar.TypeSymlink, Linkname: "/etc"}}, "links and special files"},
		{"device", []*tar.Header{{Name: "b/dev", Typeflag: tar.TypeChar}}, "links and special files"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := Extract(archive(t, tt.entries...), dir)
			var be *Error
			if !errors.As(err, &be) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want a bundle.Error saying %q", err, tt.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(t.TempDir()), "escape")); err == nil {
		t.Error("an entry escaped")
	}
	dir, err := Extract(archive(t, &tar.Header{Name: "b/", Typeflag: tar.TypeDir, Mode: 0o755}, reg("b/install.sh")), t.TempDir())
	if err != nil || filepath.Base(dir) != "b" {
		t.Fatalf("a sane archive: %q %v", dir, err)
	}
}

func TestVerifyNeedsChecksums(t *testing.T) {
	dir := t.TempDir()
	if _, err := Verify(dir); err == nil || !strings.Contains(err.Error(), "SHA256SUMS") {
		t.Fatalf("empty bundle: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "SHA256SUMS"), []byte("nothex  lock.yaml\n"), 0o644)
	if _, err := Verify(dir); err == nil || !strings.Contains(err.Error(), "line 1 is malformed") {
		t.Fatalf("bad SHA256SUMS: %v", err)
	}
}

func TestName(t *testing.T) {
	for in, want := range map[string]string{"/x/docker-1.7.1-el6.tar.gz": "docker-1.7.1-el6", "b.tgz": "b", "plain": "plain"} {
		if got := Name(in); got != want {
			t.Errorf("Name(%q) = %q, want %q", in, got, want)
		}
	}
}
