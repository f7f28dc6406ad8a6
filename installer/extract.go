package installer

import (
	"crypto"
	_ "crypto/md5" // EL6's file digests are MD5: rpm checks them at unpack, so do we
	_ "crypto/sha1"
	_ "crypto/sha256"
	_ "crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	rpmutils "github.com/sassoftware/go-rpmutils"

	"github.com/rpmvault/rpmvault/internal/rpmfile"
)

// EscapeError is a payload entry that would land outside the extraction root.
type EscapeError struct {
	Package, Path, Detail string
}

func (e *EscapeError) Error() string {
	return fmt.Sprintf("%s: payload entry %s %s; refusing to extract", e.Package, e.Path, e.Detail)
}

// DigestError is a payload file whose content does not match the digest its
// header records (rpm's "cpio: Digest mismatch"): the package was tampered
// with. The CLI exits 4 on it.
type DigestError struct {
	Package, Path string
}

func (e *DigestError) Error() string {
	return fmt.Sprintf("%s: payload file %s does not match its header digest (tampered package); refusing to extract", e.Package, e.Path)
}

// Extract unpacks the payloads of rpmFiles into root in pure Go, without rpm
// and without privileges: regular files (with their setuid, setgid and
// sticky bits, as rpm keeps them), directories and symlinks; owners are not
// changed. Everything is first unpacked into a private directory inside
// root and moved into place only when every package unpacked cleanly, so a
// refused extraction leaves root as it was. Paths that climb out of root,
// writes through symlinks, and symlinks that resolve (following the links
// already extracted, and those already in root) to anything outside root
// are refused; so are files whose content does not match their header digest.
func Extract(root string, rpmFiles []string) (err error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return err
	}
	created := false
	if _, serr := os.Lstat(abs); os.IsNotExist(serr) {
		created = true
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return err
	}
	stage, err := os.MkdirTemp(abs, ".rpmvault-extract-")
	if err != nil {
		return err
	}
	x := &extraction{root: abs, stage: stage, dirModes: map[string]os.FileMode{}}
	defer func() {
		os.RemoveAll(stage)
		if err != nil && created {
			os.Remove(abs) // only if still empty
		}
	}()
	for _, f := range rpmFiles {
		if err := x.unpack(f); err != nil {
			return err
		}
	}
	// A later link can change where an earlier one points (b -> c/.. is
	// harmless until c -> . arrives): check every link against the final tree.
	if err := x.checkAllLinks(); err != nil {
		return err
	}
	if err := x.merge(stage, abs, "", true); err != nil {
		return err
	}
	if err := x.merge(stage, abs, "", false); err != nil {
		return fmt.Errorf("move extracted files into %s: %w", abs, err)
	}
	return x.applyDirModes()
}

// extraction is one Extract run: the root, its private staging directory,
// and the modes of the directories the payloads declare (applied last, so a
// read-only directory does not stop its own contents being written).
type extraction struct {
	root, stage string
	dirModes    map[string]os.FileMode // virtual path -> mode
	links       []linkEntry
	// hardLinks are the current package's hard-link sets by header inode:
	// the members seen so far, and the file their content went to.
	hardLinks map[int]*linkSet
}

// linkSet is one file of a package under several names (a hard-link set).
// The payload carries its content once, with one member (rpm: the last).
type linkSet struct {
	data    string // staged file holding the content; "" until it came
	digest  string // hex digest of the content
	pending []rpmutils.FileInfo
}

type linkEntry struct{ pkg, vpath string }

func (x *extraction) unpack(file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	pkg, err := rpmfile.Read(f)
	if err != nil {
		return fmt.Errorf("read %s: %w", file, err)
	}
	algo, err := rpmfile.DigestAlgo(pkg.Header, rpmutils.FILEDIGESTALGO, crypto.MD5) // MD5: rpm before 4.6, and EL6
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	pr, err := pkg.Payload()
	if err != nil {
		return fmt.Errorf("payload of %s: %w", file, err)
	}
	defer pr.Close()
	name := filepath.Base(file)
	x.hardLinks = map[int]*linkSet{}
	for {
		e, err := pr.Next()
		if err == io.EOF {
			return x.unlinkedHardLinks(name, algo)
		}
		if err != nil {
			return fmt.Errorf("payload of %s: %w", file, err)
		}
		// What is written is what the header (which the signature covers)
		// says: its name, mode, link target and digest.
		if e.File == nil {
			return &EscapeError{name, e.Name, "is not in the header's file list"}
		}
		if err := x.entry(name, e, pr, algo); err != nil {
			return err
		}
	}
}

