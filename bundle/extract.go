package bundle

import (
	"archive/tar"
	"bufio"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/klauspost/compress/gzip"
)

// Limits on what Extract accepts from an archive.
const (
	maxEntries   = 100_000
	maxTotalSize = 64 << 30
)

// Extract unpacks a bundle archive into dir and returns the bundle's
// directory. It refuses absolute or climbing paths, links and devices, and
// absurd sizes, so a hostile archive cannot write outside dir.
func Extract(archive, dir string) (string, error) {
	f, err := os.Open(archive)
	if err != nil {
		return "", err
	}
	defer f.Close()
	gz, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		return "", fmt.Errorf("%s is not a gzip bundle: %w", archive, err)
	}
	tr := tar.NewReader(gz)
	var total int64
	top := ""
	seen := map[string]bool{}
	for n := 0; ; n++ {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", fmt.Errorf("read %s: %w", archive, err)
		}
		if n > maxEntries {
			return "", fmt.Errorf("%s has more than %d entries", archive, maxEntries)
		}
		name := path.Clean(hdr.Name)
		if path.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") {
			return "", &Error{File: hdr.Name, Detail: "path leaves the bundle"}
		}
		first, _, _ := strings.Cut(name, "/")
		if top == "" {
			top = first
		} else if first != top {
			return "", &Error{File: hdr.Name, Detail: "outside the bundle's top directory " + top}
		}
		if seen[name] {
			return "", &Error{File: hdr.Name, Detail: "appears twice in the archive (which one would be checked, which one installed?)"}
		}
		seen[name] = true
		dst := filepath.Join(dir, filepath.FromSlash(name))
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return "", err
			}
		case tar.TypeReg:
			total += hdr.Size
			if hdr.Size < 0 || total > maxTotalSize {
				return "", &Error{File: hdr.Name, Detail: "size out of bounds"}
			}
			// A gzip of zeros (or a sparse entry) declares far more than
			// it weighs: refuse what the disk cannot take before writing.
			if free, ok := freeBytes(dir); ok && hdr.Size > free {
				return "", &Error{File: hdr.Name, Detail: fmt.Sprintf("declares %d bytes, more than the %d free in %s (a decompression bomb, or a bundle too large for this disk: set TMPDIR to a larger one)", hdr.Size, free, dir)}
			}
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return "", err
			}
			mode := os.FileMode(0o644)
			if hdr.Mode&0o111 != 0 {
				mode = 0o755
			}
			out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, mode)
			if err != nil {
				return "", err
			}
			_, err = io.Copy(out, io.LimitReader(tr, hdr.Size))
			if cerr := out.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return "", err
			}
		default:
			return "", &Error{File: hdr.Name, Detail: "links and special files are not allowed in a bundle"}
		}
	}
	if top == "" {
		return "", fmt.Errorf("%s is empty", archive)
	}
	return filepath.Join(dir, top), nil
}

// freeBytes is the space an unprivileged writer has left on dir's file system.
func freeBytes(dir string) (int64, bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, false
	}
	return int64(st.Bavail) * int64(st.Bsize), true
}
