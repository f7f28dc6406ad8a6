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
		{"hard link", []*tar.Header{reg("b/ok"), {Name: "b/hard", Typeflag: tar.TypeLink, Linkname: "b/ok"}}, "links and special files"},
		{"fifo", []*tar.Header{{Name: "b/fifo", Typeflag: tar.TypeFifo}}, "links and special files"},
		{"duplicate entry", []*tar.Header{reg("b/lock.yaml"), reg("b/lock.yaml")}, "appears twice"},
		{"duplicate entry, spelt differently", []*tar.Header{reg("b/rpms/x.rpm"), reg("b/./rpms//x.rpm")}, "appears twice"},
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

// TestExtractRefusesWhatTheDiskCannotTake: an entry that declares more
// bytes than the disk has free (a gzip of zeros declares 1000 times what it
// weighs) is refused before anything of it is written.
func TestExtractRefusesWhatTheDiskCannotTake(t *testing.T) {
	// A file system with less free than the archive limit, which would
	// refuse first: the temporary directory's, or else /dev/shm's.
	var dir string
	var free int64
	for _, parent := range []string{os.TempDir(), "/dev/shm"} {
		d, err := os.MkdirTemp(parent, "rpmvault-bundle-test-")
		if err != nil {
			continue
		}
		t.Cleanup(func() { os.RemoveAll(d) })
		if f, ok := freeBytes(d); ok && f+1 <= maxTotalSize {
			dir, free = d, f
			break
		}
	}
	if dir == "" {
		t.Skip("no file system here has less free space than the archive limit")
	}
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	if err := tw.WriteHeader(&tar.Header{Name: "b/rpms/huge.rpm", Typeflag: tar.TypeReg, Mode: 0o644, Size: free + 1}); err != nil {
		t.Fatal(err)
	}
	tw.Write(make([]byte, 1<<20)) // the rest never comes: the check must not need it
	tw.Flush()
	gz.Close()
	p := filepath.Join(t.TempDir(), "bomb.tar.gz")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Extract(p, dir)
	var be *Error
	if !errors.As(err, &be) || !strings.Contains(err.Error(), "free in") {
		t.Fatalf("error %v, want a bundle.Error about free space", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "b", "rpms", "huge.rpm")); err == nil {
		t.Error("the entry was written")
	}
}

// TestVerifyRefusesLinksInADirectory: a bundle given as a directory (as
// tar xzf leaves it, links and all) holds only regular files: what is read
// through a link may change between verification and rpm.
func TestVerifyRefusesLinksInADirectory(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "outside")
	if err := os.WriteFile(outside, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "SHA256SUMS"), []byte("2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881  lock.yaml\n"), 0o644)
	if err := os.Symlink(outside, filepath.Join(dir, "lock.yaml")); err != nil {
		t.Fatal(err)
	}
	_, err := Verify(dir)
	var be *Error
	if !errors.As(err, &be) || be.File != "lock.yaml" || !strings.Contains(err.Error(), "only regular files") {
		t.Fatalf("error %v, want a bundle.Error naming the link lock.yaml", err)
	}
}