// entry extracts one payload member into the staging directory.
func (x *extraction) entry(pkgName string, e *rpmfile.Entry, pr io.Reader, algo crypto.Hash) error {
	fi := e.File
	for _, part := range strings.Split(fi.Name(), "/") {
		if part == ".." {
			return &EscapeError{pkgName, fi.Name(), "climbs out of the root"}
		}
	}
	vpath := path.Clean("/" + fi.Name())
	if vpath == "/" {
		return nil // the root itself
	}
	if strings.HasPrefix(vpath, "/.rpmvault-extract-") {
		return &EscapeError{pkgName, fi.Name(), "uses rpmvault's staging name"}
	}
	dst := filepath.Join(x.stage, filepath.FromSlash(vpath))
	if err := x.parentDirs(vpath); err != nil {
		return &EscapeError{pkgName, fi.Name(), err.Error()}
	}
	mode := unixMode(uint32(fi.Mode()))
	switch fi.Mode() & 0o170000 {
	case 0o040000:
		st, err := os.Lstat(dst)
		switch {
		case os.IsNotExist(err):
			if err := os.Mkdir(dst, 0o700); err != nil {
				return err
			}
		case err != nil:
			return err
		case !st.IsDir():
			return &EscapeError{pkgName, fi.Name(), "is a directory where an earlier entry put a file or symlink"}
		}
		x.dirModes[vpath] = mode
	case 0o120000:
		target := fi.Linkname()
		if strings.ContainsRune(target, 0) || target == "" {
			return &EscapeError{pkgName, fi.Name(), "is a symlink with an empty or NUL target"}
		}
		if err := x.removeNonDir(dst); err != nil {
			return &EscapeError{pkgName, fi.Name(), err.Error()}
		}
		if err := os.Symlink(target, dst); err != nil {
			return err
		}
		// Absolute targets resolve inside the root (as under chroot or
		// rpm --root); relative ones are followed through what is there.
		if _, err := x.resolve(vpath, true); err != nil {
			return &EscapeError{pkgName, fi.Name(), "is a symlink to " + target + ", which " + err.Error()}
		}
		x.links = append(x.links, linkEntry{pkgName, vpath})
	case 0o100000:
		if err := x.removeNonDir(dst); err != nil {
			return &EscapeError{pkgName, fi.Name(), err.Error()}
		}
		if e.HardLink {
			// Its content comes with another member of its set (rpm
			// writes it with the last): link it once that is there.
			return x.hardLink(pkgName, fi, "")
		}
		out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY|syscallNoFollow, 0o600)
		if err != nil {
			return fmt.Errorf("extract %s: %w", fi.Name(), err)
		}
		h := algo.New()
		_, err = io.Copy(io.MultiWriter(out, h), io.LimitReader(pr, fi.Size()))
		if err == nil {
			// After writing, as rpm does: a umask must not drop the
			// setuid bit or the sticky bit.
			err = out.Chmod(mode)
		}
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("extract %s: %w", fi.Name(), err)
		}
		got := hex.EncodeToString(h.Sum(nil))
		if fi.Digest() != "" && !strings.EqualFold(got, fi.Digest()) {
			return &DigestError{pkgName, fi.Name()}
		}
		if e.Nlink > 1 || x.hardLinks[fi.Inode()] != nil {
			return x.hardLink(pkgName, fi, got)
		}
	default:
		// Devices, fifos and sockets need privileges; a sysroot does without.
	}
	return nil
}

