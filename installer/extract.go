package installer

import (
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	rpmutils "github.com/sassoftware/go-rpmutils"
)

// EscapeError is a payload entry that would land outside the extraction root.
type EscapeError struct {
	Package, Path, Detail string
}

func (e *EscapeError) Error() string {
	return fmt.Sprintf("%s: payload entry %s %s; refusing to extract", e.Package, e.Path, e.Detail)
}

// Extract unpacks the payloads of rpmFiles into root in pure Go, without rpm
// and without privileges: regular files, directories and symlinks with their
// permission bits (owners are not changed). It refuses entries whose path
// climbs out of root, symlinks whose target would resolve outside root, and
// writing through any symlink, so a hostile package cannot touch the host.
func Extract(root string, rpmFiles []string) error {
	abs, err := filepath.Abs(root)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return err
	}
	for _, f := range rpmFiles {
		if err := extractOne(abs, f); err != nil {
			return err
		}
	}
	return nil
}

func extractOne(root, file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	pkg, err := rpmutils.ReadRpm(f)
	if err != nil {
		return fmt.Errorf("read %s: %w", file, err)
	}
	pr, err := pkg.PayloadReaderExtended()
	if err != nil {
		return fmt.Errorf("payload of %s: %w", file, err)
	}
	name := filepath.Base(file)
	for {
		fi, err := pr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("payload of %s: %w", file, err)
		}
		for _, part := range strings.Split(fi.Name(), "/") {
			if part == ".." {
				return &EscapeError{name, fi.Name(), "climbs out of the root"}
			}
		}
		clean := path.Clean("/" + fi.Name())
		dst := filepath.Join(root, filepath.FromSlash(clean))
		if err := noSymlinkParents(root, filepath.Dir(dst)); err != nil {
			return &EscapeError{name, fi.Name(), err.Error()}
		}
		mode := os.FileMode(fi.Mode() & 0o7777)
		switch fi.Mode() & 0o170000 {
		case 0o040000:
			if err := os.MkdirAll(dst, mode|0o700); err != nil {
				return err
			}
		case 0o120000:
			// Absolute targets stay inside the sysroot when it is used as one
			// (chroot, --root); relative ones must not climb above it.
			target := fi.Linkname()
			if !path.IsAbs(target) && climbs(path.Dir(clean), target) {
				return &EscapeError{name, fi.Name(), "is a symlink to " + target + ", outside the root"}
			}
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return err
			}
			os.Remove(dst)
			if err := os.Symlink(target, dst); err != nil {
				return err
			}
		case 0o100000:
			if pr.IsLink() {
				continue // hard link data comes with its last entry
			}
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return err
			}
			out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC|syscallNoFollow, mode)
			if err != nil {
				return fmt.Errorf("extract %s: %w", fi.Name(), err)
			}
			_, err = io.Copy(out, io.LimitReader(pr, fi.Size()))
			if cerr := out.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("extract %s: %w", fi.Name(), err)
			}
		default:
			// Devices, fifos and sockets need privileges; a sysroot does without.
		}
	}
}

// climbs reports whether a relative link target from dir goes above "/".
func climbs(dir, target string) bool {
	depth := len(strings.Split(strings.Trim(dir, "/"), "/"))
	if strings.Trim(dir, "/") == "" {
		depth = 0
	}
	for _, part := range strings.Split(target, "/") {
		switch part {
		case "..":
			depth--
			if depth < 0 {
				return true
			}
		case "", ".":
		default:
			depth++
		}
	}
	return false
}

// noSymlinkParents refuses a directory path below root that passes through a
// symlink: writing there could land anywhere.
func noSymlinkParents(root, dir string) error {
	rel, err := filepath.Rel(root, dir)
	if err != nil || strings.HasPrefix(rel, "..") {
		return fmt.Errorf("lands outside the root")
	}
	cur := root
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		if part == "." || part == "" {
			continue
		}
		cur = filepath.Join(cur, part)
		st, err := os.Lstat(cur)
		if os.IsNotExist(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if st.Mode()&os.ModeSymlink != 0 {
			return fmt.Errorf("would be written through the symlink %s", strings.TrimPrefix(cur, root))
		}
	}
	return nil
}