// parentDirs creates the staging directories above vpath, refusing to pass
// through a symlink: writing there could land anywhere.
func (x *extraction) parentDirs(vpath string) error {
	cur := x.stage
	parts := strings.Split(strings.Trim(path.Dir(vpath), "/"), "/")
	for i, part := range parts {
		if part == "" {
			continue
		}
		cur = filepath.Join(cur, part)
		st, err := os.Lstat(cur)
		if os.IsNotExist(err) {
			// A directory no entry declares: rpm makes it 0755.
			if err := os.Mkdir(cur, 0o755); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		if st.Mode()&os.ModeSymlink != 0 {
			return fmt.Errorf("would be written through the symlink /%s", strings.Join(parts[:i+1], "/"))
		}
		if !st.IsDir() {
			return fmt.Errorf("would be written below the file /%s", strings.Join(parts[:i+1], "/"))
		}
	}
	return nil
}

// removeNonDir clears the way for a file or symlink entry that replaces an
// earlier one of the same path; a directory is never replaced.
func (x *extraction) removeNonDir(dst string) error {
	st, err := os.Lstat(dst)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if st.IsDir() {
		return errors.New("would replace a directory")
	}
	return os.Remove(dst)
}

// checkAllLinks re-resolves every extracted symlink against the final tree.
func (x *extraction) checkAllLinks() error {
	for _, l := range x.links {
		if _, err := x.resolve(l.vpath, true); err != nil {
			target, _ := os.Readlink(filepath.Join(x.stage, filepath.FromSlash(l.vpath)))
			return &EscapeError{l.pkg, l.vpath, "is a symlink to " + target + ", which " + err.Error()}
		}
	}
	return nil
}

// unixMode turns an rpm file mode's permission and special bits into an
// os.FileMode (whose setuid, setgid and sticky bits are not the unix ones).
func unixMode(m uint32) os.FileMode {
	mode := os.FileMode(m & 0o777)
	if m&0o4000 != 0 {
		mode |= os.ModeSetuid
	}
	if m&0o2000 != 0 {
		mode |= os.ModeSetgid
	}
	if m&0o1000 != 0 {
		mode |= os.ModeSticky
	}
	return mode
}

// hardLink records fi as a member of its hard-link set: the member that
// carries the content (digest set, its file written) or one without. Once
// the content is there, every other member becomes a hard link to it,
// after its header digest is checked against the content's.
func (x *extraction) hardLink(pkgName string, fi rpmutils.FileInfo, digest string) error {
	ino := fi.Inode()
	set := x.hardLinks[ino]
	if set == nil {
		set = &linkSet{}
		x.hardLinks[ino] = set
	}
	if digest != "" {
		if set.data != "" {
			return &EscapeError{pkgName, fi.Name(), "carries the content of a hard-link set a second time"}
		}
		set.data, set.digest = x.staged(fi.Name()), digest
	} else {
		set.pending = append(set.pending, fi)
	}
	if set.data == "" {
		return nil
	}
	for _, m := range set.pending {
		if m.Digest() != "" && !strings.EqualFold(m.Digest(), set.digest) {
			return &DigestError{pkgName, m.Name()}
		}
		if err := os.Link(set.data, x.staged(m.Name())); err != nil {
			return fmt.Errorf("extract %s: %w", m.Name(), err)
		}
	}
	set.pending = nil
	return nil
}

// unlinkedHardLinks finishes the hard-link sets whose content never came
// with a member: a set of empty files (every member of it has size 0 in
// the archive) is one empty file; any other is a payload that lacks the
// content its header promises, refused as rpm refuses it.
func (x *extraction) unlinkedHardLinks(pkgName string, algo crypto.Hash) error {
	for _, set := range x.hardLinks {
		if len(set.pending) == 0 {
			continue
		}
		first := set.pending[0]
		empty := hex.EncodeToString(algo.New().Sum(nil))
		for _, m := range set.pending {
			if m.Size() != 0 || (m.Digest() != "" && !strings.EqualFold(m.Digest(), empty)) {
				return &DigestError{pkgName, m.Name()}
			}
		}
		out, err := os.OpenFile(x.staged(first.Name()), os.O_CREATE|os.O_EXCL|os.O_WRONLY|syscallNoFollow, 0o600)
		if err != nil {
			return fmt.Errorf("extract %s: %w", first.Name(), err)
		}
		err = out.Chmod(unixMode(uint32(first.Mode())))
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("extract %s: %w", first.Name(), err)
		}
		set.pending = set.pending[1:]
		if err := x.hardLink(pkgName, first, empty); err != nil {
			return err
		}
	}
	return nil
}

// staged is where the payload path name is written in the staging tree.
func (x *extraction) staged(name string) string {
	return filepath.Join(x.stage, filepath.FromSlash(path.Clean("/"+name)))
}
